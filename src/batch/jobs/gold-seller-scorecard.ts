import type { BatchJob } from '../job.js';

/**
 * One row per seller (every seller with an item in an order of any status): how reliably it hands
 * its items to the carrier, how its orders arrive and what its customers think.
 *
 * A handoff is a pair of an order and one of its sellers where the order has a carrier time (its
 * status aside: an order canceled after the handoff was still handed over). It is on time when the
 * carrier time is at or before the earliest shipping limit of that seller's items in that order.
 * The windows compare the last 3 purchase months (ending with the latest purchase month in
 * `silver.orders`, whatever the orders' status) with the 3 months before; a handoff falls in the
 * window of its order's purchase month.
 */
export const GOLD_SELLER_SCORECARD: BatchJob = {
  name: 'gold.seller_scorecard',
  sources: ['silver.orders', 'silver.order_items', 'silver.reviews'],
  key: ['seller_id'],
  mode: 'rebuild',
  table: {
    columns: [
      { name: 'seller_id', type: 'string', required: true },
      { name: 'seller_state', type: 'string', doc: 'As on its latest item (by shipping limit)' },
      { name: 'orders', type: 'long', required: true, doc: 'Orders with an item of the seller, any status' },
      { name: 'handoffs', type: 'long', required: true, doc: 'Pairs of an order and this seller whose order has a carrier time' },
      { name: 'on_time_handoffs', type: 'long', required: true, doc: 'Handoffs at or before the earliest shipping limit of the seller’s items in the order' },
      { name: 'on_time_rate', type: 'double', doc: 'on_time_handoffs / handoffs; null without handoffs' },
      {
        name: 'median_slack_hours',
        type: 'double',
        doc: 'Median over its handoffs of (earliest shipping limit − carrier time) in hours, negative when late (quantile_cont 0.5); null without handoffs',
      },
      { name: 'delivered_orders', type: 'long', required: true, doc: 'Its orders with status delivered' },
      { name: 'late_deliveries', type: 'long', required: true, doc: 'Its delivered orders that arrived on a later local day than estimated' },
      { name: 'reviews', type: 'long', required: true, doc: 'Reviews of its orders (a review counts for each seller of the order)' },
      { name: 'mean_review_score', type: 'double', doc: 'Mean score of those reviews; null without reviews' },
      { name: 'recent_first_month', type: 'string', required: true, doc: 'The last 3 purchase months: recent_first_month to the latest purchase month, YYYY-MM' },
      { name: 'recent_handoffs', type: 'long', required: true, doc: 'Handoffs of orders purchased in the last 3 months' },
      { name: 'recent_on_time_rate', type: 'double', doc: 'On-time rate of recent_handoffs; null without any' },
      { name: 'prior_first_month', type: 'string', required: true, doc: 'The 3 months before: prior_first_month to the month before recent_first_month' },
      { name: 'prior_handoffs', type: 'long', required: true, doc: 'Handoffs of orders purchased in the 3 months before' },
      { name: 'prior_on_time_rate', type: 'double', doc: 'On-time rate of prior_handoffs; null without any' },
    ],
  },
  sql: `
WITH win AS (
  SELECT strftime(date_trunc('month', max(purchase_date)) - INTERVAL 2 MONTH, '%Y-%m') AS recent_first,
    strftime(date_trunc('month', max(purchase_date)) - INTERVAL 5 MONTH, '%Y-%m') AS prior_first
  FROM silver_orders),
pairs AS (
  SELECT order_id, seller_id, min(shipping_limit_at) AS limit_at
  FROM silver_order_items GROUP BY order_id, seller_id),
po AS (
  SELECT p.seller_id, p.order_id, o.status, o.delivered_late, o.carrier_at,
    CASE WHEN strftime(o.purchase_date, '%Y-%m') >= win.recent_first THEN 'recent'
         WHEN strftime(o.purchase_date, '%Y-%m') >= win.prior_first THEN 'prior' END AS period,
    o.carrier_at <= p.limit_at AS on_time,
    date_diff('millisecond', o.carrier_at, p.limit_at) / 3600000.0 AS slack_hours
  FROM pairs p JOIN silver_orders o USING (order_id), win),
scores AS (
  SELECT po.seller_id, count(*) AS reviews, avg(r.score) AS mean_review_score
  FROM po JOIN silver_reviews r USING (order_id) GROUP BY po.seller_id),
states AS (
  SELECT seller_id, first(seller_state ORDER BY shipping_limit_at DESC, order_id DESC, order_item_id DESC) AS seller_state
  FROM silver_order_items GROUP BY seller_id),
card AS (
  SELECT seller_id,
    count(*) AS orders,
    count(carrier_at) AS handoffs,
    count(*) FILTER (WHERE on_time) AS on_time_handoffs,
    quantile_cont(slack_hours, 0.5) AS median_slack_hours,
    count(*) FILTER (WHERE status = 'delivered') AS delivered_orders,
    count(*) FILTER (WHERE status = 'delivered' AND delivered_late) AS late_deliveries,
    count(carrier_at) FILTER (WHERE period = 'recent') AS recent_handoffs,
    count(*) FILTER (WHERE period = 'recent' AND on_time) AS recent_on_time,
    count(carrier_at) FILTER (WHERE period = 'prior') AS prior_handoffs,
    count(*) FILTER (WHERE period = 'prior' AND on_time) AS prior_on_time
  FROM po GROUP BY seller_id)
SELECT c.seller_id, s.seller_state, c.orders, c.handoffs, c.on_time_handoffs,
  CASE WHEN c.handoffs > 0 THEN c.on_time_handoffs / c.handoffs END AS on_time_rate,
  c.median_slack_hours, c.delivered_orders, c.late_deliveries,
  coalesce(r.reviews, 0) AS reviews, r.mean_review_score,
  win.recent_first AS recent_first_month, c.recent_handoffs,
  CASE WHEN c.recent_handoffs > 0 THEN c.recent_on_time / c.recent_handoffs END AS recent_on_time_rate,
  win.prior_first AS prior_first_month, c.prior_handoffs,
  CASE WHEN c.prior_handoffs > 0 THEN c.prior_on_time / c.prior_handoffs END AS prior_on_time_rate
FROM card c JOIN states s USING (seller_id) LEFT JOIN scores r USING (seller_id), win
ORDER BY c.seller_id`,
};
