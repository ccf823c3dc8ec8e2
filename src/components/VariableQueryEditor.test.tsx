import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React from 'react';

import { newDataSource } from '../test/props';
import { VariableQueryEditor } from './VariableQueryEditor';

describe('VariableQueryEditor', () => {
  it('makes the variable a values query of the dimension the user picks', async () => {
    const onChange = jest.fn();
    render(
      <VariableQueryEditor
        datasource={newDataSource()}
        query={{ refId: 'service' }}
        onChange={onChange}
        onRunQuery={jest.fn()}
      />
    );

    expect(screen.getByRole('radio', { name: 'Services' })).toBeChecked();
    await userEvent.click(screen.getByRole('radio', { name: 'Teams' }));

    expect(onChange).toHaveBeenCalledWith({ refId: 'service', version: 1, queryType: 'values', dimension: 'team' });
  });
});
