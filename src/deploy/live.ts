import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BatchRunReport, BatchSchedulerStats } from '../batch/index.js';
import { TOPICS } from '../events/index.js';
import type { Pacing, ReplayProgress, ReplaySummary } from '../replay/index.js';
import type { BatchReport, EmittedChange, StreamProcessor } from '../stream/index.js';
import { ReferenceIngest } from '../stream/index.js';
import { StreamBatch } from './batch-schedule.js';
import type { Runtime } from './deployment.js';
import { openRuntime } from './deployment.js';
import { boundHeapGrowth } from './heap.js';
import { ConfigError } from './errors.js';
import { openProcessor } from './processor.js';
import type { ReplaySource } from './replay.js';
import { loadReplaySource, runReplay } from './replay.js';
import type { Settings } from './settings.js';

const DAY_MS = 86_400_000;

/** The live pipeline's corner of the state directory: `<state>/live`. */
export const LIVE_DIR = 'live';

/**
 * The live pipeline's defaults, chosen for the bundled sample (events from October 2016 to October
 * 2018, nearly all of them before September 2018):
 * - the history runs up to 2018-06-01 (local date), four fifths of the events, so every chart has
 *   two years of data at once, and June to August 2018 are left to be replayed live;
 * - a simulated day every 5 s: those three months take about eight minutes;
 * - quiet stretches of event time count as at most 6 hours: within a day the rhythm stays the
 *   data's (nights included, nearly), while the weeks the sample barely covers (September and
 *   October 2018) pass in seconds instead of minutes;
 * - a batch run every 30 s, about six simulated days: the batch tables follow the replay closely
 *   while a run (a few seconds on the sample) stays a small part of the time.
 */
export const LIVE_DEFAULTS = {
  historyUntil: '2018-06-01',
  dayEveryMs: 5_000,
  maxGapMs: 6 * 3_600_000,
  batchIntervalMs: 30_000,
} as const;

/** How fast the live part is replayed: a simulated day every `dayEveryMs`, or as fast as possible. */
export type LivePace = { readonly mode: 'max' } | { readonly mode: 'day-every'; readonly dayEveryMs: number; readonly maxGapMs?: number };

/** The replay room's pacing for a live pace: a day every N ms is a speed of 86 400 000 / N. */
export function livePacing(pace: LivePace): Pacing {
  if (pace.mode === 'max') return { mode: 'max' };
  if (!(Number.isFinite(pace.dayEveryMs) && pace.dayEveryMs > 0)) {
    throw new ConfigError('OP_CONFIG_BAD_VALUE', `a simulated day must take a positive time, got ${String(pace.dayEveryMs)} ms`, {
      details: { setting: 'dayEvery', value: pace.dayEveryMs },
    });
  }
  return { mode: 'speed', speed: DAY_MS / pace.dayEveryMs, maxGapMs: pace.maxGapMs ?? LIVE_DEFAULTS.maxGapMs };
}

/** The live pipeline's working directory inside a state directory. */
export function liveStateDir(state: string): string {
  return join(resolve(state), LIVE_DIR);
}

export type LivePhase = 'idle' | 'history' | 'live' | 'replay-ended' | 'stopping' | 'stopped' | 'failed';

/** The milestones of a run, in order, as they happen. */
export type LiveStep =
  | { readonly step: 'loaded'; readonly dataDir: string; readonly events: number; readonly ms: number }
  | { readonly step: 'history-replayed'; readonly until: number; readonly appended: number; readonly alreadyInLog: number; readonly ms: number }
  | { readonly step: 'stream-caught-up'; readonly phase: 'history' | 'live'; readonly records: number; readonly watermark: number | null; readonly ms: number }
  | { readonly step: 'history-batch'; readonly report: BatchRunReport; readonly tablesWritten: number }
  | { readonly step: 'live-started'; readonly from: number; readonly pacing: Pacing; readonly batchIntervalMs: number }
  | { readonly step: 'replay-ended'; readonly summary: ReplaySummary }
  | { readonly step: 'stopped' };

