import { QueryEditorProps, SelectableValue } from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import {
  Combobox,
  ComboboxOption,
  IconButton,
  InlineField,
  InlineFieldRow,
  Input,
  MultiCombobox,
  RadioButtonGroup,
  Stack,
  Text,
} from '@grafana/ui';
import React, { useCallback, useEffect, useMemo, useRef, useState } from 'react';

import type { DataSource } from '../datasource';
import { METRICS, groupableBy, metricInfo } from '../metrics';
import { bucketError, migrateQuery, setFilter, windowError } from '../query';
import {
  AGGREGATIONS,
  Aggregation,
  DIMENSIONS,
  Dimension,
  EVENT_TABLES,
  EventTable,
  FourKeysOptions,
  FourKeysQuery,
  QueryType,
} from '../types';

type Props = QueryEditorProps<DataSource, FourKeysQuery, FourKeysOptions>;

const LABEL_WIDTH = 16;

const queryTypeOptions: Array<SelectableValue<QueryType>> = [
  { label: 'Time series', value: 'timeseries', description: 'One metric per bucket, for graphs and alert rules' },
  { label: 'Summary', value: 'summary', description: 'One value per metric over the range, with its band' },
  { label: 'Events', value: 'events', description: 'The changes, deployments or incidents behind the numbers' },
  { label: 'Annotations', value: 'annotations', description: 'Deployments and incidents as annotation events' },
  { label: 'Values', value: 'values', description: 'Distinct values of one dimension' },
];

const metricOptions: Array<ComboboxOption<string>> = METRICS.map((m) => ({
  label: m.name,
  value: m.id,
  description: m.definition,
  group: m.group === 'delivery' ? 'Delivery' : 'ML exploration',
}));

const aggregationLabels: Record<Aggregation, string> = {
  median: 'Median',
  p75: '75th percentile',
  p90: '90th percentile',
  mean: 'Mean',
  min: 'Minimum',
  max: 'Maximum',
};

export const dimensionLabels: Record<Dimension, string> = {
  service: 'Service',
  team: 'Team',
  environment: 'Environment',
  changeType: 'Change type',
  model: 'Model',
};

const tableLabels: Record<EventTable, string> = {
  changes: 'Changes',
  deployments: 'Deployments',
  incidents: 'Incidents',
  runs: 'Runs',
  milestones: 'Milestones',
};

const bucketOptions: Array<ComboboxOption<string>> = ['auto', '1h', '6h', '1d', '1w', '30d'].map((b) => ({
  label: b === 'auto' ? 'Auto' : b,
  value: b,
}));

const dimensionOptions = DIMENSIONS.map((d) => ({ label: dimensionLabels[d], value: d }));

/** variableOptions offers the dashboard's variables as filter values, so one variable can filter every panel. */
function variableOptions(): Array<ComboboxOption<string>> {
  return getTemplateSrv()
    .getVariables()
    .map((v) => ({ label: `$${v.name}`, value: `$${v.name}`, description: 'Dashboard variable' }));
}

export function QueryEditor({ query, onChange, onRunQuery, datasource }: Props) {
  const migrated = useMemo(() => migrateQuery(query), [query]);
  const queryType: QueryType = migrated.queryType ?? 'timeseries';

  useEffect(() => {
    if (query.version !== migrated.version) {
      onChange(migrated);
    }
  }, [query, migrated, onChange]);

  const update = useCallback(
    (patch: Partial<FourKeysQuery>, run = true) => {
      onChange({ ...migrated, ...patch });
      if (run) {
        onRunQuery();
      }
    },
    [migrated, onChange, onRunQuery]
  );

  return (
    <Stack direction="column" gap={0}>
      <InlineFieldRow>
        <InlineField label="Query type" labelWidth={LABEL_WIDTH}>
          <RadioButtonGroup<QueryType>
            options={queryTypeOptions}
            value={queryType}
            onChange={(v) => update({ queryType: v })}
          />
        </InlineField>
      </InlineFieldRow>
      {queryType === 'timeseries' && <MetricRow query={migrated} onUpdate={update} />}
      {queryType === 'summary' && <MetricsRow query={migrated} onUpdate={update} />}
      {(queryType === 'timeseries' || queryType === 'summary') && <GroupByRow query={migrated} onUpdate={update} />}
      {queryType === 'timeseries' && <TimeRow query={migrated} onUpdate={update} />}
      {queryType === 'events' && <EventsRow query={migrated} onUpdate={update} />}
      {queryType === 'values' && (
        <InlineFieldRow>
          <InlineField label="Dimension" labelWidth={LABEL_WIDTH}>
            <RadioButtonGroup<Dimension>
              options={dimensionOptions}
              value={migrated.dimension ?? 'service'}
              onChange={(v) => update({ dimension: v })}
            />
          </InlineField>
        </InlineFieldRow>
      )}
      {queryType !== 'values' && <FiltersRow query={migrated} onUpdate={update} datasource={datasource} />}
    </Stack>
  );
}

