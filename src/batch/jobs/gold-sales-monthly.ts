import type { BatchJob } from '../job.js';
import { SALES_ITEMS } from './gold-fragments.js';

/** Sales per purchase month, category and customer state (orders neither canceled nor unavailable). */
export const GOLD_SALES_MONTHLY: BatchJob = {
  name: 'gold.sales_monthly',
  sources: ['silver.orders', 'silver.order_items'],
  key: ['month', 'category', 'customer_state'],
  mode: 'rebuild',
  table: {
    columns: [
      { name: 'month', type: 'string', required: true, doc: 'Purchase month in Brazilian local time, YYYY-MM' },
      { name: 'category', type: 'string', required: true, doc: 'English product category; unknown when the product has none' },
      { name: 'customer_state', type: 'string', required: true, doc: "The customer's state; unknown when not known" },
      { name: 'orders', type: 'long', required: true, doc: 'Distinct orders with an item in the cell (an order with items of several categories counts in each)' },
      { name: 'items', type: 'long', required: true, doc: 'Items sold (order lines)' },
      { name: 'revenue_cents', type: 'long', required: true, doc: 'Sum of the item prices, freight excluded' },
      { name: 'freight_cents', type: 'long', required: true, doc: 'Sum of the items’ freight' },
      {
        name: 'avg_order_value_cents',
        type: 'double',
        required: true,
        doc: 'revenue_cents / orders, unrounded: the mean over the cell’s orders of the price of their items in the cell (freight excluded)',
      },
    ],
  },
  sql: `
WITH s AS (${SALES_ITEMS})
SELECT month, category, customer_state,
  count(DISTINCT order_id) AS orders, count(*) AS items,
  sum(price_cents) AS revenue_cents, sum(freight_cents) AS freight_cents,
  sum(price_cents) / count(DISTINCT order_id) AS avg_order_value_cents
FROM s GROUP BY month, category, customer_state
ORDER BY month, category, customer_state`,
};
