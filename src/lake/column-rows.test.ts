import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { seededRandom, tempDir, testSeed } from '../testing/fixtures.js';
import type { ColumnRows, Utf8Column } from './column-rows.js';
import { Utf8ColumnBuilder, columnArray, selectColumnRows } from './column-rows.js';
import type { Row, RowValue } from './duckdb-engine.js';
import { LakeError } from './errors.js';
import { Lake } from './lake.js';
import type { DataFile } from './types.js';

const columns = [
  { name: 'id', type: 'long', required: true },
  { name: 'order_id', type: 'string', required: true },
  { name: 'at', type: 'timestamptz', required: true },
  { name: 'price', type: 'double' },
  { name: 'note', type: 'string' },
  { name: 'qty', type: 'int' },
] as const;

/**
 * 4,500 rows over three months: 3,000 in the first (a file the writer thread takes), 1,000 and 500
 * in the others (files written on the calling thread). Prices are null every 7th row, notes every
 * 3rd; `qty` is never set, so the column form leaves it out.
 */
function sampleRows(): Row[] {
  return Array.from({ length: 4_500 }, (_, i) => ({
    id: i,
    // Some ids are not ASCII, so that bytes and UTF-16 lengths differ.
    order_id: `${i % 5 === 0 ? 'pedido-ç' : i % 13 === 0 ? 'order-😀' : 'order'}-${(i * 7919) % 613}`,
    at: Date.UTC(2018, i < 3_000 ? 0 : i < 4_000 ? 1 : 2, 1 + (i % 28), i % 24),
    price: i % 7 === 0 ? null : (i % 97) * 1.25,
    note: i % 3 === 0 ? null : `nota ${i % 11} ç`,
  }));
}

/** The same rows as columns, built independently of the lake's own conversion. */
function asColumns(rows: readonly Row[]): ColumnRows {
  const out: Record<string, RowValue[]> = {};
  for (const name of ['id', 'order_id', 'at', 'price', 'note']) out[name] = rows.map((r) => r[name] ?? null);
  return { rowCount: rows.length, columns: out };
}

/** The same columns, with the required string column as UTF-8 bytes, encoded here one value at a time. */
function withUtf8OrderIds(rows: readonly Row[]): ColumnRows {
  const columns = asColumns(rows);
  const parts = rows.map((r) => Buffer.from(r.order_id as string, 'utf8'));
  const offsets = new Int32Array(parts.length + 1);
  parts.forEach((p, i) => (offsets[i + 1] = (offsets[i] as number) + p.length));
  const utf8: Utf8Column = { kind: 'utf8', bytes: Buffer.concat(parts), offsets };
  return { rowCount: columns.rowCount, columns: { ...columns.columns, order_id: utf8 } };
}

/** What a data file says about its rows, by partition: counts and bounds (file names and sizes differ between two writes). */
function describeFiles(files: readonly DataFile[]): unknown[] {
  return files
    .map((f) => ({
      partition: JSON.stringify(f.partition),
      recordCount: f.recordCount,
      valueCounts: [...f.valueCounts].sort(),
      nullValueCounts: [...f.nullValueCounts].sort(),
      lowerBounds: [...f.lowerBounds].sort().map(([id, b]) => [id, Buffer.from(b).toString('hex')]),
      upperBounds: [...f.upperBounds].sort().map(([id, b]) => [id, Buffer.from(b).toString('hex')]),
    }))
    .sort((a, b) => a.partition.localeCompare(b.partition));
}

