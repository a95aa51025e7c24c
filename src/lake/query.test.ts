import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../testing/fixtures.js';
import { DuckDbEngine } from './duckdb-engine.js';
import { LakeError } from './errors.js';
import { writeParquet } from './parquet-writer.js';
import { queryParquet, readRows } from './query.js';
import type { NestedField, Schema } from './types.js';

const dir = tempDir('orderpulse-query-');
let engine: DuckDbEngine;

function schemaOf(schemaId: number, ...fields: NestedField[]): Schema {
  return { type: 'struct', 'schema-id': schemaId, fields };
}

// Schema evolution of an `orders` table: v2 widens qty (int → long), renames status → state and
// adds delivered_at.
const v1 = schemaOf(
  0,
  { id: 1, name: 'order_id', required: true, type: 'string' },
  { id: 2, name: 'qty', required: false, type: 'int' },
  { id: 3, name: 'status', required: false, type: 'string' },
  { id: 4, name: 'purchased_at', required: false, type: 'timestamptz' },
  { id: 5, name: 'price', required: false, type: 'decimal(10, 2)' },
);
const v2 = schemaOf(
  1,
  { id: 1, name: 'order_id', required: true, type: 'string' },
  { id: 2, name: 'qty', required: false, type: 'long' },
  { id: 3, name: 'state', required: false, type: 'string' },
  { id: 4, name: 'purchased_at', required: false, type: 'timestamptz' },
  { id: 5, name: 'price', required: false, type: 'decimal(10, 2)' },
  { id: 6, name: 'delivered_at', required: false, type: 'date' },
);
const v1NoRename = schemaOf(
  1,
  ...v1.fields.map((f) => (f.id === 2 ? { ...f, type: 'long' as const } : f)),
  { id: 6, name: 'delivered_at', required: false, type: 'date' },
);

let oldFile: string;
let newFile: string;

before(async () => {
  engine = await DuckDbEngine.create({ tempDir: join(dir.path, 'duckdb-tmp'), threads: 2 });
  oldFile = join(dir.path, 'old.parquet');
  newFile = join(dir.path, 'new.parquet');
  await writeParquet(engine, {
    schema: v1,
    path: oldFile,
    rows: [
      { order_id: 'a', qty: 1, status: 'delivered', purchased_at: 1_500_000_000_000, price: '10.00' },
      { order_id: 'b', qty: 2, status: 'shipped', purchased_at: 1_500_000_060_000, price: '20.50' },
    ],
  });
  await writeParquet(engine, {
    schema: v2,
    path: newFile,
    rows: [{ order_id: 'c', qty: 2 ** 40, state: 'delivered', purchased_at: 1_600_000_000_000, price: '5.25', delivered_at: '2020-09-20' }],
  });
});
after(async () => {
  await engine.close();
  dir.remove();
});

function invalidArgument(pattern: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof LakeError, `a LakeError, not ${String(e)}`);
    assert.equal(e.code, 'OP_LAKE_INVALID_ARGUMENT');
    assert.match(e.message, pattern);
    return true;
  };
}

describe('queryParquet: schema evolution', () => {
  it('reads a column missing from an older file as null, by field id', async () => {
    const rows = await readRows(engine, [oldFile, newFile], v2);
    assert.deepEqual(rows, [
      { order_id: 'a', qty: 1, state: 'delivered', purchased_at: 1_500_000_000_000, price: '10.00', delivered_at: null },
      { order_id: 'b', qty: 2, state: 'shipped', purchased_at: 1_500_000_060_000, price: '20.50', delivered_at: null },
      { order_id: 'c', qty: 2 ** 40, state: 'delivered', purchased_at: 1_600_000_000_000, price: '5.25', delivered_at: '2020-09-20' },
    ]);
  });

  it('can match columns by name instead (a renamed column then reads as null)', async () => {
    const byName = await readRows(engine, [oldFile, newFile], v1NoRename, { columnResolution: 'name' });
    assert.deepEqual(
      byName.map((r) => [r['order_id'], r['status'], r['delivered_at']]),
      [
        ['a', 'delivered', null],
        ['b', 'shipped', null],
        ['c', null, '2020-09-20'],
      ],
    );
    // A column no file has at all.
    const extra = schemaOf(2, ...v1.fields, { id: 9, name: 'nowhere', required: false, type: 'double' });
    const rows = await readRows(engine, [oldFile], extra, { columnResolution: 'name' });
    assert.deepEqual(
      rows.map((r) => r['nowhere']),
      [null, null],
    );
  });

  it('offers an empty table with the right columns when there are no files', async () => {
    const result = await queryParquet(engine, { tables: { orders: { files: [], schema: v2 } }, sql: 'DESCRIBE orders' });
    assert.deepEqual(
      result.rows.map((r) => [r['column_name'], r['column_type']]),
      [
        ['order_id', 'VARCHAR'],
        ['qty', 'BIGINT'],
        ['state', 'VARCHAR'],
        ['purchased_at', 'TIMESTAMP WITH TIME ZONE'],
        ['price', 'DECIMAL(10,2)'],
        ['delivered_at', 'DATE'],
      ],
    );
    const count = await queryParquet(engine, { tables: { orders: { files: [], schema: v2 } }, sql: 'SELECT count(*) AS n FROM orders' });
    assert.deepEqual(count, { columns: ['n'], rows: [{ n: 0 }] });
  });
});

