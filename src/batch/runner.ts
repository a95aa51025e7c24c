import { channel } from 'node:diagnostics_channel';
import type { IcebergTable, Lake, QueryTable, Row } from '../lake/index.js';
import { LakeError } from '../lake/index.js';
import { BatchError } from './errors.js';
import type { BatchJob } from './job.js';
import { JOBS } from './jobs/index.js';

/**
 * Runs batch jobs against the lake. A job runs when one of its sources has a snapshot it has not
 * consumed yet (or with `full`); it then computes its result from the sources as of those
 * snapshots and commits the result and the consumed snapshot ids in ONE commit (the target's
 * snapshot summary, `orderpulse.batch.sources`), so progress and data never disagree: a crash
 * before the commit leaves the previous result and progress, and the rerun does the same work
 * again. A job whose sources have not changed commits nothing.
 *
 * Tables that no job of the run writes (bronze) are pinned at the snapshot the run first sees, so
 * every job of one run reads the same bronze even while the stream processor keeps appending.
 */
export const SOURCES_PROPERTY = 'orderpulse.batch.sources';
/** Summary property with the figures of the run that wrote the snapshot (`RunFigures`). */
export const RUN_PROPERTY = 'orderpulse.batch.run';

export type JobOutcome = 'written' | 'unchanged' | 'no-source';

/** Each job run, published for whoever listens (the metrics room). */
export const runChannel = channel('orderpulse:batch:run');

export interface BatchRunEvent {
  readonly job: string;
  readonly outcome: JobOutcome | 'failed';
  readonly seconds: number;
  readonly rowsRead: number;
  readonly rowsWritten: number;
  /** Wall ms the run ended. */
  readonly finishedAt: number;
}

export interface JobReport {
  readonly job: string;
  readonly outcome: JobOutcome;
  /** `incremental`: only the rows appended since the last run were read; `full`: all of them. */
  readonly mode: 'full' | 'incremental' | null;
  /** Why a run that could have been incremental was full (first run, --full, a snapshot expired). */
  readonly fullBecause: string | null;
  /** Source table → the snapshot id read (null: the table has no snapshot yet). */
  readonly sources: Readonly<Record<string, bigint | null>>;
  /** What the previous run had consumed. */
  readonly previous: Readonly<Record<string, bigint | null>> | null;
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly snapshotId: bigint | null;
  readonly ms: number;
  /** A job computed by code (`BatchJob.compute`): the input rows its code computed (the rest are kept as they were). */
  readonly computed?: number;
}

/** What `orderpulse.batch.run` records about the run that wrote a snapshot (its rows: the snapshot's own summary). */
export interface RunFigures {
  readonly mode: 'full' | 'incremental';
  readonly rowsRead: number;
  /** When the job started (epoch ms): with the snapshot's own time, how long it took. */
  readonly startedAt: number;
}

export interface RunBatchOptions {
  /** Recompute every job from all of its sources' rows, changed or not. */
  readonly full?: boolean;
  /** Only these jobs (by name); default: all, in dependency order. */
  readonly jobs?: readonly string[];
  /** Jobs run at once at most (each waits for the jobs it reads); default 2. */
  readonly concurrency?: number;
  /** Called as each job starts, and with its report as it ends. */
  readonly onJobStart?: (job: string) => void;
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
  const jobs = selectJobs(options.jobs);
  const written = new Set(JOBS.map((j) => j.name));
  // Pinned before any job starts: jobs running side by side must read the same bronze.
  const pinned = new Map<string, bigint | null>();
  for (const name of new Set(jobs.flatMap((j) => j.sources).filter((s) => !written.has(s)))) {
    pinned.set(name, (await lake.tableExists(name)) ? ((await lake.table(name)).currentSnapshot()?.['snapshot-id'] ?? null) : null);
  }
  const ctx: RunContext = { full: options.full === true, pinned, written };
  const slots = new Slots(options.concurrency ?? DEFAULT_CONCURRENCY);
  const runs = new Map<string, Promise<JobReport>>();
  // In dependency order, so every job finds the runs of the jobs it reads; it starts once they end.
  for (const job of jobs) {
    const before = job.sources.map((s) => runs.get(s)).filter((r) => r !== undefined);
    runs.set(
      job.name,
      Promise.all(before).then(() =>
        slots.run(async () => {
          options.onJobStart?.(job.name);
          const started = performance.now();
          let report: JobReport;
          try {
            report = await runJob(lake, job, ctx);
          } catch (error) {
            if (runChannel.hasSubscribers) {
              runChannel.publish({ job: job.name, outcome: 'failed', seconds: (performance.now() - started) / 1000, rowsRead: 0, rowsWritten: 0, finishedAt: Date.now() } satisfies BatchRunEvent);
            }
            throw error;
          }
          if (runChannel.hasSubscribers) {
            runChannel.publish({
              job: job.name,
              outcome: report.outcome,
              seconds: report.ms / 1000,
              rowsRead: report.rowsRead,
              rowsWritten: report.rowsWritten,
              finishedAt: Date.now(),
            } satisfies BatchRunEvent);
          }
          options.onJob?.(report);
          return report;
        }),
      ),
    );
  }
  // Every run settles before the batch returns or throws: nothing of it goes on afterwards.
  const settled = await Promise.allSettled(runs.values());
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<JobReport>).value);
}

