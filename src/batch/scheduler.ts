import { Cron } from 'croner';
import type { Lake } from '../lake/index.js';
import { BatchError } from './errors.js';
import type { JobReport, RunBatchOptions } from './runner.js';
import { runBatch } from './runner.js';

/** What runs the jobs: `runBatch`, or a stand-in in tests. */
export type BatchRunFn = (lake: Lake, options: RunBatchOptions) => Promise<readonly JobReport[]>;

/** What started a run: the first run at start, a tick of the schedule, or `runNow`. */
export type BatchTrigger = 'start' | 'tick' | 'manual';

export interface BatchRunReport {
  /** 1 for the scheduler's first run, then counting up. */
  readonly run: number;
  readonly trigger: BatchTrigger;
  /** When the run started (ISO 8601, UTC). */
  readonly startedAt: string;
  readonly ms: number;
  /** The jobs that finished, in the order they ended; a failed run holds those that ended. */
  readonly jobs: readonly JobReport[];
  /** Why the run failed; null when every job finished. */
  readonly error: Error | null;
  /** Ticks that came while this run was in progress and were skipped. */
  readonly skippedTicks: number;
}

export interface BatchSchedulerStats {
  readonly runs: number;
  readonly failed: number;
  readonly skippedTicks: number;
  readonly running: boolean;
  readonly last: BatchRunReport | null;
}

export interface BatchSchedulerOptions {
  /** Time between the starts of two runs, in ms: at least 1000, rounded up to whole seconds. */
  readonly intervalMs: number;
  /** Run once as soon as `start` is called, instead of one interval later. */
  readonly runAtStart?: boolean;
  /** Passed to every run: `full`, `jobs`. */
  readonly batch?: Omit<RunBatchOptions, 'onJob'>;
  /** Each job as it finishes, within a run. */
  readonly onJob?: (report: JobReport) => void;
  /** Each run as it ends, failed or not. */
  readonly onRun?: (report: BatchRunReport) => void;
  /** A tick skipped because a run was still in progress. */
  readonly onSkip?: (info: { readonly run: number; readonly skippedTicks: number }) => void;
  /** Runs the jobs; default `runBatch`. */
  readonly run?: BatchRunFn;
}

/**
 * Runs the batch jobs every `intervalMs` inside a long-running process (the stream processor's).
 *
 * - Never two runs at once: a tick that comes while a run is in progress is skipped and counted,
 *   since a second run would compute the same tables from nearly the same snapshots and its
 *   commits would only race the first one's.
 * - A failed run is reported (`onRun` with its error) and the scheduler keeps going: the next tick
 *   tries again, and since a job commits its result with its progress, it redoes only what failed.
 * - `stop` ends the schedule and waits for a run in progress, so the process can close the lake
 *   under no one.
 *
 * The schedule is croner's: a tick every second, thinned to one per interval, with the first at
 * start plus one interval. Croner counts whole seconds, hence the interval's resolution.
 */
export class BatchScheduler {
  readonly #lake: Lake;
  readonly #options: BatchSchedulerOptions;
  readonly #run: BatchRunFn;
  readonly #seconds: number;
  #cron: Cron | null = null;
  #current: Promise<BatchRunReport> | null = null;
  #stopped = false;
  #runs = 0;
  #failed = 0;
  #skippedTotal = 0;
  #skippedThisRun = 0;
  #last: BatchRunReport | null = null;

  constructor(lake: Lake, options: BatchSchedulerOptions) {
    if (!(Number.isFinite(options.intervalMs) && options.intervalMs >= 1000)) {
      throw new BatchError('OP_BATCH_BAD_INTERVAL', `the batch interval must be at least 1s, not ${String(options.intervalMs)} ms`, {
        details: { intervalMs: options.intervalMs },
      });
    }
    this.#lake = lake;
    this.#options = options;
    this.#run = options.run ?? runBatch;
    this.#seconds = Math.ceil(options.intervalMs / 1000);
  }

  /** The interval as the schedule keeps it: whole seconds, in milliseconds. */
  get intervalMs(): number {
    return this.#seconds * 1000;
  }

  /** Starts the schedule (and a first run when `runAtStart`). */
  start(): void {
    if (this.#stopped) throw new BatchError('OP_BATCH_SCHEDULER_STOPPED', 'the batch scheduler was stopped; make a new one');
    if (this.#cron !== null) return;
    this.#cron = new Cron(
      '* * * * * *',
      { interval: this.#seconds, startAt: new Date(Date.now() + this.#seconds * 1000) },
      // Never awaited by croner: the overrun guard is ours, so runs started by `runNow` count too.
      () => this.#tick('tick'),
    );
    if (this.#options.runAtStart === true) this.#tick('start');
  }

  /**
   * One run now, after the one in progress if any (whose sources may predate what the caller wants
   * read). Works before `start` and after `stop`: the stream's last run after idle uses it.
   */
  async runNow(): Promise<BatchRunReport> {
    while (this.#current !== null) await this.#current;
    return this.#begin('manual');
  }

  /** Ends the schedule and waits for the run in progress. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cron?.stop();
    this.#cron = null;
    while (this.#current !== null) await this.#current;
  }

  stats(): BatchSchedulerStats {
    return { runs: this.#runs, failed: this.#failed, skippedTicks: this.#skippedTotal, running: this.#current !== null, last: this.#last };
  }

  #tick(trigger: BatchTrigger): void {
    if (this.#current !== null) {
      this.#skippedTotal += 1;
      this.#skippedThisRun += 1;
      this.#options.onSkip?.({ run: this.#runs, skippedTicks: this.#skippedThisRun });
      return;
    }
    // #begin reports every outcome through onRun and never rejects.
    void this.#begin(trigger);
  }

  #begin(trigger: BatchTrigger): Promise<BatchRunReport> {
    const run = this.#execute(trigger).then((report) => {
      // The run is over before it is reported, so a callback sees the scheduler idle.
      this.#current = null;
      this.#last = report;
      try {
        this.#options.onRun?.(report);
      } catch {
        // A reporting callback that throws must not stop the schedule nor fail a waiting stop().
      }
      return report;
    });
    this.#current = run;
    return run;
  }

  async #execute(trigger: BatchTrigger): Promise<BatchRunReport> {
    this.#runs += 1;
    this.#skippedThisRun = 0;
    const number = this.#runs;
    const startedAt = new Date();
    const started = performance.now();
    const jobs: JobReport[] = [];
    let error: Error | null = null;
    try {
      await this.#run(this.#lake, {
        ...this.#options.batch,
        onJob: (report) => {
          jobs.push(report);
          this.#options.onJob?.(report);
        },
      });
    } catch (cause) {
      error = cause instanceof Error ? cause : new BatchError('OP_BATCH_RUN_FAILED', `the batch run failed: ${String(cause)}`, { cause });
      this.#failed += 1;
    }
    return {
      run: number,
      trigger,
      startedAt: startedAt.toISOString(),
      ms: performance.now() - started,
      jobs,
      error,
      skippedTicks: this.#skippedThisRun,
    };
  }
}
