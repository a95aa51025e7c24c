import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Row } from '../lake/index.js';
import { Lake } from '../lake/index.js';
import { BRONZE_EVENTS, BRONZE_EVENTS_TABLE, REFERENCE_EVENTS, REFERENCE_EVENTS_TABLE } from '../stream/index.js';
import { tempDir } from '../testing/fixtures.js';
import { BatchError, SOURCES_PROPERTY, runBatch } from './index.js';

/**
 * Silver's handling of what a real log holds besides well-formed events: duplicates, events that
 * arrive in a later run than their order, events of unknown orders, malformed rows, new versions
 * of an order or a product. Bronze rows are written by hand, as the stream processor writes them.
 */

const ORDER = 'a'.repeat(32);
const OTHER = 'b'.repeat(32);
const GHOST = 'c'.repeat(32);
const PRODUCT = 'd'.repeat(32);
const SELLER = 'e'.repeat(32);
const t = (iso: string): number => Date.parse(iso);

let offset = 0;
type HandMadeEvent = { type: string; eventId: string; eventTime: number; [k: string]: unknown };

/** A log record as bronze keeps it, on `topic`, holding `event` (or `payload` as it is). */
function recordRow(topic: string, event: HandMadeEvent, key: string, payload?: string): Row {
  offset++;
  return {
    topic,
    log_partition: 0,
    log_offset: offset,
    event_id: event.eventId,
    event_type: event.type,
    key,
    event_time: event.eventTime,
    ingest_time: t('2026-01-01T00:00:00Z'),
    schema_id: 1,
    payload: payload ?? JSON.stringify(event),
  };
}

/** A row of bronze.order_events: the orders (or reviews) topic, with its processing position. */
function bronzeRow(event: HandMadeEvent, key: string, payload?: string): Row {
  const row = recordRow(event.type === 'ReviewAnswered' ? 'reviews' : 'orders', event, key, payload);
  return { ...row, task: 0, processed_seq: row.log_offset, watermark_floor: null };
}

function placed(orderId: string, eventId: string, at: string, priceCents: number, extra: Record<string, unknown> = {}) {
  return {
    type: 'OrderPlaced',
    eventId,
    eventTime: t(at),
    orderId,
    customer: { customerId: `c${orderId.slice(1)}`, customerUniqueId: `u${orderId.slice(1)}`, zipCodePrefix: '01310', city: 'sao paulo', state: 'SP' },
    items: [{ orderItemId: 1, productId: PRODUCT, sellerId: SELLER, shippingLimitAt: t(at) + 3 * 86_400_000, priceCents, freightCents: 1_000 }],
    payments: [{ paymentSequential: 1, paymentType: 'boleto', paymentInstallments: 1, paymentValueCents: priceCents + 1_000 }],
    estimatedDeliveryDate: '2018-03-20',
    ...extra,
  };
}

const step = (type: string, orderId: string, eventId: string, at: string) => ({ type, eventId, eventTime: t(at), orderId });

/** A row of bronze.reference_events. */
function referenceRow(event: HandMadeEvent, key: string): Row {
  return recordRow(event.type === 'ProductUpserted' ? 'products' : 'sellers', event, key);
}

const product = (eventId: string, at: string, categoryNameEnglish: string) => ({
  type: 'ProductUpserted', eventId, eventTime: t(at), productId: PRODUCT, categoryName: 'x', categoryNameEnglish,
  nameLength: 10, descriptionLength: 100, photosQty: 1, weightG: 500, lengthCm: 10, heightCm: 10, widthCm: 10,
});

