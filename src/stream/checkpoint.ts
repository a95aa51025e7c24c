import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { EpochMillis } from '../data/index.js';
import type { DetectorCounters, DetectorSnapshot, OrderSnapshot } from './detector-snapshot.js';
import { StreamError } from './errors.js';
import type { OrderState } from './order-state.js';
import type { StreamPosition, TaskId } from './tables.js';
import { comparePositions, parsePosition } from './tables.js';
import type { Timer, TimerKind } from './timers.js';
import { TIMER_KINDS } from './timers.js';
import type { Alert, AlertState, ChangeKind, Rule, StageRule, StreamConfig } from './types.js';
import { ALERT_STATES, CHANGE_KINDS, RULE_NAMES, STAGE_RULES } from './types.js';

/**
 * Task-state checkpoints: a task's detector state at a processing position, so that a restart
 * replays only the bronze rows after it instead of all of bronze.
 *
 * Where they live, and why there. The state goes to an immutable file in the lake's storage
 * (`<warehouse>/_checkpoints/stream/task-N/…`), and the POINTER to it — file and position — rides
 * in the summary of a bronze commit of the task (`orderpulse.checkpoint.task-N`), next to the
 * task's position property that fences every bronze commit. That keeps exactly-once as simple as
 * it was: there is no second commit to order against bronze or to fence on its own; a processor
 * that lost its task cannot record a checkpoint, because its bronze commit is refused; and a
 * checkpoint can never be ahead of bronze, because it is recorded by the commit that makes its rows
 * durable or a later one. A file whose commit never landed (a crash in between) is referenced by
 * nothing and is never read. A `stream.checkpoints` table would have needed its own commit per
 * checkpoint, fenced and recovered separately from bronze, for no gain.
 *
 * What a checkpoint promises. The processor records a pointer only once every output of the
 * positions up to the checkpoint is durable (published on the alerts topic and written to the alert
 * and late event tables), so recovery needs from bronze only what comes after it, to rebuild the
 * state and the outputs a crash kept from being written alike.
 *
 * The format: JSON of tuples (field order fixed below, names not repeated per order), gzipped. Gzip's
 * CRC catches a damaged file; every field is checked on reading, and anything wrong makes recovery
 * fall back to a full rebuild, saying why.
 */

/** When a task's state is checkpointed: after this many of its records, or this long, whichever first. */
export interface CheckpointPolicy {
  /** Records processed by the task since its last checkpoint (bounds the rows a restart replays). */
  readonly everyRecords: number;
  /** Wall-clock ms since its last checkpoint (a slow stream is checkpointed too). */
  readonly everyMs: number;
}

/**
 * 100,000 records replay in under a second (bronze is read back at about 140k rows/s), while taking
 * a checkpoint costs a small share of the time those records take to process. What bounds a restart
 * is the records since the last checkpoint, so time matters little: every 10 minutes keeps a quiet
 * task's checkpoint from getting old (its file and pointer are what a restart reads first).
 */
export const DEFAULT_CHECKPOINT_POLICY: CheckpointPolicy = { everyRecords: 100_000, everyMs: 600_000 };

/** 2: orders keep their customer's state, alerts their risk, and timers may be risk checks. */
export const CHECKPOINT_FORMAT = 2;
const CHECKPOINT_KIND = 'orderpulse-stream-checkpoint';

/** Bronze summary property of a task: its newest checkpoint, as a `CheckpointPointer` in JSON. */
export function checkpointProperty(task: TaskId): string {
  return `orderpulse.checkpoint.task-${task}`;
}

export interface CheckpointPointer {
  /** The position whose state the file holds. */
  readonly position: StreamPosition;
  readonly location: string;
}

export function formatPointer(pointer: CheckpointPointer): string {
  return JSON.stringify({ position: pointer.position, location: pointer.location });
}

/** Where a new checkpoint of `task` at `position` goes: a new name each time (files are never replaced). */
export function checkpointLocation(warehouse: string, task: TaskId, position: StreamPosition): string {
  return `${checkpointDirectory(warehouse, task)}${String(position.seq).padStart(12, '0')}-${randomUUID()}.json.gz`;
}

/** Where a task's checkpoint files are (a prefix ending in `/`). */
export function checkpointDirectory(warehouse: string, task: TaskId): string {
  return `${warehouse}/_checkpoints/stream/task-${task}/`;
}

