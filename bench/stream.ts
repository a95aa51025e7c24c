/**
 * `npm run bench:stream`: the stream processor, for throughput and for alert latency.
 *
 * - throughput: the sample at scale 10 (SYNTHETIC, built as `bench:ingest` builds it) is replayed as
 *   fast as possible into a fresh embedded log (not timed). Then the processor opens on an empty
 *   lake and runs until the log is done and idle (idle policy: at once, to the newest event): every
 *   order and review event goes to bronze, the detector, the alert tables and the alerts topic.
 *   Events/s = records / wall seconds of open + run. It runs once with the default batch size and
 *   again with larger ones, each time on a fresh copy of the same log; the phase times are the sums
 *   of the processor's batch reports. The ceiling, measured in the same run: reading the same
 *   partitions with `log.fetch` (2,000 records at a time) and decoding every value, nothing else.
 * - latency: the real sample replayed at 5,000 events/s into a fresh embedded store while a
 *   processor runs beside it in the same process (default idle policy). For every alert change
 *   caused by a record, latency = wall time the change was emitted − wall time the append of that
 *   record resolved. `final` and `resolved` changes are caused by an event itself; `opened` and
 *   `escalated` by a deadline timer, fired when an event moved the watermark. Changes of the idle
 *   policy (no cause) are only counted. Beside it, a plain reader polling the same partitions
 *   measures the log's own append-to-fetch time.
 * - restart (`-- --restart`, alone): opening again after a run, from the tasks' checkpoints and
 *   with checkpoints off, at scale 1 and scale 10 (see `restartMain`).
 * Options: `--part throughput` or `--part latency` runs one part only; `--scale N` replays the sample
 * at scale N instead of 10; `--batches default` runs the throughput part with the default batch size
 * only (and no two-process run); `--compare-writers N` runs the default batch N times each with the
 * lake's writer thread and without it, alternately (for a figure within one run's load); `--writer
 * inline` encodes the data files on the main thread in every other run, latency included (the lake's
 * writer thread, which the stream command and `start` use, is the default). Without options:
 * everything, at scale 10, as docs/benchmarks.md describes.
 * Goals: end to end ≥ 150,000 events/s and ≥ 0.4 of the ceiling; p99 latency < 100 ms and < 3× the
 * log's own append-to-fetch p99. Beside the ratio it prints the CPU per event (all threads) at which
 * 0.4 is within reach on the machine's cores at all, and the run's own.
 * Prints three tables, then one JSON line with every figure.
 */
import { rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULTS, STORE_FILE, openRuntime } from '../src/deploy/index.js';
import type { Runtime } from '../src/deploy/index.js';
import { loadOlist } from '../src/data/index.js';
import { TOPICS, TOPIC_NAMES, olistEvents } from '../src/events/index.js';
import { Lake } from '../src/lake/index.js';
import type { EventLog, RecordPosition } from '../src/log/index.js';
import { DEFAULT_PARTITIONS, replay } from '../src/replay/index.js';
import type { BatchReport, ChangeKind, EmittedChange } from '../src/stream/index.js';
import type { DetectorSnapshot } from '../src/stream/index.js';
import { AlertCodec, DEFAULT_CHECKPOINT_POLICY, StreamProcessor, checkpointText } from '../src/stream/index.js';
import { repoRoot, sampleDir } from '../src/testing/fixtures.js';
import { withOverrides } from '../src/testing/log-overrides.js';
import { scaledSampleEvents } from '../src/testing/sample-pipeline.js';
import type { LatencyStats } from './report.js';
import { printTable, stats } from './report.js';
import { copyStore, fillLog } from './store.js';

const GOALS = { eventsPerSecond: 150_000, ceilingRatio: 0.4, p99Ms: 100, p99OverLogFloor: 3, peakRssMiB: 512 } as const;
/** Batch sizes of the throughput runs; undefined: the processor's default. */
const BATCH_SIZES: readonly (number | undefined)[] = [undefined, 50_000, 100_000];
const LATENCY_RATE = 5_000;
const INPUT_TOPICS = [TOPICS.orders, TOPICS.reviews] as const;
const FETCH_SIZE = 2_000;

const work = join(tmpdir(), `orderpulse-bench-stream-${process.pid}`);
const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;
const positionKey = (p: RecordPosition): string => `${p.topic}/${p.partition}/${p.offset}`;

function runtimeAt(state: string): Runtime {
  return openRuntime({ ...DEFAULTS, state });
}

