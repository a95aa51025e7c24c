/**
 * monitoring/ against a real Prometheus: the committed configuration and rules pass promtool, the
 * rules' unit tests pass, the dashboard JSON is the typed build, and a Prometheus scraping a running
 * `orderpulse start` sees its target up and gets data for every query of every dashboard panel (the
 * Kafka panels are checked by the cluster suite, which has the brokers).
 *
 * Skipped with the reason when prometheus/promtool are missing, unless ORDERPULSE_REQUIRE_PROMETHEUS=1.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { repoRoot, sampleDir, tempDir } from '../src/testing/fixtures.js';
import { MONITORING_DIR, promtool, prometheusSkip, startPrometheus, untilAllAnswer, writePrometheusConfig } from '../src/testing/prometheus.js';
import { buildDashboard, isKafkaExpression, panelExpressions } from './grafana/dashboard.js';

const skip = prometheusSkip();
const dir = tempDir('orderpulse-monitoring-');
after(() => dir.remove());

describe('the Grafana dashboard', () => {
  it('the committed JSON is the typed dashboard, and every panel has a query', () => {
    const committed = JSON.parse(readFileSync(join(MONITORING_DIR, 'grafana', 'orderpulse.json'), 'utf8')) as unknown;
    assert.deepEqual(committed, JSON.parse(JSON.stringify(buildDashboard())), 'run `npm run monitoring:dashboard` after changing dashboard.ts');
    const panels = (buildDashboard().panels ?? []).filter((p) => p.type !== 'row');
    assert.ok(panels.length >= 20, `${panels.length} panels`);
    const titles = new Set(panelExpressions(buildDashboard()).map((e) => e.panel));
    for (const panel of panels) assert.ok(titles.has(panel.title ?? ''), `panel "${panel.title}" has a PromQL query`);
  });
});

describe('monitoring/ with promtool', { skip }, () => {
  it('promtool check config accepts monitoring/prometheus.yml and its rules', () => {
    const run = promtool(['check', 'config', 'monitoring/prometheus.yml']);
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /SUCCESS: 1 rule files found/);
  });

  it('promtool check rules accepts every rule file', () => {
    const files = readdirSync(join(MONITORING_DIR, 'rules')).map((f) => `monitoring/rules/${f}`);
    const run = promtool(['check', 'rules', ...files]);
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /SUCCESS: 7 rules found/);
  });

  it('promtool test rules: every alert fires when it should and stays silent otherwise', () => {
    const files = readdirSync(join(MONITORING_DIR, 'tests')).map((f) => `monitoring/tests/${f}`);
    const run = promtool(['test', 'rules', ...files]);
    assert.equal(run.code, 0, run.output);
    // Each alert of the rules is asserted at least once firing in the tests.
    const rules = readFileSync(join(MONITORING_DIR, 'rules', 'orderpulse.yml'), 'utf8');
    const tests = files.map((f) => readFileSync(join(repoRoot, f), 'utf8')).join('\n');
    for (const [, alert] of rules.matchAll(/^\s+- alert: (\S+)$/gm)) {
      assert.match(tests, new RegExp(`alertname: ${alert}\\n\\s+exp_alerts:\\n(\\s+#.*\\n)*\\s+- exp_labels`), `${alert} is tested firing`);
      assert.match(tests, new RegExp(`alertname: ${alert}\\n\\s+exp_alerts: \\[\\]`), `${alert} is tested silent`);
    }
  });
});

describe('Prometheus scraping a running orderpulse start', { skip }, () => {
  it('the server target is up and every query of every non-Kafka panel returns data', async (t) => {
    const started = performance.now();
    const state = join(dir.path, 'state');
    const child = spawn(
      process.execPath,
      [join(repoRoot, 'bin', 'orderpulse.js'), '--state', state, 'start', '--data', sampleDir, '--max', '--history-until', '2018-08-01', '--batch-every', '1s', '--port', '0', '--json'],
      { cwd: dir.path, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (err += text));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let prometheus: Awaited<ReturnType<typeof startPrometheus>> | null = null;
    try {
      await new Promise<void>((resolve) => {
        child.stdout.setEncoding('utf8').on('data', (text: string) => {
          out += text;
          if (out.includes('"step":"live-started"')) resolve();
        });
        void exited.then(() => resolve());
      });
      const url = (JSON.parse(out.split('\n').find((line) => line.includes('"step":"ready"')) ?? '{}') as { url?: string }).url ?? '';
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, `orderpulse start is serving: ${err}`);
      const pipelineReady = performance.now();
      // Requests for the HTTP panels.
      for (let i = 0; i < 5; i++) assert.equal((await fetch(`${url}/api/kpis`)).status, 200);

      prometheus = await startPrometheus(writePrometheusConfig(join(dir.path, 'prometheus'), { 'orderpulse-server': [new URL(url).host] }));
      const expressions = panelExpressions(buildDashboard()).filter((e) => !isKafkaExpression(e.expr));
      const { downTargets, empty } = await untilAllAnswer(prometheus.url, expressions);
      assert.deepEqual(downTargets, [], 'every target is up');
      assert.deepEqual(empty, [], 'every panel query returns data');
      t.diagnostic(
        `pipeline ready in ${((pipelineReady - started) / 1000).toFixed(1)} s; Prometheus answered ${expressions.length} queries ` +
          `${((performance.now() - pipelineReady) / 1000).toFixed(1)} s later`,
      );
    } finally {
      await prometheus?.stop();
      child.kill('SIGTERM');
      await exited;
    }
  });
});
