import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Runtime } from '../deploy/index.js';
import { DEFAULTS, openRuntime } from '../deploy/index.js';
import { loadOlist } from '../data/index.js';
import type { AlertChanges, KPIs, OpenAlerts, OrderTimeline, ReviewCauses, Sales, SellerDetail, Sellers } from '../read/index.js';
import type { LowScoreReview } from '../reviews/index.js';
import { CAUSES, DELAY_BUCKETS, delayShares, lowScoreReviews } from '../reviews/index.js';
import { API_ROUTES } from '../read/index.js';
import { isDelivered, isLate, monthOf, oracle, sells } from '../testing/olist-oracle.js';
import { sampleDir, tempDir } from '../testing/fixtures.js';
import { sampleEvents, writeSampleState } from '../testing/sample-pipeline.js';
import type { RunningServer } from './index.js';
import { serveRuntime } from './index.js';

// The API over the real sample: the bundled Olist sample replayed, streamed and batch-processed,
// then served as `orderpulse serve` serves a state directory, and asked over real HTTP. The
// figures are checked against the Olist CSVs (see read/test-oracle.ts), not against the read model.

const INJECTION = "' OR 1=1 --";

describe('the HTTP API on the sample', () => {
  const dir = tempDir();
  const data = oracle();
  let runtime: Runtime;
  let server: RunningServer;

  before(async () => {
    await writeSampleState(dir.path, await sampleEvents());
    runtime = openRuntime({ ...DEFAULTS, state: dir.path });
    server = await serveRuntime(runtime, { port: 0, webRoot: null, rateLimitPerMinute: null });
  });
  after(async () => {
    await server.close();
    await runtime.close();
    dir.remove();
  });

  async function get<T>(path: string, status = 200): Promise<T> {
    const response = await fetch(`${server.url}${path}`);
    const text = await response.text();
    assert.equal(response.status, status, `${path}: ${text}`);
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
    return JSON.parse(text) as T;
  }

  it('answers every route of the contract, and the OpenAPI document lists them all', async () => {
    const alerts = await get<OpenAlerts>('/api/alerts?limit=5');
    const orderId = alerts.alerts[0]?.orderId ?? '';
    const sellers = await get<Sellers>('/api/sellers?limit=1');
    const sellerId = sellers.sellers[0]?.sellerId ?? '';
    const document = await get<{ openapi: string; paths: Record<string, unknown> }>('/api/openapi.json');
    assert.match(document.openapi, /^3\./);
    for (const route of API_ROUTES) {
      if (route === '/api/live' || route === '/api/openapi.json') continue;
      const path = route.replace(':orderId', orderId).replace(':sellerId', sellerId);
      const body = await get<Record<string, unknown>>(path);
      assert.ok(Object.keys(body).length > 0, `${path} answered an empty object`);
      const documented = route.replace(/:(\w+)/g, '{$1}');
      assert.ok(documented in document.paths, `${documented} is in the OpenAPI document`);
    }
  });

  it('sales: the months and totals are the CSVs’, whole and for one customer state', async () => {
    const sold = data.items.filter((i) => sells(i.order));
    const revenue = (items: typeof sold): number => items.reduce((s, i) => s + i.price, 0);
    const all = await get<Sales>('/api/sales');
    assert.equal(all.totals.revenueCents, revenue(sold));
    assert.equal(all.totals.items, sold.length);
    const sp = await get<Sales>('/api/sales?state=SP&from=2017-06&to=2017-12');
    const spItems = sold.filter((i) => i.order.customerState === 'SP' && monthOf(i.order.purchase) >= '2017-06' && monthOf(i.order.purchase) <= '2017-12');
    assert.equal(sp.totals.revenueCents, revenue(spItems));
    assert.deepEqual(sp.months.map((m) => m.month), ['2017-06', '2017-07', '2017-08', '2017-09', '2017-10', '2017-11', '2017-12']);
    assert.deepEqual([...sp.applied].sort(), ['from', 'state', 'to']);
  });

  it('KPIs: the late rate of delivered orders is the CSVs’', async () => {
    const delivered = data.orders.filter(isDelivered);
    const kpis = await get<KPIs>('/api/kpis');
    assert.ok(kpis.lateRate !== null);
    assert.ok(Math.abs(kpis.lateRate - delivered.filter(isLate).length / delivered.length) < 1e-9, `late rate ${kpis.lateRate}`);
    assert.ok(kpis.openAlerts > 0);
    assert.notEqual(kpis.freshness.completeUpTo, null);
  });

  it('an order: its timeline has the events the CSVs give it, its three deadlines and its alerts', async () => {
    const changes = await get<AlertChanges>('/api/alerts/changes?limit=1');
    const orderId = changes.alerts[0]?.orderId ?? '';
    const order = data.orders.find((o) => o.id === orderId);
    assert.ok(order !== undefined, 'the order of an alert is in the CSVs');
    const timeline = await get<OrderTimeline>(`/api/orders/${orderId}`);
    assert.equal(timeline.orderId, orderId);
    assert.deepEqual(timeline.deadlines.map((d) => d.stage), ['approval', 'handoff', 'delivery']);
    assert.ok(timeline.events.some((e) => e.type === 'OrderPlaced'));
    assert.ok(timeline.alerts.length > 0);
    assert.equal(timeline.items.length, data.items.filter((i) => i.order.id === orderId).length);
  });

  it('a seller: the detail of the busiest seller counts the orders the CSVs give it', async () => {
    const sellers = await get<Sellers>('/api/sellers?sort=orders&direction=desc&limit=1');
    const top = sellers.sellers[0];
    assert.ok(top !== undefined);
    const detail = await get<SellerDetail>(`/api/sellers/${top.sellerId}`);
    // A scorecard counts every order the seller had an item in, canceled ones too.
    const orders = new Set(data.items.filter((i) => i.sellerId === top.sellerId).map((i) => i.order.id));
    assert.equal(detail.seller.orders, orders.size);
    assert.ok(detail.trend.length > 0);
  });

  it('splits the open alerts into the overdue and the at-risk queue, and refuses another kind', async () => {
    const all = await get<OpenAlerts>('/api/alerts?limit=1000');
    const overdue = await get<OpenAlerts>('/api/alerts?kind=overdue&limit=1000');
    const risk = await get<OpenAlerts>('/api/alerts?kind=risk&limit=1000');
    const byRule = await get<OpenAlerts>('/api/alerts?rule=delivery_at_risk&limit=1000');
    assert.equal(overdue.total + risk.total, all.total);
    assert.ok(overdue.alerts.every((a) => a.rule !== 'delivery_at_risk' && a.probability === null));
    assert.deepEqual(risk.alerts.map((a) => a.alertId), byRule.alerts.map((a) => a.alertId));
    const error = await get<{ code: string; message: string }>('/api/alerts?kind=late', 400);
    assert.equal(error.code, 'OP_BAD_REQUEST');
    assert.match(error.message, /kind/);
  });

  it('a query parameter made of SQL returns nothing it should not', async () => {
    const q = encodeURIComponent(INJECTION);
    const alerts = await get<OpenAlerts>(`/api/alerts?category=${q}`);
    assert.equal(alerts.total, 0);
    assert.deepEqual(alerts.alerts, []);
    const sales = await get<Sales>(`/api/sales?category=${q}`);
    assert.deepEqual(sales.months, []);
    assert.equal(sales.totals.revenueCents, 0);
    // Ids and states have a shape: SQL in them is refused before any read.
    for (const path of [`/api/orders/${q}`, `/api/sellers/${q}`, `/api/sales?state=${q}`, `/api/alerts/changes?order=${q}`]) {
      const error = await get<{ code: string; message: string }>(path, 400);
      assert.equal(error.code, 'OP_BAD_REQUEST', path);
    }
  });

  it('review causes: by delay bucket, by month and the headline are the classifier applied to the CSV reviews, whole and for a month range', async () => {
    // Independent of the batch and the read model: the reviews room on the CSV files, as `reviews impact` computes it.
    const reviews = lowScoreReviews(await loadOlist(sampleDir));
    const countsOf = (members: readonly LowScoreReview[]): { lowScoreReviews: number; withText: number; causes: Record<string, number> } => ({
      lowScoreReviews: members.length,
      withText: members.filter((r) => r.causes !== null).length,
      causes: Object.fromEntries(CAUSES.map((c) => [c, members.filter((r) => r.causes?.includes(c) === true).length])),
    });
    const whole = await get<ReviewCauses>('/api/review-causes');
    assert.deepEqual(whole.applied, []);
    assert.deepEqual(
      whole.byDelay,
      DELAY_BUCKETS.map((delayBucket) => ({ delayBucket, ...countsOf(reviews.filter((r) => r.delayBucket === delayBucket)) })),
    );
    const months = [...new Set(reviews.map((r) => r.month))].sort();
    assert.deepEqual(whole.byMonth, months.map((month) => ({ month, ...countsOf(reviews.filter((r) => r.month === month)) })));
    const shares = delayShares(reviews);
    assert.deepEqual(
      whole.headline,
      (['late', 'on_time', 'not_delivered'] as const).map((delivery) => {
        const s = shares.find((x) => x.group === delivery);
        return { delivery, lowScoreReviews: s?.lowScoreReviews, withText: s?.withText, delay: s?.delay, delayShare: s?.delayShare };
      }),
    );
    const ranged = await get<ReviewCauses>('/api/review-causes?from=2017-06&to=2017-12&state=SP');
    assert.deepEqual(ranged.applied, ['from', 'to']);
    const inRange = reviews.filter((r) => r.month >= '2017-06' && r.month <= '2017-12');
    assert.ok(inRange.length > 0 && inRange.length < reviews.length);
    assert.deepEqual(ranged.byMonth.map((m) => m.month), [...new Set(inRange.map((r) => r.month))].sort());
    assert.deepEqual(
      ranged.byDelay.map(({ delayBucket, lowScoreReviews: n, causes }) => [delayBucket, n, causes.delay]),
      DELAY_BUCKETS.map((b) => {
        const members = inRange.filter((r) => r.delayBucket === b);
        return [b, members.length, members.filter((r) => r.causes?.includes('delay') === true).length];
      }),
    );
    const error = await get<{ code: string; message: string }>('/api/review-causes?from=2017-13', 400);
    assert.equal(error.code, 'OP_BAD_REQUEST');
    assert.match(error.message, /from/);
  });

  it('an unknown order or seller is a 404 in JSON', async () => {
    const order = await get<{ code: string; message: string }>(`/api/orders/${'0'.repeat(32)}`, 404);
    assert.equal(order.code, 'OP_NOT_FOUND');
    assert.match(order.message, /0{32}/);
    const seller = await get<{ code: string }>(`/api/sellers/${'f'.repeat(32)}`, 404);
    assert.equal(seller.code, 'OP_NOT_FOUND');
  });
});