interface Phases {
  read: number;
  detect: number;
  bronze: number;
  outputs: number;
  total: number;
}

/** Where the lake encodes appended rows: on its writer thread (as the stream command and `start` do), or on the main thread. */
type WriterChoice = 'thread' | 'inline';

interface ThroughputRun {
  /** null: the processor's default. */
  readonly maxBatchEvents: number | null;
  readonly writer: WriterChoice;
  readonly records: number;
  readonly batches: number;
  readonly largestBatch: number;
  readonly meanBatch: number;
  readonly alertChanges: number;
  readonly openMs: number;
  /** A restart after the run: rows of bronze replayed to rebuild the state, and how long opening took. */
  readonly restart: { readonly replayed: number; readonly ms: number; readonly rowsPerSecond: number } | null;
  readonly seconds: number;
  /**
   * CPU time of the process (every thread, user and system) over open and run, per record: the
   * work a record costs, steadier than wall time on a shared host.
   */
  readonly cpuMicrosPerEvent: number;
  readonly eventsPerSecond: number;
  readonly ceilingRatio: number;
  /** Sums over the batch reports, ms. */
  readonly phasesMs: Phases;
}


/** The scale-10 dataset's events, as `bench:ingest` builds them: written as Olist files, then loaded. */
/** The ceiling: every record of the input topics fetched and decoded, nothing else. */
async function readAndDecode(state: string): Promise<{ records: number; seconds: number; cpuMicrosPerEvent: number }> {
  const runtime = runtimeAt(state);
  try {
    const codec = await runtime.codec();
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    let records = 0;
    for (const topic of await runtime.log.describeTopics(INPUT_TOPICS)) {
      for (let partition = 0; partition < topic.partitions; partition++) {
        let offset = topic.beginningOffsets[partition] ?? 0;
        for (;;) {
          const chunk = await runtime.log.fetch({ topic: topic.name, partition, offset, maxRecords: FETCH_SIZE });
          if (chunk.length === 0) break;
          for (const record of chunk) await codec.decode(record.value, record);
          records += chunk.length;
          offset = (chunk[chunk.length - 1]?.offset ?? offset) + 1;
        }
      }
    }
    const cpu = process.cpuUsage(cpu0);
    return { records, seconds: seconds(t0), cpuMicrosPerEvent: records === 0 ? 0 : (cpu.user + cpu.system) / records };
  } finally {
    await runtime.close();
  }
}

/** The runtime's lake as `openRuntime` lays it out, with the writer chosen. */
async function lakeWithWriter(state: string, writer: WriterChoice): Promise<Lake> {
  return Lake.open({ catalogUri: join(state, STORE_FILE), warehouse: join(state, 'warehouse'), tempDir: join(state, 'tmp'), writerThread: writer === 'thread', durability: DEFAULTS.durability });
}

/** One processor run over a copy of the template log: open on an empty lake, run until idle. */
async function processAll(template: string, maxBatchEvents: number | undefined, ceiling: number, writer: WriterChoice): Promise<ThroughputRun> {
  const state = join(work, `throughput-${maxBatchEvents ?? 'default'}-${writer}`);
  copyStore(template, state);
  const runtime = runtimeAt(state);
  const lake = await lakeWithWriter(state, writer);
  try {
    const codec = await runtime.codec();
    const alertCodec = await AlertCodec.open(runtime.registry, { registerSchemas: true });
    const phases: Phases = { read: 0, detect: 0, bronze: 0, outputs: 0, total: 0 };
    let largestBatch = 0;
    const onBatch = (report: BatchReport): void => {
      for (const phase of Object.keys(phases) as (keyof Phases)[]) phases[phase] += report.timings[phase];
      largestBatch = Math.max(largestBatch, report.records);
    };
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    const processor = await StreamProcessor.open({
      log: runtime.log,
      codec,
      lake,
      alertCodec,
      idle: { afterMs: 0, advanceMs: 0 },
      onBatch,
      ...(maxBatchEvents === undefined ? {} : { maxBatchEvents }),
    });
    const openMs = seconds(t0) * 1000;
    const run = await processor.run({ untilIdle: true });
    const wall = seconds(t0);
    const cpu = process.cpuUsage(cpu0);
    let restart: ThroughputRun['restart'] = null;
    if (maxBatchEvents === undefined) {
      const reopened = await StreamProcessor.open({ log: runtime.log, codec, lake, alertCodec });
      const { replayed, ms } = reopened.recovery;
      restart = { replayed, ms, rowsPerSecond: replayed / (ms / 1000) };
    }
    const eventsPerSecond = run.records / wall;
    process.stderr.write(
      `throughput, maxBatchEvents ${maxBatchEvents ?? 'default'}, writer ${writer}: ${run.records} records in ${run.batches} batches, ${wall.toFixed(1)} s, ${run.changes} alert changes\n`,
    );
    return {
      maxBatchEvents: maxBatchEvents ?? null,
      writer,
      records: run.records,
      batches: run.batches,
      largestBatch,
      meanBatch: run.batches === 0 ? 0 : run.records / run.batches,
      alertChanges: run.changes,
      openMs,
      restart,
      seconds: wall,
      cpuMicrosPerEvent: run.records === 0 ? 0 : (cpu.user + cpu.system) / run.records,
      eventsPerSecond,
      ceilingRatio: eventsPerSecond / ceiling,
      phasesMs: phases,
    };
  } finally {
    await lake.close();
    await runtime.close();
    rmSync(state, { recursive: true, force: true });
  }
}