export interface LiveOptions {
  /**
   * The deployment's settings. The pipeline works in `<state>/live`, always embedded: cluster
   * settings (Kafka, a shared registry, a warehouse or catalog elsewhere) are ignored, so a
   * demonstration never writes into shared systems.
   */
  readonly settings: Settings;
  /** The history is the events before this instant; the rest is replayed live. */
  readonly historyUntil: number;
  readonly pace: LivePace;
  /** Time between two batch runs in the live phase (ms, at least a second). */
  readonly batchIntervalMs: number;
  /**
   * Keep what `<state>/live` holds and continue from it (the replay and the processor resume where
   * they stopped). By default the directory is wiped at start: each start is a fresh run.
   */
  readonly resume?: boolean;
  /** Resolves `settings.data` (default the process's working directory). */
  readonly cwd?: string;
  /** The dataset, already loaded (default: `settings.data` is loaded). */
  readonly source?: ReplaySource;
  /**
   * Awaited once the history is in every table, before the live phase starts: what serves the
   * tables (an HTTP server) starts here, so it is up before the data starts moving. Throwing
   * fails `start`, which stops the pipeline.
   */
  readonly onHistoryReady?: (history: HistoryReport, runtime: Runtime) => Promise<void> | void;
  readonly onStep?: (step: LiveStep) => void;
  readonly onReplayProgress?: (phase: 'history' | 'live', progress: ReplayProgress) => void;
  readonly onStreamBatch?: (batch: BatchReport) => void;
  readonly onAlerts?: (changes: readonly EmittedChange[]) => void;
  readonly onBatchRun?: (report: BatchRunReport) => void;
  /** A part failed in the background (the processor, the replay, the reference ingest); call `stop`. */
  readonly onFailure?: (error: Error) => void;
}

/** What the history phase left: the run's figures up to the cut. */
export interface HistoryReport {
  /** True when `stop` came before the history phase ended: the live phase never started. */
  readonly stopped: boolean;
  readonly replay: ReplaySummary | null;
  readonly processed: number;
  readonly batch: BatchRunReport | null;
}

export interface LiveStatus {
  readonly phase: LivePhase;
  readonly stateDir: string;
  readonly historyUntil: number;
  readonly pacing: Pacing;
  /** The newest replayed event time: the simulated clock. */
  readonly simulatedTime: number | null;
  readonly replay: { readonly history: ReplayProgress | null; readonly live: ReplayProgress | null };
  /** Order and review events in bronze, and the stream's watermark (null before the first event). */
  readonly stream: { readonly processed: number; readonly watermark: number | null };
  readonly batch: BatchSchedulerStats | null;
  readonly failure: Error | null;
}

/**
 * The embedded pipeline end to end, as `orderpulse start` runs it: the history replayed as fast as
 * possible, the stream processor run until idle and the batch layer once, so every table has data
 * at once; then the rest of the dataset replayed at a live-looking pace with the processor, the
 * reference ingest and the batch schedule running beside it. When the replay reaches the end of
 * the data, the rest keeps running (the processor idle) until `stop`.
 */
export class LivePipeline {
  readonly stateDir: string;
  readonly #options: LiveOptions;
  readonly #settings: Settings;
  readonly #pacing: Pacing;
  readonly #abort = new AbortController();
  #phase: LivePhase = 'idle';
  #runtime: Runtime | null = null;
  #processor: StreamProcessor | null = null;
  #ingest: ReferenceIngest | null = null;
  #batch: StreamBatch | null = null;
  #history: Promise<HistoryReport> | null = null;
  #source: ReplaySource | null = null;
  #liveReplay: Promise<void> | null = null;
  #processorRun: Promise<void> | null = null;
  #stopping: Promise<void> | null = null;
  #failure: Error | null = null;
  #historyProgress: ReplayProgress | null = null;
  #liveProgress: ReplayProgress | null = null;
  #simulatedTime: number | null = null;
  /** Order and review records in the log once the live replay has ended: the processor has caught up at this count. */
  #inputEnd: number | null = null;
  #liveStarted = 0;
  readonly #caughtUp: { promise: Promise<void>; resolve: () => void };
  readonly #replayEnded: { promise: Promise<ReplaySummary>; resolve: (summary: ReplaySummary) => void };

  constructor(options: LiveOptions) {
    this.#options = options;
    this.#pacing = livePacing(options.pace);
    this.stateDir = liveStateDir(options.settings.state);
    // The batch interval of the live phase is the settings' too: the processor keeps its tables'
    // snapshots for twice the interval the batch layer reads them at (`streamSnapshotExpiry`).
    this.#settings = { ...options.settings, batchInterval: options.batchIntervalMs, state: this.stateDir, kafka: [], registry: '', warehouse: '', catalog: '' };
    let resolveCaughtUp = (): void => undefined;
    const caughtUp = new Promise<void>((done) => (resolveCaughtUp = done));
    this.#caughtUp = { promise: caughtUp, resolve: resolveCaughtUp };
    let resolveEnded: (summary: ReplaySummary) => void = () => undefined;
    const ended = new Promise<ReplaySummary>((done) => (resolveEnded = done));
    this.#replayEnded = { promise: ended, resolve: resolveEnded };
  }

