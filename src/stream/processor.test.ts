import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULTS, openRuntime } from '../deploy/index.js';
import type { Runtime } from '../deploy/index.js';
import type { OlistDataset } from '../data/index.js';
import { formatLocal, loadOlist } from '../data/index.js';
import type { MarketplaceEvent } from '../events/index.js';
import { TOPICS, olistEvents } from '../events/index.js';
import { partitionFor } from '../log/index.js';
import type { Lake } from '../lake/index.js';
import { replay } from '../replay/index.js';
import { sampleDir, tempDir } from '../testing/fixtures.js';
import { withOverrides } from '../testing/log-overrides.js';
import { H, T0, placed, step } from './test-events.js';
import { readAlertsTopic } from './test-alerts.js';
import type { EmittedChange, RunReport, StreamBatchEvent } from './index.js';
import {
  ALERTS_TOPIC,
  ALERT_EVENTS_TABLE,
  AlertCodec,
  BRONZE_EVENTS_TABLE,
  DEFAULT_STREAM_CONFIG,
  GRADE_WEIGHTS,
  LATE_EVENTS_TABLE,
  PRODUCT_GRADES_TABLE,
  OPEN_ALERTS_TABLE,
  StreamError,
  batchChannel,
  StreamProcessor,
  UNDECODABLE_EVENT_TYPE,
  offsetsProperty,
  runInGroup,
  watermarkProperty,
} from './index.js';

type Rows = Record<string, unknown>[];

async function rowsOf(lake: Lake, table: string, sql = 'SELECT * FROM t'): Promise<Rows> {
  const scan = await (await lake.table(table)).scan();
  return (await scan.query(sql)).rows;
}

async function logRecords(runtime: Runtime, topic: string): Promise<number> {
  const [d] = await runtime.log.describeTopics([topic]);
  return (d?.endOffsets ?? []).reduce((a, b) => a + b, 0);
}

async function openProcessor(runtime: Runtime, extra: Partial<Parameters<typeof StreamProcessor.open>[0]> = {}): Promise<StreamProcessor> {
  return StreamProcessor.open({
    log: runtime.log,
    codec: await runtime.codec(),
    lake: await runtime.lake(),
    alertCodec: await AlertCodec.open(runtime.registry, { registerSchemas: true }),
    idle: { afterMs: 0, advanceMs: 0 },
    ...extra,
  });
}

/** Every record of the alerts topic, decoded, as `alertId/sequence/change`. */
async function publishedChanges(runtime: Runtime): Promise<string[]> {
  return (await readAlertsTopic(runtime.log, runtime.registry)).map(({ change }) => `${change.alert.alertId}/${change.alert.sequence}/${change.kind}`).sort();
}