/**
 * The same work shared by two `orderpulse stream` processes, each running half of the tasks (the
 * input partitions), at the same time on a copy of the template log: what partition parallelism
 * gives on this machine's two cores.
 */
interface ProcessesRun {
  readonly records: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  /** Each process's peak resident memory (MiB), as its `stream --json` summary reports it. */
  readonly peakRssMiB: readonly number[];
}

/** `orderpulse stream --until-idle` in one process per share of the tasks, side by side, on a copy of the log. */
async function processAllInProcesses(template: string, partitions: number, processes: number): Promise<ProcessesRun> {
  const state = join(work, `${processes}-processes`);
  copyStore(template, state);
  const per = Math.ceil(partitions / processes);
  const shares = Array.from({ length: processes }, (_, p) => Array.from({ length: partitions }, (_, i) => i).slice(p * per, (p + 1) * per));
  const t0 = process.hrtime.bigint();
  const runs = shares.map(
    (tasks) =>
      new Promise<{ records: number; peakRssMiB: number }>((resolve, reject) => {
        const child = spawn(
          process.execPath,
          [join(repoRoot, 'bin', 'orderpulse.js'), '--state', state, 'stream', '--until-idle', '--idle-after', '0', '--tasks', tasks.join(','), '--json'],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        let out = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (text: string) => (out += text));
        child.on('error', reject);
        child.on('exit', (code) => {
          if (code !== 0) {
            reject(new Error(`orderpulse stream --tasks ${tasks.join(',')} exited with ${code}`));
            return;
          }
          const summary = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { records?: number; peakRssMiB?: number };
          resolve({ records: summary.records ?? 0, peakRssMiB: summary.peakRssMiB ?? 0 });
        });
      }),
  );
  const done = await Promise.all(runs);
  const wall = seconds(t0);
  const records = done.reduce((a, b) => a + b.records, 0);
  rmSync(state, { recursive: true, force: true });
  process.stderr.write(`${processes} process(es): ${records} records in ${wall.toFixed(1)} s, peak RSS ${done.map((d) => `${d.peakRssMiB} MiB`).join(', ')}\n`);
  return { records, seconds: wall, eventsPerSecond: records / wall, peakRssMiB: done.map((d) => d.peakRssMiB) };
}

/** The log, except that every append notes when it resolved, for each record it placed. */
function timedLog(log: EventLog, appendedAt: Map<string, number>): EventLog {
  return withOverrides(log, {
    append: async (records) => {
      const positions = await log.append(records);
      const now = performance.now();
      for (const p of positions) appendedAt.set(positionKey(p), now);
      return positions;
    },
  });
}


const EVENT_TRIGGERED: ReadonlySet<ChangeKind> = new Set<ChangeKind>(['final', 'resolved']);

type PhaseMeans = BatchReport['timings'];

function phaseMeans(reports: readonly BatchReport['timings'][]): PhaseMeans {
  const mean = (key: keyof PhaseMeans): number => (reports.length === 0 ? 0 : reports.reduce((sum, t) => sum + t[key], 0) / reports.length);
  return { read: mean('read'), detect: mean('detect'), bronze: mean('bronze'), outputs: mean('outputs'), total: mean('total') };
}

