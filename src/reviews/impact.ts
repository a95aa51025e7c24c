/**
 * What low-score reviews complain about, per purchase month, category, seller and delay bucket, and the
 * headline: among low-score reviews with text, the share whose causes include delay, for late and for
 * on-time orders. Computed from an Olist dataset (the orders joined to their reviews, items and products).
 */
import type { OlistDataset } from '../data/index.js';
import { formatLocal } from '../data/index.js';
import type { Cause } from './causes.js';
import { CAUSES } from './causes.js';
import { classifyReview } from './classify.js';
import { hasText } from './reader.js';

/** How late a reviewed order came: as gold.review_impact buckets delivered orders, plus those never delivered. */
export const DELAY_BUCKETS = ['on_time', '1-3', '4-7', '8+', 'not_delivered'] as const;
export type DelayBucket = (typeof DELAY_BUCKETS)[number];

/** A low-score review with what it is about. */
export interface LowScoreReview {
  readonly reviewId: string;
  readonly orderId: string;
  /** Purchase month, local: `YYYY-MM`. */
  readonly month: string;
  readonly delayBucket: DelayBucket;
  /** The distinct (seller, category) pairs of the order's items; one `(none)` pair for an order without items. */
  readonly sellers: readonly { readonly sellerId: string; readonly category: string }[];
  /** The classifier's causes; null when the review has no text. */
  readonly causes: readonly Cause[] | null;
}

/** One row of the review causes: a month, category, seller and delay bucket. */
export interface ReviewCauseRow {
  readonly month: string;
  readonly category: string;
  readonly sellerId: string;
  readonly delayBucket: DelayBucket;
  /** 1-2 star reviews of the group's orders. */
  readonly lowScoreReviews: number;
  /** Those with a title or a message: the ones classified. */
  readonly withText: number;
  /** Reviews with text whose causes include each cause (a review may count under several). */
  readonly causes: Readonly<Record<Cause, number>>;
}

export interface DelayShare {
  /** `late`: delivered after the estimated local day; `on_time`: on or before it; `not_delivered`: no delivery time. */
  readonly group: 'on_time' | 'late' | 'not_delivered';
  readonly lowScoreReviews: number;
  readonly withText: number;
  readonly delay: number;
  /** delay / withText; null when no review has text. */
  readonly delayShare: number | null;
}

const NONE = '(none)';
const DAY_MS = 86_400_000;

/** Whole days from local date `a` to local date `b` (both `YYYY-MM-DD`). */
function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS);
}

function bucketOf(daysLate: number | null): DelayBucket {
  if (daysLate === null) return 'not_delivered';
  if (daysLate <= 0) return 'on_time';
  return daysLate <= 3 ? '1-3' : daysLate <= 7 ? '4-7' : '8+';
}

/** The 1-2 star reviews of the dataset's orders, classified, with their order's month, delay and sellers. */
export function lowScoreReviews(dataset: Pick<OlistDataset, 'orders' | 'items' | 'products' | 'reviews'>): LowScoreReview[] {
  const orders = new Map(dataset.orders.map((o) => [o.orderId, o]));
  const categories = new Map(dataset.products.map((p) => [p.productId, p.categoryName ?? NONE]));
  const sellersOf = new Map<string, Map<string, { sellerId: string; category: string }>>();
  for (const item of dataset.items) {
    const category = categories.get(item.productId) ?? NONE;
    const pairs = sellersOf.get(item.orderId) ?? new Map<string, { sellerId: string; category: string }>();
    pairs.set(`${item.sellerId}|${category}`, { sellerId: item.sellerId, category });
    sellersOf.set(item.orderId, pairs);
  }
  const reviews: LowScoreReview[] = [];
  for (const review of dataset.reviews) {
    const order = orders.get(review.orderId);
    if (review.score > 2 || order === undefined) continue;
    const text = { title: review.commentTitle ?? '', message: review.commentMessage ?? '' };
    const delivered = order.deliveredToCustomerAt === null ? null : formatLocal(order.deliveredToCustomerAt).slice(0, 10);
    reviews.push({
      reviewId: review.reviewId,
      orderId: review.orderId,
      month: formatLocal(order.purchasedAt).slice(0, 7),
      delayBucket: bucketOf(delivered === null ? null : daysBetween(order.estimatedDeliveryDate, delivered)),
      sellers: [...(sellersOf.get(review.orderId)?.values() ?? [{ sellerId: NONE, category: NONE }])],
      causes: hasText(text) ? classifyReview(text).causes : null,
    });
  }
  return reviews;
}

const zeroCauses = (): Record<Cause, number> => Object.fromEntries(CAUSES.map((c) => [c, 0])) as Record<Cause, number>;

/**
 * The review causes per month, category, seller and delay bucket. A review of an order with items of
 * several sellers or categories counts once in each of their groups (each seller's low-score reviews are
 * all of its orders' ones). Rows sorted by month, category, seller, bucket.
 */
export function reviewCauseRows(reviews: readonly LowScoreReview[]): ReviewCauseRow[] {
  const groups = new Map<string, { month: string; category: string; sellerId: string; delayBucket: DelayBucket; lowScoreReviews: number; withText: number; causes: Record<Cause, number> }>();
  for (const review of reviews) {
    for (const { sellerId, category } of review.sellers) {
      const key = [review.month, category, sellerId, review.delayBucket].join('|');
      const group = groups.get(key) ?? { month: review.month, category, sellerId, delayBucket: review.delayBucket, lowScoreReviews: 0, withText: 0, causes: zeroCauses() };
      group.lowScoreReviews++;
      if (review.causes !== null) {
        group.withText++;
        for (const cause of review.causes) group.causes[cause]++;
      }
      groups.set(key, group);
    }
  }
  const order = (r: ReviewCauseRow): string => [r.month, r.category, r.sellerId, DELAY_BUCKETS.indexOf(r.delayBucket)].join('|');
  return [...groups.values()].sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}

/** The headline: among low-score reviews (each once), the share with text whose causes include delay, on time vs late vs not delivered. */
export function delayShares(reviews: readonly LowScoreReview[]): DelayShare[] {
  return (['on_time', 'late', 'not_delivered'] as const).map((group) => {
    const members = reviews.filter((r) => (group === 'late' ? r.delayBucket !== 'on_time' && r.delayBucket !== 'not_delivered' : r.delayBucket === group));
    const withText = members.filter((r) => r.causes !== null);
    const delay = withText.filter((r) => r.causes?.includes('delay') === true).length;
    return { group, lowScoreReviews: members.length, withText: withText.length, delay, delayShare: withText.length === 0 ? null : delay / withText.length };
  });
}