describe('appending rows given as columns', () => {
  for (const writerThread of [true, false]) {
    it(`writes the same rows and file statistics as row objects (${writerThread ? 'with' : 'without'} the writer thread)`, async () => {
      const dir = tempDir();
      const lake = await Lake.open({ catalogUri: join(dir.path, 'catalog.db'), warehouse: join(dir.path, 'warehouse'), tempDir: join(dir.path, 'tmp'), writerThread });
      try {
        const rows = sampleRows();
        const options = { columns: [...columns], partitionBy: [{ source: 'at', transform: 'month' }] };
        const byRows = await lake.createTable('bronze.by_rows', options);
        const byColumns = await lake.createTable('bronze.by_columns', options);
        const byUtf8 = await lake.createTable('bronze.by_utf8', options);
        await byRows.append(rows);
        const result = await byColumns.append(asColumns(rows));
        assert.equal(result.addedRecords, 4_500);
        assert.equal(result.addedFiles, 3);
        // Given twice, as a retried commit gives its rows again: the first write (one file of every
        // row, the writer thread's when there is one) must leave them whole.
        const utf8Rows = withUtf8OrderIds(rows);
        const again = await lake.createTable('bronze.by_utf8_unpartitioned', { columns: [...columns] });
        assert.equal((await again.append(utf8Rows)).addedFiles, 1);
        assert.equal((await byUtf8.append(utf8Rows)).addedFiles, 3);
        const scanRows = await byRows.scan();
        const scanColumns = await byColumns.scan();
        const scanUtf8 = await byUtf8.scan();
        assert.deepEqual(describeFiles(scanColumns.files), describeFiles(scanRows.files));
        assert.deepEqual(describeFiles(scanUtf8.files), describeFiles(scanRows.files));
        const read = async (scan: typeof scanRows): Promise<unknown[]> => (await scan.query('SELECT * FROM t ORDER BY id')).rows;
        const readBack = await read(scanColumns);
        assert.deepEqual(readBack, await read(scanRows));
        assert.deepEqual(await read(scanUtf8), readBack);
        assert.deepEqual(await read(await again.scan()), readBack);
        assert.deepEqual(
          readBack.map((r) => (r as Record<string, unknown>).order_id),
          rows.map((r) => r.order_id),
        );
        // And against the input itself: every value, the left-out column null.
        assert.deepEqual(
          readBack.map((r) => (r as Record<string, unknown>).qty),
          rows.map(() => null),
        );
        assert.deepEqual(
          readBack.map((r) => (r as Record<string, unknown>).note),
          rows.map((r) => r.note),
        );
      } finally {
        await lake.close();
        dir.remove();
      }
    });
  }

  for (const writerThread of [true, false]) {
    it(`writes a UTF-8 column beside a type DuckDB writes (${writerThread ? 'with' : 'without'} the writer thread)`, async () => {
      const dir = tempDir();
      const lake = await Lake.open({ catalogUri: join(dir.path, 'catalog.db'), warehouse: join(dir.path, 'warehouse'), tempDir: join(dir.path, 'tmp'), writerThread });
      try {
        const table = await lake.createTable('gold.priced', {
          columns: [
            { name: 'id', type: 'long', required: true },
            { name: 'name', type: 'string', required: true },
            { name: 'price', type: 'decimal(10, 2)' },
          ],
        });
        const names = Array.from({ length: 2_500 }, (_, i) => (i % 4 === 0 ? `café ${i}` : i % 9 === 0 ? '' : `item ${i}`));
        const prices = names.map((_, i) => (i % 5 === 0 ? null : `${i}.${String(i % 100).padStart(2, '0')}`));
        await table.append({ rowCount: names.length, columns: { id: names.map((_, i) => i), name: utf8Of(names), price: prices } });
        const read = (await (await table.scan()).query('SELECT id, name, CAST(price AS VARCHAR) AS price FROM t ORDER BY id')).rows as { name: string; price: string | null }[];
        assert.deepEqual(
          read.map((r) => r.name),
          names,
        );
        assert.deepEqual(
          read.map((r) => r.price),
          prices,
        );
      } finally {
        await lake.close();
        dir.remove();
      }
    });
  }

  it('refuses columns that do not fit the schema, naming the row and column, and commits nothing', async () => {
    const dir = tempDir();
    const lake = await Lake.open({ catalogUri: join(dir.path, 'catalog.db'), warehouse: join(dir.path, 'warehouse'), tempDir: join(dir.path, 'tmp') });
    try {
      const table = await lake.createTable('bronze.checked', { columns: [...columns] });
      const good = asColumns(sampleRows().slice(0, 5));
      const withColumn = (name: string, values: unknown): ColumnRows => ({ rowCount: 5, columns: { ...good.columns, [name]: values as RowValue[] } });
      const refusals: [ColumnRows, string, RegExp][] = [
        [withColumn('id', [0, 1, 2, 'three', 4]), 'OP_LAKE_SCHEMA_MISMATCH', /^row 3, column 'id': column is long: .*got "three"/],
        [withColumn('qty', [1, 2, 3, 4, 2 ** 31]), 'OP_LAKE_SCHEMA_MISMATCH', /^row 4, column 'qty': column is int/],
        [withColumn('order_id', ['a', 'b', null, 'd', 'e']), 'OP_LAKE_SCHEMA_MISMATCH', /^row 2, column 'order_id': required column \(string\) has no value/],
        [{ rowCount: 5, columns: { id: good.columns.id ?? [], at: good.columns.at ?? [] } }, 'OP_LAKE_SCHEMA_MISMATCH', /column 'order_id': required column/],
        [withColumn('colour', [1, 2, 3, 4, 5]), 'OP_LAKE_SCHEMA_MISMATCH', /column 'colour': unknown column/],
        [withColumn('colour', { kind: 'utf8', bytes: Buffer.from('ab'), offsets: Int32Array.of(0, 9) }), 'OP_LAKE_SCHEMA_MISMATCH', /column 'colour': unknown column/],
        [withColumn('price', [1, 2, 3]), 'OP_LAKE_INVALID_ARGUMENT', /column 'price' has 3 values for 5 rows/],
        [withColumn('price', 7), 'OP_LAKE_INVALID_ARGUMENT', /column 'price' has 7 for 5 rows/],
        [{ rowCount: -1, columns: {} }, 'OP_LAKE_INVALID_ARGUMENT', /rowCount must be a non-negative integer/],
        [withColumn('qty', utf8Of(['1', '2', '3', '4', '5'])), 'OP_LAKE_SCHEMA_MISMATCH', /^row 0, column 'qty': column is int: given as UTF-8 strings/],
        [withColumn('order_id', utf8Of(['a', 'b', 'c', 'd'])), 'OP_LAKE_INVALID_ARGUMENT', /column 'order_id' has 4 values for 5 rows/],
        [withColumn('order_id', { kind: 'utf8', bytes: Buffer.from('abcde'), offsets: Int32Array.of(0, 1, 3, 2, 4, 5) }), 'OP_LAKE_INVALID_ARGUMENT', /column 'order_id': the UTF-8 offsets of row 2 are out of order/],
        [withColumn('order_id', { kind: 'utf8', bytes: Buffer.from('abcde'), offsets: Int32Array.of(0, 1, 2, 3, 4, 9) }), 'OP_LAKE_INVALID_ARGUMENT', /column 'order_id': the UTF-8 offsets of row 4 are out of order or past the bytes/],
        [withColumn('order_id', { kind: 'utf8', bytes: Buffer.from([0x61, 0x62, 0xc3, 0x64, 0x65]), offsets: Int32Array.of(0, 1, 2, 3, 4, 5) }), 'OP_LAKE_INVALID_ARGUMENT', /column 'order_id': its bytes are not valid UTF-8/],
        [withColumn('order_id', { kind: 'utf8', bytes: 'abcde', offsets: [0, 1, 2, 3, 4, 5] }), 'OP_LAKE_INVALID_ARGUMENT', /column 'order_id': a UTF-8 column needs its bytes as a Uint8Array/],
      ];
      for (const [rows, code, message] of refusals) {
        await assert.rejects(table.append(rows), (e: LakeError) => {
          assert.ok(e instanceof LakeError, String(e));
          assert.equal(e.code, code, e.message);
          assert.match(e.message, message);
          return true;
        });
      }
      // The same fault as a row object gives the same message.
      const rows = sampleRows().slice(0, 5);
      rows[3] = { ...rows[3], id: 'three' };
      await assert.rejects(table.append(rows), { message: /^row 3, column 'id': column is long: .*got "three"/ });
      await table.refresh();
      assert.equal(table.snapshots().length, 0);
      assert.equal((await table.append(good)).addedRecords, 5, 'good columns still land');
    } finally {
      await lake.close();
      dir.remove();
    }
  });
});

