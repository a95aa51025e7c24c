import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runBatch } from '../batch/index.js';
import { Lake } from '../lake/index.js';
import { createServer } from '../serve/index.js';
import { FakeReadModel } from '../serve/test-read-model.js';
import { openTestLiveLog } from '../serve/test-live-source.js';
import { DEFAULTS, openRuntime, type Runtime } from '../deploy/index.js';
import { TOPICS } from '../events/index.js';
import { SseClient } from '../serve/test-sse-client.js';
import { ALERT_EVENTS_TABLE, AlertCodec, BRONZE_EVENTS_TABLE, RULE_NAMES, StreamError, StreamProcessor } from '../stream/index.js';
import { H, T0, placed, step } from '../stream/test-events.js';
import { tempDir } from '../testing/fixtures.js';
import { openSamplePipeline, sampleEvents } from '../testing/sample-pipeline.js';
import { Metrics, MetricsPortError, serveMetrics } from './index.js';

const newMetrics = (): Metrics => new Metrics({ role: 'stream', deployment: 'embedded', version: '0.0.0-test', processMetrics: false });

/** The sample's value of `name{labels}` in the exposition text (labels in registration order), NaN when absent. */
function sample(text: string, series: string): number {
  const escaped = series.replace(/[{}"+.]/g, '\\$&');
  return Number(new RegExp(`^${escaped} (\\S+)$`, 'm').exec(text)?.[1]);
}

describe('Metrics', () => {
  const dir = tempDir('orderpulse-metrics-');
  after(() => dir.remove());

  it('exposes build and role info, and stops counting once closed', async () => {
    const metrics = new Metrics({ role: 'batch', deployment: 'cluster', version: '1.2.3' });
    const text = await metrics.text();
    assert.equal(sample(text, 'orderpulse_build_info{version="1.2.3",deployment="cluster"}'), 1);
    assert.equal(sample(text, 'orderpulse_process_role_info{role="batch"}'), 1);
    assert.match(text, /^process_cpu_seconds_total /m);
    metrics.close();
  });

  it('counts a real lake commit conflict by table and outcome, and the landed commits with their duration', async () => {
    const lake = await Lake.open({ catalogUri: join(dir.path, 'catalog.db'), warehouse: join(dir.path, 'warehouse'), tempDir: join(dir.path, 'tmp') });
    const metrics = newMetrics();
    const closed = newMetrics();
    closed.close();
    try {
      const columns = [{ name: 'id', type: 'long', required: true }] as const;
      const a = await lake.createTable('bronze.race', { columns: [...columns] });
      const b = await lake.table('bronze.race');
      const rows = (from: number): { id: bigint }[] => Array.from({ length: 5 }, (_, i) => ({ id: BigInt(from + i) }));
      // Two table objects on the same base: one of each pair conflicts and retries. Rounds until one did.
      for (let round = 0; round < 20 && !Number.isFinite(sample(await metrics.text(), 'orderpulse_lake_commits_total{table="bronze.race",outcome="conflict"}')); round++) {
        await Promise.all([a.append(rows(round * 10)), b.append(rows(round * 10 + 5))]);
      }
      const text = await metrics.text();
      assert.ok(sample(text, 'orderpulse_lake_commits_total{table="bronze.race",outcome="conflict"}') >= 1, 'a conflict was counted');
      const snapshots = (await lake.table('bronze.race')).snapshots().length;
      assert.equal(sample(text, 'orderpulse_lake_commits_total{table="bronze.race",outcome="committed"}'), snapshots);
      assert.equal(sample(text, 'orderpulse_lake_commit_duration_seconds_count{table="bronze.race"}'), snapshots);
      // Every data file written, landed or not (a conflicting attempt rewrites none: its data files are reused), on disk now.
      const files = readdirSync(join(dir.path, 'warehouse', 'bronze', 'race', 'data')).filter((f) => f.endsWith('.parquet'));
      assert.equal(sample(text, 'orderpulse_lake_files_written_total{table="bronze.race"}'), files.length);
      const bytes = files.reduce((n, f) => n + statSync(join(dir.path, 'warehouse', 'bronze', 'race', 'data', f)).size, 0);
      assert.equal(sample(text, 'orderpulse_lake_bytes_written_total{table="bronze.race"}'), bytes);
      assert.match(await closed.text(), /^# TYPE orderpulse_lake_commits_total counter\n(?!orderpulse_lake_commits_total\{)/m, 'a closed Metrics counts nothing');
    } finally {
      metrics.close();
      await lake.close();
    }
  });

  it('on a real stream run of the sample: alert changes per rule equal the alert table rows per rule, and event-to-alert latency is observed', async () => {
    const metrics = newMetrics();
    const pipeline = await openSamplePipeline(join(dir.path, 'sample'), await sampleEvents());
    try {
      const feeding = Date.now();
      await pipeline.feed();
      const fedMs = Date.now() - feeding;
      const text = await metrics.text();
      const table = await pipeline.lake.table(ALERT_EVENTS_TABLE);
      const view = await (await table.scan()).view();
      const counted = await pipeline.lake.query({ a: view }, 'SELECT rule, change, count(*) AS n FROM a GROUP BY rule, change', []);
      assert.ok(counted.rows.length > 0);
      let seen = 0;
      let timed = 0;
      for (const row of counted.rows) {
        assert.equal(sample(text, `orderpulse_stream_alert_changes_total{rule="${String(row.rule)}",change="${String(row.change)}"}`), Number(row.n), `${String(row.rule)} ${String(row.change)}`);
      }
      for (const rule of RULE_NAMES) {
        const n = sample(text, `orderpulse_stream_event_to_alert_seconds_count{rule="${rule}"}`);
        if (Number.isFinite(n)) seen += n;
        const sum = sample(text, `orderpulse_stream_event_to_alert_seconds_sum{rule="${rule}"}`);
        if (Number.isFinite(sum)) timed += sum;
      }
      assert.ok(seen > 0, 'changes caused by records are timed from their fetch');
      // Every record was fetched and its change published during the feed: no time (say, one measured
      // from the record's event time, years ago) can be longer than the feed itself.
      assert.ok(timed <= (seen * fedMs) / 1000, `latency sum ${timed} s over ${seen} changes, feed ${fedMs} ms`);
      const processed = sample(text, 'orderpulse_stream_records_processed_total{topic="orders"}');
      assert.ok(processed > 0);
      // One replay into a fresh log, read once by the processor: the three counts of order records agree.
      assert.equal(sample(text, 'orderpulse_replay_events_appended_total{topic="orders"}'), processed);
      assert.equal(sample(text, 'orderpulse_log_records_appended_total{topic="orders"}'), processed);
      assert.ok(sample(text, 'orderpulse_log_records_fetched_total{topic="orders"}') >= processed);
      assert.equal(sample(text, 'orderpulse_replay_lag_seconds'), 0, 'unpaced: never behind');
      assert.ok(sample(text, 'orderpulse_log_fetch_duration_seconds_count') > 0);
      assert.ok(sample(text, 'orderpulse_stream_batch_duration_seconds_count{phase="total"}') >= 1);
      assert.ok(Number.isFinite(sample(text, 'orderpulse_stream_watermark_seconds{task="0"}')));
      // Read to the end of the log: no partition whose end the processor knows is behind.
      const lags = [...text.matchAll(/^orderpulse_log_consumer_lag_records\{group="stream",topic="([a-z_]+)",partition="(\d+)"\} (\S+)$/gm)];
      assert.ok(lags.length > 0, 'the consumer lag is reported per partition');
      assert.deepEqual(lags.filter((m) => Number(m[3]) !== 0).map((m) => `${m[1]}/${m[2]}: ${m[3]}`), []);

      // The batch layer over the same lake: a first run writes each job's whole table.
      const before = Date.now() / 1000;
      const reports = await runBatch(pipeline.lake);
      const after = await metrics.text();
      for (const report of reports) {
        const job = report.job;
        assert.equal(sample(after, `orderpulse_batch_runs_total{job="${job}",outcome="${report.outcome}"}`), 1, job);
        assert.equal(sample(after, `orderpulse_batch_run_duration_seconds_count{job="${job}"}`), 1, job);
        assert.ok(sample(after, `orderpulse_batch_last_success_timestamp_seconds{job="${job}"}`) >= before, job);
        if (report.outcome !== 'written') continue;
        const rows = await pipeline.lake.query({ t: await (await (await pipeline.lake.table(job)).scan()).view() }, 'SELECT count(*) AS n FROM t', []);
        assert.equal(sample(after, `orderpulse_batch_rows_written_total{job="${job}"}`), Number(rows.rows[0]?.n), job);
      }
    } finally {
      metrics.close();
      await pipeline.close();
    }
  });

  it('counts a conflict on a stream table as a commit retry, and one on another table not', async () => {
    const lake = await Lake.open({ catalogUri: join(dir.path, 'retries.db'), warehouse: join(dir.path, 'retries'), tempDir: join(dir.path, 'tmp') });
    const metrics = newMetrics();
    try {
      const columns = [{ name: 'id', type: 'long', required: true }] as const;
      const conflicts = (table: string, text: string): number => sample(text, `orderpulse_lake_commits_total{table="${table}",outcome="conflict"}`);
      for (const name of [BRONZE_EVENTS_TABLE, 'silver.other']) {
        const a = await lake.createTable(name, { columns: [...columns] });
        const b = await lake.table(name);
        for (let round = 0; round < 20 && !(conflicts(name, await metrics.text()) >= 1); round++) {
          await Promise.all([a.append([{ id: BigInt(round * 2) }]), b.append([{ id: BigInt(round * 2 + 1) }])]);
        }
      }
      const text = await metrics.text();
      assert.ok(conflicts(BRONZE_EVENTS_TABLE, text) >= 1 && conflicts('silver.other', text) >= 1, 'both tables had a conflict');
      assert.equal(sample(text, 'orderpulse_stream_commit_retries_total'), conflicts(BRONZE_EVENTS_TABLE, text));
    } finally {
      metrics.close();
      await lake.close();
    }
  });

  it('counts a second processor refused on a task it does not own, and times each state rebuild', async () => {
    const runtime = openRuntime({ ...DEFAULTS, state: join(dir.path, 'fencing') });
    const metrics = newMetrics();
    const open = async (runtime: Runtime): Promise<StreamProcessor> =>
      StreamProcessor.open({
        log: runtime.log,
        codec: await runtime.codec(),
        lake: await runtime.lake(),
        alertCodec: await AlertCodec.open(runtime.registry, { registerSchemas: true }),
        idle: { afterMs: 0, advanceMs: 0 },
        tasks: [0],
      });
    try {
      await runtime.log.createTopic({ name: TOPICS.orders, partitions: 1 });
      await runtime.log.createTopic({ name: TOPICS.reviews, partitions: 1 });
      const codec = await runtime.codec();
      await runtime.log.append([placed('o1'), step('PaymentApproved', 'o1', T0 + H), placed('o2', T0 + 2 * H)].map((e) => codec.encode(e)));
      const first = await open(runtime);
      const second = await open(runtime);
      let text = await metrics.text();
      assert.equal(sample(text, 'orderpulse_stream_rebuild_duration_seconds_count'), 2, 'each open rebuilds (from an empty bronze)');
      assert.equal(sample(text, 'orderpulse_stream_fencing_refusals_total'), 0);
      await first.run({ untilIdle: true });
      await assert.rejects(second.run({ untilIdle: true }), (error: unknown) => error instanceof StreamError && error.code === 'OP_STREAM_TASK_TAKEN');
      text = await metrics.text();
      assert.equal(sample(text, 'orderpulse_stream_fencing_refusals_total'), 1);
      // A restart over what the first committed: a third rebuild, whose time is what the processor says.
      const restarted = await open(runtime);
      assert.equal(restarted.recovery.replayed, 3);
      text = await metrics.text();
      assert.equal(sample(text, 'orderpulse_stream_rebuild_duration_seconds_count'), 3);
      const sum = sample(text, 'orderpulse_stream_rebuild_duration_seconds_sum');
      assert.ok(sum >= restarted.recovery.ms / 1000, `rebuild seconds ${sum} include the restart's ${restarted.recovery.ms} ms`);
    } finally {
      metrics.close();
      await runtime.close();
    }
  });

  describe('over HTTP', () => {
    let liveLog: Awaited<ReturnType<typeof openTestLiveLog>>;
    before(async () => {
      liveLog = await openTestLiveLog(dir.path);
    });
    after(async () => liveLog.close());

    it('the server times each request by route template, method and status, and serves /metrics', async () => {
      const metrics = newMetrics();
      const app = createServer({ read: new FakeReadModel(), live: liveLog.source, logger: false, metrics });
      try {
        const base = await app.listen({ host: '127.0.0.1', port: 0 });
        assert.equal((await fetch(`${base}/api/kpis`)).status, 200);
        assert.equal((await fetch(`${base}/api/orders/e481f51cbdc54678b7cc49136f2d6af7`)).status, 200);
        assert.equal((await fetch(`${base}/api/nothing-here`)).status, 404);
        const response = await fetch(`${base}/metrics`);
        assert.equal(response.status, 200);
        assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
        const text = await response.text();
        assert.match(text, /^orderpulse_build_info\{version="0\.0\.0-test",deployment="embedded"\} 1$/m);
        assert.equal(sample(text, 'orderpulse_serve_request_duration_seconds_count{route="/api/kpis",method="GET",status="200"}'), 1);
        assert.equal(sample(text, 'orderpulse_serve_request_duration_seconds_count{route="/api/orders/:orderId",method="GET",status="200"}'), 1);
        assert.equal(sample(text, 'orderpulse_serve_request_duration_seconds_count{route="unmatched",method="GET",status="404"}'), 1);
      } finally {
        metrics.close();
        await app.close();
      }
    });

    it('counts the live-push clients as they connect and leave', async () => {
      const metrics = newMetrics();
      const app = createServer({ read: new FakeReadModel(), live: liveLog.source, logger: false, metrics });
      const clients = async (): Promise<number> => sample(await metrics.text(), 'orderpulse_serve_sse_clients');
      try {
        const base = await app.listen({ host: '127.0.0.1', port: 0 });
        assert.equal(await clients(), 0);
        const one = await SseClient.open(`${base}/api/live`);
        const two = await SseClient.open(`${base}/api/live`);
        assert.deepEqual([one.status, two.status], [200, 200]);
        while ((await clients()) !== 2) await new Promise((resolve) => setImmediate(resolve));
        one.close();
        // The server sees the socket close a moment later: wait for it, not for a time.
        while ((await clients()) !== 1) await new Promise((resolve) => setImmediate(resolve));
        two.close();
        while ((await clients()) !== 0) await new Promise((resolve) => setImmediate(resolve));
      } finally {
        metrics.close();
        await app.close();
      }
    });

    it('/metrics follows the token rule of the API', async () => {
      const metrics = newMetrics();
      const app = createServer({ read: new FakeReadModel(), live: liveLog.source, logger: false, metrics, token: 'metrics-token' });
      try {
        assert.equal((await app.inject('/metrics')).statusCode, 401);
        assert.equal((await app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong' } })).statusCode, 401);
        const right = await app.inject({ url: '/metrics', headers: { authorization: 'Bearer metrics-token' } });
        assert.equal(right.statusCode, 200);
        assert.match(right.body, /^orderpulse_process_role_info\{role="stream"\} 1$/m);
      } finally {
        metrics.close();
        await app.close();
      }
    });

    it('serveMetrics serves /metrics only on loopback, and refuses a bad or taken port naming the setting', async () => {
      const metrics = newMetrics();
      const holder = createNetServer();
      await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
      const taken = (holder.address() as { port: number }).port;
      try {
        await assert.rejects(serveMetrics(metrics, 0, '--metrics-port'), (e: unknown) => e instanceof MetricsPortError && /^--metrics-port must be a whole number/.test(e.message));
        await assert.rejects(serveMetrics(metrics, 70_000, '--metrics-port'), MetricsPortError);
        await assert.rejects(serveMetrics(metrics, taken, '--metrics-port'), (e: unknown) => e instanceof MetricsPortError && /--metrics-port \d+: .* is taken/.test(e.message));
        holder.close();
        const server = await serveMetrics(metrics, taken, '--metrics-port');
        try {
          const text = await (await fetch(server.url)).text();
          assert.match(text, /^orderpulse_build_info\{/m);
          assert.equal((await fetch(server.url.replace('/metrics', '/api/kpis'))).status, 404);
        } finally {
          await server.close();
        }
      } finally {
        metrics.close();
        holder.close();
      }
    });
  });
});
