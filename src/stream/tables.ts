import { eventKey } from '../events/index.js';
import { Utf8ColumnBuilder } from '../lake/index.js';
import type { ColumnRows, CreateTableOptions, IcebergTable, Row } from '../lake/index.js';
import type { Alert, AlertChange } from './types.js';
import type { LateEvent } from './detector.js';
import { StreamError } from './errors.js';
import type { InputRecord } from './merge.js';

/**
 * The stream processor's Iceberg tables, and how its records become rows.
 *
 * Every row the processor writes carries the PROCESSING POSITION it came from: `processed_seq`, the
 * place of the input event in the order the detector saw the events (1, 2, 3, ... over the life of
 * the pipeline), and `watermark_floor`, the watermark the idle policy had imposed by then. Bronze is
 * the source of truth: the detector's state is rebuilt from it on restart, and each derived table
 * records in its snapshot summary the position it holds everything up to (see `StreamPosition`).
 */

export const BRONZE_EVENTS_TABLE = 'bronze.order_events';
export const LATE_EVENTS_TABLE = 'bronze.late_events';
export const ALERT_EVENTS_TABLE = 'gold.alert_events';
export const OPEN_ALERTS_TABLE = 'gold.open_alerts';

/**
 * The processor's work is split in TASKS, one per input partition number: task 3 reads partition 3
 * of every input topic (they are co-partitioned by order id), with its own detector, watermark and
 * processing positions. Tasks never share state, so processors can share them out.
 */
export type TaskId = number;

/** Bronze summary property of a task: the log offsets its rows reach, `{"orders/3": 1234, "reviews/3": 99}` (next offset to read). */
export function offsetsProperty(task: TaskId): string {
  return `orderpulse.log-offsets.task-${task}`;
}

/**
 * Bronze summary property of a task: its watermark after the batch, in epoch milliseconds. With it a
 * reader knows how far event time is complete without running a detector.
 */
export function watermarkProperty(task: TaskId): string {
  return `orderpulse.watermark.task-${task}`;
}

/** Summary property of every stream table, per task: the `StreamPosition` its rows of the task are complete up to, as JSON. */
export function positionProperty(task: TaskId): string {
  return `orderpulse.stream-position.task-${task}`;
}

/** `event_type` of a record that did not decode: kept in bronze, with the error, so nothing is lost. */
export const UNDECODABLE_EVENT_TYPE = 'Undecodable';

/**
 * Log records as bronze keeps them, built column by column: where each was in the log, the
 * event's id, type, key and time, and the event itself as JSON (camelCase, as the event model has
 * it). A record that did not decode gets an id made of its place in the log, its log timestamp as
 * event time, and as payload the error and its bytes in base64, so nothing is lost.
 * `bronze.reference_events` has these columns alone; `bronze.order_events` adds its processing
 * columns (`BronzeRows`). Columns, not an object per row: a batch holds tens of thousands of rows,
 * and the lake checks and encodes each column in one pass.
 */
export class RecordRows {
  readonly #topic: string[] = [];
  readonly #logPartition: number[] = [];
  readonly #logOffset: number[] = [];
  // A row's event id, key and payload go into UTF-8 buffers as they come (a few hundred at a time).
  // A batch keeps its rows until its commit: kept as strings, they were copied by each young
  // collection on the way, promoted, then joined, copied to the writer thread and encoded there.
  readonly #eventId = new Utf8ColumnBuilder();
  readonly #eventType: string[] = [];
  readonly #key = new Utf8ColumnBuilder();
  readonly #eventTime: number[] = [];
  readonly #ingestTime: number[] = [];
  readonly #schemaId: number[] = [];
  readonly #payload = new Utf8ColumnBuilder(1 << 18);

  get rowCount(): number {
    return this.#topic.length;
  }

