import { setTimeout as sleep } from 'node:timers/promises';
import { TOPICS } from '../events/index.js';
import type { Consumer } from '../log/index.js';
import { StreamError } from './errors.js';
import type { RunReport, StreamProcessorOptions } from './processor.js';
import { StreamProcessor } from './processor.js';
import type { TaskId } from './tables.js';

/**
 * Stream processors sharing the work through a consumer group of the log. The group is subscribed to
 * the first input topic only (orders): the partitions it assigns a member are that member's tasks,
 * and the member reads the same partition numbers of the other input topics itself — so an order's
 * events and its reviews always go to one task, whatever the group's assignor does.
 *
 * When the assignment changes (a member joins or leaves), the member finishes the batch in flight
 * and reopens its processor on the new tasks, each restored from its checkpoint and the bronze rows
 * after it (or from all of bronze without one). A member that is still
 * committing for a task another member took over is refused by the lake (each task's commits are
 * fenced), and it gives the task up. With the embedded log, one member is given every task.
 */
export interface GroupRunOptions {
  /** The consumer group the processors share (e.g. `orderpulse-stream`). */
  readonly group: string;
  readonly signal?: AbortSignal;
  /** Stop once every assigned task is idle (see `StreamProcessor.run`). */
  readonly untilIdle?: boolean;
  /** Called when this member's tasks change (after the processor reopened). */
  readonly onAssignment?: (tasks: readonly TaskId[]) => void;
}

export interface GroupRunReport extends RunReport {
  /** How many times this member's tasks changed. */
  readonly reassignments: number;
  readonly tasks: readonly TaskId[];
  /** The processor of the last assignment (null when none was given), for its state and statistics. */
  readonly processor: StreamProcessor | null;
}

export async function runInGroup(options: StreamProcessorOptions & GroupRunOptions): Promise<GroupRunReport> {
  const topics = options.topics ?? [TOPICS.orders, TOPICS.reviews];
  const driver = topics[0];
  if (driver === undefined) throw new StreamError('OP_STREAM_NO_INPUT', 'no input topics');
  const member: Consumer = await options.log.consumer({ group: options.group, topics: [driver], maxRecords: 1 });
  let processor: StreamProcessor | null = null;
  let tasks: readonly TaskId[] = [];
  let reassignments = 0;
  const totals = { batches: 0, records: 0, changes: 0 };
  const poll = options.pollIntervalMs ?? 10;
  try {
    while (options.signal?.aborted !== true) {
      // Polling keeps the membership and the assignment current; the records themselves are read
      // by the tasks, from the offsets the lake recorded.
      await member.poll(0);
      const assigned = [...new Set(member.assignment().filter((p) => p.topic === driver).map((p) => p.partition))].sort((a, b) => a - b);
      if (processor === null || !sameTasks(assigned, tasks)) {
        if (processor !== null) await giveUp(processor);
        processor = null;
        try {
          processor = assigned.length === 0 ? null : await StreamProcessor.open({ ...options, topics, tasks: assigned });
        } catch (error) {
          if (!(error instanceof StreamError && error.code === 'OP_STREAM_TASK_TAKEN')) throw error;
          // The task's previous owner was still writing what it had when the task moved (its last
          // flush): let it finish, then open again on what it wrote.
          await sleep(poll * 20, undefined, options.signal === undefined ? {} : { signal: options.signal }).catch(() => undefined);
          continue;
        }
        tasks = assigned;
        reassignments++;
        options.onAssignment?.(tasks);
      }
      if (processor === null) {
        await sleep(poll * 10, undefined, options.signal === undefined ? {} : { signal: options.signal }).catch(() => undefined);
        continue;
      }
      try {
        const batch = await processor.processBatch();
        if (batch !== null) {
          totals.batches++;
          totals.records += batch.records;
          totals.changes += batch.changes;
        }
        const idle = await processor.idle();
        if (idle !== null) totals.changes += idle.changes;
        if (batch !== null) continue;
        if (options.untilIdle === true && processor.allIdle()) break;
      } catch (error) {
        if (!(error instanceof StreamError && error.code === 'OP_STREAM_TASK_TAKEN')) throw error;
        // Another member runs one of our tasks now: the assignment moved on; follow it.
        processor = null;
        continue;
      }
      await sleep(poll, undefined, options.signal === undefined ? {} : { signal: options.signal }).catch(() => undefined);
    }
    if (processor !== null) await processor.finish();
  } finally {
    await member.close();
  }
  return { ...totals, stopped: options.signal?.aborted === true ? 'signal' : 'idle', reassignments, tasks, processor };
}

function sameTasks(a: readonly TaskId[], b: readonly TaskId[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

/** Finishes what a processor has in flight before its tasks go; a task already taken is let go. */
async function giveUp(processor: StreamProcessor): Promise<void> {
  try {
    await processor.flush();
  } catch (error) {
    if (!(error instanceof StreamError && error.code === 'OP_STREAM_TASK_TAKEN')) throw error;
  }
}
