import type { BatchJob } from '../job.js';

/** Delay bucket of a delivered order: on or before the estimated local day, or how many days after. */
const DELAY_BUCKET = `CASE WHEN o.days_late = 0 THEN 'on_time' WHEN o.days_late <= 3 THEN '1-3' WHEN o.days_late <= 7 THEN '4-7' ELSE '8+' END`;

export const GOLD_REVIEW_IMPACT: BatchJob = {
  name: 'gold.review_impact',
  sources: ['silver.orders', 'silver.reviews'],
  key: ['delay_bucket'],
  mode: 'rebuild',
  table: {
    columns: [
      { name: 'delay_bucket', type: 'string', required: true, doc: 'on_time, 1-3, 4-7 or 8+ local days late' },
      { name: 'reviews', type: 'long', required: true },
      { name: 'mean_score', type: 'double', required: true },
      { name: 'low_score_share', type: 'double', required: true, doc: 'Share of 1-2 star reviews' },
    ],
  },
  sql: `
SELECT ${DELAY_BUCKET} AS delay_bucket, count(*) AS reviews, avg(r.score) AS mean_score,
  avg(CASE WHEN r.score <= 2 THEN 1.0 ELSE 0.0 END) AS low_score_share
FROM silver_orders o JOIN silver_reviews r USING (order_id)
WHERE o.delivered_at IS NOT NULL
GROUP BY 1 ORDER BY 1`,
};

