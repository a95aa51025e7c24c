/**
 * Writes monitoring/grafana/orderpulse.json from the typed dashboard (dashboard.ts):
 * `npm run monitoring:dashboard` after changing a panel. With `--check` (part of `npm run build`) it
 * writes nothing and fails when the file differs from what it would write.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildDashboard } from './dashboard.js';

/** The JSON file in the source tree, whether this runs from dist/monitoring/grafana/ or not. */
export const DASHBOARD_JSON = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../monitoring/grafana/orderpulse.json' : './orderpulse.json', import.meta.url));

export function dashboardJson(): string {
  return `${JSON.stringify(buildDashboard(), null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    let onDisk = '';
    try {
      onDisk = readFileSync(DASHBOARD_JSON, 'utf8');
    } catch {
      // A missing file differs like any other.
    }
    if (onDisk !== dashboardJson()) {
      console.error(`${DASHBOARD_JSON} differs from monitoring/grafana/dashboard.ts: run \`npm run monitoring:dashboard\` (after \`tsc\`) and commit the JSON`);
      process.exit(1);
    }
  } else {
    writeFileSync(DASHBOARD_JSON, dashboardJson());
    console.log(`wrote ${DASHBOARD_JSON}`);
  }
}
