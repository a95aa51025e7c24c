import type { BatchJob } from '../job.js';
import { SALES_ITEMS } from './gold-fragments.js';

/**
 * Sales per purchase month, category and product, ranked by revenue. Ranks have no ties: revenue
 * descending, then quantity descending, then product_id ascending (then category, for a product
 * sold under two categories in one month), so that a rerun on the same data gives every product the
 * same rank.
 */
export const GOLD_PRODUCT_SALES_MONTHLY: BatchJob = {
  name: 'gold.product_sales_monthly',
  sources: ['silver.orders', 'silver.order_items'],
  key: ['month', 'category', 'product_id'],
  mode: 'rebuild',
  table: {
    columns: [
      { name: 'month', type: 'string', required: true, doc: 'Purchase month in Brazilian local time, YYYY-MM' },
      { name: 'category', type: 'string', required: true, doc: 'English product category; unknown when the product has none' },
      { name: 'product_id', type: 'string', required: true },
      { name: 'quantity', type: 'long', required: true, doc: 'Items sold' },
      { name: 'revenue_cents', type: 'long', required: true, doc: 'Sum of the item prices, freight excluded' },
      { name: 'avg_price_cents', type: 'double', required: true, doc: 'revenue_cents / quantity, unrounded' },
      {
        name: 'rank_in_category',
        type: 'int',
        required: true,
        doc: 'Position by revenue within the category and month, 1 first; ties: quantity descending, then product_id ascending',
      },
      { name: 'rank_overall', type: 'int', required: true, doc: 'Position by revenue within the month, all categories; same tie-break' },
    ],
  },
  sql: `
WITH s AS (${SALES_ITEMS}),
p AS (
  SELECT month, category, product_id, count(*) AS quantity, sum(price_cents) AS revenue_cents
  FROM s GROUP BY month, category, product_id)
SELECT month, category, product_id, quantity, revenue_cents,
  revenue_cents / quantity AS avg_price_cents,
  row_number() OVER (PARTITION BY month, category ORDER BY revenue_cents DESC, quantity DESC, product_id) AS rank_in_category,
  row_number() OVER (PARTITION BY month ORDER BY revenue_cents DESC, quantity DESC, product_id, category) AS rank_overall
FROM p
ORDER BY month, rank_overall`,
};
