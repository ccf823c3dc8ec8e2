import { SelectableValue } from '@grafana/data';
import { Button, Field, FieldSet, Input, RadioButtonGroup, Stack, TagsInput, Text } from '@grafana/ui';
import React, { FormEvent, useState } from 'react';

import {
  DEFAULT_MLFLOW_AUTH,
  DEFAULT_MLFLOW_BASELINE_ALIAS,
  DEFAULT_MLFLOW_BASELINE_TAG,
  DEFAULT_MLFLOW_DEPLOYED_AT_TAG,
  DEFAULT_MLFLOW_LEGACY_STAGE,
  DEFAULT_MLFLOW_PAGE_SIZE,
  DEFAULT_MLFLOW_POLL_SECONDS,
  DEFAULT_MLFLOW_PRODUCTION_ALIASES,
  DEFAULT_MLFLOW_TIMEOUT_SECONDS,
  MAX_MLFLOW_PAGE_SIZE,
  MAX_MLFLOW_POLL_SECONDS,
  MAX_MLFLOW_TIMEOUT_SECONDS,
  MLFLOW_STAGES_OFF,
  MLflowAuth,
  MLflowConfig,
} from '../types';
import { AdvancedSection, EditorProps, INPUT_WIDTH, NumberField, ROW_INPUT_WIDTH, SecretField } from './fields';

/** ServiceRow is one experiment or registered model name and the service it counts for. */
type ServiceRow = [name: string, service: string];

const authOptions: Array<SelectableValue<MLflowAuth>> = [
  { label: 'None', value: 'none' },
  { label: 'Username and password', value: 'basic', description: "MLflow's basic-auth app, or a proxy" },
  { label: 'Bearer token', value: 'bearer', description: 'A proxy, or a Databricks workspace token' },
];

/** mlflowConfigured tells whether the MLflow section names a server, which is when pkg/settings builds the source. */
export function mlflowConfigured(mlflow?: MLflowConfig): boolean {
  return (mlflow?.url ?? '').trim() !== '';
}

/** definedOnly leaves out the keys a cleared input set to undefined, so that the backend's defaults apply. */
function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** hasCredentials tells whether an address carries a username or password, which jsonData would keep unencrypted. */
function hasCredentials(address?: string): boolean {
  try {
    const u = new URL(address ?? '');
    return u.username !== '' || u.password !== '';
  } catch {
    return false;
  }
}

function textOrUndefined(e: FormEvent<HTMLInputElement>): string | undefined {
  return e.currentTarget.value || undefined;
}

function listOrUndefined(tags: string[]): string[] | undefined {
  return tags.length > 0 ? tags : undefined;
}

/** servicesFromRows keeps the rows that name both sides; of two rows with one name, the later wins. */
function servicesFromRows(rows: ServiceRow[]): Record<string, string> | undefined {
  const pairs = rows
    .map(([name, service]): ServiceRow => [name.trim(), service.trim()])
    .filter(([name, service]) => name !== '' && service !== '');
  return pairs.length > 0 ? Object.fromEntries(pairs) : undefined;
}

function sameServices(a?: Record<string, string>, b?: Record<string, string>): boolean {
  const left = Object.entries(a ?? {});
  const right = b ?? {};
  return left.length === Object.keys(right).length && left.every(([name, service]) => right[name] === service);
}

interface ServiceRowsProps {
  services?: Record<string, string>;
  onChange: (services?: Record<string, string>) => void;
}

/**
 * ServiceRows edits the services mapping as rows. It keeps the rows as typed,
 * half-filled ones included, as long as they mean the saved mapping, and shows
 * the saved mapping otherwise.
 */
