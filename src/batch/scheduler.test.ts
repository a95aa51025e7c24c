import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Lake } from '../lake/index.js';
import { tempDir } from '../testing/fixtures.js';
import { openSamplePipeline, sampleEvents } from '../testing/sample-pipeline.js';
import type { BatchRunFn, BatchRunReport, JobReport } from './index.js';
import { BatchError, BatchScheduler, selectJobs } from './index.js';

/** A promise with its resolve function outside, to let a test decide when a fake run ends. */
function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A queue of the runs the scheduler reports, taken one at a time in order. */
class Reports {
  readonly #queue: BatchRunReport[] = [];
  readonly #waiting: ((r: BatchRunReport) => void)[] = [];
  push = (report: BatchRunReport): void => {
    const waiter = this.#waiting.shift();
    if (waiter === undefined) this.#queue.push(report);
    else waiter(report);
  };
  next(): Promise<BatchRunReport> {
    const ready = this.#queue.shift();
    return ready === undefined ? new Promise((r) => this.#waiting.push(r)) : Promise.resolve(ready);
  }
}

/** A job's report as a fake run gives it: the scheduler passes reports on without reading them. */
const job = (name: string): JobReport => ({ job: name, outcome: 'unchanged', rowsRead: 0, rowsWritten: 0, ms: 0 }) as Partial<JobReport> as JobReport;

// The fake runs never touch the lake; the scheduler only hands it over.
const noLake = {} as Lake;

describe('BatchScheduler with a stand-in run', () => {
  it('never runs twice at once: a tick during a run is skipped, counted and reported', async () => {
    let active = 0;
    let most = 0;
    let calls = 0;
    const release = deferred();
    const skipped = deferred();
    const run: BatchRunFn = async () => {
      calls += 1;
      active += 1;
      most = Math.max(most, active);
      // Only the first run is held, long enough for ticks to come while it is in progress.
      if (calls === 1) await release.promise;
      active -= 1;
      return [];
    };
    const reports = new Reports();
    const scheduler = new BatchScheduler(noLake, { intervalMs: 1000, run, onRun: reports.push, onSkip: () => skipped.resolve() });
    scheduler.start();
    try {
      await skipped.promise;
      assert.equal(scheduler.stats().running, true);
      assert.equal(calls, 1, 'the skipped tick started nothing');
      release.resolve();
      const first = await reports.next();
      assert.equal(first.run, 1);
      assert.equal(first.trigger, 'tick');
      assert.ok(first.skippedTicks >= 1, `skipped ticks reported: ${first.skippedTicks}`);
      const second = await reports.next();
      assert.equal(second.run, 2);
      assert.equal(second.skippedTicks, 0);
      assert.equal(most, 1);
      assert.equal(scheduler.stats().skippedTicks, first.skippedTicks);
    } finally {
      await scheduler.stop();
    }
  });

  it('reports a failed run with its error and the jobs before it, and the next tick runs again', async () => {
    let calls = 0;
    const run: BatchRunFn = (_lake, options) => {
      calls += 1;
      options.onJob?.(job('silver.orders'));
      if (calls === 1) return Promise.reject(new BatchError('OP_BATCH_TEST', 'the first run fails'));
      return Promise.resolve([job('silver.orders')]);
    };
    const reports = new Reports();
    const seen: string[] = [];
    const scheduler = new BatchScheduler(noLake, { intervalMs: 1000, runAtStart: true, run, onRun: reports.push, onJob: (r) => seen.push(r.job) });
    scheduler.start();
    try {
      const failed = await reports.next();
      assert.equal(failed.trigger, 'start');
      assert.ok(failed.error instanceof BatchError);
      assert.equal(failed.error.code, 'OP_BATCH_TEST');
      assert.deepEqual(failed.jobs.map((j) => j.job), ['silver.orders']);
      const next = await reports.next();
      assert.equal(next.trigger, 'tick');
      assert.equal(next.error, null);
      assert.deepEqual(scheduler.stats(), { runs: 2, failed: 1, skippedTicks: 0, running: false, last: next });
      assert.deepEqual(seen, ['silver.orders', 'silver.orders']);
    } finally {
      await scheduler.stop();
    }
  });

  it('stop waits for the run in progress, and nothing runs after it', async () => {
    const release = deferred();
    const started = deferred();
    let finished = false;
    let calls = 0;
    const run: BatchRunFn = async () => {
      calls += 1;
      started.resolve();
      await release.promise;
      finished = true;
      return [];
    };
    const scheduler = new BatchScheduler(noLake, { intervalMs: 1000, runAtStart: true, run });
    scheduler.start();
    await started.promise;
    let stopped = false;
    const stopping = scheduler.stop().then(() => {
      stopped = true;
    });
    // Let every pending callback run: stop must still be waiting on the held run.
    await new Promise((r) => setImmediate(r));
    assert.equal(stopped, false);
    release.resolve();
    await stopping;
    assert.equal(finished, true);
    assert.equal(scheduler.stats().running, false);
    assert.throws(() => scheduler.start(), (e: unknown) => e instanceof BatchError && e.code === 'OP_BATCH_SCHEDULER_STOPPED');
    // A manual run still works after stop (the stream's last run after idle), and is the only one.
    const last = await scheduler.runNow();
    assert.equal(last.trigger, 'manual');
    assert.equal(calls, 2);
  });

  it('runNow waits for the run in progress, then runs', async () => {
    const release = deferred();
    const order: string[] = [];
    let calls = 0;
    const run: BatchRunFn = async () => {
      const n = (calls += 1);
      order.push(`start ${n}`);
      if (n === 1) await release.promise;
      order.push(`end ${n}`);
      return [];
    };
    const scheduler = new BatchScheduler(noLake, { intervalMs: 60_000, runAtStart: true, run });
    scheduler.start();
    const manual = scheduler.runNow();
    release.resolve();
    assert.equal((await manual).run, 2);
    await scheduler.stop();
    assert.deepEqual(order, ['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('refuses an interval under a second', () => {
    assert.throws(() => new BatchScheduler(noLake, { intervalMs: 500 }), (e: unknown) => e instanceof BatchError && e.code === 'OP_BATCH_BAD_INTERVAL');
    assert.equal(new BatchScheduler(noLake, { intervalMs: 1500 }).intervalMs, 2000, 'whole seconds, rounded up');
  });
});

describe('BatchScheduler running the real batch on the Olist sample', () => {
  const dir = tempDir();
  let lake: Lake;
  let close: () => Promise<void>;

  before(async () => {
    const pipeline = await openSamplePipeline(dir.path, await sampleEvents());
    await pipeline.feed();
    lake = pipeline.lake;
    close = () => pipeline.close();
  });
  after(async () => {
    await close();
    dir.remove();
  });

  it('runs every job once at start and writes silver and gold from bronze', async () => {
    const reports = new Reports();
    const scheduler = new BatchScheduler(lake, { intervalMs: 3_600_000, runAtStart: true, onRun: reports.push });
    scheduler.start();
    const first = await reports.next();
    await scheduler.stop();
    assert.equal(first.error, null);
    // In the order they ended: jobs that do not read each other run side by side.
    assert.deepEqual(
      first.jobs.map((j) => [j.job, j.outcome]).sort(),
      selectJobs(undefined).map((j) => [j.name, 'written']).sort(),
    );
    const orders = await (await lake.table('silver.orders')).scan();
    assert.equal(orders.recordCount, 13_092);
    // The next run finds nothing new to read.
    const again = await scheduler.runNow();
    assert.ok(again.jobs.every((j) => j.outcome === 'unchanged'));
  });
});
