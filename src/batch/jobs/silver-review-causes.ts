import type { Row } from '../../lake/index.js';
import { classifyReview, hasText } from '../../reviews/index.js';
import type { BatchJob } from '../job.js';
import { BatchError } from '../errors.js';

/**
 * The causes of each low-score (1-2 star) review, by the reviews room's rule classifier. The rows are
 * computed by TypeScript, not SQL: the job's SQL only selects the reviews to classify, and `compute`
 * classifies them (see `BatchJob.compute`).
 *
 * Incremental without reading bronze: a review needs classifying when silver.reviews holds a version
 * of it (its `event_id`) that this table has not classified yet. On a first or `--full` run `prior` is
 * empty, so every low-score review is classified; afterwards only the reviews answered (or answered
 * again) since. A review answered again with a better score is selected too, and `compute` gives it
 * no row, which removes its old one.
 *
 * Other engines (the Spark and PyIceberg referees) read this table as they read bronze: as an input
 * they cannot recompute, since the classifier is TypeScript.
 */
export const SILVER_REVIEW_CAUSES: BatchJob = {
  name: 'silver.review_causes',
  sources: ['silver.reviews'],
  key: ['review_id', 'order_id'],
  mode: 'upsert',
  table: {
    columns: [
      { name: 'review_id', type: 'string', required: true },
      { name: 'order_id', type: 'string', required: true },
      { name: 'score', type: 'int', required: true, doc: '1 or 2 stars' },
      { name: 'has_text', type: 'boolean', required: true, doc: 'Whether it has a title or a message: only those are classified' },
      { name: 'causes', type: 'string', doc: 'Comma list of delay, wrong_or_missing, product_quality, service, other; null without text' },
      { name: 'primary_cause', type: 'string', doc: 'The main cause; null without text' },
      { name: 'delay', type: 'boolean', required: true, doc: 'Whether the causes include delay (false without text)' },
      { name: 'event_id', type: 'string', required: true, doc: 'The version of the review classified (as silver.reviews holds it)' },
    ],
  },
  sql: `
SELECT r.review_id, r.order_id, r.score, r.comment_title, r.comment_message, r.event_id
FROM silver_reviews r LEFT JOIN prior p ON p.review_id = r.review_id AND p.order_id = r.order_id
WHERE (p.event_id IS NULL AND r.score <= 2) OR (p.event_id IS NOT NULL AND p.event_id <> r.event_id)`,
  compute: classifyLowScoreReviews,
};

function text(value: unknown, column: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw new BatchError('OP_BATCH_BAD_INPUT', `silver.review_causes: ${column} is ${typeof value}, not text`, { details: { column } });
  return value;
}

/** The selected reviews' rows: each low-score one classified when it has text; none for the others. */
export function classifyLowScoreReviews(rows: readonly Readonly<Record<string, unknown>>[]): Row[] {
  const out: Row[] = [];
  for (const row of rows) {
    const score = Number(row.score);
    if (!(score <= 2)) continue;
    const review = { title: text(row.comment_title, 'comment_title') ?? '', message: text(row.comment_message, 'comment_message') ?? '' };
    const classified = hasText(review) ? classifyReview(review) : null;
    out.push({
      review_id: text(row.review_id, 'review_id'),
      order_id: text(row.order_id, 'order_id'),
      score,
      has_text: classified !== null,
      causes: classified === null ? null : classified.causes.join(','),
      primary_cause: classified?.primary ?? null,
      delay: classified?.causes.includes('delay') === true,
      event_id: text(row.event_id, 'event_id'),
    });
  }
  return out;
}