function bad(what: string, where: string): StreamError {
  return new StreamError('OP_STREAM_BAD_CHECKPOINT', `${where}: ${what}`, { details: { where } });
}

/** Reads a recorded pointer; throws `OP_STREAM_BAD_CHECKPOINT` naming what is wrong. */
export function parsePointer(text: string, where: string): CheckpointPointer {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad(`checkpoint pointer is not JSON: ${text}`, where);
  }
  const { position, location } = (value ?? {}) as { position?: unknown; location?: unknown };
  if (typeof location !== 'string' || location === '') throw bad(`checkpoint pointer has no location: ${text}`, where);
  let parsed: StreamPosition | null;
  try {
    parsed = parsePosition(JSON.stringify(position ?? null), where);
  } catch {
    parsed = null;
  }
  if (parsed === null) throw bad(`checkpoint pointer has no valid position: ${text}`, where);
  return { position: parsed, location };
}

// ------------------------------------------------------------------------------------------------
// Encoding
// ------------------------------------------------------------------------------------------------

const TIMER_KIND_NAMES: readonly TimerKind[] = Object.values(TIMER_KINDS);
const ALERT_STATE_NAMES: readonly AlertState[] = Object.values(ALERT_STATES);
const CHANGE_KIND_NAMES: readonly ChangeKind[] = Object.values(CHANGE_KINDS);
const finite = (n: number): number | null => (Number.isFinite(n) ? n : null);

type RiskTuple = [number, number, string];
type AlertTuple = [string, Rule, AlertState, number, number, number, number, number | null, number, number, number, string, number, RiskTuple | null];

function alertTuple(a: Alert): AlertTuple {
  const risk: RiskTuple | null = a.risk === undefined || a.risk === null ? null : [a.risk.probability, a.risk.expectedDeliveryAt, a.risk.stage];
  return [a.alertId, a.rule, a.state, a.openedAt, a.updatedAt, a.deadline, a.overdueMs, a.daysLate, a.priority, a.orderValueCents, a.level, a.reason, a.sequence, risk];
}

function orderTuple(o: OrderSnapshot): unknown[] {
  const s = o.state;
  return [
    s.orderId,
    [...s.seenEventIds],
    s.placedAt,
    s.orderValueCents,
    s.productIds,
    s.sellerIds,
    s.shippingLimitAt,
    s.estimatedDeliveryDate,
    s.customerState,
    s.deliveryDeadline,
    s.approvedAt,
    s.handedToCarrierAt,
    s.deliveredAt,
    s.canceledAt,
    s.firstSeenAt,
    o.deadlinesScheduled ? 1 : 0,
    o.retentionDue,
    o.weight,
    o.alerts.map(alertTuple),
    o.riskDue,
  ];
}

/**
 * The checkpoint's JSON, taken now: call it between two batches, before the detector moves on (the
 * snapshot shares the detector's objects). The costly compression is left to `compressCheckpoint`.
 */
export function checkpointText(task: TaskId, position: StreamPosition, snapshot: DetectorSnapshot): string {
  return JSON.stringify({
    kind: CHECKPOINT_KIND,
    format: CHECKPOINT_FORMAT,
    task,
    position,
    config: snapshot.config,
    maxEventTime: finite(snapshot.maxEventTime),
    floor: finite(snapshot.floor),
    timers: snapshot.timers.map((t) => [t.due, t.orderId, TIMER_KIND_NAMES.indexOf(t.kind), t.rule, t.level]),
    orders: snapshot.orders.map(orderTuple),
    open: snapshot.open,
    counters: snapshot.counters,
  });
}

export async function compressCheckpoint(text: string): Promise<Uint8Array> {
  return promisify(gzip)(Buffer.from(text, 'utf8'));
}

// ------------------------------------------------------------------------------------------------
// Decoding: every field checked, an error naming the first wrong one
// ------------------------------------------------------------------------------------------------

class Reader {
  constructor(readonly where: string) {}

  fail(what: string): never {
    throw bad(what, this.where);
  }

  array(v: unknown, what: string): unknown[] {
    return Array.isArray(v) ? (v as unknown[]) : this.fail(`${what} is not an array`);
  }

  number(v: unknown, what: string): number {
    return typeof v === 'number' && Number.isFinite(v) ? v : this.fail(`${what} is not a finite number`);
  }

