import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Lake } from '../lake/index.js';
import { tempDir } from '../testing/fixtures.js';
import type { Item, Oracle, Order } from '../testing/olist-oracle.js';
import { DAY, HOUR, instant, isDelivered, isLate, monthOf, oracle, sells } from '../testing/olist-oracle.js';
import { openSamplePipeline, sampleEvents } from '../testing/sample-pipeline.js';
import { runBatch, selectJobs } from './index.js';

// The gold tables of the sample against the oracle computed straight from the CSV files
// (testing/olist-oracle.ts): it shares no code with the data room, the events or the batch jobs,
// so a wrong conversion, join or definition on either side shows as a difference.

/**
 * DuckDB's quantile_cont: linear interpolation between the two nearest ranks of the sorted values,
 * in DuckDB's own arithmetic (lo·(1−d) + hi·d), so that both sides give the same double: a
 * duration of a whole number of seconds divisible by 27 is a decimal ending in 5 at the 7th
 * place, where a last-bit difference would round the other way.
 */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (sorted.length - 1) * q;
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  const d = rank - lo;
  return lo === hi ? a : a * (1 - d) + b * d;
}

/** The mean, summed in the order given (the jobs sum in a stated order, for the same reason). */
function mean(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}

/** The mean of durations in days as gold.lead_times takes it: whole milliseconds summed, then divided. */
function meanToTheMillisecond(days: readonly number[]): number {
  return days.reduce((s, d) => s + Math.round(d * 86_400_000), 0) / days.length / 86_400_000;
}

/** Floats are compared at this many decimals (durations in days: well under a second). */
const DIGITS = 6;
function fixed(value: unknown): string | null {
  return value === null || value === undefined ? null : Number(value).toFixed(DIGITS);
}

