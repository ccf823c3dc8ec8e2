import { CoreApp, DataQueryRequest, FieldType, createDataFrame, dateTime } from '@grafana/data';
import { BackendSrv, BackendSrvRequest, FetchResponse, setBackendSrv } from '@grafana/runtime';
import { lastValueFrom, of } from 'rxjs';

import { valuesOf } from './datasource';
import { newDataSource } from './test/props';
import { fakeTemplateSrv } from './test/templateSrv';
import { FourKeysQuery } from './types';
import { FourKeysVariableSupport } from './variables';

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => fakeTemplateSrv([{ name: 'service', value: ['a', 'b'] }]),
}));

interface SentQuery extends FourKeysQuery {
  datasource?: { uid?: string };
}

/** captureQueries answers every /api/ds/query with the given frames and records what was sent. */
function captureQueries(values: string[] = []) {
  const sent: Array<{ queries: SentQuery[] }> = [];
  const fetch = jest.fn((req: BackendSrvRequest) => {
    sent.push(req.data);
    const refId = req.data.queries[0].refId;
    const frame = {
      schema: {
        refId,
        fields: [
          { name: 'text', type: 'string' },
          { name: 'value', type: 'string' },
        ],
      },
      data: { values: [values, values] },
    };
    return of({ data: { results: { [refId]: { status: 200, frames: [frame] } } } } as FetchResponse);
  });
  setBackendSrv({ fetch } as unknown as BackendSrv);
  return sent;
}

function request(targets: FourKeysQuery[], timezone = 'browser'): DataQueryRequest<FourKeysQuery> {
  const to = dateTime(1700000000000);
  return {
    requestId: 'r1',
    interval: '1h',
    intervalMs: 3600000,
    range: { from: dateTime(to).subtract(7, 'days'), to, raw: { from: 'now-7d', to: 'now' } },
    scopedVars: {},
    timezone,
    app: CoreApp.Dashboard,
    startTime: 0,
    targets,
  };
}

describe('DataSource', () => {
  it('sends the dashboard time zone with a query that names none', async () => {
    const sent = captureQueries();
    const ds = newDataSource();

    await lastValueFrom(ds.query(request([{ refId: 'A', metric: 'lead_time' }], 'Europe/Berlin')));

    expect(sent[0].queries[0]).toMatchObject({
      refId: 'A',
      metric: 'lead_time',
      timezone: 'Europe/Berlin',
      version: 1,
    });
  });

  it('keeps a time zone the query names', async () => {
    const sent = captureQueries();

    await lastValueFrom(newDataSource().query(request([{ refId: 'A', timezone: 'Asia/Tokyo' }], 'utc')));

    expect(sent[0].queries[0].timezone).toBe('Asia/Tokyo');
  });

  it('interpolates multi-value variables into list filters before sending', async () => {
    const sent = captureQueries();

    await lastValueFrom(newDataSource().query(request([{ refId: 'A', filters: { service: ['$service'] } }])));

    expect(sent[0].queries[0].filters).toEqual({ service: ['a', 'b'] });
  });

  it('registers annotation and variable support', () => {
    const ds = newDataSource();

    expect(ds.annotations).toBeDefined();
    expect(ds.variables).toBeInstanceOf(FourKeysVariableSupport);
  });

  it('lists the values of a dimension with a values query', async () => {
    const sent = captureQueries(['churn-model', 'fraud-detector']);

    const values = await newDataSource().getValues('team');

    expect(sent[0].queries[0]).toMatchObject({
      queryType: 'values',
      dimension: 'team',
      datasource: { uid: 'fourkeys-test' },
    });
    expect(values).toEqual([
      { text: 'churn-model', value: 'churn-model' },
      { text: 'fraud-detector', value: 'fraud-detector' },
    ]);
  });

  it('runs a variable query as a values query', async () => {
    const sent = captureQueries(['prod']);
    const variables = new FourKeysVariableSupport(newDataSource());

    const rsp = await lastValueFrom(variables.query(request([{ refId: 'V', dimension: 'environment' }])));

    expect(sent[0].queries[0]).toMatchObject({ queryType: 'values', dimension: 'environment' });
    expect(valuesOf(rsp)).toEqual([{ text: 'prod', value: 'prod' }]);
  });
});

describe('valuesOf', () => {
  it('uses value as text when the frame has no text field', () => {
    const frame = createDataFrame({ fields: [{ name: 'value', type: FieldType.string, values: ['x'] }] });

    expect(valuesOf({ data: [frame] })).toEqual([{ text: 'x', value: 'x' }]);
  });
});
