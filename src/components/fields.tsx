import {
  DataSourcePluginOptionsEditorProps,
  onUpdateDatasourceSecureJsonDataOption,
  updateDatasourcePluginResetOption,
} from '@grafana/data';
import { Collapse, Field, Input, SecretInput } from '@grafana/ui';
import React, { ReactNode, useState } from 'react';

import { FourKeysOptions, FourKeysSecrets } from '../types';
import { wholeOrUndefined } from './numbers';

// The pieces every section of the config editor is built from.

export type EditorProps = DataSourcePluginOptionsEditorProps<FourKeysOptions, FourKeysSecrets>;

/** INPUT_WIDTH is the width of a section's main inputs; ROW_INPUT_WIDTH that of inputs side by side in a row. */
export const INPUT_WIDTH = 40;
export const ROW_INPUT_WIDTH = 24;

interface SecretFieldProps {
  editor: EditorProps;
  secret: keyof FourKeysSecrets;
  id: string;
  label: string;
  description: string;
  placeholder?: string;
}

/** SecretField edits one secret: saved ones show as configured, never their value, and Reset clears them. */
export function SecretField({ editor, secret, id, label, description, placeholder }: SecretFieldProps) {
  return (
    <Field label={label} description={description}>
      <SecretInput
        id={id}
        width={INPUT_WIDTH}
        isConfigured={Boolean(editor.options.secureJsonFields?.[secret])}
        value={editor.options.secureJsonData?.[secret] ?? ''}
        placeholder={placeholder}
        onReset={() => updateDatasourcePluginResetOption(editor, secret)}
        onChange={onUpdateDatasourceSecureJsonDataOption(editor, secret)}
      />
    </Field>
  );
}

/** AdvancedSection holds, folded away, the settings most data sources leave at their defaults. */
export function AdvancedSection({ children }: { children: ReactNode }) {
  const [open, setOpen] = useState(false);
  return (
    <Collapse label="Advanced" isOpen={open} onToggle={() => setOpen(!open)}>
      {children}
    </Collapse>
  );
}

interface NumberFieldProps {
  id: string;
  label: string;
  description: string;
  value?: number;
  byDefault: number;
  max?: number;
  onChange: (n?: number) => void;
}

/** NumberField edits a whole number of at least 1, and says so when the typed one is out of range. */
export function NumberField({ id, label, description, value, byDefault, max, onChange }: NumberFieldProps) {
  let error: string | undefined;
  if (value !== undefined && value < 1) {
    error = 'At least 1';
  } else if (value !== undefined && max !== undefined && value > max) {
    error = `At most ${max}`;
  }
  return (
    <Field label={label} description={description} invalid={error !== undefined} error={error}>
      <Input
        id={id}
        type="number"
        min={1}
        max={max}
        width={12}
        placeholder={String(byDefault)}
        value={value ?? ''}
        onChange={(e) => onChange(wholeOrUndefined(e))}
      />
    </Field>
  );
}
