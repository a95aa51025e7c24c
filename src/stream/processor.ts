import { setTimeout as sleep } from 'node:timers/promises';
import type { EventCodec, MarketplaceEvent } from '../events/index.js';
import { TOPICS, eventKey } from '../events/index.js';
import type { IcebergTable, Lake, Row } from '../lake/index.js';
import type { EventLog, RecordPosition } from '../log/index.js';
import type { AlertCodec } from './alert-codec.js';
import { ALERTS_TOPIC } from './alert-codec.js';
import { DelayDetector } from './detector.js';
import { StreamError } from './errors.js';
import type { DetectorStats } from './detector.js';
import { gradeWeightFrom, loadProductGrades } from './grades.js';
import type { InputRecord } from './merge.js';
import { LogMerger, NEED_FETCH, partitionKey } from './merge.js';
import type { StreamMetrics } from './metrics.js';
import type { PositionedChange, PositionedLateEvent, StreamPosition } from './tables.js';
import {
  ALERT_EVENTS,
  ALERT_EVENTS_TABLE,
  BRONZE_EVENTS,
  BRONZE_EVENTS_TABLE,
  LATE_EVENTS,
  LATE_EVENTS_TABLE,
  OFFSETS_PROPERTY,
  OPEN_ALERTS,
  OPEN_ALERTS_TABLE,
  POSITION_PROPERTY,
  START_POSITION,
  UNDECODABLE_EVENT_TYPE,
  alertEventRow,
  comparePositions,
  formatPosition,
  lateEventRow,
  openAlertRow,
  parsePosition,
} from './tables.js';
import type { Alert, GradeWeight, Rule, StreamConfig } from './types.js';

/**
 * The stream processor: the log in micro-batches → bronze (exactly once) → the delay detector →
 * alerts (the alerts topic, `gold.alert_events`, `gold.open_alerts`) and late events.
 *
 * One batch:
 *   1. take up to `maxBatchEvents` records from the merged partitions (see `LogMerger`), each given
 *      the next processing position (`processed_seq`);
 *   2. run them through the detector, collecting alert changes and late events;
 *   3. append them to bronze in ONE commit whose summary holds the log offsets after the batch and
 *      the position reached: that commit is the decision point;
 *   4. write the outputs: alerts topic, alert events, late events; each output records the position
 *      it holds everything up to (in its records or its snapshot summary).
 *
 * Restart (`open`): bronze is read back in processing order and replayed through a new detector,
 * which rebuilds the exact state (the detector is deterministic); the outputs each output lacks —
 * those after its recorded position — are written; reading resumes at bronze's offsets. So a kill -9
 * at any point loses nothing and duplicates nothing in the lake or on the alerts topic.
 *
 * A failed batch (the lake or log unreachable) stops the processor with the error: its in-memory
 * state may be ahead of the lake, and a restart recovers from the lake.
 */

export interface IdlePolicy {
  /** Wall-clock milliseconds with nothing to read before the watermark is moved on its own. */
  readonly afterMs: number;
  /**
   * Where it moves to: the newest event time + this (ms). 0 gives up the allowed lateness: the
   * watermark catches up with the newest event, so deadlines up to it fire though no event follows.
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
  /** Topics to read (default: orders and reviews). */
  readonly topics?: readonly string[];
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
  /** Product-grade weight; by default read from `gold.product_grades` when it exists. */
  readonly gradeWeight?: GradeWeight;
  readonly metrics?: StreamMetrics;
  /** Wall clock (ingest times, batch timing). */
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
  readonly position: StreamPosition;
  readonly bronzeSnapshotId: number | null;
  readonly watermark: number;
  /** Wall-clock ms per phase. */
  readonly timings: { readonly read: number; readonly detect: number; readonly bronze: number; readonly outputs: number; readonly total: number };
  /** True for an idle advance (no records, the watermark moved by the idle policy). */
  readonly idle: boolean;
}

export interface RecoveryReport {
  /** Bronze rows replayed to rebuild the detector's state. */
  readonly replayed: number;
  readonly position: StreamPosition;
  /** Outputs written on recovery that a crash had kept from being written. */
  readonly caughtUp: { readonly alertEvents: number; readonly lateEvents: number; readonly published: number };
  readonly offsets: Readonly<Record<string, number>>;
  readonly ms: number;
}

