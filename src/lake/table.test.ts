import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../testing/fixtures.js';
import type { Row } from './index.js';
import type { Catalog } from './index.js';
import { IcebergTable, Lake, LakeError } from './index.js';
import { deserializeValue } from './bounds.js';

const columns = [
  { name: 'event_id', type: 'long', required: true },
  { name: 'order_id', type: 'string', required: true },
  { name: 'event_time', type: 'timestamptz', required: true },
  { name: 'value', type: 'double' },
] as const;

function events(from: number, count: number, dayOffset = 0): Row[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return {
      event_id: i,
      order_id: `order-${i % 50}`,
      event_time: Date.UTC(2018, 0, 1 + dayOffset + (i % 3), 12, 0, 0),
      value: i * 0.5,
    };
  });
}

async function count(table: IcebergTable, options: Parameters<IcebergTable['scan']>[0] = {}): Promise<number> {
  const scan = await table.scan(options);
  const result = await scan.query('SELECT count(*) AS n FROM t');
  return Number(result.rows[0]?.n);
}

describe('Iceberg tables on the local filesystem with the SQLite catalog', () => {
  const dir = tempDir();
  let lake: Lake;
  before(async () => {
    lake = await Lake.open({ catalogUri: join(dir.path, 'catalog.db'), warehouse: join(dir.path, 'warehouse'), tempDir: join(dir.path, 'tmp') });
  });
  after(async () => {
    await lake.close();
    dir.remove();
  });

  it('appends, records summary properties, and reads back every row', async () => {
    const table = await lake.createTable('bronze.events', { columns: [...columns], partitionBy: [{ source: 'event_time', transform: 'day' }] });
    const first = await table.append(events(0, 300), { summary: { 'orderpulse.offsets': '{"orders/0":300}' } });
    assert.equal(first.operation, 'append');
    assert.equal(first.addedRecords, 300);
    assert.equal(first.addedFiles, 3, 'one file per day partition');
    await table.append(events(300, 200));
    assert.equal(await count(table), 500);
    assert.equal(table.snapshots().length, 2);
    assert.equal(table.currentSnapshot()?.summary['total-records'], '500');
    assert.equal(table.lastSummaryValue('orderpulse.offsets'), '{"orders/0":300}');
    const sum = await (await table.scan()).query('SELECT sum(event_id) AS s FROM t');
    assert.equal(Number(sum.rows[0]?.s), (499 * 500) / 2);
  });

  it('travels in time by snapshot id and by timestamp, and reads incrementally', async () => {
    const table = await lake.table('bronze.events');
    const [s1, s2] = table.snapshots();
    assert.ok(s1 !== undefined && s2 !== undefined);
    assert.equal(await count(table, { snapshotId: s1['snapshot-id'] }), 300);
    assert.equal(await count(table, { asOfTimestampMs: s1['timestamp-ms'] }), s1['timestamp-ms'] === s2['timestamp-ms'] ? 500 : 300);
    const incremental = await table.scan({ sinceSnapshotId: s1['snapshot-id'] });
    assert.equal(incremental.recordCount, 200);
    await assert.rejects(table.scan({ snapshotId: 42n }), { code: 'OP_LAKE_NO_SUCH_SNAPSHOT' });
  });

  it('overwrites by a filter, rewriting files that only partly match', async () => {
    const table = await lake.table('bronze.events');
    const result = await table.overwrite(events(10_000, 10), { filter: [{ column: 'order_id', op: '=', value: 'order-7' }] });
    assert.equal(result.operation, 'overwrite');
    const scan = await table.scan();
    const rows = await scan.query("SELECT count(*) AS n, count(*) FILTER (WHERE order_id = 'order-7') AS seven FROM t");
    assert.equal(Number(rows.rows[0]?.seven), events(10_000, 10).filter((r) => r.order_id === 'order-7').length);
    assert.equal(Number(rows.rows[0]?.n), 500 - 10 + 10);
  });

  it('replaces whole partitions', async () => {
    const table = await lake.createTable('gold.daily', {
      columns: [
        { name: 'day', type: 'date', required: true },
        { name: 'orders', type: 'long' },
      ],
      partitionBy: [{ source: 'day', transform: 'identity' }],
    });
    await table.append([
      { day: '2018-01-01', orders: 1 },
      { day: '2018-01-02', orders: 2 },
    ]);
    await table.replacePartitions([{ day: '2018-01-02', orders: 20 }]);
    const result = await (await table.scan()).query('SELECT day, orders FROM t ORDER BY day');
    assert.deepEqual(result.rows, [
      { day: '2018-01-01', orders: 1 },
      { day: '2018-01-02', orders: 20 },
    ]);
  });

  it('adds a column without rewriting files; old rows read it as null', async () => {
    const table = await lake.table('bronze.events');
    const filesBefore = (await table.scan()).files.map((f) => f.filePath);
    const schema = await table.addColumn({ name: 'note', type: 'string' });
    assert.equal(schema.fields.at(-1)?.name, 'note');
    await table.append([{ ...events(20_000, 1)[0], note: 'late' }]);
    const scan = await table.scan();
    assert.ok(filesBefore.every((f) => scan.files.some((g) => g.filePath === f)), 'old files kept');
    const notes = await scan.query('SELECT count(note) AS n, count(*) AS total FROM t');
    assert.equal(Number(notes.rows[0]?.n), 1);
    assert.equal(Number(notes.rows[0]?.total), 501);
  });

  it('refuses rows that do not match the schema, naming the row and column', async () => {
    const table = await lake.table('bronze.events');
    const before = table.snapshots().length;
    await assert.rejects(table.append([...events(0, 2), { event_id: 'x', order_id: 'o', event_time: 0 }]), (e: LakeError) => {
      assert.equal(e.code, 'OP_LAKE_SCHEMA_MISMATCH');
      assert.match(e.message, /event_id/);
      return true;
    });
    await table.refresh();
    assert.equal(table.snapshots().length, before);
  });

  it('compacts small files into fewer, keeping every row, as a replace snapshot', async () => {
    const table = await lake.createTable('silver.small', { columns: [...columns] });
    for (let i = 0; i < 5; i++) await table.append(events(i * 10, 10));
    assert.equal((await table.scan()).files.length, 5);
    const result = await table.compact({ targetRows: 1_000 });
    assert.equal(result?.operation, 'replace');
    const scan = await table.scan();
    assert.equal(scan.files.length, 1);
    assert.equal(scan.recordCount, 50);
    assert.equal(await count(table), 50);
  });

  it('expires old snapshots and deletes the files only they reached', async () => {
    const table = await lake.table('silver.small');
    const oldFiles = (await table.scan({ snapshotId: table.snapshots()[0]?.['snapshot-id'] })).files.map((f) => f.filePath);
    const result = await table.expireSnapshots({ olderThanMs: Date.now() + 1_000, retainLast: 1 });
    assert.equal(result.expiredSnapshots, 5);
    assert.equal(table.snapshots().length, 1);
    assert.ok(oldFiles.every((f) => !existsSync(f)), 'compacted-away data files deleted');
    assert.equal(await count(table), 50);
  });

  it('a crash between writing data files and the commit leaves the table as it was; maintenance removes the orphans', async () => {
    const table = await lake.table('silver.small');
    const snapshot = table.currentSnapshot()?.['snapshot-id'];
    const dataDir = join(table.location, 'data');
    const orphan = join(dataDir, 'written-then-crashed.parquet');
    writeFileSync(orphan, 'not committed');
    await table.refresh();
    assert.equal(table.currentSnapshot()?.['snapshot-id'], snapshot);
    const dry = await table.removeOrphanFiles({ olderThanMs: Date.now() + 1_000, dryRun: true });
    assert.deepEqual(dry, [orphan]);
    await table.removeOrphanFiles({ olderThanMs: Date.now() + 1_000 });
    assert.ok(!existsSync(orphan));
    assert.equal(await count(table), 50);
    assert.ok(readdirSync(dataDir).length > 0, 'live files kept');
  });

  it('prunes data files by their column bounds when a scan has a filter', async () => {
    const table = await lake.createTable('silver.pruned', { columns: [...columns] });
    await table.append(events(0, 100));
    await table.append(events(100, 100));
    await table.append(events(200, 100));
    assert.equal((await table.scan()).files.length, 3);
    const one = await table.scan({ filter: [{ column: 'event_id', op: '>=', value: 250 }] });
    assert.equal(one.files.length, 1);
    const matching = await one.query('SELECT count(*) AS n FROM t WHERE event_id >= 250');
    assert.equal(Number(matching.rows[0]?.n), 50);
    assert.equal((await table.scan({ filter: [{ column: 'event_id', op: '=', value: 150 }] })).files.length, 1);
    assert.equal((await table.scan({ filter: [{ column: 'event_id', op: '<', value: 0 }] })).files.length, 0);
    assert.equal((await table.scan({ filter: [{ column: 'order_id', op: '=', value: 'order-1' }] })).files.length, 3);
  });

  it('keeps string bounds to 16 characters (Iceberg\'s truncate(16)) and still prunes by them', async () => {
    const table = await lake.createTable('silver.texts', { columns: [{ name: 'text', type: 'string', required: true }, { name: 'n', type: 'long', required: true }] });
    const long = (head: string, i: number): string => `${head}-${'x'.repeat(40)}-${i}`;
    await table.append([0, 1, 2].map((i) => ({ text: long('alpha', i), n: i })));
    await table.append([0, 1, 2].map((i) => ({ text: long('omega', i), n: i })));
    await table.append([{ text: 'short', n: 9 }]);
    const textId = table.schema.fields.find((f) => f.name === 'text')!.id;
    const bounds = (await table.scan()).files
      .map((f) => [deserializeValue('string', f.lowerBounds.get(textId)!), deserializeValue('string', f.upperBounds.get(textId)!)])
      .sort();
    // The first 16 characters, and those with the last one raised; a short value is its own bound.
    assert.deepEqual(bounds, [
      ['alpha-xxxxxxxxxx', 'alpha-xxxxxxxxxy'],
      ['omega-xxxxxxxxxx', 'omega-xxxxxxxxxy'],
      ['short', 'short'],
    ]);
    const files = async (op: '=' | '>' | '<', value: string): Promise<number> => (await table.scan({ filter: [{ column: 'text', op, value }] })).files.length;
    assert.equal(await files('=', long('omega', 2)), 1);
    const omega = await table.scan({ filter: [{ column: 'text', op: '=', value: long('omega', 2) }] });
    const read = (await omega.query('SELECT text, n FROM t ORDER BY n')).rows;
    assert.deepEqual(read.map((r) => [r.text, Number(r.n)]), [0, 1, 2].map((i) => [long('omega', i), i]));
    assert.equal(await files('>', 'alpha-xxxxxxxxxy'), 2);
    assert.equal(await files('<', 'alpha-xxxxxxxxxx'), 0);
    assert.equal(await files('=', 'beta'), 0);
  });

  it('a crash at the catalog swap leaves the table at its previous snapshot; the new files are orphans that maintenance removes', async () => {
    const table = await lake.table('silver.pruned');
    const before = table.currentSnapshot()?.['snapshot-id'];
    // The process "dies" as the swap is sent: the outcome is unknown, so nothing is cleaned up.
    const crashing: Catalog = Object.create(lake.catalog) as Catalog;
    crashing.swapMetadataLocation = () =>
      Promise.reject(new LakeError('OP_LAKE_COMMIT_STATE_UNKNOWN', 'connection lost after the update was sent'));
    const doomed = new IcebergTable(
      { catalog: crashing, io: lake.io, engine: lake.engine, tempDir: join(dir.path, 'tmp'), now: Date.now },
      table.identifier,
      table.metadataLocation,
      table.metadata,
    );
    await assert.rejects(doomed.append(events(1_000, 10)), { code: 'OP_LAKE_COMMIT_STATE_UNKNOWN' });
    const reloaded = await lake.table('silver.pruned');
    assert.equal(reloaded.currentSnapshot()?.['snapshot-id'], before);
    assert.equal(await count(reloaded), 300);
    const orphans = await reloaded.removeOrphanFiles({ olderThanMs: Date.now() + 1_000 });
    assert.ok(orphans.some((f) => f.endsWith('.parquet')), 'the uncommitted data file is an orphan');
    assert.ok(orphans.some((f) => f.endsWith('.metadata.json')), 'so is the uncommitted metadata file');
    for (const f of orphans) assert.ok(!existsSync(f));
    assert.equal(await count(reloaded), 300);
  });

  it('a commit that fails for good deletes every file it wrote', async () => {
    const table = await lake.table('silver.pruned');
    const failing: Catalog = Object.create(lake.catalog) as Catalog;
    failing.swapMetadataLocation = () => Promise.reject(new LakeError('OP_LAKE_COMMIT_FAILED', 'refused'));
    const doomed = new IcebergTable(
      { catalog: failing, io: lake.io, engine: lake.engine, tempDir: join(dir.path, 'tmp'), now: Date.now },
      table.identifier,
      table.metadataLocation,
      table.metadata,
    );
    await assert.rejects(doomed.append(events(2_000, 10)), { code: 'OP_LAKE_COMMIT_FAILED' });
    assert.deepEqual(await table.removeOrphanFiles({ olderThanMs: Date.now() + 1_000, dryRun: true }), []);
  });

  it('concurrent commits all land, from two table objects and from one object at once', async () => {
    // Ten rounds: a lost commit shows up as a missing snapshot or missing rows.
    for (let round = 0; round < 10; round++) {
      const a = await lake.createTable(`bronze.race_${round}`, { columns: [...columns] });
      const b = await lake.table(`bronze.race_${round}`);
      await Promise.all([
        a.append(events(0, 10)),
        b.append(events(10, 10)),
        a.append(events(20, 10)),
        b.append(events(30, 10)),
        a.append(events(40, 10)),
      ]);
      const fresh = await lake.table(`bronze.race_${round}`);
      assert.equal(fresh.snapshots().length, 5, `round ${round}`);
      assert.equal(await count(fresh), 50, `round ${round}`);
    }
  });

  it('commits with an expectation only while the summary property is as expected: one of two racing writers lands', async () => {
    const table = await lake.createTable('bronze.fenced', { columns: [...columns] });
    await table.append(events(0, 10), { summary: { 'orderpulse.owner': 'a:1' }, expect: { 'orderpulse.owner': null } });
    // Compaction and other writers' snapshots in between do not matter: the newest value along the history counts.
    await table.append(events(10, 10));
    await table.append(events(20, 10), { summary: { 'orderpulse.owner': 'a:2' }, expect: { 'orderpulse.owner': 'a:1' } });
    const files = (): number => readdirSync(join(dir.path, 'warehouse', 'bronze', 'fenced', 'data')).length;
    const before = { snapshots: table.snapshots().length, files: files() };
    await assert.rejects(
      table.append(events(30, 10), { summary: { 'orderpulse.owner': 'b:2' }, expect: { 'orderpulse.owner': 'a:1' } }),
      (error: unknown) =>
        error instanceof LakeError &&
        error.code === 'OP_LAKE_PRECONDITION_FAILED' &&
        /orderpulse\.owner is "a:2", expected "a:1"/.test(error.message),
    );
    assert.deepEqual({ snapshots: table.snapshots().length, files: files() }, before, 'nothing committed, its data file removed');
    // Two writers holding the same expectation at once: the compare-and-swap lets exactly one through.
    const other = await lake.table('bronze.fenced');
    const results = await Promise.allSettled([
      table.append(events(40, 5), { summary: { 'orderpulse.owner': 'a:3' }, expect: { 'orderpulse.owner': 'a:2' } }),
      other.append(events(50, 5), { summary: { 'orderpulse.owner': 'b:3' }, expect: { 'orderpulse.owner': 'a:2' } }),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    assert.equal(await count(table), 35);
  });

  it('names the file when table metadata is corrupt', async () => {
    const table = await lake.createTable('bronze.broken', { columns: [...columns] });
    await table.append(events(0, 5));
    writeFileSync(table.metadataLocation, '{ not json');
    await assert.rejects(lake.table('bronze.broken'), (e: LakeError) => {
      assert.equal(e.code, 'OP_LAKE_CORRUPT_FILE');
      assert.ok(e.message.includes(table.metadataLocation));
      return true;
    });
  });
});

const s3Endpoint = process.env.ORDERPULSE_TEST_S3_ENDPOINT;
const postgresUrl = process.env.ORDERPULSE_TEST_POSTGRES_URL;
const cluster =
  s3Endpoint === undefined || postgresUrl === undefined
    ? 'ORDERPULSE_TEST_S3_ENDPOINT and ORDERPULSE_TEST_POSTGRES_URL not set: run under scripts/services/with-services.sh'
    : false;

describe('Iceberg tables on S3 with the PostgreSQL catalog', { skip: cluster }, () => {
  const dir = tempDir();
  let lake: Lake;
  const prefix = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  before(async () => {
    lake = await Lake.open({
      catalogUri: postgresUrl ?? '',
      catalogName: prefix,
      warehouse: `s3://${process.env.ORDERPULSE_TEST_S3_BUCKET ?? 'orderpulse-test'}/${prefix}`,
      s3: {
        endpoint: s3Endpoint ?? '',
        accessKeyId: process.env.ORDERPULSE_TEST_S3_ACCESS_KEY ?? '',
        secretAccessKey: process.env.ORDERPULSE_TEST_S3_SECRET_KEY ?? '',
        cacheDir: join(dir.path, 'cache'),
      },
      tempDir: join(dir.path, 'tmp'),
    });
  });
  after(async () => {
    await lake?.close();
    dir.remove();
  });

  it('appends, overwrites, compacts, expires and travels in time, with concurrent writers', async () => {
    const table = await lake.createTable('bronze.events', { columns: [...columns], partitionBy: [{ source: 'event_time', transform: 'day' }] });
    assert.ok(table.location.startsWith('s3://'));
    await table.append(events(0, 300));
    const other = await lake.table('bronze.events');
    await Promise.all([table.append(events(300, 100)), other.append(events(400, 100))]);
    assert.equal(await count(table), 500);
    await table.overwrite([], { filter: [{ column: 'order_id', op: '=', value: 'order-1' }] });
    assert.equal(await count(table), 500 - 10);
    const first = table.snapshots()[0]?.['snapshot-id'];
    assert.equal(await count(table, { snapshotId: first }), 300);
    const compacted = await table.compact({ targetRows: 10_000 });
    assert.equal(compacted?.operation, 'replace');
    assert.equal(await count(table), 490);
    const expiry = await table.expireSnapshots({ olderThanMs: Date.now() + 1_000, retainLast: 1 });
    assert.ok(expiry.deletedFiles > 0);
    assert.equal(await count(table), 490);
    const orphans = await table.removeOrphanFiles({ olderThanMs: Date.now() + 1_000, dryRun: true });
    assert.deepEqual(orphans, []);
  });
});
