import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DeleteWriter, fakeDataFile as file } from '../testing/delete-files.js';
import { tempDir } from '../testing/fixtures.js';
import type { PlannedFile } from './deletes.js';
import { DeleteIndex, POSITION_DELETE_FILE_PATH_ID } from './deletes.js';
import type { DataFile, IcebergTable, Row } from './index.js';
import type { PartitionSpec } from './types.js';
import { Lake, LakeError } from './index.js';
import { toLocalPath } from './local-file-io.js';

// ---------------------------------------------------------------------------------------------
// The rules, on hand-made metadata

const planned = (f: DataFile, sequenceNumber: number, specId = 1): PlannedFile => ({ file: f, specId, sequenceNumber });
const specs: PartitionSpec[] = [
  { 'spec-id': 0, fields: [] },
  { 'spec-id': 1, fields: [{ 'source-id': 2, 'field-id': 1000, name: 'day', transform: 'day' }] },
];
const names = (applied: { position: readonly PlannedFile[]; equality: readonly PlannedFile[] }): string[] =>
  [...applied.position, ...applied.equality].map((d) => d.file.filePath).sort();

describe('DeleteIndex: which delete files apply to a data file', () => {
  const data = planned(file('s3://w/t/data/a.parquet', 0, { day: 17000 }), 3);

  it('a position delete applies at an equal or higher sequence number, in the same partition', () => {
    const index = new DeleteIndex(
      [
        planned(file('p-same-seq', 1, { day: 17000 }), 3),
        planned(file('p-higher', 1, { day: 17000 }), 5),
        planned(file('p-older', 1, { day: 17000 }), 2),
        planned(file('p-other-day', 1, { day: 17001 }), 5),
        planned(file('p-other-spec', 1, { day: 17000 }), 5, 0),
      ],
      specs,
    );
    assert.deepEqual(names(index.for(data)), ['p-higher', 'p-same-seq']);
  });

  it('an equality delete applies only at a strictly higher sequence number; an unpartitioned one in every partition', () => {
    const index = new DeleteIndex(
      [
        planned(file('e-same-seq', 2, { day: 17000 }), 3),
        planned(file('e-higher', 2, { day: 17000 }), 4),
        planned(file('e-other-day', 2, { day: 17001 }), 9),
        planned(file('e-global', 2, {}), 4, 0),
        planned(file('e-global-older', 2, {}), 3, 0),
      ],
      specs,
    );
    assert.deepEqual(names(index.for(data)), ['e-global', 'e-higher']);
  });

  it('a position delete naming one data file, or whose file_path bounds exclude it, does not apply to another', () => {
    const path = (s: string) => new TextEncoder().encode(s);
    const index = new DeleteIndex(
      [
        planned(file('p-referenced-other', 1, { day: 17000 }, { referencedDataFile: 's3://w/t/data/b.parquet' }), 4),
        planned(file('p-referenced-this', 1, { day: 17000 }, { referencedDataFile: 's3://w/t/data/a.parquet' }), 4),
        planned(
          file('p-bounds-out', 1, { day: 17000 }, {
            lowerBounds: new Map([[POSITION_DELETE_FILE_PATH_ID, path('s3://w/t/data/b')]]),
            upperBounds: new Map([[POSITION_DELETE_FILE_PATH_ID, path('s3://w/t/data/c')]]),
          }),
          4,
        ),
        planned(
          file('p-bounds-in', 1, { day: 17000 }, {
            // Truncated bounds still bound: a prefix below, a larger prefix above.
            lowerBounds: new Map([[POSITION_DELETE_FILE_PATH_ID, path('s3://w/t/data/a')]]),
            upperBounds: new Map([[POSITION_DELETE_FILE_PATH_ID, path('s3://w/t/data/b')]]),
          }),
          4,
        ),
      ],
      specs,
    );
    assert.deepEqual(names(index.for(data)), ['p-bounds-in', 'p-referenced-this']);
  });

  it('refuses a delete file of an unknown spec, and an equality delete file without equality ids', () => {
    assert.throws(() => new DeleteIndex([planned(file('x', 1), 1, 7)], specs), { code: 'OP_LAKE_CORRUPT_FILE', message: /spec 7/ });
    assert.throws(() => new DeleteIndex([planned(file('y', 2, {}, { equalityIds: [] }), 1)], specs), { code: 'OP_LAKE_CORRUPT_FILE', message: /y has no equality ids/ });
  });
});

