import type { BatchJob } from '../job.js';
import { GOLD_DELIVERY_PERFORMANCE } from './gold-delivery-performance.js';
import { GOLD_LEAD_TIMES } from './gold-lead-times.js';
import { GOLD_PRODUCT_GRADES } from './gold-product-grades.js';
import { GOLD_PRODUCT_PORTFOLIO } from './gold-product-portfolio.js';
import { GOLD_PRODUCT_SALES_MONTHLY } from './gold-product-sales-monthly.js';
import { GOLD_REVIEW_CAUSES, GOLD_REVIEW_CAUSES_MONTHLY } from './gold-review-causes.js';
import { GOLD_REVIEW_IMPACT } from './gold-review-impact.js';
import { GOLD_ROUTE_NORMS } from './gold-route-norms.js';
import { GOLD_SALES_MONTHLY } from './gold-sales-monthly.js';
import { GOLD_SELLER_SCORECARD } from './gold-seller-scorecard.js';
import { SILVER_ORDER_ITEMS, SILVER_PAYMENTS } from './silver-order-items.js';
import { SILVER_ORDERS } from './silver-orders.js';
import { SILVER_CUSTOMERS, SILVER_PRODUCTS, SILVER_SELLERS } from './silver-reference.js';
import { SILVER_REJECTS } from './silver-rejects.js';
import { SILVER_REVIEW_CAUSES } from './silver-review-causes.js';
import { SILVER_REVIEWS } from './silver-reviews.js';

export {
  GOLD_DELIVERY_PERFORMANCE,
  GOLD_LEAD_TIMES,
  GOLD_PRODUCT_GRADES,
  GOLD_PRODUCT_PORTFOLIO,
  GOLD_PRODUCT_SALES_MONTHLY,
  GOLD_REVIEW_CAUSES,
  GOLD_REVIEW_CAUSES_MONTHLY,
  GOLD_REVIEW_IMPACT,
  GOLD_ROUTE_NORMS,
  GOLD_SALES_MONTHLY,
  GOLD_SELLER_SCORECARD,
  SILVER_CUSTOMERS,
  SILVER_ORDER_ITEMS,
  SILVER_ORDERS,
  SILVER_PAYMENTS,
  SILVER_PRODUCTS,
  SILVER_REJECTS,
  SILVER_REVIEW_CAUSES,
  SILVER_REVIEWS,
  SILVER_SELLERS,
};

/** The silver jobs, in an order where each runs after the jobs it reads. */
export const SILVER_JOBS: readonly BatchJob[] = [
  SILVER_CUSTOMERS,
  SILVER_SELLERS,
  SILVER_PRODUCTS,
  SILVER_ORDERS,
  SILVER_ORDER_ITEMS,
  SILVER_PAYMENTS,
  SILVER_REVIEWS,
  SILVER_REVIEW_CAUSES,
  SILVER_REJECTS,
];

/** Every job, in an order where each runs after the jobs it reads. */
export const JOBS: readonly BatchJob[] = [
  ...SILVER_JOBS,
  GOLD_REVIEW_IMPACT,
  GOLD_REVIEW_CAUSES,
  GOLD_REVIEW_CAUSES_MONTHLY,
  GOLD_SALES_MONTHLY,
  GOLD_PRODUCT_SALES_MONTHLY,
  GOLD_PRODUCT_PORTFOLIO,
  GOLD_PRODUCT_GRADES,
  GOLD_LEAD_TIMES,
  GOLD_DELIVERY_PERFORMANCE,
  GOLD_SELLER_SCORECARD,
  GOLD_ROUTE_NORMS,
];
