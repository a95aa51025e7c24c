import type { CreateTableOptions } from '../lake/index.js';

/**
 * The batch jobs, each a declarative unit: the tables it reads (each a view named after the table,
 * `bronze.order_events` → `bronze_order_events`), the SQL that computes its whole target from them,
 * the target table and its grain. The runner (`runner.ts`) decides when a job runs and commits its
 * result together with the source snapshots it consumed.
 *
 * Conventions: money in integer cents; instants as UTC timestamps; `*_date` columns are Brazilian
 * local dates (America/Sao_Paulo rules, as the data room converts them); durations in days.
 */
export interface BatchJob {
  /** The job's name, also its target table. */
  readonly name: string;
  readonly sources: readonly string[];
  readonly table: CreateTableOptions;
  /** The grain: the columns that identify a row. */
  readonly key: readonly string[];
  readonly sql: string;
}

const LOCAL_TZ = 'America/Sao_Paulo';

/** Order events of bronze, decoded and deduplicated by event id (the first copy in the log wins). */
const ORDER_EVENTS = `
  SELECT DISTINCT ON (event_id) event_id, event_type, key AS order_id, event_time, payload
  FROM bronze_order_events
  WHERE topic IN ('orders', 'reviews') AND event_type <> 'Undecodable' AND json_valid(payload)
  ORDER BY event_id, topic, log_partition, log_offset`;