// ---------------------------------------------------------------------------------------------
// Tables with delete files, end to end

const columns = [
  { name: 'id', type: 'long', required: true },
  { name: 'name', type: 'string' },
  { name: 'amount', type: 'decimal(12, 2)' },
] as const;
const rows = (from: number, count: number): Row[] =>
  Array.from({ length: count }, (_, k) => ({ id: from + k, name: (from + k) % 4 === 0 ? null : `n${(from + k) % 3}`, amount: `${from + k}.25` }));

async function ids(table: IcebergTable, options: Parameters<IcebergTable['scan']>[0] = {}): Promise<number[]> {
  const result = await (await table.scan(options)).query('SELECT id FROM t ORDER BY id');
  return result.rows.map((r) => Number(r.id));
}
const range = (from: number, count: number): number[] => Array.from({ length: count }, (_, k) => from + k);

describe('tables with row-level deletes', () => {
  const dir = tempDir();
  let lake: Lake;
  let writer: DeleteWriter;
  before(async () => {
    lake = await Lake.open({ catalogUri: join(dir.path, 'catalog.db'), warehouse: join(dir.path, 'warehouse'), tempDir: join(dir.path, 'tmp') });
    writer = await DeleteWriter.open();
  });
  after(async () => {
    writer.close();
    await lake.close();
    dir.remove();
  });

  it('reads without the rows position deletes name, counts live rows, and keeps the delete files in the summary', async () => {
    const table = await lake.createTable('silver.positions', { columns: [...columns] });
    await table.append(rows(0, 10));
    await table.append(rows(10, 10));
    const [first, second] = (await table.scan()).files;
    assert.ok(first !== undefined && second !== undefined);
    // Positions are the row's ordinal in its file; each append wrote its ids in order.
    const firstFileFrom = await writer.firstId(first);
    const other = firstFileFrom === 0 ? 10 : 0;
    const deletes = await writer.positions(table, [
      [first.filePath, 2],
      [first.filePath, 7],
      [second.filePath, 0],
      ['s3://elsewhere/not-this-table.parquet', 1],
    ]);
    const commit = await table.addDeleteFiles([deletes]);
    assert.equal(commit.operation, 'delete');
    const expected = range(0, 20).filter((id) => ![firstFileFrom + 2, firstFileFrom + 7, other].includes(id));
    assert.deepEqual(await ids(table), expected);
    const scan = await table.scan();
    assert.equal(scan.recordCount, 20);
    assert.equal(await scan.liveRecordCount(), 17);
    assert.deepEqual(scan.deleteFiles.map((f) => f.filePath), [deletes.filePath]);
    const summary = table.currentSnapshot()?.summary;
    assert.equal(summary?.['total-delete-files'], '1');
    assert.equal(summary?.['total-position-deletes'], '4');
    assert.equal(summary?.['total-records'], '20');
    // The snapshot before the delete still reads every row (time travel); rows appended later are read too.
    const beforeDelete = table.snapshots().at(-2)?.['snapshot-id'];
    assert.ok(beforeDelete !== undefined);
    assert.deepEqual(await ids(table, { snapshotId: beforeDelete }), range(0, 20));
    await table.append(rows(20, 5));
    assert.deepEqual(await ids(table), [...expected, ...range(20, 5)]);
  });

  it('reads without the rows equality deletes match (null equal to null), but only in data written before them', async () => {
    const table = await lake.createTable('silver.equality', { columns: [...columns] });
    await table.append(rows(0, 12));
    await table.addDeleteFiles([await writer.names(table, ['n1', null])]);
    await table.append(rows(12, 6)); // written after the delete: untouched by it
    const before = rows(0, 12).filter((r) => r.name !== 'n1' && r.name !== null).map((r) => Number(r.id));
    assert.deepEqual(await ids(table), [...before, ...range(12, 6)]);
    const sums = await (await table.scan()).query('SELECT sum(amount) AS s FROM t');
    const expected = [...before, ...range(12, 6)].reduce((s, id) => s + id + 0.25, 0);
    assert.equal(Number(sums.rows[0]?.s), expected);
  });

  it('compaction applies the deletes, removes the delete files and keeps every live row exact', async () => {
    const table = await lake.createTable('silver.compacted', { columns: [...columns] });
    await table.append(rows(0, 8));
    await table.append(rows(8, 8));
    const [first] = (await table.scan()).files;
    assert.ok(first !== undefined);
    const from = await writer.firstId(first);
    await table.addDeleteFiles([await writer.positions(table, [[first.filePath, 1]]), await writer.names(table, ['n2'])]);
    const live = await (await table.scan()).query('SELECT id, name, CAST(amount AS VARCHAR) AS amount FROM t ORDER BY id');
    assert.equal(live.rows.length, 16 - 1 - rows(0, 16).filter((r) => r.name === 'n2' && r.id !== from + 1).length);
    const result = await table.compact();
    assert.equal(result?.operation, 'replace');
    assert.equal(result?.deletedFiles, 2);
    const after = await table.scan();
    assert.deepEqual(after.deleteFiles, []);
    assert.equal(after.files.length, 1);
    assert.equal(after.recordCount, live.rows.length);
    assert.deepEqual((await after.query('SELECT id, name, CAST(amount AS VARCHAR) AS amount FROM t ORDER BY id')).rows, live.rows);
    const summary = table.currentSnapshot()?.summary;
    assert.equal(summary?.['total-delete-files'], '0');
    assert.equal(summary?.['removed-delete-files'], '2');
    assert.equal(summary?.['total-records'], String(live.rows.length));
  });

  it('compaction keeps microseconds (a query result written with them)', async () => {
    const table = await lake.createTable('silver.micros', { columns: [{ name: 'id', type: 'long', required: true }, { name: 'paid_at', type: 'timestamptz' }, { name: 'wall', type: 'timestamp' }] });
    await table.replaceWithQuery({ tables: {}, sql: "SELECT 1 AS id, TIMESTAMPTZ '2018-06-30 23:59:59.123456+00' AS paid_at, TIMESTAMP '2018-06-30 20:59:59.654321' AS wall" });
    await table.append([{ id: 2, paid_at: Date.UTC(2018, 6, 1), wall: null }]);
    const micros = "SELECT id, epoch_us(paid_at) AS paid_at, epoch_us(wall) AS wall FROM t ORDER BY id";
    const before = (await (await table.scan()).query(micros)).rows;
    assert.deepEqual(before[0], { id: 1, paid_at: 1530403199123456, wall: 1530392399654321 });
    assert.ok((await table.compact()) !== null);
    assert.equal((await table.scan()).files.length, 1);
    assert.deepEqual((await (await table.scan()).query(micros)).rows, before);
  });

  it('an overwrite rewrites a partly matching file without its deleted rows', async () => {
    const table = await lake.createTable('silver.overwritten', { columns: [...columns] });
    await table.append(rows(0, 6));
    const [only] = (await table.scan()).files;
    assert.ok(only !== undefined);
    await table.addDeleteFiles([await writer.positions(table, [[only.filePath, 4]])]);
    await table.overwrite([{ id: 100, name: 'new', amount: '1.00' }], { filter: [{ column: 'id', op: '=', value: 1 }] });
    assert.deepEqual(await ids(table), [0, 2, 3, 5, 100]);
  });

  it('an incremental read across a delete refuses, and the batch reads in full instead', async () => {
    const table = await lake.createTable('silver.incremental', { columns: [...columns] });
    await table.append(rows(0, 4));
    const since = table.currentSnapshot()?.['snapshot-id'];
    assert.ok(since !== undefined);
    await table.append(rows(4, 4));
    assert.deepEqual(await ids(table, { sinceSnapshotId: since }), range(4, 4));
    await table.addDeleteFiles([await writer.names(table, ['n1'])]);
    await assert.rejects(table.scan({ sinceSnapshotId: since }), (error: unknown) => {
      assert.ok(error instanceof LakeError);
      assert.equal(error.code, 'OP_LAKE_NOT_INCREMENTAL');
      assert.match(error.message, /silver\.incremental cannot be read incrementally.*\(delete\) removed rows/);
      return true;
    });
  });

  it('compaction leaves a table it cannot rewrite exactly as it is, and says why', async () => {
    const table = await lake.createTable('silver.fixed', { columns: [{ name: 'id', type: 'long', required: true }, { name: 'hash', type: 'fixed[16]' }] });
    const snapshots = table.snapshots().length;
    await assert.rejects(table.compact(), (error: unknown) => {
      assert.ok(error instanceof LakeError);
      assert.equal(error.code, 'OP_LAKE_UNSUPPORTED');
      assert.match(error.message, /silver\.fixed was left as it is: column hash has the type fixed\[16\]/);
      return true;
    });
    assert.equal((await lake.table('silver.fixed')).snapshots().length, snapshots);
  });

  it('refuses to commit a data file as a delete file, or an equality delete file without ids', async () => {
    const table = await lake.createTable('silver.refused', { columns: [...columns] });
    await assert.rejects(table.addDeleteFiles([file(`${table.location}/data/x.parquet`, 0)]), { code: 'OP_LAKE_INVALID_ARGUMENT', message: /is a data file/ });
    await assert.rejects(table.addDeleteFiles([file(`${table.location}/data/y.parquet`, 2, {}, { equalityIds: [] })]), {
      code: 'OP_LAKE_INVALID_ARGUMENT',
      message: /names no equality ids/,
    });
  });

  it('a table whose metadata holds what OrderPulse does not write back is read-only: commits and orphan removal refuse', async () => {
    const table = await lake.createTable('silver.with_statistics', { columns: [...columns] });
    await table.append(rows(0, 3));
    // Table statistics, as another engine records them: a commit by OrderPulse would drop them.
    const local = toLocalPath(table.metadataLocation);
    const doc = JSON.parse(readFileSync(local, 'utf8')) as Record<string, unknown>;
    doc['statistics'] = [{ 'snapshot-id': doc['current-snapshot-id'], 'statistics-path': `${table.location}/metadata/stats.puffin`, 'file-size-in-bytes': 10, 'file-footer-size-in-bytes': 5, 'blob-metadata': [] }];
    writeFileSync(local, JSON.stringify(doc));
    const reopened = await Lake.open({ catalogUri: join(dir.path, 'catalog.db'), warehouse: join(dir.path, 'warehouse'), tempDir: join(dir.path, 'tmp2') });
    try {
      const t = await reopened.table('silver.with_statistics');
      const refused = { code: 'OP_LAKE_UNSUPPORTED', message: /silver\.with_statistics is read-only to OrderPulse: its metadata holds "statistics"/ };
      await assert.rejects(t.append(rows(3, 1)), refused);
      await assert.rejects(t.compact(), refused);
      await assert.rejects(t.expireSnapshots({ olderThanMs: Date.now() }), refused);
      await assert.rejects(t.removeOrphanFiles({ olderThanMs: Date.now() + 60_000 }), refused);
      assert.equal(t.metadataLocation, table.metadataLocation);
      assert.deepEqual(await ids(t), [0, 1, 2]);
    } finally {
      await reopened.close();
    }
  });

  it('snapshot expiry and orphan removal keep the delete files a live snapshot needs', async () => {
    const table = await lake.createTable('silver.kept', { columns: [...columns] });
    await table.append(rows(0, 5));
    const deletes = await writer.names(table, ['n0']);
    await table.addDeleteFiles([deletes]);
    await table.expireSnapshots({ olderThanMs: Date.now() + 60_000, retainLast: 1 });
    await table.removeOrphanFiles({ olderThanMs: Date.now() + 60_000 });
    assert.ok(existsSync(toLocalPath(deletes.filePath)));
    assert.deepEqual(await ids(table), rows(0, 5).filter((r) => r.name !== 'n0').map((r) => Number(r.id)));
  });
});
