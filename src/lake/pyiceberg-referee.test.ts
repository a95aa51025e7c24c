/**
 * PyIceberg as referee: the reference Python implementation reads what OrderPulse writes, and
 * OrderPulse reads what PyIceberg writes. Needs `python3` with `pyiceberg[pyarrow,sql-sqlite]`;
 * skipped without it, unless ORDERPULSE_REQUIRE_PYICEBERG=1 (as in CI), where its absence fails.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot, tempDir } from '../testing/fixtures.js';
import type { ColumnDefinition, IcebergTable, Row } from './index.js';
import { Lake } from './index.js';

const python = process.env.ORDERPULSE_PYTHON ?? 'python3';
const script = join(repoRoot, 'scripts', 'referee', 'pyiceberg_referee.py');
const available = spawnSync(python, ['-c', 'import pyiceberg, pyarrow, sqlalchemy'], { encoding: 'utf8' }).status === 0;
const required = process.env.ORDERPULSE_REQUIRE_PYICEBERG === '1';
const skip = available || required ? false : `PyIceberg is not installed for ${python} (pip install 'pyiceberg[pyarrow,sql-sqlite]')`;

function runReferee(args: readonly string[]): string {
  const result = spawnSync(python, [script, ...args], { encoding: 'utf8' });
  assert.equal(result.status, 0, `PyIceberg referee failed:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

const rows = (from: number, count: number): Row[] =>
  Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return { event_id: i, order_id: `order-${i % 40}`, event_time: Date.UTC(2018, 2, 1 + (i % 4), 9, 30), value: i * 0.25 };
  });

async function snapshotFacts(table: IcebergTable): Promise<unknown[]> {
  const facts = [];
  for (const s of table.snapshots()) {
    const scan = await table.scan({ snapshotId: s['snapshot-id'] });
    const r = await scan.query('SELECT count(*) AS n, coalesce(sum(event_id), 0) AS ids, coalesce(sum(value), 0) AS v FROM t');
    facts.push({
      id: s['snapshot-id'].toString(), // a decimal string: 63-bit ids lose digits as JSON numbers
      operation: s.summary.operation,
      rows: Number(r.rows[0]?.n),
      sums: { event_id: Number(r.rows[0]?.ids), value: Number(r.rows[0]?.v) },
    });
  }
  return facts;
}

/** The columns of the event tables the referee reads. */
const EVENT_COLUMNS: readonly ColumnDefinition[] = [
  { name: 'event_id', type: 'long', required: true },
  { name: 'order_id', type: 'string', required: true },
  { name: 'event_time', type: 'timestamptz', required: true },
  { name: 'value', type: 'double' },
];

