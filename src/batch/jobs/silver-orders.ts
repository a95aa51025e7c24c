import type { BatchJob } from '../job.js';
import { LOCAL_TZ } from '../job.js';
import { LIFECYCLE_EVENTS, LIFECYCLE_TYPES, PLACED_COLUMNS, PLACED_FACTS, decodedOrderEvents } from './bronze-events.js';

/** Steps that cannot come before the purchase (see bronze-events.ts on carrier handoffs). */
export const STEPS_AFTER_PURCHASE = `('PaymentApproved', 'OrderDelivered')`;

/**
 * One row per order, merged incrementally: the orders that new bronze events touch are recomputed
 * from their prior row and those events. Every merge is a maximum (the latest OrderPlaced by event
 * time then event id, the latest time of each step), so merging in parts equals merging at once,
 * and a duplicate event changes nothing.
 */
export const SILVER_ORDERS: BatchJob = {
  name: 'silver.orders',
  sources: ['bronze.order_events'],
  incremental: ['bronze.order_events'],
  key: ['order_id'],
  mode: 'upsert',
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
      { name: 'placed_event_id', type: 'string', required: true, doc: 'The OrderPlaced event the order facts come from' },
    ],
  },
  sql: `
WITH d AS MATERIALIZED (${decodedOrderEvents(LIFECYCLE_EVENTS)}),
touched AS (SELECT DISTINCT order_id FROM d WHERE reason IS NULL AND event_type IN ${LIFECYCLE_TYPES}),
placed AS (
  SELECT w.* FROM (
    SELECT arg_max(f, (f.purchased_at, f.placed_event_id)) AS w FROM (
      SELECT ${PLACED_COLUMNS.join(', ')} FROM prior WHERE order_id IN (SELECT order_id FROM touched)
      UNION ALL BY NAME
      SELECT ${PLACED_FACTS} FROM d WHERE d.event_type = 'OrderPlaced' AND d.reason IS NULL) f
    GROUP BY f.order_id)),
steps AS (
  SELECT order_id, max(approved_at) AS approved_at, max(carrier_at) AS carrier_at, max(delivered_at) AS delivered_at, max(cancel_reason) AS cancel_reason
  FROM (
    SELECT order_id, approved_at, carrier_at, delivered_at, CASE WHEN status IN ('canceled', 'unavailable') THEN status END AS cancel_reason
    FROM prior WHERE order_id IN (SELECT order_id FROM touched)
    UNION ALL
    SELECT d.order_id,
      CASE WHEN d.event_type = 'PaymentApproved' THEN d.event_time END,
      CASE WHEN d.event_type = 'OrderHandedToCarrier' THEN d.event_time END,
      CASE WHEN d.event_type = 'OrderDelivered' THEN d.event_time END,
      CASE WHEN d.event_type = 'OrderCanceled' THEN d.e.reason END
    FROM d JOIN placed p USING (order_id)
    WHERE d.reason IS NULL AND d.event_type IN ${LIFECYCLE_TYPES} AND d.event_type <> 'OrderPlaced'
      AND NOT (d.event_type IN ${STEPS_AFTER_PURCHASE} AND d.event_time < p.purchased_at))
  GROUP BY order_id),
o AS (
  SELECT p.*, s.approved_at, s.carrier_at, s.delivered_at, s.cancel_reason,
    CAST(timezone('${LOCAL_TZ}', s.delivered_at) AS DATE) AS delivered_date
  FROM placed p LEFT JOIN steps s USING (order_id))
SELECT order_id,
  CASE WHEN cancel_reason IS NOT NULL THEN cancel_reason
       WHEN delivered_at IS NOT NULL THEN 'delivered'
       WHEN carrier_at IS NOT NULL THEN 'shipped'
       WHEN approved_at IS NOT NULL THEN 'approved'
       ELSE 'created' END AS status,
  customer_id, customer_unique_id, customer_state, customer_city,
  purchased_at,
  CAST(timezone('${LOCAL_TZ}', purchased_at) AS DATE) AS purchase_date,
  approved_at, carrier_at, delivered_at, delivered_date, estimated_delivery_date, seller_deadline,
  item_count, items_cents, freight_cents, items_cents + freight_cents AS order_value_cents,
  payment_type, payment_installments,
  date_diff('millisecond', purchased_at, approved_at) / 86400000.0 AS approval_days,
  date_diff('millisecond', approved_at, carrier_at) / 86400000.0 AS carrier_days,
  date_diff('millisecond', carrier_at, delivered_at) / 86400000.0 AS transit_days,
  date_diff('millisecond', purchased_at, delivered_at) / 86400000.0 AS total_days,
  delivered_date > estimated_delivery_date AS delivered_late,
  CASE WHEN delivered_date IS NULL THEN NULL ELSE greatest(date_diff('day', estimated_delivery_date, delivered_date), 0) END AS days_late,
  placed_event_id
FROM o`,
};
