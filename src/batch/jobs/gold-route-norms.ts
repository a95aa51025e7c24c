import type { BatchJob } from '../job.js';
import { DELIVERED_STAGES } from './gold-fragments.js';

/**
 * What a stage normally takes on a route, over every delivered order: the reference the risk model
 * reads. Route as in `gold.lead_times`; quantiles are `quantile_cont` (interpolated).
 */
export const GOLD_ROUTE_NORMS: BatchJob = {
  name: 'gold.route_norms',
  sources: ['silver.orders', 'silver.order_items'],
  key: ['route', 'stage'],
  mode: 'rebuild',
  table: {
    columns: [
      {
        name: 'route',
        type: 'string',
        required: true,
        doc: '<seller state>→<customer state>; the seller part is multi when the order’s sellers are in several states',
      },
      { name: 'stage', type: 'string', required: true, doc: 'approval, carrier_handoff, transit or total (purchase to delivery)' },
      { name: 'orders', type: 'long', required: true, doc: 'Delivered orders with this stage’s duration recorded' },
      { name: 'p50_days', type: 'double', required: true, doc: 'quantile_cont 0.5' },
      { name: 'p75_days', type: 'double', required: true, doc: 'quantile_cont 0.75' },
      { name: 'p90_days', type: 'double', required: true, doc: 'quantile_cont 0.9' },
      { name: 'p95_days', type: 'double', required: true, doc: 'quantile_cont 0.95' },
    ],
  },
  sql: `
WITH s AS (${DELIVERED_STAGES})
SELECT route, stage, count(*) AS orders,
  quantile_cont(days, 0.5) AS p50_days, quantile_cont(days, 0.75) AS p75_days,
  quantile_cont(days, 0.9) AS p90_days, quantile_cont(days, 0.95) AS p95_days
FROM s GROUP BY route, stage
ORDER BY route, stage`,
};
