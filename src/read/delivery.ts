import type { LakeSource } from './source.js';
import { snapshotsOf } from './source.js';
import { Params, checkFilters, filterWhere, num, numOrNull, query, rate, str, tablesOf, whereClause } from './sql.js';
import { completeUpTo, taskProgress } from './status.js';
import type { DeliveryPerformance, Filters, LeadTimes, OpenOrdersByStage, StageName } from './types.js';

/** Lead times, delivery performance and the orders still open, per stage. */

export async function leadTimes(source: LakeSource, filters: Filters): Promise<LeadTimes> {
  checkFilters(filters);
  const t = await tablesOf(source, ['leadTimes']);
  return source.memo(`leadTimes:${JSON.stringify(filters)}`, [t.leadTimes], async () => {
    const p = new Params();
    // The route is `<seller state>→<customer state>`: the customer's state is its second part.
    const where = filterWhere(filters, { month: 'month', state: "split_part(route, '→', 2)", category: 'category' }, p);
    const rows = await query(
      source,
      { lead: t.leadTimes },
      `SELECT month, stage, sum(orders) AS orders, sum(mean_days * orders) / sum(orders) AS mean_days
       FROM lead ${whereClause(where.conditions)} GROUP BY month, stage ORDER BY month, stage`,
      p.values,
    );
    return {
      snapshots: snapshotsOf([t.leadTimes]),
      applied: where.applied,
      rows: rows.map((r) => ({ month: str(r.month), stage: str(r.stage), orders: num(r.orders), meanDays: num(r.mean_days) })),
    };
  });
}

/** Routes listed at most, worst first. */
const WORST_ROUTES = 20;

export async function deliveryPerformance(source: LakeSource, filters: Filters): Promise<DeliveryPerformance> {
  checkFilters(filters);
  const t = await tablesOf(source, ['delivery']);
  return source.memo(`delivery:${JSON.stringify(filters)}`, [t.delivery], async () => {
    const p = new Params();
    const where = filterWhere(filters, { month: 'month', state: 'customer_state', category: 'category' }, p);
    const rows = await query(
      source,
      { delivery: t.delivery },
      `WITH d AS (SELECT * FROM delivery ${whereClause(where.conditions)})
       SELECT 'month' AS kind, month AS a, NULL AS b, sum(delivered_orders) AS delivered, sum(late_orders) AS late, NULL AS days FROM d GROUP BY month
       UNION ALL
       SELECT 'state', customer_state, NULL, sum(delivered_orders), sum(late_orders), NULL FROM d GROUP BY customer_state
       UNION ALL
       SELECT 'route', seller_state, customer_state, sum(delivered_orders), sum(late_orders),
         sum(mean_days_late * late_orders) FILTER (WHERE late_orders > 0) / nullif(sum(late_orders), 0)
       FROM d GROUP BY seller_state, customer_state`,
      p.values,
    );
    const of = (kind: string) => rows.filter((r) => r.kind === kind);
    const figures = (r: Record<string, unknown>) => {
      const delivered = num(r.delivered);
      const late = num(r.late);
      return { deliveredOrders: delivered, lateOrders: late, lateRate: rate(late, delivered) ?? 0 };
    };
    const months = of('month')
      .map((r) => ({ month: str(r.a), ...figures(r) }))
      .sort((a, b) => a.month.localeCompare(b.month));
    const states = of('state')
      .map((r) => ({ state: str(r.a), ...figures(r) }))
      .sort((a, b) => a.state.localeCompare(b.state));
    const routes = of('route')
      .map((r) => ({ sellerState: str(r.a), customerState: str(r.b), ...figures(r), meanDaysLate: numOrNull(r.days) }))
      .filter((r) => r.lateOrders > 0)
      .sort((a, b) => b.lateOrders - a.lateOrders || b.lateRate - a.lateRate || a.sellerState.localeCompare(b.sellerState) || a.customerState.localeCompare(b.customerState))
      .slice(0, WORST_ROUTES);
    const delivered = months.reduce((n, m) => n + m.deliveredOrders, 0);
    const late = months.reduce((n, m) => n + m.lateOrders, 0);
    return {
      snapshots: snapshotsOf([t.delivery]),
      applied: where.applied,
      months,
      states,
      routes,
      totals: { deliveredOrders: delivered, lateOrders: late, lateRate: rate(late, delivered) },
    };
  });
}

const STAGE_OF_STATUS: readonly (readonly [string, StageName])[] = [
  ['created', 'approval'],
  ['approved', 'handoff'],
  ['shipped', 'delivery'],
];

/**
 * The orders neither delivered nor canceled, per stage they wait for (by their status in silver:
 * created → approval, approved → handoff, shipped → delivery), with their ages since purchase at
 * the stream's watermark (null before the stream recorded one). Category and grade are those of
 * the order's most valuable item.
 */
export async function openOrders(source: LakeSource, filters: Filters): Promise<OpenOrdersByStage> {
  checkFilters(filters);
  const t = await tablesOf(source, ['orders', 'items', 'grades', 'bronze', 'openAlerts', 'alertEvents']);
  const all = [t.orders, t.items, t.grades, t.bronze];
  const watermark = completeUpTo(taskProgress(t.bronze, t.openAlerts, t.alertEvents));
  return source.memo(`openOrders:${JSON.stringify(filters)}:${watermark}`, all, async () => {
    const p = new Params();
    const where = filterWhere(filters, { month: "strftime(o.purchase_date, '%Y-%m')", state: 'o.customer_state', category: 'm.category', grade: 'g.grade' }, p);
    const age = watermark === null ? 'NULL' : `(${p.p(watermark)} - epoch_ms(o.purchased_at)) / 86400000.0`;
    const rows = await query(
      source,
      { orders: t.orders, items: t.items, grades: t.grades },
      `WITH main AS (
         SELECT order_id, first(product_id ORDER BY price_cents DESC, order_item_id) AS product_id,
           first(category ORDER BY price_cents DESC, order_item_id) AS category
         FROM items GROUP BY order_id),
       open AS (
         SELECT o.status, o.order_value_cents, ${age} AS age_days
         FROM orders o LEFT JOIN main m USING (order_id) LEFT JOIN grades g ON g.product_id = m.product_id
         ${whereClause(["o.status IN ('created', 'approved', 'shipped')", ...where.conditions])})
       SELECT status, count(*) AS orders, sum(order_value_cents) AS value, median(age_days) AS median_age, max(age_days) AS max_age
       FROM open GROUP BY status`,
      p.values,
    );
    return {
      snapshots: snapshotsOf(all),
      applied: where.applied,
      stages: STAGE_OF_STATUS.map(([status, stage]) => {
        const r = rows.find((x) => x.status === status);
        return {
          stage,
          orders: r === undefined ? 0 : num(r.orders),
          valueCents: r === undefined ? 0 : num(r.value),
          medianAgeDays: r === undefined ? null : numOrNull(r.median_age),
          maxAgeDays: r === undefined ? null : numOrNull(r.max_age),
        };
      }),
    };
  });
}
