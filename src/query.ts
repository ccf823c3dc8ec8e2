import { DIMENSIONS, Dimension, Filters, FourKeysQuery, QUERY_VERSION } from './types';

/** DEFAULT_QUERY is what a new panel query starts from. */
export const DEFAULT_QUERY: Partial<FourKeysQuery> = {
  version: QUERY_VERSION,
  queryType: 'timeseries',
  metric: 'lead_time',
  aggregation: 'median',
  bucket: 'auto',
};

/**
 * migrateQuery brings a saved query up to QUERY_VERSION. Version 1 is the first
 * contract, so today it only stamps the version; a later contract adds its
 * rewrite here, keyed on the version it reads. A query from a newer plugin is
 * left alone so that the backend can say to update the plugin.
 */
export function migrateQuery(query: FourKeysQuery): FourKeysQuery {
  const version = query.version ?? 1;
  if (version > QUERY_VERSION) {
    return query;
  }
  return { ...query, version: QUERY_VERSION };
}

const DAY = 86400;
const YEAR = 365.25 * DAY;
const dateUnits: Record<string, number> = { d: DAY, w: 7 * DAY, M: YEAR / 12, y: YEAR };
const clockUnits: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/**
 * parseDuration reads a duration the way the backend does (the SDK's gtime):
 * a whole number of days, weeks, months or years such as 30d, or a Go
 * duration such as 12h or 1h30m. It returns seconds, or undefined.
 */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  const date = /^(\d+)([dwMy])$/.exec(s);
  if (date) {
    return Number(date[1]) * dateUnits[date[2]];
  }
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(s)) {
    return undefined;
  }
  let seconds = 0;
  for (const part of s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
    seconds += Number(part[1]) * clockUnits[part[2]];
  }
  return seconds;
}

/**
 * windowError explains why a trailing window is not accepted, or returns
 * undefined. An empty window means no trailing window. It follows the rules
 * of pkg/query so that the editor says what the backend would say.
 */
export function windowError(window: string | undefined): string | undefined {
  if (!window || window.trim() === '') {
    return undefined;
  }
  const seconds = parseDuration(window);
  if (seconds === undefined || seconds <= 0) {
    return `"${window}" is not a duration: leave it empty, or write for example 7d, 30d or 12h`;
  }
  return undefined;
}

/** bucketError explains why a bucket is not accepted, or returns undefined. */
export function bucketError(bucket: string | undefined): string | undefined {
  if (!bucket || bucket.trim() === '' || bucket.trim() === 'auto') {
    return undefined;
  }
  const step = parseDuration(bucket);
  if (step === undefined || step <= 0) {
    return `"${bucket}" is not a duration: write auto, or for example 1h, 1d, 1w or 30d`;
  }
  if (step < 60) {
    return 'the smallest bucket is 1m';
  }
  if (step < DAY && DAY % step !== 0) {
    return 'a bucket shorter than a day must divide 24h evenly';
  }
  if (step > DAY && step % DAY !== 0) {
    return 'a bucket longer than a day must be whole days';
  }
  return undefined;
}

/** setFilter returns filters with the list of one dimension replaced; an empty list is dropped. */
export function setFilter(filters: Filters | undefined, dimension: Dimension, values: string[]): Filters | undefined {
  const next: Filters = { ...filters };
  if (values.length > 0) {
    next[dimension] = values;
  } else {
    delete next[dimension];
  }
  return DIMENSIONS.some((d) => next[d]?.length) ? next : undefined;
}
