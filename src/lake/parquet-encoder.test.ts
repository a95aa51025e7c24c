import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { seededRandom, tempDir, testSeed } from '../testing/fixtures.js';
import { DuckDbEngine, type Row } from './duckdb-engine.js';
import { LakeError } from './errors.js';
import { writeParquet, type ParquetFileStats } from './parquet-writer.js';
import { readRows } from './query.js';
import { snappyCompress } from './snappy.js';
import type { NestedField, Schema } from './types.js';

const dir = tempDir('orderpulse-parquet-encoder-');
let engine: DuckDbEngine;
before(async () => {
  engine = await DuckDbEngine.create({ tempDir: join(dir.path, 'duckdb-tmp'), threads: 2 });
});
after(async () => {
  await engine.close();
  dir.remove();
});

/** Snappy's raw format decoded, written from the format's description, independently of the compressor. */
function snappyDecode(input: Uint8Array): Buffer {
  let at = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    const b = input[at++] as number;
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  const out = Buffer.alloc(length);
  let o = 0;
  while (at < input.length) {
    const tag = input[at++] as number;
    if ((tag & 3) === 0) {
      let n = tag >> 2;
      if (n >= 60) {
        const bytes = n - 59;
        n = 0;
        for (let i = 0; i < bytes; i++) n += (input[at++] as number) * 256 ** i;
      }
      n += 1;
      out.set(input.subarray(at, at + n), o);
      at += n;
      o += n;
      continue;
    }
    let n: number;
    let offset: number;
    if ((tag & 3) === 1) {
      n = ((tag >> 2) & 7) + 4;
      offset = ((tag >> 5) << 8) | (input[at++] as number);
    } else if ((tag & 3) === 2) {
      n = (tag >> 2) + 1;
      offset = (input[at] as number) | ((input[at + 1] as number) << 8);
      at += 2;
    } else {
      n = (tag >> 2) + 1;
      offset = (input[at] as number) + (input[at + 1] as number) * 256 + (input[at + 2] as number) * 65536 + (input[at + 3] as number) * 16777216;
      at += 4;
    }
    assert.ok(offset > 0 && offset <= o, `copy offset ${offset} at output ${o}`);
    for (let i = 0; i < n; i++, o++) out[o] = out[o - offset] as number;
  }
  assert.equal(o, length, 'decoded length');
  return out;
}

describe('snappyCompress', () => {
  it('gives what a Snappy decoder turns back into the input: empty, tiny, repetitive, random and long inputs', () => {
    const random = seededRandom(testSeed('snappy inputs'));
    const inputs: Buffer[] = [Buffer.alloc(0), Buffer.from('a'), Buffer.from('abcd'), Buffer.alloc(100_000, 7), Buffer.from('{"orderId":"abc","type":"OrderPlaced"}'.repeat(5_000))];
    // Block edges and short tails: a match that ends within the last 4 bytes of a block, or at its end.
    for (const size of [5, 8, 9, 65_535, 65_536, 65_537, 65_540, 131_075]) inputs.push(Buffer.from(Array.from({ length: size }, (_, i) => (i % 13 < 9 ? 65 + (i % 5) : 200 + (i % 7)))));
    for (let k = 0; k < 20; k++) {
      const size = Math.floor(random() * 200_000);
      const alphabet = 1 + Math.floor(random() * 255);
      const run = 1 + Math.floor(random() * 40);
      const b = Buffer.alloc(size);
      for (let i = 0; i < size; i++) b[i] = i % run === 0 || random() < 0.3 ? Math.floor(random() * alphabet) : (b[i - 1] ?? 0);
      inputs.push(b);
    }
    for (const input of inputs) {
      const compressed = snappyCompress(input);
      assert.ok(snappyDecode(compressed).equals(input), `round trip of ${input.length} bytes`);
    }
    // Repetitive input shrinks (a copy is at most 64 bytes: 3 bytes for 64); incompressible input grows by a few bytes only.
    const repetitive = inputs[4] as Buffer;
    assert.ok(snappyCompress(repetitive).length < repetitive.length / 15);
    const noise = Buffer.from(Array.from({ length: 70_000 }, () => Math.floor(Math.random() * 256)));
    assert.ok(snappyCompress(noise).length < noise.length + 100);
  });
});

