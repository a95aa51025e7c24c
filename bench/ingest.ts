/**
 * `npm run bench:ingest`: the ingest path on the real sample and on the sample at scale 10.
 *
 * For each dataset: load (CSV parse and validation), build the event stream, encode (Avro, Confluent
 * wire format) and append to a fresh embedded log, as `orderpulse replay --max` does. The ceiling,
 * measured in the same run, is encoding alone; the ratio says how much of the encoder's speed the
 * whole path keeps. Prints a table, then one JSON line with every figure.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOlist, writeOlist } from '../src/data/index.js';
import { EmbeddedSchemaRegistry, EventCodec, olistEvents } from '../src/events/index.js';
import { SqliteEventLog } from '../src/log/index.js';
import { replay, scaleDataset } from '../src/replay/index.js';
import { openEmbeddedStore } from '../src/store/index.js';
import { sampleDir } from '../src/testing/fixtures.js';

interface Figures {
  readonly dataset: string;
  readonly events: number;
  readonly loadSeconds: number;
  readonly encodeOnlyEventsPerSecond: number;
  readonly appendEventsPerSecond: number;
  readonly wholePathEventsPerSecond: number;
  readonly appendToCeilingRatio: number;
  readonly wholePathToCeilingRatio: number;
}

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

async function measure(label: string, dataDir: string): Promise<Figures> {
  const work = join(tmpdir(), `orderpulse-bench-${process.pid}-${label}`);
  rmSync(work, { recursive: true, force: true });
  const db = openEmbeddedStore(join(work, 'orderpulse.db'));
  const log = new SqliteEventLog(db);
  const registry = new EmbeddedSchemaRegistry(db);
  const codec = await EventCodec.open(registry, { registerSchemas: true });
  try {
    const t0 = process.hrtime.bigint();
    // Only the events live on: the tables are garbage once the stream is built, as in a replay.
    const events = olistEvents(await loadOlist(dataDir));
    const loadSeconds = seconds(t0);

    // Ceiling: encoding alone, the same events, nothing written.
    const tEncode = process.hrtime.bigint();
    let bytes = 0;
    for (const event of events) bytes += codec.encode(event).value.length;
    const encodeSeconds = seconds(tEncode);

    const tAppend = process.hrtime.bigint();
    const summary = await replay({ log, codec, events, pacing: { mode: 'max' } });
    const appendSeconds = seconds(tAppend);
    if (!summary.completed || summary.appended !== events.length) throw new Error(`${label}: replay appended ${summary.appended} of ${events.length}`);

    const encodeRate = events.length / encodeSeconds;
    const appendRate = events.length / appendSeconds;
    const wholeRate = events.length / (loadSeconds + appendSeconds);
    process.stderr.write(`${label}: ${events.length} events, ${(bytes / events.length).toFixed(0)} bytes per value\n`);
    return {
      dataset: label,
      events: events.length,
      loadSeconds,
      encodeOnlyEventsPerSecond: encodeRate,
      appendEventsPerSecond: appendRate,
      wholePathEventsPerSecond: wholeRate,
      appendToCeilingRatio: appendRate / encodeRate,
      wholePathToCeilingRatio: wholeRate / encodeRate,
    };
  } finally {
    await log.close();
    await registry.close();
    if (db.open) db.close();
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const scaledDir = join(tmpdir(), `orderpulse-bench-${process.pid}-scale10-data`);
  rmSync(scaledDir, { recursive: true, force: true });
  await writeOlist(scaleDataset(await loadOlist(sampleDir), 10), scaledDir, { note: 'SYNTHETIC benchmark data (scale 10).' });
  const results: Figures[] = [];
  try {
    results.push(await measure('sample', sampleDir));
    results.push(await measure('sample x10', scaledDir));
  } finally {
    rmSync(scaledDir, { recursive: true, force: true });
  }
  const k = (n: number): string => Math.round(n).toLocaleString('en-US');
  const rows = [
    ['dataset', 'events', 'load s', 'encode only ev/s (ceiling)', 'encode+append ev/s', 'whole path ev/s', 'append/ceiling', 'whole/ceiling'],
    ...results.map((r) => [
      r.dataset,
      k(r.events),
      r.loadSeconds.toFixed(2),
      k(r.encodeOnlyEventsPerSecond),
      k(r.appendEventsPerSecond),
      k(r.wholePathEventsPerSecond),
      r.appendToCeilingRatio.toFixed(2),
      r.wholePathToCeilingRatio.toFixed(2),
    ]),
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  for (const row of rows) console.log(row.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '));
  console.log(JSON.stringify({ benchmark: 'ingest', node: process.version, results }));
}

await main();
