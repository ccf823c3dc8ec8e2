import catalog from './metrics.json';
import { DIMENSIONS, Dimension } from './types';

/** MetricKind decides how a metric is aggregated and which unit a panel shows. */
export type MetricKind = 'duration' | 'rate' | 'count';

/** MetricGroup separates the delivery keys from the ML exploration measures. */
export type MetricGroup = 'delivery' | 'exploration';

export interface MetricInfo {
  id: string;
  name: string;
  /** definition is the one line the query editor shows under the metric picker. */
  definition: string;
  /** unit is a Grafana unit id for panels. */
  unit: string;
  kind: MetricKind;
  group: MetricGroup;
  /** banded metrics are coloured elite, high, medium or low by the backend's thresholds. */
  banded: boolean;
  /** dimensions are the group-by keys the metric has (docs/metrics.md#dimensions). */
  dimensions: Dimension[];
}

/**
 * METRICS lists every metric of docs/queries.md, in the order the editor offers them. The list is the
 * backend's own: src/metrics.json is written from pkg/engine, and a Go test fails when the two differ.
 */
export const METRICS: MetricInfo[] = catalog as MetricInfo[];

const byId = new Map(METRICS.map((m) => [m.id, m]));

export function metricInfo(id: string | undefined): MetricInfo | undefined {
  return id ? byId.get(id) : undefined;
}

/** groupableBy lists the dimensions that every one of the metrics has; no metrics means all of them. */
export function groupableBy(ids: string[]): Dimension[] {
  const infos = (ids.length > 0 ? ids : METRICS.map((m) => m.id)).map(metricInfo);
  return DIMENSIONS.filter((d) => infos.every((m) => !m || m.dimensions.includes(d)));
}
