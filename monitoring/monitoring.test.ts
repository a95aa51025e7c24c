/**
 * monitoring/ against a real Prometheus: the committed configuration and rules pass promtool, the
 * rules' unit tests pass, the dashboard JSON is the typed build, and a Prometheus scraping a running
 * `orderpulse start` sees its target up and gets data for every query of every dashboard panel (the
 * Kafka panels are checked by the cluster suite, which has the brokers).
 *
 * Skipped with the reason when prometheus/promtool are missing, unless ORDERPULSE_REQUIRE_PROMETHEUS=1.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CliProcess, freePort, startOrderpulse } from '../src/testing/cli-process.js';
import { repoRoot, sampleDir, tempDir } from '../src/testing/fixtures.js';
import type { RunningPrometheus } from '../src/testing/prometheus.js';
import { MONITORING_DIR, instantQuery, promtool, prometheusSkip, startPrometheus, untilAllAnswer, writePrometheusConfig } from '../src/testing/prometheus.js';
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

/** The metric names of the metrics contract and of monitoring/kafka/jmx-exporter.yml, written out by hand. */
const KNOWN_METRICS = new Set([
  'orderpulse_replay_events_appended_total', 'orderpulse_replay_append_duration_seconds', 'orderpulse_replay_lag_seconds',
  'orderpulse_log_records_appended_total', 'orderpulse_log_records_fetched_total', 'orderpulse_log_fetch_duration_seconds',
  'orderpulse_log_consumer_lag_records', 'orderpulse_stream_records_processed_total', 'orderpulse_stream_batch_duration_seconds',
  'orderpulse_stream_watermark_seconds', 'orderpulse_stream_watermark_lag_seconds', 'orderpulse_stream_event_to_alert_seconds',
  'orderpulse_stream_alert_changes_total', 'orderpulse_stream_open_alerts', 'orderpulse_stream_open_alert_value_brl',
  'orderpulse_stream_commit_retries_total', 'orderpulse_stream_fencing_refusals_total', 'orderpulse_stream_rebuild_duration_seconds',
  'orderpulse_lake_commits_total', 'orderpulse_lake_commit_duration_seconds', 'orderpulse_lake_files_written_total',
  'orderpulse_lake_bytes_written_total', 'orderpulse_batch_runs_total', 'orderpulse_batch_run_duration_seconds',
  'orderpulse_batch_rows_read_total', 'orderpulse_batch_rows_written_total', 'orderpulse_batch_last_success_timestamp_seconds',
  'orderpulse_serve_request_duration_seconds', 'orderpulse_serve_sse_clients',
  'kafka_server_brokertopicmetrics_messagesin_total', 'kafka_server_brokertopicmetrics_bytesin_total',
  'kafka_server_brokertopicmetrics_bytesout_total', 'kafka_server_replicamanager_underreplicatedpartitions',
  'kafka_server_replicamanager_partitioncount', 'kafka_server_replicamanager_leadercount',
  'kafka_controller_kafkacontroller_offlinepartitionscount', 'kafka_controller_kafkacontroller_activecontrollercount',
  'kafka_network_requestmetrics_totaltimems',
]);

/** The OrderPulse and Kafka metric names a text uses (a histogram's series by the histogram's name). */
function metricNames(text: string): string[] {
  return [...text.matchAll(/\b((?:orderpulse|kafka)_[a-z0-9_]+)/g)].map(([, name]) => (name ?? '').replace(/_(bucket|count|sum)$/, ''));
}