/**
 * Jobs run side by side, two at a time by default: DuckDB already spreads one query over the cores,
 * but a job also plans its scans, writes files and commits, and another job's query fills that time.
 */
const DEFAULT_CONCURRENCY = 2;

/** At most `size` tasks at once; the others wait in order. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(size: number) {
    this.#free = size;
  }
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next === undefined) this.#free++;
      else next();
    }
  }
}

interface RunContext {
  readonly full: boolean;
  /** Snapshot ids of the tables that no job writes, fixed for the whole run. */
  readonly pinned: ReadonlyMap<string, bigint | null>;
  readonly written: ReadonlySet<string>;
}

async function runJob(lake: Lake, job: BatchJob, ctx: RunContext): Promise<JobReport> {
  const started = performance.now();
  const startedAt = Date.now();
  const tables: Record<string, IcebergTable> = {};
  const sources: Record<string, bigint | null> = {};
  const none = (): JobReport => ({
    job: job.name, outcome: 'no-source', mode: null, fullBecause: null, sources, previous: null, rowsRead: 0, rowsWritten: 0, snapshotId: null, ms: performance.now() - started,
  });
  for (const name of job.sources) {
    const table = (await lake.tableExists(name)) ? await lake.table(name) : null;
    let id: bigint | null = null;
    if (table !== null && ctx.written.has(name)) {
      id = table.currentSnapshot()?.['snapshot-id'] ?? null;
    } else if (table !== null) {
      id = ctx.pinned.get(name) ?? null;
    }
    // A required source with no data yet (missing, or created but never written): nothing to compute from.
    if (id === null && job.optional?.[name] === undefined) return none();
    sources[name] = id;
    if (table !== null) tables[name] = table;
  }
  if (Object.values(sources).every((id) => id === null)) return none();
  // An optional source that does not exist yet is created empty (as its owner creates it), so the
  // job reads it as no rows.
  for (const [name, options] of Object.entries(job.optional ?? {})) tables[name] ??= await lake.ensureTable(name, options);
  const target = await lake.ensureTable(job.name, job.table);
  // A job whose definition gained columns since its table was made: add them (as optional
  // columns, so older snapshots stay readable) and recompute every row.
  const have = new Set(target.schema.fields.map((f) => f.name));
  const added = job.table.columns.filter((c) => !have.has(c.name));
  for (const column of added) await target.addColumn({ name: column.name, type: column.type, ...(column.doc === undefined ? {} : { doc: column.doc }) });
  const full = ctx.full || added.length > 0;
  const previous = parseSources(target.lastSummaryValue(SOURCES_PROPERTY), job.name);
  if (!full && previous !== null && job.sources.every((s) => previous[s] === sources[s])) {
    return { job: job.name, outcome: 'unchanged', mode: null, fullBecause: null, sources, previous, rowsRead: 0, rowsWritten: 0, snapshotId: null, ms: performance.now() - started };
  }

  // Only now the files are made local (on S3: downloaded), once the job is known to run.
  const views: Record<string, QueryTable> = {};
  let rowsRead = 0;
  const scanOf = async (name: string, since?: bigint): Promise<QueryTable> => {
    const table = tables[name] as IcebergTable;
    const id = sources[name] ?? null;
    if (id === null) return { files: [], schema: table.schema };
    const scan = await table.scan({ snapshotId: id, ...(since === undefined ? {} : { sinceSnapshotId: since }) });
    rowsRead += scan.recordCount;
    return scan.view();
  };
  let fullBecause: string | null = null;
  if (job.mode === 'upsert') {
    const incremental = job.incremental ?? [];
    fullBecause = ctx.full ? '--full' : added.length > 0 ? `new columns ${added.map((c) => c.name).join(', ')}` : previous === null ? 'first run' : null;
    const missing = incremental.find((name) => previous !== null && !(name in previous));
    if (fullBecause === null && missing !== undefined) fullBecause = `${missing} not consumed before`;
    const deltas: Record<string, QueryTable> = {};
    for (const name of fullBecause === null ? incremental : []) {
      // null: the source had no snapshot when last consumed, so all of its rows are new.
      const since = previous?.[name] ?? null;
      try {
        deltas[name] = since === null ? await scanOf(name) : await scanOf(name, since);
      } catch (error) {
        // The consumed snapshot is gone (expired by maintenance), or rows were removed since it (a
        // row-level delete by another engine): read everything again, from scratch.
        if (!(error instanceof LakeError && (error.code === 'OP_LAKE_NO_SUCH_SNAPSHOT' || error.code === 'OP_LAKE_NOT_INCREMENTAL'))) throw error;
        rowsRead = 0; // the deltas planned so far are not read
        fullBecause = error.code === 'OP_LAKE_NO_SUCH_SNAPSHOT' ? `snapshot ${since} of ${name} no longer exists` : `rows of ${name} were removed since snapshot ${since}`;
        break;
      }
    }
    for (const name of incremental) views[`delta_${viewOf(name)}`] = fullBecause === null ? (deltas[name] as QueryTable) : await scanOf(name);
    const prior = fullBecause === null ? await target.scan() : null;
    views.prior = prior === null ? { files: [], schema: target.schema } : await prior.view();
  }
  for (const name of job.sources) {
    if (job.mode === 'upsert' && (job.incremental ?? []).includes(name)) continue;
    views[viewOf(name)] = await scanOf(name);
  }
  const mode = job.mode === 'upsert' && fullBecause === null ? 'incremental' : 'full';
  const figures: RunFigures = { mode, rowsRead, startedAt };
  let computed: number | undefined;
  const summary = { [SOURCES_PROPERTY]: sourcesText(sources), [RUN_PROPERTY]: JSON.stringify(figures) };
  const result =
    job.compute === undefined
      ? await target.replaceWithQuery({ tables: views, sql: jobQuery(job) }, { summary })
      : await target.overwrite(await computedRows(lake, job, job.compute, views, (n) => (computed = n)), { filter: [], summary });
  return {
    job: job.name,
    outcome: 'written',
    mode,
    fullBecause,
    sources,
    previous,
    rowsRead,
    rowsWritten: result.addedRecords,
    snapshotId: result.snapshotId,
    ms: performance.now() - started,
    ...(computed === undefined ? {} : { computed }),
  };
}

