import { ScopedVars } from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';

import { DIMENSIONS, Filters, FourKeysQuery } from './types';

const ALL_VALUE = '$__all';

/** A filter entry that is one variable and nothing else: $name, ${name}, ${name:format} or [[name]]. */
const LONE_VARIABLE = /^(?:\$(\w+)|\$\{(\w+)(?::[\w-]+)?\}|\[\[(\w+)\]\])$/;

/** timezoneOf turns Grafana's dashboard time zone into the IANA name the backend reads. */
export function timezoneOf(dashboardZone: string | undefined): string | undefined {
  if (!dashboardZone) {
    return undefined;
  }
  if (dashboardZone === 'browser') {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  }
  if (dashboardZone.toLowerCase() === 'utc') {
    return 'UTC';
  }
  return dashboardZone;
}

function selectsAll(name: string, scopedVars: ScopedVars): boolean {
  const scoped = scopedVars[name]?.value;
  if (scoped !== undefined) {
    return scoped === ALL_VALUE || (Array.isArray(scoped) && scoped.includes(ALL_VALUE));
  }
  const variable = getTemplateSrv()
    .getVariables()
    .find((v) => v.name === name);
  if (!variable || !('current' in variable) || !variable.current) {
    return false;
  }
  const value = variable.current.value;
  return value === ALL_VALUE || (Array.isArray(value) && value.includes(ALL_VALUE));
}

/**
 * interpolateList expands template variables in one filter list. A lone
 * variable with several values becomes several entries; a variable set to All
 * makes the whole list empty, which the backend reads as "match everything".
 */
export function interpolateList(values: string[], scopedVars: ScopedVars): string[] {
  const out: string[] = [];
  for (const entry of values) {
    const lone = LONE_VARIABLE.exec(entry.trim());
    if (!lone) {
      out.push(getTemplateSrv().replace(entry, scopedVars));
      continue;
    }
    const name = lone[1] ?? lone[2] ?? lone[3];
    if (selectsAll(name, scopedVars)) {
      return [];
    }
    out.push(...expandLone(`$${name}`, scopedVars));
  }
  return Array.from(new Set(out.filter((v) => v !== '')));
}

function expandLone(reference: string, scopedVars: ScopedVars): string[] {
  const text = getTemplateSrv().replace(reference, scopedVars, 'json');
  if (text === reference) {
    // Not a variable of this dashboard: keep the text, as a value may start with $.
    return [reference];
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed)) {
      return parsed.map(String);
    }
    return [String(parsed)];
  } catch {
    return [text];
  }
}

/** interpolateFilters expands template variables in every filter list. */
export function interpolateFilters(filters: Filters | undefined, scopedVars: ScopedVars): Filters | undefined {
  if (!filters) {
    return undefined;
  }
  const out: Filters = {};
  for (const d of DIMENSIONS) {
    const list = filters[d];
    if (list && list.length > 0) {
      out[d] = interpolateList(list, scopedVars);
    }
  }
  return out;
}

/**
 * interpolateQuery returns the query as the backend should get it: variables
 * replaced in every string field a user may type into. Fields that only come
 * from a picker are passed as they are.
 */
export function interpolateQuery(query: FourKeysQuery, scopedVars: ScopedVars): FourKeysQuery {
  const replace = (s: string | undefined) => (s === undefined ? undefined : getTemplateSrv().replace(s, scopedVars));
  const next: FourKeysQuery = {
    ...query,
    bucket: replace(query.bucket),
    window: replace(query.window),
    timezone: replace(query.timezone),
    filters: interpolateFilters(query.filters, scopedVars),
  };
  for (const key of ['bucket', 'window', 'timezone', 'filters'] as const) {
    if (next[key] === undefined) {
      delete next[key];
    }
  }
  return next;
}
