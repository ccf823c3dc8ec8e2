import { interpolateQuery, timezoneOf } from './interpolate';
import { fakeTemplateSrv } from './test/templateSrv';

let variables = fakeTemplateSrv([]);

jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getTemplateSrv: () => variables,
}));

describe('interpolateQuery', () => {
  beforeEach(() => {
    variables = fakeTemplateSrv([
      { name: 'service', value: ['churn-model', 'fraud-detector'] },
      { name: 'team', value: 'ml-platform' },
      { name: 'environment', value: ['$__all'] },
      { name: 'window', value: '30d' },
    ]);
  });

  it('turns a multi-value variable into one list entry per value', () => {
    const q = interpolateQuery({ refId: 'A', filters: { service: ['$service'] } }, {});

    expect(q.filters).toEqual({ service: ['churn-model', 'fraud-detector'] });
  });

  it('reads every variable syntax Grafana offers', () => {
    const q = interpolateQuery({ refId: 'A', filters: { service: ['${service}'], team: ['[[team]]'] } }, {});

    expect(q.filters).toEqual({ service: ['churn-model', 'fraud-detector'], team: ['ml-platform'] });
  });

  it('makes All an empty list, which matches every value', () => {
    const q = interpolateQuery({ refId: 'A', filters: { environment: ['${environment}'], team: ['$team'] } }, {});

    expect(q.filters).toEqual({ environment: [], team: ['ml-platform'] });
  });

  it('keeps plain values and drops duplicates', () => {
    const q = interpolateQuery({ refId: 'A', filters: { service: ['fraud-detector', '$service'] } }, {});

    expect(q.filters).toEqual({ service: ['fraud-detector', 'churn-model'] });
  });

  it('prefers a scoped variable, as in a repeated panel', () => {
    const q = interpolateQuery(
      { refId: 'A', filters: { service: ['$service'] } },
      { service: { text: 'churn-model', value: 'churn-model' } }
    );

    expect(q.filters).toEqual({ service: ['churn-model'] });
  });

  it('leaves an unknown variable as written', () => {
    const q = interpolateQuery({ refId: 'A', filters: { model: ['$nothing'] } }, {});

    expect(q.filters).toEqual({ model: ['$nothing'] });
  });

  it('replaces variables in the trailing window', () => {
    const q = interpolateQuery({ refId: 'A', queryType: 'timeseries', metric: 'lead_time', window: '$window' }, {});

    expect(q).toEqual({ refId: 'A', queryType: 'timeseries', metric: 'lead_time', window: '30d' });
  });
});

describe('timezoneOf', () => {
  it('names the browser zone instead of "browser"', () => {
    expect(timezoneOf('browser')).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone);
  });

  it('writes UTC the way the backend reads it', () => {
    expect(timezoneOf('utc')).toBe('UTC');
  });

  it('passes an IANA name through and leaves an empty zone empty', () => {
    expect(timezoneOf('Europe/Berlin')).toBe('Europe/Berlin');
    expect(timezoneOf('')).toBeUndefined();
  });
});
