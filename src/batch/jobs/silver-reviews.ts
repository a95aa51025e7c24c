import type { BatchJob } from '../job.js';
import { ORDER_EVENTS } from './bronze-events.js';

export const SILVER_REVIEWS: BatchJob = {
  name: 'silver.reviews',
  sources: ['bronze.order_events'],
  key: ['review_id', 'order_id'],
  mode: 'rebuild',
  table: {
    columns: [
      { name: 'review_id', type: 'string', required: true },
      { name: 'order_id', type: 'string', required: true },
      { name: 'score', type: 'int', required: true },
      { name: 'created_date', type: 'date', required: true },
      { name: 'answered_at', type: 'timestamptz', required: true },
      { name: 'has_comment', type: 'boolean', required: true },
    ],
  },
  // Olist reuses a review id across orders now and then: the grain is (review, order), its latest version.
  sql: `
WITH ev AS (${ORDER_EVENTS})
SELECT DISTINCT ON (json_extract_string(payload, '$.reviewId'), order_id)
  json_extract_string(payload, '$.reviewId') AS review_id, order_id,
  CAST(json_extract(payload, '$.score') AS INTEGER) AS score,
  CAST(json_extract_string(payload, '$.createdDate') AS DATE) AS created_date,
  event_time AS answered_at,
  json_extract_string(payload, '$.commentMessage') IS NOT NULL AS has_comment
FROM ev WHERE event_type = 'ReviewAnswered'
ORDER BY review_id, order_id, event_time DESC, event_id DESC`,
};

