import type { CheckpointPointer, CheckpointPolicy } from './checkpoint.js';
import { DelayDetector } from './detector.js';
import type { DelayDetectorOptions } from './detector.js';
import type { DetectorSnapshot } from './detector-snapshot.js';
import type { LogMerger } from './merge.js';
import type { StreamPosition, TaskId } from './tables.js';
import { START_POSITION, comparePositions } from './tables.js';
import type { StreamConfig } from './types.js';

/** The tables whose summaries record a task's position, and so fence its writers. */
export type FencedTable = 'bronze' | 'alertEvents' | 'lateEvents' | 'openAlerts';

/** Where one output stands for a task: everything at or before `position` is in it. */
export interface OutputPositions {
  alertEvents: StreamPosition;
  lateEvents: StreamPosition;
  topic: StreamPosition;
  openAlerts: StreamPosition;
}

export type OutputName = keyof OutputPositions;

/** A checkpoint taken, whose file is being written or waits to be recorded in a bronze commit. */
export interface PendingCheckpoint {
  readonly pointer: CheckpointPointer;
  written: boolean;
}

/**
 * One processing task: partition `id` of every input topic, merged in event-time order, with its
 * own delay detector (so its own watermark and timers) and its own processing positions. Tasks
 * share nothing, which is what lets several processors split them.
 */
export class StreamTask {
  readonly id: TaskId;
  readonly merger: LogMerger;
  readonly detector: DelayDetector;
  /** The position committed to bronze. */
  committed: StreamPosition;
  /** The position the detector has reached (ahead of `committed` while a commit is in flight). */
  detected: StreamPosition;
  readonly outputs: OutputPositions;
  /** Wall-clock time since which the task has read nothing; null while it has input. */
  quietSince: number | null = null;
  /** The watermark the idle policy last moved this task to. */
  idleDoneFor = -Infinity;
  /** Whether the idle policy has looked at this task since it last had input. */
  idleEvaluated = false;
  /**
   * The task's position property in each table, exactly as this processor last read or wrote it.
   * Every commit expects it unchanged: a second processor running the same task is refused.
   */
  readonly recorded: Record<FencedTable, string | null>;
  /** The position the detector's state was restored at: a checkpoint's, or the start (all of bronze replayed). */
  readonly restoredFrom: StreamPosition;
  /** The checkpoint bronze records for the task; its file goes once a newer one is recorded. */
  checkpoint: CheckpointPointer | null;
  /** The checkpoint taken and not yet recorded (one at a time). */
  pendingCheckpoint: PendingCheckpoint | null = null;
  #recordsSinceCheckpoint: number;
  #checkpointTakenAt: number;

  constructor(init: {
    readonly id: TaskId;
    readonly merger: LogMerger;
    readonly config: Partial<StreamConfig>;
    readonly detectorOptions: DelayDetectorOptions;
    readonly committed: StreamPosition;
    readonly outputs: OutputPositions;
    readonly recorded: Record<FencedTable, string | null>;
    /** The checkpoint to continue from; absent: the state is rebuilt from the first bronze row. */
    readonly restored?: { readonly pointer: CheckpointPointer; readonly snapshot: DetectorSnapshot };
    /** Wall-clock now, from which the next checkpoint is timed. */
    readonly now: number;
  }) {
    this.id = init.id;
    this.merger = init.merger;
    this.detector =
      init.restored === undefined ? new DelayDetector(init.config, init.detectorOptions) : DelayDetector.restore(init.restored.snapshot, init.detectorOptions);
    this.restoredFrom = init.restored?.pointer.position ?? START_POSITION;
    this.checkpoint = init.restored?.pointer ?? null;
    this.committed = init.committed;
    this.detected = init.committed;
    this.outputs = init.outputs;
    this.recorded = { ...init.recorded };
    this.#recordsSinceCheckpoint = init.committed.seq - this.restoredFrom.seq;
    this.#checkpointTakenAt = init.now;
  }

  /**
   * Counts a batch's records; true when a checkpoint is due now (after the batch): enough records
   * or time since the last, and none still on its way.
   */
  countForCheckpoint(records: number, policy: CheckpointPolicy, now: number): boolean {
    this.#recordsSinceCheckpoint += records;
    if (this.pendingCheckpoint !== null || this.#recordsSinceCheckpoint === 0) return false;
    return this.#recordsSinceCheckpoint >= policy.everyRecords || now - this.#checkpointTakenAt >= policy.everyMs;
  }

  /** Notes a checkpoint taken at the detected position. */
  checkpointTaken(pending: PendingCheckpoint, now: number): void {
    this.pendingCheckpoint = pending;
    this.#recordsSinceCheckpoint = 0;
    this.#checkpointTakenAt = now;
  }

  /**
   * The pending checkpoint, if bronze may record it now: its file is written, its position is
   * committed to bronze, and every output up to it is durable (the alerts topic and the alert and
   * late event tables), so a restart from it needs nothing from bronze before it.
   */
  recordableCheckpoint(): CheckpointPointer | null {
    const pending = this.pendingCheckpoint;
    if (pending === null || !pending.written) return null;
    const at = pending.pointer.position;
    if (comparePositions(at, this.committed) > 0) return null;
    for (const output of ['topic', 'alertEvents', 'lateEvents'] as const) if (comparePositions(this.outputs[output], at) < 0) return null;
    return pending.pointer;
  }

  /** Whether `output` lacks anything at or before `position`. */
  behind(output: OutputName, position: StreamPosition = this.committed): boolean {
    return comparePositions(this.outputs[output], position) < 0;
  }

  /** Records that `output` now holds everything up to `position` (positions only move forward). */
  advance(output: OutputName, position: StreamPosition): void {
    if (comparePositions(this.outputs[output], position) < 0) this.outputs[output] = position;
  }
}

export function startPositions(): OutputPositions {
  return { alertEvents: START_POSITION, lateEvents: START_POSITION, topic: START_POSITION, openAlerts: START_POSITION };
}
