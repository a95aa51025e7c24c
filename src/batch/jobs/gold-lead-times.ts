import type { BatchJob } from '../job.js';
import { DELIVERED_STAGES } from './gold-fragments.js';

/**
 * Lead times of delivered orders per purchase month, stage, route and category. Route and category
 * are the order's (see `DELIVERED_ORDERS`: one seller state or `multi`, the main item's category).
 * Quantiles are DuckDB's `quantile_cont` (linear interpolation between the two nearest values).
 */
export const GOLD_LEAD_TIMES: BatchJob = {
  name: 'gold.lead_times',
  sources: ['silver.orders', 'silver.order_items'],
  key: ['month', 'stage', 'route', 'category'],
  mode: 'rebuild',
  table: {
    columns: [
      { name: 'month', type: 'string', required: true, doc: 'Purchase month in Brazilian local time, YYYY-MM' },
      { name: 'stage', type: 'string', required: true, doc: 'approval, carrier_handoff, transit or total (purchase to delivery)' },
      {
        name: 'route',
        type: 'string',
        required: true,
        doc: '<seller state>→<customer state>; the seller part is multi when the order’s sellers are in several states',
      },
      { name: 'category', type: 'string', required: true, doc: 'The order’s main category: that of its highest-priced item (lowest item number on a tie)' },
      { name: 'orders', type: 'long', required: true, doc: 'Delivered orders with this stage’s duration recorded' },
      { name: 'mean_days', type: 'double', required: true, doc: 'The mean to the millisecond' },
      { name: 'p50_days', type: 'double', required: true, doc: 'quantile_cont 0.5' },
      { name: 'p90_days', type: 'double', required: true, doc: 'quantile_cont 0.9' },
    ],
  },
  sql: `
WITH s AS (${DELIVERED_STAGES})
-- The mean sums whole milliseconds (exact in any order, so every run gives the same bits without
-- sorting): silver's days are milliseconds / 86,400,000, which rounding recovers exactly.
SELECT month, stage, route, category, count(*) AS orders,
  sum(CAST(round(days * 86400000) AS BIGINT)) / count(*) / 86400000.0 AS mean_days,
  quantile_cont(days, 0.5) AS p50_days, quantile_cont(days, 0.9) AS p90_days
FROM s GROUP BY month, stage, route, category
ORDER BY month, stage, route, category`,
};
