/**
 * `npm run bench:soak`: the cost of a commit over a long run. A stream processor commits a small
 * bronze batch about every second for as long as it runs; the cost of one commit, and the memory
 * of the process, must not grow with the number of commits before it.
 *
 * The run: an embedded lake (DEFAULTS, in a temporary state directory) and `bronze.order_events`
 * as the processor creates it. Each commit appends `--rows` bronze-like rows spread over the six
 * tasks, with the processor's summary properties (each task's log offsets, position, watermark)
 * and its fencing condition on each task's position. Time is SIMULATED: the lake's clock moves on
 * one second per commit by default (`--pace-ms`), so `--commits 5000` stands for 83 minutes of a
 * processor's life. Snapshot expiry runs on the deployed processor's schedule in commits (by default
 * once a simulated minute: every 60 commits), with its retention (keep the newest 100, expire what
 * is over twice the batch interval old: ten minutes by default), and manifests merge by the
 * table's defaults (at 100 manifests).
 *
 * Figures: the wall time of each append (refresh, Parquet file, manifest, manifest list, metadata
 * file, catalog swap), the first 10% of commits against the last 10% (goal: within 20%); the
 * expiry runs, timed apart (the processor runs them in the background); RSS and heap (after a
 * garbage collection when run with --expose-gc, as the npm script does) sampled along the run,
 * first 10% against last 10% (goal: flat). Prints a table, then one JSON line with every figure.
 *
 * Options: --commits N (default 5,000), --rows N per commit (default 24), --compact-every N: compact
 * the table every N commits (as `orderpulse maintain` on a schedule would; off by default), timed
 * apart like expiry; --pace-ms N: simulated ms between two commits (default 1,000; a live processor
 * at the sample's pace commits every 50-70 ms); --batch-every-ms N: the batch interval the expiry
 * follows (`streamSnapshotExpiry`: kept twice as long; default the settings' 5 minutes).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULTS, openRuntime, streamSnapshotExpiry } from '../src/deploy/index.js';
import type { Row } from '../src/lake/index.js';
import { BRONZE_EVENTS, BRONZE_EVENTS_TABLE, ExpirySchedule, offsetsProperty, positionProperty, watermarkProperty } from '../src/stream/index.js';
import { printTable, stats } from './report.js';

const GOALS = { lastToFirstCommitRatio: 1.2, lastToFirstRssRatio: 1.2 } as const;
const TASKS = DEFAULTS.partitions;

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a whole number of at least 1, got ${String(process.argv[i + 1])}`);
  return value;
}

const EVENT_TYPES = ['OrderPlaced', 'PaymentApproved', 'OrderHandedToCarrier', 'OrderDelivered', 'ReviewSubmitted'] as const;

/** A bronze row as the processor writes it: the log record's place, the event and its JSON, the processing position. */
function bronzeRow(task: number, offset: number, seq: number, eventTime: number, ingestTime: number, watermark: number): Row {
  const type = EVENT_TYPES[offset % EVENT_TYPES.length] as string;
  const orderId = `${(offset * 2_654_435_761 + task).toString(16).padStart(8, '0')}e481f51cbdc54678b7cc49136f2d6af7`.slice(0, 32);
  const topic = type === 'ReviewSubmitted' ? 'reviews' : 'orders';
  return {
    topic,
    log_partition: task,
    log_offset: offset,
    event_id: `${orderId}:${type}:${offset}`,
    event_type: type,
    key: orderId,
    event_time: eventTime,
    ingest_time: ingestTime,
    schema_id: 1 + (offset % 5),
    payload: JSON.stringify({
      eventId: `${orderId}:${type}:${offset}`,
      type,
      orderId,
      eventTime,
      customerId: `c${orderId.slice(0, 20)}`,
      sellerId: `s${orderId.slice(4, 24)}`,
      state: ['SP', 'RJ', 'MG', 'PR', 'RS'][offset % 5],
      amount: Math.round((offset % 997) * 13.7) / 100,
      estimatedDeliveryDate: '2017-10-18',
    }),
    task,
    processed_seq: seq,
    watermark_floor: watermark,
  };
}

