import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../testing/fixtures.js';
import { DuckDbEngine, type Row } from './duckdb-engine.js';
import { LakeError } from './errors.js';
import { Lake } from './lake.js';
import { ParquetWorker } from './parquet-worker.js';
import { writeParquet } from './parquet-writer.js';
import { readRows } from './query.js';
import type { NestedField, Schema } from './types.js';

const dir = tempDir('orderpulse-parquet-worker-');
let engine: DuckDbEngine;
let fileNo = 0;
const nextPath = (): string => join(dir.path, 'files', `f${fileNo++}.parquet`);
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

/** Columns of the kinds the thread encodes itself (parquet-encoder.ts). */
const plain = schemaOf(
  { id: 1, name: 'id', required: true, type: 'long' },
  { id: 2, name: 'name', required: true, type: 'string' },
  { id: 3, name: 'note', required: false, type: 'string' },
  { id: 4, name: 'qty', required: false, type: 'int' },
  { id: 5, name: 'delay', required: false, type: 'double' },
  { id: 6, name: 'flag', required: false, type: 'boolean' },
  { id: 7, name: 'at', required: true, type: 'timestamptz' },
  { id: 8, name: 'local', required: false, type: 'timestamp' },
);

/** Hand-made rows: nulls, non-ASCII text, empty strings, extreme integers, instants before 1970 and far ahead. */
const plainRows: Row[] = [
  { id: 1, name: 'São Paulo 🚚', note: null, qty: -2147483648, delay: 1.5, flag: true, at: -1, local: 0 },
  { id: 2, name: '', note: 'ascii', qty: 2147483647, delay: -0.25, flag: false, at: 1_700_000_000_123, local: null },
  { id: 9007199254740991n, name: 'x'.repeat(5_000), note: 'ç', qty: null, delay: null, flag: null, at: 253_402_300_799_999, local: -62_135_596_800_000 },
  { id: -9223372036854775808n, name: 'último', note: '', qty: 0, delay: NaN, flag: true, at: 0, local: 1 },
];

