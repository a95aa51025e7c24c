import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadOlist } from '../data/index.js';
import { SqliteEventLog } from '../log/index.js';
import { openEmbeddedStore } from '../store/index.js';
import { repoRoot, sampleDir, tempDir } from '../testing/fixtures.js';
import { CliProcess } from '../testing/cli-process.js';
import { logContents } from '../testing/log-contents.js';
import { ADDED_REQUIRED_FIELD, incompatibleOrdersSchemaDir } from '../testing/schema-dirs.js';
import { JOBS } from '../batch/index.js';
import { DEFAULTS, openRuntime, registerTopicSchemas, schemasToRegister } from '../deploy/index.js';
import { main } from './index.js';
import type { CliRun } from './run-for-test.js';
import { Capture, runCli } from './run-for-test.js';

const run = (args: string[], env: NodeJS.ProcessEnv = {}, cwd = repoRoot): Promise<CliRun> => runCli(args, { env, cwd });

const dir = tempDir();
after(() => dir.remove());

describe('orderpulse validate', () => {
  it('reports the exact row count of every file of the sample', async () => {
    const { code, out } = await run(['validate', '--data', sampleDir, '--json']);
    assert.equal(code, 0);
    const report = JSON.parse(out) as { files: { file: string; rowsRead: number; accepted: number; quarantined: number }[] };
    const rows = Object.fromEntries(report.files.map((f) => [f.file.replace(/\.csv(\.gz)?$/, ''), f.accepted]));
    assert.deepEqual(rows, {
      olist_orders_dataset: 13_092,
      olist_order_items_dataset: 14_852,
      olist_order_payments_dataset: 13_677,
      olist_customers_dataset: 13_092,
      olist_order_reviews_dataset: 13_052,
      olist_products_dataset: 32_951,
      olist_sellers_dataset: 3_095,
      product_category_name_translation: 71,
    });
    assert.ok(report.files.every((f) => f.quarantined === 0 && f.rowsRead === f.accepted));
  });

  it('fails clearly on a directory that does not exist', async () => {
    const { code, err } = await run(['validate', '--data', join(dir.path, 'nowhere')]);
    assert.equal(code, 1);
    assert.match(err, /nowhere/);
    assert.match(err, /OP_DATA_NO_DIRECTORY/);
  });
});