interface LatencyResult {
  readonly events: number;
  readonly achievedRate: number;
  readonly batches: number;
  readonly meanBatch: number;
  readonly meanBatchMs: number;
  /** Mean ms per phase of a batch, over the first and the last tenth of the batches (costs that grow with the run show here). */
  readonly phases: { readonly first: PhaseMeans; readonly last: PhaseMeans };
  readonly eventTriggered: LatencyStats;
  readonly timerTriggered: LatencyStats;
  readonly all: LatencyStats;
  readonly idleChanges: number;
  /** Changes whose cause had no recorded append (should be 0). */
  readonly unmatched: number;
  /**
   * The log's own append-to-fetch time in the same run: a plain reader polling the input partitions
   * as often as the processor does (every 10 ms), time from an append resolving to the fetch that
   * returned the record. The floor under any alert latency.
   */
  readonly logAppendToFetch: LatencyStats;
}

/**
 * Reads the input partitions from the start, polling every 10 ms like the processor, until `signal`:
 * for each record, the ms from its append resolving (`appendedAt`) to the fetch returning it.
 */
async function readBeside(log: EventLog, appendedAt: ReadonlyMap<string, number>, into: number[], signal: AbortSignal): Promise<void> {
  const next = new Map<string, number>();
  while (!signal.aborted) {
    let got = 0;
    for (const topic of INPUT_TOPICS) {
      for (let partition = 0; partition < DEFAULT_PARTITIONS; partition++) {
        const key = `${topic}/${partition}`;
        const records = await log.fetch({ topic, partition, offset: next.get(key) ?? 0, maxRecords: FETCH_SIZE });
        const now = performance.now();
        for (const r of records) {
          const at = appendedAt.get(positionKey(r));
          if (at !== undefined) into.push(now - at);
        }
        const last = records.at(-1);
        if (last !== undefined) next.set(key, last.offset + 1);
        got += records.length;
      }
    }
    if (got === 0) await sleep(10, undefined, { signal }).catch(() => undefined);
  }
}

/** The sample replayed at a fixed rate while a processor runs beside it; latency of every alert change. */
async function latency(writer: WriterChoice): Promise<LatencyResult> {
  const state = join(work, 'latency');
  const events = olistEvents(await loadOlist(sampleDir));
  const runtime = runtimeAt(state);
  const lake = await lakeWithWriter(state, writer);
  try {
    const codec = await runtime.codec();
    // The processor needs its topics before the replay creates them.
    for (const topic of TOPIC_NAMES) await runtime.log.createTopic({ name: topic, partitions: DEFAULT_PARTITIONS });
    const alertCodec = await AlertCodec.open(runtime.registry, { registerSchemas: true });
    const appendedAt = new Map<string, number>();
    const byTrigger = { event: [] as number[], timer: [] as number[] };
    let idleChanges = 0;
    let unmatched = 0;
    let batches = 0;
    let batchRecords = 0;
    let batchMs = 0;
    const timings: BatchReport['timings'][] = [];
    let idleSeen = false;
    const onAlerts = (changes: readonly EmittedChange[]): void => {
      const now = performance.now();
      for (const { change, cause } of changes) {
        if (cause === null) {
          idleChanges++;
          continue;
        }
        const at = appendedAt.get(positionKey(cause));
        if (at === undefined) unmatched++;
        else (EVENT_TRIGGERED.has(change.kind) ? byTrigger.event : byTrigger.timer).push(now - at);
      }
    };
    const onBatch = (report: BatchReport): void => {
      if (report.idle) {
        idleSeen = true;
        return;
      }
      batches++;
      batchRecords += report.records;
      batchMs += report.timings.total;
      timings.push(report.timings);
    };
    const processor = await StreamProcessor.open({ log: runtime.log, codec, lake, alertCodec, onAlerts, onBatch });
    const controller = new AbortController();
    const outcome: { failed: Error | null } = { failed: null };
    const running = processor.run({ signal: controller.signal }).catch((error: unknown) => {
      outcome.failed = error instanceof Error ? error : new Error(String(error));
      return null;
    });
    const floor: number[] = [];
    const floorReader = readBeside(runtime.log, appendedAt, floor, controller.signal);
    const t0 = process.hrtime.bigint();
    const summary = await replay({ log: timedLog(runtime.log, appendedAt), codec, events, pacing: { mode: 'rate', eventsPerSecond: LATENCY_RATE } });
    const replaySeconds = seconds(t0);
    // Caught up: every order and review record processed; then one idle advance (default policy).
    const inputs = summary.byTopic.orders + summary.byTopic.reviews;
    while (outcome.failed === null && processor.processed < inputs) await sleep(10);
    for (let waited = 0; outcome.failed === null && !idleSeen && waited < 5_000; waited += 10) await sleep(10);
    controller.abort();
    await running;
    await floorReader;
    if (outcome.failed !== null) throw outcome.failed;
    const all = [...byTrigger.event, ...byTrigger.timer];
    process.stderr.write(`latency: ${summary.appended} events at ${Math.round(summary.appended / replaySeconds)}/s, ${all.length} alert changes with a cause\n`);
    return {
      events: summary.appended,
      achievedRate: summary.appended / replaySeconds,
      batches,
      meanBatch: batches === 0 ? 0 : batchRecords / batches,
      meanBatchMs: batches === 0 ? 0 : batchMs / batches,
      phases: { first: phaseMeans(timings.slice(0, Math.ceil(timings.length / 10))), last: phaseMeans(timings.slice(-Math.ceil(timings.length / 10))) },
      eventTriggered: stats(byTrigger.event),
      timerTriggered: stats(byTrigger.timer),
      all: stats(all),
      idleChanges,
      unmatched,
      logAppendToFetch: stats(floor),
    };
  } finally {
    await lake.close();
    await runtime.close();
  }
}


