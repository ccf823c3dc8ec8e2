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

/** FourKeysOptions are the data source settings stored in jsonData. All are optional. */
export interface FourKeysOptions extends DataSourceJsonData {
  demo?: boolean;
  feed?: FeedSettings;
  github?: GitHubConfig;
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
