import type { FileIO, IcebergTable } from '../lake/index.js';
import type { CheckpointPointer } from './checkpoint.js';
import { checkpointDirectory, checkpointProperty, checkpointText, compressCheckpoint, parsePointer, readCheckpoint } from './checkpoint.js';
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

/**
 * How old a checkpoint file no pointer names must be before a task's new owner deletes it. A file
 * no pointer names is left by a processor that stopped between writing it and the commit that would
 * have recorded it (a crash, or a task taken over meanwhile). A processor fenced out of its task stops
 * at its next commit, so after this long nothing can still record the file.
 */
export const STALE_CHECKPOINT_MS = 10 * 60_000;

/**
 * Deletes the task's checkpoint files that its recorded pointer does not name and that are older
 * than `STALE_CHECKPOINT_MS`. Run when the task is opened, before it writes checkpoints of its own.
 * Cleaning up is best effort: a file that cannot be listed or deleted now is tried again at the
 * next opening. Returns the locations deleted.
 */
export async function removeStaleCheckpoints(io: FileIO, warehouse: string, bronze: IcebergTable, task: TaskId, now: number): Promise<readonly string[]> {
  let keep: string | null = null;
  const text = bronze.lastSummaryValue(checkpointProperty(task));
  if (text !== null) {
    try {
      keep = parsePointer(text, `${BRONZE_EVENTS_TABLE} task ${task}`).location;
    } catch {
      // An unreadable pointer names no file to keep; its task is rebuilt from bronze (`loadCheckpoint`).
    }
  }
  const stale: string[] = [];
  try {
    for await (const file of io.list(checkpointDirectory(warehouse, task))) {
      if (file.location !== keep && file.lastModifiedMs < now - STALE_CHECKPOINT_MS) stale.push(file.location);
    }
    await Promise.all(stale.map((location) => io.delete(location)));
  } catch {
    return [];
  }
  return stale;
}
