import type { BatchJob } from '../job.js';
import { GOLD_REVIEW_IMPACT } from './gold-review-impact.js';
import { SILVER_ORDER_ITEMS } from './silver-order-items.js';
import { SILVER_ORDERS } from './silver-orders.js';
import { SILVER_REVIEWS } from './silver-reviews.js';

export { GOLD_REVIEW_IMPACT, SILVER_ORDER_ITEMS, SILVER_ORDERS, SILVER_REVIEWS };

/** Every job, in an order where each runs after the jobs it reads. */
export const JOBS: readonly BatchJob[] = [SILVER_ORDERS, SILVER_ORDER_ITEMS, SILVER_REVIEWS, GOLD_REVIEW_IMPACT];