function compareKeys(a: readonly unknown[], b: readonly unknown[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = String(a[i]);
    const y = String(b[i]);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function sorted<T extends readonly unknown[]>(rows: T[]): T[] {
  return rows.sort(compareKeys);
}

/** 'YYYY-MM' plus n months (n may be negative). */
function addMonths(month: string, n: number): string {
  const [y = 0, m = 0] = month.split('-').map(Number);
  const index = y * 12 + (m - 1) + n;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;
}

function countBy<T>(values: readonly T[], keyOf: (v: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[keyOf(v)] = (out[keyOf(v)] ?? 0) + 1;
  return out;
}

function group<T>(values: readonly T[], keyOf: (v: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const v of values) {
    const key = keyOf(v);
    const list = out.get(key);
    if (list === undefined) out.set(key, [v]);
    else list.push(v);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The oracle: the sample's CSVs, joined and aggregated by the gold tables' definitions.

const daysLate = (o: Order): number => Math.round((Date.parse(o.delivered.slice(0, 10)) - Date.parse(o.estimated.slice(0, 10))) / DAY);
const daysBetween = (from: string, to: string): number | null => (from === '' || to === '' ? null : (instant(to) - instant(from)) / DAY);

/** A delivered order's route and main category, by the gold definitions. */
function profile(o: Order, items: readonly Item[]): { sellerState: string; route: string; category: string } {
  const states = new Set(items.map((i) => i.sellerState));
  const sellerState = states.size === 0 || states.has('unknown') ? 'unknown' : states.size > 1 ? 'multi' : [...states][0] ?? 'unknown';
  const main = [...items].sort((a, b) => b.price - a.price || a.itemId - b.itemId)[0];
  return { sellerState, route: `${sellerState}→${o.customerState}`, category: main?.category ?? 'unknown' };
}

interface StageRow {
  readonly orderId: string;
  readonly month: string;
  readonly route: string;
  readonly category: string;
  readonly stage: string;
  readonly days: number;
}

function stageRows(data: Oracle): StageRow[] {
  const out: StageRow[] = [];
  for (const o of data.orders.filter(isDelivered).sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const { route, category } = profile(o, data.itemsOf.get(o.id) ?? []);
    const stages: [string, number | null][] = [
      ['approval', daysBetween(o.purchase, o.approved)],
      ['carrier_handoff', daysBetween(o.approved, o.carrier)],
      ['transit', daysBetween(o.carrier, o.delivered)],
      ['total', daysBetween(o.purchase, o.delivered)],
    ];
    for (const [stage, days] of stages) if (days !== null) out.push({ orderId: o.id, month: monthOf(o.purchase), route, category, stage, days });
  }
  return out;
}

interface ProductCell {
  readonly category: string;
  readonly month: string;
  readonly productId: string;
  readonly quantity: number;
  readonly revenue: number;
}

function productCells(sales: readonly Item[]): ProductCell[] {
  return [...group(sales, (i) => `${i.category}|${monthOf(i.order.purchase)}|${i.productId}`).values()].map((list) => {
    const first = list[0] as Item;
    return {
      category: first.category,
      month: monthOf(first.order.purchase),
      productId: first.productId,
      quantity: list.length,
      revenue: list.reduce((s, i) => s + i.price, 0),
    };
  });
}

interface Placed extends ProductCell {
  readonly unitPrice: number;
  readonly products: number;
  readonly medianQuantity: number;
  readonly medianPrice: number;
  readonly quadrant: string;
}

function portfolio(cells: readonly ProductCell[]): Placed[] {
  const out: Placed[] = [];
  for (const list of group(cells, (c) => `${c.category}|${c.month}`).values()) {
    const medianQuantity = quantile(
      list.map((c) => c.quantity),
      0.5,
    );
    const medianPrice = quantile(
      list.map((c) => c.revenue / c.quantity),
      0.5,
    );
    for (const c of list) {
      const unitPrice = c.revenue / c.quantity;
      const high = c.quantity > medianQuantity;
      const dear = unitPrice >= medianPrice;
      const quadrant = high ? (dear ? 'Star' : 'Volume Driver') : dear ? 'Niche Gem' : 'Question Mark';
      out.push({ ...c, unitPrice, products: list.length, medianQuantity, medianPrice, quadrant });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

describe('gold tables on the Olist sample', () => {
  const dir = tempDir();
  let lake: Lake;
  let close: () => Promise<void>;
  const data = oracle();
  const sales = data.items.filter((i) => sells(i.order));

  before(async () => {
    const pipeline = await openSamplePipeline(dir.path, await sampleEvents());
    await pipeline.feed();
    lake = pipeline.lake;
    close = () => pipeline.close();
    const reports = await runBatch(lake);
    assert.deepEqual(
      reports.map((r) => [r.job, r.outcome]),
      selectJobs(undefined).map((j) => [j.name, 'written']),
    );
  });
  after(async () => {
    await close();
    dir.remove();
  });

  /** Every row of a gold table (filtered in the test, so that no value goes into SQL). */
  async function rows(table: string): Promise<Record<string, unknown>[]> {
    return (await (await lake.table(table)).scan()).query('SELECT * FROM t').then((r) => r.rows);
  }

  it('gold.sales_monthly: every cell, the monthly totals and the top categories, to the cent', async () => {
    const actual = await rows('gold.sales_monthly');
    const cells = [...group(sales, (i) => `${monthOf(i.order.purchase)}|${i.category}|${i.order.customerState}`).values()].map((list) => {
      const first = list[0] as Item;
      const orders = new Set(list.map((i) => i.order.id)).size;
      const revenue = list.reduce((s, i) => s + i.price, 0);
      return [monthOf(first.order.purchase), first.category, first.order.customerState, orders, list.length, revenue, list.reduce((s, i) => s + i.freight, 0), fixed(revenue / orders)] as const;
    });
    assert.deepEqual(
      sorted(actual.map((r) => [r.month, r.category, r.customer_state, Number(r.orders), Number(r.items), Number(r.revenue_cents), Number(r.freight_cents), fixed(r.avg_order_value_cents)] as const)),
      sorted(cells),
    );

    // Per month: revenue and items to the cent, and the orders summed over the cells (an order with
    // items of several categories counts once in each of them).
    const perMonth = (list: readonly (readonly [string, number, number, number])[]): Record<string, [number, number, number]> => {
      const out: Record<string, [number, number, number]> = {};
      for (const [m, o, n, c] of list) {
        const t = out[m] ?? [0, 0, 0];
        out[m] = [t[0] + o, t[1] + n, t[2] + c];
      }
      return out;
    };
    const expectedMonths = perMonth(cells.map((c) => [c[0], c[3], c[4], c[5]] as const));
    assert.deepEqual(perMonth(actual.map((r) => [String(r.month), Number(r.orders), Number(r.items), Number(r.revenue_cents)] as const)), expectedMonths);
    const revenueByMonth = Object.fromEntries([...group(sales, (i) => monthOf(i.order.purchase))].map(([m, l]) => [m, l.reduce((s, i) => s + i.price, 0)]));
    assert.deepEqual(Object.fromEntries(Object.entries(expectedMonths).map(([m, t]) => [m, t[2]])), revenueByMonth);
    assert.equal(Object.keys(expectedMonths).length, new Set(sales.map((i) => monthOf(i.order.purchase))).size);

    // The biggest cells, and a cell of products without a category, one by one.
    const biggest = [...cells].sort((a, b) => b[5] - a[5]).slice(0, 3);
    const unknown = cells.filter((c) => c[1] === 'unknown').sort((a, b) => b[5] - a[5])[0];
    assert.ok(unknown !== undefined, 'the sample sells products without a category');
    for (const cell of [...biggest, unknown]) {
      const row = actual.find((r) => r.month === cell[0] && r.category === cell[1] && r.customer_state === cell[2]);
      assert.deepEqual([Number(row?.orders), Number(row?.items), Number(row?.revenue_cents)], [cell[3], cell[4], cell[5]], cell.slice(0, 3).join(' '));
    }

    // The top 5 categories by revenue over the whole sample.
    const revenueOf = (list: readonly (readonly [string, number])[]): [string, number][] => {
      const totals = new Map<string, number>();
      for (const [c, v] of list) totals.set(c, (totals.get(c) ?? 0) + v);
      return [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 5);
    };
    assert.deepEqual(
      revenueOf(actual.map((r) => [String(r.category), Number(r.revenue_cents)] as const)),
      revenueOf(sales.map((i) => [i.category, i.price] as const)),
    );
  });

  it('gold.product_sales_monthly: quantity, revenue and both ranks of every product-month', async () => {
    const actual = await rows('gold.product_sales_monthly');
    const cells = productCells(sales);
    const rankBy = (list: readonly ProductCell[]): ProductCell[] =>
      [...list].sort((a, b) => b.revenue - a.revenue || b.quantity - a.quantity || (a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0) || (a.category < b.category ? -1 : 1));
    const inCategory = new Map<ProductCell, number>();
    for (const list of group(cells, (c) => `${c.month}|${c.category}`).values()) rankBy(list).forEach((c, i) => inCategory.set(c, i + 1));
    const overall = new Map<ProductCell, number>();
    for (const list of group(cells, (c) => c.month).values()) rankBy(list).forEach((c, i) => overall.set(c, i + 1));
    assert.deepEqual(
      sorted(actual.map((r) => [r.month, r.category, r.product_id, Number(r.quantity), Number(r.revenue_cents), fixed(r.avg_price_cents), Number(r.rank_in_category), Number(r.rank_overall)] as const)),
      sorted(cells.map((c) => [c.month, c.category, c.productId, c.quantity, c.revenue, fixed(c.revenue / c.quantity), inCategory.get(c), overall.get(c)] as const)),
    );
  });

  it('gold.product_portfolio: medians and quadrants per category-month and overall', async () => {
    const actual = await rows('gold.product_portfolio');
    const expected = portfolio(productCells(sales));
    assert.deepEqual(countBy(actual, (r) => String(r.quadrant)), countBy(expected, (p) => p.quadrant));

    // The three category-months with the most products, cell by cell.
    const cellOf = (category: unknown, month: unknown): string => `${String(category)}|${String(month)}`;
    const byCell = group(expected, (p) => cellOf(p.category, p.month));
    const largest = [...byCell.entries()].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1)).slice(0, 3);
    for (const [cell, list] of largest) {
      const got = actual.filter((r) => cellOf(r.category, r.month) === cell);
      const first = list[0] as Placed;
      assert.deepEqual(countBy(got, (r) => String(r.quadrant)), countBy(list, (p) => p.quadrant), cell);
      assert.deepEqual(
        [...new Set(got.map((r) => [Number(r.products), fixed(r.median_quantity), fixed(r.median_unit_price_cents)].join(' ')))],
        [[list.length, fixed(first.medianQuantity), fixed(first.medianPrice)].join(' ')],
        cell,
      );
    }

    // And every product's place.
    assert.deepEqual(
      sorted(actual.map((r) => [r.category, r.month, r.product_id, Number(r.quantity), Number(r.revenue_cents), fixed(r.unit_price_cents), r.quadrant] as const)),
      sorted(expected.map((p) => [p.category, p.month, p.productId, p.quantity, p.revenue, fixed(p.unitPrice), p.quadrant] as const)),
    );
  });

  it('gold.product_grades: one grade per product sold, by its latest quadrant and its ABC class', async () => {
    const actual = await rows('gold.product_grades');
    const placed = portfolio(productCells(sales));
    const last = sales.map((i) => monthOf(i.order.purchase)).sort().at(-1) ?? '';
    const first = addMonths(last, -11);
    const latest = new Map<string, Placed>();
    for (const p of placed) {
      const seen = latest.get(p.productId);
      if (seen === undefined || p.month > seen.month) latest.set(p.productId, p);
    }
    const revenue = new Map<string, number>();
    for (const i of sales) {
      const m = monthOf(i.order.purchase);
      if (m >= first && m <= last) revenue.set(i.productId, (revenue.get(i.productId) ?? 0) + i.price);
    }
    const expected = new Map<string, { grade: string; abc: string; quadrant: string }>();
    for (const list of group([...latest.values()], (p) => p.category).values()) {
      const total = list.reduce((s, p) => s + (revenue.get(p.productId) ?? 0), 0);
      let above = 0;
      const ranked = [...list].sort((a, b) => (revenue.get(b.productId) ?? 0) - (revenue.get(a.productId) ?? 0) || (a.productId < b.productId ? -1 : 1));
      for (const p of ranked) {
        const own = revenue.get(p.productId) ?? 0;
        const abc = own === 0 ? 'C' : above * 100 < total * 80 ? 'A' : above * 100 < total * 95 ? 'B' : 'C';
        above += own;
        const points = { A: 2, B: 1, C: 0 }[abc] + ({ Star: 2, 'Volume Driver': 1, 'Niche Gem': 1 }[p.quadrant] ?? 0);
        expected.set(p.productId, { grade: 'EDCBA'.charAt(points), abc, quadrant: p.quadrant });
      }
    }
    assert.equal(actual.length, expected.size);
    assert.deepEqual(countBy(actual, (r) => String(r.grade)), countBy([...expected.values()], (g) => g.grade));
    assert.deepEqual(
      sorted(actual.map((r) => [r.product_id, r.grade, r.abc_class, r.latest_quadrant, r.window_first_month, r.window_last_month] as const)),
      sorted([...expected].map(([id, g]) => [id, g.grade, g.abc, g.quadrant, first, last] as const)),
    );
  });

  it('gold.route_norms and gold.lead_times: stage counts and quantiles per route, month and category', async () => {
    const stages = stageRows(data);
    const norms = await rows('gold.route_norms');
    const byRoute = group(stages, (s) => `${s.route}|${s.stage}`);

    // The three busiest routes and the orders with sellers in several states, stage by stage.
    const busiest = [...group(stages.filter((s) => s.stage === 'total'), (s) => s.route)].sort((a, b) => b[1].length - a[1].length).slice(0, 3).map(([r]) => r);
    const routes = [...busiest, ...[...group(stages, (s) => s.route).keys()].filter((r) => r.startsWith('multi→')).slice(0, 1)];
    assert.equal(routes.length, 4, 'the sample has orders with sellers in several states');
    for (const route of routes) {
      for (const stage of ['approval', 'carrier_handoff', 'transit', 'total']) {
        const days = (byRoute.get(`${route}|${stage}`) ?? []).map((s) => s.days);
        const row = norms.find((r) => r.route === route && r.stage === stage);
        assert.deepEqual(
          [Number(row?.orders), fixed(row?.p50_days), fixed(row?.p75_days), fixed(row?.p90_days), fixed(row?.p95_days)],
          [days.length, fixed(quantile(days, 0.5)), fixed(quantile(days, 0.75)), fixed(quantile(days, 0.9)), fixed(quantile(days, 0.95))],
          `${route} ${stage}`,
        );
      }
    }
    assert.deepEqual(
      sorted(norms.map((r) => [r.route, r.stage, Number(r.orders), fixed(r.p50_days)] as const)),
      sorted([...byRoute.values()].map((l) => [(l[0] as StageRow).route, (l[0] as StageRow).stage, l.length, fixed(quantile(l.map((s) => s.days), 0.5))] as const)),
    );

    const lead = await rows('gold.lead_times');
    assert.deepEqual(countBy(stages, (s) => s.stage), Object.fromEntries([...group(lead, (r) => String(r.stage))].map(([s, l]) => [s, l.reduce((n, r) => n + Number(r.orders), 0)])));
    assert.deepEqual(
      sorted(lead.map((r) => [r.month, r.stage, r.route, r.category, Number(r.orders), fixed(r.mean_days), fixed(r.p50_days), fixed(r.p90_days)] as const)),
      sorted(
        [...group(stages, (s) => `${s.month}|${s.stage}|${s.route}|${s.category}`).values()].map((l) => {
          const s = l[0] as StageRow;
          const days = l.map((x) => x.days);
          return [s.month, s.stage, s.route, s.category, l.length, fixed(meanToTheMillisecond(days)), fixed(quantile(days, 0.5)), fixed(quantile(days, 0.9))] as const;
        }),
      ),
    );
  });

  it('gold.delivery_performance: delivered and late orders in total, per state and per cell', async () => {
    const actual = await rows('gold.delivery_performance');
    const delivered = data.orders.filter(isDelivered).map((o) => ({ o, ...profile(o, data.itemsOf.get(o.id) ?? []) }));
    const late = delivered.filter((d) => isLate(d.o));
    const sum = (list: readonly Record<string, unknown>[], column: string): number => list.reduce((s, r) => s + Number(r[column]), 0);
    assert.deepEqual(
      [sum(actual, 'delivered_orders'), sum(actual, 'late_orders'), Math.round(actual.reduce((s, r) => s + Number(r.late_orders) * Number(r.mean_days_late ?? 0), 0))],
      [delivered.length, late.length, late.reduce((s, d) => s + daysLate(d.o), 0)],
    );
    const perState = (list: readonly Record<string, unknown>[]): Record<string, string> =>
      Object.fromEntries([...group(list, (r) => String(r.customer_state))].map(([s, l]) => [s, `${sum(l, 'delivered_orders')}/${sum(l, 'late_orders')}`]));
    assert.deepEqual(
      perState(actual),
      Object.fromEntries([...group(delivered, (d) => d.o.customerState)].map(([s, l]) => [s, `${l.length}/${l.filter((d) => isLate(d.o)).length}`])),
    );
    assert.deepEqual(
      sorted(actual.map((r) => [r.month, r.customer_state, r.seller_state, r.category, Number(r.delivered_orders), Number(r.late_orders), fixed(r.late_rate), fixed(r.mean_days_late)] as const)),
      sorted(
        [...group(delivered, (d) => `${monthOf(d.o.purchase)}|${d.o.customerState}|${d.sellerState}|${d.category}`).values()].map((l) => {
          const d = l[0] as (typeof delivered)[number];
          const lateDays = l.filter((x) => isLate(x.o)).map((x) => daysLate(x.o));
          return [monthOf(d.o.purchase), d.o.customerState, d.sellerState, d.category, l.length, lateDays.length, fixed(lateDays.length / l.length), lateDays.length === 0 ? null : fixed(mean(lateDays))] as const;
        }),
      ),
    );
  });

  it('gold.seller_scorecard: on-time handoffs of every seller, and the busiest sellers in full', async () => {
    const actual = await rows('gold.seller_scorecard');
    const lastMonth = data.orders.map((o) => monthOf(o.purchase)).sort().at(-1) ?? '';
    const recent = addMonths(lastMonth, -2);
    const prior = addMonths(lastMonth, -5);
    interface Handoff {
      readonly order: Order;
      readonly onTime: boolean | null;
      readonly slackHours: number | null;
    }
    const pairs = [...group(data.items, (i) => `${i.order.id}|${i.sellerId}`).values()].map((list) => {
      const first = list[0] as Item;
      const limit = Math.min(...list.map((i) => instant(i.limit)));
      const carrier = first.order.carrier === '' ? null : instant(first.order.carrier);
      const h: Handoff = { order: first.order, onTime: carrier === null ? null : carrier <= limit, slackHours: carrier === null ? null : (limit - carrier) / HOUR };
      return { sellerId: first.sellerId, ...h };
    });
    const expected = new Map(
      [...group(pairs, (p) => p.sellerId)].map(([seller, list]) => {
        const handed = list.filter((p) => p.onTime !== null);
        const rate = (l: readonly Handoff[]): string | null => (l.length === 0 ? null : fixed(l.filter((p) => p.onTime === true).length / l.length));
        const inWindow = (from: string, to: string): Handoff[] => handed.filter((p) => monthOf(p.order.purchase) >= from && monthOf(p.order.purchase) <= to);
        const scores = list.flatMap((p) => data.scoresOf.get(p.order.id) ?? []);
        return [
          seller,
          {
            orders: list.length,
            handoffs: handed.length,
            onTime: handed.filter((p) => p.onTime === true).length,
            rate: rate(handed),
            slack: handed.length === 0 ? null : fixed(quantile(handed.map((p) => p.slackHours ?? 0), 0.5)),
            delivered: list.filter((p) => isDelivered(p.order)).length,
            late: list.filter((p) => isDelivered(p.order) && isLate(p.order)).length,
            reviews: scores.length,
            score: scores.length === 0 ? null : fixed(mean(scores)),
            recent: [recent, inWindow(recent, lastMonth).length, rate(inWindow(recent, lastMonth))],
            prior: [prior, inWindow(prior, addMonths(recent, -1)).length, rate(inWindow(prior, addMonths(recent, -1)))],
          },
        ] as const;
      }),
    );
    const sum = (column: string): number => actual.reduce((s, r) => s + Number(r[column]), 0);
    const all = [...expected.values()];
    assert.deepEqual(
      [actual.length, sum('handoffs'), sum('on_time_handoffs'), sum('late_deliveries')],
      [expected.size, all.reduce((s, e) => s + e.handoffs, 0), all.reduce((s, e) => s + e.onTime, 0), all.reduce((s, e) => s + e.late, 0)],
    );
    assert.deepEqual(
      sorted(actual.map((r) => [r.seller_id, Number(r.orders), Number(r.handoffs), Number(r.on_time_handoffs), Number(r.delivered_orders), Number(r.late_deliveries), Number(r.reviews)] as const)),
      sorted([...expected].map(([id, e]) => [id, e.orders, e.handoffs, e.onTime, e.delivered, e.late, e.reviews] as const)),
    );
    const busiest = [...expected].sort((a, b) => b[1].handoffs - a[1].handoffs || (a[0] < b[0] ? -1 : 1)).slice(0, 3);
    for (const [id, e] of busiest) {
      const r = actual.find((row) => row.seller_id === id);
      assert.deepEqual(
        {
          orders: Number(r?.orders),
          handoffs: Number(r?.handoffs),
          onTime: Number(r?.on_time_handoffs),
          rate: fixed(r?.on_time_rate),
          slack: fixed(r?.median_slack_hours),
          delivered: Number(r?.delivered_orders),
          late: Number(r?.late_deliveries),
          reviews: Number(r?.reviews),
          score: fixed(r?.mean_review_score),
          recent: [r?.recent_first_month, Number(r?.recent_handoffs), fixed(r?.recent_on_time_rate)],
          prior: [r?.prior_first_month, Number(r?.prior_handoffs), fixed(r?.prior_on_time_rate)],
        },
        e,
        id,
      );
    }
  });
});
