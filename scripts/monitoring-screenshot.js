#!/usr/bin/env node
// The picture of the Grafana dashboard for the documentation (docs/screenshots/monitoring.png): the
// bundled sample runs through `orderpulse start --max` (replay, stream, batch, server in one
// process), a real Prometheus (the system's package) scrapes its /metrics with
// monitoring/prometheus.yml, and after `--seconds` (default 60) every panel's queries are asked of
// Prometheus and drawn (scripts/monitoring-panels.js). Needs the build and Chromium.
//
//   npm run screenshots:monitoring [-- --seconds 60]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { launchChromium } from '../dist/src/testing/browser.js';
import { startPrometheus, writePrometheusConfig } from '../dist/src/testing/prometheus.js';
import { renderPanels } from './monitoring-panels.js';

const root = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' } } });
const seconds = Number(values.seconds);
if (!Number.isInteger(seconds) || seconds < 10) throw new Error(`--seconds must be a whole number, 10 or more, not ${values.seconds}`);

const dir = mkdtempSync(join(tmpdir(), 'orderpulse-monitoring-'));
const child = spawn(
  process.execPath,
  [join(root, 'bin', 'orderpulse.js'), '--state', join(dir, 'state'), 'start', '--data', join(root, 'data', 'olist-sample'), '--history-until', '2018-06-01', '--day-every', '1s', '--batch-every', '5s', '--port', '0', '--json'],
  { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] },
);
const exited = new Promise((resolve) => child.once('exit', resolve));
let prometheus = null;
let browser = null;
try {
  let out = '';
  const url = await new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (text) => {
      out += text;
      const ready = out.split('\n').find((line) => line.includes('"step":"ready"'));
      if (ready !== undefined) resolve(JSON.parse(ready).url);
    });
    void exited.then(() => reject(new Error('orderpulse start ended before it was serving')));
  });
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
  child.kill('SIGTERM');
  await exited;
  rmSync(dir, { recursive: true, force: true });
}
