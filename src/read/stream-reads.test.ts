import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JOBS, runBatch } from '../batch/index.js';
import { DEFAULTS, openRuntime } from '../deploy/index.js';
import type { Runtime } from '../deploy/index.js';
import { Lake } from '../lake/index.js';
import { tempDir } from '../testing/fixtures.js';
import { openSamplePipeline, sampleEvents } from '../testing/sample-pipeline.js';
import type { AlertRow, OpenAlerts } from './index.js';
import { LakeReadModel } from './index.js';
import type { Order } from '../testing/olist-oracle.js';
import { DAY, HOUR, instant, isLate, mainItem, nextDayStart, oracle } from '../testing/olist-oracle.js';

// The stream's reads (alerts, an order's timeline, freshness, the pipeline) on the sample: against
// the Olist CSVs where they give the figure, else against the tables read plainly.

const INJECTION = "' OR 1=1 --";
const iso = (ms: number): string => new Date(ms).toISOString();

describe('the read model on the stream tables of the sample', () => {
  const dir = tempDir();
  const data = oracle();
  let lake: Lake;
  let runtime: Runtime;
  let reads: LakeReadModel;
  let close: () => Promise<void>;
  let open: Record<string, unknown>[];
  let grades: Map<string, string>;

  before(async () => {
    const pipeline = await openSamplePipeline(dir.path, await sampleEvents());
    await pipeline.feed();
    await runBatch(pipeline.lake);
    lake = pipeline.lake;
    close = () => pipeline.close();
    // The same state's log, for the lag per partition.
    runtime = openRuntime({ ...DEFAULTS, state: dir.path });
    reads = new LakeReadModel({ lake, log: runtime.log, refreshMs: 0 });
    open = (await (await (await lake.table('gold.open_alerts')).scan()).query('SELECT alert_id, order_id, rule, priority, epoch_ms(opened_at) AS opened, order_value_cents FROM t')).rows;
    const graded = (await (await (await lake.table('gold.product_grades')).scan()).query('SELECT product_id, grade FROM t')).rows;
    grades = new Map(graded.map((r) => [String(r.product_id), String(r.grade)]));
  });
  after(async () => {
    await runtime.close();
    await close();
    dir.remove();
  });

  async function allOpen(query: Partial<Parameters<LakeReadModel['openAlerts']>[0]> = {}): Promise<OpenAlerts['alerts']> {
    const out: OpenAlerts['alerts'][number][] = [];
    for (let offset = 0; ; offset += 1000) {
      const page = await reads.openAlerts({ limit: 1000, offset, ...query });
      out.push(...page.alerts);
      if (out.length >= page.total) return out;
    }
  }

  const csvMain = (a: AlertRow) => mainItem(data.itemsOf.get(a.orderId) ?? []);

  it('open alerts: all of gold.open_alerts, ranked by priority then age, with their order as the CSVs describe it', async () => {
    const first = await reads.openAlerts({ limit: 10, offset: 0 });
    assert.equal(first.total, open.length);
    assert.ok(open.length > 100, `${open.length} open alerts`);
    assert.equal(first.valueAtRiskCents, open.reduce((s, r) => s + Number(r.order_value_cents), 0));
    const all = await allOpen();
    const expected = [...open].sort((a, b) => Number(b.priority) - Number(a.priority) || Number(a.opened) - Number(b.opened) || (String(a.alert_id) < String(b.alert_id) ? -1 : 1));
    assert.deepEqual(all.map((a) => a.alertId), expected.map((r) => String(r.alert_id)));
    assert.deepEqual(all.map((a) => a.rank), all.map((_, i) => i + 1));
    const second = await reads.openAlerts({ limit: 10, offset: 10 });
    assert.deepEqual(second.alerts.map((a) => a.alertId), all.slice(10, 20).map((a) => a.alertId), 'pages follow each other');
    assert.deepEqual((await reads.openAlerts({ limit: 10, offset: open.length })).alerts, [], 'past the end: nothing');
    for (const a of all) {
      assert.equal(a.customerState, data.byId.get(a.orderId)?.customerState, a.orderId);
      assert.equal(a.category ?? 'unknown', csvMain(a)?.category, a.orderId);
      assert.equal(a.grade, grades.get(csvMain(a)?.productId ?? '') ?? null, a.orderId);
      assert.equal(a.stage, { approval_overdue: 'approval', handoff_overdue: 'handoff', delivery_overdue: 'delivery', delivered_late: null, delivery_at_risk: null }[a.rule]);
    }
  });

  it('open alerts: each filter keeps exactly the alerts it names; total and value at risk are over the whole match', async () => {
    const all = await allOpen();
    const cases: [Partial<Parameters<LakeReadModel['openAlerts']>[0]>, (a: AlertRow) => boolean][] = [
      [{ stage: 'handoff' }, (a) => a.rule === 'handoff_overdue'],
      [{ rule: 'delivery_overdue' }, (a) => a.rule === 'delivery_overdue'],
      [{ state: 'stuck' }, (a) => a.state === 'stuck'],
      [{ customerState: 'SP' }, (a) => data.byId.get(a.orderId)?.customerState === 'SP'],
      [{ category: 'bed_bath_table' }, (a) => csvMain(a)?.category === 'bed_bath_table'],
      [{ grade: 'B', stage: 'delivery' }, (a) => grades.get(csvMain(a)?.productId ?? '') === 'B' && a.rule === 'delivery_overdue'],
    ];
    for (const [query, keep] of cases) {
      const expected = all.filter(keep);
      assert.ok(expected.length > 0, JSON.stringify(query));
      // On the sample every open alert is stuck by the end (the last deadline passed 59 days before
      // the last event): only the state filter keeps them all.
      if (query.state === undefined) assert.ok(expected.length < all.length, JSON.stringify(query));
      const page = await reads.openAlerts({ limit: 5, offset: 0, ...query });
      assert.equal(page.total, expected.length, JSON.stringify(query));
      assert.equal(page.valueAtRiskCents, expected.reduce((s, a) => s + a.orderValueCents, 0));
      assert.deepEqual(page.alerts.map((a) => a.alertId), expected.slice(0, 5).map((a) => a.alertId));
    }
    assert.deepEqual((await reads.openAlerts({ limit: 5, offset: 0, customerState: 'SP' })).applied, ['state']);
  });

  it('alert changes: the newest first, or one order oldest first', async () => {
    const newest = await reads.alertChanges({ limit: 50 });
    assert.equal(newest.alerts.length, 50);
    for (let i = 1; i < 50; i++) assert.ok((newest.alerts[i - 1]?.updatedAt ?? '') >= (newest.alerts[i]?.updatedAt ?? ''));
    const late = await reads.alertChanges({ rule: 'delivered_late', limit: 1000 });
    // Whatever came after: an order canceled after its delivery was still delivered late.
    const delivered = data.orders.filter((o) => o.delivered !== '' && isLate(o));
    assert.equal(late.alerts.length, delivered.length, 'one delivered_late record per order delivered on a later day than estimated');
    assert.ok(late.alerts.every((a) => a.rule === 'delivered_late' && a.change === 'final' && a.stage === null));
    const orderId = (await reads.openAlerts({ limit: 1, offset: 0 })).alerts[0]?.orderId ?? '';
    const mine = await reads.alertChanges({ orderId, limit: 1000 });
    const count = (await (await (await lake.table('gold.alert_events')).scan()).query('SELECT order_id FROM t')).rows.filter((r) => r.order_id === orderId).length;
    assert.equal(mine.alerts.length, count);
    assert.ok(mine.alerts.every((a) => a.orderId === orderId));
    for (let i = 1; i < mine.alerts.length; i++) assert.ok((mine.alerts[i - 1]?.updatedAt ?? '') <= (mine.alerts[i]?.updatedAt ?? ''), 'oldest first');
    assert.deepEqual((await reads.alertChanges({ orderId: INJECTION, limit: 10 })).alerts, []);
  });

  /** Delivered orders whose steps came in order, and whose reviews came after the delivery. */
  function plainDelivered(): Order[] {
    return data.orders
      .filter((o) => o.status === 'delivered' && o.approved !== '' && o.carrier !== '' && o.delivered !== '')
      .filter((o) => o.purchase < o.approved && o.approved < o.carrier && o.carrier < o.delivered)
      .filter((o) => data.reviews.filter((r) => r.orderId === o.id).every((r) => r.answered > o.delivered))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  it("an order's timeline: its events, items and deadlines as the CSVs give them", async () => {
    const chosen = plainDelivered();
    const picks = [chosen[0], chosen.find(isLate), chosen.find((o) => (data.itemsOf.get(o.id)?.length ?? 0) > 2)].filter((o): o is Order => o !== undefined);
    assert.equal(picks.length, 3);
    for (const o of picks) {
      const t = await reads.order(o.id);
      assert.ok(t !== null, o.id);
      const reviews = data.reviews.filter((r) => r.orderId === o.id).map((r) => r.answered).sort();
      assert.deepEqual(
        t.events.map((e) => [e.type, e.eventTime]),
        [
          ['OrderPlaced', iso(instant(o.purchase))],
          ['PaymentApproved', iso(instant(o.approved))],
          ['OrderHandedToCarrier', iso(instant(o.carrier))],
          ['OrderDelivered', iso(instant(o.delivered))],
          ...reviews.map((r) => ['ReviewAnswered', iso(instant(r))]),
        ],
        o.id,
      );
      const items = data.itemsOf.get(o.id) ?? [];
      assert.deepEqual(t.items.map((i) => [i.productId, i.priceCents, i.freightCents]), items.map((i) => [i.productId, i.price, i.freight]));
      assert.equal(t.orderValueCents, items.reduce((s, i) => s + i.price + i.freight, 0));
      assert.equal(t.customerState, o.customerState);
      assert.equal(t.status, 'delivered');
      const handoffDue = Math.min(...items.map((i) => instant(i.limit)));
      const deliveryDue = instant(nextDayStart(o.estimated.slice(0, 10)));
      assert.deepEqual(t.deadlines, [
        { stage: 'approval', due: iso(instant(o.purchase) + 96 * HOUR), doneAt: iso(instant(o.approved)), late: instant(o.approved) > instant(o.purchase) + 96 * HOUR },
        { stage: 'handoff', due: iso(handoffDue), doneAt: iso(instant(o.carrier)), late: instant(o.carrier) > handoffDue },
        { stage: 'delivery', due: iso(deliveryDue), doneAt: iso(instant(o.delivered)), late: isLate(o) },
      ]);
      assert.equal(t.alerts.some((a) => a.rule === 'delivered_late'), isLate(o), 'its delivered_late record, if it was late');
    }
    const shorter = new LakeReadModel({ lake, refreshMs: 0, approvalHours: 24 });
    const o = picks[0] as Order;
    assert.equal((await shorter.order(o.id))?.deadlines[0]?.due, iso(instant(o.purchase) + DAY), 'the approval deadline follows approvalHours');
  });

  it('an open order is late on the stages its deadline passed; an unknown order or a quote in the id gives null', async () => {
    const top = (await reads.openAlerts({ limit: 1, offset: 0, stage: 'handoff' })).alerts[0];
    assert.ok(top !== undefined);
    const t = await reads.order(top.orderId);
    assert.equal(t?.deadlines[1]?.doneAt, null);
    assert.equal(t?.deadlines[1]?.late, true);
    assert.equal(t?.deadlines[1]?.due, top.deadline);
    assert.ok(t?.alerts.some((a) => a.alertId === top.alertId));
    assert.equal(await reads.order('no-such-order'), null);
    assert.equal(await reads.order(INJECTION), null);
  });

  it('freshness and the pipeline: the watermark, the last commit and batch, no lag, every table', async () => {
    const bronze = await lake.table('bronze.order_events');
    const [newest] = (await (await bronze.scan()).query('SELECT epoch_ms(max(event_time)) AS t FROM t')).rows;
    const f = await reads.freshness();
    // The run ended idle: every task's watermark was moved up to the newest event of the input.
    assert.equal(f.completeUpTo, iso(Number(newest?.t)));
    assert.equal(f.streamCommittedAt, iso(bronze.currentSnapshot()?.['timestamp-ms'] ?? 0));
    assert.ok(f.behindMs !== null && f.behindMs >= 0);
    assert.deepEqual([f.lastBatch?.mode, f.lastBatch?.ok], ['full', true]);

    const p = await reads.pipeline();
    const described = await runtime.log.describeTopics(['orders', 'reviews']);
    assert.deepEqual(
      p.topics.map((t) => [t.topic, t.partitions.map((x) => [x.endOffset, x.processedOffset, x.lag])]),
      described.map((d) => [d.name, d.endOffsets.map((end) => [end, end, 0])]),
    );
    assert.deepEqual(p.tasks.map((t) => t.task), [0, 1, 2]);
    assert.ok(p.tasks.every((t) => t.watermark === f.completeUpTo && t.processedSeq > 0));
    assert.deepEqual(new Set(p.batchRuns.map((r) => r.table)), new Set(JOBS.map((j) => j.name)));
    const names = await lake.listTables();
    assert.deepEqual(p.tables.map((t) => t.table), names);
    const openTable = p.tables.find((t) => t.table === 'gold.open_alerts');
    assert.equal(openTable?.rows, open.length);
    assert.equal(openTable?.snapshotId, (await reads.openAlerts({ limit: 1, offset: 0 })).snapshots['gold.open_alerts']);
  });

  it('sees a new snapshot once refreshMs has passed, not before; with serveStaleMs the old answer serves while the new one is read', async () => {
    let now = 1_000_000;
    const exact = new LakeReadModel({ lake, refreshMs: 500, serveStaleMs: 0, now: () => now });
    const stale = new LakeReadModel({ lake, refreshMs: 500, serveStaleMs: 60_000, now: () => now });
    const before = await exact.openAlerts({ limit: 1, offset: 0 });
    assert.deepEqual(await stale.openAlerts({ limit: 1, offset: 0 }), before);
    const table = await lake.table('gold.open_alerts');
    const [row] = (await (await table.scan()).query('SELECT * FROM t LIMIT 1')).rows;
    await table.append([{ ...(row as Record<string, never>), alert_id: 'added-by-test', priority: 1e12 }]);
    now += 499;
    assert.equal((await exact.openAlerts({ limit: 1, offset: 0 })).total, before.total, 'within refreshMs: the state read before');
    now += 1;
    const after = await exact.openAlerts({ limit: 1, offset: 0 });
    assert.equal(after.total, before.total + 1);
    assert.equal(after.alerts[0]?.alertId, 'added-by-test');
    assert.notEqual(after.snapshots['gold.open_alerts'], before.snapshots['gold.open_alerts']);

    // Serving stale: the first call after refreshMs answers from the snapshot read before, and
    // every answer is one of the two, whole; the new one comes once it has been read.
    assert.deepEqual(await stale.openAlerts({ limit: 1, offset: 0 }), before);
    let seen = before;
    for (let attempt = 0; attempt < 500 && seen.total === before.total; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      seen = await stale.openAlerts({ limit: 1, offset: 0 });
      assert.ok(JSON.stringify(seen) === JSON.stringify(before) || JSON.stringify(seen) === JSON.stringify(after), `${attempt}: ${JSON.stringify(seen).slice(0, 300)}`);
    }
    assert.deepEqual(seen, after);
  });

  it('ranks the stuck alerts after every other, whatever their priority; withoutStuck leaves them out', async () => {
    const fresh = new LakeReadModel({ lake, refreshMs: 0 });
    const stuckBefore = (await fresh.openAlerts({ limit: 1, offset: 0, state: 'stuck' })).total;
    assert.ok(stuckBefore > 100, 'on the sample every open alert is stuck by the end');
    const table = await lake.table('gold.open_alerts');
    const [row] = (await (await table.scan()).query("SELECT * FROM t WHERE state = 'stuck' LIMIT 1")).rows;
    await table.append([{ ...(row as Record<string, never>), alert_id: 'saveable-by-test', state: 'escalated', priority: 1 }]);
    const ranked = await fresh.openAlerts({ limit: 1000, offset: 0 });
    assert.equal(ranked.alerts[0]?.alertId, 'saveable-by-test', 'priority 1, but the only one that can still be saved');
    assert.ok(ranked.alerts.slice(1).every((a) => a.state === 'stuck'));
    const queue = await fresh.openAlerts({ limit: 10, offset: 0, withoutStuck: true });
    assert.deepEqual(queue.alerts.map((a) => a.alertId), ['saveable-by-test']);
    assert.equal(queue.total, 1);
    assert.equal((await fresh.openAlerts({ limit: 1, offset: 0, state: 'stuck' })).total, stuckBefore);
    await assert.rejects(fresh.openAlerts({ limit: 1, offset: 0, withoutStuck: 'yes' as unknown as boolean }), /withoutStuck/);
  });
});

describe('the read model on a lake the pipeline has not written yet', () => {
  const dir = tempDir();
  let lake: Lake;
  let reads: LakeReadModel;
  before(async () => {
    lake = await Lake.open({ catalogUri: join(dir.path, 'orderpulse.db'), warehouse: join(dir.path, 'warehouse'), tempDir: join(dir.path, 'tmp') });
    reads = new LakeReadModel({ lake, refreshMs: 0 });
  });
  after(async () => {
    await lake.close();
    dir.remove();
  });

  it('answers empty, every snapshot null, an order or a seller null', async () => {
    const alerts = await reads.openAlerts({ limit: 10, offset: 0 });
    assert.deepEqual([alerts.total, alerts.valueAtRiskCents, alerts.alerts], [0, 0, []]);
    assert.ok(Object.values(alerts.snapshots).every((s) => s === null));
    const sales = await reads.sales({});
    assert.deepEqual([sales.months, sales.totals, sales.snapshots['gold.sales_monthly']], [[], { orders: 0, items: 0, revenueCents: 0 }, null]);
    assert.deepEqual((await reads.deliveryPerformance({})).totals, { deliveredOrders: 0, lateOrders: 0, lateRate: null });
    assert.equal((await reads.sellers({ sort: 'orders', direction: 'desc', limit: 10, offset: 0 })).total, 0);
    assert.equal(await reads.order('any'), null);
    assert.equal(await reads.seller('any'), null);
    assert.deepEqual(await reads.freshness(), { completeUpTo: null, streamCommittedAt: null, behindMs: null, lastBatch: null });
    const k = await reads.kpis({});
    assert.deepEqual([k.orders, k.revenueCents, k.lateRate, k.openAlerts], [0, 0, null, 0]);
    const p = await reads.pipeline();
    assert.deepEqual([p.tables, p.tasks, p.batchRuns], [[], [], []]);
    assert.ok(p.topics.every((t) => t.partitions.length === 0));
  });
});
