import type { Lake, QueryTable, TableScan } from '../lake/index.js';
import { BatchError } from './errors.js';
import type { BatchJob } from './job.js';
import { JOBS } from './jobs/index.js';

/**
 * Runs batch jobs against the lake. A job runs when one of its sources has a snapshot it has not
 * consumed yet (or with `full`); it then computes its target from the sources as of those snapshots
 * and commits the result and the consumed snapshot ids in ONE commit (the target's snapshot summary,
 * `orderpulse.batch.sources`), so progress and data never disagree: a crash before the commit
 * leaves the previous result and progress, and the rerun does the same work again. A job whose
 * sources have not changed commits nothing.
 */
export const SOURCES_PROPERTY = 'orderpulse.batch.sources';

export interface JobReport {
  readonly job: string;
  readonly outcome: 'written' | 'unchanged' | 'no-source';
  /** Source table → the snapshot id read (null: the table has no snapshot yet). */
  readonly sources: Readonly<Record<string, number | null>>;
  /** What the previous run had consumed. */
  readonly previous: Readonly<Record<string, number | null>> | null;
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly snapshotId: number | null;
  readonly ms: number;
}

export interface RunBatchOptions {
  /** Recompute every job even where its sources have not changed. */
  readonly full?: boolean;
  /** Only these jobs (by name); default: all, in dependency order. */
  readonly jobs?: readonly string[];
  readonly onJob?: (report: JobReport) => void;
}

/** A source's view name in a job's SQL: `silver.orders` → `silver_orders`. */
export function viewOf(table: string): string {
  return table.replace('.', '_');
}

export function selectJobs(names: readonly string[] | undefined): readonly BatchJob[] {
  if (names === undefined || names.length === 0) return JOBS;
  const unknown = names.filter((n) => !JOBS.some((j) => j.name === n));
  if (unknown.length > 0) {
    throw new BatchError('OP_BATCH_UNKNOWN_JOB', `no batch job ${unknown.join(', ')}; the jobs are ${JOBS.map((j) => j.name).join(', ')}`, {
      details: { unknown },
    });
  }
  return JOBS.filter((j) => names.includes(j.name));
}

export async function runBatch(lake: Lake, options: RunBatchOptions = {}): Promise<JobReport[]> {
  const reports: JobReport[] = [];
  for (const job of selectJobs(options.jobs)) {
    const report = await runJob(lake, job, options.full === true);
    reports.push(report);
    options.onJob?.(report);
  }
  return reports;
}

async function runJob(lake: Lake, job: BatchJob, full: boolean): Promise<JobReport> {
  const started = performance.now();
  const scans: Record<string, TableScan> = {};
  const sources: Record<string, number | null> = {};
  let rowsRead = 0;
  for (const name of job.sources) {
    // A source with no data yet (missing, or created but never written): nothing to compute from.
    const scan = (await lake.tableExists(name)) ? await (await lake.table(name)).scan() : null;
    if (scan === null || scan.snapshotId === null) {
      return { job: job.name, outcome: 'no-source', sources, previous: null, rowsRead: 0, rowsWritten: 0, snapshotId: null, ms: performance.now() - started };
    }
    sources[name] = scan.snapshotId;
    rowsRead += scan.recordCount;
    scans[name] = scan;
  }
  const target = await lake.ensureTable(job.name, job.table);
  const previous = parseSources(target.lastSummaryValue(SOURCES_PROPERTY), job.name);
  if (!full && previous !== null && job.sources.every((s) => previous[s] === sources[s])) {
    return { job: job.name, outcome: 'unchanged', sources, previous, rowsRead: 0, rowsWritten: 0, snapshotId: null, ms: performance.now() - started };
  }
  // Only now the files are made local (on S3: downloaded), once the job is known to run.
  const views: Record<string, QueryTable> = {};
  for (const [name, scan] of Object.entries(scans)) views[viewOf(name)] = await scan.view();
  const result = await target.replaceWithQuery({ tables: views, sql: job.sql }, { summary: { [SOURCES_PROPERTY]: JSON.stringify(sources) } });
  return {
    job: job.name,
    outcome: 'written',
    sources,
    previous,
    rowsRead,
    rowsWritten: result.addedRecords,
    snapshotId: result.snapshotId,
    ms: performance.now() - started,
  };
}

/** The consumed snapshots a target records; checked, since a foreign or edited summary must not skip work. */
function parseSources(text: string | null, table: string): Record<string, number | null> | null {
  if (text === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new BatchError('OP_BATCH_BAD_PROGRESS', `${table}: summary property ${SOURCES_PROPERTY} is not a JSON object: ${text}`, { details: { table } });
  }
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (!(v === null || (typeof v === 'number' && Number.isSafeInteger(v)))) {
      throw new BatchError('OP_BATCH_BAD_PROGRESS', `${table}: ${SOURCES_PROPERTY} has ${JSON.stringify(v)} for ${k}, not a snapshot id`, { details: { table } });
    }
    out[k] = v;
  }
  return out;
}

/** Per job: its target's newest batch snapshot, what it consumed, and its row count. */
export async function batchStatus(lake: Lake): Promise<{ job: string; snapshotId: number | null; at: string | null; rows: number; sources: Record<string, number | null> | null }[]> {
  const out = [];
  for (const job of JOBS) {
    if (!(await lake.tableExists(job.name))) {
      out.push({ job: job.name, snapshotId: null, at: null, rows: 0, sources: null });
      continue;
    }
    const table = await lake.table(job.name);
    const current = table.currentSnapshot();
    const scan = await table.scan();
    out.push({
      job: job.name,
      snapshotId: current?.['snapshot-id'] ?? null,
      at: current === null ? null : new Date(current['timestamp-ms']).toISOString(),
      rows: scan.recordCount,
      sources: parseSources(table.lastSummaryValue(SOURCES_PROPERTY), job.name),
    });
  }
  return out;
}