export interface RunOptions {
  /** Stop once the log is read to its end and the idle policy has moved the watermark. */
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

/** One place the processor's outputs go, with the position it holds everything up to. */
interface Output {
  readonly name: string;
  position: StreamPosition;
}

interface Outputs {
  readonly alertEvents: Output;
  readonly lateEvents: Output;
  readonly topic: Output;
  readonly openAlerts: Output;
}

export class StreamProcessor {
  readonly detector: DelayDetector;
  readonly recovery: RecoveryReport;
  readonly #options: StreamProcessorOptions;
  readonly #log: EventLog;
  readonly #bronze: IcebergTable;
  readonly #alertEvents: IcebergTable;
  readonly #lateEvents: IcebergTable;
  readonly #openAlerts: IcebergTable;
  readonly #merger: LogMerger;
  readonly #now: () => number;
  readonly #outputs: Outputs;
  #alertPartitions = 0;
  /** The position committed to bronze. */
  #position: StreamPosition;
  /** The position the detector has reached: one batch ahead of `#position` while a commit is in flight. */
  #detected: StreamPosition;
  #inFlight: Promise<void> | null = null;
  #pendingChanges: EmittedChange[] = [];
  #pendingLate: PositionedLateEvent[] = [];
  #pendingPosition: StreamPosition | null = null;
  #goldWrittenAt = 0;
  #lane: Promise<void> = Promise.resolve();
  #laneError: unknown = null;
  #openAlertsWrittenAt = 0;
  #idleSince: number | null = null;
  #idleDoneFor = -Infinity;
  #lastStats: DetectorStats;

