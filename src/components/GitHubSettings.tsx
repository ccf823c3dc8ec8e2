import {
  SelectableValue,
  onUpdateDatasourceSecureJsonDataOption,
  updateDatasourcePluginResetOption,
} from '@grafana/data';
import { Button, Field, FieldSet, Input, RadioButtonGroup, SecretTextArea, Stack, Text } from '@grafana/ui';
import React, { FormEvent, useState } from 'react';

import {
  DEFAULT_ENVIRONMENT,
  DEFAULT_GITHUB_HISTORY_DAYS,
  DEFAULT_GITHUB_INCIDENT_LABEL,
  DEFAULT_GITHUB_LOOKBACK_DAYS,
  DEFAULT_GITHUB_MAX_IN_FLIGHT,
  DEFAULT_GITHUB_TIMEOUT_SECONDS,
  GitHubAuth,
  GitHubConfig,
  GitHubDeployments,
  GitHubDeploymentsFrom,
  GitHubPaths,
  GitHubRepository,
  MAX_GITHUB_IN_FLIGHT,
} from '../types';
import { AdvancedSection, EditorProps, INPUT_WIDTH, NumberField, ROW_INPUT_WIDTH, SecretField } from './fields';
import { wholeOrUndefined } from './numbers';

type DeploymentsChoice = GitHubDeploymentsFrom | 'none';

const authOptions: Array<SelectableValue<GitHubAuth>> = [
  { label: 'Personal access token', value: 'token' },
  { label: 'GitHub App', value: 'app' },
];

const deploymentsOptions: Array<SelectableValue<DeploymentsChoice>> = [
  { label: 'None', value: 'none', description: 'Changes and incidents only' },
  { label: 'Deployments API', value: 'deployments' },
  { label: 'Releases', value: 'releases' },
  { label: 'Workflow runs', value: 'workflow' },
];

/**
 * githubConfigured tells whether the GitHub section names a repository, which is
 * when pkg/settings builds the GitHub source.
 */
export function githubConfigured(github?: GitHubConfig): boolean {
  return (github?.repositories ?? []).some((r) => (r.repo ?? '').trim() !== '');
}

/** parsePairs reads "a=b, c=d" into pairs, skipping entries without a left side. */
function parsePairs(text: string): Array<[string, string]> {
  return text
    .split(',')
    .map((part): [string, string] => {
      const [left, ...right] = part.split('=');
      return [left.trim(), right.join('=').trim()];
    })
    .filter(([left]) => left !== '');
}

function formatPairs(pairs: Array<[string, string]>): string {
  return pairs.map(([left, right]) => `${left}=${right}`).join(', ');
}

function environmentsFromText(text: string): Record<string, string> | undefined {
  const pairs = parsePairs(text);
  return pairs.length > 0 ? Object.fromEntries(pairs) : undefined;
}

function environmentsToText(environments?: Record<string, string>): string {
  return formatPairs(Object.entries(environments ?? {}));
}

/**
 * pathsFromText reads "glob=service:team" pairs (the team is optional) into one
 * path mapping per service. A service takes the first team any of its globs names.
 */
function pathsFromText(text: string): GitHubPaths[] | undefined {
  const byService = new Map<string, GitHubPaths>();
  for (const [glob, target] of parsePairs(text)) {
    const [service, ...team] = target.split(':').map((part) => part.trim());
    const paths = byService.get(service) ?? { globs: [], service };
    paths.globs = [...(paths.globs ?? []), glob];
    paths.team = paths.team || team.join(':') || undefined;
    byService.set(service, paths);
  }
  const out = [...byService.values()].map((p) => (p.team ? p : { globs: p.globs, service: p.service }));
  return out.length > 0 ? out : undefined;
}

/** pathsToText writes the team once, after the first glob of its service. */
function pathsToText(paths?: GitHubPaths[]): string {
  return formatPairs(
    (paths ?? []).flatMap((p) =>
      (p.globs ?? []).map((g, i): [string, string] => [
        g,
        i === 0 && p.team ? `${p.service}:${p.team}` : (p.service ?? ''),
      ])
    )
  );
}

interface PairsInputProps {
  id: string;
  placeholder: string;
  /** text is the saved value written out; the input keeps what the user typed while it means the same. */
  text: string;
  /** normalize writes text out as it would be saved. */
  normalize: (text: string) => string;
  onChange: (text: string) => void;
}