  int(v: unknown, what: string): number {
    return Number.isSafeInteger(v) ? (v as number) : this.fail(`${what} is not an integer`);
  }

  time(v: unknown, what: string): EpochMillis | null {
    return v === null ? null : this.int(v, what);
  }

  string(v: unknown, what: string): string {
    return typeof v === 'string' ? v : this.fail(`${what} is not a string`);
  }

  oneOf<T extends string>(v: unknown, names: readonly T[], what: string): T {
    return names.includes(v as T) ? (v as T) : this.fail(`${what} is ${JSON.stringify(v)}, not one of ${names.join(', ')}`);
  }

  strings(v: unknown, what: string): string[] {
    return this.array(v, what).map((s, i) => this.string(s, `${what}[${i}]`));
  }
}

function readAlert(r: Reader, v: unknown, orderId: string, what: string): Alert {
  const t = r.array(v, what);
  if (t.length !== 14) r.fail(`${what} has ${t.length} fields, not 14`);
  const risk = t[13] === null ? null : r.array(t[13], `${what}.risk`);
  return {
    alertId: r.string(t[0], `${what}.alertId`),
    orderId,
    rule: r.oneOf(t[1], RULE_NAMES, `${what}.rule`),
    state: r.oneOf(t[2], ALERT_STATE_NAMES, `${what}.state`),
    openedAt: r.int(t[3], `${what}.openedAt`),
    updatedAt: r.int(t[4], `${what}.updatedAt`),
    deadline: r.int(t[5], `${what}.deadline`),
    overdueMs: r.number(t[6], `${what}.overdueMs`),
    daysLate: t[7] === null ? null : r.int(t[7], `${what}.daysLate`),
    priority: r.number(t[8], `${what}.priority`),
    orderValueCents: r.int(t[9], `${what}.orderValueCents`),
    level: r.int(t[10], `${what}.level`),
    reason: r.string(t[11], `${what}.reason`),
    sequence: r.int(t[12], `${what}.sequence`),
    // Present only on delivery_at_risk, as the detector makes them.
    ...(risk === null
      ? {}
      : {
          risk: {
            probability: r.number(risk[0], `${what}.risk.probability`),
            expectedDeliveryAt: r.int(risk[1], `${what}.risk.expectedDeliveryAt`),
            stage: r.string(risk[2], `${what}.risk.stage`),
          },
        }),
  };
}

function readOrder(r: Reader, v: unknown, what: string): OrderSnapshot {
  const t = r.array(v, what);
  if (t.length !== 20) r.fail(`${what} has ${t.length} fields, not 20`);
  const orderId = r.string(t[0], `${what}.orderId`);
  const estimated = t[7] === null ? null : r.string(t[7], `${what}.estimatedDeliveryDate`);
  const state: OrderState = {
    orderId,
    seenEventIds: new Set(r.strings(t[1], `${what}.seenEventIds`)),
    placedAt: r.time(t[2], `${what}.placedAt`),
    orderValueCents: r.int(t[3], `${what}.orderValueCents`),
    productIds: r.strings(t[4], `${what}.productIds`),
    sellerIds: r.strings(t[5], `${what}.sellerIds`),
    shippingLimitAt: r.time(t[6], `${what}.shippingLimitAt`),
    estimatedDeliveryDate: estimated,
    customerState: t[8] === null ? null : r.string(t[8], `${what}.customerState`),
    deliveryDeadline: r.time(t[9], `${what}.deliveryDeadline`),
    approvedAt: r.time(t[10], `${what}.approvedAt`),
    handedToCarrierAt: r.time(t[11], `${what}.handedToCarrierAt`),
    deliveredAt: r.time(t[12], `${what}.deliveredAt`),
    canceledAt: r.time(t[13], `${what}.canceledAt`),
    firstSeenAt: r.int(t[14], `${what}.firstSeenAt`),
  };
  return {
    state,
    deadlinesScheduled: r.int(t[15], `${what}.deadlinesScheduled`) === 1,
    retentionDue: r.time(t[16], `${what}.retentionDue`),
    weight: r.number(t[17], `${what}.weight`),
    alerts: r.array(t[18], `${what}.alerts`).map((a, i) => readAlert(r, a, orderId, `${what}.alerts[${i}]`)),
    riskDue: r.time(t[19], `${what}.riskDue`),
  };
}

