/** The batch layer: silver and gold Iceberg tables computed by DuckDB SQL from bronze, by source snapshot. */
export { runBatch, batchStatus, selectJobs, viewOf, SOURCES_PROPERTY } from './runner.js';
export type { JobReport, RunBatchOptions } from './runner.js';
export { JOBS, SILVER_ORDERS, SILVER_ORDER_ITEMS, SILVER_REVIEWS, GOLD_REVIEW_IMPACT } from './jobs/index.js';
export type { BatchJob } from './job.js';
export { BatchError } from './errors.js';
export { BatchScheduler } from './scheduler.js';
export type { BatchRunFn, BatchRunReport, BatchSchedulerOptions, BatchSchedulerStats, BatchTrigger } from './scheduler.js';
