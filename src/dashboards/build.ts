import {
  Dashboard,
  DashboardCursorSync,
  DataSourceRef,
  FieldConfigSource,
  Panel,
  RowPanel,
  VariableModel,
  VariableRefresh,
  VariableSort,
} from '@grafana/schema';

import { MetricInfo, metricInfo } from '../metrics';
import { Filters, FourKeysQuery, QUERY_VERSION } from '../types';

/**
 * This file builds the bundled "ML four keys" dashboard. The JSON beside it is
 * its output, committed so that Grafana can load it; `npm run dashboard`
 * writes it again and a test checks that the two agree.
 */

export const DASHBOARD_UID = 'ml-four-keys';
export const PLUGIN_TYPE = 'mlops-fourkeys-datasource';
export const PROVISIONED_DATASOURCE_UID = 'fourkeys-demo';

const ds: DataSourceRef = { type: PLUGIN_TYPE, uid: '${datasource}' };

/** The dashboard variables every panel filters by; All leaves the filter empty, which matches everything. */
const filters: Filters = { service: ['$service'], team: ['$team'], environment: ['$environment'] };

const DELIVERY_KEYS = [
  'deployment_frequency',
  'lead_time',
  'change_failure_rate',
  'time_to_restore',
  'failed_deployment_recovery_time',
];
const EXPLORATION_STATS = ['iteration_rate', 'feedback_time', 'time_to_baseline'];
const EXPLORATION_TRENDS = ['iteration_rate', 'feedback_time'];

class Layout {
  private nextId = 1;
  private y = 0;

  id(): number {
    return this.nextId++;
  }

  /** line reserves a line of panels of the given height and returns its top. */
  line(height: number): number {
    const top = this.y;
    this.y += height;
    return top;
  }
}

function info(id: string): MetricInfo {
  const m = metricInfo(id);
  if (!m) {
    throw new Error(`the dashboard names an unknown metric ${id}`);
  }
  return m;
}

function query(q: Omit<FourKeysQuery, 'version' | 'datasource'>): Record<string, unknown> {
  return { datasource: ds, version: QUERY_VERSION, ...q, filters };
}

/** unitConfig sets the unit of a metric; a summary states deployment frequency per day. */
function unitConfig(m: MetricInfo, summary = false): FieldConfigSource {
  const unit = summary && m.id === 'deployment_frequency' ? 'suffix:/day' : m.unit;
  return { defaults: m.kind === 'duration' ? { unit } : { unit, decimals: 2 }, overrides: [] };
}

function row(layout: Layout, title: string, collapsed = false): RowPanel {
  return {
    type: 'row',
    id: layout.id(),
    title,
    collapsed,
    gridPos: { x: 0, y: layout.line(1), w: 24, h: 1 },
    panels: [],
  };
}

/** RARE_METRICS happen once per service, so their stats look back a year whatever the dashboard's range. */
const RARE_METRICS: Record<string, string> = { time_to_baseline: '1y' };

function stat(layout: Layout, m: MetricInfo, gridPos: Panel['gridPos']): Panel {
  const timeFrom = RARE_METRICS[m.id];
  return {
    type: 'stat',
    id: layout.id(),
    title: m.name,
    description: m.definition + (m.banded ? ' Coloured by its DORA band: elite, high, medium or low.' : ''),
    datasource: ds,
    gridPos,
    ...(timeFrom ? { timeFrom } : {}),
    targets: [
      query({
        refId: 'A',
        queryType: 'summary',
        metrics: [m.id],
        ...(m.kind === 'duration' ? { aggregation: 'median' } : {}),
      }),
    ],
    fieldConfig: unitConfig(m, true),
    options: {
      reduceOptions: { calcs: ['lastNotNull'], fields: '/^value$/', values: false },
      colorMode: m.banded ? 'background' : 'value',
      graphMode: 'none',
      textMode: 'value',
      justifyMode: 'center',
      orientation: 'auto',
    },
  };
}

function trend(layout: Layout, m: MetricInfo, gridPos: Panel['gridPos']): Panel {
  return {
    type: 'timeseries',
    id: layout.id(),
    title: `${m.name}, trailing 30 days`,
    description: `${m.definition} Each point covers the 30 days up to it.`,
    datasource: ds,
    gridPos,
    targets: [
      query({
        refId: 'A',
        queryType: 'timeseries',
        metric: m.id,
        bucket: 'auto',
        window: '30d',
        ...(m.kind === 'duration' ? { aggregation: 'median' } : {}),
      }),
    ],
    fieldConfig: {
      defaults: { ...unitConfig(m).defaults, custom: { lineWidth: 2, fillOpacity: 10, spanNulls: true } },
      overrides: [],
    },
    options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: false }, tooltip: { mode: 'single' } },
  };
}