function readTimer(r: Reader, v: unknown, what: string): Timer {
  const t = r.array(v, what);
  if (t.length !== 5) r.fail(`${what} has ${t.length} fields, not 5`);
  const kind = TIMER_KIND_NAMES[r.int(t[2], `${what}.kind`)] ?? r.fail(`${what}.kind is not a timer kind`);
  const rule: StageRule | null = t[3] === null ? null : r.oneOf(t[3], STAGE_RULES, `${what}.rule`);
  return { due: r.int(t[0], `${what}.due`), orderId: r.string(t[1], `${what}.orderId`), kind, rule, level: r.int(t[4], `${what}.level`) };
}

function readCounters(r: Reader, v: unknown): DetectorCounters {
  const c = (v ?? {}) as Record<string, unknown>;
  const changes = (c.changes ?? {}) as Record<string, unknown>;
  const byRule = (c.alertsByRule ?? {}) as Record<string, unknown>;
  return {
    eventsProcessed: r.int(c.eventsProcessed, 'counters.eventsProcessed'),
    duplicates: r.int(c.duplicates, 'counters.duplicates'),
    late: r.int(c.late, 'counters.late'),
    lateNotApplied: r.int(c.lateNotApplied, 'counters.lateNotApplied'),
    otherEvents: r.int(c.otherEvents, 'counters.otherEvents'),
    ordersDropped: r.int(c.ordersDropped, 'counters.ordersDropped'),
    changes: Object.fromEntries(CHANGE_KIND_NAMES.map((k) => [k, r.int(changes[k], `counters.changes.${k}`)])) as DetectorCounters['changes'],
    alertsByRule: Object.fromEntries(RULE_NAMES.map((k) => [k, r.int(byRule[k], `counters.alertsByRule.${k}`)])) as DetectorCounters['alertsByRule'],
  };
}

/**
 * Reads a checkpoint file's bytes back into a detector snapshot, checking that it is the one the
 * pointer names (task, position) and was taken under `config`; throws `OP_STREAM_BAD_CHECKPOINT`
 * saying what does not hold.
 */
export async function readCheckpoint(
  bytes: Uint8Array,
  expected: { readonly task: TaskId; readonly position: StreamPosition; readonly config: StreamConfig; readonly location: string },
): Promise<DetectorSnapshot> {
  const r = new Reader(`checkpoint ${expected.location}`);
  let text = '';
  try {
    text = (await promisify(gunzip)(bytes)).toString('utf8');
  } catch (error) {
    r.fail(`not a readable gzip file (${error instanceof Error ? error.message : String(error)})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    r.fail('not JSON');
  }
  const v = (value ?? {}) as Record<string, unknown>;
  if (v.kind !== CHECKPOINT_KIND) r.fail(`not a stream checkpoint (kind ${JSON.stringify(v.kind)})`);
  if (v.format !== CHECKPOINT_FORMAT) r.fail(`format ${JSON.stringify(v.format)}, this version reads ${CHECKPOINT_FORMAT}`);
  if (v.task !== expected.task) r.fail(`holds task ${JSON.stringify(v.task)}, not ${expected.task}`);
  const position = parsePosition(JSON.stringify(v.position ?? null), r.where);
  if (position === null || comparePositions(position, expected.position) !== 0) r.fail(`holds position ${JSON.stringify(v.position)}, the pointer says ${JSON.stringify(expected.position)}`);
  const config = (v.config ?? {}) as Record<string, unknown>;
  for (const [name, want] of Object.entries(expected.config)) {
    if (config[name] !== want) r.fail(`taken with ${name} ${JSON.stringify(config[name])}, the processor runs with ${String(want)}: its timers and alerts would not match`);
  }
  const timers = r.array(v.timers, 'timers').map((t, i) => readTimer(r, t, `timers[${i}]`));
  const orders = r.array(v.orders, 'orders').map((o, i) => readOrder(r, o, `orders[${i}]`));
  return {
    config: expected.config,
    maxEventTime: v.maxEventTime === null ? -Infinity : r.int(v.maxEventTime, 'maxEventTime'),
    floor: v.floor === null ? -Infinity : r.int(v.floor, 'floor'),
    timers,
    orders,
    open: r.strings(v.open, 'open'),
    counters: readCounters(r, v.counters),
  };
}
