import type { FileIO, IcebergTable } from '../lake/index.js';
import type { CheckpointPointer } from './checkpoint.js';
import { checkpointProperty, checkpointText, compressCheckpoint, parsePointer, readCheckpoint } from './checkpoint.js';
import type { DetectorSnapshot } from './detector-snapshot.js';
import type { StreamPosition, TaskId } from './tables.js';
import { BRONZE_EVENTS_TABLE, comparePositions, formatPosition } from './tables.js';
import type { PendingCheckpoint, StreamTask } from './task.js';
import type { StreamConfig } from './types.js';

/** How a task's state was found on opening: from a checkpoint, or rebuilt from all of bronze and why. */
export type CheckpointLoad =
  | { readonly kind: 'restored'; readonly pointer: CheckpointPointer; readonly snapshot: DetectorSnapshot }
  | { readonly kind: 'none' }
  | { readonly kind: 'unusable'; readonly reason: string };

/**
 * The newest checkpoint bronze records for `task`, read and checked. Whatever is wrong with it (a
 * missing or damaged file, another configuration, a position bronze does not have) is no error:
 * the task is then rebuilt from all of bronze, and the reason is reported.
 */
export async function loadCheckpoint(
  io: FileIO,
  bronze: IcebergTable,
  task: TaskId,
  committed: StreamPosition,
  config: StreamConfig,
): Promise<CheckpointLoad> {
  const text = bronze.lastSummaryValue(checkpointProperty(task));
  if (text === null) return { kind: 'none' };
  try {
    const pointer = parsePointer(text, `${BRONZE_EVENTS_TABLE} task ${task}`);
    if (comparePositions(pointer.position, committed) > 0) {
      return { kind: 'unusable', reason: `checkpoint at ${formatPosition(pointer.position)} is past bronze's position ${formatPosition(committed)}` };
    }
    const bytes = await io.read(pointer.location);
    const snapshot = await readCheckpoint(bytes, { task, position: pointer.position, config, location: pointer.location });
    return { kind: 'restored', pointer, snapshot };
  } catch (error) {
    return { kind: 'unusable', reason: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Takes a checkpoint of the task at its detected position, now (between batches), and writes its
 * file in the background. A failed write only drops this checkpoint: the next one is taken when due.
 */
export function takeCheckpoint(io: FileIO, task: StreamTask, location: string, now: number): Promise<void> {
  const position = task.detected;
  const text = checkpointText(task.id, position, task.detector.snapshot());
  const pending: PendingCheckpoint = { pointer: { position, location }, written: false };
  task.checkpointTaken(pending, now);
  return (async () => {
    try {
      await io.write(location, await compressCheckpoint(text));
      pending.written = true;
    } catch {
      if (task.pendingCheckpoint === pending) task.pendingCheckpoint = null;
      await io.delete(location).catch(() => undefined);
    }
  })();
}