describe('orderpulse replay, topics and tail', () => {
  const state = join(dir.path, 'state');

  it('replays the sample: one OrderPlaced per order, counts per topic matching the data', async () => {
    const { code, out } = await run(['--state', state, 'replay', '--data', sampleDir, '--max', '--json']);
    assert.equal(code, 0, out);
    const summary = JSON.parse(out) as { byType: Record<string, number>; byTopic: Record<string, number>; completed: boolean };
    const dataset = await loadOlist(sampleDir);
    assert.equal(summary.completed, true);
    assert.equal(summary.byType.OrderPlaced, 13_092);
    assert.equal(summary.byType.OrderDelivered, dataset.orders.filter((o) => o.deliveredToCustomerAt !== null).length);
    assert.equal(summary.byTopic.reviews, dataset.reviews.length);
    assert.equal(summary.byTopic.customers, dataset.customers.length);
    assert.equal(summary.byTopic.sellers, new Set(dataset.items.map((i) => i.sellerId)).size);
  });

  it('lists the topics with their end offsets', async () => {
    const { code, out } = await run(['--state', state, 'topics', '--json']);
    assert.equal(code, 0);
    const topics = JSON.parse(out) as { topics: { name: string; partitions: number; records: number }[] };
    const orders = topics.topics.find((t) => t.name === 'orders');
    assert.equal(orders?.partitions, 6);
    const dataset = await loadOlist(sampleDir);
    const expected =
      dataset.orders.length * 1 +
      dataset.orders.filter((o) => o.approvedAt !== null).length +
      dataset.orders.filter((o) => o.deliveredToCarrierAt !== null).length +
      dataset.orders.filter((o) => o.deliveredToCustomerAt !== null).length +
      dataset.orders.filter((o) => o.status === 'canceled' || o.status === 'unavailable').length;
    assert.equal(orders?.records, expected);
  });

  it('shows a consumer group\'s committed offsets and lag', async () => {
    const db = openEmbeddedStore(join(state, 'orderpulse.db'));
    const log = new SqliteEventLog(db);
    await log.commitOffsets('dashboard', [{ topic: 'reviews', partition: 0, offset: 10 }]);
    const [reviews] = await log.describeTopics(['reviews']);
    await log.close();
    if (db.open) db.close();
    const { code, out } = await run(['--state', state, 'topics', '--group', 'dashboard', '--json']);
    assert.equal(code, 0);
    const result = JSON.parse(out) as { groups: { group: string; partitions: { topic: string; partition: number; lag: number; committed: number | null }[] }[] };
    const partition0 = result.groups[0]?.partitions.find((p) => p.topic === 'reviews' && p.partition === 0);
    assert.equal(partition0?.committed, 10);
    assert.equal(partition0?.lag, (reviews?.endOffsets[0] ?? 0) - 10);
  });

  it('tail decodes the events as JSON lines', async () => {
    const { code, out } = await run(['--state', state, 'tail', 'orders', '--from-beginning', '--limit', '3']);
    assert.equal(code, 0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { topic: string; key: string; event: { type: string; orderId: string } });
    assert.equal(lines.length, 3 * 6);
    for (const line of lines) {
      assert.equal(line.topic, 'orders');
      assert.equal(line.event.orderId, line.key);
    }
  });

  it('tail reports a record it cannot decode, names where it is, and goes on', async () => {
    const db = openEmbeddedStore(join(state, 'orderpulse.db'));
    const log = new SqliteEventLog(db);
    const key = Buffer.from('f'.repeat(32));
    const [bad] = await log.append([{ topic: 'reviews', key, value: Buffer.from([0, 0, 0, 0x7f, 0x7f, 1, 2]), timestamp: 0 }]);
    await log.close();
    if (db.open) db.close();
    assert.ok(bad !== undefined);
    const { code, out, err } = await run(['--state', state, 'tail', 'reviews', '--partition', String(bad.partition), '--limit', '2']);
    assert.equal(code, 1);
    assert.match(err, /OP_EVENTS_UNKNOWN_SCHEMA_ID/);
    assert.match(err, new RegExp(`offset ${bad.offset}`));
    assert.equal(out.trim().split('\n').length, 1, 'the good record before it is still printed');
  });

  it('says which topic is missing', async () => {
    const { code, err } = await run(['--state', state, 'tail', 'nope']);
    assert.equal(code, 1);
    assert.match(err, /topic nope does not exist/);
  });
});

