import { readFileSync } from 'fs';
import { join } from 'path';

import { METRICS } from './metrics';
import { DIMENSIONS } from './types';

/** docMetrics reads the id and name columns of the Metrics table in docs/queries.md. */
function docMetrics(): Array<{ id: string; name: string }> {
  const doc = readFileSync(join(__dirname, '..', 'docs', 'queries.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Metrics'), doc.indexOf('## Answers'));
  return [...section.matchAll(/^\| `([a-z_]+)` \| ([^|]+) \|/gm)].map((m) => ({ id: m[1], name: m[2].trim() }));
}

describe('METRICS', () => {
  it('lists exactly the metrics of the query contract, with their names', () => {
    const documented = docMetrics();

    expect(documented.length).toBeGreaterThan(10);
    expect(METRICS.map(({ id, name }) => ({ id, name }))).toEqual(documented);
  });

  it('has only dimensions the query contract knows', () => {
    for (const m of METRICS) {
      expect(DIMENSIONS).toEqual(expect.arrayContaining(m.dimensions));
    }
  });

  it('gives every metric a one-line definition and a unit', () => {
    for (const m of METRICS) {
      expect(m.definition).toMatch(/^[A-Z].*\.$/);
      expect(m.definition).not.toContain('\n');
      expect(m.unit).not.toBe('');
    }
  });
});