  /** The row of `input`, taken in at `ingestTime`. */
  add(input: InputRecord, ingestTime: number): void {
    const record = input.record;
    const event = input.event;
    this.#topic.push(record.topic);
    this.#logPartition.push(record.partition);
    this.#logOffset.push(record.offset);
    this.#ingestTime.push(ingestTime);
    this.#schemaId.push(input.schemaId);
    if (event === null) {
      this.#eventId.push(`undecodable:${record.topic}/${record.partition}/${record.offset}`);
      this.#eventType.push(UNDECODABLE_EVENT_TYPE);
      this.#key.push(record.key === null ? '' : Buffer.from(record.key).toString('utf8'));
      this.#eventTime.push(record.timestamp);
      this.#payload.push(JSON.stringify({ error: input.error, value: Buffer.from(record.value).toString('base64') }));
      return;
    }
    this.#eventId.push(event.eventId);
    this.#eventType.push(event.type);
    this.#key.push(eventKey(event));
    this.#eventTime.push(event.eventTime);
    this.#payload.push(JSON.stringify(event));
  }

  /** The rows as the lake takes them. */
  columns(): ColumnRows {
    return {
      rowCount: this.rowCount,
      columns: {
        topic: this.#topic,
        log_partition: this.#logPartition,
        log_offset: this.#logOffset,
        event_id: this.#eventId.build(),
        event_type: this.#eventType,
        key: this.#key.build(),
        event_time: this.#eventTime,
        ingest_time: this.#ingestTime,
        schema_id: this.#schemaId,
        payload: this.#payload.build(),
      },
    };
  }
}

/** A batch's rows of `bronze.order_events`: `RecordRows` and each record's processing position. */
export class BronzeRows {
  readonly #records = new RecordRows();
  readonly #task: number[] = [];
  readonly #processedSeq: number[] = [];
  readonly #watermarkFloor: (number | null)[] = [];

  get rowCount(): number {
    return this.#records.rowCount;
  }

  /** The row of `input`, processed by `task` at `seq` under watermark floor `floor`. */
  add(input: InputRecord, ingestTime: number, task: TaskId, seq: number, floor: number | null): void {
    this.#records.add(input, ingestTime);
    this.#task.push(task);
    this.#processedSeq.push(seq);
    this.#watermarkFloor.push(floor);
  }

