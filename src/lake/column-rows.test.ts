import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../testing/fixtures.js';
import type { ColumnRows } from './column-rows.js';
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
    order_id: `order-${(i * 7919) % 613}`,
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
        await byRows.append(rows);
        const result = await byColumns.append(asColumns(rows));
        assert.equal(result.addedRecords, 4_500);
        assert.equal(result.addedFiles, 3);
        const scanRows = await byRows.scan();
        const scanColumns = await byColumns.scan();
        assert.deepEqual(describeFiles(scanColumns.files), describeFiles(scanRows.files));
        const read = async (scan: typeof scanRows): Promise<unknown[]> => (await scan.query('SELECT * FROM t ORDER BY id')).rows;
        const readBack = await read(scanColumns);
        assert.deepEqual(readBack, await read(scanRows));
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
        [withColumn('price', [1, 2, 3]), 'OP_LAKE_INVALID_ARGUMENT', /column 'price' has 3 values for 5 rows/],
        [withColumn('price', 7), 'OP_LAKE_INVALID_ARGUMENT', /column 'price' has 7 for 5 rows/],
        [{ rowCount: -1, columns: {} }, 'OP_LAKE_INVALID_ARGUMENT', /rowCount must be a non-negative integer/],
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
