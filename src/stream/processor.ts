import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { TOPICS } from '../events/index.js';
import type { IcebergTable } from '../lake/index.js';
import { LakeError } from '../lake/index.js';
import type { EventLog } from '../log/index.js';
import { partitionFor } from '../log/index.js';
import { ALERTS_TOPIC } from './alert-codec.js';
import type { DetectorStats } from './detector.js';
import type { DetectorSnapshot } from './detector-snapshot.js';
import { ProductGrades } from './grades.js';
import { RISK_NORMS_PROPERTY, RiskFollower, formatRiskPin, parseRiskPin } from './risk-follower.js';
import type { InputRecord } from './merge.js';
import { EndOffsets, LogMerger, NEED_FETCH } from './merge.js';
import { batchChannel, rebuildChannel } from './channels.js';
import type { CheckpointPointer, CheckpointPolicy } from './checkpoint.js';
import { checkpointLocation, checkpointProperty, formatPointer } from './checkpoint.js';
import { takeCheckpoint } from './checkpoint-store.js';
import type { StreamBatchEvent, StreamRebuildEvent } from './channels.js';
import type { StreamTask } from './task.js';
import { StreamOutputs } from './outputs.js';
import { ExpirySchedule } from './expiry.js';
import { describeInput, openTasks } from './open-tasks.js';
import { advanceQuietTasks, allQuiet, logTail } from './idle-policy.js';
import { checkedPolicy, publishedPositions, rebuildTasks } from './recovery.js';
import type { BatchReport, EmittedChange, RecoveryReport, RunOptions, RunReport, StreamProcessorOptions } from './processor-types.js';
import { DEFAULT_IDLE_POLICY } from './processor-types.js';
import type { PositionedLateEvent, StreamPosition, TaskId } from './tables.js';
import {
  ALERT_EVENTS,
  ALERT_EVENTS_TABLE,
  BRONZE_EVENTS,
  BRONZE_EVENTS_TABLE,
  LATE_EVENTS,
  LATE_EVENTS_TABLE,
  OPEN_ALERTS,
  OPEN_ALERTS_TABLE,
  comparePositions,
  formatPosition,
  offsetsProperty,
  positionProperty,
  watermarkProperty,
  BronzeRows,
  ensureColumns,
  RISK_COLUMNS,
} from './tables.js';
import type { Alert, Rule } from './types.js';
import { RULE_NAMES } from './types.js';

/**
 * The stream processor: the log in micro-batches → bronze (exactly once) → the delay detectors →
 * alerts (the alerts topic, `gold.alert_events`, `gold.open_alerts`) and late events.
 *
 * The work is split in TASKS, one per input partition number (see `StreamTask`): each merges its
 * partitions of the input topics in event-time order and runs its own detector. A processor runs
 * the tasks it is given (all by default); several processors can share them, each owning some.
 *
 * One batch:
 *   1. take records from each task's merged input, each given the task's next processing position
 *      (`processed_seq`);
 *   2. run them through the task's detector, collecting alert changes and late events;
 *   3. append them to bronze in ONE commit whose summary holds, per task, the log offsets after the
 *      batch and the position reached: that commit is the decision point;
 *   4. publish the alert changes to the alerts topic and hand them on (`onAlerts`); append alert
 *      and late events to their tables at most every `goldEveryMs`, and rewrite the open alerts at
 *      most every `openAlertsEveryMs`. Each output records, per task, the position it holds
 *      everything up to (in its records or its snapshot summary).
 *
 * Restart (`open`): each task's state is read from its newest checkpoint (see `checkpoint.ts`), and
 * the bronze rows after it are read back in processing order and replayed through the detector,
 * which rebuilds the exact state (the detector is deterministic); without a usable checkpoint, all
 * of the task's bronze rows are replayed through a new detector. Each output gets
 * what it lacks — the outputs after its recorded position; reading resumes at bronze's offsets. So a
 * kill -9 at any point loses nothing and duplicates nothing in the lake or on the alerts topic.
 *
 * A failed batch (the lake or log unreachable) stops the processor with the error: its in-memory
 * state may be ahead of the lake, and a restart recovers from the lake.
 */