describe('ParquetWorker', () => {
  it('writes on its thread the rows given, read back as they were, with the statistics they call for', async () => {
    const worker = new ParquetWorker({ tempDir: join(dir.path, 'w1') });
    try {
      const path = nextPath();
      const stats = await worker.write({ schema: plain, rows: plainRows, path });
      assert.deepEqual(await readRows(engine, [path], plain), plainRows.map((r) => ({ ...r, id: typeof r.id === 'bigint' && r.id >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(r.id) : r.id })));
      assert.equal(stats.recordCount, 4);
      // Bounds by hand: id spans the two bigints; `at` from -1 ms to 9999-12-31T23:59:59.999Z.
      assert.equal(stats.columns.get(1)?.min, -9223372036854775808n);
      assert.equal(stats.columns.get(1)?.max, 9007199254740991);
      assert.equal(stats.columns.get(7)?.min, -1);
      assert.equal(stats.columns.get(7)?.max, 253_402_300_799_999);
      assert.equal(stats.columns.get(3)?.nullCount, 1);
      assert.equal(stats.columns.get(5)?.nanCount, 1);
      assert.equal(stats.columns.get(2)?.min, '');
      // The same statistics as the writer on the calling thread (sizes aside).
      const inline = await writeParquet(engine, { schema: plain, rows: plainRows, path: nextPath() });
      const withoutSizes = (s: typeof stats): unknown => [...s.columns].map(([id, c]) => [id, { ...c, compressedSize: 0 }]);
      assert.deepEqual(withoutSizes(stats), withoutSizes(inline));
      assert.equal(stats.fileSizeInBytes, inline.fileSizeInBytes);
    } finally {
      await worker.close();
    }
  });

  it('writes the types it does not encode itself (decimals, uuids, bytes) through DuckDB, exactly', async () => {
    const schema = schemaOf(
      { id: 1, name: 'day', required: true, type: 'date' },
      { id: 2, name: 'price', required: false, type: 'decimal(10, 2)' },
      { id: 3, name: 'uid', required: false, type: 'uuid' },
      { id: 4, name: 'bytes', required: false, type: 'binary' },
      { id: 5, name: 'name', required: true, type: 'string' },
    );
    const rows: Row[] = [
      { day: '2024-02-29', price: '-12.34', uid: 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6', bytes: new Uint8Array([0, 255]), name: 'a' },
      { day: '1969-12-31', price: null, uid: null, bytes: null, name: 'b' },
    ];
    const worker = new ParquetWorker({ tempDir: join(dir.path, 'w2') });
    try {
      const path = nextPath();
      const stats = await worker.write({ schema, rows, path });
      assert.deepEqual(await readRows(engine, [path], schema), rows);
      assert.equal(stats.columns.get(1)?.min, '1969-12-31');
      assert.equal(stats.columns.get(2)?.max, '-12.34');
    } finally {
      await worker.close();
    }
  });

  it('names the row and column of a value that does not fit, and writes nothing', async () => {
    const worker = new ParquetWorker({ tempDir: join(dir.path, 'w3') });
    try {
      const path = nextPath();
      const bad: Row[] = [plainRows[0] as Row, { ...(plainRows[1] as Row), qty: 1.5 }];
      await assert.rejects(worker.write({ schema: plain, rows: bad, path }), (error: unknown) => {
        assert.ok(error instanceof LakeError);
        assert.equal(error.code, 'OP_LAKE_SCHEMA_MISMATCH');
        assert.match(error.message, /row 1, column qty/);
        return true;
      });
      assert.equal(existsSync(path), false);
    } finally {
      await worker.close();
    }
  });

  it('lets a write in flight finish on close, then refuses writes; the thread is gone', async () => {
    const worker = new ParquetWorker({ tempDir: join(dir.path, 'w4') });
    const path = nextPath();
    const writing = worker.write({ schema: plain, rows: plainRows, path });
    const closing = worker.close();
    assert.equal((await writing).recordCount, 4);
    await closing;
    assert.equal(existsSync(path), true);
    assert.equal(worker.running, false);
    await assert.rejects(worker.write({ schema: plain, rows: plainRows, path: nextPath() }), (error: unknown) => {
      assert.ok(error instanceof LakeError);
      assert.match(error.message, /closed/);
      return true;
    });
  });

  it('starts its thread before the first write when asked, which that write then uses; refuses to start once closed', async () => {
    const worker = new ParquetWorker({ tempDir: join(dir.path, 'w6') });
    worker.start();
    assert.equal(worker.running, true);
    worker.start();
    assert.equal((await worker.write({ schema: plain, rows: plainRows, path: nextPath() })).recordCount, 4);
    await worker.close();
    assert.equal(worker.running, false);
    assert.throws(() => worker.start(), (error: unknown) => error instanceof LakeError && /closed/.test(error.message));
  });

  it('does not keep the process alive while its started thread waits for work', () => {
    // A process that starts the thread and never closes it must still exit on its own.
    const script = `import { ParquetWorker } from ${JSON.stringify(new URL('./parquet-worker.js', import.meta.url).href)};
      new ParquetWorker({ tempDir: ${JSON.stringify(join(dir.path, 'w7'))} }).start();
      console.log('started');`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), 'started');
  });

  it('fails the writes in flight with OP_LAKE_WRITER_FAILED when its thread dies, and starts a new thread for the next write', async () => {
    const worker = new ParquetWorker({ tempDir: join(dir.path, 'w5') });
    try {
      const many: Row[] = Array.from({ length: 200_000 }, (_, i) => ({ ...(plainRows[1] as Row), id: i }));
      const writing = worker.write({ schema: plain, rows: many, path: nextPath() });
      await worker.terminate();
      await assert.rejects(writing, (error: unknown) => {
        assert.ok(error instanceof LakeError);
        assert.equal(error.code, 'OP_LAKE_WRITER_FAILED');
        assert.match(error.message, /writer thread stopped/);
        return true;
      });
      assert.equal(worker.running, false);
      const path = nextPath();
      assert.equal((await worker.write({ schema: plain, rows: plainRows, path })).recordCount, 4);
    } finally {
      await worker.close();
    }
  });
});

describe('Lake with its writer thread', () => {
  it('appends the same rows as a lake writing on the calling thread, and leaves no temporary file behind', async () => {
    const read: Record<string, unknown>[][] = [];
    for (const writerThread of [true, false]) {
      const root = join(dir.path, `lake-${writerThread}`);
      const lake = await Lake.open({ catalogUri: join(root, 'catalog.db'), warehouse: join(root, 'warehouse'), tempDir: join(root, 'tmp'), writerThread });
      try {
        const table = await lake.createTable('bronze.things', {
          columns: plain.fields.map((f) => ({ name: f.name, type: f.type, required: f.required })),
          partitionBy: [{ source: 'at', transform: 'month' }],
        });
        const result = await table.append(plainRows);
        assert.equal(result.addedRecords, 4);
        assert.equal(result.addedFiles, 4); // four months
        read.push((await (await table.scan()).query('SELECT * FROM t ORDER BY name')).rows);
        const temporary = readdirSync(root, { recursive: true }).filter((name) => String(name).endsWith('.tmp'));
        assert.deepEqual(temporary, []);
      } finally {
        await lake.close();
      }
    }
    assert.equal(read[0]?.length, 4);
    assert.deepEqual(read[0], read[1]);
  });
});