export const SILVER_ORDERS: BatchJob = {
  name: 'silver.orders',
  sources: ['bronze.order_events'],
  key: ['order_id'],
  table: {
    columns: [
      { name: 'order_id', type: 'string', required: true },
      { name: 'status', type: 'string', required: true, doc: 'created, approved, shipped, delivered, canceled or unavailable' },
      { name: 'customer_id', type: 'string', required: true },
      { name: 'customer_unique_id', type: 'string' },
      { name: 'customer_state', type: 'string' },
      { name: 'customer_city', type: 'string' },
      { name: 'purchased_at', type: 'timestamptz', required: true },
      { name: 'purchase_date', type: 'date', required: true, doc: 'Brazilian local date of the purchase' },
      { name: 'approved_at', type: 'timestamptz' },
      { name: 'carrier_at', type: 'timestamptz', doc: 'Handed to the carrier' },
      { name: 'delivered_at', type: 'timestamptz' },
      { name: 'delivered_date', type: 'date', doc: 'Brazilian local date of the delivery' },
      { name: 'estimated_delivery_date', type: 'date', required: true },
      { name: 'seller_deadline', type: 'timestamptz', doc: 'The earliest shipping_limit_date of its items' },
      { name: 'item_count', type: 'int', required: true },
      { name: 'items_cents', type: 'long', required: true, doc: 'Sum of item prices' },
      { name: 'freight_cents', type: 'long', required: true },
      { name: 'order_value_cents', type: 'long', required: true, doc: 'Items plus freight' },
      { name: 'payment_type', type: 'string', doc: 'Of the first payment' },
      { name: 'payment_installments', type: 'int', doc: 'The most installments of its payments' },
      { name: 'approval_days', type: 'double', doc: 'Purchase to approval' },
      { name: 'carrier_days', type: 'double', doc: 'Approval to carrier handoff' },
      { name: 'transit_days', type: 'double', doc: 'Carrier handoff to delivery' },
      { name: 'total_days', type: 'double', doc: 'Purchase to delivery' },
      { name: 'delivered_late', type: 'boolean', doc: 'Delivered on a later local day than estimated; null when not delivered' },
      { name: 'days_late', type: 'int', doc: 'Local days after the estimated day (0 when on time); null when not delivered' },
    ],
  },
  sql: `
WITH ev AS (${ORDER_EVENTS}),
placed AS (
  SELECT DISTINCT ON (order_id) order_id, event_time AS purchased_at, payload
  FROM ev WHERE event_type = 'OrderPlaced' ORDER BY order_id, event_time DESC, event_id DESC),
steps AS (
  SELECT order_id,
    max(event_time) FILTER (WHERE event_type = 'PaymentApproved') AS approved_at,
    max(event_time) FILTER (WHERE event_type = 'OrderHandedToCarrier') AS carrier_at,
    max(event_time) FILTER (WHERE event_type = 'OrderDelivered') AS delivered_at,
    max(json_extract_string(payload, '$.reason')) FILTER (WHERE event_type = 'OrderCanceled') AS cancel_reason
  FROM ev GROUP BY order_id),
o AS (
  SELECT p.order_id, p.purchased_at, p.payload, s.approved_at, s.carrier_at, s.delivered_at, s.cancel_reason,
    CAST(json_extract(p.payload, '$.items[*].priceCents') AS BIGINT[]) AS prices,
    CAST(json_extract(p.payload, '$.items[*].freightCents') AS BIGINT[]) AS freights,
    CAST(json_extract(p.payload, '$.items[*].shippingLimitAt') AS BIGINT[]) AS limits,
    CAST(json_extract(p.payload, '$.payments[*].paymentInstallments') AS INTEGER[]) AS installments,
    CAST(json_extract_string(p.payload, '$.estimatedDeliveryDate') AS DATE) AS estimated_delivery_date,
    CAST(timezone('${LOCAL_TZ}', s.delivered_at) AS DATE) AS delivered_date
  FROM placed p LEFT JOIN steps s USING (order_id))
SELECT order_id,
  CASE WHEN cancel_reason IS NOT NULL THEN cancel_reason
       WHEN delivered_at IS NOT NULL THEN 'delivered'
       WHEN carrier_at IS NOT NULL THEN 'shipped'
       WHEN approved_at IS NOT NULL THEN 'approved'
       ELSE 'created' END AS status,
  json_extract_string(payload, '$.customer.customerId') AS customer_id,
  json_extract_string(payload, '$.customer.customerUniqueId') AS customer_unique_id,
  json_extract_string(payload, '$.customer.state') AS customer_state,
  json_extract_string(payload, '$.customer.city') AS customer_city,
  purchased_at,
  CAST(timezone('${LOCAL_TZ}', purchased_at) AS DATE) AS purchase_date,
  approved_at, carrier_at, delivered_at, delivered_date, estimated_delivery_date,
  CAST(epoch_ms(list_min(limits)) AS TIMESTAMPTZ) AS seller_deadline,
  len(prices) AS item_count,
  coalesce(list_sum(prices), 0) AS items_cents,
  coalesce(list_sum(freights), 0) AS freight_cents,
  coalesce(list_sum(prices), 0) + coalesce(list_sum(freights), 0) AS order_value_cents,
  json_extract_string(payload, '$.payments[0].paymentType') AS payment_type,
  list_max(installments) AS payment_installments,
  date_diff('millisecond', purchased_at, approved_at) / 86400000.0 AS approval_days,
  date_diff('millisecond', approved_at, carrier_at) / 86400000.0 AS carrier_days,
  date_diff('millisecond', carrier_at, delivered_at) / 86400000.0 AS transit_days,
  date_diff('millisecond', purchased_at, delivered_at) / 86400000.0 AS total_days,
  delivered_date > estimated_delivery_date AS delivered_late,
  CASE WHEN delivered_date IS NULL THEN NULL ELSE greatest(date_diff('day', estimated_delivery_date, delivered_date), 0) END AS days_late
FROM o`,
};