export { DEFAULT_IDLE_POLICY } from './processor-types.js';
export type { IdlePolicy, StreamProcessorOptions, EmittedChange, BatchReport, RecoveryReport, RunOptions, RunReport } from './processor-types.js';


export class StreamProcessor {
  readonly recovery: RecoveryReport;
  /** Partitions of each input topic (and of the alerts topic). */
  readonly partitions: number;
  readonly #options: StreamProcessorOptions;
  readonly #log: EventLog;
  readonly #bronze: IcebergTable;
  readonly #tasks: ReadonlyMap<TaskId, StreamTask>;
  readonly #topics: readonly string[];
  readonly #now: () => number;
  #inFlight: Promise<void> | null = null;
  /** The input's end offsets, shared by the tasks' mergers and forgotten at each batch. */
  readonly #endOffsets: EndOffsets;
  /** The work chained before the newest: a batch waits for it, so at most one batch commits behind the one being read. */
  #beforeNewest: Promise<void> | null = null;
  /**
   * Whether the last batch stopped at a limit (records or time) rather than at the end of the log.
   * Only then does reading ahead of the commit in flight pay: at the live end, a batch read while
   * the previous one commits holds what arrived meanwhile for one more commit than waiting would.
   */
  #behind = true;
  /** The outputs besides bronze, and the fencing of every commit. */
  readonly #outputs: StreamOutputs;
  /** The product grades followed while running; null when the options fixed the weight. */
  readonly #grades: ProductGrades | null;
  /** The batch layer's risk norms followed while running; null when the options fixed them or turned the rule off. */
  readonly #riskFollower: RiskFollower | null;
  readonly #checkpointPolicy: CheckpointPolicy | null;
  /** Snapshot expiry of the processor's tables while it runs; null when the options set none. */
  readonly #expiry: { readonly schedule: ExpirySchedule; readonly tables: readonly IcebergTable[] } | null;
  /** Checkpoint files being written (awaited before the processor stops). */
  readonly #checkpointWrites = new Set<Promise<void>>();