describe('StreamProcessor on the Olist sample', () => {
  const dir = tempDir();
  let runtime: Runtime;
  let dataset: OlistDataset;
  let processor: StreamProcessor;
  let run: RunReport;
  const emitted: EmittedChange[] = [];
  const batches: StreamBatchEvent[] = [];
  const onBatch = (message: unknown): void => {
    batches.push(message as StreamBatchEvent);
  };

  before(async () => {
    dataset = await loadOlist(sampleDir);
    runtime = openRuntime({ ...DEFAULTS, state: dir.path });
    await replay({ log: runtime.log, codec: await runtime.codec(), events: olistEvents(dataset), pacing: { mode: 'max' }, partitions: 3 });
    // Small batches, so that the run spans many commits.
    batchChannel.subscribe(onBatch);
    processor = await openProcessor(runtime, { maxBatchEvents: 7_000, onAlerts: (changes) => emitted.push(...changes) });
    run = await processor.run({ untilIdle: true });
  });
  after(async () => {
    batchChannel.unsubscribe(onBatch);
    await runtime.close();
    dir.remove();
  });

  it('writes every order and review record to bronze once, with the log offsets it reached', async () => {
    const records = (await logRecords(runtime, TOPICS.orders)) + (await logRecords(runtime, TOPICS.reviews));
    assert.ok(run.batches >= 9, `many batches (${run.batches})`);
    assert.equal(run.records, records);
    const lake = await runtime.lake();
    const [counts] = await rowsOf(lake, BRONZE_EVENTS_TABLE, 'SELECT count(*) AS n, count(DISTINCT (topic, log_partition, log_offset)) AS distinct_records FROM t');
    assert.deepEqual([counts?.n, counts?.distinct_records].map(Number), [records, records], 'one row per record');
    // One task per partition number: its rows are exactly that partition's, numbered 1..n.
    const tasks = await rowsOf(lake, BRONZE_EVENTS_TABLE, 'SELECT task, count(*) AS n, min(processed_seq) AS lo, max(processed_seq) AS hi, bool_and(log_partition = task) AS own FROM t GROUP BY task ORDER BY task');
    assert.deepEqual(tasks.map((t) => Number(t.task)), [0, 1, 2]);
    for (const t of tasks) assert.deepEqual([Number(t.lo), Number(t.hi), t.own], [1, Number(t.n), true], `task ${String(t.task)}`);
    const table = await lake.table(BRONZE_EVENTS_TABLE);
    for (const d of await runtime.log.describeTopics([TOPICS.orders, TOPICS.reviews])) {
      d.endOffsets.forEach((end, p) => {
        const offsets = JSON.parse(table.lastSummaryValue(offsetsProperty(p)) ?? '{}') as Record<string, number>;
        assert.equal(offsets[`${d.name}/${p}`], end, `${d.name}/${p}`);
      });
    }
    // Each task's watermark after its last batch: its newest event time less the allowed lateness
    // (no idle floor yet: the log was read to its end only after the last batch).
    const newest = await rowsOf(lake, BRONZE_EVENTS_TABLE, 'SELECT task, epoch_ms(max(event_time)) AS newest FROM t GROUP BY task ORDER BY task');
    for (const t of newest) {
      const task = Number(t.task);
      const recorded = Number(table.lastSummaryValue(watermarkProperty(task)));
      assert.equal(recorded, Number(t.newest) - DEFAULT_STREAM_CONFIG.allowedLatenessMs, `task ${task}`);
      assert.ok(recorded <= (processor.taskWatermark(task) ?? -Infinity), 'the idle policy only moved it on');
    }
  });

  it('flags delivered_late for exactly the orders delivered on a later local day than estimated', async () => {
    const expected = dataset.orders
      .filter((o) => o.deliveredToCustomerAt !== null && formatLocal(o.deliveredToCustomerAt).slice(0, 10) > o.estimatedDeliveryDate)
      .map((o) => o.orderId)
      .sort();
    assert.equal(expected.length, 855);
    const rows = await rowsOf(await runtime.lake(), ALERT_EVENTS_TABLE, "SELECT order_id FROM t WHERE rule = 'delivered_late' ORDER BY order_id");
    assert.deepEqual(rows.map((r) => r.order_id), expected);
  });

  it('opened delivery_overdue for each of those orders once its deadline passed, before its delivery was processed', async () => {
    const lake = await runtime.lake();
    const scan = (name: string) => lake.table(name).then((t) => t.scan());
    const [alerts, bronze] = await Promise.all([scan(ALERT_EVENTS_TABLE), scan(BRONZE_EVENTS_TABLE)]);
    const { rows } = await lake.query(
      { a: { files: alerts.files.map((f) => f.filePath), schema: alerts.schema }, b: { files: bronze.files.map((f) => f.filePath), schema: bronze.schema } },
      `SELECT f.order_id, o.processed_seq AS opened_seq, epoch_ms(o.opened_at) AS opened_at, epoch_ms(o.deadline) AS deadline,
              d.processed_seq AS delivered_seq, epoch_ms(d.event_time) AS delivered_at,
              (SELECT min(x.processed_seq) FROM b x WHERE x.task = o.task AND x.event_time >= o.deadline + INTERVAL 1 HOUR) AS passed_seq
       FROM a f
       LEFT JOIN a o ON o.order_id = f.order_id AND o.rule = 'delivery_overdue' AND o.change = 'opened'
       LEFT JOIN b d ON d.key = f.order_id AND d.event_type = 'OrderDelivered'
       WHERE f.rule = 'delivered_late'`,
    );
    assert.equal(rows.length, 855);
    let beforeDelivery = 0;
    for (const r of rows) {
      assert.notEqual(r.opened_seq, null, `${String(r.order_id)}: delivery_overdue opened`);
      assert.ok(Number(r.opened_at) >= Number(r.deadline) && Number(r.opened_at) <= Number(r.delivered_at), `${String(r.order_id)}: opened between deadline and delivery`);
      // The first record of its task at least the allowed lateness (1 h) past the deadline moves the watermark
      // past it: the alert opens then at the latest (earlier when an event of the order itself, such
      // as a handoff after the estimated day, proves it overdue), or with the delivery if that came first.
      assert.ok(Number(r.opened_seq) <= Math.min(Number(r.passed_seq), Number(r.delivered_seq)), String(r.order_id));
      if (Number(r.opened_seq) < Number(r.delivered_seq)) beforeDelivery++;
    }
    assert.ok(beforeDelivery > 800, `most were flagged before their delivery was processed (${beforeDelivery})`);
  });

  it('publishes to the alerts topic exactly the changes it writes to gold.alert_events, and emitted each once', async () => {
    const rows = await rowsOf(await runtime.lake(), ALERT_EVENTS_TABLE, "SELECT alert_id || '/' || sequence || '/' || change AS id FROM t");
    const gold = rows.map((r) => String(r.id)).sort();
    assert.ok(gold.length > 5_000);
    assert.equal(new Set(gold).size, gold.length, 'no change twice');
    assert.deepEqual(await publishedChanges(runtime), gold);
    assert.deepEqual(emitted.map((e) => `${e.change.alert.alertId}/${e.change.alert.sequence}/${e.change.kind}`).sort(), gold);
  });

  it('keeps gold.open_alerts equal to the open alerts, ranked by priority', async () => {
    const rows = await rowsOf(await runtime.lake(), OPEN_ALERTS_TABLE, 'SELECT alert_id, priority FROM t ORDER BY priority DESC, opened_at, alert_id');
    const open = processor.openAlerts();
    assert.ok(open.length > 100);
    assert.deepEqual(rows.map((r) => String(r.alert_id)), open.map((a) => a.alertId));
    for (let i = 1; i < open.length; i++) assert.ok((open[i - 1]?.priority ?? 0) >= (open[i]?.priority ?? 0));
  });

  it('publishes each batch on its channel: records per topic, alert changes, open alerts per rule', async () => {
    const records = (topic: string): number => batches.reduce((n, b) => n + (b.recordsByTopic[topic] ?? 0), 0);
    assert.equal(records(TOPICS.orders), await logRecords(runtime, TOPICS.orders));
    assert.equal(records(TOPICS.reviews), await logRecords(runtime, TOPICS.reviews));
    assert.equal(batches.filter((b) => !b.idle).length, run.batches);
    assert.equal(batches.reduce((n, b) => n + b.alerts.length, 0), emitted.length);
    const open = processor.openAlerts();
    const last = batches.at(-1)?.openAlerts ?? [];
    for (const { rule, count, valueBrl } of last) {
      const ofRule = open.filter((a) => a.rule === rule);
      assert.equal(count, ofRule.length, rule);
      assert.ok(Math.abs(valueBrl - ofRule.reduce((s, a) => s + a.orderValueCents, 0) / 100) < 1e-6, rule);
    }
    for (const b of batches) for (const a of b.alerts) if (a.fetchedAt !== null) assert.ok(a.publishedAt >= a.fetchedAt);
  });

  it('a restart rebuilds the same state from bronze and writes nothing twice', async () => {
    const lake = await runtime.lake();
    const snapshots = async (): Promise<number[]> =>
      Promise.all([BRONZE_EVENTS_TABLE, ALERT_EVENTS_TABLE, OPEN_ALERTS_TABLE].map(async (t) => (await lake.table(t)).snapshots().length));
    const before = await snapshots();
    const published = (await publishedChanges(runtime)).length;
    const again = await openProcessor(runtime);
    assert.equal(again.recovery.replayed, run.records);
    assert.deepEqual(again.recovery.caughtUp, { alertEvents: 0, lateEvents: 0, published: 0 });
    assert.deepEqual(again.openAlerts(), processor.openAlerts(), 'the same open alerts, field for field');
    assert.deepEqual(again.positions(), processor.positions());
    assert.deepEqual(again.stats(), processor.stats());
    const second = await again.run({ untilIdle: true });
    assert.equal(second.records, 0);
    assert.deepEqual(await snapshots(), before);
    assert.equal((await publishedChanges(runtime)).length, published);
  });
});