  /** The rows as the lake takes them. */
  columns(): ColumnRows {
    const records = this.#records.columns();
    return {
      rowCount: records.rowCount,
      columns: { ...records.columns, task: this.#task, processed_seq: this.#processedSeq, watermark_floor: this.#watermarkFloor },
    };
  }
}

const POSITION_COLUMNS = [
  { name: 'task', type: 'int', required: true, doc: 'The processing task: the input partition number' },
  { name: 'processed_seq', type: 'long', required: true, doc: "Place of the input event in its task's processing order" },
  { name: 'watermark_floor', type: 'timestamptz', doc: 'Watermark imposed by the idle policy when it was processed' },
] as const;

/** The columns of a log record in bronze (filled by `RecordRows`); `keyDoc` says what its key is. */
export function recordColumnDefinitions(keyDoc: string): CreateTableOptions['columns'] {
  return [
    { name: 'topic', type: 'string', required: true },
    { name: 'log_partition', type: 'int', required: true },
    { name: 'log_offset', type: 'long', required: true },
    { name: 'event_id', type: 'string', required: true, doc: 'Deterministic event id' },
    { name: 'event_type', type: 'string', required: true },
    { name: 'key', type: 'string', required: true, doc: keyDoc },
    { name: 'event_time', type: 'timestamptz', required: true },
    { name: 'ingest_time', type: 'timestamptz', required: true },
    { name: 'schema_id', type: 'int', required: true, doc: '-1 when the value has no readable wire header' },
    { name: 'payload', type: 'string', required: true, doc: `The event as JSON; for ${UNDECODABLE_EVENT_TYPE}: the error and the value in base64` },
  ];
}

/**
 * The processor commits to its tables every second or so for as long as it runs:
 * - each commit's metadata file is deleted once it falls out of the table's metadata log (the
 *   newest 100 are kept), as Iceberg's property asks, instead of one file per commit piling up;
 * - merge-append combines manifests into ones of at most 128 KiB (about 1,500 files' entries)
 *   instead of Iceberg's 8 MiB: a merge rewrites one bin of manifests, so with the default it
 *   rewrote every live file's entry every hundredth commit, a cost growing with the table (and
 *   past the table's manifest cache, read back from disk), where full bins now stay as they are.
 */
const STREAM_TABLE_PROPERTIES = {
  'write.metadata.delete-after-commit.enabled': 'true',
  'commit.manifest.target-size-bytes': String(128 * 1024),
} as const;

export const BRONZE_EVENTS: CreateTableOptions = {
  columns: [...recordColumnDefinitions('The partitioning key: order_id for order events'), ...POSITION_COLUMNS],
  partitionBy: [{ source: 'event_time', transform: 'month' }],
  properties: STREAM_TABLE_PROPERTIES,
};

export const LATE_EVENTS: CreateTableOptions = {
  columns: [
    { name: 'event_id', type: 'string', required: true },
    { name: 'event_type', type: 'string', required: true },
    { name: 'order_id', type: 'string', required: true },
    { name: 'event_time', type: 'timestamptz', required: true },
    { name: 'watermark', type: 'timestamptz', required: true, doc: 'The watermark the event arrived behind' },
    { name: 'lateness_ms', type: 'long', required: true },
    { name: 'applied', type: 'boolean', required: true, doc: 'Whether it still updated its order (the order was held)' },
    ...POSITION_COLUMNS,
  ],
  properties: STREAM_TABLE_PROPERTIES,
};

const ALERT_COLUMNS = [
  { name: 'alert_id', type: 'string', required: true },
  { name: 'order_id', type: 'string', required: true },
  { name: 'rule', type: 'string', required: true },
  { name: 'state', type: 'string', required: true },
  { name: 'opened_at', type: 'timestamptz', required: true },
  { name: 'updated_at', type: 'timestamptz', required: true },
  { name: 'deadline', type: 'timestamptz', required: true },
  { name: 'overdue_ms', type: 'long', required: true },
  { name: 'days_late', type: 'int' },
  { name: 'priority', type: 'double', required: true },
  { name: 'order_value_cents', type: 'long', required: true },
  { name: 'level', type: 'int', required: true },
  { name: 'reason', type: 'string', required: true },
  { name: 'sequence', type: 'int', required: true, doc: 'Version of the alert: 1 for its first change' },
] as const;

/**
 * What a `delivery_at_risk` alert says of its risk (null for the other rules). Last in the tables:
 * a table made before them gains them at its end (`ensureColumns`), where a new table has them too.
 */
export const RISK_COLUMNS = [
  { name: 'probability', type: 'double', doc: 'delivery_at_risk: P(delivered after the estimated day) at this version' },
  { name: 'expected_delivery_at', type: 'timestamptz', doc: 'delivery_at_risk: when the order is expected to be delivered' },
  { name: 'risk_stage', type: 'string', doc: 'delivery_at_risk: the stage the order is in (approval, carrier_handoff, transit)' },
] as const;

export const ALERT_EVENTS: CreateTableOptions = {
  columns: [
    { name: 'change', type: 'string', required: true, doc: 'opened, escalated, resolved or final' },
    ...ALERT_COLUMNS,
    { name: 'watermark', type: 'timestamptz', required: true },
    ...POSITION_COLUMNS,
    ...RISK_COLUMNS,
  ],
  partitionBy: [{ source: 'updated_at', transform: 'month' }],
  properties: STREAM_TABLE_PROPERTIES,
};

export const OPEN_ALERTS: CreateTableOptions = {
  columns: [{ name: 'task', type: 'int', required: true, doc: 'The processing task that owns the order' }, ...ALERT_COLUMNS, ...RISK_COLUMNS],
  properties: STREAM_TABLE_PROPERTIES,
};

/**
 * Where in the processing order an output belongs: after the input event `seq` was processed, with
 * the idle watermark `floor` (null: none imposed). Outputs of event `seq` carry the floor in force
 * when it was processed; an idle advance after it carries the same `seq` and its new, higher floor.
 * A table holds every output at or before its recorded position, and none after.
 */
export interface StreamPosition {
  readonly seq: number;
  readonly floor: number | null;
}

export const START_POSITION: StreamPosition = { seq: 0, floor: null };

export function comparePositions(a: StreamPosition, b: StreamPosition): number {
  if (a.seq !== b.seq) return a.seq - b.seq;
  if (a.floor === b.floor) return 0;
  if (a.floor === null) return -1;
  if (b.floor === null) return 1;
  return a.floor - b.floor;
}

export function formatPosition(position: StreamPosition): string {
  return JSON.stringify(position);
}

/** Reads a recorded position; null for none, an error naming the table for a malformed one. */
export function parsePosition(text: string | null, table: string): StreamPosition | null {
  // Recorded positions are checked, not trusted: a hand-edited or foreign summary must not
  // silently skip or repeat outputs.
  if (text === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new StreamError('OP_STREAM_BAD_POSITION', `${table}: stream position is not JSON: ${text}`, { details: { table } });
  }
  const { seq, floor } = (value ?? {}) as { seq?: unknown; floor?: unknown };
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0 || !(floor === null || typeof floor === 'number')) {
    throw new StreamError('OP_STREAM_BAD_POSITION', `${table}: not a stream position: ${text}`, { details: { table } });
  }
  return { seq, floor };
}