describe('metric names', () => {
  it('the dashboard and the alerting rules use only the metrics of the contract and of the Kafka exporter rules', () => {
    const rules = readFileSync(join(MONITORING_DIR, 'rules', 'orderpulse.yml'), 'utf8')
      .split('\n')
      .filter((line) => line.trim().startsWith('expr:'))
      .join('\n');
    const used = [...panelExpressions(buildDashboard()).map((e) => e.expr), rules].flatMap(metricNames);
    assert.ok(used.length > 40, `${used.length} uses`);
    assert.deepEqual([...new Set(used.filter((name) => !KNOWN_METRICS.has(name)))], []);
    // The Kafka exporter's rules make every Kafka name used.
    const exporter = readFileSync(join(MONITORING_DIR, 'kafka', 'jmx-exporter.yml'), 'utf8');
    for (const name of new Set(used.filter((n) => n.startsWith('kafka_')))) assert.ok(exporter.includes(name), `${name} in the exporter's rules`);
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

describe('monitoring/prometheus.yml scraping', { skip }, () => {
  it('keeps the batch metrics\' own job label as batch_job, and the scrape job as job', async () => {
    // An exposition written by hand, as the batch process serves it (the label the contract names `job`).
    const exposition = [
      '# TYPE orderpulse_batch_runs_total counter',
      'orderpulse_batch_runs_total{job="gold.daily_sales",outcome="written"} 4',
      '# TYPE orderpulse_lake_commits_total counter',
      'orderpulse_lake_commits_total{table="gold.daily_sales",outcome="committed"} 4',
      '',
    ].join('\n');
    const server = createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const target = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const prometheus = await startPrometheus(writePrometheusConfig(join(dir.path, 'relabel'), { 'orderpulse-batch': [target] }));
    try {
      const { downTargets, empty } = await untilAllAnswer(prometheus.url, [{ panel: 'batch runs', expr: 'orderpulse_batch_runs_total' }]);
      assert.deepEqual([downTargets, empty], [[], []]);
      const [runs] = await instantQuery(prometheus.url, 'orderpulse_batch_runs_total');
      assert.deepEqual(runs?.metric, { __name__: 'orderpulse_batch_runs_total', batch_job: 'gold.daily_sales', outcome: 'written', job: 'orderpulse-batch', instance: target });
      assert.equal(runs?.value[1], '4');
      const [commits] = await instantQuery(prometheus.url, 'orderpulse_lake_commits_total');
      assert.equal(commits?.metric['batch_job'], undefined, 'no batch_job label where the metric had no job label');
    } finally {
      await prometheus.stop();
      server.close();
    }
  });
});

describe('Prometheus scraping a running orderpulse start', { skip }, () => {
  it('the server target is up and every query of every non-Kafka panel returns data', async (t) => {
    const started = performance.now();
    const { process: start, url } = await startOrderpulse({
      cwd: dir.path,
      state: join(dir.path, 'state'),
      data: sampleDir,
      flags: ['--max', '--history-until', '2018-08-01', '--batch-every', '1s'],
      until: 'live-started',
    });
    let prometheus: RunningPrometheus | null = null;
    try {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, `orderpulse start is serving: ${start.err}`);
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
      await start.stop();
    }
  });
});

describe('Prometheus scraping a headless pipeline: replay, stream, batch and serve as separate processes', { skip }, () => {
  it('each process is its job\'s target, every target is up, and every query of every non-Kafka panel returns data', async (t) => {
    const state = join(dir.path, 'headless');
    const cwd = dir.path;
    const [replayPort, streamPort, batchPort] = [await freePort(), await freePort(), await freePort()];
    const processes: CliProcess[] = [];
    let prometheus: RunningPrometheus | null = null;
    try {
      // A history first (the state, its topics and schemas, for every process to find at once).
      const history = CliProcess.spawn(['--state', state, 'replay', '--data', sampleDir, '--until', '2017-06-01', '--quiet'], { cwd });
      assert.equal(await history.exited, 0, history.err);
      // Then the rest, paced, so the replay runs while Prometheus scrapes it (minutes at this rate).
      const replay = CliProcess.spawn(['--state', state, 'replay', '--data', sampleDir, '--rate', '200', '--metrics-port', String(replayPort)], { cwd });
      const stream = CliProcess.spawn(['--state', state, 'stream', '--idle-after', '1s', '--metrics-port', String(streamPort)], { cwd });
      const batch = CliProcess.spawn(['--state', state, 'batch', 'run', '--every', '2s', '--json', '--metrics-port', String(batchPort)], { cwd });
      const serve = CliProcess.spawn(['--state', state, 'serve', '--port', '0', '--json'], { cwd });
      processes.push(replay, stream, batch, serve);
      await serve.until((out) => out.includes('"url"'), 'serve printed where it listens');
      const url = (JSON.parse(serve.out.split('\n')[0] ?? '{}') as { url?: string }).url ?? '';
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, serve.err);
      // A batch run that wrote: the stream's bronze reached gold.
      await batch.until((out) => out.includes('"outcome":"written"'), 'a batch run wrote a table');

      prometheus = await startPrometheus(
        writePrometheusConfig(join(dir.path, 'prometheus-headless'), {
          'orderpulse-server': [new URL(url).host],
          'orderpulse-stream': [`127.0.0.1:${streamPort}`],
          'orderpulse-replay': [`127.0.0.1:${replayPort}`],
          'orderpulse-batch': [`127.0.0.1:${batchPort}`],
        }),
      );
      for (let i = 0; i < 5; i++) assert.equal((await fetch(`${url}/api/kpis`)).status, 200);
      const expressions = panelExpressions(buildDashboard()).filter((e) => !isKafkaExpression(e.expr));
      const { downTargets, empty } = await untilAllAnswer(prometheus.url, expressions);
      assert.deepEqual(downTargets, [], 'every target is up');
      assert.deepEqual(empty, [], 'every panel query returns data');
      // Each role is seen under its own scrape job.
      const roles = await instantQuery(prometheus.url, 'orderpulse_process_role_info');
      assert.deepEqual(
        roles.map((r) => `${r.metric['job'] ?? ''}=${r.metric['role'] ?? ''}`).sort(),
        ['orderpulse-batch=batch', 'orderpulse-replay=replay', 'orderpulse-server=server', 'orderpulse-stream=stream'],
      );
      for (const p of processes) assert.ok(p.running, `a process stopped early: ${p.err}`);
      t.diagnostic(`${expressions.length} queries answered over four processes`);
    } finally {
      await prometheus?.stop();
      // Each stops cleanly on SIGTERM, as a service manager would stop it.
      const codes = await Promise.all(processes.map((p) => p.stop('SIGTERM')));
      assert.deepEqual(codes, processes.map(() => 0), processes.map((p) => p.err).join('\n'));
    }
  });
});