/**
 * PairsInput edits a comma-separated list of key=value pairs. It shows the
 * user's own text, trailing comma and all, as long as that text reads as the
 * saved value, and the saved value otherwise.
 */
function PairsInput({ id, placeholder, text, normalize, onChange }: PairsInputProps) {
  const [draft, setDraft] = useState(text);
  const shown = normalize(draft) === text ? draft : text;
  return (
    <Input
      id={id}
      width={INPUT_WIDTH}
      placeholder={placeholder}
      value={shown}
      onChange={(e) => {
        setDraft(e.currentTarget.value);
        onChange(e.currentTarget.value);
      }}
    />
  );
}

interface DeploymentRuleProps {
  /** id prefixes the ids of the rule's inputs. */
  id: string;
  label: string;
  rule?: GitHubDeployments;
  /** alone is set for a repository's only rule, which None removes. */
  alone: boolean;
  onChange: (rule?: GitHubDeployments) => void;
  onRemove?: () => void;
}

function DeploymentRule({ id, label, rule, alone, onChange, onRemove }: DeploymentRuleProps) {
  const choice: DeploymentsChoice = rule?.from ?? 'none';
  const options = alone ? deploymentsOptions : deploymentsOptions.filter((o) => o.value !== 'none');
  const set = (patch: Partial<GitHubDeployments>) => onChange({ ...rule, ...patch });
  const text = (e: FormEvent<HTMLInputElement>) => e.currentTarget.value || undefined;

  return (
    <FieldSet label={label}>
      <Stack direction="row" wrap="wrap" gap={1} alignItems="flex-end">
        <Field label="Deployments from">
          <RadioButtonGroup<DeploymentsChoice>
            options={options}
            value={choice}
            onChange={(v) => (v === 'none' ? onChange(undefined) : set({ from: v }))}
          />
        </Field>
        {onRemove && (
          <Button variant="secondary" icon="trash-alt" aria-label={`Remove ${label.toLowerCase()}`} onClick={onRemove}>
            Remove rule
          </Button>
        )}
      </Stack>
      {choice === 'deployments' && (
        <Field
          label="Environments"
          description="GitHub environment=environment of the metrics; only these are read. Empty reads every environment under its own name."
        >
          <PairsInput
            id={`${id}-environments`}
            placeholder="prod=production, staging=staging"
            text={environmentsToText(rule?.environments)}
            normalize={(t) => environmentsToText(environmentsFromText(t))}
            onChange={(t) => set({ environments: environmentsFromText(t) })}
          />
        </Field>
      )}
      {choice === 'workflow' && (
        <Field label="Workflow file" description="The workflow whose completed runs are deployments">
          <Input
            id={`${id}-workflow`}
            width={ROW_INPUT_WIDTH}
            placeholder="deploy.yml"
            value={rule?.workflow ?? ''}
            onChange={(e) => set({ workflow: text(e) })}
          />
        </Field>
      )}
      {choice === 'releases' && (
        <Field label="Tag prefix" description="Only releases whose tag starts with it; empty takes all">
          <Input
            id={`${id}-tag-prefix`}
            width={ROW_INPUT_WIDTH}
            placeholder="churn/"
            value={rule?.tagPrefix ?? ''}
            onChange={(e) => set({ tagPrefix: text(e) })}
          />
        </Field>
      )}
      {choice !== 'none' && (
        <Stack direction="row" wrap="wrap" gap={1}>
          {(choice === 'workflow' || choice === 'releases') && (
            <Field label="Deploys to" description="The environment of these deployments">
              <Input
                id={`${id}-environment`}
                width={ROW_INPUT_WIDTH}
                placeholder={DEFAULT_ENVIRONMENT}
                value={rule?.environment ?? ''}
                onChange={(e) => set({ environment: text(e) })}
              />
            </Field>
          )}
          <Field label="Service deployed" description="Empty means the repository's service">
            <Input
              id={`${id}-service`}
              width={ROW_INPUT_WIDTH}
              value={rule?.service ?? ''}
              onChange={(e) => set({ service: text(e) })}
            />
          </Field>
        </Stack>
      )}
    </FieldSet>
  );
}

interface RepositoryRowProps {
  index: number;
  repo: GitHubRepository;
  onChange: (repo: GitHubRepository) => void;
  onRemove: () => void;
}

