/** The Reviews page's figures shaped for its charts and tiles (no DOM, so it is unit-tested). */
import type { ReviewCauseName, ReviewCauses, ReviewDelayBucket } from '../../read/types.js';

/** The causes in the classifier's order, with the words the page shows. */
export const CAUSE_LABEL: Readonly<Record<ReviewCauseName, string>> = {
  delay: 'Delay',
  wrong_or_missing: 'Wrong or missing item',
  product_quality: 'Product quality',
  service: 'Service',
  other: 'No reason stated',
};
export const CAUSE_ORDER: readonly ReviewCauseName[] = ['delay', 'wrong_or_missing', 'product_quality', 'service', 'other'];

export const BUCKET_LABEL: Readonly<Record<ReviewDelayBucket, string>> = {
  on_time: 'On time',
  '1-3': '1–3 days late',
  '4-7': '4–7 days late',
  '8+': '8+ days late',
  not_delivered: 'Not delivered',
};

export const DELIVERY_LABEL: Readonly<Record<ReviewCauses['headline'][number]['delivery'], string>> = {
  late: 'Late orders',
  on_time: 'On-time orders',
  not_delivered: 'Orders not delivered',
};

export interface Series {
  readonly cause: ReviewCauseName;
  readonly name: string;
  /** One value per category of the axis; null where no review has text (no share to show). */
  readonly data: readonly (number | null)[];
}

/**
 * Causes by delay bucket as shares of the bucket's reviews with text (a review may have several
 * causes, so a bucket's shares can add up to more than 1).
 */
export function causeSharesByDelay(answer: Pick<ReviewCauses, 'byDelay'>): { readonly buckets: readonly string[]; readonly withText: readonly number[]; readonly series: readonly Series[] } {
  return {
    buckets: answer.byDelay.map((b) => BUCKET_LABEL[b.delayBucket]),
    withText: answer.byDelay.map((b) => b.withText),
    series: CAUSE_ORDER.map((cause) => ({
      cause,
      name: CAUSE_LABEL[cause],
      data: answer.byDelay.map((b) => (b.withText === 0 ? null : b.causes[cause] / b.withText)),
    })),
  };
}

/** Causes per purchase month as counts of reviews with text, one series per cause. */
export function causesByMonth(answer: Pick<ReviewCauses, 'byMonth'>): { readonly months: readonly string[]; readonly series: readonly Series[] } {
  return {
    months: answer.byMonth.map((m) => m.month),
    series: CAUSE_ORDER.map((cause) => ({ cause, name: CAUSE_LABEL[cause], data: answer.byMonth.map((m) => m.causes[cause]) })),
  };
}