export const SILVER_ORDER_ITEMS: BatchJob = {
  name: 'silver.order_items',
  sources: ['bronze.order_events'],
  key: ['order_id', 'order_item_id'],
  table: {
    columns: [
      { name: 'order_id', type: 'string', required: true },
      { name: 'order_item_id', type: 'int', required: true },
      { name: 'product_id', type: 'string', required: true },
      { name: 'seller_id', type: 'string', required: true },
      { name: 'price_cents', type: 'long', required: true },
      { name: 'freight_cents', type: 'long', required: true },
      { name: 'shipping_limit_at', type: 'timestamptz', required: true },
    ],
  },
  sql: `
WITH ev AS (${ORDER_EVENTS}),
placed AS (
  SELECT DISTINCT ON (order_id) order_id, payload
  FROM ev WHERE event_type = 'OrderPlaced' ORDER BY order_id, event_time DESC, event_id DESC),
items AS (SELECT order_id, unnest(CAST(json_extract(payload, '$.items[*]') AS JSON[])) AS item FROM placed)
SELECT order_id,
  CAST(json_extract(item, '$.orderItemId') AS INTEGER) AS order_item_id,
  json_extract_string(item, '$.productId') AS product_id,
  json_extract_string(item, '$.sellerId') AS seller_id,
  CAST(json_extract(item, '$.priceCents') AS BIGINT) AS price_cents,
  CAST(json_extract(item, '$.freightCents') AS BIGINT) AS freight_cents,
  CAST(epoch_ms(CAST(json_extract(item, '$.shippingLimitAt') AS BIGINT)) AS TIMESTAMPTZ) AS shipping_limit_at
FROM items`,
};

export const SILVER_REVIEWS: BatchJob = {
  name: 'silver.reviews',
  sources: ['bronze.order_events'],
  key: ['review_id', 'order_id'],
  table: {
    columns: [
      { name: 'review_id', type: 'string', required: true },
      { name: 'order_id', type: 'string', required: true },
      { name: 'score', type: 'int', required: true },
      { name: 'created_date', type: 'date', required: true },
      { name: 'answered_at', type: 'timestamptz', required: true },
      { name: 'has_comment', type: 'boolean', required: true },
    ],
  },
  // Olist reuses a review id across orders now and then: the grain is (review, order), its latest version.
  sql: `
WITH ev AS (${ORDER_EVENTS})
SELECT DISTINCT ON (json_extract_string(payload, '$.reviewId'), order_id)
  json_extract_string(payload, '$.reviewId') AS review_id, order_id,
  CAST(json_extract(payload, '$.score') AS INTEGER) AS score,
  CAST(json_extract_string(payload, '$.createdDate') AS DATE) AS created_date,
  event_time AS answered_at,
  json_extract_string(payload, '$.commentMessage') IS NOT NULL AS has_comment
FROM ev WHERE event_type = 'ReviewAnswered'
ORDER BY review_id, order_id, event_time DESC, event_id DESC`,
};

/** Delay bucket of a delivered order: on or before the estimated local day, or how many days after. */
const DELAY_BUCKET = `CASE WHEN o.days_late = 0 THEN 'on_time' WHEN o.days_late <= 3 THEN '1-3' WHEN o.days_late <= 7 THEN '4-7' ELSE '8+' END`;

export const GOLD_REVIEW_IMPACT: BatchJob = {
  name: 'gold.review_impact',
  sources: ['silver.orders', 'silver.reviews'],
  key: ['delay_bucket'],
  table: {
    columns: [
      { name: 'delay_bucket', type: 'string', required: true, doc: 'on_time, 1-3, 4-7 or 8+ local days late' },
      { name: 'reviews', type: 'long', required: true },
      { name: 'mean_score', type: 'double', required: true },
      { name: 'low_score_share', type: 'double', required: true, doc: 'Share of 1-2 star reviews' },
    ],
  },
  sql: `
SELECT ${DELAY_BUCKET} AS delay_bucket, count(*) AS reviews, avg(r.score) AS mean_score,
  avg(CASE WHEN r.score <= 2 THEN 1.0 ELSE 0.0 END) AS low_score_share
FROM silver_orders o JOIN silver_reviews r USING (order_id)
WHERE o.delivered_at IS NOT NULL
GROUP BY 1 ORDER BY 1`,
};

/** Every job, in an order where each runs after the jobs it reads. */
export const JOBS: readonly BatchJob[] = [SILVER_ORDERS, SILVER_ORDER_ITEMS, SILVER_REVIEWS, GOLD_REVIEW_IMPACT];