describe('silver on hand-made bronze rows', () => {
  const dir = tempDir();
  let lake: Lake;
  before(async () => {
    lake = await Lake.open({ catalogUri: join(dir.path, 'catalog.db'), warehouse: join(dir.path, 'warehouse'), tempDir: join(dir.path, 'tmp') });
  });
  after(async () => {
    await lake.close();
    dir.remove();
  });

  const append = async (rows: Row[], reference: Row[] = []): Promise<void> => {
    await (await lake.ensureTable(BRONZE_EVENTS_TABLE, BRONZE_EVENTS)).append(rows);
    if (reference.length > 0) await (await lake.ensureTable(REFERENCE_EVENTS_TABLE, REFERENCE_EVENTS)).append(reference);
  };
  const rows = async (table: string, sql = 'SELECT * FROM t ORDER BY ALL'): Promise<Record<string, unknown>[]> =>
    (await (await (await lake.table(table)).scan()).query(sql)).rows;
  const order = async (id: string): Promise<Record<string, unknown> | undefined> =>
    (await rows('silver.orders')).find((r) => r.order_id === id);
  const rejects = async (): Promise<string[]> =>
    (await rows('silver.rejects', 'SELECT event_id, reason FROM t ORDER BY event_id')).map((r) => `${String(r.event_id)} ${String(r.reason)}`);

  it('first run: duplicates count once, and every bad row is a reject with its reason', async () => {
    const p = placed(ORDER, 'p1', '2018-03-01T12:00:00Z', 5_000);
    await append(
      [
        bronzeRow(p, ORDER),
        bronzeRow(p, ORDER), // the same event twice in the log
        bronzeRow(step('PaymentApproved', ORDER, 'a1', '2018-03-01T13:00:00Z'), ORDER),
        bronzeRow(step('PaymentApproved', OTHER, 'a2', '2018-03-01T13:00:00Z'), OTHER), // no OrderPlaced
        bronzeRow({ type: 'ReviewAnswered', eventId: 'r0', eventTime: t('2018-03-02T00:00:00Z'), orderId: GHOST, reviewId: 'f'.repeat(32), score: 1, commentTitle: null, commentMessage: null, createdDate: '2018-03-02' }, GHOST),
        bronzeRow({ type: 'OrderDelivered', eventId: 'm1', eventTime: t('2018-03-02T00:00:00Z') }, ORDER, '{not json'),
        bronzeRow(placed(GHOST, 'p-neg', '2018-03-01T12:00:00Z', -5), GHOST),
        bronzeRow(placed(OTHER, 'p-bad', '2018-03-01T12:00:00Z', 100, { customer: null }), OTHER),
        bronzeRow({ type: 'Undecodable', eventId: 'undecodable:orders/0/99', eventTime: t('2018-03-02T00:00:00Z') }, '', '{"error":"unknown schema id 77","base64":"AA=="}'),
      ],
      [referenceRow(product('v1', '2018-01-01T00:00:00Z', 'toys'), PRODUCT)],
    );
    await runBatch(lake);
    const o = await order(ORDER);
    assert.equal(o?.status, 'approved');
    assert.equal(o?.items_cents, 5_000);
    assert.equal((await rows('silver.order_items')).length, 1, 'the duplicate OrderPlaced makes one item');
    assert.equal((await rows('silver.order_items'))[0]?.category, 'toys');
    assert.equal((await rows('silver.payments')).length, 1);
    assert.equal(await order(OTHER), undefined);
    assert.equal(await order(GHOST), undefined);
    assert.deepEqual(await rejects(), ['a2 unknown_order', 'm1 malformed', 'p-bad malformed', 'p-neg negative_money', 'r0 unknown_order', 'undecodable:orders/0/99 undecodable']);
    const [detail] = await rows('silver.rejects', "SELECT detail FROM t WHERE event_id = 'a2'");
    assert.match(String(detail?.detail), /PaymentApproved for order b{32}, which silver has no OrderPlaced for/);
  });

  it('a later run: a late step updates its order, an impossible one is rejected, a newer OrderPlaced and product version replace the old', async () => {
    await append(
      [
        bronzeRow(step('OrderHandedToCarrier', ORDER, 'c1', '2018-03-03T10:00:00Z'), ORDER),
        bronzeRow(step('OrderDelivered', ORDER, 'd1', '2018-03-21T15:00:00Z'), ORDER), // local day 2018-03-21: one day late
        bronzeRow(placed(OTHER, 'p2', '2018-03-05T12:00:00Z', 7_000), OTHER),
        bronzeRow(step('PaymentApproved', OTHER, 'a3', '2018-03-04T12:00:00Z'), OTHER), // before its purchase
        bronzeRow(placed(ORDER, 'p1-v2', '2018-03-01T12:30:00Z', 6_000), ORDER), // a newer version of the order
        bronzeRow(step('PaymentApproved', ORDER, 'a1', '2018-03-01T13:00:00Z'), ORDER), // a duplicate from the first run
      ],
      [referenceRow(product('v2', '2018-02-01T00:00:00Z', 'games'), PRODUCT)],
    );
    const reports = await runBatch(lake);
    assert.ok(reports.filter((r) => r.job.startsWith('silver.')).every((r) => r.mode === 'incremental'));
    const o = await order(ORDER);
    assert.equal(o?.status, 'delivered');
    assert.equal(o?.delivered_late, true);
    assert.equal(o?.days_late, 1);
    assert.equal(o?.placed_event_id, 'p1-v2');
    assert.equal(o?.items_cents, 6_000);
    assert.equal(o?.approved_at, t('2018-03-01T13:00:00Z'), 'the approval of the first run is kept');
    const items = await rows('silver.order_items', 'SELECT order_id, price_cents, category FROM t ORDER BY ALL');
    assert.deepEqual(items, [
      { order_id: ORDER, price_cents: 6_000, category: 'games' },
      { order_id: OTHER, price_cents: 7_000, category: 'games' },
    ]);
    const other = await order(OTHER);
    assert.equal(other?.approved_at, null);
    assert.equal(other?.status, 'created');
    assert.ok((await rejects()).includes('a3 step_before_purchase'));
    // The reject that came before OTHER's OrderPlaced stays a reject: rejects are final.
    assert.ok((await rejects()).includes('a2 unknown_order'));
  });

  it('an older product version arriving late changes nothing', async () => {
    await append([], [referenceRow(product('v0', '2017-01-01T00:00:00Z', 'garden'), PRODUCT)]);
    await runBatch(lake);
    assert.deepEqual(
      (await rows('silver.products', 'SELECT category, event_id FROM t')).map((r) => [r.category, r.event_id]),
      [['games', 'v2']],
    );
    assert.deepEqual((await rows('silver.order_items', 'SELECT DISTINCT category FROM t')).map((r) => r.category), ['games']);
  });
});

