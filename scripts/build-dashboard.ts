// Writes src/dashboards/ml-four-keys.json from src/dashboards/build.ts.
// Run it with `npm run dashboard` after changing the dashboard.
import { writeFileSync } from 'fs';
import { join } from 'path';

import { buildDashboard } from '../src/dashboards/build';
import { dashboardJSON } from '../src/dashboards/json';

const target = join(__dirname, '..', 'src', 'dashboards', 'ml-four-keys.json');
writeFileSync(target, dashboardJSON(buildDashboard()));
console.log(`wrote ${target}`);
