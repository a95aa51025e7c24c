/**
 * `npm run bench:metrics`: what the metrics cost the stream processor.
 *
 * The sample at scale 3 (SYNTHETIC, as `bench:stream` builds it) is replayed as fast as possible into
 * a fresh embedded log once (not timed). Then the processor runs over fresh copies of that log, on an
 * empty lake, until idle, as in `bench:stream`'s throughput run: alternately with a `Metrics`
 * subscribed to every room's channels (each batch, commit, append and fetch counted) and with no one
 * listening (the rooms then publish nothing). Rounds alternate so that a drift of the machine hits
 * both sides; the figure is the ratio of the medians of events/s.
 * A second figure, free of the runs' noise: every message of one run recorded, then handed again to
 * a fresh registry and timed, against the wall time of a run without metrics.
 * Goal: metrics on cost under 3% of throughput. Options: --rounds N (default 5), --scale N (default 3).
 * Prints a table, then one JSON line with every figure.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { channel, subscribe, unsubscribe } from 'node:diagnostics_channel';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULTS, openRuntime } from '../src/deploy/index.js';
import { Metrics } from '../src/metrics/index.js';
import { AlertCodec, StreamProcessor } from '../src/stream/index.js';
import { scaledSampleEvents } from '../src/testing/sample-pipeline.js';
import { printTable } from './report.js';
import { copyStore, fillLog } from './store.js';

const GOAL_OVERHEAD = 0.03;
const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, scale: { type: 'string', default: '3' } } });
const ROUNDS = Number(args.rounds);
const SCALE = Number(args.scale);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`--rounds must be a whole number from 1, not ${args.rounds}`);
if (!Number.isInteger(SCALE) || SCALE < 1) throw new Error(`--scale must be a whole number from 1, not ${args.scale}`);

const work = join(tmpdir(), `orderpulse-bench-metrics-${process.pid}`);
const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

interface Run {
  readonly metrics: boolean;
  readonly records: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
}

/** Every message the rooms published during a run, in order, with its channel. */
type Recorded = [name: string, message: unknown][];

async function processAll(template: string, round: number, withMetrics: boolean, record?: Recorded): Promise<Run> {
  const state = join(work, `run-${round}-${withMetrics ? 'on' : 'off'}`);
  copyStore(template, state);
  const runtime = openRuntime({ ...DEFAULTS, state });
  const metrics = withMetrics ? new Metrics({ role: 'stream', deployment: 'embedded', version: 'bench' }) : null;
  const recorders = (record === undefined ? [] : (metrics?.channels ?? [])).map((name) => {
    const listener = (message: unknown): void => void record?.push([name, message]);
    subscribe(name, listener);
    return { name, listener };
  });
  try {
    const codec = await runtime.codec();
    const lake = await runtime.lake();
    const alertCodec = await AlertCodec.open(runtime.registry, { registerSchemas: true });
    const t0 = process.hrtime.bigint();
    const processor = await StreamProcessor.open({ log: runtime.log, codec, lake, alertCodec, idle: { afterMs: 0, advanceMs: 0 } });
    const run = await processor.run({ untilIdle: true });
    const wall = seconds(t0);
    // A scrape at the end, so the registry's text is part of what is paid for.
    if (metrics !== null) await metrics.text();
    process.stderr.write(`round ${round}, metrics ${withMetrics ? 'on' : 'off'}: ${run.records} records, ${wall.toFixed(2)} s\n`);
    return { metrics: withMetrics, records: run.records, seconds: wall, eventsPerSecond: run.records / wall };
  } finally {
    for (const { name, listener } of recorders) unsubscribe(name, listener);
    metrics?.close();
    await runtime.close();
    rmSync(state, { recursive: true, force: true });
  }
}

/** The recorded messages published again with only a fresh registry listening: the time its listeners take. */
function handleAgain(recorded: Recorded): { readonly listenerSeconds: number; readonly scrape: () => Promise<number> } {
  const metrics = new Metrics({ role: 'stream', deployment: 'embedded', version: 'bench' });
  const channels = new Map(metrics.channels.map((name) => [name, channel(name)]));
  const t0 = process.hrtime.bigint();
  for (const [name, message] of recorded) channels.get(name)?.publish(message);
  const listenerSeconds = seconds(t0);
  metrics.close();
  return {
    listenerSeconds,
    scrape: async () => {
      const t1 = process.hrtime.bigint();
      await metrics.text();
      return seconds(t1);
    },
  };
}

async function main(): Promise<void> {
  rmSync(work, { recursive: true, force: true });
  const template = join(work, 'template');
  try {
    const appended = await fillLog(template, await scaledSampleEvents(SCALE, work));
    process.stderr.write(`scale ${SCALE}: ${appended} events in the log\n`);
    // A first run of each, not counted: the engine's and the file cache's warm-up.
    await processAll(template, 0, false);
    const recorded: Recorded = [];
    await processAll(template, 0, true, recorded);
    const runs: Run[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternating which side goes first, too.
      const order = round % 2 === 1 ? [false, true] : [true, false];
      for (const on of order) runs.push(await processAll(template, round, on));
    }
    const off = median(runs.filter((r) => !r.metrics).map((r) => r.eventsPerSecond));
    const on = median(runs.filter((r) => r.metrics).map((r) => r.eventsPerSecond));
    const overhead = 1 - on / off;
    // The listeners' own cost, free of the runs' noise: the messages of a whole run handed again to a
    // fresh registry, timed (median of 5), and one scrape of the result; over an off run's wall time.
    const handling = Array.from({ length: 5 }, () => handleAgain(recorded));
    const listenerSeconds = median(handling.map((h) => h.listenerSeconds));
    const scrapeSeconds = median(await Promise.all(handling.map((h) => h.scrape())));
    const offSeconds = median(runs.filter((r) => !r.metrics).map((r) => r.seconds));
    const listenerShare = listenerSeconds / offSeconds;
    const k = (n: number): string => Math.round(n).toLocaleString('en-US');
    printTable([
      ['measure', 'value', 'goal', 'met'],
      [`stream, metrics off, median of ${ROUNDS} (ev/s)`, k(off), '-', '-'],
      [`stream, metrics on, median of ${ROUNDS} (ev/s)`, k(on), '-', '-'],
      ['on / off', (on / off).toFixed(3), `>= ${(1 - GOAL_OVERHEAD).toFixed(2)}`, overhead < GOAL_OVERHEAD ? 'yes' : 'NO'],
      ['overhead, on against off', `${(overhead * 100).toFixed(1)}%`, `< ${GOAL_OVERHEAD * 100}%`, overhead < GOAL_OVERHEAD ? 'yes' : 'NO'],
      [`messages of one run (${k(recorded.length)}) handled by the registry (ms)`, (listenerSeconds * 1000).toFixed(1), '-', '-'],
      ['one scrape of the registry (ms)', (scrapeSeconds * 1000).toFixed(1), '-', '-'],
      ['listeners / an off run\'s wall time', `${(listenerShare * 100).toFixed(2)}%`, `< ${GOAL_OVERHEAD * 100}%`, listenerShare < GOAL_OVERHEAD ? 'yes' : 'NO'],
    ]);
    console.log(
      JSON.stringify({
        benchmark: 'metrics',
        node: process.version,
        scale: SCALE,
        rounds: ROUNDS,
        logEvents: appended,
        goalOverhead: GOAL_OVERHEAD,
        off,
        on,
        ratio: on / off,
        overhead,
        messages: recorded.length,
        listenerSeconds,
        scrapeSeconds,
        offSeconds,
        listenerShare,
        runs,
      }),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