const schemaOf = (...fields: NestedField[]): Schema => ({ type: 'struct', 'schema-id': 0, fields });

/** Every type the encoder writes, required and optional. */
const plain = schemaOf(
  { id: 1, name: 'id', required: true, type: 'long' },
  { id: 2, name: 'name', required: true, type: 'string' },
  { id: 3, name: 'note', required: false, type: 'string' },
  { id: 4, name: 'qty', required: false, type: 'int' },
  { id: 5, name: 'ratio', required: false, type: 'float' },
  { id: 6, name: 'delay', required: false, type: 'double' },
  { id: 7, name: 'flag', required: false, type: 'boolean' },
  { id: 8, name: 'day', required: false, type: 'date' },
  { id: 9, name: 'at', required: true, type: 'timestamptz' },
  { id: 10, name: 'local', required: false, type: 'timestamp' },
  { id: 11, name: 'always', required: false, type: 'int' },
);

const TEXTS = ['', 'a', 'São Paulo', 'ç', '🚚 entregue', '\u{10FFFF}', '\uFFFD', 'z', 'Z', 'ascii only', 'x'.repeat(300)];

/** Random rows of `plain`: nulls, NaN, ±0, extreme integers, instants far from 1970, strings whose UTF-16 and UTF-8 orders differ. */
function randomRows(random: () => number, count: number): Row[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const maybe = <T>(value: T): T | null => (random() < 0.2 ? null : value);
  return Array.from({ length: count }, (_, i) => ({
    id: pick([i, -i, 2 ** 53 - 1 - i, -(2 ** 53) + 1 + i, BigInt(i % 7) * 2n ** 60n, -(2n ** 63n) + BigInt(i)]),
    name: pick(TEXTS) + (random() < 0.5 ? String(i) : ''),
    note: maybe(pick(TEXTS)),
    qty: maybe(pick([0, -1, 2147483647, -2147483648, Math.floor(random() * 1000)])),
    ratio: maybe(pick([0.5, -0.25, 1e30, -3.4e38, 1.1])),
    delay: maybe(pick([NaN, 0, -0, 1e-300, -1e300, random() * 100])),
    flag: maybe(random() < 0.5),
    day: maybe(pick(['1970-01-01', '1969-12-31', '0001-01-01', '9999-12-31', '2018-03-01'])),
    at: Math.floor((random() - 0.5) * 2 * 253_402_300_799_999),
    local: maybe(Math.floor(random() * 2_000_000_000_000)),
    always: i,
  }));
}

/** Row values as reading them back gives them (a bigint within 2^53 comes back a number; a float rounded to 32 bits). */
function normalised(rows: readonly Row[]): Row[] {
  return rows.map((r) => {
    const out: Record<string, Row[string]> = {};
    for (const f of plain.fields) {
      let v = r[f.name] ?? null;
      if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) v = Number(v);
      if (f.type === 'float' && typeof v === 'number') v = Math.fround(v);
      if (f.type === 'long' && Object.is(v, -0)) v = 0;
      out[f.name] = v;
    }
    return out;
  });
}

const withoutSize = (stats: ParquetFileStats): unknown =>
  [...stats.columns.entries()].map(([id, c]) => ({ id, valueCount: c.valueCount, nullCount: c.nullCount, nanCount: c.nanCount, min: c.min, max: c.max }));

