import { JOBS, RUN_PROPERTY } from '../batch/index.js';
import type { EventLog } from '../log/index.js';
import type { Snapshot } from '../lake/index.js';
import { parseTableName } from '../lake/index.js';
import type { LakeSource, TableState } from './source.js';
import { snapshotIdText } from './source.js';
import { columnsOf, tablesOf } from './sql.js';
import type { Freshness, PipelineStatus } from './types.js';

/**
 * How far the pipeline is: the stream's watermark and last commit, the batch runs, each table's
 * snapshots, and per input partition how far bronze is behind the log.
 */

const INPUT_TOPICS = ['orders', 'reviews'] as const;

/** Per task, the newest value of a per-task summary property (`<prefix>task-N`) over the table's snapshots. */
export function perTask(snapshots: readonly Snapshot[], prefix: string): Map<number, string> {
  const found = new Map<number, string>();
  const pattern = new RegExp(`^${prefix.replace(/\./g, '\\.')}task-(\\d+)$`);
  for (let i = snapshots.length - 1; i >= 0; i--) {
    for (const [key, value] of Object.entries((snapshots[i] as Snapshot).summary)) {
      const task = pattern.exec(key)?.[1];
      if (task !== undefined && typeof value === 'string' && !found.has(Number(task))) found.set(Number(task), value);
    }
  }
  return found;
}

export interface TaskProgress {
  readonly task: number;
  /** Epoch ms; null when not recorded yet. */
  readonly watermark: number | null;
  readonly processedSeq: number;
}

/**
 * Each task's watermark: the one bronze recorded with its last batch, moved on by a floor the idle
 * policy imposed since (recorded in the alert tables' stream positions).
 */
export function taskProgress(bronze: TableState, openAlerts: TableState, alertEvents: TableState): TaskProgress[] {
  const watermarks = perTask(bronze.snapshots, 'orderpulse.watermark.');
  const bronzePositions = perTask(bronze.snapshots, 'orderpulse.stream-position.');
  const positions = [bronzePositions, perTask(openAlerts.snapshots, 'orderpulse.stream-position.'), perTask(alertEvents.snapshots, 'orderpulse.stream-position.')];
  const tasks = new Set([...watermarks.keys(), ...bronzePositions.keys()]);
  return [...tasks]
    .sort((a, b) => a - b)
    .map((task) => {
      let watermark = watermarks.has(task) ? Number(watermarks.get(task)) : null;
      let processedSeq = 0;
      for (const map of positions) {
        const text = map.get(task);
        if (text === undefined) continue;
        try {
          const { seq, floor } = JSON.parse(text) as { seq?: unknown; floor?: unknown };
          if (typeof seq === 'number' && map === bronzePositions) processedSeq = seq;
          if (typeof floor === 'number' && (watermark === null || floor > watermark)) watermark = floor;
        } catch {
          // A malformed position says nothing about the watermark.
        }
      }
      return { task, watermark: watermark !== null && Number.isFinite(watermark) ? watermark : null, processedSeq };
    });
}

/** Event time is complete up to here everywhere: the lowest watermark over the tasks (null when one has none). */
export function completeUpTo(tasks: readonly TaskProgress[]): number | null {
  if (tasks.length === 0 || tasks.some((t) => t.watermark === null)) return null;
  return Math.min(...tasks.map((t) => t.watermark as number));
}

interface BatchRun {
  readonly table: string;
  readonly snapshotId: string;
  readonly at: number;
  readonly mode: string;
  readonly rowsRead: number | null;
}

/** The newest batch commit of each job's table (a snapshot carrying `orderpulse.batch.run`). */
function batchRuns(states: readonly TableState[]): BatchRun[] {
  const runs: BatchRun[] = [];
  for (const state of states) {
    const snapshot = [...state.snapshots].reverse().find((s) => typeof s.summary[RUN_PROPERTY] === 'string');
    if (snapshot === undefined) continue;
    let mode = 'unknown';
    let rowsRead: number | null = null;
    try {
      const figures = JSON.parse(snapshot.summary[RUN_PROPERTY] as string) as { mode?: unknown; rowsRead?: unknown };
      if (typeof figures.mode === 'string') mode = figures.mode;
      if (typeof figures.rowsRead === 'number') rowsRead = figures.rowsRead;
    } catch {
      // Recorded by another version: the run is still listed, its figures unknown.
    }
    runs.push({ table: state.name, snapshotId: snapshotIdText(snapshot['snapshot-id']), at: snapshot['timestamp-ms'], mode, rowsRead });
  }
  return runs.sort((a, b) => b.at - a.at || a.table.localeCompare(b.table));
}

