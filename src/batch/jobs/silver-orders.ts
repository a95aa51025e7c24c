import type { BatchJob } from '../job.js';
import { LOCAL_TZ } from '../job.js';
import { ORDER_EVENTS } from './bronze-events.js';

export const SILVER_ORDERS: BatchJob = {
  name: 'silver.orders',
  sources: ['bronze.order_events'],
  key: ['order_id'],
  mode: 'rebuild',
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

