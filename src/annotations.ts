import { AnnotationEvent, AnnotationQuery, AnnotationSupport, DataFrame, Field } from '@grafana/data';
import { of } from 'rxjs';

import { FourKeysQuery } from './types';

/** tagsOf reads a tags cell: a list, a JSON list or a comma-separated string. */
function tagsOf(cell: unknown): string[] {
  if (Array.isArray(cell)) {
    return cell.map(String);
  }
  if (typeof cell !== 'string' || cell === '') {
    return [];
  }
  if (cell.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(cell);
      if (Array.isArray(parsed)) {
        return parsed.map(String);
      }
    } catch {
      // Not JSON after all: fall through to the comma-separated form.
    }
  }
  return cell
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

function timeOf(cell: unknown): number | undefined {
  if (typeof cell === 'number') {
    return cell;
  }
  if (typeof cell === 'string' && cell !== '') {
    const ms = Date.parse(cell);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

/**
 * framesToEvents maps the rows of the backend's annotations frame (time,
 * timeEnd, title, text, tags) to annotation events. An incident that is still
 * open has no timeEnd and becomes a point; a resolved one becomes a region.
 */
export function framesToEvents(frames: DataFrame[]): AnnotationEvent[] {
  const events: AnnotationEvent[] = [];
  for (const frame of frames) {
    const field = (name: string): Field | undefined => frame.fields.find((f) => f.name === name);
    const time = field('time');
    if (!time) {
      continue;
    }
    const [timeEnd, title, text, tags] = ['timeEnd', 'title', 'text', 'tags'].map(field);
    for (let i = 0; i < frame.length; i++) {
      const start = timeOf(time.values[i]);
      if (start === undefined) {
        continue;
      }
      const end = timeOf(timeEnd?.values[i]);
      events.push({
        time: start,
        timeEnd: end ?? start,
        isRegion: end !== undefined && end > start,
        title: title ? String(title.values[i] ?? '') : '',
        text: text ? String(text.values[i] ?? '') : '',
        tags: tagsOf(tags?.values[i]),
      });
    }
  }
  return events;
}

/** annotationSupport runs the backend's annotations query for deployments and incidents. */
export const annotationSupport: AnnotationSupport<FourKeysQuery> = {
  prepareAnnotation(json: AnnotationQuery<FourKeysQuery>): AnnotationQuery<FourKeysQuery> {
    const target: FourKeysQuery = { refId: 'annotations', ...json.target, queryType: 'annotations' };
    return { ...json, target };
  },
  prepareQuery(anno: AnnotationQuery<FourKeysQuery>): FourKeysQuery | undefined {
    return { refId: 'annotations', ...anno.target, queryType: 'annotations' };
  },
  processEvents(_anno: AnnotationQuery<FourKeysQuery>, frames: DataFrame[]) {
    return of(framesToEvents(frames));
  },
  getDefaultQuery(): Partial<FourKeysQuery> {
    return { queryType: 'annotations' };
  },
};