  get phase(): LivePhase {
    return this.#phase;
  }

  /** The runtime the pipeline writes through (the log, the lake): there from `start` until `stop`. */
  get runtime(): Runtime {
    if (this.#runtime === null) throw new Error('the live pipeline has no runtime: start it first');
    return this.#runtime;
  }

  /** Resolves when the live replay has appended the last event of the dataset. */
  get replayEnded(): Promise<ReplaySummary> {
    return this.#replayEnded.promise;
  }

  /** Resolves once the replay has ended and the processor has written every event of the log to bronze. */
  caughtUp(): Promise<void> {
    return this.#caughtUp.promise;
  }

  status(): LiveStatus {
    const processor = this.#processor;
    const watermark = processor === null ? null : processor.watermark;
    return {
      phase: this.#phase,
      stateDir: this.stateDir,
      historyUntil: this.#options.historyUntil,
      pacing: this.#pacing,
      simulatedTime: this.#simulatedTime,
      replay: { history: this.#historyProgress, live: this.#liveProgress },
      stream: { processed: processor?.processed ?? 0, watermark: watermark !== null && Number.isFinite(watermark) ? watermark : null },
      batch: this.#batch?.stats() ?? null,
      failure: this.#failure,
    };
  }

  /**
   * Runs the history phase and starts the live phase in the background; resolves once the history
   * is in every table (or `stop` came first). A failure stops what was started and is thrown.
   */
  async start(): Promise<HistoryReport> {
    if (this.#history !== null) throw new Error('the live pipeline was already started');
    this.#history = this.#runHistory();
    try {
      return await this.#history;
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /**
   * Stops everything, in order: the replay (after the batch in flight), the processor (after its
   * batch in flight, outputs brought up to date), the batch run in flight, the reference ingest,
   * then the runtime. Idempotent: every call returns the same promise.
   */
  stop(): Promise<void> {
    return (this.#stopping ??= this.#stop());
  }

  async #stop(): Promise<void> {
    const failed = this.#phase === 'failed';
    this.#phase = 'stopping';
    this.#abort.abort();
    const failures: unknown[] = [];
    const attempt = async (work: () => Promise<unknown> | undefined): Promise<void> => {
      try {
        await work();
      } catch (error) {
        failures.push(error);
      }
    };
    // The history phase's own error went to `start`'s caller.
    await this.#history?.catch(() => undefined);
    await attempt(() => this.#liveReplay ?? undefined);
    await attempt(() => this.#processorRun ?? undefined);
    await attempt(() => this.#batch?.finish(false));
    await attempt(() => this.#ingest?.close());
    await attempt(() => this.#runtime?.close());
    this.#phase = failed ? 'failed' : 'stopped';
    this.#options.onStep?.({ step: 'stopped' });
    if (failures.length > 0) throw failures[0];
  }

  #fail(error: unknown): void {
    if (this.#abort.signal.aborted) return;
    const failure = error instanceof Error ? error : new Error(String(error));
    this.#failure = failure;
    this.#phase = 'failed';
    this.#options.onFailure?.(failure);
  }

  get #stopped(): boolean {
    return this.#abort.signal.aborted;
  }

  async #runHistory(): Promise<HistoryReport> {
    const options = this.#options;
    const signal = this.#abort.signal;
    this.#phase = 'history';
    if (options.resume !== true) rmSync(this.stateDir, { recursive: true, force: true });
    mkdirSync(this.stateDir, { recursive: true });
    boundHeapGrowth();
    const runtime = openRuntime(this.#settings, { writerThread: true });
    this.#runtime = runtime;
    const notStarted: HistoryReport = { stopped: true, replay: null, processed: 0, batch: null };

    let source = options.source;
    if (source === undefined) {
      const loading = performance.now();
      const dataDir = resolve(options.cwd ?? process.cwd(), this.#settings.data);
      source = await loadReplaySource(dataDir);
      options.onStep?.({ step: 'loaded', dataDir, events: source.events.length, ms: performance.now() - loading });
    }
    this.#source = source;
    if (this.#stopped) return notStarted;

    const replayed = await runReplay(this.#settings, {
      runtime,
      source,
      pacing: { mode: 'max' },
      until: options.historyUntil,
      signal,
      onProgress: (p) => {
        this.#historyProgress = p;
        if (p.simulatedTime !== null) this.#simulatedTime = p.simulatedTime;
        options.onReplayProgress?.('history', p);
      },
    });
    const history = replayed.summary;
    if (this.#stopped) return { ...notStarted, replay: history };
    options.onStep?.({ step: 'history-replayed', until: options.historyUntil, appended: history.appended, alreadyInLog: history.alreadyInLog, ms: history.elapsedMs });

    // The processor's input topics exist even when the history is empty (a cut before the data).
    for (const topic of [TOPICS.orders, TOPICS.reviews]) await runtime.log.createTopic({ name: topic, partitions: this.#settings.partitions });
    const catchingUp = performance.now();
    const ingest = await ReferenceIngest.start(runtime, { signal });
    this.#ingest = ingest;
    const processor = await openProcessor(runtime, this.#settings, {
      onAlerts: options.onAlerts,
      onBatch: (b) => {
        if (b.idle) ingest.nudge();
        this.#checkCaughtUp();
        options.onStreamBatch?.(b);
      },
    });
    this.#processor = processor;
    await processor.run({ untilIdle: true, signal: AbortSignal.any([signal, ingest.failed]) });
    if (ingest.failed.aborted) throw ingest.failed.reason;
    if (this.#stopped) return { ...notStarted, replay: history, processed: processor.processed };
    options.onStep?.({ step: 'stream-caught-up', phase: 'history', records: processor.processed, watermark: this.status().stream.watermark, ms: performance.now() - catchingUp });

    const batch = StreamBatch.open(await runtime.lake(), { intervalMs: options.batchIntervalMs, ...(options.onBatchRun === undefined ? {} : { onRun: options.onBatchRun }) });
    this.#batch = batch;
    const first = await batch.runNow();
    options.onStep?.({ step: 'history-batch', report: first, tablesWritten: first.jobs.filter((j) => j.outcome === 'written').length });
    const report: HistoryReport = { stopped: false, replay: history, processed: processor.processed, batch: first };
    if (!this.#stopped) await options.onHistoryReady?.(report, runtime);
    if (this.#stopped) return { ...report, stopped: true };
    this.#startLive(runtime, processor, ingest, batch);
    return report;
  }

  #startLive(runtime: Runtime, processor: StreamProcessor, ingest: ReferenceIngest, batch: StreamBatch): void {
    const options = this.#options;
    const signal = this.#abort.signal;
    this.#phase = 'live';
    this.#liveStarted = performance.now();
    batch.start();
    options.onStep?.({ step: 'live-started', from: options.historyUntil, pacing: this.#pacing, batchIntervalMs: batch.intervalMs });
    this.#processorRun = processor.run({ signal: AbortSignal.any([signal, ingest.failed]) }).then(
      () => {
        if (ingest.failed.aborted) this.#fail(ingest.failed.reason);
      },
      (error: unknown) => this.#fail(error),
    );
    this.#liveReplay = runReplay(this.#settings, {
      runtime,
      source: this.#source ?? undefined,
      pacing: this.#pacing,
      from: options.historyUntil,
      signal,
      onProgress: (p) => {
        this.#liveProgress = p;
        if (p.simulatedTime !== null) this.#simulatedTime = p.simulatedTime;
        options.onReplayProgress?.('live', p);
      },
    }).then(
      async ({ summary }) => {
        if (!summary.completed || this.#stopped) return;
        if (this.#phase === 'live') this.#phase = 'replay-ended';
        this.#replayEnded.resolve(summary);
        options.onStep?.({ step: 'replay-ended', summary });
        const topics = await runtime.log.describeTopics([TOPICS.orders, TOPICS.reviews]);
        this.#inputEnd = topics.reduce((n, t) => n + t.endOffsets.reduce((m, end, p) => m + end - (t.beginningOffsets[p] ?? 0), 0), 0);
        this.#checkCaughtUp();
      },
      (error: unknown) => this.#fail(error),
    );
  }

  #checkCaughtUp(): void {
    const processor = this.#processor;
    if (this.#inputEnd === null || processor === null || processor.processed < this.#inputEnd) return;
    const inputEnd = this.#inputEnd;
    this.#inputEnd = null;
    this.#caughtUp.resolve();
    this.#options.onStep?.({ step: 'stream-caught-up', phase: 'live', records: inputEnd, watermark: this.status().stream.watermark, ms: performance.now() - this.#liveStarted });
  }
}
