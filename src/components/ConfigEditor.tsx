import { SelectableValue } from '@grafana/data';
import { Field, FieldSet, Input, RadioButtonGroup, Stack, Switch, Text } from '@grafana/ui';
import React from 'react';

import {
  DEFAULT_ATTRIBUTION_WINDOW_HOURS,
  DEFAULT_CACHE_SECONDS,
  DEFAULT_ENVIRONMENT,
  DEFAULT_FEED_MAX_BYTES,
  DEFAULT_FEED_TIMEOUT_SECONDS,
  FeedAuth,
  FeedSettings,
  FourKeysOptions,
} from '../types';
import { GitHubSettings, githubConfigured } from './GitHubSettings';
import { MLflowSettings, mlflowConfigured } from './MLflowSettings';
import { EditorProps, INPUT_WIDTH, SecretField } from './fields';
import { numberOrUndefined } from './numbers';

const MIB = 1024 * 1024;

const authOptions: Array<SelectableValue<FeedAuth>> = [
  { label: 'None', value: 'none' },
  { label: 'Bearer token', value: 'bearer' },
  { label: 'Basic', value: 'basic' },
];

/**
 * demoOn tells whether the demo events are read. The sources add up; the demo
 * is on by default while no feed, GitHub repository or MLflow server is set up,
 * so that a new data source shows something (pkg/settings decides the same way).
 */
export function demoOn(jsonData: FourKeysOptions): boolean {
  const other = jsonData.feed?.url || githubConfigured(jsonData.github) || mlflowConfigured(jsonData.mlflow);
  return jsonData.demo ?? !other;
}

export function ConfigEditor(props: EditorProps) {
  const { options, onOptionsChange } = props;
  const jsonData = options.jsonData;
  const feed = jsonData.feed ?? {};
  const auth: FeedAuth = feed.auth ?? 'none';

  const setJson = (patch: Partial<FourKeysOptions>) =>
    onOptionsChange({ ...options, jsonData: { ...jsonData, ...patch } });
  const setFeed = (patch: Partial<FeedSettings>) => setJson({ feed: { ...feed, ...patch } });

  return (
    <Stack direction="column" gap={2}>
      <Text color="secondary" element="p">
        Events come from every source set up below, added together. Each source has its own section.
      </Text>

      <FieldSet label="Demo data">
        <Field
          label="Demo events"
          description="Generated history of a few ML services, for trying the plugin out. On by default while no feed, GitHub repository or MLflow server is set up."
        >
          <Switch id="demo" value={demoOn(jsonData)} onChange={(e) => setJson({ demo: e.currentTarget.checked })} />
        </Field>
      </FieldSet>

      <FieldSet label="Event feed">
        <Field
          label="URL"
          description="HTTP or HTTPS address that serves canonical events as JSON or NDJSON; empty: no feed"
        >
          <Input
            id="feed-url"
            width={INPUT_WIDTH}
            placeholder="https://events.example.com/fourkeys.jsonl"
            value={feed.url ?? ''}
            onChange={(e) => setFeed({ url: e.currentTarget.value || undefined })}
          />
        </Field>
        <Field label="Authentication">
          <RadioButtonGroup<FeedAuth> options={authOptions} value={auth} onChange={(v) => setFeed({ auth: v })} />
        </Field>
        {auth === 'bearer' && (
          <SecretField
            editor={props}
            secret="feedToken"
            id="feed-token"
            label="Token"
            description="Sent as Authorization: Bearer; stored encrypted and never shown again"
            placeholder="Token"
          />
        )}
        {auth === 'basic' && (
          <>
            <Field label="User">
              <Input
                id="feed-username"
                width={INPUT_WIDTH}
                value={feed.username ?? ''}
                onChange={(e) => setFeed({ username: e.currentTarget.value })}
              />
            </Field>
            <SecretField
              editor={props}
              secret="feedPassword"
              id="feed-password"
              label="Password"
              description="Stored encrypted and never shown again"
              placeholder="Password"
            />
          </>
        )}
        <Field
          label="Timeout (seconds)"
          description={`For the whole answer; default ${DEFAULT_FEED_TIMEOUT_SECONDS}, at most 300`}
        >
          <Input
            id="feed-timeout"
            type="number"
            min={1}
            width={12}
            placeholder={String(DEFAULT_FEED_TIMEOUT_SECONDS)}
            value={feed.timeoutSeconds ?? ''}
            onChange={(e) => setFeed({ timeoutSeconds: numberOrUndefined(e) })}
          />
        </Field>
        <Field label="Largest feed (MiB)" description="A longer answer is refused rather than read into memory">
          <Input
            id="feed-max-mib"
            type="number"
            min={1}
            width={12}
            placeholder={String(DEFAULT_FEED_MAX_BYTES / MIB)}
            value={feed.maxBytes === undefined ? '' : feed.maxBytes / MIB}
            onChange={(e) => {
              const mib = numberOrUndefined(e);
              setFeed({ maxBytes: mib === undefined ? undefined : Math.round(mib * MIB) });
            }}
          />
        </Field>
      </FieldSet>

      <GitHubSettings {...props} />

      <MLflowSettings {...props} />

      <FieldSet label="Measurement">
        <Field
          label="Production environment"
          description="Deployments to this environment count when a query names none"
        >
          <Input
            id="environment"
            width={INPUT_WIDTH}
            placeholder={DEFAULT_ENVIRONMENT}
            value={jsonData.environment ?? ''}
            onChange={(e) => setJson({ environment: e.currentTarget.value || undefined })}
          />
        </Field>
        <Field
          label="Incident attribution window (hours)"
          description="How long after a deployment an incident that names none is blamed on it; 0 turns this off"
        >
          <Input
            id="attribution-window"
            type="number"
            min={0}
            width={12}
            placeholder={String(DEFAULT_ATTRIBUTION_WINDOW_HOURS)}
            value={jsonData.attributionWindowHours ?? ''}
            onChange={(e) => setJson({ attributionWindowHours: numberOrUndefined(e) })}
          />
        </Field>
        <Field
          label="Cache (seconds)"
          description="How long events read from the source are reused; 0 reads every time"
        >
          <Input
            id="cache-seconds"
            type="number"
            min={0}
            width={12}
            placeholder={String(DEFAULT_CACHE_SECONDS)}
            value={jsonData.cacheSeconds ?? ''}
            onChange={(e) => setJson({ cacheSeconds: numberOrUndefined(e) })}
          />
        </Field>
      </FieldSet>
    </Stack>
  );
}
