import type { LakeSource } from './source.js';
import { snapshotsOf } from './source.js';
import { Params, badArgument, checkPage, num, numOrNull, query, str, strOrNull, tablesOf } from './sql.js';
import type { SellerDetail, SellerRow, Sellers, SellerSort, SellersQuery, StageName } from './types.js';

/** The sellers' scorecards (gold.seller_scorecard), and one seller's late orders and monthly trend from silver. */

/** The sort keys a caller may choose, and the SQL each stands for: nothing else reaches ORDER BY. */
const SORT_SQL: Readonly<Record<SellerSort, string>> = {
  orders: 'orders',
  onTimeRate: 'on_time_rate',
  lateDeliveries: 'late_deliveries',
  meanReviewScore: 'mean_review_score',
  trend: '(recent_on_time_rate - prior_on_time_rate)',
};
const DIRECTION_SQL = { asc: 'ASC', desc: 'DESC' } as const;

function sellerRow(r: Record<string, unknown>): SellerRow {
  return {
    sellerId: str(r.seller_id),
    sellerState: strOrNull(r.seller_state) ?? 'unknown',
    orders: num(r.orders),
    handoffs: num(r.handoffs),
    onTimeRate: numOrNull(r.on_time_rate),
    medianSlackHours: numOrNull(r.median_slack_hours),
    deliveredOrders: num(r.delivered_orders),
    lateDeliveries: num(r.late_deliveries),
    reviews: num(r.reviews),
    meanReviewScore: numOrNull(r.mean_review_score),
    recentOnTimeRate: numOrNull(r.recent_on_time_rate),
    priorOnTimeRate: numOrNull(r.prior_on_time_rate),
  };
}

export async function sellers(source: LakeSource, q: SellersQuery): Promise<Sellers> {
  checkPage(q);
  const sort = Object.hasOwn(SORT_SQL, q.sort) ? SORT_SQL[q.sort] : undefined;
  if (sort === undefined) throw badArgument('sort', q.sort, `one of ${Object.keys(SORT_SQL).join(', ')}`);
  const direction = Object.hasOwn(DIRECTION_SQL, q.direction) ? DIRECTION_SQL[q.direction] : undefined;
  if (direction === undefined) throw badArgument('direction', q.direction, 'asc or desc');
  const t = await tablesOf(source, ['sellers']);
  return source.memo(`sellers:${JSON.stringify(q)}`, [t.sellers], async () => {
    const p = new Params();
    const where = q.state === undefined ? '' : `WHERE seller_state = ${p.p(q.state)}`;
    const count = new Params();
    const [rows, totals] = await Promise.all([
      query(source, { card: t.sellers }, `SELECT * FROM card ${where} ORDER BY ${sort} ${direction} NULLS LAST, seller_id LIMIT ${p.p(q.limit)} OFFSET ${p.p(q.offset)}`, p.values),
      query(source, { card: t.sellers }, `SELECT count(*) AS n FROM card ${q.state === undefined ? '' : `WHERE seller_state = ${count.p(q.state)}`}`, count.values),
    ]);
    return {
      snapshots: snapshotsOf([t.sellers]),
      applied: q.state === undefined ? [] : ['state'],
      total: num(totals[0]?.n),
      sellers: rows.map(sellerRow),
    };
  });
}

/** Late orders listed at most, newest first. */
const LATE_ORDERS = 100;

export async function seller(source: LakeSource, sellerId: string): Promise<SellerDetail | null> {
  if (typeof sellerId !== 'string' || sellerId === '') throw badArgument('sellerId', sellerId, 'a non-empty string');
  const t = await tablesOf(source, ['sellers', 'orders', 'items']);
  const all = [t.sellers, t.orders, t.items];
  return source.memo(`seller:${sellerId}`, all, async () => {
    const card = await query(source, { card: t.sellers }, 'SELECT * FROM card WHERE seller_id = $1', [sellerId]);
    const found = card[0];
    if (found === undefined) return null;
    // The seller's part of each of its orders: its earliest shipping limit there (a handoff is on
    // time at or before it, as the scorecard counts) and its items' value.
    const pairs = `
      WITH pairs AS (
        SELECT order_id, min(shipping_limit_at) AS limit_at, sum(price_cents + freight_cents) AS value_cents
        FROM items WHERE seller_id = $1 GROUP BY order_id),
      po AS (SELECT p.*, o.purchased_at, o.purchase_date, o.carrier_at, o.status, o.delivered_late, o.days_late FROM pairs p JOIN orders o USING (order_id))`;
    const [late, trend] = await Promise.all([
      query(
        source,
        { items: t.items, orders: t.orders },
        `${pairs}
         SELECT order_id, epoch_ms(purchased_at) AS purchased_at, value_cents,
           CASE WHEN carrier_at > limit_at THEN 'handoff' ELSE 'delivery' END AS stage,
           CASE WHEN carrier_at > limit_at THEN date_diff('millisecond', limit_at, carrier_at) / 86400000.0 ELSE days_late END AS days_late
         FROM po WHERE carrier_at > limit_at OR (status = 'delivered' AND delivered_late)
         ORDER BY purchased_at DESC, order_id LIMIT ${LATE_ORDERS}`,
        [sellerId],
      ),
      query(
        source,
        { items: t.items, orders: t.orders },
        `${pairs}
         SELECT strftime(purchase_date, '%Y-%m') AS month, count(carrier_at) AS handoffs,
           count(*) FILTER (WHERE carrier_at <= limit_at) AS on_time,
           count(*) FILTER (WHERE status = 'delivered' AND delivered_late) AS late_deliveries
         FROM po GROUP BY 1 ORDER BY 1`,
        [sellerId],
      ),
    ]);
    return {
      snapshots: snapshotsOf(all),
      applied: [],
      seller: sellerRow(found),
      lateOrders: late.map((r) => ({
        orderId: str(r.order_id),
        purchasedAt: new Date(num(r.purchased_at)).toISOString(),
        stage: str(r.stage) as StageName,
        daysLate: numOrNull(r.days_late),
        valueCents: num(r.value_cents),
      })),
      trend: trend.map((r) => {
        const handoffs = num(r.handoffs);
        return { month: str(r.month), handoffs, onTimeRate: handoffs > 0 ? num(r.on_time) / handoffs : null, lateDeliveries: num(r.late_deliveries) };
      }),
    };
  });
}