describe('orderpulse usage and configuration errors', () => {
  it('prints help for the command and its subcommands', async () => {
    const { code, out } = await run(['--help']);
    assert.equal(code, 0);
    for (const command of ['validate', 'replay', 'topics', 'tail', 'synth', 'demo', 'schemas', 'stream', 'alerts', 'reviews']) assert.match(out, new RegExp(command));
  });

  it('refuses conflicting pacing flags with a usage error', async () => {
    const { code, err } = await run(['replay', '--speed', '10', '--max']);
    assert.equal(code, 2);
    assert.match(err, /--speed.*--max|--max.*--speed/);
  });

  it('refuses a bad environment value with a usage error naming it', async () => {
    const { code, err } = await run(['--state', join(dir.path, 'x'), 'topics'], { ORDERPULSE_PARTITIONS: '0' });
    assert.equal(code, 2);
    assert.match(err, /ORDERPULSE_PARTITIONS/);
  });

  it('takes the cluster and lake settings as global flags, over the environment', async () => {
    const help = await run(['--help']);
    for (const flag of ['--kafka <brokers>', '--registry <url>', '--warehouse <dir|s3://bucket/prefix>', '--catalog <sqlite file|postgres://...>', '--s3-endpoint <url>', '--s3-region <region>']) {
      assert.ok(help.out.includes(flag), `--help shows ${flag}`);
    }
    const state = join(dir.path, 'global-flags');
    const warehouse = join(dir.path, 'flag-warehouse');
    const catalog = join(dir.path, 'flag-catalog.db');
    const tables = await run(['--state', state, '--warehouse', warehouse, '--catalog', catalog, 'tables', '--json'], {
      ORDERPULSE_WAREHOUSE: join(dir.path, 'env-warehouse'),
      ORDERPULSE_CATALOG: 'postgres://nobody@127.0.0.1:1/none',
    });
    assert.equal(tables.code, 0, tables.err);
    assert.equal((JSON.parse(tables.out) as { warehouse: string }).warehouse, warehouse);
    assert.ok(existsSync(catalog), 'the catalog is the file the flag names');
  });

  it('refuses bad cluster and lake flags with a usage error naming the flag', async () => {
    const state = join(dir.path, 'bad-flags');
    const cases: [string[], RegExp][] = [
      [['--kafka', 'broker-without-port'], /--kafka \(from the flag\) must be a list of brokers, host:port,host:port; "broker-without-port" is not host:port/],
      [['--kafka', 'a:9092,b:99999'], /"b:99999" has a port outside 1\.\.65535/],
      [['--registry', 'localhost:8081'], /--registry \(from the flag\) must be an http:\/\/ or https:\/\/ URL/],
      [['--warehouse', 'hdfs://nn/warehouse'], /--warehouse \(from the flag\) must be a local directory or s3:\/\/bucket\/prefix/],
      [['--catalog', 'mysql://db/catalog'], /--catalog \(from the flag\) must be a SQLite file or a postgres:\/\/ URL/],
      [['--s3-endpoint', 'seaweed:8333'], /--s3-endpoint \(from the flag\) must be an http:\/\/ or https:\/\/ URL/],
      [['--s3-region', 'Sao Paulo'], /--s3-region \(from the flag\) must be a region name/],
      [['--kafka', '127.0.0.1:9092'], /kafka is set but registry is not.*\[OP_CONFIG_INCOMPLETE\]/],
    ];
    for (const [flags, pattern] of cases) {
      const { code, err } = await run(['--state', state, ...flags, 'topics']);
      assert.equal(code, 2, `${flags.join(' ')}: ${err}`);
      assert.match(err, pattern);
    }
    assert.equal(existsSync(state), false, 'nothing was opened');
  });

  it('names the Kafka brokers or the registry it cannot reach', async () => {
    const state = join(dir.path, 'unreachable');
    // Port 1 on the loopback answers nothing.
    const topics = await run(['--state', state, '--kafka', '127.0.0.1:1', '--registry', 'http://127.0.0.1:1', 'topics']);
    assert.equal(topics.code, 1);
    assert.match(topics.err, /cannot list topics \(brokers 127\.0\.0\.1:1\): the cluster cannot be reached.*\[OP_LOG_UNAVAILABLE\]/);
    const schemas = await run(['--state', state, '--registry', 'http://127.0.0.1:1/apis/ccompat/v7', 'schemas', 'list']);
    assert.equal(schemas.code, 1);
    assert.match(schemas.err, /the schema registry at http:\/\/127\.0\.0\.1:1\/apis\/ccompat\/v7 is unreachable.*\[OP_EVENTS_REGISTRY_UNAVAILABLE\]/);
  });

  it('reports errors as JSON with --json', async () => {
    const { code, out } = await run(['validate', '--data', join(dir.path, 'missing'), '--json']);
    assert.equal(code, 1);
    const body = JSON.parse(out) as { error: { code: string } };
    assert.equal(body.error.code, 'OP_DATA_NO_DIRECTORY');
  });
});

describe('orderpulse schemas', () => {
  it("registers every topic's schema, the alerts topic's included, and lists them", async () => {
    const state = join(dir.path, 'schemas');
    const registered = await run(['--state', state, 'schemas', 'register', '--json']);
    assert.equal(registered.code, 0, registered.err);
    const body = JSON.parse(registered.out) as { registry: string; registered: { subject: string; file: string; version: number; compatibility: string }[] };
    assert.equal(body.registry, 'embedded');
    assert.deepEqual(
      body.registered.map((r) => [r.subject, r.file, r.version, r.compatibility]),
      [
        ['orders-value', 'orders-v1.avsc', 1, 'BACKWARD'],
        ['reviews-value', 'reviews-v1.avsc', 1, 'BACKWARD'],
        ['products-value', 'products-v1.avsc', 1, 'BACKWARD'],
        ['sellers-value', 'sellers-v1.avsc', 1, 'BACKWARD'],
        ['customers-value', 'customers-v1.avsc', 1, 'BACKWARD'],
        ['alerts-value', 'alerts-v1.avsc', 1, 'BACKWARD'],
      ],
    );
    const again = await run(['--state', state, 'schemas', 'register', '--json']);
    assert.deepEqual(JSON.parse(again.out), body, 'registering again changes nothing');
    const list = await run(['--state', state, 'schemas', 'list']);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /alerts-value\s+1\s+\d+\s+BACKWARD/);
  });

  it('refuses a schema that breaks the subject\'s compatibility, naming the subject and the reason', async () => {
    const state = join(dir.path, 'schemas-refused');
    assert.equal((await run(['--state', state, 'schemas', 'register'])).code, 0);
    const runtime = openRuntime({ ...DEFAULTS, state });
    try {
      const schemas = schemasToRegister(incompatibleOrdersSchemaDir(join(dir.path, 'schemas-v2')));
      await assert.rejects(registerTopicSchemas(runtime.registry, schemas), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'OP_EVENTS_INCOMPATIBLE_SCHEMA');
        assert.match(e.message, /subject "orders-value".*BACKWARD/);
        assert.ok(e.message.includes(ADDED_REQUIRED_FIELD), e.message);
        return true;
      });
      assert.deepEqual(await runtime.registry.versions('orders-value'), [1]);
    } finally {
      await runtime.close();
    }
  });
});

