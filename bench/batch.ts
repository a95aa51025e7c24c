/**
 * `npm run bench:batch`: the batch layer on the sample at scale 10 (SYNTHETIC, built as
 * `bench:ingest` builds it).
 *
 * Not timed: 99% of the events (by event time) are replayed into a fresh embedded log, the stream
 * processor writes them to bronze and the reference events are ingested.
 * - full: `runBatch --full`, every silver and gold job from all of bronze;
 * - ceiling: for each job, the same SQL run by DuckDB directly on the same Parquet files (the
 *   bronze files and the silver files the full build wrote), its result written to one Parquet
 *   file: what is left is the Iceberg work (manifests, metadata, commits) and the lake's views;
 * - incremental: the last 1% of the events replayed and processed (not timed), then `runBatch`:
 *   the silver jobs read only the bronze rows added since, the gold jobs rebuild from silver.
 * Goals (the issue): full build under 10 s and within 2x of the ceiling; incremental under 1 s.
 * Prints a table per job, then one JSON line with every figure.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { JobReport } from '../src/batch/index.js';
import { JOBS, jobQuery, runBatch, viewOf } from '../src/batch/index.js';
import type { Lake } from '../src/lake/index.js';
import { DEFAULT_PARTITIONS } from '../src/replay/index.js';
import { openSamplePipeline, scaledSampleEvents } from '../src/testing/sample-pipeline.js';
import { printTable } from './report.js';

const GOALS = { fullSeconds: 10, incrementalSeconds: 1, ceilingRatio: 2 } as const;
const SCALE = 10;
const work = join(tmpdir(), `orderpulse-bench-batch-${process.pid}`);

/**
 * The ceiling of one job: its SQL over plain `read_parquet` views of the same files, copied into a
 * Parquet file by DuckDB, on a fresh connection. Seconds.
 */
async function ceilingOf(lake: Lake, report: JobReport, out: string): Promise<number> {
  const job = JOBS.find((j) => j.name === report.job);
  if (job === undefined) throw new Error(`no job ${report.job}`);
  const views: [string, readonly string[]][] = [];
  for (const [name, id] of Object.entries(report.sources)) {
    const files = id === null ? [] : (await (await (await lake.table(name)).scan({ snapshotId: id })).view()).files;
    views.push([viewOf(name), files]);
    if ((job.incremental ?? []).includes(name)) views.push([`delta_${viewOf(name)}`, files]);
  }
  // A full build's prior rows are none: an empty relation shaped as the target.
  const target = await (await lake.table(job.name)).scan({ snapshotId: report.snapshotId ?? undefined });
  const db = await DuckDBInstance.create(':memory:');
  const connection = await db.connect();
  try {
    const sql: string[] = [];
    for (const [view, files] of views) {
      if (files.length === 0) continue;
      sql.push(`CREATE VIEW ${view} AS SELECT * FROM read_parquet([${files.map((f) => `'${f}'`).join(', ')}])`);
    }
    const targetFiles = (await target.view()).files;
    sql.push(`CREATE VIEW prior AS SELECT * FROM read_parquet([${targetFiles.map((f) => `'${f}'`).join(', ')}]) WHERE false`);
    for (const statement of sql) await connection.run(statement);
    const started = performance.now();
    await connection.run(`COPY (${jobQuery(job)}) TO '${out}' (FORMAT parquet, COMPRESSION zstd)`);
    return (performance.now() - started) / 1000;
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}


async function main(): Promise<void> {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const events = await scaledSampleEvents(SCALE, work);
  const times = events.map((e) => e.eventTime).sort((a, b) => a - b);
  const cut = times[Math.floor(times.length * 0.99)] ?? 0;

  const pipeline = await openSamplePipeline(work, events, { partitions: DEFAULT_PARTITIONS });
  const lake = pipeline.lake;
  const feed = (until?: number): Promise<void> => pipeline.feed(until);
  try {
    console.error(`replaying 99% of ${events.length.toLocaleString('en-US')} events (scale ${SCALE}) and processing them (not timed)…`);
    await feed(cut);
    const bronzeRows = (await (await lake.table('bronze.order_events')).scan()).recordCount;

    console.error('full build…');
    let started = performance.now();
    const full = await runBatch(lake, { full: true });
    const fullSeconds = (performance.now() - started) / 1000;

    console.error('ceiling: the same SQL by DuckDB on the same files…');
    const ceilings = new Map<string, number>();
    // A job computed by code has no query to run elsewhere: no ceiling.
    for (const report of full) {
      if (JOBS.find((j) => j.name === report.job)?.compute !== undefined) continue;
      ceilings.set(report.job, await ceilingOf(lake, report, join(work, `ceiling-${report.job}.parquet`)));
    }
    const ceilingSeconds = [...ceilings.values()].reduce((a, b) => a + b, 0);

    console.error('replaying the last 1% and processing it (not timed)…');
    await feed();
    const added = (await (await lake.table('bronze.order_events')).scan()).recordCount - bronzeRows;
    console.error('incremental run…');
    started = performance.now();
    const incremental = await runBatch(lake);
    const incrementalSeconds = (performance.now() - started) / 1000;

    const byJob = new Map(incremental.map((r) => [r.job, r]));
    const rows: string[][] = [['job', 'full s', 'ceiling s', 'ratio', 'rows', 'incremental s', 'mode', 'rows read']];
    for (const r of full) {
      const c = ceilings.get(r.job) ?? 0;
      const i = byJob.get(r.job);
      rows.push([
        r.job,
        (r.ms / 1000).toFixed(3),
        c.toFixed(3),
        c > 0 ? (r.ms / 1000 / c).toFixed(2) : '-',
        r.rowsWritten.toLocaleString('en-US'),
        i === undefined ? '-' : (i.ms / 1000).toFixed(3),
        i?.mode ?? i?.outcome ?? '-',
        (i?.rowsRead ?? 0).toLocaleString('en-US'),
      ]);
    }
    rows.push(['total', fullSeconds.toFixed(3), ceilingSeconds.toFixed(3), (fullSeconds / ceilingSeconds).toFixed(2), '', incrementalSeconds.toFixed(3), '', '']);
    printTable(rows);
    console.log(
      `bronze: ${bronzeRows.toLocaleString('en-US')} order events, then ${added.toLocaleString('en-US')} more (${((added / bronzeRows) * 100).toFixed(2)}%)`,
    );
    console.log(
      `goals: full ${fullSeconds.toFixed(2)} s (< ${GOALS.fullSeconds}), full/ceiling ${(fullSeconds / ceilingSeconds).toFixed(2)} (< ${GOALS.ceilingRatio}), ` +
        `incremental ${incrementalSeconds.toFixed(2)} s (< ${GOALS.incrementalSeconds})`,
    );
    console.log(
      JSON.stringify({
        benchmark: 'batch',
        node: process.version,
        scale: SCALE,
        bronzeRows,
        addedRows: added,
        fullSeconds,
        ceilingSeconds,
        ceilingRatio: fullSeconds / ceilingSeconds,
        incrementalSeconds,
        jobs: full.map((r) => ({
          job: r.job,
          fullMs: Math.round(r.ms),
          ceilingMs: Math.round((ceilings.get(r.job) ?? 0) * 1000),
          rows: r.rowsWritten,
          incrementalMs: Math.round(byJob.get(r.job)?.ms ?? 0),
          incrementalOutcome: byJob.get(r.job)?.outcome ?? null,
        })),
        goals: GOALS,
      }),
    );
  } finally {
    await pipeline.close();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
