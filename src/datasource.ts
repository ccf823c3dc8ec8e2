import {
  CoreApp,
  DataQueryRequest,
  DataQueryResponse,
  DataSourceInstanceSettings,
  MetricFindValue,
  ScopedVars,
  dateTime,
} from '@grafana/data';
import { DataSourceWithBackend } from '@grafana/runtime';
import { Observable, lastValueFrom } from 'rxjs';

import { annotationSupport } from './annotations';
import { interpolateQuery, timezoneOf } from './interpolate';
import { DEFAULT_QUERY, migrateQuery } from './query';
import { Dimension, FourKeysOptions, FourKeysQuery } from './types';
import { FourKeysVariableSupport } from './variables';

/** VALUES_RANGE_DAYS is how far back getValues asks; the backend lists values over all events anyway. */
const VALUES_RANGE_DAYS = 365;

export class DataSource extends DataSourceWithBackend<FourKeysQuery, FourKeysOptions> {
  constructor(instanceSettings: DataSourceInstanceSettings<FourKeysOptions>) {
    super(instanceSettings);
    this.annotations = annotationSupport;
    this.variables = new FourKeysVariableSupport(this);
  }

  getDefaultQuery(_app: CoreApp): Partial<FourKeysQuery> {
    return DEFAULT_QUERY;
  }

  filterQuery(query: FourKeysQuery): boolean {
    return !query.hide;
  }

  /**
   * query adds the dashboard's time zone to every query that names none, so
   * that daily buckets start at the viewer's midnight. Alert rules never pass
   * through here and get UTC from the backend.
   */
  query(request: DataQueryRequest<FourKeysQuery>): Observable<DataQueryResponse> {
    const timezone = timezoneOf(request.timezone);
    const targets = request.targets.map((t) => (t.timezone || !timezone ? t : { ...t, timezone }));
    return super.query({ ...request, targets });
  }

  applyTemplateVariables(query: FourKeysQuery, scopedVars: ScopedVars): FourKeysQuery {
    return interpolateQuery(migrateQuery(query), scopedVars);
  }

  /** getValues lists the distinct values of one dimension, for filter options and variables. */
  async getValues(dimension: Dimension): Promise<MetricFindValue[]> {
    const to = dateTime();
    const from = dateTime(to).subtract(VALUES_RANGE_DAYS, 'days');
    const request = {
      requestId: `fourkeys-values-${dimension}`,
      interval: '1d',
      intervalMs: 86400000,
      range: { from, to, raw: { from: `now-${VALUES_RANGE_DAYS}d`, to: 'now' } },
      scopedVars: {},
      timezone: 'utc',
      app: CoreApp.Unknown,
      startTime: Date.now(),
      targets: [{ refId: 'values', queryType: 'values', dimension } as FourKeysQuery],
    } as DataQueryRequest<FourKeysQuery>;
    const response = await lastValueFrom(this.query(request));
    if (response.errors?.length) {
      throw new Error(response.errors[0].message ?? `listing ${dimension} values failed`);
    }
    return valuesOf(response);
  }
}

/** valuesOf reads the text and value fields of a values answer. */
export function valuesOf(response: DataQueryResponse): MetricFindValue[] {
  const out: MetricFindValue[] = [];
  for (const frame of response.data ?? []) {
    const fields = frame.fields ?? [];
    const value = fields.find((f: { name: string }) => f.name === 'value');
    const text = fields.find((f: { name: string }) => f.name === 'text') ?? value;
    if (!value) {
      continue;
    }
    for (let i = 0; i < value.values.length; i++) {
      out.push({ text: String(text.values[i]), value: String(value.values[i]) });
    }
  }
  return out;
}