function RepositoryRow({ index, repo, onChange, onRemove }: RepositoryRowProps) {
  const id = (field: string) => `github-repo-${index}-${field}`;
  const rules = repo.deployments ?? [];
  const set = (patch: Partial<GitHubRepository>) => onChange({ ...repo, ...patch });
  const setRule = (j: number, rule?: GitHubDeployments) =>
    set({ deployments: rule ? [...rules.slice(0, j), rule, ...rules.slice(j + 1)] : rules.filter((_, k) => k !== j) });
  const text = (e: FormEvent<HTMLInputElement>) => e.currentTarget.value || undefined;

  return (
    <FieldSet label={`Repository ${index + 1}`}>
      <Stack direction="row" wrap="wrap" gap={1} alignItems="flex-end">
        <Field label="Repository">
          <Input
            id={id('repo')}
            width={ROW_INPUT_WIDTH}
            placeholder="owner/name or owner/ml-*"
            value={repo.repo ?? ''}
            onChange={(e) => set({ repo: e.currentTarget.value || undefined })}
          />
        </Field>
        <Field label="Service">
          <Input
            id={id('service')}
            width={ROW_INPUT_WIDTH}
            placeholder="the repository's name"
            value={repo.service ?? ''}
            onChange={(e) => set({ service: text(e) })}
          />
        </Field>
        <Field label="Team">
          <Input
            id={id('team')}
            width={ROW_INPUT_WIDTH}
            value={repo.team ?? ''}
            onChange={(e) => set({ team: text(e) })}
          />
        </Field>
        <Button variant="secondary" icon="trash-alt" aria-label={`Remove repository ${index + 1}`} onClick={onRemove}>
          Remove
        </Button>
      </Stack>
      {(rules.length > 0 ? rules : [undefined]).map((rule, j) => (
        <DeploymentRule
          key={j}
          id={id(`rule-${j}`)}
          label={`Deployment rule ${j + 1}`}
          rule={rule}
          alone={rules.length <= 1}
          onChange={(r) => setRule(j, r)}
          onRemove={rules.length > 1 ? () => setRule(j) : undefined}
        />
      ))}
      {rules.length > 0 && (
        <Button
          variant="secondary"
          icon="plus"
          aria-label={`Add a deployment rule to repository ${index + 1}`}
          onClick={() => set({ deployments: [...rules, { from: 'releases' }] })}
        >
          Add deployment rule
        </Button>
      )}
      <Field
        label="Monorepo paths"
        description="For a repository of several services: glob=service or glob=service:team pairs; a pull request belongs to every service whose globs match its files"
      >
        <PairsInput
          id={id('paths')}
          placeholder="models/churn/**=churn:growth, pipelines/**=features"
          text={pathsToText(repo.paths)}
          normalize={(t) => pathsToText(pathsFromText(t))}
          onChange={(t) => set({ paths: pathsFromText(t) })}
        />
      </Field>
    </FieldSet>
  );
}

interface AdvancedProps {
  github: GitHubConfig;
  onChange: (patch: Partial<GitHubConfig>) => void;
}

/** Advanced holds the limits most data sources leave at their defaults. */
function Advanced({ github, onChange }: AdvancedProps) {
  return (
    <AdvancedSection>
      <NumberField
        id="github-history-days"
        label="History (days)"
        description="Pull requests, deployments and issues older than this are not read"
        value={github.historyDays}
        byDefault={DEFAULT_GITHUB_HISTORY_DAYS}
        onChange={(n) => onChange({ historyDays: n })}
      />
      <NumberField
        id="github-max-in-flight"
        label="Requests at once"
        description={`How many requests to GitHub may run at the same time, at most ${MAX_GITHUB_IN_FLIGHT}`}
        value={github.maxInFlight}
        byDefault={DEFAULT_GITHUB_MAX_IN_FLIGHT}
        max={MAX_GITHUB_IN_FLIGHT}
        onChange={(n) => onChange({ maxInFlight: n })}
      />
      <NumberField
        id="github-timeout-seconds"
        label="Timeout (seconds)"
        description="How long one read of every repository may take, waits on rate limits included"
        value={github.timeoutSeconds}
        byDefault={DEFAULT_GITHUB_TIMEOUT_SECONDS}
        onChange={(n) => onChange({ timeoutSeconds: n })}
      />
    </AdvancedSection>
  );
}