interface BenchOptions {
  readonly parts: ReadonlySet<'throughput' | 'latency'>;
  readonly scale: number;
  /** Only the default batch size, and no two-process run. */
  readonly defaultBatchOnly: boolean;
  /** Rounds of the writer comparison (0: none). */
  readonly compareWriters: number;
  /** The lake's writer in every run but the comparison's (`thread` unless told: the stream command and `start` run it so). */
  readonly writer: WriterChoice;
}

function parseOptions(argv: readonly string[]): BenchOptions {
  const parts = new Set<'throughput' | 'latency'>(['throughput', 'latency']);
  let scale = 10;
  let defaultBatchOnly = false;
  let compareWriters = 0;
  let writer: WriterChoice = 'thread';
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--part' && (value === 'throughput' || value === 'latency')) {
      parts.clear();
      parts.add(value);
      i++;
    } else if (flag === '--scale' && value !== undefined && /^[1-9]\d*$/.test(value)) {
      scale = Number(value);
      i++;
    } else if (flag === '--compare-writers' && value !== undefined && /^[1-9]\d*$/.test(value)) {
      compareWriters = Number(value);
      defaultBatchOnly = true;
      i++;
    } else if (flag === '--writer' && (value === 'thread' || value === 'inline')) {
      writer = value;
      i++;
    } else if (flag === '--batches' && value === 'default') {
      defaultBatchOnly = true;
      i++;
    } else {
      throw new Error(`bench:stream: unknown or malformed option ${String(flag)} ${String(value ?? '')} (options: --part throughput|latency, --scale N, --batches default, --compare-writers N, --writer thread|inline)`);
    }
  }
  return { parts, scale, defaultBatchOnly, compareWriters, writer };
}

const NO_LATENCY: LatencyResult = {
  events: 0,
  achievedRate: 0,
  batches: 0,
  meanBatch: 0,
  meanBatchMs: 0,
  phases: { first: phaseMeans([]), last: phaseMeans([]) },
  eventTriggered: stats([]),
  timerTriggered: stats([]),
  all: stats([]),
  idleChanges: 0,
  unmatched: 0,
  logAppendToFetch: stats([]),
};
/**
 * Checkpoint interval and batch size of the restart mode: small enough that scale 1 (about 11k
 * records per task) holds several checkpoints per task too, the same at both scales.
 */
const RESTART_CHECKPOINT_EVERY = 5_000;
const RESTART_MAX_BATCH = 12_000;

interface RestartRun {
  readonly scale: number;
  readonly bronzeRows: number;
  readonly runSeconds: number;
  readonly checkpointFiles: number;
  readonly checkpointBytes: number;
  /** The most ms taking one task's checkpoint took during the run, and the largest task state (JSON characters). */
  readonly takeMs: number;
  readonly stateChars: number;
  /** Opening again with the checkpoints: rows replayed after them, and the time it took. */
  readonly fromCheckpoints: { readonly replayed: number; readonly ms: number; readonly restoredTasks: number };
  /** Opening again without them: all of bronze replayed. */
  readonly fullRebuild: { readonly replayed: number; readonly ms: number };
}

/**
 * The restart mode (`bench:stream -- --restart`): at scale 1 and at scale 10, a processor runs the
 * whole log in batches of RESTART_MAX_BATCH with a checkpoint every RESTART_CHECKPOINT_EVERY records
 * per task; then, as after a kill -9 at the end of the log, it is opened
 * again twice on the same lake: with the checkpoints (each task's newest checkpoint + the bronze
 * rows after it), and with checkpoints off (all of bronze replayed). Opening is what is timed.
 */