  private constructor(init: {
    readonly options: StreamProcessorOptions;
    readonly tables: readonly [IcebergTable, IcebergTable, IcebergTable, IcebergTable];
    readonly tasks: ReadonlyMap<TaskId, StreamTask>;
    readonly partitions: number;
    readonly endOffsets: EndOffsets;
    readonly grades: ProductGrades | null;
    readonly riskFollower: RiskFollower | null;
  }) {
    this.#options = init.options;
    this.#grades = init.grades;
    this.#riskFollower = init.riskFollower;
    this.#endOffsets = init.endOffsets;
    this.#log = init.options.log;
    const [bronze, alertEvents, lateEvents, openAlerts] = init.tables;
    this.#bronze = bronze;
    this.#tasks = init.tasks;
    this.partitions = init.partitions;
    this.#now = init.options.now ?? Date.now;
    this.#outputs = new StreamOutputs({
      log: init.options.log,
      alertCodec: init.options.alertCodec ?? null,
      tables: { alertEvents, lateEvents, openAlerts },
      tasks: init.tasks,
      partitions: init.partitions,
      now: this.#now,
      goldEveryMs: init.options.goldEveryMs,
      openAlertsEveryMs: init.options.openAlertsEveryMs,
      onAlerts: init.options.onAlerts,
    });
    this.#topics = init.options.topics ?? [TOPICS.orders, TOPICS.reviews];
    this.#checkpointPolicy = checkedPolicy(init.options.checkpoint);
    this.#expiry = init.options.expiry === undefined ? null : { schedule: new ExpirySchedule(init.options.expiry, this.#now), tables: init.tables };
    this.recovery = { replayed: 0, checkpoints: {}, positions: {}, caughtUp: { alertEvents: 0, lateEvents: 0, published: 0 }, offsets: {}, ms: 0, riskModel: 'fixed', riskLost: null };
  }

  /**
   * Opens the processor: creates its tables and the alerts topic when missing, rebuilds each task
   * from bronze and writes what a crash kept from the outputs.
   */
  static async open(options: StreamProcessorOptions): Promise<StreamProcessor> {
    const started = performance.now();
    const { lake, log } = options;
    const topics = options.topics ?? [TOPICS.orders, TOPICS.reviews];
    const { described, partitions, taskIds } = await describeInput(log, topics, options.tasks);

    const checkpointPolicy = checkedPolicy(options.checkpoint);
    const tables = [
      await lake.ensureTable(BRONZE_EVENTS_TABLE, BRONZE_EVENTS),
      await lake.ensureTable(ALERT_EVENTS_TABLE, ALERT_EVENTS),
      await lake.ensureTable(LATE_EVENTS_TABLE, LATE_EVENTS),
      await lake.ensureTable(OPEN_ALERTS_TABLE, OPEN_ALERTS),
    ] as const;
    const [bronze, alertEvents, lateEvents, openAlerts] = tables;
    // Tables made before the risk rule gain its columns.
    await ensureColumns(alertEvents, RISK_COLUMNS);
    await ensureColumns(openAlerts, RISK_COLUMNS);
    const grades =
      options.gradeWeight === undefined
        ? await ProductGrades.open(lake, { ...(options.gradesCheckEveryMs === undefined ? {} : { checkEveryMs: options.gradesCheckEveryMs }), now: options.now ?? Date.now })
        : null;
    const gradeWeight = options.gradeWeight ?? (grades as ProductGrades).weight;
    // Replayed rows are priced by the model that first priced them: the one the last commit named.
    const riskFollower =
      options.risk === undefined
        ? await RiskFollower.open(lake, {
            ...(options.gradesCheckEveryMs === undefined ? {} : { checkEveryMs: options.gradesCheckEveryMs }),
            now: options.now ?? Date.now,
            pinned: parseRiskPin(bronze.lastSummaryValue(RISK_NORMS_PROPERTY)),
          })
        : null;
    const risk = options.risk === undefined ? riskFollower : options.risk;

    const publishing = options.alertCodec !== undefined && options.alertCodec !== null;
    if (publishing) {
      await log.createTopic({ name: ALERTS_TOPIC, partitions });
    }
    // Without publishing, the topic output is bronze itself (see `openTasks`).
    const published = publishing ? await publishedPositions(log, options.alertCodec, partitions) : null;

    const endOffsets = new EndOffsets();
    const { tasks, loads } = await openTasks({ options, tables: { bronze, alertEvents, lateEvents, openAlerts }, described, taskIds, endOffsets, gradeWeight, risk, checkpointPolicy, published });

    const processor = new StreamProcessor({ options, tables, tasks, partitions, endOffsets, grades, riskFollower });
    const caughtUp = await rebuildTasks(bronze, tasks, processor.#outputs);
    (processor as { recovery: RecoveryReport }).recovery = {
      replayed: [...tasks.values()].reduce((n, t) => n + t.committed.seq - t.restoredFrom.seq, 0),
      checkpoints: Object.fromEntries(
        [...tasks.values()].map((t) => {
          const load = loads.get(t.id);
          return [String(t.id), { restoredAt: load?.kind === 'restored' ? t.restoredFrom : null, fallback: load?.kind === 'unusable' ? load.reason : null }];
        }),
      ),
      positions: Object.fromEntries([...tasks.values()].map((t) => [String(t.id), t.committed])),
      riskModel: riskFollower === null ? 'fixed' : riskFollower.restoredPin ? 'recorded' : riskFollower.norms === null ? 'none' : 'newest',
      riskLost: riskFollower?.pinLost ?? null,
      caughtUp,
      offsets: Object.assign({}, ...[...tasks.values()].map((t) => t.merger.consumedOffsets())) as Record<string, number>,
      ms: performance.now() - started,
    };
    if (rebuildChannel.hasSubscribers) {
      rebuildChannel.publish({ replayed: processor.recovery.replayed, ms: processor.recovery.ms } satisfies StreamRebuildEvent);
    }
    return processor;
  }

  /** The tasks this processor runs. */
  get taskIds(): readonly TaskId[] {
    return [...this.#tasks.keys()];
  }

  /** The position each task has committed to bronze. */
  positions(): ReadonlyMap<TaskId, StreamPosition> {
    return new Map([...this.#tasks].map(([id, t]) => [id, t.committed]));
  }

  /** Records processed and committed, over all tasks. */
  get processed(): number {
    let n = 0;
    for (const t of this.#tasks.values()) n += t.committed.seq;
    return n;
  }

  /** The lowest watermark among the tasks: event time is complete up to here everywhere. */
  get watermark(): number {
    return Math.min(...[...this.#tasks.values()].map((t) => t.detector.watermark));
  }

  /** The detector statistics, summed over the tasks (the watermark: the lowest). */
  stats(): DetectorStats {
    const all = [...this.#tasks.values()].map((t) => t.detector.stats());
    const sum = (pick: (s: DetectorStats) => number): number => all.reduce((n, s) => n + pick(s), 0);
    return {
      watermark: Math.min(...all.map((s) => s.watermark)),
      eventsProcessed: sum((s) => s.eventsProcessed),
      duplicates: sum((s) => s.duplicates),
      late: sum((s) => s.late),
      lateNotApplied: sum((s) => s.lateNotApplied),
      otherEvents: sum((s) => s.otherEvents),
      ordersInState: sum((s) => s.ordersInState),
      ordersDropped: sum((s) => s.ordersDropped),
      timersPending: sum((s) => s.timersPending),
      openAlerts: sum((s) => s.openAlerts),
      changes: {
        opened: sum((s) => s.changes.opened),
        escalated: sum((s) => s.changes.escalated),
        resolved: sum((s) => s.changes.resolved),
        final: sum((s) => s.changes.final),
      },
      alertsByRule: Object.fromEntries(RULE_NAMES.map((r) => [r, sum((s) => s.alertsByRule[r])])) as DetectorStats['alertsByRule'],
    };
  }

  /** The open alerts of every task, highest priority first (then oldest, then by id). */
  openAlerts(): Alert[] {
    return [...this.#tasks.values()]
      .flatMap((t) => t.detector.openAlerts())
      .sort((a, b) => b.priority - a.priority || a.openedAt - b.openedAt || (a.alertId < b.alertId ? -1 : a.alertId > b.alertId ? 1 : 0));
  }

  /** The current version of an order's alert of `rule`, while its task holds the order. */
  alert(orderId: string, rule: Rule): Alert | null {
    return this.#tasks.get(partitionFor(Buffer.from(orderId, 'utf8'), this.partitions))?.detector.alert(orderId, rule) ?? null;
  }

  /** One task's whole detector state, as a checkpoint would keep it (for tests and diagnostics); null for a task not run here. */
  taskState(task: TaskId): DetectorSnapshot | null {
    return this.#tasks.get(task)?.detector.snapshot() ?? null;
  }

  /** The watermark of one task (for tests and diagnostics). */
  taskWatermark(task: TaskId): number | null {
    return this.#tasks.get(task)?.detector.watermark ?? null;
  }

  /**
   * Reads and detects one batch, then starts its commit; null when no task had anything to read.
   *
   * Pipelined: the batch's bronze commit and its publication run while the next batch is read and
   * detected (DuckDB and the file system work on their own threads), and commits stay in batch
   * order — each waits for the one before. `flush()` waits for the last. The detectors thus run at
   * most one batch ahead of the lake; a crash loses that batch from memory only, and a restart
   * redoes it from the log.
   */
  async processBatch(): Promise<{ readonly records: number; readonly changes: number } | null> {
    this.#outputs.checkLane();
    // Reading runs ahead of committing by one batch at most: a slow lake holds the reading back
    // (memory, and a stop, stay bounded) instead of queueing every batch the log can give. At the
    // live end it does not run ahead at all: the batch waits for the commit in flight and takes
    // everything that arrived during it, so a record waits for one commit before its own, not two.
    await (this.#behind ? this.#beforeNewest : this.#inFlight);
    this.#endOffsets.forget();
    const started = performance.now();
    const maxEvents = this.#options.maxBatchEvents ?? 10_000;
    const maxMs = this.#options.maxBatchMs ?? 500;
    const tasks = [...this.#tasks.values()];
    const share = Math.max(1, Math.ceil(maxEvents / tasks.length));
    const inputs = new Map<StreamTask, InputRecord[]>();
    let total = 0;
    let limited = false;
    for (const task of tasks) task.merger.newRound();
    // Every task's partitions in one read of the log; a task reads on by itself from there.
    await LogMerger.fetchTogether(tasks.map((t) => t.merger));
    // One turn of the event loop per batch, after the read (so that a batch behind is still read
    // while the commit before it runs). An embedded processor's log reads and small table writes
    // all complete without a turn, so a catch-up run would otherwise go on in promise callbacks
    // alone, and timers, sockets and thread-pool work (a checkpoint's gzip) would wait for its end.
    await nextTurn();
    for (const task of tasks) {
      const taken: InputRecord[] = [];
      for (;;) {
        if (taken.length >= share || total >= maxEvents) {
          limited = true;
          break;
        }
        const next = task.merger.take();
        if (next === NEED_FETCH) {
          if (performance.now() - started > maxMs && total > 0) {
            limited = true;
            break;
          }
          await task.merger.fetch();
          continue;
        }
        if (next === null) break;
        taken.push(next);
        total++;
      }
      const now = this.#now();
      if (taken.length > 0) {
        inputs.set(task, taken);
        task.quietSince = null;
        task.idleEvaluated = false;
      } else {
        task.quietSince ??= now;
      }
    }
    this.#behind = limited;
    if (total === 0) {
      await this.#settle();
      this.#outputs.queueGold();
      return null;
    }
    const read = performance.now();
    // After the read: a record appended after new grades were committed is weighed by them.
    await this.#grades?.refresh();
    // Between two batches, so a batch is priced by one model; the detectors read it at each check.
    await this.#riskFollower?.refresh();

    const ingestTime = this.#now();
    const rows = new BronzeRows();
    const changes: EmittedChange[] = [];
    const late: PositionedLateEvent[] = [];
    const summary: Record<string, string> = {};
    const positions = new Map<TaskId, StreamPosition>();
    let undecodable = 0;
    const perTopic = new Map<string, number>();
    // When the fetch of each change's causing record answered, parallel to `changes` (event-to-alert latency).
    const fetchedAt: number[] = [];
    for (const [task, taken] of inputs) {
      const detector = task.detector;
      const floor = detector.watermarkFloor;
      let seq = task.detected.seq;
      for (const input of taken) {
        seq++;
        const record = input.record;
        perTopic.set(record.topic, (perTopic.get(record.topic) ?? 0) + 1);
        rows.add(input, ingestTime, task.id, seq, floor);
        const event = input.event;
        if (event === null) {
          undecodable++;
          continue;
        }
        const found = detector.process(event);
        const lateEvents = detector.drainLate();
        if (found.length === 0 && lateEvents.length === 0) continue;
        const position: StreamPosition = { seq, floor };
        for (const change of found) {
          changes.push({ change, task: task.id, position, cause: { topic: record.topic, partition: record.partition, offset: record.offset } });
          fetchedAt.push(input.fetchedAt);
        }
        for (const lateEvent of lateEvents) late.push({ late: lateEvent, task: task.id, position });
      }
      const position: StreamPosition = { seq, floor };
      task.detected = position;
      positions.set(task.id, position);
      if (this.#checkpointPolicy !== null && task.countForCheckpoint(taken.length, this.#checkpointPolicy, ingestTime)) this.#takeCheckpoint(task);
      summary[offsetsProperty(task.id)] = JSON.stringify(task.merger.consumedOffsets());
      summary[positionProperty(task.id)] = formatPosition(position);
      if (Number.isFinite(detector.watermark)) summary[watermarkProperty(task.id)] = String(detector.watermark);
    }
    const pin = this.#riskFollower?.pin ?? null;
    if (pin !== null) summary[RISK_NORMS_PROPERTY] = formatRiskPin(pin);
    const openAlerts = this.#outputs.openAlertsDue() ? this.#outputs.openAlertsNow() : null;
    const detected = performance.now();

    const taskIds = [...positions.keys()];
    this.#chain(async () => {
      const committing = performance.now();
      const checkpoints = this.#recordableCheckpoints(taskIds, summary);
      const commit = await this.#outputs.fenced('bronze', taskIds, summary, (expect) => this.#bronze.append(rows.columns(), { summary, expect }));
      for (const [id, position] of positions) (this.#tasks.get(id) as StreamTask).committed = position;
      this.#checkpointsRecorded(checkpoints);
      if (this.#expiry?.schedule.committed() === true) this.#outputs.background(() => this.#expire());
      const committed = performance.now();
      await this.#outputs.emit(changes, late, positions);
      if (openAlerts !== null) this.#outputs.background(() => this.#outputs.writeOpenAlerts(openAlerts));
      const done = performance.now();
      this.#observe(
        {
          records: total,
          undecodable,
          changes: changes.length,
          lateEvents: late.length,
          tasks: taskIds,
          bronzeSnapshotId: commit.snapshotId,
          watermark: this.watermark,
          timings: {
            read: read - started,
            detect: detected - read,
            bronze: committed - committing,
            outputs: done - committed,
            total: read - started + (detected - read) + (done - committing),
          },
          idle: false,
        },
        changes,
        perTopic,
        fetchedAt,
      );
    });
    return { records: total, changes: changes.length };
  }

  /**
   * Applies the idle policy to every task that has read nothing for `afterMs`: moves its watermark
   * to its newest event time + `advanceMs` (once per newest event time). Returns the report of the
   * moves, or null when the policy did nothing.
   */
  async idle(): Promise<BatchReport | null> {
    this.#outputs.checkLane();
    const policy = this.#options.idle ?? DEFAULT_IDLE_POLICY;
    const now = this.#now();
    const started = performance.now();
    const changes: EmittedChange[] = [];
    const positions = new Map<TaskId, StreamPosition>();
    await advanceQuietTasks(this.#tasks.values(), policy, now, () => logTail(this.#log, this.#topics), (task, position, produced) => {
      for (const change of produced) changes.push({ change, task: task.id, position, cause: null });
      positions.set(task.id, position);
    });
    if (positions.size === 0) return null;
    const detected = performance.now();
    const openAlerts = this.#outputs.openAlertsNow();
    this.#chain(async () => {
      for (const [id, position] of positions) (this.#tasks.get(id) as StreamTask).committed = position;
      await this.#outputs.emit(changes, [], positions);
    });
    await this.flush();
    await this.#outputs.writeOpenAlerts(openAlerts);
    const done = performance.now();
    const report: BatchReport = {
      records: 0,
      undecodable: 0,
      changes: changes.length,
      lateEvents: 0,
      tasks: [...positions.keys()],
      bronzeSnapshotId: null,
      watermark: this.watermark,
      timings: { read: 0, detect: detected - started, bronze: 0, outputs: done - detected, total: done - started },
      idle: true,
    };
    this.#observe(report, changes, new Map(), []);
    return report;
  }

  /** Whether every task has been quiet for the idle policy's `afterMs` and the policy has acted. */
  allIdle(): boolean {
    return allQuiet(this.#tasks.values(), this.#options.idle ?? DEFAULT_IDLE_POLICY, this.#now());
  }

  /** Runs batches until stopped by the signal, or (with `untilIdle`) until the log is done and every task idle. */
  async run(options: RunOptions = {}): Promise<RunReport> {
    let batches = 0;
    let records = 0;
    let changes = 0;
    const poll = this.#options.pollIntervalMs ?? 10;
    while (options.signal?.aborted !== true) {
      const batch = await this.processBatch();
      if (batch !== null) {
        batches++;
        records += batch.records;
        changes += batch.changes;
      }
      // Tasks whose partitions went quiet move on even while others still have input.
      const idle = await this.idle();
      if (idle !== null) changes += idle.changes;
      if (batch !== null) continue;
      if (options.untilIdle === true && this.allIdle()) break;
      await sleep(poll, undefined, options.signal === undefined ? {} : { signal: options.signal }).catch(() => undefined);
    }
    await this.finish();
    return { batches, records, changes, stopped: options.signal?.aborted === true ? 'signal' : 'idle' };
  }

  /** Before stopping: waits for everything in flight and brings every output up to date. */
  async finish(): Promise<void> {
    await this.flush();
    await this.#recordCheckpointsAtStop();
    const tasks = [...this.#tasks.values()];
    if (tasks.some((t) => comparePositions(t.outputs.openAlerts, t.committed) !== 0)) await this.#outputs.writeOpenAlerts(this.#outputs.openAlertsNow());
  }

  /** Waits for the batch in flight and writes every pending output; throws the first error of either. */
  async flush(): Promise<void> {
    await this.#settle();
    await this.#outputs.flushGold();
  }

  // ------------------------------------------------------------------------------------------
  // Checkpoints
  // ------------------------------------------------------------------------------------------

  /** Takes a checkpoint of the task's state now; its file is written while the processor goes on. */
  #takeCheckpoint(task: StreamTask): void {
    const io = this.#options.lake.io;
    const write = takeCheckpoint(io, task, checkpointLocation(this.#options.lake.warehouse, task.id, task.detected), this.#now());
    this.#checkpointWrites.add(write);
    void write.finally(() => this.#checkpointWrites.delete(write));
  }

  /**
   * On stopping, with every output durable: records the checkpoints taken and not yet recorded in a
   * bronze commit of no rows, so the next start replays only what came after them. The commit
   * carries each task's bronze position unchanged, which fences it like any other.
   */
  async #recordCheckpointsAtStop(): Promise<void> {
    await Promise.all(this.#checkpointWrites);
    const ids = [...this.#tasks.values()].filter((t) => t.recorded.bronze !== null && t.recordableCheckpoint() !== null).map((t) => t.id);
    if (ids.length === 0) return;
    const summary: Record<string, string> = {};
    for (const id of ids) summary[positionProperty(id)] = (this.#tasks.get(id) as StreamTask).recorded.bronze as string;
    const checkpoints = this.#recordableCheckpoints(ids, summary);
    await this.#outputs.fenced('bronze', ids, summary, (expect) => this.#bronze.append([], { summary, expect }));
    this.#checkpointsRecorded(checkpoints);
  }

  /** Expires old snapshots of the processor's tables; a round lost to a concurrent commit waits for the next. */
  async #expire(): Promise<void> {
    if (this.#expiry === null) return;
    const { schedule, tables } = this.#expiry;
    await schedule.run(tables).catch((error: unknown) => {
      if (!(error instanceof LakeError && error.code === 'OP_LAKE_COMMIT_CONFLICT')) throw error;
    });
  }

  /** Adds to a bronze commit's summary the checkpoint of each of its tasks that may be recorded now. */
  #recordableCheckpoints(taskIds: readonly TaskId[], summary: Record<string, string>): Map<StreamTask, CheckpointPointer> {
    const found = new Map<StreamTask, CheckpointPointer>();
    for (const id of taskIds) {
      const task = this.#tasks.get(id) as StreamTask;
      const pointer = task.recordableCheckpoint();
      if (pointer === null) continue;
      summary[checkpointProperty(id)] = formatPointer(pointer);
      found.set(task, pointer);
    }
    return found;
  }

  /** After the commit that recorded them: the checkpoints are the tasks' own, their predecessors' files go. */
  #checkpointsRecorded(recorded: ReadonlyMap<StreamTask, CheckpointPointer>): void {
    for (const [task, pointer] of recorded) {
      const previous = task.checkpoint;
      task.checkpoint = pointer;
      task.pendingCheckpoint = null;
      // No reader needs it any more: a restart reads the newest pointer only.
      if (previous !== null) void this.#options.lake.io.delete(previous.location).catch(() => undefined);
    }
  }

  // ------------------------------------------------------------------------------------------
  // The chain of batch commits
  // ------------------------------------------------------------------------------------------

  /** Runs `work` after the batch in flight: commits and publications stay in batch order. */
  #chain(work: () => Promise<void>): void {
    const previous = this.#inFlight;
    this.#beforeNewest = previous;
    const next = (async () => {
      await previous;
      await work();
    })();
    // A failure surfaces at the next batch or flush; this only keeps it from being reported unhandled meanwhile.
    next.catch(() => undefined);
    this.#inFlight = next;
  }

  async #settle(): Promise<void> {
    const inFlight = this.#inFlight;
    this.#inFlight = null;
    this.#beforeNewest = null;
    await inFlight;
  }
  #observe(report: BatchReport, changes: readonly EmittedChange[], perTopic: ReadonlyMap<string, number>, fetchedAt: readonly number[]): void {
    if (batchChannel.hasSubscribers) batchChannel.publish(this.#batchEvent(report, changes, perTopic, fetchedAt));
    this.#options.onBatch?.(report);
  }

  /** The batch as the metrics see it, with the gauges' current values (the listener keeps no state). */
  #batchEvent(report: BatchReport, changes: readonly EmittedChange[], perTopic: ReadonlyMap<string, number>, fetchedAt: readonly number[]): StreamBatchEvent {
    const publishedAt = this.#now();
    const open = new Map<Rule, { count: number; valueBrl: number }>(RULE_NAMES.map((rule) => [rule, { count: 0, valueBrl: 0 }]));
    for (const task of this.#tasks.values()) {
      for (const alert of task.detector.openAlerts()) {
        const entry = open.get(alert.rule) as { count: number; valueBrl: number };
        entry.count++;
        entry.valueBrl += alert.orderValueCents / 100;
      }
    }
    return {
      idle: report.idle,
      recordsByTopic: Object.fromEntries(perTopic),
      timings: report.timings,
      alerts: changes.map(({ change }, i) => ({ rule: change.alert.rule, change: change.kind, fetchedAt: fetchedAt[i] ?? null, publishedAt })),
      openAlerts: [...open].map(([rule, { count, valueBrl }]) => ({ rule, count, valueBrl })),
      tasks: [...this.#tasks.values()].map((t) => ({ task: t.id, watermark: t.detector.watermark, newestEventTime: t.detector.maxEventTime })),
      lag: [...this.#tasks.values()].flatMap((t) =>
        t.merger.consumedPositions().flatMap(({ topic, partition, offset }) => {
          const end = this.#endOffsets.known(topic, partition);
          return end === null ? [] : [{ topic, partition, records: Math.max(0, end - offset) }];
        }),
      ),
    };
  }
}
