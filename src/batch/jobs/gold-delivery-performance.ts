import type { BatchJob } from '../job.js';
import { DELIVERED_ORDERS } from './gold-fragments.js';

/**
 * Delivered orders and how many came late, per purchase month, customer state, seller state and
 * category (the order's, as in `DELIVERED_ORDERS`). Late: delivered on a later Brazilian local day
 * than the estimated delivery date.
 */
export const GOLD_DELIVERY_PERFORMANCE: BatchJob = {
  name: 'gold.delivery_performance',
  sources: ['silver.orders', 'silver.order_items'],
  key: ['month', 'customer_state', 'seller_state', 'category'],
  mode: 'rebuild',
  table: {
    columns: [
      { name: 'month', type: 'string', required: true, doc: 'Purchase month in Brazilian local time, YYYY-MM' },
      { name: 'customer_state', type: 'string', required: true },
      { name: 'seller_state', type: 'string', required: true, doc: 'The order’s sellers’ state; multi when they are in several' },
      { name: 'category', type: 'string', required: true, doc: 'The order’s main category: that of its highest-priced item (lowest item number on a tie)' },
      { name: 'delivered_orders', type: 'long', required: true },
      { name: 'late_orders', type: 'long', required: true, doc: 'Delivered on a later local day than estimated' },
      { name: 'late_rate', type: 'double', required: true, doc: 'late_orders / delivered_orders' },
      { name: 'mean_days_late', type: 'double', doc: 'Mean local days after the estimated day, over the late orders only; null when none is late' },
    ],
  },
  sql: `
WITH d AS (${DELIVERED_ORDERS})
SELECT month, customer_state, seller_state, category,
  count(*) AS delivered_orders,
  count(*) FILTER (WHERE delivered_late) AS late_orders,
  count(*) FILTER (WHERE delivered_late) / count(*) AS late_rate,
  avg(days_late) FILTER (WHERE delivered_late) AS mean_days_late
FROM d GROUP BY month, customer_state, seller_state, category
ORDER BY month, customer_state, seller_state, category`,
};