function ServiceRows({ services, onChange }: ServiceRowsProps) {
  const saved = Object.entries(services ?? {});
  const [draft, setDraft] = useState<ServiceRow[]>(saved);
  const rows = sameServices(servicesFromRows(draft), services) ? draft : saved;
  const update = (next: ServiceRow[]) => {
    setDraft(next);
    onChange(servicesFromRows(next));
  };
  const setRow = (i: number, row: ServiceRow) => update(rows.map((r, j) => (j === i ? row : r)));
  const repeated = (i: number) =>
    rows.slice(i + 1).some(([name]) => name.trim() !== '' && name.trim() === rows[i][0].trim());

  return (
    <FieldSet label="Services">
      <Text color="secondary" element="p">
        Map an experiment and a registered model to one service so that its runs, versions and promotions count
        together. A name not listed here is a service of its own.
      </Text>
      <Stack direction="column" gap={2} alignItems="flex-start">
        {rows.map(([name, service], i) => (
          <Stack key={i} direction="row" wrap="wrap" gap={1} alignItems="flex-end">
            <Field
              label="Experiment or model"
              invalid={repeated(i)}
              error="Named again below; the last row counts"
              noMargin
            >
              <Input
                id={`mlflow-service-${i}-name`}
                width={ROW_INPUT_WIDTH}
                placeholder="/Users/ana/churn"
                value={name}
                onChange={(e) => setRow(i, [e.currentTarget.value, service])}
              />
            </Field>
            <Field label="Service" noMargin>
              <Input
                id={`mlflow-service-${i}-service`}
                width={ROW_INPUT_WIDTH}
                placeholder="churn"
                value={service}
                onChange={(e) => setRow(i, [name, e.currentTarget.value])}
              />
            </Field>
            <Button
              variant="secondary"
              icon="trash-alt"
              aria-label={`Remove service mapping ${i + 1}`}
              onClick={() => update(rows.filter((_, j) => j !== i))}
            >
              Remove
            </Button>
          </Stack>
        ))}
        <Button variant="secondary" icon="plus" onClick={() => update([...rows, ['', '']])}>
          Add service mapping
        </Button>
      </Stack>
    </FieldSet>
  );
}

interface AdvancedProps {
  mlflow: MLflowConfig;
  onChange: (patch: Partial<MLflowConfig>) => void;
}

/** Advanced holds the limits and MLflow names most data sources leave at their defaults. */
function Advanced({ mlflow, onChange }: AdvancedProps) {
  return (
    <AdvancedSection>
      <NumberField
        id="mlflow-poll-seconds"
        label="Alias check (seconds)"
        description="How often the production aliases are looked at; a move is dated up to this late"
        value={mlflow.pollSeconds}
        max={MAX_MLFLOW_POLL_SECONDS}
        byDefault={DEFAULT_MLFLOW_POLL_SECONDS}
        onChange={(n) => onChange({ pollSeconds: n })}
      />
      <NumberField
        id="mlflow-timeout-seconds"
        label="Timeout (seconds)"
        description={`How long one request to the server may take, at most ${MAX_MLFLOW_TIMEOUT_SECONDS}`}
        value={mlflow.timeoutSeconds}
        byDefault={DEFAULT_MLFLOW_TIMEOUT_SECONDS}
        max={MAX_MLFLOW_TIMEOUT_SECONDS}
        onChange={(n) => onChange({ timeoutSeconds: n })}
      />
      <NumberField
        id="mlflow-page-size"
        label="Page size"
        description="How many items one search asks for (max_results); lower it when answers grow too large"
        value={mlflow.pageSize}
        byDefault={DEFAULT_MLFLOW_PAGE_SIZE}
        max={MAX_MLFLOW_PAGE_SIZE}
        onChange={(n) => onChange({ pageSize: n })}
      />
      <Field
        label="Production stage"
        description={`The model stage that means production on servers that still use stages; "${MLFLOW_STAGES_OFF}" ignores stages`}
      >
        <Input
          id="mlflow-legacy-stage"
          width={ROW_INPUT_WIDTH}
          placeholder={DEFAULT_MLFLOW_LEGACY_STAGE}
          value={mlflow.legacyStage ?? ''}
          onChange={(e) => onChange({ legacyStage: textOrUndefined(e) })}
        />
      </Field>
      <Field label="Baseline alias" description="The alias that marks a model's baseline version">
        <Input
          id="mlflow-baseline-alias"
          width={ROW_INPUT_WIDTH}
          placeholder={DEFAULT_MLFLOW_BASELINE_ALIAS}
          value={mlflow.baselineAlias ?? ''}
          onChange={(e) => onChange({ baselineAlias: textOrUndefined(e) })}
        />
      </Field>
      <Field
        label="Baseline tag"
        description="The version tag that marks the baseline version; an RFC 3339 time as its value dates the baseline"
      >
        <Input
          id="mlflow-baseline-tag"
          width={ROW_INPUT_WIDTH}
          placeholder={DEFAULT_MLFLOW_BASELINE_TAG}
          value={mlflow.baselineTag ?? ''}
          onChange={(e) => onChange({ baselineTag: textOrUndefined(e) })}
        />
      </Field>
      <Field
        label="Deployment time tag"
        description="A version tag holding the RFC 3339 time the version first went live, which then dates its promotion"
      >
        <Input
          id="mlflow-deployed-at-tag"
          width={ROW_INPUT_WIDTH}
          placeholder={DEFAULT_MLFLOW_DEPLOYED_AT_TAG}
          value={mlflow.deployedAtTag ?? ''}
          onChange={(e) => onChange({ deployedAtTag: textOrUndefined(e) })}
        />
      </Field>
    </AdvancedSection>
  );
}

