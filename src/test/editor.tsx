import { DataSourceSettings } from '@grafana/data';
import { render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React, { ComponentType, useState } from 'react';

import { EditorProps } from '../components/fields';
import { FourKeysOptions, FourKeysSecrets } from '../types';
import { dataSourceSettings } from './props';

export type Settings = DataSourceSettings<FourKeysOptions, FourKeysSecrets>;

/**
 * renderSettingsEditor renders a settings editor the way Grafana's settings
 * page holds it: every change comes back as the editor's new options. last
 * returns the options of the latest change.
 */
export function renderSettingsEditor(Editor: ComponentType<EditorProps>, patch: Partial<Settings> = {}) {
  const onOptionsChange = jest.fn();
  function Harness() {
    const [options, setOptions] = useState(dataSourceSettings(patch));
    const change = (next: Settings) => {
      onOptionsChange(next);
      setOptions(next);
    };
    return <Editor options={options} onOptionsChange={change} />;
  }
  const view = render(<Harness />);
  const last = (): Settings => onOptionsChange.mock.calls.at(-1)[0];
  return { onOptionsChange, last, view, user: userEvent.setup({ delay: null }) };
}
