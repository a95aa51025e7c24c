import { DelayDetector } from './detector.js';
import type { DelayDetectorOptions } from './detector.js';
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

  constructor(init: {
    readonly id: TaskId;
    readonly merger: LogMerger;
    readonly config: Partial<StreamConfig>;
    readonly detectorOptions: DelayDetectorOptions;
    readonly committed: StreamPosition;
    readonly outputs: OutputPositions;
    readonly recorded: Record<FencedTable, string | null>;
  }) {
    this.id = init.id;
    this.merger = init.merger;
    this.detector = new DelayDetector(init.config, init.detectorOptions);
    this.committed = init.committed;
    this.detected = init.committed;
    this.outputs = init.outputs;
    this.recorded = { ...init.recorded };
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
