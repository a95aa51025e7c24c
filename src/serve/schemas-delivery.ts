import {
  arrayOf,
  errorResponses,
  filtersQuerystring,
  int,
  nullableNum,
  num,
  object,
  stage,
  str,
  withProvenance,
} from './schemas-common.js';

/** /api/lead-times, /api/delivery, /api/open-orders, /api/review-impact, /api/review-causes. */

export const leadTimesSchema = {
  summary: 'Mean lead time per purchase month and stage',
  tags: ['delivery'],
  querystring: filtersQuerystring,
  response: {
    200: withProvenance({ rows: arrayOf(object({ month: str, stage: str, orders: int, meanDays: num })) }),
    ...errorResponses,
  },
} as const;

const lateShare = { deliveredOrders: int, lateOrders: int, lateRate: num } as const;

export const deliverySchema = {
  summary: 'Late deliveries per month, customer state and route',
  tags: ['delivery'],
  querystring: filtersQuerystring,
  response: {
    200: withProvenance({
      months: arrayOf(object({ month: str, ...lateShare })),
      states: arrayOf(object({ state: str, ...lateShare })),
      routes: arrayOf(object({ sellerState: str, customerState: str, ...lateShare, meanDaysLate: nullableNum })),
      totals: object({ deliveredOrders: int, lateOrders: int, lateRate: nullableNum }),
    }),
    ...errorResponses,
  },
} as const;

export const openOrdersSchema = {
  summary: 'Orders the stream holds open, per stage they wait for',
  tags: ['delivery'],
  querystring: filtersQuerystring,
  response: {
    200: withProvenance({
      stages: arrayOf(object({ stage, orders: int, valueCents: int, medianAgeDays: nullableNum, maxAgeDays: nullableNum })),
    }),
    ...errorResponses,
  },
} as const;

export const reviewImpactSchema = {
  summary: 'Review scores by how late the delivery was',
  tags: ['delivery'],
  querystring: filtersQuerystring,
  response: {
    200: withProvenance({
      buckets: arrayOf(object({ delayBucket: str, reviews: int, meanScore: num, lowScoreShare: num })),
    }),
    ...errorResponses,
  },
} as const;

const causeCounts = {
  lowScoreReviews: int,
  withText: int,
  causes: object({ delay: int, wrong_or_missing: int, product_quality: int, service: int, other: int }),
};

export const reviewCausesSchema = {
  summary: 'What low-score reviews complain of, by delay bucket and purchase month, and the share of delay for late and on-time orders',
  description:
    'From gold.review_causes_monthly: each 1-2 star review once, its causes given by the rule classifier of its Portuguese title and message (several per review). Only the month range applies.',
  tags: ['delivery'],
  querystring: filtersQuerystring,
  response: {
    200: withProvenance({
      byDelay: arrayOf(object({ delayBucket: { type: 'string', enum: ['on_time', '1-3', '4-7', '8+', 'not_delivered'] }, ...causeCounts })),
      byMonth: arrayOf(object({ month: str, ...causeCounts })),
      headline: arrayOf(object({ delivery: { type: 'string', enum: ['late', 'on_time', 'not_delivered'] }, lowScoreReviews: int, withText: int, delay: int, delayShare: nullableNum })),
    }),
    ...errorResponses,
  },
} as const;