/** A UTF-8 column of `values`, encoded here one at a time. */
function utf8Of(values: readonly string[]): Utf8Column {
  const parts = values.map((v) => Buffer.from(v, 'utf8'));
  const offsets = new Int32Array(parts.length + 1);
  parts.forEach((p, i) => (offsets[i + 1] = (offsets[i] as number) + p.length));
  return { kind: 'utf8', bytes: Buffer.concat(parts), offsets };
}

describe('Utf8ColumnBuilder', () => {
  it('holds each string as its own UTF-8 bytes, across flushes and growth, ASCII or not', () => {
    const random = seededRandom(testSeed('Utf8ColumnBuilder strings'));
    const pieces = ['a', '{"orderId":"', 'são paulo', 'ç', '😀', '', '\t', 'x'.repeat(700), '"}', '\ud800', '\udc00', '€'];
    const values = Array.from({ length: 3_000 }, () => {
      let s = '';
      const n = Math.floor(random() * 6);
      for (let k = 0; k < n; k++) s += pieces[Math.floor(random() * pieces.length)] as string;
      return s;
    });
    // A lone high surrogate ending one value and a lone low one starting the next: joined, they would pair.
    values.splice(100, 0, 'end \ud83d', '\ude00 start');
    const builder = new Utf8ColumnBuilder(64, 4);
    values.forEach((v, i) => {
      builder.push(v);
      assert.equal(builder.length, i + 1);
    });
    const column = builder.build();
    const expected = values.map((v) => Buffer.from(v, 'utf8'));
    assert.equal(column.offsets.length, values.length + 1);
    assert.equal(column.offsets[0], 0);
    for (let i = 0; i < values.length; i++) {
      const got = Buffer.from(column.bytes.subarray(column.offsets[i], column.offsets[i + 1]));
      assert.ok(got.equals(expected[i] as Buffer), `value ${i}: ${JSON.stringify(values[i])}`);
    }
    assert.equal(column.bytes.length, expected.reduce((n, b) => n + b.length, 0));
  });

  it('builds views that later pushes leave alone, and decodes and selects rows', () => {
    const builder = new Utf8ColumnBuilder();
    builder.push('één');
    builder.push('');
    const first = builder.build();
    builder.push('drie');
    assert.deepEqual(columnArray(first), ['één', '']);
    const second = builder.build();
    assert.deepEqual(columnArray(second), ['één', '', 'drie']);
    const picked = selectColumnRows({ rowCount: 3, columns: { s: second, n: [1, 2, 3] } }, [2, 0]);
    assert.equal(picked.rowCount, 2);
    assert.deepEqual(columnArray(picked.columns.s as Utf8Column), ['drie', 'één']);
    assert.deepEqual(picked.columns.n, [3, 1]);
  });
});