/** GitHubSettings is the config editor's section for the GitHub source (docs/sources/github.md). */
export function GitHubSettings(props: EditorProps) {
  const { options, onOptionsChange } = props;
  const github = options.jsonData.github ?? {};
  const auth: GitHubAuth = github.auth ?? 'token';
  const repos = github.repositories ?? [];
  const configured = options.secureJsonFields ?? {};
  const secrets = options.secureJsonData ?? {};

  const setGitHub = (patch: Partial<GitHubConfig>) =>
    onOptionsChange({ ...options, jsonData: { ...options.jsonData, github: { ...github, ...patch } } });
  const setRepo = (i: number, repo: GitHubRepository) =>
    setGitHub({ repositories: repos.map((r, j) => (j === i ? repo : r)) });

  return (
    <FieldSet label="GitHub">
      <Text color="secondary" element="p">
        Pull requests become changes, deployments come from the Deployments API, releases or workflow runs, and issues
        with the incident label become incidents. Everything is read only.
      </Text>
      <Field label="Server" description="Empty for github.com; for GitHub Enterprise Server, https://your-host">
        <Input
          id="github-base-url"
          width={INPUT_WIDTH}
          placeholder="https://github.com"
          value={github.baseUrl ?? ''}
          onChange={(e) => setGitHub({ baseUrl: e.currentTarget.value || undefined })}
        />
      </Field>
      <Field label="Sign in with">
        <RadioButtonGroup<GitHubAuth> options={authOptions} value={auth} onChange={(v) => setGitHub({ auth: v })} />
      </Field>
      {auth === 'token' && (
        <SecretField
          editor={props}
          secret="githubToken"
          id="github-token"
          label="Token"
          description="A fine-grained token with read access to the repositories; stored encrypted and never shown again"
          placeholder="github_pat_…"
        />
      )}
      {auth === 'app' && (
        <>
          <Field label="App ID" description="On the app's settings page">
            <Input
              id="github-app-id"
              type="number"
              min={1}
              width={16}
              value={github.appId ?? ''}
              onChange={(e) => setGitHub({ appId: wholeOrUndefined(e) })}
            />
          </Field>
          <Field label="Installation ID" description="The number that ends the address of the installation's page">
            <Input
              id="github-installation-id"
              type="number"
              min={1}
              width={16}
              value={github.installationId ?? ''}
              onChange={(e) => setGitHub({ installationId: wholeOrUndefined(e) })}
            />
          </Field>
          <Field
            label="Private key"
            description="The whole .pem file GitHub generated for the app; stored encrypted and never shown again"
          >
            <SecretTextArea
              id="github-private-key"
              rows={5}
              cols={64}
              isConfigured={Boolean(configured.githubAppPrivateKey)}
              value={secrets.githubAppPrivateKey ?? ''}
              placeholder="-----BEGIN RSA PRIVATE KEY-----"
              onReset={() => updateDatasourcePluginResetOption(props, 'githubAppPrivateKey')}
              onChange={onUpdateDatasourceSecureJsonDataOption(props, 'githubAppPrivateKey')}
            />
          </Field>
        </>
      )}

      {repos.map((repo, i) => (
        <RepositoryRow
          key={i}
          index={i}
          repo={repo}
          onChange={(r) => setRepo(i, r)}
          onRemove={() => setGitHub({ repositories: repos.filter((_, j) => j !== i) })}
        />
      ))}
      <Button variant="secondary" icon="plus" onClick={() => setGitHub({ repositories: [...repos, {}] })}>
        Add repository
      </Button>

      <Field label="Incident label" description="Issues with this label are incidents">
        <Input
          id="github-incident-label"
          width={INPUT_WIDTH}
          placeholder={DEFAULT_GITHUB_INCIDENT_LABEL}
          value={github.incidentLabel ?? ''}
          onChange={(e) => setGitHub({ incidentLabel: e.currentTarget.value || undefined })}
        />
      </Field>
      <Field
        label="Lookback (days)"
        description="How far before the first deployment of a service its changes still count as shipped by it"
      >
        <Input
          id="github-lookback-days"
          type="number"
          min={1}
          width={12}
          placeholder={String(DEFAULT_GITHUB_LOOKBACK_DAYS)}
          value={github.lookbackDays ?? ''}
          onChange={(e) => setGitHub({ lookbackDays: wholeOrUndefined(e) })}
        />
      </Field>
      <Advanced github={github} onChange={setGitHub} />
    </FieldSet>
  );
}
