import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ColumnDefinition } from '../lake/index.js';
import { Lake } from '../lake/index.js';
import { tempDir } from '../testing/fixtures.js';
import type { TableState } from './source.js';
import { LakeSource } from './source.js';

// The read model's view of the lake between calls: table states that follow commits, and answers
// computed once per question and set of snapshots.

const COLUMNS: readonly ColumnDefinition[] = [
  { name: 'id', type: 'long', required: true },
  { name: 'note', type: 'string' },
];

describe('LakeSource', () => {
  const dir = tempDir();
  let lake: Lake;

  before(async () => {
    lake = await Lake.open({ catalogUri: join(dir.path, 'catalog.db'), warehouse: join(dir.path, 'warehouse'), tempDir: join(dir.path, 'tmp') });
  });
  after(async () => {
    await lake.close();
    dir.remove();
  });

  async function count(source: LakeSource, state: TableState): Promise<number> {
    const { rows } = await source.lake.query({ t: state.view }, 'SELECT count(*) AS n FROM t');
    return Number(rows[0]?.n);
  }

  it('follows each commit: the new snapshot, all its files, and summaries as of the state it was read in', async () => {
    const source = new LakeSource(lake, { refreshMs: 0 });
    const missing = await source.table('test.follows', COLUMNS);
    assert.equal(missing.exists, false);
    assert.equal(await count(source, missing), 0);

    const table = await lake.createTable('test.follows', { columns: COLUMNS });
    await table.append([{ id: 1, note: 'a' }, { id: 2, note: 'b' }], { summary: { 'orderpulse.test.mark': 'first', 'orderpulse.test.once': 'only-here' } });
    const first = await source.table('test.follows', COLUMNS);
    assert.equal(first.exists, true);
    assert.equal(first.snapshots.length, 1);
    assert.equal(await count(source, first), 2);
    assert.equal(first.lastSummaryValue('orderpulse.test.mark'), 'first');

    // Several commits, each seen by the same source: every state holds every file written so far.
    for (let i = 0; i < 5; i++) {
      await table.append([{ id: 10 + i, note: null }], { summary: { 'orderpulse.test.mark': `after-${i}` } });
      const state = await source.table('test.follows', COLUMNS);
      assert.equal(state.snapshots.length, 2 + i);
      assert.equal(await count(source, state), 3 + i);
      assert.equal(state.lastSummaryValue('orderpulse.test.mark'), `after-${i}`);
      // Set only by the first commit: found along the ancestry.
      assert.equal(state.lastSummaryValue('orderpulse.test.once'), 'only-here');
      assert.equal(state.lastSummaryValue('orderpulse.test.never'), null);
    }
    const last = await source.table('test.follows', COLUMNS);
    assert.equal(last.snapshotId, String(table.currentSnapshot()?.['snapshot-id']));

    // The first state is what it was when read, though the table has moved on since.
    assert.equal(first.snapshots.length, 1);
    assert.equal(first.lastSummaryValue('orderpulse.test.mark'), 'first');
    assert.equal(await count(source, first), 2);
  });

  it('a state checked less than refreshMs ago is served without asking the catalog', async () => {
    let now = 0;
    const source = new LakeSource(lake, { refreshMs: 1_000, serveStaleMs: 0, now: () => now });
    const table = await lake.createTable('test.refresh', { columns: COLUMNS });
    await table.append([{ id: 1, note: null }]);
    const first = await source.table('test.refresh', COLUMNS);
    await table.append([{ id: 2, note: null }]);
    now = 999;
    assert.equal((await source.table('test.refresh', COLUMNS)).snapshotId, first.snapshotId);
    now = 1_000;
    const second = await source.table('test.refresh', COLUMNS);
    assert.notEqual(second.snapshotId, first.snapshotId);
    assert.equal(await count(source, second), 2);
  });

  it('lists the tables again only after refreshMs', async () => {
    let now = 0;
    const source = new LakeSource(lake, { refreshMs: 1_000, now: () => now });
    const before = await source.tableNames();
    await lake.createTable('test.listed', { columns: COLUMNS });
    now = 999;
    assert.deepEqual(await source.tableNames(), before);
    now = 1_000;
    const names = await source.tableNames();
    assert.ok(names.includes('test.listed'));
    assert.ok(!before.includes('test.listed'));
  });

  it('computes an answer once for callers asking at the same time, and again on new snapshots', async () => {
    const source = new LakeSource(lake, { refreshMs: 0 });
    const table = await lake.createTable('test.memo', { columns: COLUMNS });
    await table.append([{ id: 1, note: null }]);
    let computed = 0;
    let release: () => void = () => undefined;
    const compute = async (): Promise<number> => {
      computed++;
      await new Promise<void>((resolve) => (release = resolve));
      return computed;
    };
    const state = await source.table('test.memo', COLUMNS);
    // Ten callers while the first computation is under way: one computation, one answer for all.
    const answers = Array.from({ length: 10 }, () => source.memo('q', [state], compute));
    assert.equal(computed, 1);
    release();
    assert.deepEqual(await Promise.all(answers), Array(10).fill(1));
    // Asked again on the same snapshots: the kept answer.
    assert.equal(await source.memo('q', [state], compute), 1);
    assert.equal(computed, 1);
    // A new snapshot: a new computation (without serveStaleMs, the caller waits for it).
    await table.append([{ id: 2, note: null }]);
    const newer = await source.table('test.memo', COLUMNS);
    const again = source.memo('q', [newer], compute);
    assert.equal(computed, 2);
    release();
    assert.equal(await again, 2);
  });
});