describe('orderpulse synth', () => {
  it('writes a synthetic directory that validates with scale times the rows', async () => {
    const out = join(dir.path, 'synth');
    const result = await run(['synth', '--scale', '2', '--out', out, '--data', sampleDir, '--json']);
    assert.equal(result.code, 0, result.err);
    assert.ok(existsSync(join(out, 'SYNTHETIC.md')));
    assert.match(readFileSync(join(out, 'SYNTHETIC.md'), 'utf8'), /SYNTHETIC/);
    const { code, out: json } = await run(['validate', '--data', out, '--json']);
    assert.equal(code, 0);
    const report = JSON.parse(json) as { files: { table: string; accepted: number; quarantined: number }[] };
    const orders = report.files.find((f) => f.table === 'orders');
    assert.equal(orders?.accepted, 2 * 13_092);
    assert.ok(report.files.every((f) => f.quarantined === 0));
  });
});

describe('a replay killed with SIGKILL and run again', () => {
  it('leaves the log holding exactly what an uninterrupted replay writes', async () => {
    const bin = join(repoRoot, 'bin', 'orderpulse.js');
    const whole = join(dir.path, 'whole');
    const killed = join(dir.path, 'killed');
    assert.equal((await run(['--state', whole, 'replay', '--data', sampleDir, '--max', '--quiet'])).code, 0);

    // Kill a replay in a real process once it has appended part of the data.
    const child = spawn(process.execPath, [bin, '--state', killed, 'replay', '--data', sampleDir, '--max', '--batch-size', '300'], {
      stdio: 'ignore',
    });
    const storePath = join(killed, 'orderpulse.db');
    let appended = 0;
    while (appended < 15_000) {
      await new Promise((r) => setTimeout(r, 50));
      if (child.exitCode !== null) assert.fail('the replay ended before it could be killed');
      if (!existsSync(storePath)) continue;
      try {
        const db = openEmbeddedStore(storePath);
        const log = new SqliteEventLog(db);
        appended = (await log.describeTopics()).reduce((s, t) => s + t.endOffsets.reduce((a, b) => a + b, 0), 0);
        await log.close();
        db.close();
      } catch {
        // The child may still be creating its tables.
      }
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const resumed = await run(['--state', killed, 'replay', '--data', sampleDir, '--max', '--json']);
    assert.equal(resumed.code, 0, resumed.err);
    const summary = JSON.parse(resumed.out) as { alreadyInLog: number; appended: number; completed: boolean };
    assert.equal(summary.completed, true);
    assert.ok(summary.alreadyInLog >= 15_000);

    const contents = async (state: string): Promise<string[]> => {
      const db = openEmbeddedStore(join(state, 'orderpulse.db'));
      const log = new SqliteEventLog(db);
      try {
        return await logContents(log);
      } finally {
        await log.close();
        if (db.open) db.close();
      }
    };
    const expected = await contents(whole);
    const actual = await contents(killed);
    assert.equal(actual.length, expected.length);
    assert.deepEqual(actual, expected);
  });
});

describe('orderpulse demo, stream, alerts and the lake commands on their tables', () => {
  const state = join(dir.path, 'lake-state');

  it('the demo streams the sample into bronze and the alert tables, which tables, snapshots, query, alerts and maintain work on', async () => {
    const demo = await run(['--state', state, 'demo', '--json']);
    assert.equal(demo.code, 0, demo.err);
    const summary = JSON.parse(demo.out) as {
      state: string;
      bronze: { table: string; rows: number };
      stream: { stats: { alertsByRule: Record<string, number>; openAlerts: number } };
      topOpenAlerts: { alertId: string; priority: number }[];
      batch: { jobs: { job: string; outcome: string }[] };
      gold: {
        topCategories: { category: string; revenueCents: number }[] | null;
        reviewImpact: { delayBucket: string; reviews: number }[] | null;
        quadrants: { quadrant: string; productMonths: number }[] | null;
      };
    };
    const dataset = await loadOlist(sampleDir);
    const orderAndReviewEvents =
      dataset.orders.length +
      dataset.orders.filter((o) => o.approvedAt !== null).length +
      dataset.orders.filter((o) => o.deliveredToCarrierAt !== null).length +
      dataset.orders.filter((o) => o.deliveredToCustomerAt !== null).length +
      dataset.orders.filter((o) => o.status === 'canceled' || o.status === 'unavailable').length +
      dataset.reviews.length;
    assert.equal(summary.bronze.rows, orderAndReviewEvents);
    assert.equal(summary.stream.stats.alertsByRule.delivered_late, 855);
    const demoState = summary.state;

    const tables = await run(['--state', demoState, 'tables', '--json']);
    assert.equal(tables.code, 0, tables.err);
    const listed = JSON.parse(tables.out) as { tables: { table: string; rows: number; snapshots: number; files: number }[] };
    // The demo ran the batch once after the stream: besides the stream's tables, only the batch's targets and sources.
    const streamTables = ['bronze.late_events', 'bronze.order_events', 'gold.alert_events', 'gold.open_alerts'];
    const batchTables = new Set(JOBS.flatMap((j) => [j.name, ...j.sources]));
    const names = listed.tables.map((t) => t.table);
    assert.deepEqual(streamTables.filter((t) => !names.includes(t)), []);
    assert.deepEqual(names.filter((t) => !streamTables.includes(t) && !batchTables.has(t)), []);
    assert.deepEqual(new Set(summary.batch.jobs.map((j) => j.outcome)), new Set(['written']));
    assert.ok(listed.tables.some((t) => t.table === 'silver.orders' && t.rows === 13_092));
    assert.deepEqual(summary.gold.reviewImpact?.map((r) => r.delayBucket), ['on_time', '1-3', '4-7', '8+']);
    if (summary.gold.topCategories !== null) {
      const revenue = summary.gold.topCategories.map((c) => c.revenueCents);
      assert.ok(revenue.length >= 1 && revenue.length <= 5, `${revenue.length} categories`);
      assert.deepEqual(revenue, [...revenue].sort((a, b) => b - a));
    }
    if (summary.gold.quadrants !== null) {
      const productMonths = summary.gold.quadrants.reduce((n, q) => n + q.productMonths, 0);
      assert.equal(productMonths, listed.tables.find((t) => t.table === 'gold.product_portfolio')?.rows);
    }
    assert.equal(listed.tables.find((t) => t.table === 'bronze.order_events')?.rows, orderAndReviewEvents);
    assert.equal(listed.tables.find((t) => t.table === 'gold.open_alerts')?.rows, summary.stream.stats.openAlerts);

    const snapshots = await run(['--state', demoState, 'snapshots', 'bronze.order_events', '--json']);
    const history = JSON.parse(snapshots.out) as { snapshots: { snapshotId: number; operation: string; summary: Record<string, string> }[] };
    assert.ok(history.snapshots.length >= 1);
    assert.ok(history.snapshots.every((s) => s.operation === 'append' && Object.keys(s.summary).some((k) => k.startsWith('orderpulse.log-offsets.task-'))));
    assert.match(history.snapshots[0]?.summary['orderpulse.log-offsets.task-0'] ?? '', /"orders\/0":\d+/);

    const query = await run(['--state', demoState, 'query', "SELECT count(*) AS n FROM bronze_order_events WHERE event_type = 'OrderPlaced'", '--json']);
    assert.equal(query.code, 0, query.err);
    assert.deepEqual((JSON.parse(query.out) as { rows: unknown[] }).rows, [{ n: 13_092 }]);

    const refused = await run(['--state', demoState, 'query', 'DROP TABLE bronze_order_events']);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /read/i);

    const open = await run(['--state', demoState, 'alerts', '--open', '--limit', '5', '--json']);
    assert.equal(open.code, 0, open.err);
    const ranked = (JSON.parse(open.out) as { alerts: { rank: number; alert_id: string; order_id: string }[] }).alerts;
    assert.deepEqual(ranked.map((a) => a.rank), [1, 2, 3, 4, 5]);
    assert.deepEqual(ranked.map((a) => a.alert_id), summary.topOpenAlerts.slice(0, 5).map((a) => a.alertId));

    const late = await run(['--state', demoState, 'alerts', '--rule', 'delivered_late', '--limit', '1000', '--json']);
    assert.equal((JSON.parse(late.out) as { alerts: unknown[] }).alerts.length, 855);
    const badRule = await run(['--state', demoState, 'alerts', '--rule', 'late']);
    assert.equal(badRule.code, 2);
    assert.match(badRule.err, /--rule must be one of approval_overdue/);
    const stage = await run(['--state', demoState, 'alerts', '--open', '--stage', 'delivery', '--limit', '1000', '--json']);
    assert.equal(stage.code, 0, stage.err);
    const delivery = (JSON.parse(stage.out) as { alerts: { rule: string }[] }).alerts;
    assert.ok(delivery.length > 0 && delivery.every((a) => a.rule === 'delivery_overdue'), 'the delivery stage is the delivery_overdue rule');
    const stageAlone = await run(['--state', demoState, 'alerts', '--stage', 'delivery']);
    assert.equal(stageAlone.code, 2);
    assert.match(stageAlone.err, /add --open/);
    // The sample's last deadline passed 59 days before its last event: every open alert is stuck by then.
    const stuck = await run(['--state', demoState, 'alerts', '--stuck', '--limit', '1000', '--json']);
    assert.equal(stuck.code, 0, stuck.err);
    const stuckRows = (JSON.parse(stuck.out) as { alerts: { state: string }[] }).alerts;
    assert.equal(stuckRows.length, summary.stream.stats.openAlerts);
    assert.ok(stuckRows.every((a) => a.state === 'stuck'), 'the stuck list holds only stuck alerts');
    const stuckText = await run(['--state', demoState, 'alerts', '--stuck', '--rule', 'handoff_overdue', '--limit', '3']);
    assert.equal(stuckText.code, 0, stuckText.err);
    assert.match(stuckText.out, /handoff_overdue +stuck/);

    // An order's timeline: the top open alert's order, its events as bronze has them, its alerts.
    const topOrder = ranked[0]?.order_id ?? '';
    const order = await run(['--state', demoState, 'order', topOrder, '--json']);
    assert.equal(order.code, 0, order.err);
    const timeline = JSON.parse(order.out) as { orderId: string; events: { type: string }[]; deadlines: { stage: string }[]; alerts: { orderId: string }[] };
    assert.equal(timeline.orderId, topOrder);
    assert.equal(timeline.events[0]?.type, 'OrderPlaced');
    assert.deepEqual(timeline.deadlines.map((d) => d.stage), ['approval', 'handoff', 'delivery']);
    assert.ok(timeline.alerts.length > 0 && timeline.alerts.every((a) => a.orderId === topOrder));
    const printed = await run(['--state', demoState, 'order', topOrder]);
    assert.equal(printed.code, 0, printed.err);
    assert.match(printed.out, new RegExp(`order ${topOrder}`));
    assert.match(printed.out, /OrderPlaced/);
    const unknown = await run(['--state', demoState, 'order', 'no-such-order']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /no order no-such-order/);
    const injected = await run(['--state', demoState, 'order', "' OR 1=1 --"]);
    assert.equal(injected.code, 1, 'a quote in the id is a value, not SQL');

    const again = await run(['--state', demoState, 'stream', '--until-idle', '--idle-after', '0', '--json']);
    assert.equal(again.code, 0, again.err);
    const resumed = JSON.parse(again.out.trim().split('\n').at(-1) ?? '{}') as { records: number; recovery: { replayed: number } };
    assert.deepEqual([resumed.records, resumed.recovery.replayed], [0, orderAndReviewEvents], 'a second run resumes at the end');

    const grouped = await run(['--state', demoState, 'stream', '--group', 'stream-test', '--until-idle', '--idle-after', '0', '--json']);
    assert.equal(grouped.code, 0, grouped.err);
    const member = JSON.parse(grouped.out.trim().split('\n').at(-1) ?? '{}') as { group: string; tasks: number[]; records: number };
    assert.deepEqual([member.group, member.tasks, member.records], ['stream-test', [0, 1, 2, 3, 4, 5], 0], 'the only member runs every task');

    const maintain = await run(['--state', demoState, 'maintain', '--dry-run', '--json']);
    assert.equal(maintain.code, 0, maintain.err);
    const report = JSON.parse(maintain.out) as { tables: { table: string; orphanFiles: number }[] };
    assert.ok(report.tables.length === listed.tables.length && report.tables.every((t) => t.orphanFiles === 0));
  });

  it('stream and alerts say what is missing on an empty state, and stream refuses a bad setting', async () => {
    const empty = join(dir.path, 'empty-state');
    const stream = await run(['--state', empty, 'stream', '--until-idle']);
    assert.equal(stream.code, 1);
    assert.match(stream.err, /no topic orders, reviews: replay into it first.*OP_STREAM_NO_INPUT/);
    const alerts = await run(['--state', empty, 'alerts']);
    assert.equal(alerts.code, 1);
    assert.match(alerts.err, /no alerts yet: gold.alert_events does not exist/);
    const bad = await run(['--state', empty, 'stream', '--allowed-lateness', 'soon']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--allowed-lateness \(from the flag\) must be a duration/);
    const badEnv = await run(['--state', empty, 'stream'], { ORDERPULSE_ESCALATE_AFTER: '0s' });
    assert.equal(badEnv.code, 2);
    assert.match(badEnv.err, /ORDERPULSE_ESCALATE_AFTER .* must be longer than 0/);
  });
});