interface MemorySample {
  readonly commit: number;
  readonly rssMiB: number;
  readonly heapMiB: number;
}

const mib = (bytes: number): number => bytes / 1_048_576;
const mean = (xs: readonly number[]): number => (xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
const fixed = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

async function main(): Promise<void> {
  const commits = option('commits', 5_000);
  const rowsPerCommit = option('rows', 24);
  const compactEvery = process.argv.includes('--compact-every') ? option('compact-every', 1) : null;
  // Simulated time between two commits: a second by default; a live processor commits every 50-70 ms.
  const paceMs = option('pace-ms', 1_000);
  // The deployed processor's expiry for this batch interval (by default the settings' default, 5 minutes:
  // ten minutes kept, a run every simulated minute), run every that many commits.
  const batchIntervalMs = option('batch-every-ms', DEFAULTS.batchInterval);
  const expiry = streamSnapshotExpiry(batchIntervalMs);
  const expireEveryCommits = Math.max(1, Math.round((expiry.everyMs ?? 60_000) / paceMs));
  const state = mkdtempSync(join(tmpdir(), 'orderpulse-bench-soak-'));
  const collect = (globalThis as { gc?: () => void }).gc;
  // Simulated time: the lake stamps snapshots with this clock, and expiry measures age by it.
  let simulatedNow = Date.UTC(2017, 9, 2, 8, 0, 0);
  const runtime = openRuntime({ ...DEFAULTS, state }, { now: () => simulatedNow });
  const started = performance.now();
  try {
    const lake = await runtime.lake();
    const table = await lake.ensureTable(BRONZE_EVENTS_TABLE, BRONZE_EVENTS);
    const schedule = new ExpirySchedule({ retainLast: expiry.retainLast, olderThanMs: expiry.olderThanMs, everyCommits: expireEveryCommits }, () => simulatedNow);
    const commitMs: number[] = [];
    const expiries: { commit: number; ms: number; expired: number; deletedFiles: number }[] = [];
    const compactions: { commit: number; ms: number }[] = [];
    const memory: MemorySample[] = [];
    const sampleEvery = Math.max(1, Math.floor(commits / 100));
    const offsets = Array.from({ length: TASKS }, () => 0);
    const seqs = Array.from({ length: TASKS }, () => 0);
    const recorded: (string | null)[] = Array.from({ length: TASKS }, () => null);
    const snapshotsAt: number[] = [];

    for (let c = 0; c < commits; c++) {
      simulatedNow += paceMs;
      const rows: Row[] = [];
      const summary: Record<string, string> = {};
      const expect: Record<string, string | null> = {};
      const watermark = simulatedNow - 3_600_000;
      for (let k = 0; k < rowsPerCommit; k++) {
        const task = k % TASKS;
        rows.push(bronzeRow(task, offsets[task]!, ++seqs[task]!, simulatedNow - 5_000 + k, simulatedNow, watermark));
        offsets[task]!++;
      }
      for (let task = 0; task < TASKS; task++) {
        summary[offsetsProperty(task)] = JSON.stringify({ [`orders/${task}`]: offsets[task], [`reviews/${task}`]: Math.floor(offsets[task]! / 5) });
        summary[positionProperty(task)] = JSON.stringify({ seq: seqs[task], floor: watermark });
        summary[watermarkProperty(task)] = String(watermark);
        expect[positionProperty(task)] = recorded[task] ?? null;
      }
      const t0 = performance.now();
      await table.append(rows, { summary, expect });
      commitMs.push(performance.now() - t0);
      for (let task = 0; task < TASKS; task++) recorded[task] = summary[positionProperty(task)] ?? null;
      snapshotsAt.push(table.snapshots().length);

      if (compactEvery !== null && (c + 1) % compactEvery === 0) {
        const c0 = performance.now();
        await table.compact();
        compactions.push({ commit: c + 1, ms: performance.now() - c0 });
      }
      if (schedule.committed()) {
        const run = await schedule.run([table]);
        expiries.push({ commit: c + 1, ms: run.ms, expired: run.expiredSnapshots, deletedFiles: run.deletedFiles });
      }
      if ((c + 1) % sampleEvery === 0 || c === commits - 1) {
        collect?.();
        const m = process.memoryUsage();
        memory.push({ commit: c + 1, rssMiB: mib(m.rss), heapMiB: mib(m.heapUsed) });
      }
      if ((c + 1) % 500 === 0) {
        const recent = mean(commitMs.slice(-500));
        const m = process.memoryUsage();
        process.stderr.write(`soak: ${c + 1}/${commits} commits, mean of the last 500 ${fixed(recent)} ms, rss ${fixed(memory.at(-1)?.rssMiB ?? 0, 0)} MiB, heap ${fixed(memory.at(-1)?.heapMiB ?? 0, 1)} MiB, heap total ${fixed(mib(m.heapTotal), 0)} MiB, external ${fixed(mib(m.external), 0)} MiB, array buffers ${fixed(mib(m.arrayBuffers), 0)} MiB\n`);
      }
    }
    const wallSeconds = (performance.now() - started) / 1000;

    const tenth = Math.max(1, Math.floor(commits / 10));
    const first = commitMs.slice(0, tenth);
    const last = commitMs.slice(commits - tenth);
    const firstStats = stats(first);
    const lastStats = stats(last);
    const inFirst = (s: { commit: number }): boolean => s.commit <= tenth;
    const inLast = (s: { commit: number }): boolean => s.commit > commits - tenth;
    const firstMem = memory.filter(inFirst);
    const lastMem = memory.filter(inLast);
    const firstExpiries = expiries.filter(inFirst);
    const lastExpiries = expiries.filter(inLast);

    await table.refresh();
    const snapshot = table.currentSnapshot();
    const scan = await table.scan();
    const metadataBytes = statSync(table.metadataLocation).size;
    const { readManifestList } = await import('../src/lake/manifest-list.js');
    const manifests = snapshot === null ? [] : readManifestList(await lake.io.read(snapshot['manifest-list']), snapshot['manifest-list']);

    // The shape of the run: each tenth of the commits, its mean commit time and its memory.
    const tenths: string[][] = [['tenth', 'commits', 'mean ms', 'p50 ms', 'RSS MiB', 'heap MiB', 'snapshots kept']];
    const decileMs: number[] = [];
    const decileRss: number[] = [];
    for (let d = 0; d < 10; d++) {
      const from = d * tenth;
      const to = d === 9 ? commits : from + tenth;
      const slice = commitMs.slice(from, to);
      const mem = memory.filter((m) => m.commit > from && m.commit <= to);
      decileMs.push(mean(slice));
      decileRss.push(mean(mem.map((m) => m.rssMiB)));
      tenths.push([
        `${d + 1}`,
        `${from + 1}-${to}`,
        fixed(mean(slice)),
        fixed(stats(slice).p50Ms ?? Number.NaN),
        fixed(mean(mem.map((m) => m.rssMiB)), 0),
        fixed(mean(mem.map((m) => m.heapMiB)), 1),
        String(snapshotsAt[Math.min(to, commits) - 1] ?? ''),
      ]);
    }
    const figures = {
      commits,
      rowsPerCommit,
      paceMs,
      batchIntervalMs,
      retainedMs: expiry.olderThanMs,
      simulatedMinutes: (commits * paceMs) / 60_000,
      wallSeconds,
      firstCommitMeanMs: mean(first),
      firstCommitP50Ms: firstStats.p50Ms,
      firstCommitP99Ms: firstStats.p99Ms,
      lastCommitMeanMs: mean(last),
      lastCommitP50Ms: lastStats.p50Ms,
      lastCommitP99Ms: lastStats.p99Ms,
      lastToFirstCommitRatio: mean(last) / mean(first),
      expiryRuns: expiries.length,
      firstExpiryMeanMs: mean(firstExpiries.map((e) => e.ms)),
      lastExpiryMeanMs: mean(lastExpiries.map((e) => e.ms)),
      expiredSnapshots: expiries.reduce((n, e) => n + e.expired, 0),
      compactEvery,
      compactions: compactions.length,
      compactionMeanMs: mean(compactions.map((x) => x.ms)),
      firstRssMiB: mean(firstMem.map((m) => m.rssMiB)),
      lastRssMiB: mean(lastMem.map((m) => m.rssMiB)),
      maxRssMiB: Math.max(...memory.map((m) => m.rssMiB)),
      lastToFirstRssRatio: mean(lastMem.map((m) => m.rssMiB)) / mean(firstMem.map((m) => m.rssMiB)),
      firstHeapMiB: mean(firstMem.map((m) => m.heapMiB)),
      lastHeapMiB: mean(lastMem.map((m) => m.heapMiB)),
      heapAfterGc: collect !== undefined,
      endSnapshots: table.snapshots().length,
      endManifests: manifests.length,
      endDataFiles: scan.files.length,
      endRows: scan.recordCount,
      endMetadataFileBytes: metadataBytes,
      decileCommitMeanMs: decileMs,
      decileRssMiB: decileRss,
      goals: GOALS,
    };

    console.log(`bench:soak: ${commits} commits of ${rowsPerCommit} rows, ${fixed(figures.simulatedMinutes, 0)} simulated minutes, ${fixed(wallSeconds, 0)} s wall${compactEvery === null ? "" : `; compacted every ${compactEvery} commits (${compactions.length} runs, mean ${fixed(figures.compactionMeanMs, 0)} ms)`}`);
    printTable([
      ['', 'commits', 'mean ms', 'p50 ms', 'p99 ms', 'expiry runs', 'expiry mean ms', 'RSS MiB', 'heap MiB'],
      [
        'first 10%',
        String(first.length),
        fixed(figures.firstCommitMeanMs),
        fixed(firstStats.p50Ms ?? Number.NaN),
        fixed(firstStats.p99Ms ?? Number.NaN),
        String(firstExpiries.length),
        fixed(figures.firstExpiryMeanMs, 1),
        fixed(figures.firstRssMiB, 0),
        fixed(figures.firstHeapMiB, 1),
      ],
      [
        'last 10%',
        String(last.length),
        fixed(figures.lastCommitMeanMs),
        fixed(lastStats.p50Ms ?? Number.NaN),
        fixed(lastStats.p99Ms ?? Number.NaN),
        String(lastExpiries.length),
        fixed(figures.lastExpiryMeanMs, 1),
        fixed(figures.lastRssMiB, 0),
        fixed(figures.lastHeapMiB, 1),
      ],
      ['last / first', '', fixed(figures.lastToFirstCommitRatio), '', '', '', '', fixed(figures.lastToFirstRssRatio), ''],
    ]);
    printTable(tenths);
    console.log(
      `at the end: ${figures.endSnapshots} snapshots, ${figures.endManifests} manifests, ${figures.endDataFiles} data files, ${figures.endRows} rows, metadata file ${figures.endMetadataFileBytes} bytes; max RSS ${fixed(figures.maxRssMiB, 0)} MiB`,
    );
    console.log(
      `goals: last 10% of commits within ${Math.round((GOALS.lastToFirstCommitRatio - 1) * 100)}% of the first (${fixed(figures.lastToFirstCommitRatio)}), memory flat (RSS ${fixed(figures.lastToFirstRssRatio)})`,
    );
    console.log(JSON.stringify(figures));
  } finally {
    await runtime.close();
    rmSync(state, { recursive: true, force: true });
  }
}

await main();