describe('StreamProcessor on hand-made events', () => {
  const dirs: { remove: () => void }[] = [];
  const runtimes: Runtime[] = [];
  after(async () => {
    for (const r of runtimes) await r.close();
    for (const d of dirs) d.remove();
  });

  /** A fresh store whose orders and reviews topics (one partition each) hold `events`, in order. */
  async function storeWith(events: readonly MarketplaceEvent[]): Promise<Runtime> {
    const dir = tempDir();
    dirs.push(dir);
    const runtime = openRuntime({ ...DEFAULTS, state: dir.path });
    runtimes.push(runtime);
    await runtime.log.createTopic({ name: TOPICS.orders, partitions: 1 });
    await runtime.log.createTopic({ name: TOPICS.reviews, partitions: 1 });
    await append(runtime, events);
    return runtime;
  }

  async function append(runtime: Runtime, events: readonly MarketplaceEvent[]): Promise<void> {
    const codec = await runtime.codec();
    if (events.length > 0) await runtime.log.append(events.map((e) => codec.encode(e)));
  }

  it('at the live end, reads the next batch after the commit in flight; behind, reads it while that commit runs', async () => {
    const runtime = await storeWith([placed('o1'), placed('o2'), placed('o3')]);
    const steps: string[] = [];
    let reading = 0;
    let committed = 0;
    const log = withOverrides(runtime.log, {
      fetch: async (request) => {
        const records = await runtime.log.fetch(request);
        if (records.length > 0) steps.push(`fetched for batch ${reading}`);
        return records;
      },
    });
    // Two records per batch: the first batch stops at the limit, with the third record still to read.
    const processor = await openProcessor(runtime, { log, maxBatchEvents: 2, fetchSize: 2, onBatch: (b) => b.records > 0 && steps.push(`committed batch ${++committed}`) });
    const next = (): ReturnType<StreamProcessor['processBatch']> => {
      reading++;
      return processor.processBatch();
    };
    assert.deepEqual(await next(), { records: 2, changes: 0 });
    // Behind: the next batch is read without waiting for the first one's commit.
    assert.deepEqual(await next(), { records: 1, changes: 0 });
    // The second batch ended at the end of the log: the third waits for the second's commit before it reads.
    await append(runtime, [step('PaymentApproved', 'o1', T0 + H)]);
    assert.deepEqual(await next(), { records: 1, changes: 0 });
    await processor.finish();
    const fetches = (n: number): number => steps.indexOf(`fetched for batch ${n}`);
    const commit = (n: number): number => steps.indexOf(`committed batch ${n}`);
    assert.ok(fetches(2) !== -1 && commit(1) !== -1 && fetches(2) < commit(1), `batch 2 read before batch 1 committed: ${steps.join(', ')}`);
    assert.ok(commit(2) !== -1 && fetches(3) > commit(2), `batch 3 read after batch 2 committed: ${steps.join(', ')}`);
    assert.equal(Number((await rowsOf(await runtime.lake(), BRONZE_EVENTS_TABLE, 'SELECT count(*) AS n FROM t'))[0]?.n), 4);
  });

  it('keeps an undecodable record in bronze with the reason and where it was, and goes on', async () => {
    const runtime = await storeWith([placed('o1')]);
    await runtime.log.append([{ topic: TOPICS.orders, key: Buffer.from('o2'), value: Buffer.from('not avro'), timestamp: T0 + H }]);
    await append(runtime, [step('PaymentApproved', 'o1', T0 + 2 * H)]);
    const processor = await openProcessor(runtime);
    const run = await processor.run({ untilIdle: true });
    assert.equal(run.records, 3);
    const rows = await rowsOf(await runtime.lake(), BRONZE_EVENTS_TABLE, 'SELECT event_type, log_offset, key, payload FROM t ORDER BY processed_seq');
    assert.deepEqual(rows.map((r) => r.event_type), ['OrderPlaced', UNDECODABLE_EVENT_TYPE, 'PaymentApproved']);
    const bad = JSON.parse(String(rows[1]?.payload)) as { error: string; value: string };
    assert.match(bad.error, /topic orders partition 0 offset 1/);
    assert.equal(Buffer.from(bad.value, 'base64').toString(), 'not avro');
    assert.equal(rows[1]?.key, 'o2');
    // The approval after it was still applied: no approval alert can open for o1.
    assert.equal(processor.alert('o1', 'approval_overdue'), null);
    assert.equal(processor.stats().eventsProcessed, 2);
  });

  it('sets late events aside in bronze.late_events and ignores duplicates', async () => {
    const runtime = await storeWith([
      placed('o1'),
      placed('o2', T0 + 10 * H),
      // 9 hours behind the newest event: past the 1-hour allowed lateness.
      step('PaymentApproved', 'o1', T0 + H),
      step('PaymentApproved', 'o2', T0 + 11 * H),
      step('PaymentApproved', 'o2', T0 + 11 * H),
    ]);
    const processor = await openProcessor(runtime);
    await processor.run({ untilIdle: true });
    const lake = await runtime.lake();
    const late = await rowsOf(lake, LATE_EVENTS_TABLE, 'SELECT order_id, event_type, lateness_ms, applied, processed_seq FROM t');
    assert.deepEqual(late, [{ order_id: 'o1', event_type: 'PaymentApproved', lateness_ms: 8 * H, applied: true, processed_seq: 3 }]);
    assert.equal(processor.stats().duplicates, 1);
    assert.equal((await rowsOf(lake, BRONZE_EVENTS_TABLE)).length, 5, 'bronze keeps every record as it arrived');
  });

  it('moves the watermark by the idle policy when the log goes quiet, and a restart keeps that', async () => {
    const runtime = await storeWith([placed('o1')]);
    const day = 24 * H;
    const idle = { afterMs: 0, advanceMs: 5 * day + H };
    const first = await openProcessor(runtime, { idle });
    await first.run({ untilIdle: true });
    // Approval is due 96 h after the purchase: only the idle advance can have opened it.
    const opened = first.alert('o1', 'approval_overdue');
    assert.equal(opened?.state, 'escalated', 'opened at 4 days, escalated at 5');
    assert.equal(first.watermark, T0 + 5 * day + H);
    const lake = await runtime.lake();
    const count = async (): Promise<number> => (await rowsOf(lake, ALERT_EVENTS_TABLE)).length;
    const rows = await count();
    assert.ok(rows >= 1);

    const second = await openProcessor(runtime, { idle });
    assert.equal(second.watermark, T0 + 5 * day + H, 'the idle watermark is recovered');
    assert.deepEqual(second.recovery.caughtUp, { alertEvents: 0, lateEvents: 0, published: 0 });
    await second.run({ untilIdle: true });
    assert.equal(await count(), rows);

    // The next record carries the floor: a third start rebuilds it from bronze alone.
    await append(runtime, [step('PaymentApproved', 'o1', T0 + 6 * day)]);
    await second.run({ untilIdle: true });
    const third = await openProcessor(runtime, { idle });
    assert.deepEqual(third.stats(), second.stats());
  });

  it("moves a quiet partition's watermark up to the newest event of the whole input", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const runtime = openRuntime({ ...DEFAULTS, state: dir.path });
    runtimes.push(runtime);
    await runtime.log.createTopic({ name: TOPICS.orders, partitions: 2 });
    await runtime.log.createTopic({ name: TOPICS.reviews, partitions: 2 });
    const codec = await runtime.codec();
    // Two orders on different partitions; only one partition sees time move on (6 days later).
    const ids = ['o1', 'o2', 'o3', 'o4', 'o5', 'o6'];
    const byPartition = (p: number): string => ids.find((id) => partitionFor(Buffer.from(id), 2) === p) ?? '';
    const [quiet, busy] = [byPartition(0), byPartition(1)];
    await runtime.log.append([placed(quiet), placed(busy), step("PaymentApproved", busy, T0 + H), step("OrderHandedToCarrier", busy, T0 + 144 * H)].map((e) => codec.encode(e)));
    const processor = await openProcessor(runtime, { idle: { afterMs: 0, advanceMs: 0 } });
    await processor.run({ untilIdle: true });
    assert.equal(processor.taskWatermark(0), T0 + 144 * H, 'the quiet task caught up');
    assert.equal(processor.alert(quiet, 'approval_overdue')?.state, 'escalated', 'its 96-hour approval deadline fired');
  });

  it('publishes on its next start what an earlier run never published', async () => {
    const runtime = await storeWith([placed('o1'), placed('o2', T0 + 200 * H)]);
    const silent = await openProcessor(runtime, { alertCodec: null });
    await silent.run({ untilIdle: true });
    const gold = await rowsOf(await runtime.lake(), ALERT_EVENTS_TABLE, "SELECT alert_id || '/' || sequence || '/' || change AS id FROM t");
    assert.ok(gold.length >= 1);
    assert.deepEqual(await runtime.log.describeTopics().then((ts) => ts.some((t) => t.name === ALERTS_TOPIC)), false);
    const publishing = await openProcessor(runtime);
    assert.equal(publishing.recovery.caughtUp.published, gold.length);
    assert.deepEqual(await publishedChanges(runtime), gold.map((r) => String(r.id)).sort());
  });

  it("weighs an alert's priority by the product grades in gold.product_grades when the table exists", async () => {
    const runtime = await storeWith([placed('o1')]);
    const lake = await runtime.lake();
    const grades = await lake.createTable(PRODUCT_GRADES_TABLE, {
      columns: [
        { name: 'product_id', type: 'string', required: true },
        { name: 'grade', type: 'string', required: true },
      ],
    });
    await grades.append([{ product_id: 'p1', grade: 'D' }, { product_id: 'p2', grade: 'A' }, { product_id: 'p9', grade: 'E' }]);
    const processor = await openProcessor(runtime, { idle: { afterMs: 0, advanceMs: 100 * H } });
    await processor.run({ untilIdle: true });
    // Order value R$ 170 (two items with freight); its best product is graded A (weight 1.5).
    const approval = processor.alert('o1', 'approval_overdue');
    assert.equal(approval?.priority, 170 * GRADE_WEIGHTS.A);
  });

  it('refuses a second processor running the same task, committing nothing of its batch', async () => {
    const runtime = await storeWith([placed('o1'), step('PaymentApproved', 'o1', T0 + H), placed('o2', T0 + 2 * H)]);
    const first = await openProcessor(runtime, { tasks: [0] });
    const second = await openProcessor(runtime, { tasks: [0] });
    await first.run({ untilIdle: true });
    await assert.rejects(second.run({ untilIdle: true }), (error: unknown) => {
      assert.ok(error instanceof StreamError);
      assert.equal(error.code, 'OP_STREAM_TASK_TAKEN');
      assert.match(error.message, /two processes are running task 0; give each process its own tasks/);
      return true;
    });
    const rows = await rowsOf(await runtime.lake(), BRONZE_EVENTS_TABLE, 'SELECT count(*) AS n, count(DISTINCT log_offset) AS d FROM t');
    assert.deepEqual([Number(rows[0]?.n), Number(rows[0]?.d)], [3, 3], 'every record once');
  });

  it('runs as a member of a consumer group: with the embedded log, one member is given every task', async () => {
    const runtime = await storeWith([placed('o1'), step('PaymentApproved', 'o1', T0 + H), placed('o2', T0 + 200 * H)]);
    const assignments: (readonly number[])[] = [];
    const report = await runInGroup({
      log: runtime.log,
      codec: await runtime.codec(),
      lake: await runtime.lake(),
      alertCodec: await AlertCodec.open(runtime.registry, { registerSchemas: true }),
      idle: { afterMs: 0, advanceMs: 0 },
      group: 'orderpulse-stream',
      untilIdle: true,
      onAssignment: (tasks) => assignments.push(tasks),
    });
    assert.deepEqual(assignments, [[0]]);
    assert.deepEqual([report.records, report.reassignments], [3, 1]);
    const alerts = await rowsOf(await runtime.lake(), ALERT_EVENTS_TABLE, "SELECT order_id, rule FROM t WHERE change = 'opened'");
    assert.deepEqual(alerts, [{ order_id: 'o1', rule: 'handoff_overdue' }], 'the approval came in time; the handoff deadline (48 h) passed');
  });

  it('refuses tasks that are not partition numbers of the input', async () => {
    const runtime = await storeWith([placed('o1')]);
    await assert.rejects(openProcessor(runtime, { tasks: [1] }), /tasks must be partition numbers from 0 to 0, got \[1\]/);
  });

  it('refuses to start on a log without its topics, saying what to do', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const runtime = openRuntime({ ...DEFAULTS, state: dir.path });
    runtimes.push(runtime);
    await assert.rejects(openProcessor(runtime), /log has no topic orders, reviews: replay into it first/);
  });
});