async function restartAtScale(scale: number): Promise<RestartRun> {
  const state = join(work, `restart-x${scale}`);
  await fillLog(state, await scaledSampleEvents(scale, work));
  const runtime = runtimeAt(state);
  try {
    const codec = await runtime.codec();
    const lake = await runtime.lake();
    const alertCodec = await AlertCodec.open(runtime.registry, { registerSchemas: true });
    const base = { log: runtime.log, codec, lake, alertCodec };
    // What taking a checkpoint costs on the event loop: the JSON of a task's state (compressing and
    // writing it happen off the loop). Measured on every task after every batch (outside the run's
    // own checkpoints); the largest per task is kept.
    let takeMs = 0;
    let stateChars = 0;
    const measureTake = (): void => {
      for (const task of processor.taskIds) {
        const t1 = process.hrtime.bigint();
        const chars = checkpointText(task, { seq: 0, floor: null }, processor.taskState(task) as DetectorSnapshot).length;
        takeMs = Math.max(takeMs, seconds(t1) * 1000);
        stateChars = Math.max(stateChars, chars);
      }
    };
    const t0 = process.hrtime.bigint();
    const processor: StreamProcessor = await StreamProcessor.open({
      ...base,
      idle: { afterMs: 0, advanceMs: 0 },
      maxBatchEvents: RESTART_MAX_BATCH,
      checkpoint: { ...DEFAULT_CHECKPOINT_POLICY, everyRecords: RESTART_CHECKPOINT_EVERY },
      onBatch: () => measureTake(),
    });
    const run = await processor.run({ untilIdle: true });
    const runSeconds = seconds(t0);
    let checkpointFiles = 0;
    let checkpointBytes = 0;
    for await (const file of lake.io.list(`${lake.warehouse}/_checkpoints/stream`)) {
      checkpointFiles++;
      checkpointBytes += file.size;
    }
    const restored = await StreamProcessor.open(base);
    const full = await StreamProcessor.open({ ...base, checkpoint: null });
    const restoredTasks = Object.values(restored.recovery.checkpoints).filter((c) => c.restoredAt !== null).length;
    process.stderr.write(
      `restart, scale ${scale}: ${run.records} rows; from checkpoints ${restored.recovery.replayed} rows in ${restored.recovery.ms.toFixed(0)} ms, full ${full.recovery.replayed} rows in ${full.recovery.ms.toFixed(0)} ms\n`,
    );
    return {
      scale,
      bronzeRows: run.records,
      runSeconds,
      checkpointFiles,
      checkpointBytes,
      takeMs,
      stateChars,
      fromCheckpoints: { replayed: restored.recovery.replayed, ms: restored.recovery.ms, restoredTasks },
      fullRebuild: { replayed: full.recovery.replayed, ms: full.recovery.ms },
    };
  } finally {
    await runtime.close();
    rmSync(state, { recursive: true, force: true });
  }
}