  private constructor(init: {
    readonly options: StreamProcessorOptions;
    readonly detector: DelayDetector;
    readonly tables: readonly [IcebergTable, IcebergTable, IcebergTable, IcebergTable];
    readonly merger: LogMerger;
    readonly position: StreamPosition;
    readonly outputs: Outputs;
    readonly recovery: RecoveryReport;
    readonly alertPartitions: number;
  }) {
    this.#options = init.options;
    this.#log = init.options.log;
    this.detector = init.detector;
    [this.#bronze, this.#alertEvents, this.#lateEvents, this.#openAlerts] = init.tables;
    this.#merger = init.merger;
    this.#position = init.position;
    this.#detected = init.position;
    this.#outputs = init.outputs;
    this.recovery = init.recovery;
    this.#alertPartitions = init.alertPartitions;
    this.#now = init.options.now ?? Date.now;
    this.#lastStats = init.detector.stats();
  }

  /** The position of the last input processed (and committed to bronze). */
  get position(): StreamPosition {
    return this.#position;
  }

  /**
   * Opens the processor: creates its tables and the alerts topic when missing, rebuilds the
   * detector from bronze and writes what a crash kept from the outputs.
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
    const tables = [
      await lake.ensureTable(BRONZE_EVENTS_TABLE, BRONZE_EVENTS),
      await lake.ensureTable(ALERT_EVENTS_TABLE, ALERT_EVENTS),
      await lake.ensureTable(LATE_EVENTS_TABLE, LATE_EVENTS),
      await lake.ensureTable(OPEN_ALERTS_TABLE, OPEN_ALERTS),
    ] as const;
    const [bronze, alertEvents, lateEvents, openAlerts] = tables;
    const gradeWeight = options.gradeWeight ?? (await defaultGradeWeight(lake));
    const detector = new DelayDetector(options.config ?? {}, gradeWeight === null ? {} : { gradeWeight });

    let alertPartitions = 0;
    if (options.alertCodec !== undefined && options.alertCodec !== null) {
      alertPartitions = Math.max(...described.map((d) => d.partitions));
      await log.createTopic({ name: ALERTS_TOPIC, partitions: alertPartitions });
      alertPartitions = (await log.describeTopics([ALERTS_TOPIC]))[0]?.partitions ?? alertPartitions;
    }

    const recordedOffsets = bronze.lastSummaryValue(OFFSETS_PROPERTY);
    const offsets: Record<string, number> = recordedOffsets === null ? {} : (JSON.parse(recordedOffsets) as Record<string, number>);
    const bronzePosition = parsePosition(bronze.lastSummaryValue(POSITION_PROPERTY), BRONZE_EVENTS_TABLE) ?? START_POSITION;
    const outputs = {
      alertEvents: { name: ALERT_EVENTS_TABLE, position: parsePosition(alertEvents.lastSummaryValue(POSITION_PROPERTY), ALERT_EVENTS_TABLE) ?? START_POSITION },
      lateEvents: { name: LATE_EVENTS_TABLE, position: parsePosition(lateEvents.lastSummaryValue(POSITION_PROPERTY), LATE_EVENTS_TABLE) ?? START_POSITION },
      topic: {
        name: ALERTS_TOPIC,
        position: options.alertCodec === undefined || options.alertCodec === null ? bronzePosition : await publishedPosition(log, options.alertCodec),
      },
      openAlerts: { name: OPEN_ALERTS_TABLE, position: parsePosition(openAlerts.lastSummaryValue(POSITION_PROPERTY), OPEN_ALERTS_TABLE) ?? START_POSITION },
    };

    const partitions = described.flatMap((d) =>
      Array.from({ length: d.partitions }, (_, partition) => ({
        topic: d.name,
        partition,
        offset: offsets[partitionKey(d.name, partition)] ?? d.beginningOffsets[partition] ?? 0,
      })),
    );
    const merger = new LogMerger({ log, codec: options.codec, partitions, ...(options.fetchSize === undefined ? {} : { fetchSize: options.fetchSize }) });

    const processor = new StreamProcessor({
      options,
      detector,
      tables,
      merger,
      position: bronzePosition,
      outputs,
      alertPartitions,
      recovery: { replayed: 0, position: bronzePosition, caughtUp: { alertEvents: 0, lateEvents: 0, published: 0 }, offsets: {}, ms: 0 },
    });
    const caughtUp = await processor.#rebuild(bronzePosition);
    const recovery: RecoveryReport = {
      replayed: bronzePosition.seq,
      position: processor.#position,
      caughtUp,
      offsets: merger.consumedOffsets(),
      ms: performance.now() - started,
    };
    (processor as { recovery: RecoveryReport }).recovery = recovery;
    return processor;
  }

  /**
   * Replays bronze through the detector up to `through`, then moves the watermark to the furthest
   * idle floor an output recorded; the outputs each output misses are written.
   */
  async #rebuild(through: StreamPosition): Promise<RecoveryReport['caughtUp']> {
    const caughtUp = { alertEvents: 0, lateEvents: 0, published: 0 };
    const behind = (output: Output, position: StreamPosition): boolean => comparePositions(output.position, position) < 0;
    const anyBehind = (): boolean => [this.#outputs.alertEvents, this.#outputs.lateEvents, this.#outputs.topic].some((o) => behind(o, through));
    let changes: EmittedChange[] = [];
    let late: PositionedLateEvent[] = [];
    const flush = async (position: StreamPosition): Promise<void> => {
      const written = await this.#writeOutputs(changes, late, position, true);
      caughtUp.alertEvents += written.alertEvents;
      caughtUp.lateEvents += written.lateEvents;
      caughtUp.published += written.published;
      changes = [];
      late = [];
    };
    const collect = (position: StreamPosition, produced: readonly PositionedChange['change'][], cause: RecordPosition | null): void => {
      for (const change of produced) changes.push({ change, position, cause });
      for (const event of this.detector.drainLate()) late.push({ late: event, position });
    };

    for (let from = 0; from < through.seq; from += REBUILD_CHUNK) {
      const to = Math.min(through.seq, from + REBUILD_CHUNK);
      const scan = await this.#bronze.scan({
        filter: [
          { column: 'processed_seq', op: '>', value: from },
          { column: 'processed_seq', op: '<=', value: to },
        ],
      });
      const { rows } = await scan.query(
        `SELECT processed_seq AS seq, epoch_ms(watermark_floor) AS floor, topic, log_partition AS partition, log_offset AS "offset", payload
         FROM t WHERE processed_seq > ${from} AND processed_seq <= ${to} AND event_type <> '${UNDECODABLE_EVENT_TYPE}'
         ORDER BY processed_seq`,
      );
      for (const row of rows) {
        const seq = Number(row.seq);
        const floor = row.floor === null ? null : Number(row.floor);
        if (floor !== null && floor > (this.detector.watermarkFloor ?? -Infinity)) {
          collect({ seq: seq - 1, floor }, this.detector.advanceWatermark(floor), null);
        }
        const event = JSON.parse(String(row.payload)) as MarketplaceEvent;
        const cause = { topic: String(row.topic), partition: Number(row.partition), offset: Number(row.offset) };
        collect({ seq, floor: this.detector.watermarkFloor }, this.detector.process(event), cause);
      }
      if (anyBehind()) await flush({ seq: to, floor: this.detector.watermarkFloor });
      else {
        changes = [];
        late = [];
      }
    }
    // An idle advance after the last bronze row is recorded only by the outputs it reached.
    const { alertEvents, lateEvents, topic, openAlerts } = this.#outputs;
    const floors = [alertEvents, lateEvents, topic, openAlerts]
      .map((o: Output): StreamPosition => o.position)
      .filter((p) => p.seq === through.seq && p.floor !== null)
      .map((p) => p.floor ?? -Infinity);
    const floor = Math.max(through.floor ?? -Infinity, ...floors);
    let position: StreamPosition = { seq: through.seq, floor: this.detector.watermarkFloor };
    if (Number.isFinite(floor) && floor > (this.detector.watermarkFloor ?? -Infinity)) {
      position = { seq: through.seq, floor };
      collect(position, this.detector.advanceWatermark(floor), null);
    }
    await flush(position);
    this.#position = position;
    this.#detected = position;
    if (comparePositions(this.#outputs.openAlerts.position, position) !== 0) await this.#writeOpenAlerts(position, this.detector.openAlerts());
    this.#updateGauges();
    return caughtUp;
  }

  /**
   * Reads and detects one batch, then starts its commit; null when there was nothing to read.
   *
   * Pipelined: the batch's bronze commit and output writes run while the next batch is read and
   * detected (DuckDB and the file system work on their own threads), and commits stay in batch
   * order — each waits for the one before. `flush()` waits for the last. The detector thus runs at
   * most one batch ahead of the lake; a crash loses that batch from memory only, and a restart
   * redoes it from the log.
   */
  async processBatch(): Promise<{ readonly records: number; readonly changes: number } | null> {
    this.#checkLane();
    const started = performance.now();
    const maxEvents = this.#options.maxBatchEvents ?? 50_000;
    const maxMs = this.#options.maxBatchMs ?? 500;
    const inputs: InputRecord[] = [];
    this.#merger.newRound();
    while (inputs.length < maxEvents) {
      const next = this.#merger.take();
      if (next === NEED_FETCH) {
        if (performance.now() - started > maxMs && inputs.length > 0) break;
        await this.#merger.fetch();
        continue;
      }
      if (next === null) break;
      inputs.push(next);
    }
    if (inputs.length === 0) {
      await this.#settle();
      this.#queueGold();
      return null;
    }
    const read = performance.now();

    const floor = this.detector.watermarkFloor;
    const ingestTime = this.#now();
    const rows: Row[] = new Array<Row>(inputs.length);
    const changes: EmittedChange[] = [];
    const late: PositionedLateEvent[] = [];
    let seq = this.#detected.seq;
    let undecodable = 0;
    const perTopic = new Map<string, number>();
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i] as InputRecord;
      seq++;
      const position: StreamPosition = { seq, floor };
      const record = input.record;
      perTopic.set(record.topic, (perTopic.get(record.topic) ?? 0) + 1);
      const event = input.event;
      if (event === null) {
        undecodable++;
        this.#options.metrics?.undecodable.inc({ topic: record.topic });
        rows[i] = undecodableRow(input, ingestTime, position);
        continue;
      }
      for (const change of this.detector.process(event)) {
        changes.push({ change, position, cause: { topic: record.topic, partition: record.partition, offset: record.offset } });
      }
      for (const event of this.detector.drainLate()) late.push({ late: event, position });
      rows[i] = {
        topic: record.topic,
        log_partition: record.partition,
        log_offset: record.offset,
        event_id: event.eventId,
        event_type: event.type,
        key: eventKey(event),
        event_time: event.eventTime,
        ingest_time: ingestTime,
        schema_id: input.schemaId,
        payload: JSON.stringify(event),
        processed_seq: seq,
        watermark_floor: floor,
      };
    }
    const position: StreamPosition = { seq, floor };
    this.#detected = position;
    const offsets = JSON.stringify(this.#merger.consumedOffsets());
    const openAlerts = this.#openAlertsDue() ? this.detector.openAlerts() : null;
    const detected = performance.now();
    for (const [topic, n] of perTopic) this.#options.metrics?.eventsIn.inc({ topic }, n);

    const previous = this.#inFlight;
    this.#inFlight = (async () => {
      await previous;
      const committing = performance.now();
      const commit = await this.#bronze.append(rows, {
        summary: { [OFFSETS_PROPERTY]: offsets, [POSITION_PROPERTY]: formatPosition(position) },
      });
      this.#position = position;
      const committed = performance.now();
      await this.#writeOutputs(changes, late, position, false);
      if (openAlerts !== null) this.#background(() => this.#writeOpenAlerts(position, openAlerts));
      const done = performance.now();
      this.#observe(
        {
          records: inputs.length,
          undecodable,
          changes: changes.length,
          lateEvents: late.length,
          position,
          bronzeSnapshotId: commit.snapshotId,
          watermark: this.detector.watermark,
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
      );
    })();
    // A failed commit must stop the next batch, not go unobserved until then.
    this.#inFlight.catch(() => undefined);
    this.#idleSince = null;
    return { records: inputs.length, changes: changes.length };
  }

  /** Waits for the batch commit in flight, if any; throws its error. */
  async #settle(): Promise<void> {
    const inFlight = this.#inFlight;
    this.#inFlight = null;
    await inFlight;
  }

  /** Waits for the batch commit in flight and writes every pending output. */
  async flush(): Promise<void> {
    await this.#settle();
    this.#queueGold(true);
    await this.#drainLane();
  }

  #openAlertsDue(): boolean {
    return this.#now() - this.#openAlertsWrittenAt >= (this.#options.openAlertsEveryMs ?? 1_000);
  }

  /**
   * Applies the idle policy: when nothing has been read for `afterMs`, moves the watermark to the
   * newest event time + `advanceMs` (once per newest event time). Returns the report of the move,
   * or null when the policy did nothing.
   */
  async idle(): Promise<BatchReport | null> {
    await this.#settle();
    this.#queueGold();
    const policy = this.#options.idle ?? DEFAULT_IDLE_POLICY;
    const now = this.#now();
    this.#idleSince ??= now;
    if (now - this.#idleSince < policy.afterMs) return null;
    await this.flush();
    const newest = this.detector.maxEventTime;
    if (!Number.isFinite(newest) || this.#idleDoneFor === newest) return null;
    this.#idleDoneFor = newest;
    const target = newest + policy.advanceMs;
    if (target <= this.detector.watermark) return null;
    const started = performance.now();
    const position: StreamPosition = { seq: this.#position.seq, floor: target };
    const changes: EmittedChange[] = this.detector.advanceWatermark(target).map((change) => ({ change, position, cause: null }));
    this.#position = position;
    this.#detected = position;
    const detected = performance.now();
    await this.#writeOutputs(changes, [], position, false);
    await this.flush();
    await this.#writeOpenAlerts(position, this.detector.openAlerts());
    const done = performance.now();
    const report: BatchReport = {
      records: 0,
      undecodable: 0,
      changes: changes.length,
      lateEvents: 0,
      position,
      bronzeSnapshotId: null,
      watermark: this.detector.watermark,
      timings: { read: 0, detect: detected - started, bronze: 0, outputs: done - detected, total: done - started },
      idle: true,
    };
    this.#observe(report, changes);
    return report;
  }

  #quietMs(): number {
    return this.#idleSince === null ? 0 : this.#now() - this.#idleSince;
  }

  /** Runs batches until stopped by the signal, or (with `untilIdle`) until the log is done and idle. */
  async run(options: RunOptions = {}): Promise<RunReport> {
    let batches = 0;
    let records = 0;
    let changes = 0;
    const poll = this.#options.pollIntervalMs ?? 10;
    const policy = this.#options.idle ?? DEFAULT_IDLE_POLICY;
    while (options.signal?.aborted !== true) {
      const batch = await this.processBatch();
      if (batch !== null) {
        batches++;
        records += batch.records;
        changes += batch.changes;
        continue;
      }
      const idle = await this.idle();
      if (idle !== null) changes += idle.changes;
      // idle() has applied the policy once the log has been quiet for afterMs.
      if (options.untilIdle === true && this.#quietMs() >= policy.afterMs) break;
      await sleep(poll, undefined, options.signal === undefined ? {} : { signal: options.signal }).catch(() => undefined);
    }
    await this.flush();
    if (comparePositions(this.#outputs.openAlerts.position, this.#position) !== 0) await this.#writeOpenAlerts(this.#position, this.detector.openAlerts());
    return { batches, records, changes, stopped: options.signal?.aborted === true ? 'signal' : 'idle' };
  }

  /** The open alerts, highest priority first. */
  openAlerts(): Alert[] {
    return this.detector.openAlerts();
  }

  /**
   * Writes outputs up to `position` to every output that lacks them. On recovery (`catchUp`), only
   * the outputs after an output's recorded position go to it.
   */
  async #writeOutputs(
    changes: readonly EmittedChange[],
    late: readonly PositionedLateEvent[],
    position: StreamPosition,
    catchUp: boolean,
  ): Promise<{ alertEvents: number; lateEvents: number; published: number }> {
    const after = (output: Output) => (c: { readonly position: StreamPosition }) => !catchUp || comparePositions(c.position, output.position) > 0;
    const { topic } = this.#outputs;
    const toPublish = this.#options.alertCodec === undefined || this.#options.alertCodec === null ? [] : changes.filter(after(topic));
    if (toPublish.length > 0) {
      const codec = this.#options.alertCodec as AlertCodec;
      await this.#log.append(toPublish.map((c) => codec.encode(c)));
    }
    if (comparePositions(topic.position, position) < 0) topic.position = position;
    if (!catchUp && changes.length > 0) this.#options.onAlerts?.(changes);

    if (!catchUp) {
      // The gold tables are written at most every goldEveryMs, for many batches at once: a commit
      // per micro-batch would double the time from an event to its alert. Their recorded positions
      // make a restart write what a crash kept in memory.
      for (const c of changes) this.#pendingChanges.push(c);
      for (const l of late) this.#pendingLate.push(l);
      this.#pendingPosition = position;
      this.#queueGold();
      return { alertEvents: 0, lateEvents: 0, published: toPublish.length };
    }
    return { ...(await this.#writeGold(changes, late, position, catchUp)), published: toPublish.length };
  }

  /**
   * Queues the pending gold outputs on the background lane when `goldEveryMs` has passed since the
   * last write (or `force`).
   */
  #queueGold(force = false): void {
    const position = this.#pendingPosition;
    if (position === null) return;
    const due = this.#now() - this.#goldWrittenAt >= (this.#options.goldEveryMs ?? 1_000) || this.#pendingChanges.length >= 100_000;
    if (!force && !due) return;
    const changes = this.#pendingChanges;
    const late = this.#pendingLate;
    this.#pendingChanges = [];
    this.#pendingLate = [];
    this.#pendingPosition = null;
    this.#goldWrittenAt = this.#now();
    this.#background(async () => {
      await this.#writeGold(changes, late, position, false);
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

  async #drainLane(): Promise<void> {
    await this.#lane;
    this.#checkLane();
  }

  #checkLane(): void {
    const error = this.#laneError;
    if (error !== null) throw error instanceof Error ? error : new Error(`background write failed: ${JSON.stringify(error)}`);
  }

  async #writeGold(
    changes: readonly EmittedChange[],
    late: readonly PositionedLateEvent[],
    position: StreamPosition,
    catchUp: boolean,
  ): Promise<{ alertEvents: number; lateEvents: number }> {
    const after = (output: Output) => (c: { readonly position: StreamPosition }) => !catchUp || comparePositions(c.position, output.position) > 0;
    const { alertEvents, lateEvents } = this.#outputs;
    const summary = { [POSITION_PROPERTY]: formatPosition(position) };
    const newAlertEvents = changes.filter(after(alertEvents));
    if (newAlertEvents.length > 0) await this.#alertEvents.append(newAlertEvents.map(alertEventRow), { summary });
    if (newAlertEvents.length > 0 || comparePositions(alertEvents.position, position) < 0) alertEvents.position = position;
    const newLate = late.filter(after(lateEvents));
    if (newLate.length > 0) await this.#lateEvents.append(newLate.map(lateEventRow), { summary });
    if (comparePositions(lateEvents.position, position) < 0) lateEvents.position = position;
    return { alertEvents: newAlertEvents.length, lateEvents: newLate.length };
  }

  async #writeOpenAlerts(position: StreamPosition, open: readonly Alert[]): Promise<void> {
    const rows = open.map((alert, i) => openAlertRow(alert, i + 1));
    await this.#openAlerts.overwrite(rows, { filter: [], summary: { [POSITION_PROPERTY]: formatPosition(position) } });
    this.#outputs.openAlerts.position = position;
    this.#openAlertsWrittenAt = this.#now();
  }

  #observe(report: BatchReport, changes: readonly EmittedChange[]): void {
    const metrics = this.#options.metrics;
    if (metrics !== undefined) {
      const stats = this.detector.stats();
      if (!report.idle) {
        metrics.batchEvents.observe(report.records);
        metrics.batchSeconds.observe({ phase: 'read' }, report.timings.read / 1000);
        metrics.batchSeconds.observe({ phase: 'bronze' }, report.timings.bronze / 1000);
      }
      metrics.batchSeconds.observe({ phase: 'detect' }, report.timings.detect / 1000);
      metrics.batchSeconds.observe({ phase: 'outputs' }, report.timings.outputs / 1000);
      metrics.batchSeconds.observe({ phase: 'total' }, report.timings.total / 1000);
      metrics.lateEvents.inc(stats.late - this.#lastStats.late);
      metrics.duplicates.inc(stats.duplicates - this.#lastStats.duplicates);
      for (const { change } of changes) metrics.alertChanges.inc({ rule: change.alert.rule, change: change.kind });
      this.#lastStats = stats;
      this.#updateGauges();
    }
    this.#options.onBatch?.(report);
  }

  #updateGauges(): void {
    const metrics = this.#options.metrics;
    if (metrics === undefined) return;
    const stats = this.detector.stats();
    if (Number.isFinite(stats.watermark)) metrics.watermark.set(stats.watermark / 1000);
    const newest = this.detector.maxEventTime;
    if (Number.isFinite(newest)) metrics.eventTimeLag.set((this.#now() - newest) / 1000);
    metrics.ordersInState.set(stats.ordersInState);
    const byRule = new Map<Rule, number>();
    for (const alert of this.detector.openAlerts()) byRule.set(alert.rule, (byRule.get(alert.rule) ?? 0) + 1);
    metrics.setOpenAlerts(byRule);
  }

  /** Partitions of the alerts topic (0 when not publishing). */
  get alertPartitions(): number {
    return this.#alertPartitions;
  }
}

function undecodableRow(input: InputRecord, ingestTime: number, position: StreamPosition): Row {
  const record = input.record;
  return {
    topic: record.topic,
    log_partition: record.partition,
    log_offset: record.offset,
    event_id: `undecodable:${record.topic}/${record.partition}/${record.offset}`,
    event_type: UNDECODABLE_EVENT_TYPE,
    key: record.key === null ? '' : Buffer.from(record.key).toString('utf8'),
    event_time: record.timestamp,
    ingest_time: ingestTime,
    schema_id: input.schemaId,
    payload: JSON.stringify({ error: input.error, value: Buffer.from(record.value).toString('base64') }),
    processed_seq: position.seq,
    watermark_floor: position.floor,
  };
}

async function defaultGradeWeight(lake: Lake): Promise<GradeWeight | null> {
  const grades = await loadProductGrades(lake);
  return grades === null ? null : gradeWeightFrom(grades);
}

/** The furthest position found on the alerts topic: the last record of each partition. */
async function publishedPosition(log: EventLog, codec: AlertCodec): Promise<StreamPosition> {
  const [topic] = await log.describeTopics([ALERTS_TOPIC]);
  let furthest = START_POSITION;
  if (topic === undefined) return furthest;
  for (let partition = 0; partition < topic.partitions; partition++) {
    const end = topic.endOffsets[partition] ?? 0;
    if (end <= (topic.beginningOffsets[partition] ?? 0)) continue;
    const [record] = await log.fetch({ topic: ALERTS_TOPIC, partition, offset: end - 1, maxRecords: 1 });
    if (record === undefined) continue;
    const { position } = await codec.decode(record.value, record);
    if (comparePositions(position, furthest) > 0) furthest = position;
  }
  return furthest;
}