describe('silver before any reference event', () => {
  it('writes orders and items without category or seller state, and the reference jobs wait', async () => {
    const dir = tempDir();
    const lake = await Lake.open({ catalogUri: join(dir.path, 'catalog.db'), warehouse: join(dir.path, 'warehouse'), tempDir: join(dir.path, 'tmp') });
    try {
      await (await lake.ensureTable(BRONZE_EVENTS_TABLE, BRONZE_EVENTS)).append([bronzeRow(placed(ORDER, 'p9', '2018-03-01T12:00:00Z', 5_000), ORDER)]);
      const outcomes = Object.fromEntries((await runBatch(lake)).map((r) => [r.job, r.outcome]));
      assert.equal(outcomes['silver.products'], 'no-source');
      assert.equal(outcomes['silver.orders'], 'written');
      assert.equal(outcomes['silver.order_items'], 'written');
      const [item] = (await (await (await lake.table('silver.order_items')).scan()).query('SELECT category, seller_state FROM t')).rows;
      assert.deepEqual(item, { category: null, seller_state: null });
    } finally {
      await lake.close();
      dir.remove();
    }
  });
});

describe('silver when its progress is gone or unreadable', () => {
  it('reads all of bronze again when the snapshot it consumed was expired, and gives the same rows', async () => {
    const dir = tempDir();
    const lake = await Lake.open({ catalogUri: join(dir.path, 'catalog.db'), warehouse: join(dir.path, 'warehouse'), tempDir: join(dir.path, 'tmp') });
    try {
      const bronze = await lake.ensureTable(BRONZE_EVENTS_TABLE, BRONZE_EVENTS);
      await bronze.append([bronzeRow(placed(ORDER, 'p-x1', '2018-03-01T12:00:00Z', 5_000), ORDER)]);
      await runBatch(lake);
      await bronze.append([bronzeRow(step('PaymentApproved', ORDER, 'a-x1', '2018-03-01T13:00:00Z'), ORDER)]);
      // Maintenance keeps the newest snapshot only: the one silver consumed is gone.
      const expired = await (await lake.table(BRONZE_EVENTS_TABLE)).expireSnapshots({ olderThanMs: Date.now() + 60_000, retainLast: 1 });
      assert.ok(expired.expiredSnapshots > 0);
      const reports = await runBatch(lake);
      const orders = reports.find((r) => r.job === 'silver.orders');
      assert.equal(orders?.mode, 'full');
      assert.match(String(orders?.fullBecause), /snapshot \d+ of bronze\.order_events no longer exists/);
      const rows = (await (await (await lake.table('silver.orders')).scan()).query('SELECT order_id, status FROM t')).rows;
      assert.deepEqual(rows, [{ order_id: ORDER, status: 'approved' }]);
    } finally {
      await lake.close();
      dir.remove();
    }
  });

  it('reads progress recorded with ids as JSON numbers (earlier runs), and refuses a value that is no id', async () => {
    const dir = tempDir();
    const lake = await Lake.open({ catalogUri: join(dir.path, 'catalog.db'), warehouse: join(dir.path, 'warehouse'), tempDir: join(dir.path, 'tmp') });
    try {
      await (await lake.ensureTable(BRONZE_EVENTS_TABLE, BRONZE_EVENTS)).append([bronzeRow(placed(ORDER, 'p-z1', '2018-03-01T12:00:00Z', 5_000), ORDER)]);
      await runBatch(lake);
      const orders = await lake.table('silver.orders');
      await orders.append([], { summary: { [SOURCES_PROPERTY]: JSON.stringify({ [BRONZE_EVENTS_TABLE]: 42 }) } });
      const report = (await runBatch(lake, { jobs: ['silver.orders'] }))[0];
      assert.deepEqual(report?.previous, { [BRONZE_EVENTS_TABLE]: 42n });
      assert.match(String(report?.fullBecause), /snapshot 42 of bronze\.order_events no longer exists/);
      await orders.append([], { summary: { [SOURCES_PROPERTY]: JSON.stringify({ [BRONZE_EVENTS_TABLE]: 1.5 }) } });
      await assert.rejects(
        runBatch(lake, { jobs: ['silver.orders'] }),
        (e: unknown) => e instanceof BatchError && e.code === 'OP_BATCH_BAD_PROGRESS' && /has 1\.5 for bronze\.order_events, not a snapshot id/.test(e.message),
      );
    } finally {
      await lake.close();
      dir.remove();
    }
  });

  it('refuses to run a job whose recorded progress is not readable, naming the table and the property', async () => {
    const dir = tempDir();
    const lake = await Lake.open({ catalogUri: join(dir.path, 'catalog.db'), warehouse: join(dir.path, 'warehouse'), tempDir: join(dir.path, 'tmp') });
    try {
      await (await lake.ensureTable(BRONZE_EVENTS_TABLE, BRONZE_EVENTS)).append([bronzeRow(placed(ORDER, 'p-y1', '2018-03-01T12:00:00Z', 5_000), ORDER)]);
      await runBatch(lake);
      // A foreign writer left a summary that is not the runner's.
      await (await lake.table('silver.orders')).append([], { summary: { [SOURCES_PROPERTY]: 'yesterday' } });
      const ended: string[] = [];
      await assert.rejects(
        runBatch(lake, { onJob: (r) => ended.push(r.job) }),
        (e: unknown) => e instanceof BatchError && e.code === 'OP_BATCH_BAD_PROGRESS' && /silver\.orders: summary property orderpulse\.batch\.sources is not a JSON object: yesterday/.test(e.message),
      );
      // The jobs that read silver.orders did not run; the ones that do not read it ended.
      assert.ok(ended.includes('silver.customers'));
      assert.deepEqual(ended.filter((j) => ['silver.order_items', 'silver.reviews', 'silver.rejects', 'gold.sales_monthly'].includes(j)), []);
    } finally {
      await lake.close();
      dir.remove();
    }
  });
});
