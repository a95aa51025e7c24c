import type { BatchJob } from '../job.js';
import { SALES_ITEMS } from './gold-fragments.js';

/**
 * The product portfolio matrix: each product sold in a category and month, placed by its quantity
 * and unit price against the medians of that category-month's products.
 *
 * The medians are DuckDB's `median` (= `quantile_cont(0.5)`): with an even number of products it
 * interpolates, the mean of the two middle values. Quantity must be strictly above its median to
 * count as high, since in most category-months most products sell once and the median is 1: with
 * "≥" nearly every product would be high-volume.
 */
export const GOLD_PRODUCT_PORTFOLIO: BatchJob = {
  name: 'gold.product_portfolio',
  sources: ['silver.orders', 'silver.order_items'],
  key: ['category', 'month', 'product_id'],
  mode: 'rebuild',
  table: {
    columns: [
      { name: 'category', type: 'string', required: true, doc: 'English product category; unknown when the product has none' },
      { name: 'month', type: 'string', required: true, doc: 'Purchase month in Brazilian local time, YYYY-MM' },
      { name: 'product_id', type: 'string', required: true },
      { name: 'quantity', type: 'long', required: true, doc: 'Items sold' },
      { name: 'revenue_cents', type: 'long', required: true, doc: 'Sum of the item prices, freight excluded' },
      { name: 'unit_price_cents', type: 'double', required: true, doc: 'Mean item price: revenue_cents / quantity, unrounded' },
      { name: 'products', type: 'int', required: true, doc: 'Products sold in the category-month (the population of the medians)' },
      { name: 'median_quantity', type: 'double', required: true, doc: 'Median quantity of the category-month’s products (interpolated: quantile_cont 0.5)' },
      { name: 'median_unit_price_cents', type: 'double', required: true, doc: 'Median unit price of the category-month’s products (interpolated: quantile_cont 0.5)' },
      {
        name: 'quadrant',
        type: 'string',
        required: true,
        doc: 'Star: quantity > median and price ≥ median; Volume Driver: quantity > median, price < median; Niche Gem: quantity ≤ median, price ≥ median; Question Mark: quantity ≤ median, price < median',
      },
    ],
  },
  sql: `
WITH s AS (${SALES_ITEMS}),
p AS (
  SELECT category, month, product_id, count(*) AS quantity, sum(price_cents) AS revenue_cents,
    sum(price_cents) / count(*) AS unit_price_cents
  FROM s GROUP BY category, month, product_id),
m AS (
  SELECT *,
    count(*) OVER cell AS products,
    median(CAST(quantity AS DOUBLE)) OVER cell AS median_quantity,
    median(unit_price_cents) OVER cell AS median_unit_price_cents
  FROM p WINDOW cell AS (PARTITION BY category, month))
SELECT category, month, product_id, quantity, revenue_cents, unit_price_cents, products, median_quantity, median_unit_price_cents,
  CASE WHEN quantity > median_quantity AND unit_price_cents >= median_unit_price_cents THEN 'Star'
       WHEN quantity > median_quantity THEN 'Volume Driver'
       WHEN unit_price_cents >= median_unit_price_cents THEN 'Niche Gem'
       ELSE 'Question Mark' END AS quadrant
FROM m
ORDER BY category, month, product_id`,
};