interface RowProps {
  query: FourKeysQuery;
  onUpdate: (patch: Partial<FourKeysQuery>, run?: boolean) => void;
}

function AggregationField({ query, onUpdate }: RowProps) {
  return (
    <InlineField label="Aggregation" labelWidth={LABEL_WIDTH} tooltip="How durations are reduced to one number">
      <Combobox<Aggregation>
        id="fourkeys-aggregation"
        width={20}
        options={AGGREGATIONS.map((a) => ({ label: aggregationLabels[a], value: a }))}
        value={query.aggregation ?? 'median'}
        onChange={(o) => onUpdate({ aggregation: o.value })}
      />
    </InlineField>
  );
}

function MetricRow({ query, onUpdate }: RowProps) {
  const info = metricInfo(query.metric);
  return (
    <>
      <InlineFieldRow>
        <InlineField label="Metric" labelWidth={LABEL_WIDTH}>
          <Combobox<string>
            id="fourkeys-metric"
            width={40}
            options={metricOptions}
            value={query.metric ?? null}
            placeholder="Choose a metric"
            onChange={(o) => onUpdate({ metric: o.value })}
          />
        </InlineField>
        {info?.kind === 'duration' && <AggregationField query={query} onUpdate={onUpdate} />}
      </InlineFieldRow>
      <MetricDefinitions ids={info ? [info.id] : []} />
    </>
  );
}

function MetricsRow({ query, onUpdate }: RowProps) {
  const ids = query.metrics ?? (query.metric ? [query.metric] : []);
  const hasDuration = ids.length === 0 || ids.some((id) => metricInfo(id)?.kind === 'duration');
  return (
    <>
      <InlineFieldRow>
        <InlineField label="Metrics" labelWidth={LABEL_WIDTH} tooltip="Leave empty for every metric">
          <MultiCombobox<string>
            id="fourkeys-metrics"
            width={60}
            options={metricOptions}
            value={ids}
            placeholder="All metrics"
            onChange={(opts) => onUpdate({ metrics: opts.map((o) => o.value), metric: undefined })}
          />
        </InlineField>
        {hasDuration && <AggregationField query={query} onUpdate={onUpdate} />}
      </InlineFieldRow>
      <MetricDefinitions ids={ids} />
    </>
  );
}

/** MetricDefinitions states what each chosen metric measures, so nobody has to look it up. */
function MetricDefinitions({ ids }: { ids: string[] }) {
  const infos = ids.map(metricInfo).filter((m) => m !== undefined);
  if (infos.length === 0) {
    return null;
  }
  return (
    <div data-testid="metric-definitions" style={{ margin: '0 0 8px 4px' }}>
      {infos.map((m) => (
        <div key={m.id}>
          <Text variant="bodySmall" color="secondary">
            <strong>{m.name}</strong>: {m.definition}
          </Text>
        </div>
      ))}
    </div>
  );
}

function GroupByRow({ query, onUpdate }: RowProps) {
  const ids =
    query.queryType === 'summary' ? (query.metrics ?? (query.metric ? [query.metric] : [])) : [query.metric ?? ''];
  const allowed = groupableBy(ids.filter(Boolean));
  return (
    <InlineFieldRow>
      <InlineField
        label="Group by"
        labelWidth={LABEL_WIDTH}
        tooltip="One series or value per combination; only the dimensions the metric has are offered"
      >
        <MultiCombobox<Dimension>
          id="fourkeys-group-by"
          width={40}
          options={dimensionOptions.filter((o) => allowed.includes(o.value))}
          value={query.groupBy ?? []}
          placeholder="No grouping"
          onChange={(opts) => {
            const groupBy = opts.map((o) => o.value);
            onUpdate({ groupBy: groupBy.length > 0 ? groupBy : undefined });
          }}
        />
      </InlineField>
    </InlineFieldRow>
  );
}

