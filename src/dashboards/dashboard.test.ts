import { Dashboard, Panel, RowPanel } from '@grafana/schema';
import { readFileSync } from 'fs';
import { join } from 'path';

import { METRICS } from '../metrics';
import { DIMENSIONS, FourKeysQuery, QUERY_TYPES } from '../types';
import pluginJson from '../plugin.json';
import { DASHBOARD_UID, PLUGIN_TYPE, buildDashboard } from './build';
import { dashboardJSON } from './json';

const file = join(__dirname, 'ml-four-keys.json');
const committed: Dashboard = JSON.parse(readFileSync(file, 'utf8'));

const isRow = (p: Panel | RowPanel): p is RowPanel => p.type === 'row';
const panels = (committed.panels ?? []).filter((p): p is Panel => !isRow(p));
const rows = (committed.panels ?? []).filter(isRow);
const targetsOf = (p: Panel) => (p.targets ?? []) as unknown as FourKeysQuery[];
const queries = panels.flatMap(targetsOf);

/** The fields of pkg/query.Model plus the ones Grafana adds to every query. */
const KNOWN_FIELDS = new Set([
  'refId',
  'datasource',
  'hide',
  'version',
  'queryType',
  'metric',
  'metrics',
  'aggregation',
  'groupBy',
  'filters',
  'bucket',
  'window',
  'timezone',
  'table',
  'dimension',
  'limit',
]);

describe('the bundled dashboard', () => {
  it('is the output of its generator (run `npm run dashboard` after changing build.ts)', () => {
    expect(readFileSync(file, 'utf8')).toBe(dashboardJSON(buildDashboard()));
  });

  it('is listed in plugin.json', () => {
    expect(pluginJson.includes).toContainEqual({
      type: 'dashboard',
      name: committed.title,
      path: 'dashboards/ml-four-keys.json',
    });
  });

  it('has the fields the dashboard schema requires, and unique panel ids on the 24-column grid', () => {
    expect(committed.uid).toBe(DASHBOARD_UID);
    expect(committed.schemaVersion).toBeGreaterThanOrEqual(39);
    const all = [...rows, ...panels];
    expect(new Set(all.map((p) => p.id)).size).toBe(all.length);
    for (const p of all) {
      expect(p.type).toBeTruthy();
      const g = p.gridPos!;
      expect(g.x + g.w).toBeLessThanOrEqual(24);
      expect(g.w).toBeGreaterThan(0);
      expect(g.h).toBeGreaterThan(0);
    }
  });

  it('has an exploration row and a production row', () => {
    expect(rows.map((r) => r.title)).toEqual(['ML exploration', 'Production: the keys']);
  });

  it('shows the exploration measures and the five banded keys as stats, each key with its trend', () => {
    const statsOf = (type: string) =>
      panels.filter((p) => p.type === type).flatMap((p) => targetsOf(p).map((t) => t.metrics ?? [t.metric]));
    const banded = METRICS.filter((m) => m.banded).map((m) => m.id);

    expect(statsOf('stat').flat()).toEqual(['iteration_rate', 'feedback_time', 'time_to_baseline', ...banded]);
    expect(statsOf('timeseries').flat()).toEqual(expect.arrayContaining(banded));
    const stats = panels.filter((p) => p.type === 'stat' && banded.includes(targetsOf(p)[0].metrics![0]));
    for (const s of stats) {
      expect(s.options).toMatchObject({ colorMode: 'background' });
    }
  });

  it('has a table of the changes behind the lead time that links each change', () => {
    const table = panels.find((p) => p.type === 'table')!;

    expect(table.targets).toEqual([expect.objectContaining({ queryType: 'events', table: 'changes' })]);
    expect(JSON.stringify(table.fieldConfig)).toContain('${__data.fields.url}');
  });

  it('annotates deployments and incidents from the data source', () => {
    const ours = committed.annotations!.list!.filter((a) => a.datasource?.type === PLUGIN_TYPE);

    expect(ours).toHaveLength(1);
    expect(ours[0].target).toMatchObject({ queryType: 'annotations' });
  });

  it('has service, team and environment variables that list values, multi-value with All', () => {
    const variables = committed.templating!.list!;
    const ds = variables.find((v) => v.type === 'datasource')!;
    expect(ds).toMatchObject({ name: 'datasource', query: PLUGIN_TYPE, current: { value: 'fourkeys-demo' } });

    const byName = Object.fromEntries(variables.filter((v) => v.type === 'query').map((v) => [v.name, v]));
    expect(Object.keys(byName)).toEqual(['service', 'team', 'environment']);
    for (const [name, v] of Object.entries(byName)) {
      expect(v).toMatchObject({
        multi: true,
        includeAll: true,
        datasource: { type: PLUGIN_TYPE, uid: '${datasource}' },
      });
      expect(v.query).toMatchObject({ queryType: 'values', dimension: name });
    }
  });

  it('sends only queries of the contract, filtered by every variable', () => {
    expect(queries.length).toBeGreaterThan(10);
    for (const q of queries) {
      for (const key of Object.keys(q)) {
        expect(KNOWN_FIELDS).toContain(key);
      }
      expect(QUERY_TYPES).toContain(q.queryType);
      expect(q.datasource).toEqual({ type: PLUGIN_TYPE, uid: '${datasource}' });
      expect(q.filters).toEqual({ service: ['$service'], team: ['$team'], environment: ['$environment'] });
      for (const d of Object.keys(q.filters!)) {
        expect(DIMENSIONS).toContain(d);
      }
    }
  });

  it('gives every panel the data source variable', () => {
    for (const p of panels) {
      expect(p.datasource).toEqual({ type: PLUGIN_TYPE, uid: '${datasource}' });
    }
  });
});
