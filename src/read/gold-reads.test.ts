import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runBatch } from '../batch/index.js';
import type { Lake } from '../lake/index.js';
import { tempDir } from '../testing/fixtures.js';
import { openSamplePipeline, sampleEvents } from '../testing/sample-pipeline.js';
import type { GradeName, SellerRow, SellerSort } from './index.js';
import { LakeReadModel, ReadError } from './index.js';
import type { Item } from '../testing/olist-oracle.js';
import { instant, isDelivered, isLate, monthOf, oracle, sells } from '../testing/olist-oracle.js';

// The gold reads on the sample against the Olist CSVs (see test-oracle.ts).

const INJECTION = "' OR 1=1 --";

function sumBy<T>(values: readonly T[], keyOf: (v: T) => string, valueOf: (v: T) => number): Map<string, number> {
  const out = new Map<string, number>();
  for (const v of values) out.set(keyOf(v), (out.get(keyOf(v)) ?? 0) + valueOf(v));
  return out;
}

function distinctBy<T>(values: readonly T[], keyOf: (v: T) => string, idOf: (v: T) => string): Map<string, number> {
  const sets = new Map<string, Set<string>>();
  for (const v of values) sets.set(keyOf(v), (sets.get(keyOf(v)) ?? new Set()).add(idOf(v)));
  return new Map([...sets].map(([k, s]) => [k, s.size]));
}

