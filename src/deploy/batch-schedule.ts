import type { BatchRunReport, BatchSchedulerStats, JobReport } from '../batch/index.js';
import { BatchScheduler } from '../batch/index.js';
import type { Lake } from '../lake/index.js';

export interface StreamBatchOptions {
  /** Time between the starts of two runs (ms, at least a second). */
  readonly intervalMs: number;
  /** Each run as it ends, failed or not. */
  readonly onRun?: (report: BatchRunReport) => void;
  /** Each job as it finishes, within a run. */
  readonly onJob?: (report: JobReport) => void;
}

/**
 * The batch layer inside a process that runs the stream processor (`stream --batch-every`, the
 * live pipeline): a scheduler over the process's lake, which ends with the processor. Opened
 * without a schedule, it runs only when asked (`runNow`) until `start`.
 */
export class StreamBatch {
  readonly #scheduler: BatchScheduler;

  private constructor(scheduler: BatchScheduler) {
    this.#scheduler = scheduler;
  }

  /** A batch layer that runs only when asked until `start`. */
  static open(lake: Lake, options: StreamBatchOptions): StreamBatch {
    return new StreamBatch(
      new BatchScheduler(lake, {
        intervalMs: options.intervalMs,
        ...(options.onRun === undefined ? {} : { onRun: options.onRun }),
        ...(options.onJob === undefined ? {} : { onJob: options.onJob }),
      }),
    );
  }

  /** Opens and starts the schedule; the first run comes one interval after the start, once the stream has written. */
  static start(lake: Lake, options: StreamBatchOptions): StreamBatch {
    const batch = StreamBatch.open(lake, options);
    batch.start();
    return batch;
  }

  /** The interval as the schedule keeps it: whole seconds, in milliseconds. */
  get intervalMs(): number {
    return this.#scheduler.intervalMs;
  }

  /** Starts the schedule: a run every interval from now. */
  start(): void {
    this.#scheduler.start();
  }

  /** One run now, after the one in progress if any; reported to `onRun` like the scheduled ones. */
  runNow(): Promise<BatchRunReport> {
    return this.#scheduler.runNow();
  }

  /** Ends the schedule, waiting for a run in progress; with `lastRun`, one more run over everything written. */
  async finish(lastRun: boolean): Promise<BatchRunReport | null> {
    await this.#scheduler.stop();
    return lastRun ? this.#scheduler.runNow() : null;
  }

  stats(): BatchSchedulerStats {
    return this.#scheduler.stats();
  }
}
