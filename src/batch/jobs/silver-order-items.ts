import { REFERENCE_EVENTS, REFERENCE_EVENTS_TABLE } from '../../stream/index.js';
import type { BatchJob } from '../job.js';
import { decodedReferenceEvents, firstCopies } from './bronze-events.js';
import { SILVER_PRODUCTS, SILVER_SELLERS } from './silver-reference.js';

/**
 * The OrderPlaced events of bronze's new rows that silver.orders now holds for their order, with
 * one list of their payload decoded: the job parses only what it keeps (`field`, a struct spec).
 */
function heldPlacedEvents(field: string, spec: unknown): string {
  return `
  SELECT o.order_id, json_transform(b.payload, '${JSON.stringify({ [field]: spec })}').${field} AS ${field}
  FROM (${firstCopies('delta_bronze_order_events', ['OrderPlaced'])}) b
  JOIN silver_orders o ON o.order_id = b.key AND o.placed_event_id = b.event_id`;
}

/**
 * An order's items, from the OrderPlaced event that `silver.orders` holds for it, with the English
 * category and the seller's state as silver holds them now. Recomputed per order: the orders whose
 * OrderPlaced event is new, and the orders with an item whose product or seller has a new version.
 */
export const SILVER_ORDER_ITEMS: BatchJob = {
  name: 'silver.order_items',
  sources: ['bronze.order_events', REFERENCE_EVENTS_TABLE, 'silver.orders', 'silver.products', 'silver.sellers'],
  // Without reference events yet, items are written with no category or seller state.
  optional: { [REFERENCE_EVENTS_TABLE]: REFERENCE_EVENTS, 'silver.products': SILVER_PRODUCTS.table, 'silver.sellers': SILVER_SELLERS.table },
  incremental: ['bronze.order_events', REFERENCE_EVENTS_TABLE],
  key: ['order_id', 'order_item_id'],
  replaces: ['order_id'],
  mode: 'upsert',
  table: {
    columns: [
      { name: 'order_id', type: 'string', required: true },
      { name: 'order_item_id', type: 'int', required: true },
      { name: 'product_id', type: 'string', required: true },
      { name: 'category', type: 'string', doc: 'English category; null when the product has none or is unknown' },
      { name: 'seller_id', type: 'string', required: true },
      { name: 'seller_state', type: 'string', doc: 'Null when the seller is unknown' },
      { name: 'price_cents', type: 'long', required: true },
      { name: 'freight_cents', type: 'long', required: true },
      { name: 'shipping_limit_at', type: 'timestamptz', required: true, doc: "The seller's deadline to hand the item to the carrier" },
    ],
  },
  sql: `
WITH r AS (${decodedReferenceEvents(['ProductUpserted', 'SellerUpserted'])}),
placed AS (
  SELECT order_id, unnest(items) AS i FROM (${heldPlacedEvents('items', [
    { orderItemId: 'INTEGER', productId: 'VARCHAR', sellerId: 'VARCHAR', shippingLimitAt: 'BIGINT', priceCents: 'BIGINT', freightCents: 'BIGINT' },
  ])})),
relinked AS (
  SELECT DISTINCT order_id FROM prior
  WHERE (product_id IN (SELECT r.e.productId FROM r WHERE r.reason IS NULL AND r.event_type = 'ProductUpserted')
      OR seller_id IN (SELECT r.e.sellerId FROM r WHERE r.reason IS NULL AND r.event_type = 'SellerUpserted'))
    AND order_id NOT IN (SELECT order_id FROM placed)),
items AS (
  SELECT order_id, i.orderItemId AS order_item_id, i.productId AS product_id, i.sellerId AS seller_id,
    i.priceCents AS price_cents, i.freightCents AS freight_cents, CAST(epoch_ms(i.shippingLimitAt) AS TIMESTAMPTZ) AS shipping_limit_at
  FROM placed
  UNION ALL
  SELECT order_id, order_item_id, product_id, seller_id, price_cents, freight_cents, shipping_limit_at
  FROM prior WHERE order_id IN (SELECT order_id FROM relinked))
SELECT i.order_id, i.order_item_id, i.product_id, p.category, i.seller_id, s.state AS seller_state,
  i.price_cents, i.freight_cents, i.shipping_limit_at
FROM items i LEFT JOIN silver_products p USING (product_id) LEFT JOIN silver_sellers s USING (seller_id)`,
};

/** An order's payments, from the OrderPlaced event that `silver.orders` holds for it. */
export const SILVER_PAYMENTS: BatchJob = {
  name: 'silver.payments',
  sources: ['bronze.order_events', 'silver.orders'],
  incremental: ['bronze.order_events'],
  key: ['order_id', 'payment_sequential'],
  replaces: ['order_id'],
  mode: 'upsert',
  table: {
    columns: [
      { name: 'order_id', type: 'string', required: true },
      { name: 'payment_sequential', type: 'int', required: true },
      { name: 'payment_type', type: 'string', required: true },
      { name: 'payment_installments', type: 'int', required: true },
      { name: 'value_cents', type: 'long', required: true },
    ],
  },
  sql: `
WITH placed AS (
  SELECT order_id, unnest(payments) AS p FROM (${heldPlacedEvents('payments', [
    { paymentSequential: 'INTEGER', paymentType: 'VARCHAR', paymentInstallments: 'INTEGER', paymentValueCents: 'BIGINT' },
  ])}))
SELECT order_id, p.paymentSequential AS payment_sequential, p.paymentType AS payment_type,
  p.paymentInstallments AS payment_installments, p.paymentValueCents AS value_cents
FROM placed`,
};
