/** Reading Olist review lines (with their texts) and labels files. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readCsvFile } from '../data/index.js';
import type { Cause } from './causes.js';
import { CAUSES, isCause } from './causes.js';
import { ReviewsError } from './errors.js';

/** One review line of olist_order_reviews_dataset. */
export interface ReviewLine {
  readonly reviewId: string;
  readonly orderId: string;
  /** 1 to 5; null when the field is not a whole number from 1 to 5. */
  readonly score: number | null;
  readonly title: string;
  readonly message: string;
  /** 1-based line of the file where the record starts. */
  readonly line: number;
}

const REVIEWS_FILE = 'olist_order_reviews_dataset';
const COLUMNS = ['review_id', 'order_id', 'review_score', 'review_comment_title', 'review_comment_message'] as const;

/** The reviews file of an Olist directory: `.csv` or `.csv.gz`. */
export function reviewsFileIn(dir: string): string {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ReviewsError('OP_REVIEWS_NO_FILE', `${dir} is not a directory`, { details: { path: dir } });
  for (const name of [`${REVIEWS_FILE}.csv`, `${REVIEWS_FILE}.csv.gz`]) if (existsSync(join(dir, name))) return join(dir, name);
  throw new ReviewsError('OP_REVIEWS_NO_FILE', `${dir} holds no ${REVIEWS_FILE}.csv or .csv.gz`, { details: { path: dir } });
}

/** Whether a review has a title or a message that is not blank. */
export function hasText(review: Pick<ReviewLine, 'title' | 'message'>): boolean {
  return review.title.trim() !== '' || review.message.trim() !== '';
}

/** Every review line of a file (malformed CSV records skipped: `validate` is where they are reported). */
export async function readReviews(path: string): Promise<ReviewLine[]> {
  if (!existsSync(path) || !statSync(path).isFile()) throw new ReviewsError('OP_REVIEWS_NO_FILE', `no reviews file ${path}`, { details: { path } });
  const reviews: ReviewLine[] = [];
  let at: Record<(typeof COLUMNS)[number], number> | null = null;
  await readCsvFile(path, {
    header(fields) {
      const index = Object.fromEntries(COLUMNS.map((c) => [c, fields.indexOf(c)])) as Record<(typeof COLUMNS)[number], number>;
      const missing = COLUMNS.filter((c) => index[c] < 0);
      if (missing.length > 0) {
        throw new ReviewsError('OP_REVIEWS_BAD_HEADER', `${path}: the header lacks ${missing.join(', ')}`, { details: { path, missing } });
      }
      at = index;
    },
    record(fields, line) {
      if (at === null) return;
      const field = (c: (typeof COLUMNS)[number]): string => fields[at?.[c] ?? -1] ?? '';
      const score = Number(field('review_score'));
      reviews.push({
        reviewId: field('review_id'),
        orderId: field('order_id'),
        score: Number.isInteger(score) && score >= 1 && score <= 5 ? score : null,
        title: field('review_comment_title'),
        message: field('review_comment_message'),
        line,
      });
    },
    malformed() {},
  });
  return reviews;
}

/** One labelled review. */
export interface ReviewLabel {
  readonly reviewId: string;
  readonly labels: readonly Cause[];
  readonly primary: Cause;
  /** 1-based line of the labels file. */
  readonly line: number;
}

/**
 * A labels file: JSON Lines of `{"review_id": "…", "labels": ["delay", …], "primary": "delay"}`. Blank lines
 * are skipped. A line that is not such an object is refused with the file and line named.
 */
export function readLabels(path: string): ReviewLabel[] {
  if (!existsSync(path) || !statSync(path).isFile()) throw new ReviewsError('OP_REVIEWS_NO_FILE', `no labels file ${path}`, { details: { path } });
  const labels: ReviewLabel[] = [];
  const seen = new Map<string, number>();
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((text, i) => {
      const line = i + 1;
      if (text.trim() === '') return;
      const bad = (why: string): never => {
        throw new ReviewsError('OP_REVIEWS_BAD_LABEL', `${path}:${line}: ${why}`, { details: { path, line } });
      };
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return bad('not a JSON object');
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad('not a JSON object');
      const { review_id: reviewId, labels: causes, primary } = value as Record<string, unknown>;
      if (typeof reviewId !== 'string' || reviewId === '') return bad('"review_id" must be a non-empty string');
      if (!Array.isArray(causes) || causes.length === 0) return bad('"labels" must be a non-empty array of causes');
      for (const cause of causes as unknown[]) {
        if (!isCause(cause)) return bad(`unknown cause ${JSON.stringify(cause)} in "labels" (causes: ${CAUSES.join(', ')})`);
      }
      if (!isCause(primary)) return bad(`unknown cause ${JSON.stringify(primary)} in "primary" (causes: ${CAUSES.join(', ')})`);
      if (!(causes as Cause[]).includes(primary)) return bad(`"primary" ${primary} is not one of "labels"`);
      const before = seen.get(reviewId);
      if (before !== undefined) return bad(`review ${reviewId} is labelled already on line ${before}`);
      seen.set(reviewId, line);
      labels.push({ reviewId, labels: [...new Set(causes as Cause[])], primary, line });
    });
  return labels;
}
