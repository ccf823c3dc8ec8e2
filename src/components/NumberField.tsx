import { Field, Input } from '@grafana/ui';
import React from 'react';

import { wholeOrUndefined } from './numbers';

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
