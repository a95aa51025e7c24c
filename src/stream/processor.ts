import { setTimeout as sleep } from 'node:timers/promises';
import type { EventCodec, MarketplaceEvent } from '../events/index.js';
import { TOPICS } from '../events/index.js';
import type { IcebergTable, Lake, Row } from '../lake/index.js';
import { LakeError } from '../lake/index.js';
import type { EventLog, RecordPosition } from '../log/index.js';
import { partitionFor } from '../log/index.js';
import type { AlertCodec } from './alert-codec.js';
import { ALERTS_TOPIC } from './alert-codec.js';
import type { DetectorStats } from './detector.js';
import { StreamError } from './errors.js';
import { ProductGrades } from './grades.js';
import type { InputRecord } from './merge.js';
import { EndOffsets, LogMerger, NEED_FETCH, partitionKey } from './merge.js';
import { batchChannel, fencingChannel, rebuildChannel } from './channels.js';
import type { StreamBatchEvent, StreamFencingEvent, StreamRebuildEvent } from './channels.js';
import type { FencedTable, OutputName } from './task.js';
import { StreamTask, startPositions } from './task.js';
import type { PositionedChange, PositionedLateEvent, StreamPosition, TaskId } from './tables.js';
import {
  ALERT_EVENTS,
  ALERT_EVENTS_TABLE,
  BRONZE_EVENTS,
  BRONZE_EVENTS_TABLE,
  LATE_EVENTS,
  LATE_EVENTS_TABLE,
  OPEN_ALERTS,
  OPEN_ALERTS_TABLE,
  START_POSITION,
  UNDECODABLE_EVENT_TYPE,
  alertEventRow,
  comparePositions,
  formatPosition,
  lateEventRow,
  offsetsProperty,
  openAlertRow,
  parsePosition,
  positionProperty,
  watermarkProperty,
  recordColumns,
} from './tables.js';
import type { Alert, GradeWeight, Rule, StreamConfig } from './types.js';
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
 * Restart (`open`): each task's bronze rows are read back in processing order and replayed through a
 * new detector, which rebuilds the exact state (the detector is deterministic); each output gets
 * what it lacks — the outputs after its recorded position; reading resumes at bronze's offsets. So a
 * kill -9 at any point loses nothing and duplicates nothing in the lake or on the alerts topic.
 *
 * A failed batch (the lake or log unreachable) stops the processor with the error: its in-memory
 * state may be ahead of the lake, and a restart recovers from the lake.
 */

export interface IdlePolicy {
  /** Wall-clock milliseconds a task reads nothing before its watermark is moved on its own. */
  readonly afterMs: number;
  /**
   * Where it moves to: the newest event time of the input (any partition, the task's own or not) +
   * this (ms). 0 gives up the allowed lateness: the watermark catches up with the newest event, so
   * deadlines up to it fire though no event follows.
   */
  readonly advanceMs: number;
}

export const DEFAULT_IDLE_POLICY: IdlePolicy = { afterMs: 1_000, advanceMs: 0 };

export interface StreamProcessorOptions {
  readonly log: EventLog;
  readonly codec: EventCodec;
  readonly lake: Lake;
  /** Publish alert changes to the alerts topic with this codec; null or absent: do not publish. */
  readonly alertCodec?: AlertCodec | null;
  readonly config?: Partial<StreamConfig>;
  /** Topics to read (default: orders and reviews). They must have the same number of partitions. */
  readonly topics?: readonly string[];
  /** The tasks (input partition numbers) this processor runs; all by default. */
  readonly tasks?: readonly TaskId[];
  /** A batch closes at this many records (default 50,000)... */
  readonly maxBatchEvents?: number;
  /** ...or after gathering for this long, in wall-clock ms (default 500). */
  readonly maxBatchMs?: number;
  /** Records fetched per partition at a time (default 2,000). */
  readonly fetchSize?: number;
  readonly idle?: IdlePolicy;
  /** How often (wall-clock ms) `gold.open_alerts` is rewritten while alerts change (default 1,000). */
  readonly openAlertsEveryMs?: number;
  /** How often (wall-clock ms) alert and late events are appended to their tables (default 1,000). */
  readonly goldEveryMs?: number;
  /** Wait between polls of a quiet log, ms (default 10). */
  readonly pollIntervalMs?: number;
  /**
   * Product-grade weight, fixed. By default the grades of `gold.product_grades` when it exists,
   * followed while the processor runs (see `ProductGrades`).
   */
  readonly gradeWeight?: GradeWeight;
  /** How often at most (wall-clock ms) a batch asks whether `gold.product_grades` changed (default 5,000; 0: every batch). */
  readonly gradesCheckEveryMs?: number;
  /** Wall clock (ingest times, batch timing, idle policy). */
  readonly now?: () => number;
  /** Called with every alert change once it is durable (after bronze committed), in emission order. */
  readonly onAlerts?: (changes: readonly EmittedChange[]) => void;
  readonly onBatch?: (batch: BatchReport) => void;
}