/**
 * A code job's whole new target: `compute` applied to the rows its SQL selects, and every prior row
 * whose key none of those input rows holds. The rows pass through JavaScript, so such a job suits
 * tables of thousands of rows per run (reviews), not of millions.
 */
async function computedRows(
  lake: Lake,
  job: BatchJob,
  compute: NonNullable<BatchJob['compute']>,
  views: Readonly<Record<string, QueryTable>>,
  onInput: (rows: number) => void,
): Promise<Row[]> {
  if (job.mode !== 'upsert') throw new BatchError('OP_BATCH_BAD_JOB', `${job.name}: a job computed by code must be an upsert job`, { details: { job: job.name } });
  const input = (await lake.query(views, job.sql)).rows;
  onInput(input.length);
  const keyOf = (row: Readonly<Record<string, unknown>>): string => JSON.stringify(job.key.map((c) => String(row[c])));
  const replaced = new Set(input.map(keyOf));
  const prior = views.prior === undefined ? [] : (await lake.query({ prior: views.prior }, 'SELECT * FROM prior')).rows;
  return [...compute(input), ...(prior.filter((row) => !replaced.has(keyOf(row))) as Row[])];
}

/** The query that computes a job's whole new target from its views (the job's SQL, or its upsert); none for a job computed by code. */
export function jobQuery(job: BatchJob): string {
  if (job.compute !== undefined) throw new BatchError('OP_BATCH_BAD_JOB', `${job.name} is computed by code: it has no query that computes its target`, { details: { job: job.name } });
  return job.mode === 'upsert' ? upsertSql(job) : job.sql;
}

