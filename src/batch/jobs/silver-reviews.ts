import type { BatchJob } from '../job.js';
import { decodedOrderEvents } from './bronze-events.js';

/**
 * Reviews of known orders, the latest version of each (by answer time, then event id). Olist reuses
 * a review id across orders now and then: the grain is (review, order).
 */
export const SILVER_REVIEWS: BatchJob = {
  name: 'silver.reviews',
  sources: ['bronze.order_events', 'silver.orders'],
  incremental: ['bronze.order_events'],
  key: ['review_id', 'order_id'],
  mode: 'upsert',
  table: {
    columns: [
      { name: 'review_id', type: 'string', required: true },
      { name: 'order_id', type: 'string', required: true },
      { name: 'score', type: 'int', required: true, doc: '1 to 5 stars' },
      { name: 'created_date', type: 'date', required: true, doc: 'Local date the survey was sent' },
      { name: 'answered_at', type: 'timestamptz', required: true },
      { name: 'has_comment', type: 'boolean', required: true, doc: 'Whether it has a comment message' },
      { name: 'comment_title', type: 'string' },
      { name: 'comment_message', type: 'string' },
      { name: 'event_id', type: 'string', required: true, doc: 'The event of the version held' },
    ],
  },
  sql: `
WITH d AS (${decodedOrderEvents(['ReviewAnswered'])}),
fresh AS (
  SELECT d.e.reviewId AS review_id, d.order_id, d.e.score AS score, d.e.createdDate AS created_date, d.event_time AS answered_at,
    d.e.commentMessage IS NOT NULL AS has_comment, d.e.commentTitle AS comment_title, d.e.commentMessage AS comment_message, d.event_id
  FROM d WHERE d.event_type = 'ReviewAnswered' AND d.reason IS NULL AND d.order_id IN (SELECT order_id FROM silver_orders))
SELECT w.* FROM (
  SELECT arg_max(v, (v.answered_at, v.event_id)) AS w FROM (
    SELECT p.* FROM prior p SEMI JOIN fresh f ON f.review_id = p.review_id AND f.order_id = p.order_id
    UNION ALL BY NAME SELECT * FROM fresh) v
  GROUP BY v.review_id, v.order_id)`,
};