describe('the read model on the gold tables of the sample', () => {
  const dir = tempDir();
  const data = oracle();
  const sales = data.items.filter((i) => sells(i.order));
  let lake: Lake;
  let reads: LakeReadModel;
  let close: () => Promise<void>;

  before(async () => {
    const pipeline = await openSamplePipeline(dir.path, await sampleEvents());
    await pipeline.feed();
    await runBatch(pipeline.lake);
    lake = pipeline.lake;
    close = () => pipeline.close();
    reads = new LakeReadModel({ lake, refreshMs: 0 });
  });
  after(async () => {
    await close();
    dir.remove();
  });

  function expectedMonths(items: readonly Item[]) {
    const orders = distinctBy(items, (i) => monthOf(i.order.purchase), (i) => i.order.id);
    const count = sumBy(items, (i) => monthOf(i.order.purchase), () => 1);
    const revenue = sumBy(items, (i) => monthOf(i.order.purchase), (i) => i.price);
    const freight = sumBy(items, (i) => monthOf(i.order.purchase), (i) => i.freight);
    return [...count.keys()].sort().map((month) => ({ month, orders: orders.get(month), items: count.get(month), revenueCents: revenue.get(month), freightCents: freight.get(month) }));
  }

  it('sales: monthly orders, items, revenue and freight as the CSVs give them, with and without filters', async () => {
    const all = await reads.sales({});
    assert.deepEqual(all.months, expectedMonths(sales));
    assert.deepEqual(all.applied, []);
    assert.equal(all.totals.orders, new Set(sales.map((i) => i.order.id)).size);
    assert.equal(all.totals.revenueCents, sales.reduce((s, i) => s + i.price, 0));
    assert.ok(all.snapshots['gold.sales_monthly'] !== null && /^\d+$/.test(all.snapshots['gold.sales_monthly'] ?? ''));

    const sp = await reads.sales({ state: 'SP' });
    assert.deepEqual(sp.months, expectedMonths(sales.filter((i) => i.order.customerState === 'SP')));
    assert.deepEqual(sp.applied, ['state']);

    const narrowed = await reads.sales({ from: '2017-06', to: '2017-12', category: 'health_beauty', grade: 'A' });
    assert.deepEqual(narrowed.months, expectedMonths(sales.filter((i) => i.category === 'health_beauty' && monthOf(i.order.purchase) >= '2017-06' && monthOf(i.order.purchase) <= '2017-12')));
    assert.deepEqual(narrowed.applied, ['from', 'to', 'category'], 'sales have no grade dimension');

    const revenueByCategory = sumBy(sales, (i) => i.category, (i) => i.price);
    const top = [...revenueByCategory].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
    assert.deepEqual(all.categories[0] && [all.categories[0].category, all.categories[0].revenueCents], top);
  });

  it('delivery performance: delivered and late orders per month and customer state as the CSVs give them', async () => {
    const delivered = data.orders.filter(isDelivered);
    const d = await reads.deliveryPerformance({});
    const byState = sumBy(delivered, (o) => o.customerState, () => 1);
    const lateByState = sumBy(delivered.filter(isLate), (o) => o.customerState, () => 1);
    assert.deepEqual(
      d.states.map((s) => [s.state, s.deliveredOrders, s.lateOrders, s.lateRate]),
      [...byState.keys()].sort().map((s) => [s, byState.get(s), lateByState.get(s) ?? 0, (lateByState.get(s) ?? 0) / (byState.get(s) ?? 1)]),
    );
    assert.equal(d.totals.deliveredOrders, delivered.length);
    assert.equal(d.totals.lateOrders, delivered.filter(isLate).length);
    const rj = await reads.deliveryPerformance({ state: 'RJ', from: '2018-01' });
    const expected = delivered.filter((o) => o.customerState === 'RJ' && monthOf(o.purchase) >= '2018-01');
    assert.deepEqual([rj.totals.deliveredOrders, rj.totals.lateOrders], [expected.length, expected.filter(isLate).length]);
    assert.deepEqual(rj.applied, ['from', 'state']);
    assert.ok(rj.routes.every((r) => r.customerState === 'RJ' && r.lateOrders > 0));
    for (let i = 1; i < d.routes.length; i++) assert.ok((d.routes[i - 1]?.lateOrders ?? 0) >= (d.routes[i]?.lateOrders ?? 0), 'worst routes first');
  });

  it('lead times: orders per month and stage as the CSVs give them; the state filter narrows to that state', async () => {
    const lead = await reads.leadTimes({ state: 'MG' });
    const totals = lead.rows.filter((r) => r.stage === 'total');
    const mg = data.orders.filter((o) => isDelivered(o) && o.customerState === 'MG');
    const perMonth = sumBy(mg, (o) => monthOf(o.purchase), () => 1);
    assert.deepEqual(totals.map((r) => [r.month, r.orders]), [...perMonth.keys()].sort().map((m) => [m, perMonth.get(m)]));
    const month = totals.find((r) => r.month === '2018-03');
    const days = mg.filter((o) => monthOf(o.purchase) === '2018-03').map((o) => (instant(o.delivered) - instant(o.purchase)) / 86_400_000);
    assert.ok(Math.abs((month?.meanDays ?? 0) - days.reduce((s, x) => s + x, 0) / days.length) < 1e-6, 'the mean weighted by orders');
  });

  it('sellers: the busiest seller has the figures of the CSVs; every sort key orders the page, nulls last', async () => {
    const top = await reads.sellers({ sort: 'orders', direction: 'desc', limit: 5, offset: 0 });
    assert.equal(top.total, new Set(data.items.map((i) => i.sellerId)).size);
    const first = top.sellers[0] as SellerRow;
    const theirs = data.items.filter((i) => i.sellerId === first.sellerId);
    const orders = new Set(theirs.map((i) => i.order.id));
    assert.equal(first.orders, orders.size);
    let handoffs = 0;
    let onTime = 0;
    for (const id of orders) {
      const order = data.byId.get(id);
      if (order === undefined || order.carrier === '') continue;
      handoffs++;
      const limit = Math.min(...theirs.filter((i) => i.order.id === id).map((i) => instant(i.limit)));
      if (instant(order.carrier) <= limit) onTime++;
    }
    assert.deepEqual([first.handoffs, first.onTimeRate], [handoffs, onTime / handoffs]);
    const delivered = [...orders].map((id) => data.byId.get(id)).filter((o) => o !== undefined && o.status === 'delivered' && isDelivered(o));
    assert.equal(first.lateDeliveries, delivered.filter((o) => o !== undefined && isLate(o)).length);

    const detail = await reads.seller(first.sellerId);
    assert.ok(detail !== null);
    assert.equal(detail.trend.reduce((s, m) => s + m.handoffs, 0), handoffs);
    assert.ok(detail.lateOrders.length > 0 && detail.lateOrders.every((o) => orders.has(o.orderId)));

    const keyOf: Record<SellerSort, (s: SellerRow) => number | null> = {
      orders: (s) => s.orders,
      onTimeRate: (s) => s.onTimeRate,
      lateDeliveries: (s) => s.lateDeliveries,
      meanReviewScore: (s) => s.meanReviewScore,
      trend: (s) => (s.recentOnTimeRate === null || s.priorOnTimeRate === null ? null : s.recentOnTimeRate - s.priorOnTimeRate),
    };
    for (const sort of Object.keys(keyOf) as SellerSort[]) {
      for (const direction of ['asc', 'desc'] as const) {
        const page = await reads.sellers({ sort, direction, limit: 1000, offset: 0 });
        const keys = page.sellers.map(keyOf[sort]);
        const firstNull = keys.indexOf(null);
        if (firstNull >= 0) assert.ok(keys.slice(firstNull).every((k) => k === null), `${sort} ${direction}: nulls last`);
        const values = keys.filter((k): k is number => k !== null);
        for (let i = 1; i < values.length; i++) assert.ok(direction === 'asc' ? (values[i - 1] as number) <= (values[i] as number) : (values[i - 1] as number) >= (values[i] as number), `${sort} ${direction}`);
      }
    }
    // Pages follow each other.
    const whole = await reads.sellers({ sort: 'orders', direction: 'desc', limit: 30, offset: 0 });
    const pages = [...(await reads.sellers({ sort: 'orders', direction: 'desc', limit: 10, offset: 0 })).sellers, ...(await reads.sellers({ sort: 'orders', direction: 'desc', limit: 20, offset: 10 })).sellers];
    assert.deepEqual(pages.map((s) => s.sellerId), whole.sellers.map((s) => s.sellerId));
    const rs = await reads.sellers({ sort: 'orders', direction: 'desc', state: 'RS', limit: 1000, offset: 0 });
    assert.ok(rs.total > 0 && rs.sellers.every((s) => s.sellerState === 'RS'));
  });

  it('products, portfolio and grades: figures per grade as the CSVs give them; filters narrow', async () => {
    const gradeOf = new Map<string, GradeName>();
    const products = await reads.products({}, { limit: 1000, offset: 0 });
    const revenue = sumBy(sales, (i) => `${i.productId}|${i.category}`, (i) => i.price);
    for (const p of products.products) assert.equal(p.revenueCents, revenue.get(`${p.productId}|${p.category}`));
    assert.equal(products.products[0]?.revenueCents, Math.max(...revenue.values()));
    const grades = await reads.grades({});
    const scan = await (await lake.table('gold.product_grades')).scan();
    for (const r of (await scan.query('SELECT product_id, grade FROM t')).rows) gradeOf.set(String(r.product_id), String(r.grade) as GradeName);
    for (const g of grades.grades) {
      const mine = sales.filter((i) => gradeOf.get(i.productId) === g.grade);
      assert.equal(g.quantity, mine.length, g.grade);
      assert.equal(g.revenueCents, mine.reduce((s, i) => s + i.price, 0), g.grade);
      assert.equal(g.products, new Set(mine.map((i) => i.productId)).size, g.grade);
      const orders = new Set(mine.map((i) => i.order.id));
      const scores = [1, 2, 3, 4, 5].map((n) => data.reviews.filter((r) => orders.has(r.orderId) && r.score === n).length);
      assert.deepEqual(g.reviewScores, scores, `${g.grade}: the review score mix`);
    }
    const onlyA = await reads.grades({ grade: 'A', state: 'SP' });
    assert.deepEqual(onlyA.grades.map((g) => g.grade), ['A']);
    assert.equal(onlyA.grades[0]?.quantity, sales.filter((i) => gradeOf.get(i.productId) === 'A' && i.order.customerState === 'SP').length);
    assert.deepEqual(onlyA.applied, ['state', 'grade']);

    const gradedB = await reads.products({ grade: 'B', category: 'bed_bath_table' }, { limit: 50, offset: 0 });
    assert.ok(gradedB.products.length > 0 && gradedB.products.every((p) => p.grade === 'B' && p.category === 'bed_bath_table'));
    const points = await reads.portfolio({ from: '2018-01', to: '2018-03' }, { limit: 100, offset: 0 });
    assert.ok(points.points.every((p) => p.month >= '2018-01' && p.month <= '2018-03'));
    const cells = new Set(sales.filter((i) => monthOf(i.order.purchase) >= '2018-01' && monthOf(i.order.purchase) <= '2018-03').map((i) => `${i.category}|${monthOf(i.order.purchase)}|${i.productId}`));
    assert.equal(points.quadrants.reduce((s, q) => s + q.productMonths, 0), cells.size);
  });

  it('review impact in lateness order; open orders per stage as the statuses give them', async () => {
    const impact = await reads.reviewImpact({});
    assert.deepEqual(impact.buckets.map((b) => b.delayBucket), ['on_time', '1-3', '4-7', '8+']);
    const open = await reads.openOrders({});
    assert.deepEqual(open.stages.map((s) => s.stage), ['approval', 'handoff', 'delivery']);
    const pending = data.orders.filter((o) => sells(o) && o.delivered === '');
    assert.equal(open.stages.reduce((s, x) => s + x.orders, 0), pending.length, 'every order neither delivered nor canceled');
    const shipped = pending.filter((o) => o.carrier !== '');
    assert.equal(open.stages[2]?.orders, shipped.length);
    assert.ok(open.stages.every((s) => s.orders === 0 || (s.maxAgeDays ?? 0) >= (s.medianAgeDays ?? 0)));
  });

  it('kpis: orders, revenue and late rate agree with the CSVs', async () => {
    const k = await reads.kpis({ state: 'SP' });
    const sp = sales.filter((i) => i.order.customerState === 'SP');
    assert.equal(k.orders, new Set(sp.map((i) => i.order.id)).size);
    assert.equal(k.revenueCents, sp.reduce((s, i) => s + i.price, 0));
    const delivered = data.orders.filter((o) => isDelivered(o) && o.customerState === 'SP');
    assert.equal(k.lateRate, delivered.filter(isLate).length / delivered.length);
    assert.ok(k.freshness.completeUpTo !== null && k.freshness.lastBatch !== null);
    assert.deepEqual(k.applied, ['state']);
  });

  it('a quote in a filter is a value: it matches nothing and throws nothing', async () => {
    assert.deepEqual((await reads.sales({ category: INJECTION })).months, []);
    assert.deepEqual((await reads.sales({ state: INJECTION })).months, []);
    assert.deepEqual((await reads.products({ category: INJECTION }, { limit: 10, offset: 0 })).products, []);
    assert.deepEqual((await reads.grades({ category: INJECTION })).grades, []);
    assert.equal((await reads.deliveryPerformance({ state: INJECTION })).totals.deliveredOrders, 0);
    assert.equal((await reads.sellers({ sort: 'orders', direction: 'desc', state: INJECTION, limit: 10, offset: 0 })).total, 0);
    assert.equal(await reads.seller(INJECTION), null);
    assert.equal(await reads.seller('no-such-seller'), null);
  });

  it('refuses bad arguments, naming them', async () => {
    await assert.rejects(reads.sales({ from: '2017-13' }), (e: unknown) => e instanceof ReadError && e.code === 'OP_READ_BAD_ARGUMENT' && /from must be a month YYYY-MM/.test(e.message));
    await assert.rejects(reads.grades({ grade: 'F' as GradeName }), /grade must be one of A, B, C, D, E/);
    await assert.rejects(reads.sellers({ sort: 'orders; DROP TABLE x' as SellerSort, direction: 'desc', limit: 10, offset: 0 }), /sort must be one of orders/);
    await assert.rejects(reads.sellers({ sort: 'orders', direction: 'sideways' as 'asc', limit: 10, offset: 0 }), /direction must be asc or desc/);
    await assert.rejects(reads.products({}, { limit: 0, offset: 0 }), /limit must be an integer from 1 to 1000/);
    await assert.rejects(reads.portfolio({}, { limit: 10, offset: -1 }), /offset must be an integer >= 0/);
  });
});
