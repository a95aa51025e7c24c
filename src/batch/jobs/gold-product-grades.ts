import type { BatchJob } from '../job.js';

/**
 * Product grades, A (best) to E, which the stream processor weighs into an alert's priority
 * (`product_id`, `grade`). A product's grade adds two points:
 * - its ABC class within its category over the window (the 12 purchase months ending with the
 *   latest month that has sales): products ranked by window revenue, highest first (product_id
 *   ascending on a tie); a product is `A` while the revenue ranked above it is under 80% of the
 *   category's, `B` while under 95%, else `C`, and always `C` without window sales. A = 2, B = 1,
 *   C = 0 points;
 * - its latest quadrant (`gold.product_portfolio`, its latest month): Star = 2, Volume Driver and
 *   Niche Gem = 1 (each strong on one axis), Question Mark = 0.
 * Points 4 → A, 3 → B, 2 → C, 1 → D, 0 → E. Every product sold at least once (in any month) has a
 * row; its category is that of its latest month.
 */
export const GOLD_PRODUCT_GRADES: BatchJob = {
  name: 'gold.product_grades',
  sources: ['gold.product_portfolio', 'gold.product_sales_monthly'],
  key: ['product_id'],
  mode: 'rebuild',
  table: {
    columns: [
      { name: 'product_id', type: 'string', required: true },
      { name: 'grade', type: 'string', required: true, doc: 'A (best) to E: from points, 4 → A … 0 → E' },
      { name: 'points', type: 'int', required: true, doc: 'ABC points (A 2, B 1, C 0) plus quadrant points (Star 2, Volume Driver 1, Niche Gem 1, Question Mark 0)' },
      { name: 'category', type: 'string', required: true, doc: 'The category of its latest month' },
      { name: 'latest_month', type: 'string', required: true, doc: 'Its latest purchase month with sales, YYYY-MM' },
      { name: 'latest_quadrant', type: 'string', required: true, doc: 'Its quadrant in latest_month' },
      { name: 'abc_class', type: 'string', required: true, doc: 'A, B or C by window revenue within its category (see revenue_above_cents)' },
      { name: 'window_first_month', type: 'string', required: true, doc: 'The window: 12 purchase months ending with window_last_month' },
      { name: 'window_last_month', type: 'string', required: true, doc: 'The latest purchase month with sales' },
      { name: 'revenue_cents', type: 'long', required: true, doc: 'Its revenue in the window' },
      { name: 'category_revenue_cents', type: 'long', required: true, doc: 'The revenue of its category in the window' },
      {
        name: 'revenue_above_cents',
        type: 'long',
        required: true,
        doc: 'Window revenue of the category’s products ranked above it: A when under 80% of category_revenue_cents, B under 95%, else C',
      },
    ],
  },
  sql: `
WITH win AS (
  SELECT max(month) AS last_month,
    strftime(CAST(max(month) || '-01' AS DATE) - INTERVAL 11 MONTH, '%Y-%m') AS first_month
  FROM gold_product_sales_monthly),
latest AS (
  SELECT DISTINCT ON (product_id) product_id, category, month AS latest_month, quadrant AS latest_quadrant
  FROM gold_product_portfolio ORDER BY product_id, month DESC, category),
revenue AS (
  SELECT s.product_id, sum(s.revenue_cents) AS revenue_cents
  FROM gold_product_sales_monthly s, win WHERE s.month BETWEEN win.first_month AND win.last_month
  GROUP BY s.product_id),
ranked AS (
  SELECT l.*, coalesce(r.revenue_cents, 0) AS revenue_cents,
    sum(coalesce(r.revenue_cents, 0)) OVER (PARTITION BY l.category) AS category_revenue_cents,
    coalesce(sum(coalesce(r.revenue_cents, 0)) OVER (
      PARTITION BY l.category ORDER BY coalesce(r.revenue_cents, 0) DESC, l.product_id
      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS revenue_above_cents
  FROM latest l LEFT JOIN revenue r USING (product_id)),
classed AS (
  SELECT *,
    -- Integer arithmetic, so a share of exactly 80% or 95% is classed the same on every run.
    CASE WHEN revenue_cents = 0 THEN 'C'
         WHEN revenue_above_cents * 100 < category_revenue_cents * 80 THEN 'A'
         WHEN revenue_above_cents * 100 < category_revenue_cents * 95 THEN 'B'
         ELSE 'C' END AS abc_class
  FROM ranked),
pointed AS (
  SELECT *,
    CASE abc_class WHEN 'A' THEN 2 WHEN 'B' THEN 1 ELSE 0 END
      + CASE latest_quadrant WHEN 'Star' THEN 2 WHEN 'Volume Driver' THEN 1 WHEN 'Niche Gem' THEN 1 ELSE 0 END AS points
  FROM classed)
SELECT p.product_id, ['E', 'D', 'C', 'B', 'A'][p.points + 1] AS grade, p.points, p.category, p.latest_month, p.latest_quadrant, p.abc_class,
  win.first_month AS window_first_month, win.last_month AS window_last_month,
  p.revenue_cents, p.category_revenue_cents, p.revenue_above_cents
FROM pointed p, win
ORDER BY p.product_id`,
};
