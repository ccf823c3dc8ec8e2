import { Dashboard } from '@grafana/schema';

/** dashboardJSON is the exact text of the committed dashboard file. */
export function dashboardJSON(dashboard: Dashboard): string {
  return JSON.stringify(dashboard, null, 2) + '\n';
}
