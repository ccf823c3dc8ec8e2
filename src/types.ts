import { DataSourceJsonData } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

/** QUERY_VERSION is the version of the query contract this frontend writes (docs/queries.md). */
export const QUERY_VERSION = 1;

export type QueryType = 'timeseries' | 'summary' | 'events' | 'annotations' | 'values';
export type Aggregation = 'median' | 'p75' | 'p90' | 'mean' | 'min' | 'max';
export type Dimension = 'service' | 'team' | 'environment' | 'changeType' | 'model';
export type EventTable = 'changes' | 'deployments' | 'incidents' | 'runs' | 'milestones';

export const QUERY_TYPES: QueryType[] = ['timeseries', 'summary', 'events', 'annotations', 'values'];
export const AGGREGATIONS: Aggregation[] = ['median', 'p75', 'p90', 'mean', 'min', 'max'];
export const DIMENSIONS: Dimension[] = ['service', 'team', 'environment', 'changeType', 'model'];
export const EVENT_TABLES: EventTable[] = ['changes', 'deployments', 'incidents', 'runs', 'milestones'];

/** Filters holds one list of accepted values per dimension; an empty or absent list matches everything. */
export type Filters = Partial<Record<Dimension, string[]>>;

/**
 * FourKeysQuery is the JSON body of one query. It mirrors pkg/query.Model field
 * for field, because alert rules store exactly this object and send it to the
 * backend without any frontend code running.
 */
export interface FourKeysQuery extends DataQuery {
  version?: number;
  queryType?: QueryType;
  metric?: string;
  metrics?: string[];
  aggregation?: Aggregation;
  groupBy?: Dimension[];
  filters?: Filters;
  bucket?: string;
  window?: string;
  timezone?: string;
  table?: EventTable;
  dimension?: Dimension;
  limit?: number;
}

export type FeedAuth = 'none' | 'bearer' | 'basic';

/** FeedSettings point the data source at an HTTP feed of canonical events. */
export interface FeedSettings {
  url?: string;
  auth?: FeedAuth;
  username?: string;
  timeoutSeconds?: number;
  maxBytes?: number;
}

export type GitHubAuth = 'token' | 'app';
export type GitHubDeploymentsFrom = 'deployments' | 'releases' | 'workflow';

/** GitHubPaths maps the files of a monorepo that match any of the globs to a service. */
export interface GitHubPaths {
  globs?: string[];
  service?: string;
  team?: string;
}

/** GitHubDeployments is one rule for what counts as a deployment of a repository. */
export interface GitHubDeployments {
  from?: GitHubDeploymentsFrom;
  /** GitHub environment names mapped to the names the metrics use, for the Deployments API. */
  environments?: Record<string, string>;
  workflow?: string;
  environment?: string;
  tagPrefix?: string;
  service?: string;
}

/** GitHubRepository is one owner/name, or owner/pattern such as acme/ml-*, to read. */
export interface GitHubRepository {
  repo?: string;
  service?: string;
  team?: string;
  paths?: GitHubPaths[];
  deployments?: GitHubDeployments[];
  incidentLabel?: string;
}

/** GitHubConfig points the data source at repositories on github.com or a GitHub Enterprise Server. */
export interface GitHubConfig {
  baseUrl?: string;
  auth?: GitHubAuth;
  appId?: number;
  installationId?: number;
  repositories?: GitHubRepository[];
  incidentLabel?: string;
  lookbackDays?: number;
  historyDays?: number;
  maxInFlight?: number;
  timeoutSeconds?: number;
}

export type MLflowAuth = 'none' | 'basic' | 'bearer';

/**
 * MLflowConfig points the data source at an MLflow tracking server (docs/sources/mlflow.md).
 * Where the alias history is kept is not here but in grafana.ini: a path on the
 * Grafana server is for its operator to choose, not for whoever edits a data source.
 */