/**
 * An upsert as one query: the job's rows for the keys it recomputed, and every prior row whose
 * replaced key the result does not hold. Materialised, since it is read twice.
 */
function upsertSql(job: BatchJob): string {
  // Key columns are required, so plain equality is exact, and it lets DuckDB hash the anti join.
  const match = (job.replaces ?? job.key).map((c) => `c."${c}" = p."${c}"`).join(' AND ');
  return `WITH changed AS MATERIALIZED (${job.sql})
SELECT * FROM changed
UNION ALL BY NAME
SELECT p.* FROM prior p ANTI JOIN changed c ON ${match}`;
}

/** The consumed snapshots a target records; checked, since a foreign or edited summary must not skip work. */
/**
 * The consumed snapshot ids as the summary property holds them: ids as decimal strings, since a
 * JSON number loses digits beyond 2^53 in most readers.
 */
function sourcesText(sources: Readonly<Record<string, bigint | null>>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(sources).map(([name, id]) => [name, id === null ? null : id.toString()])));
}

/** Reads `sourcesText`'s form, and the numbers earlier runs wrote (ids below 2^53). */
function parseSources(text: string | null, table: string): Record<string, bigint | null> | null {
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
  const out: Record<string, bigint | null> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === null) out[k] = null;
    else if (typeof v === 'number' && Number.isSafeInteger(v)) out[k] = BigInt(v);
    else if (typeof v === 'string' && /^-?\d{1,19}$/.test(v) && BigInt.asIntN(64, BigInt(v)) === BigInt(v)) out[k] = BigInt(v);
    else throw new BatchError('OP_BATCH_BAD_PROGRESS', `${table}: ${SOURCES_PROPERTY} has ${JSON.stringify(v)} for ${k}, not a snapshot id`, { details: { table } });
  }
  return out;
}

/** The figures a run recorded; null when absent or not readable (they are informative only). */
function parseFigures(text: string | null, committedAt: number): LastRun | null {
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Partial<RunFigures> | null;
    if (value === null || typeof value !== 'object' || (value.mode !== 'full' && value.mode !== 'incremental')) return null;
    const startedAt = Number(value.startedAt);
    return { mode: value.mode, rowsRead: Number(value.rowsRead), ms: Number.isFinite(startedAt) ? Math.max(0, committedAt - startedAt) : null };
  } catch {
    return null;
  }
}

/** The run that wrote a job's newest snapshot, as `batch status` shows it. */
export interface LastRun {
  readonly mode: 'full' | 'incremental';
  readonly rowsRead: number;
  /** From the job's start to its commit; null when the run did not record its start. */
  readonly ms: number | null;
}

export interface JobStatus {
  readonly job: string;
  /** The target's newest batch snapshot, and when it was committed. */
  readonly snapshotId: bigint | null;
  readonly at: string | null;
  readonly rows: number;
  readonly sources: Record<string, bigint | null> | null;
  /** The run that wrote it: full or incremental, rows read, duration. */
  readonly lastRun: LastRun | null;
}

/** Per job: its target's newest batch snapshot, what it consumed, its row count and last run's figures. */
export async function batchStatus(lake: Lake): Promise<JobStatus[]> {
  const out: JobStatus[] = [];
  for (const job of JOBS) {
    if (!(await lake.tableExists(job.name))) {
      out.push({ job: job.name, snapshotId: null, at: null, rows: 0, sources: null, lastRun: null });
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
      lastRun: current === null ? null : parseFigures(table.lastSummaryValue(RUN_PROPERTY), current['timestamp-ms']),
    });
  }
  return out;
}
