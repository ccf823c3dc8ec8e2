import { AnnotationQuery, FieldType, createDataFrame } from '@grafana/data';
import { lastValueFrom } from 'rxjs';

import { annotationSupport, framesToEvents } from './annotations';
import { FourKeysQuery } from './types';

const frame = createDataFrame({
  fields: [
    { name: 'time', type: FieldType.time, values: [1700000000000, 1700003600000] },
    { name: 'timeEnd', type: FieldType.time, values: [null, 1700010800000] },
    { name: 'title', type: FieldType.string, values: ['Deployed churn-model', 'SEV2 churn scores stale'] },
    { name: 'text', type: FieldType.string, values: ['3 changes', 'attributed to deploy d-41'] },
    { name: 'tags', type: FieldType.other, values: [['deployment', 'failed'], '["incident"]'] },
  ],
});

describe('framesToEvents', () => {
  it('maps a deployment row to a point and an incident row to a region', () => {
    expect(framesToEvents([frame])).toEqual([
      {
        time: 1700000000000,
        timeEnd: 1700000000000,
        isRegion: false,
        title: 'Deployed churn-model',
        text: '3 changes',
        tags: ['deployment', 'failed'],
      },
      {
        time: 1700003600000,
        timeEnd: 1700010800000,
        isRegion: true,
        title: 'SEV2 churn scores stale',
        text: 'attributed to deploy d-41',
        tags: ['incident'],
      },
    ]);
  });

  it('reads comma-separated tags and skips frames without time', () => {
    const plain = createDataFrame({
      fields: [
        { name: 'time', type: FieldType.time, values: [5] },
        { name: 'tags', type: FieldType.string, values: ['deployment, rollback'] },
      ],
    });
    const other = createDataFrame({ fields: [{ name: 'value', type: FieldType.number, values: [1] }] });

    expect(framesToEvents([plain, other])).toEqual([
      { time: 5, timeEnd: 5, isRegion: false, title: '', text: '', tags: ['deployment', 'rollback'] },
    ]);
  });
});

describe('annotationSupport', () => {
  const anno = {
    name: 'Deployments',
    enable: true,
    iconColor: 'blue',
    target: { refId: 'X', queryType: 'timeseries', filters: { service: ['$service'] } },
  } as AnnotationQuery<FourKeysQuery>;

  it('always asks the backend for annotations and keeps the filters', () => {
    expect(annotationSupport.prepareQuery!(anno)).toEqual({
      refId: 'X',
      queryType: 'annotations',
      filters: { service: ['$service'] },
    });
  });

  it('gives an annotation saved without a target a query of its own', () => {
    const prepared = annotationSupport.prepareAnnotation!({ name: 'Old', enable: true, iconColor: 'red' });

    expect(prepared.target).toEqual({ refId: 'annotations', queryType: 'annotations' });
  });

  it('turns the answer into events', async () => {
    const events = await lastValueFrom(annotationSupport.processEvents!(anno, [frame]));

    expect(events?.map((e) => e.title)).toEqual(['Deployed churn-model', 'SEV2 churn scores stale']);
  });
});
