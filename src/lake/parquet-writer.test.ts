import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../testing/fixtures.js';
import { DuckDbEngine, type Row } from './duckdb-engine.js';
import { LakeError } from './errors.js';
import { writeParquet } from './parquet-writer.js';
import { readRows } from './query.js';
import type { NestedField, Schema } from './types.js';

const dir = tempDir('orderpulse-parquet-');
let engine: DuckDbEngine;
before(async () => {
  engine = await DuckDbEngine.create({ tempDir: join(dir.path, 'duckdb-tmp'), threads: 2 });
});
after(async () => {
  await engine.close();
  dir.remove();
});

function schemaOf(...fields: NestedField[]): Schema {
  return { type: 'struct', 'schema-id': 0, fields };
}

const allTypes = schemaOf(
  { id: 1, name: 'id', required: true, type: 'long' },
  { id: 2, name: 'flag', required: false, type: 'boolean' },
  { id: 3, name: 'qty', required: false, type: 'int' },
  { id: 4, name: 'ratio', required: false, type: 'float' },
  { id: 5, name: 'delay', required: false, type: 'double' },
  { id: 6, name: 'day', required: false, type: 'date' },
  { id: 7, name: 'at_time', required: false, type: 'time' },
  { id: 8, name: 'local_ts', required: false, type: 'timestamp' },
  { id: 9, name: 'ts', required: false, type: 'timestamptz' },
  { id: 10, name: 'name', required: false, type: 'string' },
  { id: 11, name: 'uid', required: false, type: 'uuid' },
  { id: 12, name: 'payload', required: false, type: 'binary' },
  { id: 13, name: 'price', required: false, type: 'decimal(10, 2)' },
  { id: 14, name: 'big price', required: false, type: 'decimal(38, 4)' },
);

const allRows: Row[] = [
  {
    id: 1,
    flag: true,
    qty: -2147483648,
    ratio: 1.5,
    delay: NaN,
    day: '2024-02-29',
    at_time: '12:34:56.123456',
    local_ts: 1_700_000_000_123,
    ts: -1,
    name: 'héllo wörld 🚚',
    uid: 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6',
    payload: new Uint8Array([0, 1, 254, 255]),
    price: '-12.34',
    'big price': '12345678901234567890123456789012.3456',
  },
  {
    id: 2n ** 62n,
    flag: false,
    qty: 2147483647,
    ratio: -0.25,
    delay: -1e300,
    day: '1969-12-31',
    at_time: '00:00:00',
    local_ts: 0,
    ts: 1_700_000_000_000,
    name: '',
    uid: '00000000-0000-0000-0000-000000000000',
    payload: new Uint8Array([]),
    price: '99999999.99',
    'big price': '-0.0001',
  },
  {
    id: -9007199254740991,
    flag: null,
    qty: null,
    ratio: null,
    delay: 2.5,
    day: '0001-01-01',
    at_time: '23:59:59.999999',
    local_ts: -62_135_596_800_000,
    ts: 253_402_300_799_999,
    name: null,
    uid: null,
    payload: null,
    price: null,
    'big price': null,
  },
  { id: 4 },
];

/** What reading `allRows` back gives: missing keys as null (nothing else changes). */
function expectedRows(schema: Schema, rows: readonly Row[]): Record<string, unknown>[] {
  return rows.map((row) => Object.fromEntries(schema.fields.map((f) => [f.name, row[f.name] ?? null])));
}

async function parquetSchema(file: string): Promise<Record<string, unknown>[]> {
  const reader = await engine.connection.runAndReadAll(
    `SELECT name, type, type_length, field_id, logical_type, converted_type, scale, precision FROM parquet_schema('${file}') WHERE name <> 'duckdb_schema'`,
  );
  return reader.getRowObjectsJson();
}

describe('DuckDbEngine', () => {
  it('has ICU loaded and runs every connection in UTC', async () => {
    const reader = await engine.connection.runAndReadAll(`SELECT loaded FROM duckdb_extensions() WHERE extension_name = 'icu'`);
    assert.deepEqual(reader.getRows(), [[true]]);
    const tz = await engine.withConnection(async (c) => (await c.runAndReadAll(`SELECT current_setting('TimeZone')`)).getRows());
    assert.deepEqual(tz, [['UTC']]);
    const text = await engine.withConnection(async (c) =>
      (await c.runAndReadAll(`SELECT (TIMESTAMPTZ '2024-01-01 12:00:00+02')::VARCHAR`)).getRows(),
    );
    assert.deepEqual(text, [['2024-01-01 10:00:00+00']]);
  });

  it('refuses work once closed', async () => {
    const other = await DuckDbEngine.create({ tempDir: join(dir.path, 'other-tmp') });
    await other.close();
    await other.close();
    await assert.rejects(
      other.withConnection(() => Promise.resolve(1)),
      (e: unknown) => e instanceof LakeError && e.code === 'OP_LAKE_INVALID_ARGUMENT',
    );
  });
});

