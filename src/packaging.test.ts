import { readFileSync, readdirSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';

import pluginJson from './plugin.json';

const root = join(__dirname, '..');
const read = (...path: string[]) => readFileSync(join(root, ...path), 'utf8');
const yamlOf = (...path: string[]) => parse(read(...path));

const PLUGIN_ID = 'mlops-fourkeys-datasource';
const DATASOURCE_UID = 'fourkeys-demo';
const PLUGIN_DIR = `/var/lib/grafana/plugins/${PLUGIN_ID}`;

describe('plugin.json', () => {
  it('declares a backend data source that alerts, annotates and serves metrics', () => {
    expect(pluginJson).toMatchObject({
      id: PLUGIN_ID,
      type: 'datasource',
      name: 'ML Four Keys',
      backend: true,
      executable: 'gpx_mlops_fourkeys',
      alerting: true,
      annotations: true,
      metrics: true,
    });
    expect(pluginJson.dependencies.grafanaDependency).toBe('>=12.4.0');
  });
});

describe('provisioning', () => {
  it('provisions the data source on the demo source under a fixed uid', () => {
    const { apiVersion, datasources } = yamlOf('provisioning', 'datasources', 'fourkeys.yaml');

    expect(apiVersion).toBe(1);
    expect(datasources).toEqual([
      expect.objectContaining({
        uid: DATASOURCE_UID,
        type: PLUGIN_ID,
        jsonData: expect.objectContaining({ demo: true }),
      }),
    ]);
  });

  it('loads the dashboards that the plugin ships', () => {
    const { providers } = yamlOf('provisioning', 'dashboards', 'fourkeys.yaml');

    expect(providers).toEqual([
      expect.objectContaining({ type: 'file', options: { path: `${PLUGIN_DIR}/dashboards` } }),
    ]);
  });

  describe('the lead time alert rule', () => {
    const file = JSON.parse(read('provisioning', 'alerting', 'lead-time.json'));
    const rule = file.groups[0].rules[0];
    const byRef = Object.fromEntries(rule.data.map((d: { refId: string }) => [d.refId, d]));

    it('is the only file in provisioning/alerting, and a rules file of version 1', () => {
      expect(readdirSync(join(root, 'provisioning', 'alerting'))).toEqual(['lead-time.json']);
      expect(file.apiVersion).toBe(1);
      expect(file.groups[0]).toMatchObject({ orgId: 1, folder: 'ML four keys' });
      expect(rule).toMatchObject({ title: 'Median lead time over the last 14 days above 7 days', condition: 'C' });
      expect(['0s', '5m']).toContain(rule.for);
      expect(rule.annotations.summary).toBeTruthy();
    });

    it('asks the provisioned data source for the median lead time over 14 days', () => {
      expect(byRef.A).toMatchObject({
        datasourceUid: DATASOURCE_UID,
        relativeTimeRange: { from: 14 * 86400, to: 0 },
        model: { queryType: 'timeseries', metric: 'lead_time', aggregation: 'median', bucket: '1d', window: '14d' },
      });
      expect(byRef.A.model.timezone).toBeUndefined();
    });

    it('reduces the series to its last value and fires above seven days', () => {
      expect(byRef.B.model).toMatchObject({ type: 'reduce', expression: 'A', reducer: 'last' });
      expect(byRef.C.model).toMatchObject({
        type: 'threshold',
        expression: 'B',
        conditions: [{ evaluator: { type: 'gt', params: [7 * 86400] } }],
      });
    });
  });
});

describe('docker compose', () => {
  const compose = yamlOf('docker-compose.yml');
  const grafana = compose.services.grafana;
  const dockerfile = read('Dockerfile');
  const stages = [...dockerfile.matchAll(/^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/gim)].map((m) => ({
    image: m[1],
    name: m[2],
  }));

  it('builds the image from the Dockerfile and publishes port 3000', () => {
    expect(grafana.build).toMatchObject({ context: '.', dockerfile: 'Dockerfile' });
    expect(grafana.ports).toContain('3000:3000');
  });

  it('mounts provisioning and allows the unsigned plugin', () => {
    expect(grafana.volumes).toContain('./provisioning:/etc/grafana/provisioning:ro');
    expect(grafana.environment.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS).toBe(PLUGIN_ID);
    expect(dockerfile).toContain(`GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS=${PLUGIN_ID}`);
  });

  it('opens the bundled dashboard as the home dashboard', () => {
    expect(grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(
      `${PLUGIN_DIR}/${pluginJson.includes[0].path}`
    );
  });

  it('builds the frontend with Node 20 and the backend with Go for the target platform, then installs both', () => {
    expect(stages).toEqual([
      { image: 'node:20-bookworm', name: 'frontend' },
      { image: 'golang:1.26-bookworm', name: 'backend' },
      { image: 'grafana/grafana:${GRAFANA_VERSION}', name: undefined },
    ]);
    expect(dockerfile).toMatch(/RUN npm ci/);
    expect(dockerfile).toMatch(/RUN npm run build/);
    expect(dockerfile).toMatch(/ARG TARGETOS\s+ARG TARGETARCH/);
    expect(dockerfile).toContain('scripts/build-backend.sh build:custom "${TARGETOS:-linux}" "${TARGETARCH:-amd64}"');
    expect(dockerfile).toContain(`COPY --from=frontend /src/dist ${PLUGIN_DIR}`);
    expect(dockerfile).toContain(`COPY --from=backend /src/dist/ ${PLUGIN_DIR}/`);
  });

  it("gives the backend a state directory inside Grafana's data directory", () => {
    const ini = read('docker/grafana.ini');
    const section = new RegExp(`^\\[plugin\\.${PLUGIN_ID}\\]\\s*\\nstate_dir = (/var/lib/grafana/\\S+)$`, 'm').exec(
      ini
    );

    expect(section).not.toBeNull();
    expect(dockerfile).toContain('COPY docker/grafana.ini /etc/grafana/grafana.ini');
  });

  it('builds with the Grafana version that plugin.json and package.json name', () => {
    const version = /ARG GRAFANA_VERSION=(\S+)/.exec(dockerfile)![1];
    const pkg = JSON.parse(read('package.json'));

    expect(version).toBe(pkg.dependencies['@grafana/ui']);
    expect(version.startsWith(pluginJson.dependencies.grafanaDependency.replace('>=', '').replace(/\.0$/, ''))).toBe(
      true
    );
  });
});
