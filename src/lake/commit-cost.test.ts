/**
 * The cost of a commit stays flat as a table's history grows: an append opens no manifest of the
 * table (the new manifest list reuses the previous one's entries, counts and all), small manifests
 * are merged as Iceberg's merge-append merges them, and expiry never loses a writer's progress.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../testing/fixtures.js';
import type { FileIO, FileInfo, Row } from './index.js';
import { IcebergTable, Lake, parseTableName } from './index.js';
import { readManifest } from './manifest.js';
import { readManifestList } from './manifest-list.js';
import type { ManifestFile } from './types.js';

const columns = [
  { name: 'event_id', type: 'long', required: true },
  { name: 'order_id', type: 'string', required: true },
  { name: 'event_time', type: 'timestamptz', required: true },
] as const;

const rows = (from: number, count: number): Row[] =>
  Array.from({ length: count }, (_, k) => ({ event_id: from + k, order_id: `order-${(from + k) % 7}`, event_time: Date.UTC(2018, 4, 1 + ((from + k) % 3)) }));

/** A FileIO that records every location read. */
class CountingFileIO implements FileIO {
  readonly reads: string[] = [];
  /** Runs before each write (a test's way to put another writer's commit inside an attempt). */
  beforeWrite: (location: string) => Promise<void> = () => Promise.resolve();
  constructor(private readonly inner: FileIO) {}
  get scheme(): string {
    return this.inner.scheme;
  }
  read(location: string): Promise<Uint8Array> {
    this.reads.push(location);
    return this.inner.read(location);
  }
  async write(location: string, bytes: Uint8Array, options?: { readonly overwrite?: boolean }): Promise<void> {
    await this.beforeWrite(location);
    return this.inner.write(location, bytes, options);
  }
  exists(location: string): Promise<boolean> {
    return this.inner.exists(location);
  }
  size(location: string): Promise<number> {
    return this.inner.size(location);
  }
  delete(location: string): Promise<void> {
    return this.inner.delete(location);
  }
  list(prefix: string): AsyncIterable<FileInfo> {
    return this.inner.list(prefix);
  }
  localPath(location: string): Promise<string> {
    return this.inner.localPath(location);
  }
  upload(localPath: string, location: string): Promise<void> {
    return this.inner.upload(localPath, location);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('constant cost per commit', () => {
  const dir = tempDir();
  let lake: Lake;
  before(async () => {
    lake = await Lake.open({ catalogUri: join(dir.path, 'catalog.db'), warehouse: join(dir.path, 'warehouse'), tempDir: join(dir.path, 'tmp') });
  });
  after(async () => {
    await lake?.close();
    dir.remove();
  });

  async function manifestsOf(table: IcebergTable): Promise<readonly ManifestFile[]> {
    const snapshot = table.currentSnapshot();
    assert.ok(snapshot);
    return readManifestList(await lake.io.read(snapshot['manifest-list']), snapshot['manifest-list']);
  }

  /** The table opened over a FileIO that records reads, nothing cached. */
  async function counted(name: string): Promise<{ table: IcebergTable; io: CountingFileIO }> {
    const io = new CountingFileIO(lake.io);
    const plain = await lake.table(name);
    const table = new IcebergTable(
      { catalog: lake.catalog, io, engine: lake.engine, tempDir: join(dir.path, 'tmp'), now: Date.now },
      parseTableName(name),
      plain.metadataLocation,
      plain.metadata,
    );
    return { table, io };
  }

  it('an append opens no manifest of the table, and the list carries the old manifests with their counts', async () => {
    const created = await lake.createTable('bronze.fast', { columns: [...columns], partitionBy: [{ source: 'event_time', transform: 'day' }] });
    for (let i = 0; i < 5; i++) await created.append(rows(i * 10, 10));
    const { table, io } = await counted('bronze.fast');
    const before = await manifestsOf(table);
    assert.equal(before.length, 5);

    await table.append(rows(50, 10));
    const manifestReads = io.reads.filter((l) => before.some((m) => m.manifestPath === l));
    assert.deepEqual(manifestReads, [], 'no old manifest was opened');
    // What it read: the parent's manifest list, nothing else of the table's metadata tree.
    assert.deepEqual(io.reads, [created.currentSnapshot()?.['manifest-list']]);

    const now = await manifestsOf(table);
    assert.equal(now.length, 6);
    assert.deepEqual(now.slice(1), before, 'the previous manifests, entry for entry (paths, sequence numbers, counts)');
    assert.equal(now[0]?.addedFilesCount, 3); // 10 rows over 3 days: one file per day partition
    assert.equal(now[0]?.addedRowsCount, 10);
    assert.equal((await table.scan()).recordCount, 60);
  });

  it('an append after the table\'s own commit reads nothing: the list it wrote is the next parent', async () => {
    await lake.createTable('bronze.own_parent', { columns: [...columns] });
    const { table, io } = await counted('bronze.own_parent');
    await table.append(rows(0, 10));
    await table.append(rows(10, 10));
    await table.append(rows(20, 10));
    assert.deepEqual(io.reads, [], 'no manifest list or manifest was read back');
    // What the cache stood in for: the list on disk, as a fresh reader sees it.
    const fresh = await lake.table('bronze.own_parent');
    assert.equal((await fresh.scan()).recordCount, 30);
    assert.equal((await manifestsOf(fresh)).length, 3);
  });

  it('merges small manifests once there are min-count-to-merge, keeping each file\'s snapshot and sequence numbers', async () => {
    const table = await lake.createTable('bronze.merged', {
      columns: [...columns],
      properties: { 'commit.manifest.min-count-to-merge': '4' },
    });
    for (let i = 0; i < 3; i++) await table.append(rows(i * 10, 10));
    const appends = table.snapshots().map((s) => ({ id: s['snapshot-id'], seq: s['sequence-number'] }));
    assert.equal((await manifestsOf(table)).length, 3, 'under the minimum count: not merged');

    await table.append(rows(30, 10)); // the fourth manifest: the bin reaches 4 and is merged
    const merged = await manifestsOf(table);
    assert.equal(merged.length, 1);
    const m = merged[0] as ManifestFile;
    const current = table.currentSnapshot();
    assert.deepEqual(
      { added: m.addedFilesCount, existing: m.existingFilesCount, deleted: m.deletedFilesCount, addedRows: m.addedRowsCount, existingRows: m.existingRowsCount },
      { added: 1, existing: 3, deleted: 0, addedRows: 10, existingRows: 30 },
    );
    assert.equal(m.addedSnapshotId, current?.['snapshot-id']);
    assert.equal(m.sequenceNumber, 4);
    assert.equal(m.minSequenceNumber, 1, 'the oldest file it holds was added at sequence number 1');

    const entries = readManifest(await lake.io.read(m.manifestPath), m.manifestPath);
    const bySnapshot = entries.map((e) => [e.status, e.snapshotId, e.sequenceNumber, e.fileSequenceNumber]);
    assert.deepEqual(bySnapshot, [
      [1, current?.['snapshot-id'], null, null], // this commit's file: added, its numbers inherited
      ...[...appends].reverse().map((a) => [0, a.id, a.seq, a.seq]), // earlier files, newest first as listed: existing, with the numbers they had
    ]);
    assert.equal((await table.scan()).recordCount, 40);
    const back = await table.scan({ snapshotId: appends[1]?.id });
    assert.equal(back.recordCount, 20, 'older snapshots read as before');

    // Below the minimum again: new manifests stay beside the merged one until the bin fills.
    await table.append(rows(40, 10));
    assert.equal((await manifestsOf(table)).length, 2);
  });

  it('merges an overwrite\'s rewritten manifest with its DELETED entry, which the next merge drops', async () => {
    const table = await lake.createTable('bronze.rewritten', { columns: [...columns], properties: { 'commit.manifest.min-count-to-merge': '2' } });
    await table.append(rows(0, 7)); // order-0 .. order-6, one file
    await table.append(rows(100, 7));
    assert.equal((await manifestsOf(table)).length, 1);
    await table.overwrite([], { filter: [{ column: 'event_id', op: '<', value: 100 }] });
    const overwrite = table.currentSnapshot();
    const [m] = await manifestsOf(table);
    assert.ok(m);
    assert.deepEqual([m.existingFilesCount, m.deletedFilesCount, m.deletedRowsCount], [1, 1, 7]);
    const entries = readManifest(await lake.io.read(m.manifestPath), m.manifestPath);
    const deleted = entries.find((e) => e.status === 2);
    assert.equal(deleted?.snapshotId, overwrite?.['snapshot-id']);
    assert.equal(deleted?.sequenceNumber, 1);
    assert.equal(await (await table.scan()).liveRecordCount(), 7);

    await table.append(rows(200, 7)); // merges again: the DELETED entry of the overwrite is dropped
    const [again] = await manifestsOf(table);
    assert.deepEqual([again?.addedFilesCount, again?.existingFilesCount, again?.deletedFilesCount], [1, 1, 0]);
    assert.equal((await table.scan()).recordCount, 14);
  });

  it('an incremental read finds the files appended since a snapshot after their manifests were merged', async () => {
    const table = await lake.createTable('bronze.incremental', { columns: [...columns], properties: { 'commit.manifest.min-count-to-merge': '3' } });
    for (let i = 0; i < 7; i++) await table.append(rows(i * 10, 10));
    assert.ok((await manifestsOf(table)).some((m) => m.existingFilesCount > 0), 'merged');
    for (const since of [0, 1, 3, 5]) {
      const sinceId = table.snapshots()[since]?.['snapshot-id'];
      const ids = (await (await table.scan({ sinceSnapshotId: sinceId })).rows()).map((r) => Number(r.event_id)).sort((a, b) => a - b);
      // By hand: the appends after snapshot `since` wrote ids from (since + 1) * 10 to 69.
      assert.deepEqual(ids, Array.from({ length: 70 - (since + 1) * 10 }, (_, k) => (since + 1) * 10 + k), `since snapshot ${since}`);
    }
  });

  it('with write.metadata.delete-after-commit.enabled, keeps only the metadata files of the log', async () => {
    const table = await lake.createTable('bronze.few_metadata_files', {
      columns: [...columns],
      properties: { 'write.metadata.delete-after-commit.enabled': 'true', 'write.metadata.previous-versions-max': '3' },
    });
    for (let i = 0; i < 8; i++) await table.append(rows(i, 1));
    const { readdirSync } = await import('node:fs');
    const files = readdirSync(join(table.location, 'metadata')).filter((f) => f.endsWith('.metadata.json')).sort();
    // By hand: versions 0..8 were written; the log keeps the 3 before the current one.
    assert.deepEqual(files.map((f) => Number(f.slice(0, 5))), [5, 6, 7, 8]);
    assert.equal((await table.scan()).recordCount, 8);
  });

  it('does not merge when commit.manifest-merge.enabled is false', async () => {
    const table = await lake.createTable('bronze.unmerged', {
      columns: [...columns],
      properties: { 'commit.manifest-merge.enabled': 'false', 'commit.manifest.min-count-to-merge': '2' },
    });
    for (let i = 0; i < 4; i++) await table.append(rows(i * 10, 10));
    assert.equal((await manifestsOf(table)).length, 4);
  });

  it('a bad commit.manifest property refuses the commit, naming the table and the property', async () => {
    const table = await lake.createTable('bronze.badprop', { columns: [...columns], properties: { 'commit.manifest.target-size-bytes': 'huge' } });
    await assert.rejects(table.append(rows(0, 1)), /bronze\.badprop.*commit\.manifest\.target-size-bytes/);
    assert.equal(table.snapshots().length, 0);
  });

  it('expiry of an append-only table opens no manifest, and leaves no file unreferenced', async () => {
    const created = await lake.createTable('bronze.expiring', { columns: [...columns], properties: { 'commit.manifest.min-count-to-merge': '3' } });
    for (let i = 0; i < 8; i++) await created.append(rows(i * 10, 10));
    const { table, io } = await counted('bronze.expiring');
    const result = await table.expireSnapshots({ olderThanMs: Date.now() + 60_000, retainLast: 2 });
    assert.equal(result.expiredSnapshots, 6);
    assert.ok(result.deletedFiles > 6, `manifest lists and merged-away manifests deleted (${result.deletedFiles})`);
    assert.deepEqual(io.reads.filter((l) => !l.includes('/snap-')), [], 'only manifest lists were read');
    assert.deepEqual(await table.removeOrphanFiles({ olderThanMs: Date.now() + 60_000, dryRun: true }), []);
    assert.equal((await table.scan()).recordCount, 80);
  });

  it('expiry deletes the files that overwrites and compactions removed, once no kept snapshot reads them', async () => {
    const table = await lake.createTable('bronze.churn', { columns: [...columns], properties: { 'commit.manifest.min-count-to-merge': '3' } });
    const live = new Set<number>();
    const add = async (from: number): Promise<void> => {
      await table.append(rows(from, 10));
      for (let i = from; i < from + 10; i++) live.add(i);
    };
    for (let round = 0; round < 4; round++) {
      await add(round * 100);
      await add(round * 100 + 10);
      await table.overwrite([], { filter: [{ column: 'event_id', op: '<', value: round * 100 + 5 }] });
      for (const id of [...live]) if (id < round * 100 + 5) live.delete(id);
      if (round % 2 === 1) await table.compact({ targetRows: 1_000 });
      const before = table.snapshots().length;
      const result = await table.expireSnapshots({ olderThanMs: Date.now() + 60_000, retainLast: 2 });
      assert.equal(result.expiredSnapshots, before - 2);
      assert.deepEqual(await table.removeOrphanFiles({ olderThanMs: Date.now() + 60_000, dryRun: true }), [], `round ${round}: nothing left unreferenced`);
      const ids = (await (await table.scan()).rows()).map((r) => Number(r.event_id)).sort((a, b) => a - b);
      assert.deepEqual(ids, [...live].sort((a, b) => a - b), `round ${round}: every live row still read`);
    }
  });

  it('expiry keeps the newest orderpulse.* summary values, carrying them onto a snapshot that changes no data', async () => {
    const table = await lake.createTable('bronze.progress', { columns: [...columns] });
    await table.append(rows(0, 5), { summary: { 'orderpulse.log-offsets.task-0': '{"orders/0":5}' } });
    await table.append(rows(5, 5), { summary: { 'orderpulse.log-offsets.task-1': '{"orders/1":5}' } });
    await table.append(rows(10, 5), { summary: { 'orderpulse.log-offsets.task-1': '{"orders/1":10}' } });
    const result = await table.expireSnapshots({ olderThanMs: Date.now() + 60_000, retainLast: 1 });
    assert.equal(result.expiredSnapshots, 3);
    assert.equal(table.snapshots().length, 1);
    assert.equal(table.currentSnapshot()?.summary.operation, 'replace');
    assert.equal(table.lastSummaryValue('orderpulse.log-offsets.task-0'), '{"orders/0":5}');
    assert.equal(table.lastSummaryValue('orderpulse.log-offsets.task-1'), '{"orders/1":10}');
    assert.equal((await table.scan()).recordCount, 15);
    // Nothing old enough to expire: no commit at all.
    const location = table.metadataLocation;
    assert.deepEqual(await table.expireSnapshots({ olderThanMs: 0, retainLast: 1 }), { expiredSnapshots: 0, deletedFiles: 0 });
    assert.equal(table.metadataLocation, location);
  });

  it('the snapshot expiry adds to carry progress restates the values of the base it lands on, not older ones', async () => {
    const created = await lake.createTable('bronze.raced', { columns: [...columns] });
    const key = 'orderpulse.stream-position.task-1';
    await created.append(rows(0, 1), { summary: { [key]: 'seq 1' } });
    await created.append(rows(1, 1));
    const { table, io } = await counted('bronze.raced');
    const other = await lake.table('bronze.raced');
    let raced = false;
    io.beforeWrite = async (location) => {
      // Inside the carrying commit's first attempt, another writer moves the task on.
      if (raced || !location.includes('/snap-')) return;
      raced = true;
      await other.append(rows(2, 1), { summary: { [key]: 'seq 3' }, expect: { [key]: 'seq 1' } });
    };
    await table.expireSnapshots({ olderThanMs: Date.now() + 60_000, retainLast: 1 });
    assert.ok(raced);
    await table.refresh();
    assert.equal(table.lastSummaryValue(key), 'seq 3');
    // The other writer goes on: its condition still holds.
    await other.append(rows(3, 1), { summary: { [key]: 'seq 4' }, expect: { [key]: 'seq 3' } });
    assert.equal((await table.scan()).recordCount, 4);
  });
});