describe('queryParquet: SQL', () => {
  const tables = () => ({ orders: { files: [oldFile, newFile], schema: v2 } });

  it('converts results to the row representation', async () => {
    const result = await queryParquet(engine, {
      tables: tables(),
      sql: `SELECT state, count(*) AS n, sum(price) AS revenue, max(purchased_at) AS last, max(qty) AS q,
              9007199254740993::BIGINT AS unsafe, DATE '2024-01-02' AS d, 'x' AS state
            FROM orders GROUP BY state ORDER BY state`,
    });
    assert.deepEqual(result.columns, ['state', 'n', 'revenue', 'last', 'q', 'unsafe', 'd', 'state:1']);
    assert.deepEqual(result.rows, [
      { state: 'delivered', n: 2, revenue: '15.25', last: 1_600_000_000_000, q: 2 ** 40, unsafe: 9007199254740993n, d: '2024-01-02', 'state:1': 'x' },
      { state: 'shipped', n: 1, revenue: '20.50', last: 1_500_000_060_000, q: 2, unsafe: 9007199254740993n, d: '2024-01-02', 'state:1': 'x' },
    ]);
  });

  it('binds parameters in the row representation', async () => {
    const positional = await queryParquet(engine, {
      tables: tables(),
      sql: 'SELECT order_id FROM orders WHERE purchased_at >= $1 AND price < $2 ORDER BY order_id',
      params: [1_500_000_060_000, '20.51'],
    });
    assert.deepEqual(positional.rows, [{ order_id: 'b' }, { order_id: 'c' }]);
    const named = await queryParquet(engine, {
      tables: tables(),
      sql: 'SELECT order_id FROM orders WHERE delivered_at = $day OR state = $state ORDER BY order_id',
      params: { day: '2020-09-20', state: 'shipped' },
    });
    assert.deepEqual(named.rows, [{ order_id: 'b' }, { order_id: 'c' }]);
    await assert.rejects(
      queryParquet(engine, { tables: tables(), sql: 'SELECT * FROM orders WHERE delivered_at = $1', params: ['20-09-2020'] }),
      invalidArgument(/parameter 1: 20-09-2020 is not a 'YYYY-MM-DD' date/),
    );
    await assert.rejects(
      queryParquet(engine, { tables: tables(), sql: 'SELECT * FROM orders WHERE qty = $1' }),
      invalidArgument(/takes 1 parameter/),
    );
  });

  it('runs concurrent queries in isolation', async () => {
    const [a, b] = await Promise.all([
      queryParquet(engine, { tables: { t: { files: [oldFile], schema: v1 } }, sql: 'SELECT count(*) AS n FROM t' }),
      queryParquet(engine, { tables: { t: { files: [newFile], schema: v2 } }, sql: 'SELECT count(*) AS n FROM t' }),
    ]);
    assert.deepEqual([a.rows, b.rows], [[{ n: 2 }], [{ n: 1 }]]);
  });

  it('allows reads only', async () => {
    for (const sql of [
      "INSERT INTO orders VALUES ('x', 1, 'y', 0, '1.00', NULL)",
      'CREATE TABLE t AS SELECT * FROM orders',
      `COPY orders TO '${join(dir.path, 'leak.csv')}'`,
      'DROP VIEW orders',
      '  -- a comment first\n  DELETE FROM orders',
      "ATTACH ':memory:' AS other",
      "SET TimeZone = 'America/Sao_Paulo'",
      'PRAGMA threads = 1',
      'CALL pragma_version()',
      'EXPLAIN ANALYZE CREATE TABLE t (a INT)',
    ]) {
      await assert.rejects(queryParquet(engine, { tables: tables(), sql }), invalidArgument(/only read queries are allowed/), sql);
    }
    await assert.rejects(
      queryParquet(engine, { tables: tables(), sql: 'SELECT 1; DROP VIEW orders' }),
      invalidArgument(/one statement expected, found 2/),
    );
    // What is allowed.
    for (const sql of ['WITH x AS (SELECT * FROM orders) SELECT count(*) FROM x', 'SHOW orders', 'SUMMARIZE orders', 'FROM orders', 'EXPLAIN SELECT * FROM orders']) {
      const result = await queryParquet(engine, { tables: tables(), sql });
      assert.ok(result.rows.length > 0, sql);
    }
  });

  it("turns DuckDB errors into LakeErrors with DuckDB's message", async () => {
    await assert.rejects(queryParquet(engine, { tables: tables(), sql: 'SELEC 1' }), invalidArgument(/Parser Error: syntax error at or near "SELEC"/));
    await assert.rejects(
      queryParquet(engine, { tables: tables(), sql: 'SELECT nope FROM orders' }),
      invalidArgument(/Binder Error: Referenced column "nope" not found/),
    );
    await assert.rejects(
      queryParquet(engine, { tables: tables(), sql: "SELECT 'x'::INTEGER" }),
      invalidArgument(/Conversion Error: Could not convert string 'x' to INT32/),
    );
    await assert.rejects(
      queryParquet(engine, { tables: { orders: { files: [join(dir.path, 'missing.parquet')], schema: v2 } }, sql: 'SELECT * FROM orders' }),
      (e: unknown) => e instanceof LakeError && e.code === 'OP_LAKE_FILE_NOT_FOUND' && /missing\.parquet/.test(e.message),
    );
  });
});
