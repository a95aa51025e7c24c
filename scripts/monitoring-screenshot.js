#!/usr/bin/env node
// The picture of the Grafana dashboard for the documentation (docs/screenshots/monitoring.png): the
// bundled sample runs through `orderpulse start` (history to June 2018, then a simulated day a
// second; replay, stream, batch, server in one process), a real Prometheus (the system's package) scrapes its /metrics with
// monitoring/prometheus.yml, and after `--seconds` (default 60) every panel's queries are asked of
// Prometheus and drawn (scripts/monitoring-panels.js). Needs the build and Chromium.
//
//   npm run screenshots:monitoring [-- --seconds 60]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { launchChromium } from '../dist/src/testing/browser.js';
import { startOrderpulse } from '../dist/src/testing/cli-process.js';
import { startPrometheus, writePrometheusConfig } from '../dist/src/testing/prometheus.js';
import { renderPanels } from './monitoring-panels.js';

const root = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' } } });
const seconds = Number(values.seconds);
if (!Number.isInteger(seconds) || seconds < 10) throw new Error(`--seconds must be a whole number, 10 or more, not ${values.seconds}`);

const dir = mkdtempSync(join(tmpdir(), 'orderpulse-monitoring-'));
let start = null;
let prometheus = null;
let browser = null;
try {
  const started = await startOrderpulse({
    cwd: dir,
    state: join(dir, 'state'),
    data: join(root, 'data', 'olist-sample'),
    flags: ['--history-until', '2018-06-01', '--day-every', '1s', '--batch-every', '5s'],
    until: 'ready',
    stderr: 'inherit',
  });
  start = started.process;
  const url = started.url;
  console.log(`orderpulse start is serving at ${url}; Prometheus scrapes it for ${seconds} s`);
  prometheus = await startPrometheus(writePrometheusConfig(join(dir, 'prometheus'), { 'orderpulse-server': [new URL(url).host] }));
  const startS = Math.floor(Date.now() / 1000);
  // Some traffic for the HTTP panels, as the dashboard's users would make.
  for (let waited = 0; waited < seconds; waited += 2) {
    await Promise.all(['/api/kpis', '/api/alerts?limit=20', '/api/pipeline'].map((path) => globalThis.fetch(`${url}${path}`).then((r) => r.arrayBuffer())));
    await sleep(2000);
  }
  const dashboard = JSON.parse(readFileSync(join(root, 'monitoring', 'grafana', 'orderpulse.json'), 'utf8'));
  browser = await launchChromium();
  const out_ = join(root, 'docs', 'screenshots', 'monitoring.png');
  const counts = await renderPanels({ dashboard, prometheusUrl: prometheus.url, startS, endS: Math.floor(Date.now() / 1000), stepS: 2, out: out_, browser });
  const empty = counts.filter((c) => c.series === 0).map((c) => c.panel);
  console.log(`wrote ${out_}: ${counts.length} panels${empty.length === 0 ? '' : `; no data (Kafka panels need the cluster): ${empty.join(', ')}`}`);
} finally {
  await browser?.close();
  await prometheus?.stop();
  await start?.stop();
  rmSync(dir, { recursive: true, force: true });
}