/** An alert change as emitted, with the log record whose processing caused it (null: the idle policy). */
export interface EmittedChange extends PositionedChange {
  readonly cause: RecordPosition | null;
}

export interface BatchReport {
  readonly records: number;
  readonly undecodable: number;
  readonly changes: number;
  readonly lateEvents: number;
  /** The tasks that had input (or, for an idle report, whose watermark the policy moved). */
  readonly tasks: readonly TaskId[];
  readonly bronzeSnapshotId: bigint | null;
  /** The lowest watermark among the processor's tasks. */
  readonly watermark: number;
  /** Wall-clock ms per phase. */
  readonly timings: { readonly read: number; readonly detect: number; readonly bronze: number; readonly outputs: number; readonly total: number };
  /** True for an idle advance (no records, the watermark moved by the idle policy). */
  readonly idle: boolean;
}

export interface RecoveryReport {
  /** Bronze rows replayed to rebuild the tasks' state. */
  readonly replayed: number;
  /** Per task, the position it resumes at. */
  readonly positions: Readonly<Record<string, StreamPosition>>;
  /** Outputs written on recovery that a crash had kept from being written. */
  readonly caughtUp: { readonly alertEvents: number; readonly lateEvents: number; readonly published: number };
  readonly offsets: Readonly<Record<string, number>>;
  readonly ms: number;
}

export interface RunOptions {
  /** Stop once the log is read to its end and the idle policy has moved every task's watermark. */
  readonly untilIdle?: boolean;
  readonly signal?: AbortSignal;
}

export interface RunReport {
  readonly batches: number;
  readonly records: number;
  readonly changes: number;
  readonly stopped: 'idle' | 'signal';
}

const REBUILD_CHUNK = 50_000;

type Counts = { alertEvents: number; lateEvents: number; published: number };

export class StreamProcessor {
  readonly recovery: RecoveryReport;
  /** Partitions of each input topic (and of the alerts topic). */
  readonly partitions: number;
  readonly #options: StreamProcessorOptions;
  readonly #log: EventLog;
  readonly #bronze: IcebergTable;
  readonly #alertEvents: IcebergTable;
  readonly #lateEvents: IcebergTable;
  readonly #openAlerts: IcebergTable;
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
  #pendingChanges: EmittedChange[] = [];
  #pendingLate: PositionedLateEvent[] = [];
  #pendingPositions = new Map<TaskId, StreamPosition>();
  #goldWrittenAt = 0;
  #openAlertsWrittenAt = 0;
  #lane: Promise<void> = Promise.resolve();
  #laneError: unknown = null;
  /** The product grades followed while running; null when the options fixed the weight. */
  readonly #grades: ProductGrades | null;

