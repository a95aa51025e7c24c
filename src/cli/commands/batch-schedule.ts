import type { BatchRunReport, JobReport } from '../../batch/index.js';
import type { StreamBatch } from '../../deploy/index.js';
import { describeError } from '../output.js';
import { formatMs } from './common.js';

/** A batch run as JSON: the error as the CLI reports errors, each job's outcome and figures. */
export interface BatchRunJson {
  readonly run: number;
  readonly trigger: BatchRunReport['trigger'];
  readonly startedAt: string;
  readonly ms: number;
  readonly skippedTicks: number;
  readonly error: Record<string, unknown> | null;
  readonly jobs: readonly Pick<JobReport, 'job' | 'outcome' | 'rowsRead' | 'rowsWritten' | 'ms'>[];
}

export interface StreamBatchSummary {
  readonly intervalMs: number;
  readonly runs: number;
  readonly failed: number;
  readonly skippedTicks: number;
  readonly last: BatchRunJson | null;
}

export function batchRunJson(report: BatchRunReport): BatchRunJson {
  return {
    run: report.run,
    trigger: report.trigger,
    startedAt: report.startedAt,
    ms: Math.round(report.ms),
    skippedTicks: report.skippedTicks,
    error: report.error === null ? null : describeError(report.error).json,
    jobs: report.jobs.map((j) => ({ job: j.job, outcome: j.outcome, rowsRead: j.rowsRead, rowsWritten: j.rowsWritten, ms: Math.round(j.ms) })),
  };
}

/** One short line per run: how many jobs wrote, how many rows, how long; or why it failed. */
export function describeBatchRun(report: BatchRunReport): string {
  const count = (outcome: JobReport['outcome']): number => report.jobs.filter((j) => j.outcome === outcome).length;
  const rows = report.jobs.reduce((s, j) => s + j.rowsWritten, 0);
  const skipped = report.skippedTicks > 0 ? ` (${report.skippedTicks} tick${report.skippedTicks === 1 ? '' : 's'} skipped while it ran)` : '';
  if (report.error !== null) {
    return `batch run ${report.run} failed after ${formatMs(report.ms)} (${report.jobs.length} jobs done): ${describeError(report.error).line}${skipped}`;
  }
  return (
    `batch run ${report.run}: ${count('written')} written, ${count('unchanged')} unchanged, ${count('no-source')} without sources; ` +
    `${rows.toLocaleString('en-US')} rows written in ${formatMs(report.ms)}${skipped}`
  );
}

/** The batch layer's runs in a stream process, as the summary shows them. */
export function streamBatchSummary(batch: StreamBatch): StreamBatchSummary {
  const stats = batch.stats();
  return {
    intervalMs: batch.intervalMs,
    runs: stats.runs,
    failed: stats.failed,
    skippedTicks: stats.skippedTicks,
    last: stats.last === null ? null : batchRunJson(stats.last),
  };
}
