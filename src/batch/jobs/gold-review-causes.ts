import { CAUSES } from '../../reviews/index.js';
import type { BatchJob } from '../job.js';

/**
 * How late a reviewed order came, as `orderpulse reviews impact` buckets it: on or before the
 * estimated local day, 1-3, 4-7 or 8+ local days after, or never delivered.
 */
const DELAY_BUCKET = `CASE WHEN o.delivered_date IS NULL THEN 'not_delivered' WHEN o.days_late = 0 THEN 'on_time'
  WHEN o.days_late <= 3 THEN '1-3' WHEN o.days_late <= 7 THEN '4-7' ELSE '8+' END`;

/** The low-score reviews with their order's purchase month and delay bucket, one row each. */
const LOW_SCORE_REVIEWS = `
  SELECT c.review_id, c.order_id, c.has_text, c.delay, string_split(coalesce(c.causes, ''), ',') AS cause_list,
    strftime(o.purchase_date, '%Y-%m') AS month, ${DELAY_BUCKET} AS delay_bucket
  FROM silver_review_causes c JOIN silver_orders o USING (order_id)`;

/**
 * The causes of low-score (1-2 star) reviews per purchase month, English category, seller and delay
 * bucket. A review of an order with items of several sellers or categories counts once in each of
 * their groups, as `reviews impact` counts it (that command names categories in Portuguese, as the
 * CSV has them; gold names them in English, as every gold table does). A cause column counts the
 * reviews with text whose causes include it: a review may count under several.
 */
export const GOLD_REVIEW_CAUSES: BatchJob = {
  name: 'gold.review_causes',
  sources: ['silver.orders', 'silver.order_items', 'silver.review_causes'],
  key: ['month', 'category', 'seller_id', 'delay_bucket'],
  mode: 'rebuild',
  table: {
    columns: [
      { name: 'month', type: 'string', required: true, doc: 'Purchase month in Brazilian local time, YYYY-MM' },
      { name: 'category', type: 'string', required: true, doc: 'English product category; unknown when the product has none or the order no items' },
      { name: 'seller_id', type: 'string', required: true, doc: 'unknown for an order without items' },
      { name: 'delay_bucket', type: 'string', required: true, doc: 'on_time, 1-3, 4-7, 8+ local days late, or not_delivered' },
      { name: 'low_score_reviews', type: 'long', required: true, doc: '1-2 star reviews of the group’s orders' },
      { name: 'with_text', type: 'long', required: true, doc: 'Those with a title or a message: the ones classified' },
      ...CAUSES.map((cause) => ({ name: cause, type: 'long' as const, required: true, doc: `Reviews with text whose causes include ${cause}` })),
    ],
  },
  sql: `
WITH pairs AS (SELECT DISTINCT order_id, seller_id, coalesce(category, 'unknown') AS category FROM silver_order_items),
l AS (${LOW_SCORE_REVIEWS})
SELECT l.month, coalesce(p.category, 'unknown') AS category, coalesce(p.seller_id, 'unknown') AS seller_id, l.delay_bucket,
  count(*) AS low_score_reviews, count_if(l.has_text) AS with_text,
  ${CAUSES.map((cause) => `count_if(list_contains(l.cause_list, '${cause}')) AS ${cause}`).join(',\n  ')}
FROM l LEFT JOIN pairs p USING (order_id)
GROUP BY ALL ORDER BY ALL`,
};

/**
 * The causes of low-score reviews per purchase month and delay bucket, each review once: the grain of
 * the charts (causes by delay bucket, causes over time) and of the headline, the share of reviews with
 * text that complain of delay for late (`1-3`, `4-7`, `8+`), on-time and undelivered orders. Summed over
 * months it is what `orderpulse reviews impact` prints.
 */
export const GOLD_REVIEW_CAUSES_MONTHLY: BatchJob = {
  name: 'gold.review_causes_monthly',
  sources: ['silver.orders', 'silver.review_causes'],
  key: ['month', 'delay_bucket'],
  mode: 'rebuild',
  table: {
    columns: [
      { name: 'month', type: 'string', required: true, doc: 'Purchase month in Brazilian local time, YYYY-MM' },
      { name: 'delay_bucket', type: 'string', required: true, doc: 'on_time, 1-3, 4-7, 8+ local days late, or not_delivered' },
      { name: 'low_score_reviews', type: 'long', required: true, doc: '1-2 star reviews of the orders purchased that month' },
      { name: 'with_text', type: 'long', required: true, doc: 'Those with a title or a message: the ones classified' },
      ...CAUSES.map((cause) => ({ name: cause, type: 'long' as const, required: true, doc: `Reviews with text whose causes include ${cause}` })),
    ],
  },
  sql: `
WITH l AS (${LOW_SCORE_REVIEWS})
SELECT month, delay_bucket, count(*) AS low_score_reviews, count_if(has_text) AS with_text,
  ${CAUSES.map((cause) => `count_if(list_contains(cause_list, '${cause}')) AS ${cause}`).join(',\n  ')}
FROM l GROUP BY ALL ORDER BY ALL`,
};