describe('data files encoded in JavaScript', () => {
  it('read back as written, with the statistics, types and field ids of the file DuckDB writes for the same rows', async () => {
    const random = seededRandom(testSeed('encoder rows'));
    // Three row groups, and string pages cut at 1 MiB.
    const rows = randomRows(random, 9_000).map((r, i) => (i % 7 === 0 ? { ...r, name: `${String(r.name)}${'y'.repeat(2_000)}` } : r));
    const ours = join(dir.path, 'ours.parquet');
    const duck = join(dir.path, 'duckdb.parquet');
    const stats = await writeParquet(engine, { schema: plain, rows, path: ours, rowGroupSize: 4_000 });
    const referee = await writeParquet(engine, { schema: plain, rows, path: duck, rowGroupSize: 4_000, compression: 'zstd' });

    const back = await readRows(engine, [ours], plain);
    assert.equal(back.length, rows.length);
    const expected = normalised(rows);
    for (let i = 0; i < rows.length; i++) assert.deepEqual(back[i], expected[i], `row ${i}`);
    // The same rows from DuckDB's file, but for the sign of zero, which its dictionary of doubles loses (-0 and 0 share an entry).
    const fromDuckDb = await readRows(engine, [duck], plain);
    const unsigned = (r: Record<string, unknown> | undefined): unknown => (r !== undefined && Object.is(r['delay'], -0) ? { ...r, delay: 0 } : r);
    for (let i = 0; i < rows.length; i++) assert.deepEqual(unsigned(fromDuckDb[i]), unsigned(back[i]), `row ${i} of DuckDB's file`);

    assert.equal(stats.recordCount, 9_000);
    assert.equal(stats.fileSizeInBytes, statSync(ours).size);
    assert.deepEqual(withoutSize(stats), withoutSize(referee));

    // The footer: row groups where the statistics say, column sizes as the manifest gets them, the
    // Iceberg mapping of types, REQUIRED where the field is required.
    const meta = await engine.connection.runAndReadAll(
      `SELECT row_group_id, min(data_page_offset)::BIGINT, count(*)::BIGINT FROM parquet_metadata('${ours}') GROUP BY ALL ORDER BY 1`,
    );
    assert.deepEqual(
      meta.getRows().map(([, start, columns]) => [Number(start), Number(columns)]),
      stats.splitOffsets.map((offset) => [offset, plain.fields.length]),
    );
    assert.equal(stats.splitOffsets.length, 3);
    const sizes = await engine.connection.runAndReadAll(`SELECT column_id, sum(total_compressed_size)::BIGINT FROM parquet_metadata('${ours}') GROUP BY ALL ORDER BY 1`);
    assert.deepEqual(
      sizes.getRows().map(([, size]) => Number(size)),
      plain.fields.map((f) => stats.columns.get(f.id)?.compressedSize),
    );
    // Types by the specification's Parquet mapping (DuckDB's own writer differs in style: INT_64
    // converted types, no STRING logical type, OPTIONAL everywhere).
    const MICROS = 'unit=TimeUnit(MILLIS=<null>, MICROS=MicroSeconds(), NANOS=<null>)';
    const columns = await engine.connection.runAndReadAll(
      `SELECT name, type, field_id, repetition_type, converted_type, logical_type FROM parquet_schema('${ours}') WHERE num_children IS NULL`,
    );
    assert.deepEqual(columns.getRows(), [
      ['id', 'INT64', 1n, 'REQUIRED', null, null],
      ['name', 'BYTE_ARRAY', 2n, 'REQUIRED', 'UTF8', 'StringType()'],
      ['note', 'BYTE_ARRAY', 3n, 'OPTIONAL', 'UTF8', 'StringType()'],
      ['qty', 'INT32', 4n, 'OPTIONAL', null, null],
      ['ratio', 'FLOAT', 5n, 'OPTIONAL', null, null],
      ['delay', 'DOUBLE', 6n, 'OPTIONAL', null, null],
      ['flag', 'BOOLEAN', 7n, 'OPTIONAL', null, null],
      ['day', 'INT32', 8n, 'OPTIONAL', 'DATE', 'DateType()'],
      ['at', 'INT64', 9n, 'REQUIRED', 'TIMESTAMP_MICROS', `TimestampType(isAdjustedToUTC=1, ${MICROS})`],
      ['local', 'INT64', 10n, 'OPTIONAL', null, `TimestampType(isAdjustedToUTC=0, ${MICROS})`],
      ['always', 'INT32', 11n, 'OPTIONAL', null, null],
    ]);
    // Column statistics a reader prunes on: DuckDB skips the file for a value outside them.
    const pruned = await engine.connection.runAndReadAll(`SELECT count(*)::INTEGER FROM read_parquet('${ours}') WHERE always = 4500`);
    assert.deepEqual(pruned.getRows(), [[1]]);
    const bounds = await engine.connection.runAndReadAll(
      `SELECT row_group_id, stats_min_value, stats_max_value FROM parquet_metadata('${ours}') WHERE path_in_schema = 'always' ORDER BY 1`,
    );
    assert.deepEqual(bounds.getRows(), [
      [0n, '0', '3999'],
      [1n, '4000', '7999'],
      [2n, '8000', '8999'],
    ]);
  });

  it('writes gzip and uncompressed files too, and an empty one', async () => {
    const random = seededRandom(testSeed('encoder codecs'));
    const rows = randomRows(random, 500);
    for (const compression of ['gzip', 'uncompressed'] as const) {
      const path = join(dir.path, `${compression}.parquet`);
      await writeParquet(engine, { schema: plain, rows, path, compression });
      assert.deepEqual(await readRows(engine, [path], plain), normalised(rows));
      const codec = await engine.connection.runAndReadAll(`SELECT DISTINCT compression FROM parquet_metadata('${path}')`);
      assert.deepEqual(codec.getRows(), [[compression.toUpperCase()]]);
    }
    const empty = join(dir.path, 'empty.parquet');
    const stats = await writeParquet(engine, { schema: plain, rows: [], path: empty });
    assert.equal(stats.recordCount, 0);
    assert.deepEqual(stats.splitOffsets, []);
    assert.deepEqual(stats.columns.get(6), { valueCount: 0, nullCount: 0, nanCount: 0, min: null, max: null, compressedSize: 0 });
    assert.deepEqual(await readRows(engine, [empty], plain), []);
  });

  it('refuses a value that does not fit, naming the row and the column, and leaves no file', async () => {
    const schema = schemaOf(
      { id: 1, name: 'id', required: true, type: 'long' },
      { id: 2, name: 'day', required: false, type: 'date' },
      { id: 3, name: 'n', required: false, type: 'int' },
      { id: 4, name: 's', required: false, type: 'string' },
      { id: 5, name: 'at', required: false, type: 'timestamptz' },
      { id: 6, name: 'b', required: false, type: 'boolean' },
    );
    const cases: [Row[], RegExp][] = [
      [[{ id: 1 }, { id: null }], /row 1, column id \(long\): is required but null/],
      [[{ id: 1, day: '2023-02-29' }], /row 0, column day \(date\): "2023-02-29" is not a 'YYYY-MM-DD' date/],
      [[{ id: 1, n: 2 ** 31 }], /row 0, column n \(int\): 2147483648 is not a 32-bit integer/],
      [[{ id: 1 }, { id: 1.5 }], /row 1, column id \(long\): 1.5 is not a safe integer/],
      [[{ id: 2n ** 63n }], /row 0, column id \(long\): 9223372036854775808n is not a safe integer/],
      [[{ id: 1, s: 7 }], /row 0, column s \(string\): 7 is not a string/],
      [[{ id: 1, at: 1.5 }], /row 0, column at \(timestamptz\): 1.5 is not epoch milliseconds/],
      [[{ id: 1, b: 1 }], /row 0, column b \(boolean\): 1 is not a boolean/],
      [[{ id: 1 }, { id: 2, dya: '2024-01-01' }], /row 1: "dya" is not a column of the schema/],
    ];
    for (const [i, [rows, message]] of cases.entries()) {
      await assert.rejects(
        writeParquet(engine, { schema, rows, path: join(dir.path, 'bad', `bad-${i}.parquet`) }),
        (e: unknown) => e instanceof LakeError && e.code === 'OP_LAKE_SCHEMA_MISMATCH' && message.test(e.message),
        `case ${i}`,
      );
    }
    assert.deepEqual(readdirSync(dir.path).filter((name) => name === 'bad'), []);
  });
});