async function jobStates(source: LakeSource): Promise<TableState[]> {
  return Promise.all(JOBS.map((j) => source.table(j.name, columnsOf(j.name))));
}

export async function freshness(source: LakeSource, now: number): Promise<Freshness> {
  const t = await tablesOf(source, ['bronze', 'openAlerts', 'alertEvents']);
  const jobs = await jobStates(source);
  const known = await source.memo('freshness', [t.bronze, t.openAlerts, t.alertEvents, ...jobs], () => {
    const upTo = completeUpTo(taskProgress(t.bronze, t.openAlerts, t.alertEvents));
    const newest = batchRuns(jobs)[0];
    return Promise.resolve({
      completeUpTo: upTo === null ? null : new Date(upTo).toISOString(),
      committed: t.bronze.snapshot?.['timestamp-ms'] ?? null,
      // A failed job commits nothing, so the lake keeps no record of the failure itself: the batch
      // counts as ok once every job has written its table.
      lastBatch: newest === undefined ? null : { endedAt: new Date(newest.at).toISOString(), mode: newest.mode, ok: jobs.every((j) => j.snapshot !== null) },
    });
  });
  return {
    completeUpTo: known.completeUpTo,
    streamCommittedAt: known.committed === null ? null : new Date(known.committed).toISOString(),
    behindMs: known.committed === null ? null : Math.max(0, now - known.committed),
    lastBatch: known.lastBatch,
  };
}

export async function pipeline(source: LakeSource, log: EventLog | undefined): Promise<PipelineStatus> {
  const t = await tablesOf(source, ['bronze', 'openAlerts', 'alertEvents']);
  const jobs = await jobStates(source);
  const names = await source.tableNames();
  const states = await Promise.all(
    names.map(async (name) => {
      const known = JOBS.some((j) => j.name === name) || [t.bronze, t.openAlerts, t.alertEvents].some((s) => s.name === name);
      // Tables the read model has no reads for (late events, reference events) are looked up plainly.
      if (known) return source.table(name, columnsOf(name));
      parseTableName(name);
      return source.table(name, []);
    }),
  );
  // What the tables say changes only with their snapshots (and walks all of them): computed once
  // per set of snapshots. Only the log's end offsets are read on every call.
  const known = await source.memo('pipeline', [t.bronze, t.openAlerts, t.alertEvents, ...jobs, ...states], () => {
    const processed = new Map<string, number>();
    for (const text of perTask(t.bronze.snapshots, 'orderpulse.log-offsets.').values()) {
      try {
        for (const [key, offset] of Object.entries(JSON.parse(text) as Record<string, unknown>)) if (typeof offset === 'number') processed.set(key, offset);
      } catch {
        // Unreadable offsets: the partition's lag stays unknown.
      }
    }
    return Promise.resolve({
      processed,
      tasks: taskProgress(t.bronze, t.openAlerts, t.alertEvents).map((p) => ({
        task: p.task,
        watermark: p.watermark === null ? null : new Date(p.watermark).toISOString(),
        processedSeq: p.processedSeq,
      })),
      batchRuns: batchRuns(jobs).map((r) => ({ table: r.table, snapshotId: r.snapshotId, at: new Date(r.at).toISOString(), mode: r.mode, rowsRead: r.rowsRead })),
      tables: states.map((s) => {
        const total = s.snapshot?.summary['total-records'];
        return {
          table: s.name,
          snapshotId: s.snapshotId,
          snapshots: s.snapshots.length,
          rows: total === undefined ? null : Number(total),
          committedAt: s.snapshot === null ? null : new Date(s.snapshot['timestamp-ms']).toISOString(),
        };
      }),
    });
  });
  const processed = known.processed;
  const described = log === undefined ? [] : await log.describeTopics([...INPUT_TOPICS]).catch(() => []);
  const topics = INPUT_TOPICS.map((topic) => {
    const d = described.find((x) => x.name === topic);
    const ends = d?.endOffsets ?? [];
    const partitions = ends.length > 0 ? ends.map((end, partition) => ({ partition, end })) : [...processed.keys()].filter((k) => k.startsWith(`${topic}/`)).map((k) => ({ partition: Number(k.split('/')[1]), end: null }));
    return {
      topic,
      partitions: partitions
        .sort((a, b) => a.partition - b.partition)
        .map(({ partition, end }) => {
          const done = processed.get(`${topic}/${partition}`) ?? null;
          return { partition, endOffset: end ?? done ?? 0, processedOffset: done, lag: end === null ? null : end - (done ?? 0) };
        }),
    };
  });
  return { topics, tasks: known.tasks, batchRuns: known.batchRuns, tables: known.tables };
}