  private constructor(init: {
    readonly options: StreamProcessorOptions;
    readonly tables: readonly [IcebergTable, IcebergTable, IcebergTable, IcebergTable];
    readonly tasks: ReadonlyMap<TaskId, StreamTask>;
    readonly partitions: number;
    readonly endOffsets: EndOffsets;
    readonly grades: ProductGrades | null;
  }) {
    this.#options = init.options;
    this.#grades = init.grades;
    this.#endOffsets = init.endOffsets;
    this.#log = init.options.log;
    [this.#bronze, this.#alertEvents, this.#lateEvents, this.#openAlerts] = init.tables;
    this.#tasks = init.tasks;
    this.#topics = init.options.topics ?? [TOPICS.orders, TOPICS.reviews];
    this.partitions = init.partitions;
    this.#now = init.options.now ?? Date.now;
    this.recovery = { replayed: 0, positions: {}, caughtUp: { alertEvents: 0, lateEvents: 0, published: 0 }, offsets: {}, ms: 0 };
  }

  /**
   * Opens the processor: creates its tables and the alerts topic when missing, rebuilds each task
   * from bronze and writes what a crash kept from the outputs.
   */
  static async open(options: StreamProcessorOptions): Promise<StreamProcessor> {
    const started = performance.now();
    const { lake, log } = options;
    const topics = options.topics ?? [TOPICS.orders, TOPICS.reviews];
    const described = (await log.describeTopics()).filter((d) => topics.includes(d.name));
    const missing = topics.filter((t) => !described.some((d) => d.name === t));
    if (missing.length > 0) {
      throw new StreamError('OP_STREAM_NO_INPUT', `the ${log.kind} log has no topic ${missing.join(', ')}: replay into it first (orderpulse replay)`, {
        details: { topics: missing },
      });
    }
    const partitions = described[0]?.partitions ?? 0;
    if (described.some((d) => d.partitions !== partitions)) {
      throw new StreamError(
        'OP_STREAM_NOT_COPARTITIONED',
        `the input topics must have the same number of partitions (an order's events share a partition number): ${described.map((d) => `${d.name} has ${d.partitions}`).join(', ')}`,
        { details: { topics: described.map((d) => ({ topic: d.name, partitions: d.partitions })) } },
      );
    }
    const taskIds = [...new Set(options.tasks ?? Array.from({ length: partitions }, (_, p) => p))].sort((a, b) => a - b);
    const wrong = taskIds.filter((t) => !Number.isInteger(t) || t < 0 || t >= partitions);
    if (wrong.length > 0 || taskIds.length === 0) {
      throw new StreamError('OP_STREAM_BAD_TASKS', `tasks must be partition numbers from 0 to ${partitions - 1}, got ${JSON.stringify(options.tasks)}`, {
        details: { tasks: options.tasks, partitions },
      });
    }

    const tables = [
      await lake.ensureTable(BRONZE_EVENTS_TABLE, BRONZE_EVENTS),
      await lake.ensureTable(ALERT_EVENTS_TABLE, ALERT_EVENTS),
      await lake.ensureTable(LATE_EVENTS_TABLE, LATE_EVENTS),
      await lake.ensureTable(OPEN_ALERTS_TABLE, OPEN_ALERTS),
    ] as const;
    const [bronze, alertEvents, lateEvents, openAlerts] = tables;
    const grades =
      options.gradeWeight === undefined
        ? await ProductGrades.open(lake, { ...(options.gradesCheckEveryMs === undefined ? {} : { checkEveryMs: options.gradesCheckEveryMs }), now: options.now ?? Date.now })
        : null;
    const gradeWeight = options.gradeWeight ?? (grades as ProductGrades).weight;

    const publishing = options.alertCodec !== undefined && options.alertCodec !== null;
    if (publishing) {
      await log.createTopic({ name: ALERTS_TOPIC, partitions });
    }
    const published = publishing ? await publishedPositions(log, options.alertCodec, partitions) : new Map<TaskId, StreamPosition>();

    const recorded = (table: IcebergTable, name: string, task: TaskId): StreamPosition =>
      parsePosition(table.lastSummaryValue(positionProperty(task)), name) ?? START_POSITION;
    const texts = (task: TaskId): Record<FencedTable, string | null> => ({
      bronze: bronze.lastSummaryValue(positionProperty(task)),
      alertEvents: alertEvents.lastSummaryValue(positionProperty(task)),
      lateEvents: lateEvents.lastSummaryValue(positionProperty(task)),
      openAlerts: openAlerts.lastSummaryValue(positionProperty(task)),
    });
    const tasks = new Map<TaskId, StreamTask>();
    const endOffsets = new EndOffsets();
    for (const id of taskIds) {
      const text = bronze.lastSummaryValue(offsetsProperty(id));
      const offsets = text === null ? {} : (JSON.parse(text) as Record<string, number>);
      const committed = recorded(bronze, BRONZE_EVENTS_TABLE, id);
      const outputs = startPositions();
      outputs.alertEvents = recorded(alertEvents, ALERT_EVENTS_TABLE, id);
      outputs.lateEvents = recorded(lateEvents, LATE_EVENTS_TABLE, id);
      outputs.openAlerts = recorded(openAlerts, OPEN_ALERTS_TABLE, id);
      outputs.topic = publishing ? (published.get(id) ?? START_POSITION) : committed;
      const merger = new LogMerger({
        log,
        endOffsets,
        codec: options.codec,
        partitions: described.map((d) => ({ topic: d.name, partition: id, offset: offsets[partitionKey(d.name, id)] ?? d.beginningOffsets[id] ?? 0 })),
        ...(options.fetchSize === undefined ? {} : { fetchSize: options.fetchSize }),
      });
      tasks.set(
        id,
        new StreamTask({ id, merger, config: options.config ?? {}, detectorOptions: { gradeWeight }, committed, outputs, recorded: texts(id) }),
      );
    }

    const processor = new StreamProcessor({ options, tables, tasks, partitions, endOffsets, grades });
    const caughtUp = await processor.#rebuild();
    (processor as { recovery: RecoveryReport }).recovery = {
      replayed: [...tasks.values()].reduce((n, t) => n + t.committed.seq, 0),
      positions: Object.fromEntries([...tasks.values()].map((t) => [String(t.id), t.committed])),
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

  /** The watermark of one task (for tests and diagnostics). */
  taskWatermark(task: TaskId): number | null {
    return this.#tasks.get(task)?.detector.watermark ?? null;
  }

  /**
   * Replays each task's bronze rows through its detector, then moves its watermark to the furthest
   * idle floor an output recorded; each output is given what it lacks.
   */
  async #rebuild(): Promise<Counts> {
    const caughtUp: Counts = { alertEvents: 0, lateEvents: 0, published: 0 };
    const tasks = [...this.#tasks.values()];
    let changes: EmittedChange[] = [];
    let late: PositionedLateEvent[] = [];
    const collect = (task: StreamTask, position: StreamPosition, produced: readonly PositionedChange['change'][], cause: RecordPosition | null): void => {
      for (const change of produced) changes.push({ change, task: task.id, position, cause });
      for (const event of task.detector.drainLate()) late.push({ late: event, task: task.id, position });
    };
    const flush = async (upTo: (task: StreamTask) => StreamPosition): Promise<void> => {
      const positions = new Map(tasks.map((t) => [t.id, upTo(t)]));
      const written = await this.#catchUp(changes, late, positions);
      caughtUp.alertEvents += written.alertEvents;
      caughtUp.lateEvents += written.lateEvents;
      caughtUp.published += written.published;
      changes = [];
      late = [];
    };
    const outputsBehind = (): boolean => tasks.some((t) => t.behind('alertEvents') || t.behind('lateEvents') || t.behind('topic'));
    const last = Math.max(0, ...tasks.map((t) => t.committed.seq));
    const byId = this.#tasks;
    const ids = tasks.map((t) => t.id).join(', ');

    for (let from = 0; from < last; from += REBUILD_CHUNK) {
      const to = Math.min(last, from + REBUILD_CHUNK);
      const scan = await this.#bronze.scan({
        filter: [
          { column: 'processed_seq', op: '>', value: from },
          { column: 'processed_seq', op: '<=', value: to },
        ],
      });
      const { rows } = await scan.query(
        `SELECT task, processed_seq AS seq, epoch_ms(watermark_floor) AS floor, topic, log_partition AS partition, log_offset AS "offset", payload
         FROM t WHERE task IN (${ids}) AND processed_seq > ${from} AND processed_seq <= ${to} AND event_type <> '${UNDECODABLE_EVENT_TYPE}'
         ORDER BY task, processed_seq`,
      );
      for (const row of rows) {
        const task = byId.get(Number(row.task)) as StreamTask;
        const seq = Number(row.seq);
        if (seq > task.committed.seq) continue;
        const detector = task.detector;
        const floor = row.floor === null ? null : Number(row.floor);
        if (floor !== null && floor > (detector.watermarkFloor ?? -Infinity)) {
          collect(task, { seq: seq - 1, floor }, detector.advanceWatermark(floor), null);
        }
        const event = JSON.parse(String(row.payload)) as MarketplaceEvent;
        const cause = { topic: String(row.topic), partition: Number(row.partition), offset: Number(row.offset) };
        collect(task, { seq, floor: detector.watermarkFloor }, detector.process(event), cause);
      }
      if (outputsBehind()) await flush((t) => ({ seq: Math.min(to, t.committed.seq), floor: t.detector.watermarkFloor }));
      else {
        changes = [];
        late = [];
      }
    }
    // An idle advance after a task's last bronze row is recorded only by the outputs it reached.
    for (const task of tasks) {
      const through = task.committed;
      const floors = (['alertEvents', 'lateEvents', 'topic', 'openAlerts'] as const)
        .map((o) => task.outputs[o])
        .filter((p) => p.seq === through.seq && p.floor !== null)
        .map((p) => p.floor ?? -Infinity);
      const floor = Math.max(through.floor ?? -Infinity, ...floors);
      let position: StreamPosition = { seq: through.seq, floor: task.detector.watermarkFloor };
      if (Number.isFinite(floor) && floor > (task.detector.watermarkFloor ?? -Infinity)) {
        position = { seq: through.seq, floor };
        collect(task, position, task.detector.advanceWatermark(floor), null);
      }
      task.committed = position;
      task.detected = position;
    }
    await flush((t) => t.committed);
    if (tasks.some((t) => comparePositions(t.outputs.openAlerts, t.committed) !== 0)) await this.#writeOpenAlerts(this.#openAlertsNow());
    return caughtUp;
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
    this.#checkLane();
    // Reading runs ahead of committing by one batch at most: a slow lake holds the reading back
    // (memory, and a stop, stay bounded) instead of queueing every batch the log can give. At the
    // live end it does not run ahead at all: the batch waits for the commit in flight and takes
    // everything that arrived during it, so a record waits for one commit before its own, not two.
    await (this.#behind ? this.#beforeNewest : this.#inFlight);
    this.#endOffsets.forget();
    const started = performance.now();
    const maxEvents = this.#options.maxBatchEvents ?? 50_000;
    const maxMs = this.#options.maxBatchMs ?? 500;
    const tasks = [...this.#tasks.values()];
    const share = Math.max(1, Math.ceil(maxEvents / tasks.length));
    const inputs = new Map<StreamTask, InputRecord[]>();
    let total = 0;
    let limited = false;
    for (const task of tasks) task.merger.newRound();
    // Every task's partitions in one read of the log; a task reads on by itself from there.
    await LogMerger.fetchTogether(tasks.map((t) => t.merger));
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
      this.#queueGold();
      return null;
    }
    const read = performance.now();
    // After the read: a record appended after new grades were committed is weighed by them.
    await this.#grades?.refresh();

    const ingestTime = this.#now();
    const rows: Row[] = [];
    const changes: EmittedChange[] = [];
    const late: PositionedLateEvent[] = [];
    const summary: Record<string, string> = {};
    const positions = new Map<TaskId, StreamPosition>();
    let undecodable = 0;
    const perTopic = new Map<string, number>();
    // The log append time of each change's causing record, parallel to `changes` (event-to-alert latency).
    const appendedAt: number[] = [];
    for (const [task, taken] of inputs) {
      const detector = task.detector;
      const floor = detector.watermarkFloor;
      let seq = task.detected.seq;
      for (const input of taken) {
        seq++;
        const position: StreamPosition = { seq, floor };
        const record = input.record;
        perTopic.set(record.topic, (perTopic.get(record.topic) ?? 0) + 1);
        const event = input.event;
        if (event === null) {
          undecodable++;
          rows.push({ ...recordColumns(input, ingestTime), task: task.id, processed_seq: seq, watermark_floor: floor });
          continue;
        }
        for (const change of detector.process(event)) {
          changes.push({ change, task: task.id, position, cause: { topic: record.topic, partition: record.partition, offset: record.offset } });
          appendedAt.push(record.timestamp);
        }
        for (const lateEvent of detector.drainLate()) late.push({ late: lateEvent, task: task.id, position });
        rows.push({ ...recordColumns(input, ingestTime), task: task.id, processed_seq: seq, watermark_floor: floor });
      }
      const position: StreamPosition = { seq, floor };
      task.detected = position;
      positions.set(task.id, position);
      summary[offsetsProperty(task.id)] = JSON.stringify(task.merger.consumedOffsets());
      summary[positionProperty(task.id)] = formatPosition(position);
      if (Number.isFinite(detector.watermark)) summary[watermarkProperty(task.id)] = String(detector.watermark);
    }
    const openAlerts = this.#openAlertsDue() ? this.#openAlertsNow() : null;
    const detected = performance.now();

    const taskIds = [...positions.keys()];
    this.#chain(async () => {
      const committing = performance.now();
      const commit = await this.#fenced('bronze', taskIds, summary, (expect) => this.#bronze.append(rows, { summary, expect }));
      for (const [id, position] of positions) (this.#tasks.get(id) as StreamTask).committed = position;
      const committed = performance.now();
      await this.#emit(changes, late, positions);
      if (openAlerts !== null) this.#background(() => this.#writeOpenAlerts(openAlerts));
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
        appendedAt,
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
    this.#checkLane();
    const policy = this.#options.idle ?? DEFAULT_IDLE_POLICY;
    const now = this.#now();
    const started = performance.now();
    const changes: EmittedChange[] = [];
    const positions = new Map<TaskId, StreamPosition>();
    let tail: { readonly ends: ReadonlyMap<string, number>; readonly newest: number } | null = null;
    for (const task of this.#tasks.values()) {
      if (task.quietSince === null || now - task.quietSince < policy.afterMs) continue;
      // Quiet means read to the end of the log. A fetch can come back empty before that (a Kafka
      // leader moving, a request that timed out): that is not idleness, and acting on it would
      // fire deadlines the records still to come might have met.
      tail ??= await this.#logTail();
      const { ends } = tail;
      if (Object.entries(task.merger.consumedOffsets()).some(([key, offset]) => offset < (ends.get(key) ?? 0))) {
        task.quietSince = null;
        continue;
      }
      task.idleEvaluated = true;
      // An idle task catches up with the newest event of the whole input, not only its own: a
      // partition that stops receiving must not hold its orders' deadlines back.
      const newest = Math.max(task.detector.maxEventTime, tail.newest);
      if (!Number.isFinite(newest)) continue;
      const target = newest + policy.advanceMs;
      if (task.idleDoneFor === target) continue;
      task.idleDoneFor = target;
      if (target <= task.detector.watermark) continue;
      const position: StreamPosition = { seq: task.detected.seq, floor: target };
      for (const change of task.detector.advanceWatermark(target)) changes.push({ change, task: task.id, position, cause: null });
      task.detected = position;
      positions.set(task.id, position);
    }
    if (positions.size === 0) return null;
    const detected = performance.now();
    const openAlerts = this.#openAlertsNow();
    this.#chain(async () => {
      for (const [id, position] of positions) (this.#tasks.get(id) as StreamTask).committed = position;
      await this.#emit(changes, [], positions);
    });
    await this.flush();
    await this.#writeOpenAlerts(openAlerts);
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
    const policy = this.#options.idle ?? DEFAULT_IDLE_POLICY;
    const now = this.#now();
    for (const task of this.#tasks.values()) {
      if (task.quietSince === null || now - task.quietSince < policy.afterMs || !task.idleEvaluated) return false;
    }
    return true;
  }

  /**
   * The end offset of every input partition (keyed `topic/partition`), and the newest record time in
   * any of them (records carry their event time): the same for every processor reading the log,
   * whichever tasks it runs.
   */
  async #logTail(): Promise<{ readonly ends: ReadonlyMap<string, number>; readonly newest: number }> {
    const ends = new Map<string, number>();
    let newest = -Infinity;
    for (const topic of await this.#log.describeTopics(this.#topics)) {
      for (let partition = 0; partition < topic.partitions; partition++) {
        const end = topic.endOffsets[partition] ?? 0;
        ends.set(partitionKey(topic.name, partition), end);
        if (end <= (topic.beginningOffsets[partition] ?? 0)) continue;
        const [last] = await this.#log.fetch({ topic: topic.name, partition, offset: end - 1, maxRecords: 1 });
        if (last !== undefined && last.timestamp > newest) newest = last.timestamp;
      }
    }
    return { ends, newest };
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
    const tasks = [...this.#tasks.values()];
    if (tasks.some((t) => comparePositions(t.outputs.openAlerts, t.committed) !== 0)) await this.#writeOpenAlerts(this.#openAlertsNow());
  }

  /** Waits for the batch in flight and writes every pending output; throws the first error of either. */
  async flush(): Promise<void> {
    await this.#settle();
    this.#queueGold(true);
    await this.#lane;
    this.#checkLane();
  }

  // ------------------------------------------------------------------------------------------
  // Outputs
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

  /**
   * A committed batch's outputs: published on the alerts topic and handed on at once; queued for
   * the gold tables, which are written at most every `goldEveryMs` for many batches at once (a
   * commit per micro-batch would double the time from an event to its alert). Their recorded
   * positions make a restart write what a crash kept in memory.
   */
  async #emit(changes: readonly EmittedChange[], late: readonly PositionedLateEvent[], positions: ReadonlyMap<TaskId, StreamPosition>): Promise<void> {
    const codec = this.#options.alertCodec;
    if (codec !== undefined && codec !== null && changes.length > 0) await this.#log.append(changes.map((c) => codec.encode(c)));
    for (const [id, position] of positions) (this.#tasks.get(id) as StreamTask).advance('topic', position);
    if (changes.length > 0) this.#options.onAlerts?.(changes);
    for (const c of changes) this.#pendingChanges.push(c);
    for (const l of late) this.#pendingLate.push(l);
    for (const [id, position] of positions) this.#pendingPositions.set(id, position);
    this.#queueGold();
  }

  /** On recovery: writes to each output, per task, the outputs after its recorded position. */
  async #catchUp(changes: readonly EmittedChange[], late: readonly PositionedLateEvent[], positions: ReadonlyMap<TaskId, StreamPosition>): Promise<Counts> {
    const tasks = this.#tasks;
    const after = (output: OutputName) => (c: { readonly task: TaskId; readonly position: StreamPosition }) =>
      comparePositions(c.position, (tasks.get(c.task) as StreamTask).outputs[output]) > 0;
    const codec = this.#options.alertCodec;
    const toPublish = codec === undefined || codec === null ? [] : changes.filter(after('topic'));
    if (codec !== undefined && codec !== null && toPublish.length > 0) await this.#log.append(toPublish.map((c) => codec.encode(c)));
    for (const [id, position] of positions) (tasks.get(id) as StreamTask).advance('topic', position);
    const written = await this.#writeGold(changes.filter(after('alertEvents')), late.filter(after('lateEvents')), positions);
    return { ...written, published: toPublish.length };
  }

  /** Queues the pending gold outputs on the background lane when due (or `force`). */
  #queueGold(force = false): void {
    if (this.#pendingPositions.size === 0) return;
    const due = this.#now() - this.#goldWrittenAt >= (this.#options.goldEveryMs ?? 1_000) || this.#pendingChanges.length >= 100_000;
    if (!force && !due) return;
    const changes = this.#pendingChanges;
    const late = this.#pendingLate;
    const positions = this.#pendingPositions;
    this.#pendingChanges = [];
    this.#pendingLate = [];
    this.#pendingPositions = new Map();
    this.#goldWrittenAt = this.#now();
    this.#background(async () => {
      await this.#writeGold(changes, late, positions);
    });
  }

  /**
   * The background lane: gold writes and open-alert rewrites, in order, off the path from an event
   * to its alert (the next batch's bronze commit does not wait for them). Its first error stops
   * the processor at the next batch.
   */
  #background(work: () => Promise<void>): void {
    this.#lane = this.#lane.then(work).catch((error: unknown) => {
      this.#laneError ??= error;
    });
  }

  #checkLane(): void {
    const error = this.#laneError;
    if (error !== null) throw error instanceof Error ? error : new Error(`background write failed: ${JSON.stringify(error)}`);
  }

  /** Appends alert and late events, recording each task's position in the same commits. */
  async #writeGold(
    changes: readonly EmittedChange[],
    late: readonly PositionedLateEvent[],
    positions: ReadonlyMap<TaskId, StreamPosition>,
  ): Promise<{ alertEvents: number; lateEvents: number }> {
    // Only positions that move a table forward are recorded: a catch-up flush must never record a
    // position below one the table already holds for a task.
    const summaryFor = (output: OutputName): Record<string, string> =>
      Object.fromEntries(
        [...positions]
          .filter(([id, position]) => (this.#tasks.get(id) as StreamTask).behind(output, position))
          .map(([id, position]) => [positionProperty(id), formatPosition(position)]),
      );
    if (changes.length > 0) {
      const summary = summaryFor('alertEvents');
      await this.#fenced('alertEvents', [...positions.keys()], summary, (expect) => this.#alertEvents.append(changes.map(alertEventRow), { summary, expect }));
    }
    if (late.length > 0) {
      const summary = summaryFor('lateEvents');
      await this.#fenced('lateEvents', [...positions.keys()], summary, (expect) => this.#lateEvents.append(late.map(lateEventRow), { summary, expect }));
    }
    for (const [id, position] of positions) {
      const task = this.#tasks.get(id) as StreamTask;
      // Without new rows nothing was committed; the position still holds: there was nothing to add.
      task.advance('alertEvents', position);
      task.advance('lateEvents', position);
    }
    return { alertEvents: changes.length, lateEvents: late.length };
  }

  /**
   * Commits to a table expecting each task's position property there to be what this processor last
   * saw, then remembers what it wrote. A second processor running one of the tasks is refused
   * with an error that says so, and nothing of its commit lands.
   */
  async #fenced<T>(
    table: FencedTable,
    tasks: readonly TaskId[],
    summary: Readonly<Record<string, string>>,
    commit: (expect: Record<string, string | null>) => Promise<T>,
  ): Promise<T> {
    const expect: Record<string, string | null> = {};
    for (const id of tasks) {
      const key = positionProperty(id);
      if (key in summary) expect[key] = (this.#tasks.get(id) as StreamTask).recorded[table];
    }
    let result: T;
    try {
      result = await commit(expect);
    } catch (error) {
      if (error instanceof LakeError && error.code === 'OP_LAKE_PRECONDITION_FAILED') {
        const key = typeof error.details.key === 'string' ? error.details.key : '';
        const task = Number(/task-(\d+)$/.exec(key)?.[1] ?? NaN);
        if (fencingChannel.hasSubscribers) fencingChannel.publish({ task, table } satisfies StreamFencingEvent);
        throw new StreamError(
          'OP_STREAM_TASK_TAKEN',
          `task ${task} was advanced by another processor (${error.message}): two processes are running task ${task}; give each process its own tasks (--tasks). Nothing of this batch was committed`,
          { details: { task, table, ...error.details }, cause: error },
        );
      }
      throw error;
    }
    for (const id of tasks) {
      const value = summary[positionProperty(id)];
      if (value !== undefined) (this.#tasks.get(id) as StreamTask).recorded[table] = value;
    }
    return result;
  }

  #openAlertsDue(): boolean {
    return this.#now() - this.#openAlertsWrittenAt >= (this.#options.openAlertsEveryMs ?? 1_000);
  }

  /** Each task's open alerts and detected position, taken now (the lake write may come later). */
  #openAlertsNow(): { readonly rows: Row[]; readonly positions: ReadonlyMap<TaskId, StreamPosition> } {
    const rows: Row[] = [];
    const positions = new Map<TaskId, StreamPosition>();
    for (const task of this.#tasks.values()) {
      for (const alert of task.detector.openAlerts()) rows.push(openAlertRow(task.id, alert));
      positions.set(task.id, task.detected);
    }
    return { rows, positions };
  }

  /**
   * Rewrites the open alerts of this processor's tasks. Owning every task, it replaces the table in
   * one commit; otherwise each task's rows are replaced on their own, leaving other processors' rows.
   */
  async #writeOpenAlerts(open: { readonly rows: readonly Row[]; readonly positions: ReadonlyMap<TaskId, StreamPosition> }): Promise<void> {
    this.#openAlertsWrittenAt = this.#now();
    try {
      await this.#replaceOpenAlerts(open);
    } catch (error) {
      // A snapshot of the open alerts that keeps losing to other writers is simply skipped: the
      // next one, a moment later, replaces it anyway (and its position says how current it is).
      if (error instanceof LakeError && error.code === 'OP_LAKE_COMMIT_CONFLICT') return;
      throw error;
    }
  }

  async #replaceOpenAlerts(open: { readonly rows: readonly Row[]; readonly positions: ReadonlyMap<TaskId, StreamPosition> }): Promise<void> {
    const summaryOf = (ids: readonly TaskId[]): Record<string, string> =>
      Object.fromEntries(ids.map((id) => [positionProperty(id), formatPosition(open.positions.get(id) ?? START_POSITION)]));
    const ids = [...open.positions.keys()];
    if (ids.length === this.partitions) {
      const summary = summaryOf(ids);
      await this.#fenced('openAlerts', ids, summary, (expect) => this.#openAlerts.overwrite(open.rows, { filter: [], summary, expect }));
    } else {
      for (const id of ids) {
        const summary = summaryOf([id]);
        await this.#fenced('openAlerts', [id], summary, (expect) =>
          this.#openAlerts.overwrite(
            open.rows.filter((r) => r.task === id),
            { filter: [{ column: 'task', op: '=', value: id }], summary, expect },
          ),
        );
      }
    }
    for (const [id, position] of open.positions) (this.#tasks.get(id) as StreamTask).advance('openAlerts', position);
  }

  #observe(report: BatchReport, changes: readonly EmittedChange[], perTopic: ReadonlyMap<string, number>, appendedAt: readonly number[]): void {
    if (batchChannel.hasSubscribers) batchChannel.publish(this.#batchEvent(report, changes, perTopic, appendedAt));
    this.#options.onBatch?.(report);
  }

  /** The batch as the metrics see it, with the gauges' current values (the listener keeps no state). */
  #batchEvent(report: BatchReport, changes: readonly EmittedChange[], perTopic: ReadonlyMap<string, number>, appendedAt: readonly number[]): StreamBatchEvent {
    const publishedAt = this.#now();
    const open = new Map<Rule, { count: number; valueBrl: number }>(RULE_NAMES.map((rule) => [rule, { count: 0, valueBrl: 0 }]));
    for (const task of this.#tasks.values()) {
      for (const alert of task.detector.openAlerts()) {
        const entry = open.get(alert.rule) as { count: number; valueBrl: number };
        entry.count++;
        entry.valueBrl += alert.priority;
      }
    }
    return {
      idle: report.idle,
      recordsByTopic: Object.fromEntries(perTopic),
      timings: report.timings,
      alerts: changes.map(({ change }, i) => ({ rule: change.alert.rule, change: change.kind, appendedAt: appendedAt[i] ?? null, publishedAt })),
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

/**
 * Per task, the furthest position published on the alerts topic: the last record of partition p
 * is task p's (the topic has the input's partition count, and an alert is keyed by its order).
 */
async function publishedPositions(log: EventLog, codec: AlertCodec, partitions: number): Promise<Map<TaskId, StreamPosition>> {
  const [topic] = await log.describeTopics([ALERTS_TOPIC]);
  const found = new Map<TaskId, StreamPosition>();
  if (topic === undefined) return found;
  if (topic.partitions !== partitions) {
    throw new StreamError(
      'OP_STREAM_NOT_COPARTITIONED',
      `topic ${ALERTS_TOPIC} has ${topic.partitions} partitions but the input topics have ${partitions}: each task publishes to its own partition`,
      { details: { topic: ALERTS_TOPIC, partitions: topic.partitions, input: partitions } },
    );
  }
  for (let partition = 0; partition < topic.partitions; partition++) {
    const end = topic.endOffsets[partition] ?? 0;
    if (end <= (topic.beginningOffsets[partition] ?? 0)) continue;
    const [record] = await log.fetch({ topic: ALERTS_TOPIC, partition, offset: end - 1, maxRecords: 1 });
    if (record === undefined) continue;
    const { task, position } = await codec.decode(record.value, record);
    const previous = found.get(task);
    if (previous === undefined || comparePositions(position, previous) > 0) found.set(task, position);
  }
  return found;
}
