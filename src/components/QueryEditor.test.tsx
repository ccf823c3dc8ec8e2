import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React, { useState } from 'react';

import { newDataSource } from '../test/props';
import { fakeTemplateSrv } from '../test/templateSrv';
import { FourKeysQuery } from '../types';
import { QueryEditor } from './QueryEditor';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => fakeTemplateSrv([{ name: 'service', value: ['churn-model'] }]),
}));

function setup(query: Partial<FourKeysQuery> = {}) {
  const datasource = newDataSource();
  const getValues = jest
    .spyOn(datasource, 'getValues')
    .mockResolvedValue([{ text: 'fraud-detector', value: 'fraud-detector' }]);
  const onChange = jest.fn();
  const onRunQuery = jest.fn();
  const initial: FourKeysQuery = { refId: 'A', version: 1, queryType: 'timeseries', metric: 'lead_time', ...query };
  // The harness keeps the query the way Grafana does: the editor's change comes back as its next query.
  function Harness() {
    const [current, setCurrent] = useState(initial);
    const change = (q: FourKeysQuery) => {
      onChange(q);
      setCurrent(q);
    };
    return <QueryEditor datasource={datasource} query={current} onChange={change} onRunQuery={onRunQuery} />;
  }
  render(<Harness />);
  return { onChange, onRunQuery, getValues, user: userEvent.setup({ delay: null }) };
}

describe('QueryEditor', () => {
  it('sets the metric the user picks and runs the query', async () => {
    const { onChange, onRunQuery, user } = setup();

    await user.click(screen.getByRole('combobox', { name: 'Metric' }));
    await user.click(await screen.findByRole('option', { name: /Change failure rate/ }));

    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ metric: 'change_failure_rate' }));
    expect(onRunQuery).toHaveBeenCalled();
  });

  it('shows the definition of the chosen metric', () => {
    setup({ metric: 'lead_time_review' });

    expect(screen.getByTestId('metric-definitions')).toHaveTextContent(
      "Review time: From a change's pull request being opened to its merge."
    );
  });

  it('offers aggregations only for duration metrics', () => {
    setup({ metric: 'change_failure_rate' });

    expect(screen.queryByRole('combobox', { name: 'Aggregation' })).not.toBeInTheDocument();
  });

  it('adds a dimension the user groups by', async () => {
    const { onChange, user } = setup();

    await user.click(screen.getByRole('combobox', { name: 'Group by' }));
    await user.click(await screen.findByRole('option', { name: 'Team' }));

    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ groupBy: ['team'] }));
  });

  it('offers only the dimensions the metric can be grouped by', async () => {
    const { user } = setup({ metric: 'time_to_restore' });

    await user.click(screen.getByRole('combobox', { name: 'Group by' }));

    const offered = (await screen.findAllByRole('option')).map((o) => o.textContent);
    expect(offered).toEqual(['Service', 'Team', 'Model']);
  });

  it('explains a trailing window it cannot read and does not run the query', async () => {
    const { onChange, onRunQuery, user } = setup();

    await user.type(screen.getByRole('textbox', { name: 'Trailing window' }), 'thirty days');
    await user.tab();

    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ window: 'thirty days' }));
    expect(onRunQuery).not.toHaveBeenCalled();
    expect(await screen.findByText(/"thirty days" is not a duration/)).toBeInTheDocument();
  });

  it('accepts a trailing window in days', () => {
    setup({ window: '30d' });

    expect(screen.queryByText(/is not a duration/)).not.toBeInTheDocument();
  });

  it('offers filter values from the backend and the dashboard variables', async () => {
    const { onChange, getValues, user } = setup();

    await user.click(screen.getByRole('combobox', { name: 'Filter' }));
    await user.click(await screen.findByRole('option', { name: 'Service' }));
    await user.click(await screen.findByRole('combobox', { name: 'Service' }));

    expect(await screen.findByRole('option', { name: /\$service/ })).toBeInTheDocument();
    await user.click(await screen.findByRole('option', { name: /fraud-detector/ }));
    expect(getValues).toHaveBeenCalledWith('service');
    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ filters: { service: ['fraud-detector'] } }));
  });

  it('switches to a summary of several metrics', async () => {
    const { onChange, user } = setup();

    await user.click(screen.getByRole('radio', { name: 'Summary' }));

    expect(onChange).toHaveBeenLastCalledWith(expect.objectContaining({ queryType: 'summary' }));
  });

  it('stamps the contract version on an old query', async () => {
    const { onChange } = setup({ version: undefined });

    await waitFor(() => expect(onChange).toHaveBeenCalledWith(expect.objectContaining({ version: 1 })));
  });
});
