import type { RecordPosition } from '../log/index.js';
import type { EventCodec } from '../events/index.js';
import type { Lake } from '../lake/index.js';
import type { EventLog } from '../log/index.js';
import type { AlertCodec } from './alert-codec.js';
import type { CheckpointPolicy } from './checkpoint.js';
import type { SnapshotExpiryPolicy } from './expiry.js';
import type { PositionedChange, StreamPosition, TaskId } from './tables.js';
import type { GradeWeight, StreamConfig } from './types.js';
import type { RiskSource } from './detector.js';

/** The stream processor's options and reports (see `StreamProcessor`). */

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
  /** A batch closes at this many records (default 10,000: larger batches are no faster and hold more memory; docs/benchmarks.md)... */
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
  /**
   * The delay-risk model of `delivery_at_risk`. By default the batch layer's (`RiskFollower`),
   * followed while the processor runs; null: the rule is off; a source of its own: fixed norms.
   */
  readonly risk?: RiskSource | null;
  /** How often at most (wall-clock ms) a batch asks whether `gold.product_grades` and `gold.route_norms` changed (default 5,000; 0: every batch). */
  readonly gradesCheckEveryMs?: number;
  /** Wall clock (ingest times, batch timing, idle policy). */
  readonly now?: () => number;
  /**
   * When to checkpoint each task's state (default `DEFAULT_CHECKPOINT_POLICY`); null: never, and
   * recovery replays all of bronze without looking for checkpoints.
   */
  readonly checkpoint?: CheckpointPolicy | null;
  /** Snapshot expiry of the processor's tables, run on the background lane on this schedule; none by default. */
  readonly expiry?: SnapshotExpiryPolicy;
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
  /** Bronze rows replayed to rebuild the tasks' state (after their checkpoints). */
  readonly replayed: number;
  /**
   * Per task, where its state came from: the checkpoint position it was restored at, or null when
   * it was rebuilt from all of bronze — with `fallback` saying why when a checkpoint was recorded
   * but could not be used.
   */
  readonly checkpoints: Readonly<Record<string, { readonly restoredAt: StreamPosition | null; readonly fallback: string | null }>>;
  /**
   * The risk model the replay priced orders with: `recorded` (the one the last bronze commit
   * named), `newest` (the batch layer's now: none was recorded, or `riskLost` says why it could not
   * be read), `none` (no norms yet) or `fixed` (given by the options; also when the rule is off).
   */
  readonly riskModel: 'recorded' | 'newest' | 'none' | 'fixed';
  readonly riskLost: string | null;
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