/** MLflowSettings is the config editor's section for the MLflow source (docs/sources/mlflow.md). */
export function MLflowSettings(props: EditorProps) {
  const { options, onOptionsChange } = props;
  const mlflow = options.jsonData.mlflow ?? {};
  const auth: MLflowAuth = mlflow.auth ?? DEFAULT_MLFLOW_AUTH;
  const setMLflow = (patch: Partial<MLflowConfig>) =>
    onOptionsChange({ ...options, jsonData: { ...options.jsonData, mlflow: definedOnly({ ...mlflow, ...patch }) } });

  return (
    <FieldSet label="MLflow">
      <Text color="secondary" element="p">
        Runs and experiments become runs and kickoffs, model versions become changes of type model, and each move of a
        production alias is a deployment to the production environment set under Measurement. Everything is read only.
      </Text>
      <Field
        label="Tracking server"
        description="The server's base address, without /api/2.0/mlflow; empty: no MLflow"
        invalid={hasCredentials(mlflow.url)}
        error="Leave the username and password out of the address and set them under Authentication"
      >
        <Input
          id="mlflow-url"
          width={INPUT_WIDTH}
          placeholder="http://mlflow:5000"
          value={mlflow.url ?? ''}
          onChange={(e) => setMLflow({ url: textOrUndefined(e) })}
        />
      </Field>
      <Field label="Authentication">
        <RadioButtonGroup<MLflowAuth> options={authOptions} value={auth} onChange={(v) => setMLflow({ auth: v })} />
      </Field>
      {auth === 'basic' && (
        <>
          <Field label="Username">
            <Input
              id="mlflow-username"
              width={INPUT_WIDTH}
              value={mlflow.username ?? ''}
              onChange={(e) => setMLflow({ username: textOrUndefined(e) })}
            />
          </Field>
          <SecretField
            editor={props}
            secret="mlflowPassword"
            id="mlflow-password"
            label="Password"
            description="Stored encrypted and never shown again"
          />
        </>
      )}
      {auth === 'bearer' && (
        <SecretField
          editor={props}
          secret="mlflowToken"
          id="mlflow-token"
          label="Token"
          description="Sent as Authorization: Bearer; stored encrypted and never shown again"
          placeholder="dapi…"
        />
      )}

      <Field
        label="Experiments"
        description="Names or ids of the experiments to read, each added with Enter; empty reads all. Give a name over 50 characters by its id."
      >
        <TagsInput
          id="mlflow-experiments"
          width={INPUT_WIDTH}
          addOnBlur
          placeholder="all experiments"
          tags={mlflow.experiments ?? []}
          onChange={(tags) => setMLflow({ experiments: listOrUndefined(tags) })}
        />
      </Field>
      <Field
        label="Registered models"
        description="Names of the models to read, each added with Enter; empty reads all"
      >
        <TagsInput
          id="mlflow-models"
          width={INPUT_WIDTH}
          addOnBlur
          placeholder="all models"
          tags={mlflow.models ?? []}
          onChange={(tags) => setMLflow({ models: listOrUndefined(tags) })}
        />
      </Field>
      <Field
        label="Production aliases"
        description={`Moving one of these aliases to a version deploys that version; empty means ${DEFAULT_MLFLOW_PRODUCTION_ALIASES.join(' and ')}`}
      >
        <TagsInput
          id="mlflow-production-aliases"
          width={INPUT_WIDTH}
          addOnBlur
          placeholder={DEFAULT_MLFLOW_PRODUCTION_ALIASES.join(', ')}
          tags={mlflow.productionAliases ?? []}
          onChange={(tags) => setMLflow({ productionAliases: listOrUndefined(tags) })}
        />
      </Field>

      <ServiceRows services={mlflow.services} onChange={(services) => setMLflow({ services })} />
      <Advanced mlflow={mlflow} onChange={setMLflow} />
    </FieldSet>
  );
}
