// The page the browser check loads: the config and query editors rendered
// with @grafana/ui's theme, outside Grafana. The Grafana services the
// editors call (backend requests, template variables) are stood in for by
// small fakes that answer like a demo data source would.
import './boot';

import { DataSourceSettings, createTheme } from '@grafana/data';
import { BackendSrv, TemplateSrv, setBackendSrv, setTemplateSrv } from '@grafana/runtime';
import { GlobalStyles, ThemeContext } from '@grafana/ui';
import React, { useState } from 'react';
import { createRoot } from 'react-dom/client';
import { of } from 'rxjs';

import { ConfigEditor } from '../../src/components/ConfigEditor';
import { QueryEditor } from '../../src/components/QueryEditor';
import { DataSource } from '../../src/datasource';
import { dataSourceSettings, instanceSettings } from '../../src/test/props';
import { FourKeysOptions, FourKeysQuery, FourKeysSecrets } from '../../src/types';

const demoValues: Record<string, string[]> = {
  service: ['churn-model', 'fraud-detector', 'recommender'],
  team: ['ml-platform', 'risk'],
  environment: ['production', 'staging'],
  changeType: ['code', 'data', 'model'],
  model: ['churn-xgb', 'fraud-gbm'],
};

/** fakeFetch answers the values queries of the editors' filter pickers. */
function fakeFetch(req: { data: { queries: FourKeysQuery[] } }) {
  const results: Record<string, unknown> = {};
  for (const q of req.data.queries) {
    const values = demoValues[q.dimension ?? 'service'] ?? [];
    results[q.refId] = {
      status: 200,
      frames: [
        {
          schema: {
            refId: q.refId,
            fields: [
              { name: 'text', type: 'string' },
              { name: 'value', type: 'string' },
            ],
          },
          data: { values: [values, values] },
        },
      ],
    };
  }
  return of({ data: { results }, status: 200, ok: true });
}

setBackendSrv({ fetch: fakeFetch } as unknown as BackendSrv);
setTemplateSrv({
  getVariables: () => [{ name: 'service' }, { name: 'team' }, { name: 'environment' }],
  replace: (s?: string) => s ?? '',
  containsTemplate: () => false,
  updateTimeRange: () => {},
} as unknown as TemplateSrv);

const theme = createTheme({ colors: { mode: 'dark' } });

const datasource = new DataSource(instanceSettings({ demo: false }));

function ConfigPage() {
  const [options, setOptions] = useState<DataSourceSettings<FourKeysOptions, FourKeysSecrets>>(
    dataSourceSettings({
      jsonData: {
        demo: false,
        feed: { url: 'https://events.example.com/fourkeys.jsonl', auth: 'bearer' },
        mlflow: {
          url: 'http://mlflow:5000',
          auth: 'basic',
          username: 'grafana-reader',
          services: { '/Users/ana/churn': 'churn' },
        },
      },
      secureJsonFields: { feedToken: true, mlflowPassword: true },
    })
  );
  return <ConfigEditor options={options} onOptionsChange={setOptions} />;
}

function QueryPage() {
  const [query, setQuery] = useState<FourKeysQuery>({
    refId: 'A',
    version: 1,
    queryType: 'timeseries',
    metric: 'lead_time',
    aggregation: 'median',
    groupBy: ['service'],
    bucket: '1d',
    window: '30d',
    filters: { service: ['$service'], team: ['ml-platform'] },
  });
  return <QueryEditor datasource={datasource} query={query} onChange={setQuery} onRunQuery={() => {}} />;
}

function Harness() {
  return (
    <ThemeContext.Provider value={theme}>
      <GlobalStyles />
      <main style={{ padding: 24, display: 'flex', flexDirection: 'column', gap: 32 }}>
        <section id="config-editor" style={{ maxWidth: 760, padding: 16 }}>
          <h2>Data source settings</h2>
          <ConfigPage />
        </section>
        <section id="query-editor" style={{ maxWidth: 1100, padding: 16 }}>
          <h2>Query</h2>
          <QueryPage />
        </section>
      </main>
    </ThemeContext.Provider>
  );
}

createRoot(document.getElementById('root')!).render(<Harness />);