describe('orderpulse batch', () => {
  const state = join(dir.path, 'batch-state');

  it('runs nothing where bronze does not exist yet, and says so per job', async () => {
    const { code, out } = await run(['--state', state, 'batch', 'run', '--json']);
    assert.equal(code, 0, out);
    const { jobs } = JSON.parse(out) as { jobs: { job: string; outcome: string }[] };
    assert.ok(jobs.length >= 4);
    assert.deepEqual(new Set(jobs.map((j) => j.outcome)), new Set(['no-source']));
    const status = await run(['--state', state, 'batch', 'status', '--json']);
    assert.equal(status.code, 0, status.err);
    assert.ok((JSON.parse(status.out) as { jobs: { rows: number }[] }).jobs.every((j) => j.rows === 0));
  });

  it('refuses an unknown --job with exit status 2, naming the jobs there are', async () => {
    const { code, err } = await run(['--state', state, 'batch', 'run', '--job', 'gold.nope']);
    assert.equal(code, 2);
    assert.match(err, /gold\.nope.*silver\.orders/);
  });

  it('refuses a bad --batch-every with exit status 2, naming where it came from', async () => {
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [['--batch-every', 'soon'], {}, /--batch-every \(from the flag\) must be a duration/],
      [['--batch-every', '500ms'], {}, /--batch-every \(from the flag\) must be at least 1s/],
      [['--batch-every'], { ORDERPULSE_BATCH_EVERY: 'often' }, /ORDERPULSE_BATCH_EVERY \(from the environment\) must be a duration/],
    ];
    for (const [flags, env, pattern] of cases) {
      const { code, err } = await run(['--state', join(dir.path, 'bad-batch-every'), 'stream', '--until-idle', ...flags], env);
      assert.equal(code, 2, `${flags.join(' ')}: ${err}`);
      assert.match(err, pattern);
    }
    assert.equal(existsSync(join(dir.path, 'bad-batch-every')), false, 'nothing was opened');
  });

  it('stream --until-idle --batch-every runs the batch in the stream process, and batch status shows what it wrote', async () => {
    const streamed = join(dir.path, 'stream-batch');
    assert.equal((await run(['--state', streamed, 'replay', '--data', sampleDir, '--max', '--quiet'])).code, 0);
    const stream = await run(['--state', streamed, 'stream', '--until-idle', '--idle-after', '0', '--batch-every', '1s']);
    assert.equal(stream.code, 0, stream.err);
    // Its last run comes after the processor is idle: it reads all of bronze.
    assert.match(stream.err, /batch run \d+: \d+ written, .* rows written in /);

    const tables = JSON.parse((await run(['--state', streamed, 'tables', '--json'])).out) as { tables: { table: string; rows: number }[] };
    const rows = new Map(tables.tables.map((t) => [t.table, t.rows]));
    assert.equal(rows.get('silver.orders'), 13_092);
    assert.ok((rows.get('silver.order_items') ?? 0) > 0 && (rows.get('silver.reviews') ?? 0) > 0);

    const status = await run(['--state', streamed, 'batch', 'status', '--json']);
    assert.equal(status.code, 0, status.err);
    const jobs = (JSON.parse(status.out) as { jobs: { job: string; rows: number; at: string | null; sources: Record<string, number | null> | null }[] }).jobs;
    const orders = jobs.find((j) => j.job === 'silver.orders');
    const bronze = (JSON.parse((await run(['--state', streamed, 'snapshots', 'bronze.order_events', '--json'])).out) as { snapshots: { snapshotId: number }[] }).snapshots;
    assert.equal(orders?.rows, 13_092);
    assert.ok(orders?.at !== null);
    assert.equal(orders?.sources?.['bronze.order_events'], bronze.at(-1)?.snapshotId, 'it consumed the newest bronze snapshot');

    const text = await run(['--state', streamed, 'batch', 'status']);
    assert.equal(text.code, 0, text.err);
    const line = text.out.split('\n').find((l) => l.startsWith('silver.orders '));
    assert.match(line ?? '', /silver\.orders\s+\d{4}-\d\d-\d\dT\S+\s+written.*13,092.*bronze\.order_events@\d+/);

    // The stream's summary carries the batch's, as JSON too; a second run finds nothing new.
    const again = await run(['--state', streamed, 'stream', '--until-idle', '--idle-after', '0', '--batch-every', '1s', '--json']);
    assert.equal(again.code, 0, again.err);
    const summary = JSON.parse(again.out.trim().split('\n').at(-1) ?? '{}') as { batch?: { runs: number; failed: number; last: { error: unknown; jobs: { outcome: string }[] } } };
    assert.ok((summary.batch?.runs ?? 0) >= 1);
    assert.equal(summary.batch?.failed, 0);
    assert.equal(summary.batch?.last.error, null);
    assert.ok(summary.batch?.last.jobs.every((j) => j.outcome === 'unchanged'));

    // On a terminal, batch run prints a line per job as it ends, before the table.
    const tty = Object.assign(new Capture(), { isTTY: true });
    const stdout = new Capture();
    const code = await main(['node', 'orderpulse', '--state', streamed, 'batch', 'run', '--full', '--job', 'silver.orders'], { stdout, stderr: tty, env: {}, cwd: repoRoot });
    assert.equal(code, 0, tty.text);
    assert.match(tty.text, /^silver\.orders\s+written\s+13,092 rows\s+[\d.]+ m?s\n$/);
    assert.match(stdout.text, /silver\.orders\s+written/);
  });

  it('stream --batch-every stops cleanly on Ctrl-C, the batch run in progress included', async () => {
    const streamed = join(dir.path, 'stream-batch');
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'orderpulse.js'), '--state', streamed, 'stream', '--batch-every', '1s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // Interrupted once the scheduler has run: the processor is idle, the schedule going on.
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
        if (/batch run 1:/.test(err)) resolve();
      });
      void exited.then(() => resolve());
    });
    child.kill('SIGINT');
    assert.equal(await exited, 0, err);
    assert.match(err, /batch run 1: /);
    assert.match(err, /stopping after the batch in flight/);
    assert.match(out, /processed 0 records/);
  });

  it('batch run --every runs at once and then on its interval, one JSON line per run, until SIGTERM, which exits 0', async () => {
    // The state the test above streamed: a first run finds the tables up to date.
    const streamed = join(dir.path, 'stream-batch');
    const batch = CliProcess.spawn(['--state', streamed, 'batch', 'run', '--every', '1s', '--json', '--job', 'silver.orders', 'gold.sales_monthly'], { cwd: repoRoot });
    await batch.until((text) => text.split('\n').filter((l) => l.startsWith('{')).length >= 2, 'two runs were reported');
    assert.equal(await batch.stop('SIGTERM'), 0, batch.err);
    const runs = batch.out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { run: number; trigger: string; error: unknown; jobs: { job: string; outcome: string }[] });
    assert.deepEqual(runs.slice(0, 2).map((r) => [r.run, r.trigger]), [[1, 'start'], [2, 'tick']]);
    for (const r of runs) {
      assert.equal(r.error, null);
      assert.deepEqual(r.jobs.map((j) => `${j.job} ${j.outcome}`).sort(), ['gold.sales_monthly unchanged', 'silver.orders unchanged']);
    }
  });

  it('refuses a bad batch run --every with exit status 2, naming the flag or where it came from', async () => {
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [['--every', 'soon'], {}, /--every \(from the flag\) must be a duration/],
      [['--every', '500ms'], {}, /--every \(from the flag\) must be at least 1s/],
      [['--every'], { ORDERPULSE_BATCH_EVERY: '0s' }, /ORDERPULSE_BATCH_EVERY \(from the environment\) must be at least 1s/],
    ];
    for (const [flags, env, pattern] of cases) {
      const { code, err } = await run(['--state', join(dir.path, 'bad-every'), 'batch', 'run', ...flags], env);
      assert.equal(code, 2, `${flags.join(' ')}: ${err}`);
      assert.match(err, pattern);
    }
    assert.equal(existsSync(join(dir.path, 'bad-every')), false, 'nothing was opened');
  });
});
