import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../testing/fixtures.js';
import { Lake, LakeError } from './index.js';

describe('IcebergTable.replaceWithQuery', () => {
  const dir = tempDir();
  let lake: Lake;
  before(async () => {
    lake = await Lake.open({ catalogUri: join(dir.path, 'catalog.db'), warehouse: join(dir.path, 'warehouse'), tempDir: join(dir.path, 'tmp') });
    const items = await lake.createTable('silver.items', {
      columns: [
        { name: 'order_id', type: 'string', required: true },
        { name: 'price_cents', type: 'long', required: true },
      ],
    });
    await items.append([
      { order_id: 'a', price_cents: 100 },
      { order_id: 'a', price_cents: 250 },
      { order_id: 'b', price_cents: 999 },
      { order_id: "x' OR 1=1 --", price_cents: 1 },
    ]);
    await lake.createTable('gold.totals', {
      columns: [
        { name: 'order_id', type: 'string', required: true },
        { name: 'total_cents', type: 'long', required: true },
      ],
    });
  });
  after(async () => {
    await lake.close();
    dir.remove();
  });

  const source = async (sql: string, params?: readonly (string | number)[]) => ({
    tables: { items: await (await (await lake.table('silver.items')).scan()).view() },
    sql,
    ...(params === undefined ? {} : { params }),
  });
  const totals = async () => (await (await (await lake.table('gold.totals')).scan()).query('SELECT order_id, total_cents FROM t ORDER BY order_id')).rows.map((r) => [r.order_id, Number(r.total_cents)]);

  it('replaces every row with the query result, in one snapshot carrying the summary', async () => {
    const table = await lake.table('gold.totals');
    const result = await table.replaceWithQuery(await source('SELECT order_id, sum(price_cents) AS total_cents FROM items WHERE price_cents >= $1 GROUP BY 1', [100]), {
      summary: { 'orderpulse.test': 'one' },
    });
    assert.equal(result.operation, 'overwrite');
    assert.deepEqual(await totals(), [['a', 350], ['b', 999]]);
    assert.equal(table.lastSummaryValue('orderpulse.test'), 'one');
    // A second replace drops the first result entirely.
    await table.replaceWithQuery(await source('SELECT order_id, max(price_cents) AS total_cents FROM items WHERE order_id = $1 GROUP BY 1', ['b']));
    assert.deepEqual(await totals(), [['b', 999]]);
  });

  it('takes values as bound parameters: a value made of SQL matches only itself', async () => {
    const table = await lake.table('gold.totals');
    await table.replaceWithQuery(await source('SELECT order_id, price_cents AS total_cents FROM items WHERE order_id = $1', ["x' OR 1=1 --"]));
    assert.deepEqual(await totals(), [["x' OR 1=1 --", 1]]);
  });

  it('refuses a null in a required column and leaves the table as it was', async () => {
    const table = await lake.table('gold.totals');
    const before = table.currentSnapshot()?.['snapshot-id'];
    await assert.rejects(
      table.replaceWithQuery(await source('SELECT order_id, NULL AS total_cents FROM items')),
      (e: unknown) => e instanceof LakeError && e.code === 'OP_LAKE_SCHEMA_MISMATCH' && /total_cents/.test(e.message),
    );
    await table.refresh();
    assert.equal(table.currentSnapshot()?.['snapshot-id'], before);
  });

  it('refuses a write query, and a partitioned target', async () => {
    const table = await lake.table('gold.totals');
    await assert.rejects(table.replaceWithQuery(await source('DELETE FROM items')), (e: unknown) => e instanceof LakeError && e.code === 'OP_LAKE_INVALID_ARGUMENT');
    const parted = await lake.createTable('gold.parted', {
      columns: [{ name: 'order_id', type: 'string', required: true }],
      partitionBy: [{ source: 'order_id', transform: 'identity' }],
    });
    await assert.rejects(parted.replaceWithQuery(await source('SELECT order_id FROM items')), (e: unknown) => e instanceof LakeError && /partitioned/.test(e.message));
  });

  it('an empty result leaves the table empty', async () => {
    const table = await lake.table('gold.totals');
    await table.replaceWithQuery(await source('SELECT order_id, price_cents AS total_cents FROM items WHERE false'));
    assert.deepEqual(await totals(), []);
  });
});