function positionColumns(task: TaskId, position: StreamPosition): Row {
  return { task, processed_seq: position.seq, watermark_floor: position.floor };
}

/** An alert as table columns; the alerts topic's Avro record has the same field names. */
export function alertColumns(a: Alert): Row {
  return {
    alert_id: a.alertId,
    order_id: a.orderId,
    rule: a.rule,
    state: a.state,
    opened_at: a.openedAt,
    updated_at: a.updatedAt,
    deadline: a.deadline,
    overdue_ms: a.overdueMs,
    days_late: a.daysLate,
    priority: a.priority,
    order_value_cents: a.orderValueCents,
    level: a.level,
    reason: a.reason,
    sequence: a.sequence,
    probability: a.risk?.probability ?? null,
    expected_delivery_at: a.risk?.expectedDeliveryAt ?? null,
    risk_stage: a.risk?.stage ?? null,
  };
}

/** Adds to `table` the optional `columns` it lacks (a table made by an earlier version); existing files read them as null. */
export async function ensureColumns(table: IcebergTable, columns: readonly { readonly name: string; readonly type: 'double' | 'timestamptz' | 'string'; readonly doc: string }[]): Promise<void> {
  for (const column of columns) {
    if (table.schema.fields.some((f) => f.name === column.name)) continue;
    await table.addColumn(column);
  }
}

/** An alert change as the processor emits it: with its task and the position of the input that caused it. */
export interface PositionedChange {
  readonly change: AlertChange;
  readonly task: TaskId;
  readonly position: StreamPosition;
}

export interface PositionedLateEvent {
  readonly late: LateEvent;
  readonly task: TaskId;
  readonly position: StreamPosition;
}

export function alertEventRow({ change, task, position }: PositionedChange): Row {
  return { change: change.kind, ...alertColumns(change.alert), watermark: change.watermark, ...positionColumns(task, position) };
}

export function openAlertRow(task: TaskId, alert: Alert): Row {
  return { task, ...alertColumns(alert) };
}

export function lateEventRow({ late, task, position }: PositionedLateEvent): Row {
  const event = late.event;
  return {
    event_id: event.eventId,
    event_type: event.type,
    order_id: 'orderId' in event ? event.orderId : '',
    event_time: event.eventTime,
    watermark: late.watermark,
    lateness_ms: late.watermark - event.eventTime,
    applied: late.applied,
    ...positionColumns(task, position),
  };
}
