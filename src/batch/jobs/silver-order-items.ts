import type { BatchJob } from '../job.js';
import { ORDER_EVENTS } from './bronze-events.js';

export const SILVER_ORDER_ITEMS: BatchJob = {
  name: 'silver.order_items',
  sources: ['bronze.order_events'],
  key: ['order_id', 'order_item_id'],
  mode: 'rebuild',
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

