import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Lake } from '../lake/index.js';
import { DeleteWriter } from '../testing/delete-files.js';
import { tempDir } from '../testing/fixtures.js';
import type { CliRun } from './run-for-test.js';
import { runCli } from './run-for-test.js';

/** `tables` and `maintain` on a catalog that holds tables with row-level deletes, as another engine leaves them. */
describe('orderpulse tables and maintain on tables with delete files', () => {
  const dir = tempDir();
  const catalog = join(dir.path, 'catalog.db');
  const warehouse = join(dir.path, 'warehouse');
  const run = (args: string[]): Promise<CliRun> => runCli(['--state', join(dir.path, 'state'), '--catalog', catalog, '--warehouse', warehouse, ...args], { cwd: dir.path });

  before(async () => {
    const lake = await Lake.open({ catalogUri: catalog, warehouse, tempDir: join(dir.path, 'tmp') });
    const writer = await DeleteWriter.open();
    try {
      const orders = await lake.createTable('silver.shared_orders', {
        columns: [
          { name: 'id', type: 'long', required: true },
          { name: 'name', type: 'string' },
        ],
      });
      await orders.append([0, 1, 2, 3, 4].map((id) => ({ id, name: `n${id % 2}` })));
      await orders.append([5, 6, 7].map((id) => ({ id, name: `n${id % 2}` })));
      const first = (await orders.scan()).files.find((f) => f.recordCount === 5);
      assert.ok(first !== undefined);
      // Positions 0 and 2 of the first file (ids 0 and 2), and every 'n1' row (ids 1, 3, 5, 7).
      await orders.addDeleteFiles([await writer.positions(orders, [[first.filePath, 0], [first.filePath, 2]]), await writer.names(orders, ['n1'])]);
      await lake.createTable('silver.hashes', { columns: [{ name: 'id', type: 'long', required: true }, { name: 'hash', type: 'fixed[16]' }] });
    } finally {
      writer.close();
      await lake.close();
    }
  });
  after(() => dir.remove());

  it('tables reports live rows and the delete files; maintain applies them and skips what it cannot rewrite, saying why', async () => {
    const live = [4, 6];
    const tablesBefore = await run(['tables', '--json']);
    assert.equal(tablesBefore.code, 0, tablesBefore.err);
    const before = (JSON.parse(tablesBefore.out) as { tables: { table: string; rows: number; deleteFiles: number; positionDeletes: number; equalityDeletes: number }[] }).tables;
    const orders = before.find((t) => t.table === 'silver.shared_orders');
    assert.ok(orders !== undefined);
    assert.deepEqual({ rows: orders.rows, deleteFiles: orders.deleteFiles, positionDeletes: orders.positionDeletes, equalityDeletes: orders.equalityDeletes }, {
      rows: live.length,
      deleteFiles: 2,
      positionDeletes: 2,
      equalityDeletes: 1,
    });

    const idsOf = async (): Promise<number[]> => {
      const q = await run(['query', 'SELECT id FROM silver_shared_orders ORDER BY id', '--json']);
      assert.equal(q.code, 0, q.err);
      return (JSON.parse(q.out) as { rows: { id: number }[] }).rows.map((r) => Number(r.id));
    };
    assert.deepEqual(await idsOf(), live);

    const maintain = await run(['maintain', '--json']);
    assert.equal(maintain.code, 0, maintain.err);
    assert.match(maintain.err, /compaction skipped: silver\.hashes was left as it is: column hash has the type fixed\[16\]/);
    const report = (JSON.parse(maintain.out) as { tables: { table: string; compactedFiles: number; skipped: string[] }[] }).tables;
    assert.equal(report.find((t) => t.table === 'silver.shared_orders')?.compactedFiles, 2);
    assert.deepEqual(report.find((t) => t.table === 'silver.shared_orders')?.skipped, []);
    assert.match(report.find((t) => t.table === 'silver.hashes')?.skipped.join('\n') ?? '', /^compaction: .*fixed\[16\]/);

    const tablesAfter = (JSON.parse((await run(['tables', '--json'])).out) as { tables: { table: string; rows: number; files: number; deleteFiles: number }[] }).tables;
    const after = tablesAfter.find((t) => t.table === 'silver.shared_orders');
    assert.deepEqual({ rows: after?.rows, files: after?.files, deleteFiles: after?.deleteFiles }, { rows: live.length, files: 1, deleteFiles: 0 });
    assert.deepEqual(await idsOf(), live);
  });
});