export interface MLflowConfig {
  /** url is the server's base address, without /api/2.0/mlflow. */
  url?: string;
  auth?: MLflowAuth;
  username?: string;
  /** experiments are the names or ids of the experiments to read; empty reads all. */
  experiments?: string[];
  /** models are the names of the registered models to read; empty reads all. */
  models?: string[];
  /** services maps an experiment or registered model name to a service. */
  services?: Record<string, string>;
  productionAliases?: string[];
  /** legacyStage is the stage that means production on servers with stages; MLFLOW_STAGES_OFF ignores stages. */
  legacyStage?: string;
  baselineAlias?: string;
  baselineTag?: string;
  deployedAtTag?: string;
  pollSeconds?: number;
  timeoutSeconds?: number;
  pageSize?: number;
}

/** FourKeysOptions are the data source settings stored in jsonData. All are optional. */
export interface FourKeysOptions extends DataSourceJsonData {
  demo?: boolean;
  feed?: FeedSettings;
  github?: GitHubConfig;
  mlflow?: MLflowConfig;
  environment?: string;
  attributionWindowHours?: number;
  cacheSeconds?: number;
}

/** FourKeysSecrets are written once and never sent back to the browser. */
export interface FourKeysSecrets {
  feedToken?: string;
  feedPassword?: string;
  githubToken?: string;
  githubAppPrivateKey?: string;
  mlflowPassword?: string;
  mlflowToken?: string;
}

export const DEFAULT_ENVIRONMENT = 'production';
export const DEFAULT_ATTRIBUTION_WINDOW_HOURS = 72;
export const DEFAULT_CACHE_SECONDS = 300;
export const DEFAULT_FEED_TIMEOUT_SECONDS = 30;
export const DEFAULT_FEED_MAX_BYTES = 256 * 1024 * 1024;
export const DEFAULT_GITHUB_INCIDENT_LABEL = 'incident';
export const DEFAULT_GITHUB_LOOKBACK_DAYS = 90;
export const DEFAULT_GITHUB_HISTORY_DAYS = 180;
export const DEFAULT_GITHUB_MAX_IN_FLIGHT = 4;
export const DEFAULT_GITHUB_TIMEOUT_SECONDS = 120;
/** MAX_GITHUB_IN_FLIGHT is the most requests at once pkg/settings accepts. */
export const MAX_GITHUB_IN_FLIGHT = 20;
export const DEFAULT_MLFLOW_AUTH: MLflowAuth = 'none';
export const DEFAULT_MLFLOW_PRODUCTION_ALIASES: readonly string[] = ['champion', 'production'];
export const DEFAULT_MLFLOW_LEGACY_STAGE = 'Production';
/** MLFLOW_STAGES_OFF as the legacy stage tells the backend to ignore model stages. */
export const MLFLOW_STAGES_OFF = '-';
export const DEFAULT_MLFLOW_BASELINE_ALIAS = 'baseline';
export const DEFAULT_MLFLOW_BASELINE_TAG = 'baseline';
export const DEFAULT_MLFLOW_DEPLOYED_AT_TAG = 'deployed_at';
export const DEFAULT_MLFLOW_POLL_SECONDS = 60;
export const DEFAULT_MLFLOW_TIMEOUT_SECONDS = 30;
export const DEFAULT_MLFLOW_PAGE_SIZE = 1000;
/** MAX_MLFLOW_PAGE_SIZE is the largest page size pkg/settings accepts, the most runs/search returns. */
export const MAX_MLFLOW_PAGE_SIZE = 50000;
/** MAX_MLFLOW_POLL_SECONDS is the longest alias check interval pkg/settings accepts: a day. */
export const MAX_MLFLOW_POLL_SECONDS = 86400;
/** MAX_MLFLOW_TIMEOUT_SECONDS is the longest request timeout pkg/settings accepts: one whole fetch. */
export const MAX_MLFLOW_TIMEOUT_SECONDS = 300;
