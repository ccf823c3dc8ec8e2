import { QueryEditorProps } from '@grafana/data';
import { InlineField, RadioButtonGroup } from '@grafana/ui';
import React from 'react';

import type { DataSource } from '../datasource';
import { DIMENSIONS, Dimension, FourKeysOptions, FourKeysQuery, QUERY_VERSION } from '../types';

const labels: Record<Dimension, string> = {
  service: 'Services',
  team: 'Teams',
  environment: 'Environments',
  changeType: 'Change types',
  model: 'Models',
};

type Props = QueryEditorProps<DataSource, FourKeysQuery, FourKeysOptions, FourKeysQuery>;

/** VariableQueryEditor picks which distinct values a query variable lists. */
export function VariableQueryEditor({ query, onChange }: Props) {
  const dimension = query.dimension ?? 'service';
  return (
    <InlineField label="Values of" labelWidth={16}>
      <RadioButtonGroup<Dimension>
        options={DIMENSIONS.map((d) => ({ label: labels[d], value: d }))}
        value={dimension}
        onChange={(d) =>
          onChange({
            ...query,
            refId: query.refId || 'values',
            version: QUERY_VERSION,
            queryType: 'values',
            dimension: d,
          })
        }
      />
    </InlineField>
  );
}