describe('PyIceberg referee', { skip }, () => {
  const dir = tempDir();
  const catalogFile = join(dir.path, 'catalog.db');
  const warehouse = join(dir.path, 'warehouse');
  let lake: Lake;
  before(async () => {
    assert.ok(available, `ORDERPULSE_REQUIRE_PYICEBERG=1 but ${python} cannot import pyiceberg`);
    lake = await Lake.open({ catalogUri: catalogFile, warehouse, tempDir: join(dir.path, 'tmp') });
  });
  after(async () => {
    await lake?.close();
    dir.remove();
  });

  it('reads OrderPulse tables after appends, an overwrite, a schema change and a compaction', async () => {
    const table = await lake.createTable('bronze.events', {
      columns: EVENT_COLUMNS,
      partitionBy: [{ source: 'event_time', transform: 'day' }],
    });
    await table.append(rows(0, 300));
    await table.append(rows(300, 200));
    await table.overwrite(rows(1_000, 8), { filter: [{ column: 'order_id', op: '=', value: 'order-3' }] });
    await table.addColumn({ name: 'note', type: 'string' });
    await table.append([{ ...rows(2_000, 1)[0], note: 'delivered late' }]);
    await table.compact({ targetRows: 10_000 });
    const current = await (await table.scan()).query('SELECT * FROM t WHERE event_id IN (7, 2000)');
    const expected = {
      tables: [
        {
          name: 'bronze.events',
          key: 'event_id',
          schema: table.schema.fields.map((f) => ({ id: f.id, name: f.name, type: f.type, required: f.required })),
          snapshots: await snapshotFacts(table),
          rows: current.rows,
        },
      ],
    };
    // append, append, overwrite, append, replace: adding a column makes no snapshot.
    assert.equal(expected.tables[0]?.snapshots.length, 5);
    const file = join(dir.path, 'expected.json');
    writeFileSync(file, JSON.stringify(expected));
    const out = runReferee(['read', catalogFile, warehouse, file]);
    assert.match(out, /ok: bronze.events: snapshots/);
  });

  it('reads a table whose small manifests were merged, after an overwrite and a snapshot expiry', async () => {
    const table = await lake.createTable('bronze.merged_events', {
      columns: EVENT_COLUMNS,
      partitionBy: [{ source: 'event_time', transform: 'day' }],
      properties: { 'commit.manifest.min-count-to-merge': '3' },
    });
    for (let i = 0; i < 7; i++) await table.append(rows(i * 20, 20), { summary: { [`orderpulse.progress.task-${i % 2}`]: String(i) } });
    await table.overwrite([], { filter: [{ column: 'order_id', op: '=', value: 'order-5' }] });
    await table.append(rows(500, 20));
    const expiry = await table.expireSnapshots({ olderThanMs: Date.now() + 60_000, retainLast: 3 });
    assert.ok(expiry.expiredSnapshots > 0);
    const snapshot = table.currentSnapshot();
    assert.ok(snapshot);
    const { readManifestList } = await import('./manifest-list.js');
    const manifests = readManifestList(await lake.io.read(snapshot['manifest-list']), snapshot['manifest-list']);
    assert.ok(manifests.some((m) => m.existingFilesCount > 0), 'a merged manifest holds files of earlier commits');
    // By hand: ids 0..139 and 500..519, less order-5 (ids = 5 mod 40) among the first 140.
    const live = [...Array.from({ length: 140 }, (_, i) => i).filter((i) => i % 40 !== 5), ...Array.from({ length: 20 }, (_, i) => 500 + i)];
    assert.equal(await (await table.scan()).liveRecordCount(), live.length);
    const current = await (await table.scan()).query('SELECT * FROM t WHERE event_id IN (4, 515)');
    const facts = await snapshotFacts(table);
    assert.deepEqual(facts.at(-1), {
      id: snapshot['snapshot-id'].toString(),
      operation: snapshot.summary.operation,
      rows: live.length,
      sums: { event_id: live.reduce((a, b) => a + b, 0), value: live.reduce((a, b) => a + b * 0.25, 0) },
    });
    const expected = {
      tables: [
        {
          name: 'bronze.merged_events',
          key: 'event_id',
          schema: table.schema.fields.map((f) => ({ id: f.id, name: f.name, type: f.type, required: f.required })),
          snapshots: facts,
          rows: current.rows,
        },
      ],
    };
    const file = join(dir.path, 'expected-merged.json');
    writeFileSync(file, JSON.stringify(expected));
    const out = runReferee(['read', catalogFile, warehouse, file]);
    assert.match(out, /ok: bronze.merged_events: snapshots/);
  });

  it('is read by OrderPulse when PyIceberg writes', async () => {
    const file = join(dir.path, 'written.json');
    runReferee(['write', catalogFile, warehouse, file]);
    const written = JSON.parse(readFileSync(file, 'utf8')) as {
      table: string;
      snapshots: { id: string; rows: number }[];
      sums: { items: number; value: number };
      nullDeliveredOn: number;
      row: Record<string, unknown>;
      fieldIds: Record<string, number>;
    };
    const table = await lake.table(written.table);
    assert.deepEqual(
      table.snapshots().map((s) => s['snapshot-id']),
      written.snapshots.map((s) => BigInt(s.id)),
    );
    assert.deepEqual(Object.fromEntries(table.schema.fields.map((f) => [f.name, f.id])), written.fieldIds);
    for (const s of written.snapshots) {
      const scan = await table.scan({ snapshotId: BigInt(s.id) });
      const r = await scan.query('SELECT count(*) AS n FROM t');
      assert.equal(Number(r.rows[0]?.n), s.rows);
    }
    const scan = await table.scan();
    const sums = await scan.query('SELECT sum(items) AS items, sum(value) AS v, count(*) - count(delivered_on) AS nulls FROM t');
    assert.equal(Number(sums.rows[0]?.items), written.sums.items);
    assert.ok(Math.abs(Number(sums.rows[0]?.v) - written.sums.value) < 1e-6);
    assert.equal(Number(sums.rows[0]?.nulls), written.nullDeliveredOn);
    const one = await scan.query(`SELECT order_id, items, value, placed_at FROM t WHERE order_id = '${String(written.row.order_id)}'`);
    assert.deepEqual(one.rows, [written.row]);
    // And OrderPulse can go on writing to it.
    await table.append([{ order_id: 'order-99999', items: 1, value: 1.5, placed_at: 0, delivered_on: null }]);
    assert.equal((await table.scan()).recordCount, (written.snapshots.at(-1)?.rows ?? 0) + 1);
  });
});