function changesTable(layout: Layout): Panel {
  return {
    type: 'table',
    id: layout.id(),
    title: 'Changes behind the lead time',
    description: 'The changes shipped in the range, newest first, with the deployment that shipped each one.',
    datasource: ds,
    gridPos: { x: 0, y: layout.line(10), w: 24, h: 10 },
    targets: [query({ refId: 'A', queryType: 'events', table: 'changes', limit: 500 })],
    fieldConfig: {
      defaults: {},
      overrides: [
        {
          matcher: { id: 'byName', options: 'title' },
          properties: [
            { id: 'links', value: [{ title: 'Open the change', url: '${__data.fields.url}', targetBlank: true }] },
          ],
        },
        { matcher: { id: 'byName', options: 'url' }, properties: [{ id: 'custom.hidden', value: true }] },
        {
          matcher: { id: 'byRegexp', options: '^(lead_time|coding|review|deploy)$' },
          properties: [{ id: 'unit', value: 's' }],
        },
      ],
    },
    options: { showHeader: true, cellHeight: 'sm', footer: { show: false } },
  };
}

function queryVariable(name: string, label: string, dimension: string, description: string): VariableModel {
  return {
    type: 'query',
    name,
    label,
    description,
    datasource: ds,
    query: { refId: name, version: QUERY_VERSION, queryType: 'values', dimension },
    definition: `values of ${dimension}`,
    refresh: VariableRefresh.onDashboardLoad,
    sort: VariableSort.alphabeticalCaseInsensitiveAsc,
    multi: true,
    includeAll: true,
    current: { text: ['All'], value: ['$__all'], selected: true },
    options: [],
  } as VariableModel;
}

const annotationTarget: FourKeysQuery = {
  refId: 'annotations',
  version: QUERY_VERSION,
  queryType: 'annotations',
  filters,
};

/** buildDashboard returns the bundled dashboard. */
export function buildDashboard(): Dashboard {
  const layout = new Layout();
  const panels: Array<Panel | RowPanel> = [];

  panels.push(row(layout, 'ML exploration'));
  const statsTop = layout.line(5);
  EXPLORATION_STATS.forEach((id, i) => panels.push(stat(layout, info(id), { x: i * 8, y: statsTop, w: 8, h: 5 })));
  const trendsTop = layout.line(8);
  EXPLORATION_TRENDS.forEach((id, i) => panels.push(trend(layout, info(id), { x: i * 12, y: trendsTop, w: 12, h: 8 })));

  panels.push(row(layout, 'Production: the keys'));
  for (const id of DELIVERY_KEYS) {
    const top = layout.line(5);
    panels.push(stat(layout, info(id), { x: 0, y: top, w: 6, h: 5 }));
    panels.push(trend(layout, info(id), { x: 6, y: top, w: 18, h: 5 }));
  }
  panels.push(changesTable(layout));

  return {
    uid: DASHBOARD_UID,
    title: 'ML four keys',
    description: 'DORA keys of the production services and the exploration measures of the ML work behind them.',
    tags: ['dora', 'four keys', 'mlops'],
    editable: true,
    graphTooltip: DashboardCursorSync.Crosshair,
    schemaVersion: 41,
    time: { from: 'now-90d', to: 'now' },
    timezone: 'browser',
    refresh: '',
    links: [],
    annotations: {
      list: [
        {
          builtIn: 1,
          name: 'Annotations & Alerts',
          datasource: { type: 'grafana', uid: '-- Grafana --' },
          enable: true,
          hide: true,
          iconColor: 'rgba(0, 211, 255, 1)',
          type: 'dashboard',
        },
        {
          name: 'Deployments and incidents',
          datasource: ds,
          enable: true,
          iconColor: 'orange',
          target: annotationTarget,
        },
      ],
    },
    templating: {
      list: [
        {
          type: 'datasource',
          name: 'datasource',
          label: 'Data source',
          query: PLUGIN_TYPE,
          current: { text: 'ML Four Keys', value: PROVISIONED_DATASOURCE_UID, selected: true },
          options: [],
          refresh: VariableRefresh.onDashboardLoad,
        },
        queryVariable('service', 'Service', 'service', 'The services to measure'),
        queryVariable('team', 'Team', 'team', 'The teams whose services to measure'),
        queryVariable(
          'environment',
          'Environment',
          'environment',
          "Where deployments count; All means the data source's production environment"
        ),
      ],
    },
    panels,
  };
}
