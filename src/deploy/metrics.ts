import { readFileSync } from 'node:fs';
import { Metrics } from '../metrics/index.js';
import type { ProcessRole } from '../metrics/index.js';
import type { Settings } from './settings.js';

function packageVersion(): string {
  const text = readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

/** The process's metrics for a deployment: its version, embedded or cluster, and what the process does. */
export function openMetrics(settings: Settings, role: ProcessRole): Metrics {
  return new Metrics({ role, deployment: settings.kafka.length > 0 ? 'cluster' : 'embedded', version: packageVersion() });
}
