import type { EpochMillis } from '../data/index.js';
import type { OrderState } from './order-state.js';
import type { Timer } from './timers.js';
import type { Alert, ChangeKind, Rule, StreamConfig } from './types.js';

/**
 * A delay detector's state, as `DelayDetector.snapshot()` gives it and `DelayDetector.restore()`
 * takes it back; `checkpoint.ts` turns it into bytes.
 */

/** Running totals of a detector (what `stats()` reports beyond the state itself). */
export interface DetectorCounters {
  readonly eventsProcessed: number;
  readonly duplicates: number;
  readonly late: number;
  readonly lateNotApplied: number;
  readonly otherEvents: number;
  readonly ordersDropped: number;
  readonly changes: { readonly [K in ChangeKind]: number };
  readonly alertsByRule: { readonly [R in Rule]: number };
}

/** One held order as a checkpoint keeps it. */
export interface OrderSnapshot {
  readonly state: OrderState;
  /** The order's alerts, one per rule, resolved ones included. */
  readonly alerts: readonly Alert[];
  readonly deadlinesScheduled: boolean;
  readonly retentionDue: EpochMillis | null;
  readonly weight: number;
  /** The pending risk check's instant (null: none). */
  readonly riskDue: EpochMillis | null;
}

/**
 * Everything a detector holds between two events: with it, a detector continues exactly as the one
 * it was taken from would have (see `DelayDetector.snapshot`).
 */
export interface DetectorSnapshot {
  readonly config: StreamConfig;
  /** -Infinity before the first event. */
  readonly maxEventTime: EpochMillis;
  /** The idle floor; -Infinity when none. */
  readonly floor: EpochMillis;
  /** Pending timers in heap order. */
  readonly timers: readonly Timer[];
  /** Held orders, in the order they were first seen. */
  readonly orders: readonly OrderSnapshot[];
  /** Ids of the open and escalated alerts, in the order they were last changed. */
  readonly open: readonly string[];
  readonly counters: DetectorCounters;
}
