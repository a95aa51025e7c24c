import type { EventLog } from '../log/index.js';
import { partitionKey } from './merge.js';
import type { IdlePolicy } from './processor-types.js';
import type { StreamPosition } from './tables.js';
import type { StreamTask } from './task.js';
import type { AlertChange } from './types.js';

/**
 * The idle policy: a task that has read nothing for `afterMs` moves its own watermark, so that the
 * deadlines of its orders fire though no event follows (see `IdlePolicy`). Its decisions only; the
 * processor commits and publishes what they produce.
 */

/** The end offset of every input partition, and the newest record time in any of them. */
export interface LogTail {
  readonly ends: ReadonlyMap<string, number>;
  readonly newest: number;
}

/**
 * The end offset of every input partition (keyed `topic/partition`), and the newest record time in
 * any of them (records carry their event time): the same for every processor reading the log,
 * whichever tasks it runs.
 */
export async function logTail(log: EventLog, topics: readonly string[]): Promise<LogTail> {
  const ends = new Map<string, number>();
  let newest = -Infinity;
  for (const topic of await log.describeTopics(topics)) {
    for (let partition = 0; partition < topic.partitions; partition++) {
      const end = topic.endOffsets[partition] ?? 0;
      ends.set(partitionKey(topic.name, partition), end);
      if (end <= (topic.beginningOffsets[partition] ?? 0)) continue;
      const [last] = await log.fetch({ topic: topic.name, partition, offset: end - 1, maxRecords: 1 });
      if (last !== undefined && last.timestamp > newest) newest = last.timestamp;
    }
  }
  return { ends, newest };
}

/**
 * Applies the policy to every quiet task at `now`: moves its watermark to the newest event time of
 * the input + `advanceMs` (once per newest event time) and hands `moved` the task, its new position
 * and the alert changes the move fired.
 */
export async function advanceQuietTasks(
  tasks: Iterable<StreamTask>,
  policy: IdlePolicy,
  now: number,
  readTail: () => Promise<LogTail>,
  moved: (task: StreamTask, position: StreamPosition, changes: readonly AlertChange[]) => void,
): Promise<void> {
  let tail: LogTail | null = null;
  for (const task of tasks) {
    if (task.quietSince === null || now - task.quietSince < policy.afterMs) continue;
    // Quiet means read to the end of the log. A fetch can come back empty before that (a Kafka
    // leader moving, a request that timed out): that is not idleness, and acting on it would
    // fire deadlines the records still to come might have met.
    tail ??= await readTail();
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
    const produced = task.detector.advanceWatermark(target);
    task.detected = position;
    moved(task, position, produced);
  }
}

/** Whether every task has been quiet for the policy's `afterMs` and the policy has acted. */
export function allQuiet(tasks: Iterable<StreamTask>, policy: IdlePolicy, now: number): boolean {
  for (const task of tasks) {
    if (task.quietSince === null || now - task.quietSince < policy.afterMs || !task.idleEvaluated) return false;
  }
  return true;
}