async function restartMain(): Promise<void> {
  rmSync(work, { recursive: true, force: true });
  try {
    const runs: RestartRun[] = [];
    for (const scale of [1, 10]) runs.push(await restartAtScale(scale));
    const k = (n: number): string => Math.round(n).toLocaleString('en-US');
    printTable([
      ['scale', 'bronze rows', 'checkpoint files (live)', 'their size (KiB)', 'take one, largest (ms)', 'restart from checkpoints: rows replayed', 'ms', 'full rebuild: rows replayed', 'ms'],
      ...runs.map((r) => [
        String(r.scale),
        k(r.bronzeRows),
        k(r.checkpointFiles),
        k(r.checkpointBytes / 1024),
        r.takeMs.toFixed(1),
        `${k(r.fromCheckpoints.replayed)} (${r.fromCheckpoints.restoredTasks} tasks restored)`,
        k(r.fromCheckpoints.ms),
        k(r.fullRebuild.replayed),
        k(r.fullRebuild.ms),
      ]),
    ]);
    console.log(JSON.stringify({ benchmark: 'stream-restart', node: process.version, checkpointEvery: RESTART_CHECKPOINT_EVERY, maxBatchEvents: RESTART_MAX_BATCH, runs }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  rmSync(work, { recursive: true, force: true });
  const template = join(work, 'template');
  try {
    const throughput = options.parts.has('throughput');
    const appended = throughput ? await fillLog(template, await scaledSampleEvents(options.scale, work)) : 0;
    const ceilingRun = throughput ? await readAndDecode(template) : { records: 0, seconds: 0, cpuMicrosPerEvent: 0 };
    const ceiling = ceilingRun.seconds === 0 ? 0 : ceilingRun.records / ceilingRun.seconds;
    if (throughput) process.stderr.write(`scale ${options.scale}: ${appended} events in the log, ${ceilingRun.records} of them orders and reviews\n`);
    const runs: ThroughputRun[] = [];
    const sizes = options.defaultBatchOnly ? [undefined] : BATCH_SIZES;
    if (throughput && options.compareWriters === 0) for (const size of sizes) runs.push(await processAll(template, size, ceiling, options.writer));
    for (let round = 0; throughput && round < options.compareWriters; round++) {
      const order: WriterChoice[] = round % 2 === 0 ? ['inline', 'thread'] : ['thread', 'inline'];
      for (const writer of order) runs.push(await processAll(template, undefined, ceiling, writer));
    }
    const none: ProcessesRun = { records: 0, seconds: 0, eventsPerSecond: 0, peakRssMiB: [] };
    // The stream command alone in its process: its peak memory is the processor's, without this benchmark's own.
    const single = throughput ? await processAllInProcesses(template, DEFAULT_PARTITIONS, 1) : none;
    const parallel = throughput && !options.defaultBatchOnly ? await processAllInProcesses(template, DEFAULT_PARTITIONS, 2) : none;
    const lat = options.parts.has('latency') ? await latency(options.writer) : NO_LATENCY;

    const k = (n: number | null): string => (n === null ? '-' : Math.round(n).toLocaleString('en-US'));
    const ms = (n: number | null): string => (n === null ? '-' : n.toFixed(1));
    const met = (ok: boolean): string => (ok ? 'yes' : 'NO');
    const first: ThroughputRun = runs[0] ?? {
      maxBatchEvents: null, writer: options.writer, records: 0, batches: 0, largestBatch: 0, meanBatch: 0, alertChanges: 0, openMs: 0, restart: null,
      seconds: 0, cpuMicrosPerEvent: 0, eventsPerSecond: 0, ceilingRatio: 0, phasesMs: { read: 0, detect: 0, bronze: 0, outputs: 0, total: 0 },
    };
    // The CPU per event at which the ratio goal is within reach at all: the run can use at most every
    // core for every second, so reaching `ceilingRatio × ceiling` events/s needs at most this much CPU
    // per event, summed over threads (the processor's main thread must also keep up alone).
    const cores = availableParallelism();
    const cpuBudget = ceiling === 0 ? null : (cores * 1e6) / (GOALS.ceilingRatio * ceiling);
    const floorRatio = lat.all.p99Ms === null || lat.logAppendToFetch.p99Ms === null || lat.logAppendToFetch.p99Ms === 0 ? null : lat.all.p99Ms / lat.logAppendToFetch.p99Ms;
    printTable([
      ['measure', 'value', 'goal', 'met'],
      [`end to end, default batch (largest ${k(first.largestBatch)}) (ev/s)`, k(first.eventsPerSecond), `>= ${k(GOALS.eventsPerSecond)}`, met(first.eventsPerSecond >= GOALS.eventsPerSecond)],
      ['ceiling: fetch + decode only (ev/s)', k(ceiling), '-', '-'],
      ['CPU per event (all threads), ceiling / default batch (µs)', `${ceilingRun.cpuMicrosPerEvent.toFixed(1)} / ${first.cpuMicrosPerEvent.toFixed(1)}`, '-', '-'],
      [
        `CPU per event that ${GOALS.ceilingRatio} of the ceiling allows on ${cores} cores (µs)`,
        cpuBudget === null ? '-' : `${cpuBudget.toFixed(1)} (this run: ${first.cpuMicrosPerEvent.toFixed(1)})`,
        '-',
        '-',
      ],
      ['the stream command in its own process (ev/s)', k(single.eventsPerSecond), '-', '-'],
      ['its peak RSS (MiB)', k(single.peakRssMiB[0] ?? null), `< ${GOALS.peakRssMiB}`, met(single.peakRssMiB.length > 0 && (single.peakRssMiB[0] ?? 0) < GOALS.peakRssMiB)],
      [`two processes sharing the ${DEFAULT_PARTITIONS} tasks (ev/s)`, k(parallel.eventsPerSecond), `>= ${k(GOALS.eventsPerSecond)}`, met(parallel.eventsPerSecond >= GOALS.eventsPerSecond)],
      ['end to end / ceiling', first.ceilingRatio.toFixed(3), `>= ${GOALS.ceilingRatio}`, met(first.ceilingRatio >= GOALS.ceilingRatio)],
      [`alert latency p99, ${k(LATENCY_RATE)} ev/s replay (ms)`, ms(lat.all.p99Ms), `< ${GOALS.p99Ms}`, met(lat.all.p99Ms !== null && lat.all.p99Ms < GOALS.p99Ms)],
      ['log append to fetch p99, same run (ms)', ms(lat.logAppendToFetch.p99Ms), '-', '-'],
      [
        'alert latency p99 / log append to fetch p99',
        floorRatio === null ? '-' : floorRatio.toFixed(2),
        `< ${GOALS.p99OverLogFloor}`,
        met(floorRatio !== null && floorRatio < GOALS.p99OverLogFloor),
      ],
    ]);
    console.log('');
    printTable([
      ['maxBatchEvents', 'writer', 'records', 'batches', 'mean batch', 'seconds', 'ev/s', '/ceiling', 'CPU µs/ev', 'open ms', 'read ms', 'detect ms', 'bronze ms', 'outputs ms', 'alert changes'],
      ...runs.map((r) => [
        r.maxBatchEvents === null ? 'default' : k(r.maxBatchEvents),
        r.writer,
        k(r.records),
        k(r.batches),
        k(r.meanBatch),
        r.seconds.toFixed(1),
        k(r.eventsPerSecond),
        r.ceilingRatio.toFixed(3),
        r.cpuMicrosPerEvent.toFixed(1),
        k(r.openMs),
        k(r.phasesMs.read),
        k(r.phasesMs.detect),
        k(r.phasesMs.bronze),
        k(r.phasesMs.outputs),
        k(r.alertChanges),
      ]),
    ]);
    console.log('');
    printTable([
      ['alert latency (ms)', 'count', 'p50', 'p99', 'max'],
      ['event-triggered (final, resolved)', k(lat.eventTriggered.count), ms(lat.eventTriggered.p50Ms), ms(lat.eventTriggered.p99Ms), ms(lat.eventTriggered.maxMs)],
      ['timer-triggered (opened, escalated)', k(lat.timerTriggered.count), ms(lat.timerTriggered.p50Ms), ms(lat.timerTriggered.p99Ms), ms(lat.timerTriggered.maxMs)],
      ['all with a cause', k(lat.all.count), ms(lat.all.p50Ms), ms(lat.all.p99Ms), ms(lat.all.maxMs)],
      ['the log alone: append to fetch', k(lat.logAppendToFetch.count), ms(lat.logAppendToFetch.p50Ms), ms(lat.logAppendToFetch.p99Ms), ms(lat.logAppendToFetch.maxMs)],
    ]);
    if (first.restart !== null) {
      console.log(`restart after the default run: state rebuilt from checkpoints and ${k(first.restart.replayed)} bronze rows after them in ${(first.restart.ms / 1000).toFixed(1)} s (${k(first.restart.rowsPerSecond)} rows/s)`);
    }
    console.log(
      `(replay ${k(lat.achievedRate)} ev/s; ${k(lat.batches)} batches of ${lat.meanBatch.toFixed(0)} records, ${lat.meanBatchMs.toFixed(1)} ms each; idle advances: ${k(lat.idleChanges)} changes)`,
    );
    if (lat.batches > 0) {
      const phases = (t: PhaseMeans): string => `read ${t.read.toFixed(1)}, detect ${t.detect.toFixed(1)}, bronze ${t.bronze.toFixed(1)}, outputs ${t.outputs.toFixed(1)}`;
      console.log(`(mean ms per batch, first tenth: ${phases(lat.phases.first)}; last tenth: ${phases(lat.phases.last)})`);
    }
    console.log(
      JSON.stringify({
        benchmark: 'stream',
        scale: options.scale,
        parts: [...options.parts],
        node: process.version,
        goals: GOALS,
        throughput: { events: ceilingRun.records, logEvents: appended, ceilingEventsPerSecond: ceiling, ceilingSeconds: ceilingRun.seconds, ceilingCpuMicrosPerEvent: ceilingRun.cpuMicrosPerEvent, cores, cpuBudgetMicrosPerEvent: cpuBudget, runs, oneProcess: single, twoProcesses: parallel },
        latency: { rate: LATENCY_RATE, ...lat },
      }),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv.includes('--restart')) await restartMain();
else await main();