function TimeRow({ query, onUpdate }: RowProps) {
  const windowProblem = windowError(query.window);
  const bucketProblem = bucketError(query.bucket);
  const custom = query.bucket && !bucketOptions.some((o) => o.value === query.bucket);
  return (
    <InlineFieldRow>
      <InlineField label="Bucket" labelWidth={LABEL_WIDTH} invalid={!!bucketProblem} error={bucketProblem}>
        <Combobox<string>
          id="fourkeys-bucket"
          width={14}
          createCustomValue
          options={custom ? [...bucketOptions, { label: query.bucket, value: query.bucket! }] : bucketOptions}
          value={query.bucket ?? 'auto'}
          onChange={(o) => onUpdate({ bucket: o.value }, !bucketError(o.value))}
        />
      </InlineField>
      <InlineField
        label="Trailing window"
        labelWidth={LABEL_WIDTH}
        tooltip="Each point aggregates this much history, for example 30d. Empty: the bucket alone."
        invalid={!!windowProblem}
        error={windowProblem}
      >
        <Input
          id="fourkeys-window"
          width={14}
          placeholder="none"
          defaultValue={query.window ?? ''}
          onBlur={(e) => {
            const window = e.currentTarget.value.trim();
            onUpdate({ window: window || undefined }, !windowError(window));
          }}
        />
      </InlineField>
      <InlineField
        label="Time zone"
        labelWidth={LABEL_WIDTH}
        tooltip="Where days and weeks start. Empty: the dashboard's time zone; alert rules use UTC."
      >
        <Input
          id="fourkeys-timezone"
          width={22}
          placeholder="Dashboard time zone"
          defaultValue={query.timezone ?? ''}
          onBlur={(e) => onUpdate({ timezone: e.currentTarget.value.trim() || undefined })}
        />
      </InlineField>
    </InlineFieldRow>
  );
}

function EventsRow({ query, onUpdate }: RowProps) {
  return (
    <InlineFieldRow>
      <InlineField label="Table" labelWidth={LABEL_WIDTH}>
        <RadioButtonGroup<EventTable>
          options={EVENT_TABLES.map((t) => ({ label: tableLabels[t], value: t }))}
          value={query.table ?? 'changes'}
          onChange={(v) => onUpdate({ table: v })}
        />
      </InlineField>
      <InlineField label="Limit" labelWidth={LABEL_WIDTH} tooltip="At most 100000 rows, newest first">
        <Input
          id="fourkeys-limit"
          type="number"
          width={12}
          min={1}
          max={100000}
          placeholder="1000"
          defaultValue={query.limit ?? ''}
          onBlur={(e) => {
            const limit = Number(e.currentTarget.value);
            onUpdate({ limit: limit > 0 ? Math.min(limit, 100000) : undefined });
          }}
        />
      </InlineField>
    </InlineFieldRow>
  );
}

function FiltersRow({ query, onUpdate, datasource }: RowProps & { datasource: DataSource }) {
  const cache = useRef(new Map<Dimension, Promise<Array<ComboboxOption<string>>>>());
  const loaders = useMemo(() => {
    const load = (d: Dimension) => async (input: string) => {
      if (!cache.current.has(d)) {
        const values = datasource
          .getValues(d)
          .then((found) => found.map((v) => ({ label: String(v.text), value: String(v.value ?? v.text) })))
          .catch(() => []);
        cache.current.set(d, values);
      }
      const options = [...variableOptions(), ...(await cache.current.get(d)!)];
      const needle = input.toLowerCase();
      return options.filter((o) => (o.label ?? o.value).toLowerCase().includes(needle));
    };
    return Object.fromEntries(DIMENSIONS.map((d) => [d, load(d)])) as Record<
      Dimension,
      (input: string) => Promise<Array<ComboboxOption<string>>>
    >;
  }, [datasource]);
  const [added, setAdded] = useState<Dimension[]>([]);
  const shown = DIMENSIONS.filter((d) => query.filters?.[d]?.length || added.includes(d));
  const free = DIMENSIONS.filter((d) => !shown.includes(d));
  const remove = (d: Dimension) => {
    setAdded(added.filter((a) => a !== d));
    onUpdate({ filters: setFilter(query.filters, d, []) });
  };
  return (
    <>
      {shown.map((d) => (
        <InlineFieldRow key={d}>
          <InlineField label={dimensionLabels[d]} labelWidth={LABEL_WIDTH} tooltip="Any of these values">
            <MultiCombobox<string>
              id={`fourkeys-filter-${d}`}
              width={40}
              createCustomValue
              options={loaders[d]}
              value={query.filters?.[d] ?? []}
              placeholder="Any value"
              onChange={(opts) =>
                onUpdate({
                  filters: setFilter(
                    query.filters,
                    d,
                    opts.map((o) => o.value)
                  ),
                })
              }
            />
          </InlineField>
          <IconButton
            name="times"
            tooltip={`Remove the ${dimensionLabels[d].toLowerCase()} filter`}
            onClick={() => remove(d)}
          />
        </InlineFieldRow>
      ))}
      {free.length > 0 && (
        <InlineFieldRow>
          <InlineField label="Filter" labelWidth={LABEL_WIDTH} tooltip="Narrow the events by service, team and more">
            <Combobox<Dimension>
              id="fourkeys-add-filter"
              width={24}
              options={free.map((d) => ({ label: dimensionLabels[d], value: d }))}
              value={null}
              placeholder="Add a filter"
              onChange={(o) => setAdded([...added, o.value])}
            />
          </InlineField>
        </InlineFieldRow>
      )}
    </>
  );
}
