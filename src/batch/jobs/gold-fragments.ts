/**
 * SQL shared by the gold jobs, so that every gold table counts the same sales and attributes an
 * order to the same route and category.
 */

/**
 * The sales rows: one per item of an order that is neither canceled nor unavailable, with its
 * purchase month (Brazilian local time, `YYYY-MM`), its English category (`unknown` when the
 * product has none) and the customer's state (`unknown` when not known). An order without items
 * sells nothing, so it has no sales row.
 */
export const SALES_ITEMS = `
  SELECT strftime(o.purchase_date, '%Y-%m') AS month,
    coalesce(i.category, 'unknown') AS category,
    coalesce(o.customer_state, 'unknown') AS customer_state,
    i.order_id, i.order_item_id, i.product_id, i.seller_id, i.price_cents, i.freight_cents
  FROM silver_orders o JOIN silver_order_items i USING (order_id)
  WHERE o.status NOT IN ('canceled', 'unavailable')`;

/**
 * The delivered orders (status `delivered`: a delivery recorded and no cancellation; an order
 * canceled after its delivery is not one), one row each, with the attribution every delivery
 * table shares:
 * - `seller_state`: the state of the order's sellers when they are all in one state, `multi`
 *   when they are in several (the order then travelled several routes, so it belongs to none of
 *   them), `unknown` when a seller's state is not known;
 * - `route`: `<seller_state>→<customer_state>`;
 * - `category`: the order's main category, that of its highest-priced item (the lowest item
 *   number on a tie), `unknown` when that product has none.
 */
export const DELIVERED_ORDERS = `
  WITH per_order AS (
    SELECT order_id,
      CASE WHEN bool_or(seller_state IS NULL) THEN 'unknown'
           WHEN count(DISTINCT seller_state) > 1 THEN 'multi'
           ELSE min(seller_state) END AS seller_state,
      first(coalesce(category, 'unknown') ORDER BY price_cents DESC, order_item_id) AS category
    FROM silver_order_items GROUP BY order_id)
  SELECT o.order_id, strftime(o.purchase_date, '%Y-%m') AS month,
    coalesce(o.customer_state, 'unknown') AS customer_state,
    coalesce(p.seller_state, 'unknown') AS seller_state,
    coalesce(p.seller_state, 'unknown') || '→' || coalesce(o.customer_state, 'unknown') AS route,
    coalesce(p.category, 'unknown') AS category,
    o.approval_days, o.carrier_days, o.transit_days, o.total_days, o.delivered_late, o.days_late
  FROM silver_orders o LEFT JOIN per_order p USING (order_id)
  WHERE o.status = 'delivered'`;

/**
 * The delivered orders' stage durations in days, one row per order and stage whose duration is
 * recorded (Olist lacks the approval or the carrier time of a few delivered orders): `approval`
 * (purchase → approval), `carrier_handoff` (approval → carrier), `transit` (carrier → delivery)
 * and `total` (purchase → delivery). Durations are kept as recorded, negative ones included
 * (Olist records a few handoffs before the approval).
 */
export const DELIVERED_STAGES = `
  SELECT d.*, s.stage, s.days
  FROM (${DELIVERED_ORDERS}) d,
    LATERAL (VALUES ('approval', d.approval_days), ('carrier_handoff', d.carrier_days),
                    ('transit', d.transit_days), ('total', d.total_days)) AS s(stage, days)
  WHERE s.days IS NOT NULL`;
