import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../testing/fixtures.js';
import { renumberSnapshots } from '../testing/renumber-snapshots.js';
import { Lake } from './index.js';

// Ids another engine could have drawn: above 2^53, and both rounding to the same double
// (8799175032378937344), so a model of numbers cannot tell them apart.
const FIRST = '8799175032378937616';
const SECOND = '8799175032378937617';

describe('snapshot ids beyond 2^53 in a table', () => {
  const dir = tempDir();
  let lake: Lake;
  before(async () => {
    lake = await Lake.open({ catalogUri: join(dir.path, 'catalog.db'), warehouse: join(dir.path, 'warehouse'), tempDir: join(dir.path, 'tmp') });
    const table = await lake.createTable('bronze.events', { columns: [{ name: 'event_id', type: 'long', required: true }] });
    await table.append([{ event_id: 1 }, { event_id: 2 }]);
    await table.append([{ event_id: 3 }]);
    await renumberSnapshots(lake, 'bronze.events', [FIRST, SECOND]);
  });
  after(async () => {
    await lake.close();
    dir.remove();
  });

  it('reads them exactly, parent included', async () => {
    const table = await lake.table('bronze.events');
    assert.deepEqual(
      table.snapshots().map((s) => [String(s['snapshot-id']), s['parent-snapshot-id'] === undefined ? null : String(s['parent-snapshot-id'])]),
      [
        [FIRST, null],
        [SECOND, FIRST],
      ],
    );
    assert.equal(String(table.currentSnapshot()?.['snapshot-id']), SECOND);
  });

  it('scans each of them by id', async () => {
    const table = await lake.table('bronze.events');
    const ids = async (snapshotId: bigint): Promise<unknown[]> =>
      (await (await table.scan({ snapshotId })).query('SELECT event_id FROM t ORDER BY event_id')).rows.map((r) => r.event_id);
    assert.deepEqual(await ids(8799175032378937616n), [1, 2]);
    assert.deepEqual(await ids(8799175032378937617n), [1, 2, 3]);
    assert.equal((await table.scan({ snapshotId: 8799175032378937617n })).snapshotId, 8799175032378937617n);
  });

  it('commits on top with the parent written exactly', async () => {
    const table = await lake.table('bronze.events');
    const result = await table.append([{ event_id: 4 }]);
    const reread = await lake.table('bronze.events');
    const last = reread.snapshots().at(-1);
    assert.equal(last?.['snapshot-id'], result.snapshotId);
    assert.equal(String(last?.['parent-snapshot-id']), SECOND);
    assert.deepEqual(
      reread.snapshots().map((s) => String(s['snapshot-id'])).slice(0, 2),
      [FIRST, SECOND],
    );
  });
});