describe('writeParquet', () => {
  it('round trips every type', async () => {
    const path = join(dir.path, 'all-types.parquet');
    const stats = await writeParquet(engine, { schema: allTypes, rows: allRows, path });
    assert.equal(stats.recordCount, allRows.length);
    const back = await readRows(engine, [path], allTypes);
    assert.deepEqual(back, expectedRows(allTypes, allRows));
  });

  it('normalises decimals to their scale and UUIDs to lower case', async () => {
    const schema = schemaOf(
      { id: 1, name: 'd', required: true, type: 'decimal(9, 3)' },
      { id: 2, name: 'u', required: true, type: 'uuid' },
    );
    const path = join(dir.path, 'normalised.parquet');
    await writeParquet(engine, { schema, rows: [{ d: '+0.5', u: 'F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6' }, { d: '-7.120', u: '00000000-0000-0000-0000-00000000000a' }], path });
    assert.deepEqual(await readRows(engine, [path], schema), [
      { d: '0.500', u: 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6' },
      { d: '-7.120', u: '00000000-0000-0000-0000-00000000000a' },
    ]);
  });

  it('puts the field id and the Iceberg type on every column', async () => {
    const path = join(dir.path, 'types.parquet');
    await writeParquet(engine, { schema: allTypes, rows: allRows, path });
    const columns = await parquetSchema(path);
    assert.deepEqual(
      columns.map((c) => [c['name'], c['field_id']]),
      allTypes.fields.map((f) => [f.name, String(f.id)]),
    );
    const byName = new Map(columns.map((c) => [c['name'], c]));
    const col = (name: string): Record<string, unknown> => byName.get(name) ?? {};
    assert.equal(col('id')['type'], 'INT64');
    assert.equal(col('flag')['type'], 'BOOLEAN');
    assert.equal(col('qty')['type'], 'INT32');
    assert.equal(col('ratio')['type'], 'FLOAT');
    assert.equal(col('delay')['type'], 'DOUBLE');
    assert.deepEqual([col('day')['type'], col('day')['converted_type']], ['INT32', 'DATE']);
    assert.equal(col('at_time')['type'], 'INT64');
    assert.match(String(col('at_time')['logical_type']), /TimeType\(isAdjustedToUTC=0, unit=.*MICROS=MicroSeconds\(\)/);
    assert.equal(col('local_ts')['type'], 'INT64');
    assert.match(String(col('local_ts')['logical_type']), /TimestampType\(isAdjustedToUTC=0, unit=.*MICROS=MicroSeconds\(\)/);
    assert.equal(col('ts')['type'], 'INT64');
    assert.match(String(col('ts')['logical_type']), /TimestampType\(isAdjustedToUTC=1, unit=.*MICROS=MicroSeconds\(\)/);
    assert.deepEqual([col('name')['type'], col('name')['converted_type']], ['BYTE_ARRAY', 'UTF8']);
    assert.deepEqual([col('uid')['type'], col('uid')['type_length'], col('uid')['logical_type']], ['FIXED_LEN_BYTE_ARRAY', '16', 'UUIDType()']);
    assert.deepEqual([col('payload')['type'], col('payload')['converted_type']], ['BYTE_ARRAY', null]);
    assert.deepEqual([col('price')['type'], col('price')['precision'], col('price')['scale']], ['INT64', '10', '2']);
    assert.deepEqual([col('big price')['type'], col('big price')['precision'], col('big price')['scale']], ['FIXED_LEN_BYTE_ARRAY', '38', '4']);
  });

  it('returns exact statistics, nulls and NaN included', async () => {
    const path = join(dir.path, 'stats.parquet');
    const stats = await writeParquet(engine, { schema: allTypes, rows: allRows, path });
    assert.equal(stats.recordCount, 4);
    assert.equal(stats.fileSizeInBytes, statSync(path).size);
    const s = (id: number) => {
      const c = stats.columns.get(id);
      assert.ok(c, `stats of field ${id}`);
      return { valueCount: c.valueCount, nullCount: c.nullCount, nanCount: c.nanCount, min: c.min, max: c.max };
    };
    assert.deepEqual(s(1), { valueCount: 4, nullCount: 0, nanCount: null, min: -9007199254740991, max: 2n ** 62n });
    assert.deepEqual(s(2), { valueCount: 4, nullCount: 2, nanCount: null, min: false, max: true });
    assert.deepEqual(s(3), { valueCount: 4, nullCount: 2, nanCount: null, min: -2147483648, max: 2147483647 });
    assert.deepEqual(s(4), { valueCount: 4, nullCount: 2, nanCount: 0, min: -0.25, max: 1.5 });
    // NaN is counted, not a bound.
    assert.deepEqual(s(5), { valueCount: 4, nullCount: 1, nanCount: 1, min: -1e300, max: 2.5 });
    assert.deepEqual(s(6), { valueCount: 4, nullCount: 1, nanCount: null, min: '0001-01-01', max: '2024-02-29' });
    assert.deepEqual(s(7), { valueCount: 4, nullCount: 1, nanCount: null, min: '00:00:00', max: '23:59:59.999999' });
    assert.deepEqual(s(8), { valueCount: 4, nullCount: 1, nanCount: null, min: -62_135_596_800_000, max: 1_700_000_000_123 });
    assert.deepEqual(s(9), { valueCount: 4, nullCount: 1, nanCount: null, min: -1, max: 253_402_300_799_999 });
    assert.deepEqual(s(10), { valueCount: 4, nullCount: 2, nanCount: null, min: '', max: 'héllo wörld 🚚' });
    assert.deepEqual(s(11), {
      valueCount: 4,
      nullCount: 2,
      nanCount: null,
      min: '00000000-0000-0000-0000-000000000000',
      max: 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6',
    });
    assert.deepEqual(s(12), { valueCount: 4, nullCount: 2, nanCount: null, min: new Uint8Array([]), max: new Uint8Array([0, 1, 254, 255]) });
    assert.deepEqual(s(13), { valueCount: 4, nullCount: 2, nanCount: null, min: '-12.34', max: '99999999.99' });
    assert.deepEqual(s(14), {
      valueCount: 4,
      nullCount: 2,
      nanCount: null,
      min: '-0.0001',
      max: '12345678901234567890123456789012.3456',
    });

    // Column sizes and split offsets agree with the file's own footer.
    const reader = await engine.connection.runAndReadAll(
      `SELECT column_id, sum(total_compressed_size)::BIGINT FROM parquet_metadata('${path}') GROUP BY ALL ORDER BY 1`,
    );
    const sizes = reader.getRows().map(([, size]) => Number(size));
    assert.deepEqual(
      allTypes.fields.map((f) => stats.columns.get(f.id)?.compressedSize),
      sizes,
    );
    assert.ok(sizes.every((n) => n > 0));
    assert.deepEqual(stats.splitOffsets, [4]);
  });

  it('reports one split offset per row group', async () => {
    const schema = schemaOf({ id: 1, name: 'n', required: true, type: 'long' }, { id: 2, name: 's', required: false, type: 'string' });
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ n: i, s: i % 3 === 0 ? null : `v${i}` }));
    const path = join(dir.path, 'groups.parquet');
    const stats = await writeParquet(engine, { schema, rows, path, rowGroupSize: 2_048 });
    const reader = await engine.connection.runAndReadAll(
      `SELECT row_group_id, min(coalesce(nullif(dictionary_page_offset, 0), data_page_offset)) FROM parquet_metadata('${path}') GROUP BY ALL ORDER BY 1`,
    );
    const starts = reader.getRows().map(([, start]) => Number(start));
    assert.ok(starts.length > 1, 'several row groups');
    assert.deepEqual(stats.splitOffsets, starts);
    assert.deepEqual(stats.columns.get(2), {
      valueCount: 10_000,
      nullCount: 3_334,
      nanCount: null,
      min: 'v1',
      max: 'v9998',
      compressedSize: stats.columns.get(2)?.compressedSize,
    });
    assert.equal((await readRows(engine, [path], schema)).length, 10_000);
  });

  it('writes an empty row set', async () => {
    const path = join(dir.path, 'empty.parquet');
    const stats = await writeParquet(engine, { schema: allTypes, rows: [], path });
    assert.equal(stats.recordCount, 0);
    assert.deepEqual(stats.splitOffsets, []);
    assert.deepEqual(stats.columns.get(5), { valueCount: 0, nullCount: 0, nanCount: 0, min: null, max: null, compressedSize: 0 });
    assert.deepEqual(stats.columns.get(10), { valueCount: 0, nullCount: 0, nanCount: null, min: null, max: null, compressedSize: 0 });
    assert.deepEqual(await readRows(engine, [path], allTypes), []);
    assert.deepEqual(
      (await parquetSchema(path)).map((c) => c['field_id']),
      allTypes.fields.map((f) => String(f.id)),
    );
  });

  it('refuses rows that do not fit the schema, naming the row and the column', async () => {
    const schema = schemaOf(
      { id: 1, name: 'id', required: true, type: 'long' },
      { id: 2, name: 'day', required: false, type: 'date' },
      { id: 3, name: 'price', required: false, type: 'decimal(6, 2)' },
      { id: 4, name: 'n', required: false, type: 'int' },
    );
    const cases: [Row[], RegExp][] = [
      [[{ id: 1 }, { id: null }], /row 1, column id \(long\): is required but null/],
      [[{ id: 1, day: '2023-02-29' }], /row 0, column day \(date\): "2023-02-29" is not a 'YYYY-MM-DD' date/],
      [[{ id: 1, price: '1.234' }], /row 0, column price .*has more than 2 fractional digits/],
      [[{ id: 1, price: '12345.6' }], /row 0, column price .*does not fit decimal\(6, 2\)/],
      [[{ id: 1, n: 2 ** 31 }], /row 0, column n \(int\): 2147483648 is not a 32-bit integer/],
      [[{ id: 1.5 }], /row 0, column id \(long\): 1.5 is not a safe integer/],
      [[{ id: 1 }, { id: 2, dya: '2024-01-01' }], /row 1: "dya" is not a column of the schema/],
    ];
    for (const [i, [rows, message]] of cases.entries()) {
      const path = join(dir.path, `bad-${i}.parquet`);
      await assert.rejects(
        writeParquet(engine, { schema, rows, path }),
        (e: unknown) => e instanceof LakeError && e.code === 'OP_LAKE_SCHEMA_MISMATCH' && message.test(e.message),
      );
    }
    // Nothing is left behind, not even a temporary file.
    assert.deepEqual(readdirSync(dir.path).filter((f) => f.startsWith('bad-') || f.startsWith('.bad-')), []);
  });

  it('refuses unsupported schemas', async () => {
    const path = join(dir.path, 'unsupported.parquet');
    for (const schema of [
      schemaOf({ id: 1, name: 'f', required: false, type: 'fixed[4]' }),
      schemaOf({ id: 1, name: 's', required: false, type: { type: 'struct', fields: [] } }),
      schemaOf({ id: 1, name: 'a', required: false, type: 'int' }, { id: 2, name: 'A', required: false, type: 'int' }),
    ]) {
      await assert.rejects(
        writeParquet(engine, { schema, rows: [], path }),
        (e: unknown) => e instanceof LakeError && e.code === 'OP_LAKE_INVALID_ARGUMENT',
      );
    }
  });

  it('never replaces an existing file and leaves no temporary file', async () => {
    const schema = schemaOf({ id: 1, name: 'n', required: true, type: 'int' });
    const sub = join(dir.path, 'nested', 'dir');
    const path = join(sub, 'once.parquet');
    await writeParquet(engine, { schema, rows: [{ n: 1 }], path });
    await assert.rejects(
      writeParquet(engine, { schema, rows: [{ n: 2 }], path }),
      (e: unknown) => e instanceof LakeError && e.code === 'OP_LAKE_FILE_EXISTS',
    );
    assert.deepEqual(readdirSync(sub), ['once.parquet']);
    assert.deepEqual(await readRows(engine, [path], schema), [{ n: 1 }]);
  });

  it('writes concurrently on one engine', async () => {
    const schema = schemaOf({ id: 1, name: 'n', required: true, type: 'long' });
    const paths = Array.from({ length: 6 }, (_, i) => join(dir.path, `concurrent-${i}.parquet`));
    const all = await Promise.all(
      paths.map((path, i) => writeParquet(engine, { schema, rows: Array.from({ length: 1000 + i }, (_, n) => ({ n: n * 10 + i })), path })),
    );
    all.forEach((stats, i) => {
      assert.equal(stats.recordCount, 1000 + i);
      assert.equal(stats.columns.get(1)?.min, i);
    });
    const back = await Promise.all(paths.map((p) => readRows(engine, [p], schema)));
    back.forEach((rows, i) => assert.equal(rows.length, 1000 + i));
  });
});
