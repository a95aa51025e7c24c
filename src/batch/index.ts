/** The batch layer: silver and gold Iceberg tables computed by DuckDB SQL from bronze, by source snapshot. */
export { runBatch, batchStatus, selectJobs, viewOf, jobQuery, SOURCES_PROPERTY, RUN_PROPERTY, runChannel } from './runner.js';
export type { JobReport, JobOutcome, JobStatus, LastRun, RunBatchOptions, RunFigures, BatchRunEvent } from './runner.js';
export { JOBS, SILVER_JOBS, SILVER_ORDERS, SILVER_ORDER_ITEMS, SILVER_PAYMENTS, SILVER_REVIEWS, SILVER_CUSTOMERS, SILVER_SELLERS, SILVER_PRODUCTS, SILVER_REJECTS, SILVER_REVIEW_CAUSES, GOLD_REVIEW_IMPACT, GOLD_REVIEW_CAUSES, GOLD_REVIEW_CAUSES_MONTHLY } from './jobs/index.js';
export {
  GOLD_SALES_MONTHLY,
  GOLD_PRODUCT_SALES_MONTHLY,
  GOLD_PRODUCT_PORTFOLIO,
  GOLD_PRODUCT_GRADES,
  GOLD_LEAD_TIMES,
  GOLD_DELIVERY_PERFORMANCE,
  GOLD_SELLER_SCORECARD,
  GOLD_ROUTE_NORMS,
} from './jobs/index.js';
export type { BatchJob } from './job.js';
export { BatchError } from './errors.js';
export { BatchScheduler } from './scheduler.js';
export type { BatchRunFn, BatchRunReport, BatchSchedulerOptions, BatchSchedulerStats, BatchTrigger } from './scheduler.js';
