/**
 * PyIceberg, the reference Python implementation, referees every silver and gold table the batch
 * writes from the bundled sample: it opens OrderPulse's JDBC-layout catalog, scans each table to
 * Arrow, current snapshot and earlier ones (the batch runs twice, the replay cut in between), and
 * its row counts, schemas, Arrow types and per-column aggregates must equal OrderPulse's own reads.
 * Needs `python3` with `pyiceberg[pyarrow,sql-sqlite]`; skipped without it, unless
 * ORDERPULSE_REQUIRE_PYICEBERG=1 (as in CI), where its absence fails.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { IcebergTable, IcebergType, Schema } from '../lake/index.js';
import type { Lake } from '../lake/index.js';
import { repoRoot, tempDir } from '../testing/fixtures.js';
import { openSamplePipeline, sampleEvents } from '../testing/sample-pipeline.js';
import { JOBS, runBatch } from './index.js';

const python = process.env.ORDERPULSE_PYTHON ?? 'python3';
const script = join(repoRoot, 'scripts', 'referee', 'pyiceberg_referee.py');
const available = spawnSync(python, ['-c', 'import pyiceberg, pyarrow, sqlalchemy'], { encoding: 'utf8' }).status === 0;
const required = process.env.ORDERPULSE_REQUIRE_PYICEBERG === '1';
const skip = available || required ? false : `PyIceberg is not installed for ${python} (pip install 'pyiceberg[pyarrow,sql-sqlite]')`;

/** The replay is cut here (UTC) for the first batch run; the rest follows before the second. */
const CUT = Date.parse('2018-01-01T00:00:00Z');

/** The Arrow types PyIceberg may give each Iceberg type the batch writes (strings: either width). */
const ARROW_TYPES: Readonly<Record<string, readonly string[]>> = {
  timestamptz: ['timestamp[us, tz=UTC]'],
  date: ['date32[day]'],
  long: ['int64'],
  int: ['int32'],
  string: ['string', 'large_string'],
  double: ['double'],
  boolean: ['bool'],
};

/** One column's order-independent aggregates, as `column_figures` in the referee script defines them. */
interface ColumnFigures {
  readonly nonNull: number;
  readonly distinct: number;
  readonly sum?: string | number;
  readonly min?: string | number | null;
  readonly max?: string | number | null;
  readonly bytes?: string;
  readonly trues?: string;
}

/** One column's statistics over a snapshot's data files, as `file_stats` in the referee script sums them. */
interface ColumnStats {
  readonly values: number | null;
  readonly nulls: number | null;
  readonly lower: string | number | boolean | null;
  readonly upper: string | number | boolean | null;
}

/** A snapshot as PyIceberg lists it (its summary: `operation` apart, the rest as properties). */
interface HistoryEntry {
  /** Snapshot ids are decimal strings both ways (63-bit ids lose digits as JSON numbers). */
  readonly id: string;
  readonly parentId: string | null;
  readonly sequenceNumber: number;
  readonly timestampMs: number;
  readonly operation: string;
  readonly properties: Readonly<Record<string, string>>;
}

/** What one read shows: PyIceberg's (from the script) or OrderPulse's (computed here). */
interface ReadFigures {
  readonly table: string;
  readonly snapshotId: string;
  readonly rows: number;
  readonly schema: readonly { readonly id: number; readonly name: string; readonly type: string; readonly required: boolean }[];
  readonly columns: Readonly<Record<string, ColumnFigures>>;
}

/** PyIceberg's side adds the scan's Arrow schema, the manifests' statistics and the table's history. */
interface PyIcebergRead extends ReadFigures {
  readonly arrow: readonly { readonly name: string; readonly type: string; readonly nullable: boolean }[];
  readonly stats: { readonly files: number; readonly records: number; readonly columns: Readonly<Record<string, ColumnStats>> };
  readonly history: readonly HistoryEntry[];
}

/** The script's output file, checked for its outer shape (the assertions check the rest). */
function parseFigures(text: string): PyIcebergRead[] {
  const parsed: unknown = JSON.parse(text);
  assert.ok(parsed !== null && typeof parsed === 'object' && 'reads' in parsed && Array.isArray(parsed.reads), 'referee output has reads');
  return parsed.reads as PyIcebergRead[];
}

/** The batch writes flat tables: every column's type is a primitive, spelled as in the JSON schema. */
function primitive(type: IcebergType, column: string): string {
  assert.equal(typeof type, 'string', `${column} has a primitive type`);
  return type as string;
}

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** Epoch microseconds (decimal text) → UTC ISO text to the microsecond, as the script renders instants. */
function isoMicros(text: string): string {
  const us = BigInt(text);
  const ms = us / 1000n - (us % 1000n < 0n ? 1n : 0n);
  const rest = us - ms * 1000n;
  return new Date(Number(ms)).toISOString().replace('Z', `${String(rest).padStart(3, '0')}Z`);
}

/** The SQL select items that compute column `name`'s figures, aliased `c<i>_<figure>`. */
function figureItems(type: string, name: string, i: number): string[] {
  const c = quote(name);
  const items = [`count(${c}) AS c${i}_nonNull`, `count(DISTINCT ${c}) AS c${i}_distinct`];
  switch (type) {
    case 'boolean':
      return [...items, `count_if(${c})::VARCHAR AS c${i}_trues`];
    case 'int':
    case 'long':
      // As decimal text: exact beyond 2^53, and the same text the script prints.
      return [...items, `coalesce(sum(${c}), 0)::VARCHAR AS c${i}_sum`, `min(${c})::VARCHAR AS c${i}_min`, `max(${c})::VARCHAR AS c${i}_max`];
    case 'double':
      // fsum: compensated, so close to the script's correctly rounded math.fsum whatever the row order.
      return [...items, `coalesce(fsum(${c}), 0) AS c${i}_sum`, `min(${c}) AS c${i}_min`, `max(${c}) AS c${i}_max`];
    case 'timestamptz':
      return [...items, `epoch_us(min(${c}))::VARCHAR AS c${i}_min`, `epoch_us(max(${c}))::VARCHAR AS c${i}_max`];
    case 'date':
      return [...items, `min(${c})::VARCHAR AS c${i}_min`, `max(${c})::VARCHAR AS c${i}_max`];
    case 'string':
      // strlen: UTF-8 bytes, as the script counts them.
      return [...items, `coalesce(sum(strlen(${c})), 0)::VARCHAR AS c${i}_bytes`, `min(${c}) AS c${i}_min`, `max(${c}) AS c${i}_max`];
    default:
      throw new Error(`no figures for Iceberg type ${type} (column ${name})`);
  }
}

/** OrderPulse's read of `table` at `snapshotId`, in the script's terms. */
async function orderPulseFigures(table: IcebergTable, snapshotId: bigint): Promise<ReadFigures> {
  const scan = await table.scan({ snapshotId });
  const schema: Schema = scan.schema;
  const items = schema.fields.flatMap((f, i) => figureItems(primitive(f.type, f.name), f.name, i));
  const [row] = (await scan.query(`SELECT count(*) AS n, ${items.join(', ')} FROM t`)).rows;
  assert.ok(row !== undefined);
  const columns: Record<string, ColumnFigures> = {};
  schema.fields.forEach((f, i) => {
    const figure = (k: string): unknown => row[`c${i}_${k}`];
    const out: Record<string, unknown> = { nonNull: Number(figure('nonNull')), distinct: Number(figure('distinct')) };
    for (const k of ['sum', 'min', 'max', 'bytes', 'trues']) {
      if (!(`c${i}_${k}` in row)) continue;
      const value = figure(k);
      out[k] = f.type === 'timestamptz' && typeof value === 'string' ? isoMicros(value) : value;
    }
    columns[f.name] = out as unknown as ColumnFigures;
  });
  const rows = Number(row.n);
  assert.equal(scan.recordCount, rows, `${table.name}@${snapshotId}: manifest record counts equal the rows read`);
  return {
    table: table.name,
    snapshotId: snapshotId.toString(),
    rows,
    schema: schema.fields.map((f) => ({ id: f.id, name: f.name, type: primitive(f.type, f.name), required: f.required })),
    columns,
  };
}

/** The figures to compare exactly: all but double sums, which agree to 1e-9 relative (the engines add in different orders). */
function exactFigures(read: ReadFigures, schema: ReadFigures['schema']): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(read.columns).map(([name, figures]) => {
      const double = schema.find((f) => f.name === name)?.type === 'double';
      return [name, Object.fromEntries(Object.entries(figures).filter(([k]) => !(double && k === 'sum')))];
    }),
  );
}

/**
 * The statistics a snapshot's manifests must hold, given what its rows hold: OrderPulse writes exact
 * statistics for every column, so the counts add up to the rows and the bounds are the min and max,
 * strings' by Iceberg's default metrics mode, truncate(16).
 */
function expectedStats(op: ReadFigures): Record<string, ColumnStats> {
  return Object.fromEntries(
    op.schema.map((f) => {
      const c = op.columns[f.name];
      assert.ok(c !== undefined);
      const trues = Number(c.trues);
      const text = (value: unknown, bound: 'lower' | 'upper'): string | null => (typeof value === 'string' ? truncated16(value, bound) : null);
      const bounds: Pick<ColumnStats, 'lower' | 'upper'> =
        f.type === 'boolean'
          ? { lower: c.nonNull === 0 ? null : trues === c.nonNull, upper: c.nonNull === 0 ? null : trues > 0 }
          : f.type === 'string'
            ? { lower: text(c.min, 'lower'), upper: text(c.max, 'upper') }
            : { lower: c.min ?? null, upper: c.max ?? null };
      return [f.name, { values: op.rows, nulls: op.rows - c.nonNull, ...bounds }];
    }),
  );
}

/**
 * A string bound under truncate(16): the first 16 characters, and for the upper bound those with the
 * 16th raised by one code point. The tables' text holds no U+10FFFF or U+D7FF, so no carry is needed.
 */
function truncated16(value: string, bound: 'lower' | 'upper'): string {
  const characters = Array.from(value);
  if (characters.length <= 16) return value;
  if (bound === 'lower') return characters.slice(0, 16).join('');
  const last = (characters[15] as string).codePointAt(0) as number;
  assert.ok(last !== 0x10ffff && last !== 0xd7ff, `a bound needing a carry: ${JSON.stringify(value)}`);
  return characters.slice(0, 15).join('') + String.fromCodePoint(last + 1);
}

/** The table's snapshots as OrderPulse reads its metadata, in PyIceberg's terms. */
function history(table: IcebergTable): HistoryEntry[] {
  return table.snapshots().map((s) => {
    const { operation, ...properties } = s.summary;
    return {
      id: s['snapshot-id'].toString(),
      parentId: s['parent-snapshot-id']?.toString() ?? null,
      sequenceNumber: s['sequence-number'],
      timestampMs: s['timestamp-ms'],
      operation,
      properties,
    };
  });
}

function assertSameRead(py: PyIcebergRead, op: ReadFigures, table: IcebergTable): void {
  const at = `${op.table}@${op.snapshotId}`;
  assert.equal(py.table, op.table);
  assert.equal(py.snapshotId, op.snapshotId, `${at}: PyIceberg read the snapshot asked for`);
  assert.deepEqual(py.history, history(table), `${at}: PyIceberg lists the same snapshots and summaries`);
  assert.deepEqual(py.schema, op.schema, `${at}: PyIceberg parses the same Iceberg schema`);
  assert.deepEqual(
    py.arrow.map((f) => f.name),
    op.schema.map((f) => f.name),
    `${at}: PyIceberg's Arrow columns are the schema's, in order`,
  );
  for (const [k, f] of op.schema.entries()) {
    const arrow = py.arrow[k];
    assert.ok(arrow !== undefined && (ARROW_TYPES[f.type] ?? []).includes(arrow.type), `${at}: ${f.name} is ${f.type}, PyIceberg's Arrow type is ${arrow?.type}`);
    assert.equal(arrow.nullable, !f.required, `${at}: ${f.name} is ${f.required ? 'required' : 'optional'}, Arrow nullable is ${arrow.nullable}`);
  }
  assert.equal(py.rows, op.rows, `${at}: row count`);
  for (const f of op.schema.filter((field) => field.type === 'double')) {
    const mine = Number(op.columns[f.name]?.sum);
    const theirs = Number(py.columns[f.name]?.sum);
    assert.ok(Math.abs(mine - theirs) <= 1e-9 * Math.max(1, Math.abs(mine)), `${at}: sum(${f.name}) PyIceberg ${theirs.toFixed(6)}, OrderPulse ${mine.toFixed(6)}`);
  }
  assert.deepEqual(exactFigures(py, op.schema), exactFigures(op, op.schema), `${at}: per-column figures`);
  assert.equal(py.stats.records, op.rows, `${at}: record counts of the data files PyIceberg plans`);
  assert.deepEqual(py.stats.columns, expectedStats(op), `${at}: manifest statistics as PyIceberg decodes them`);
}

describe('PyIceberg referees the batch tables', { skip }, () => {
  const dir = tempDir();
  const catalogFile = join(dir.path, 'orderpulse.db');
  const warehouse = join(dir.path, 'warehouse');
  let lake: Lake;
  let close: () => Promise<void> = async () => {};
  /** silver.orders' snapshot after the first batch run, before the rest of the replay. */
  let firstOrders: bigint;

  /** PyIceberg's figures of each (table, snapshot) read, in one run of the script. */
  function pyiceberg(reads: readonly { table: string; snapshotId: bigint }[], label: string): PyIcebergRead[] {
    const request = join(dir.path, `${label}-request.json`);
    const out = join(dir.path, `${label}-figures.json`);
    writeFileSync(request, JSON.stringify({ reads: reads.map((r) => ({ table: r.table, snapshotId: r.snapshotId.toString() })) }));
    const result = spawnSync(python, [script, 'figures', catalogFile, warehouse, request, out], { encoding: 'utf8' });
    assert.equal(result.status, 0, `PyIceberg referee failed:\n${result.stdout}\n${result.stderr}`);
    return parseFigures(readFileSync(out, 'utf8'));
  }

  before(async () => {
    assert.ok(available, `ORDERPULSE_REQUIRE_PYICEBERG=1 but ${python} cannot import pyiceberg`);
    const pipeline = await openSamplePipeline(dir.path, await sampleEvents());
    lake = pipeline.lake;
    close = () => pipeline.close();
    // Two batch runs, the replay cut in between, so every table has an earlier snapshot to travel to.
    for (const until of [CUT, undefined]) {
      await pipeline.feed(until);
      await runBatch(lake);
      if (until !== undefined) firstOrders = (await lake.table('silver.orders')).currentSnapshot()?.['snapshot-id'] ?? -1n;
    }
  });
  after(async () => {
    await close();
    dir.remove();
  });

  it('reads every silver and gold table as OrderPulse does: schema, Arrow types, rows and per-column figures', async () => {
    const tables = await Promise.all(JOBS.map((j) => lake.table(j.name)));
    const reads = tables.map((t) => ({ table: t.name, snapshotId: t.currentSnapshot()?.['snapshot-id'] ?? -1n }));
    assert.deepEqual(
      reads.filter((r) => r.snapshotId === -1n).map((r) => r.table),
      [],
      'every batch table has a snapshot',
    );
    const figures = pyiceberg(reads, 'current');
    assert.deepEqual(
      figures.map((f) => f.table),
      JOBS.map((j) => j.name),
    );
    for (const [k, table] of tables.entries()) {
      const py = figures[k];
      assert.ok(py !== undefined);
      assertSameRead(py, await orderPulseFigures(table, reads[k]?.snapshotId ?? -1n), table);
    }
  });

  it('travels in time as OrderPulse does: silver.orders before the rest of the replay, and every earlier snapshot of every table', async () => {
    const orders = await lake.table('silver.orders');
    const current = orders.currentSnapshot()?.['snapshot-id'];
    assert.notEqual(firstOrders, current, 'the second batch run wrote silver.orders');
    assert.ok(orders.snapshots().some((s) => s['snapshot-id'] === firstOrders));
    const reads = [];
    for (const job of JOBS) {
      const table = await lake.table(job.name);
      for (const s of table.snapshots()) {
        if (s['snapshot-id'] !== table.currentSnapshot()?.['snapshot-id']) reads.push({ table: job.name, snapshotId: s['snapshot-id'] });
      }
    }
    const figures = pyiceberg(reads, 'history');
    assert.equal(figures.length, reads.length);
    for (const py of figures) {
      const table = await lake.table(py.table);
      assertSameRead(py, await orderPulseFigures(table, BigInt(py.snapshotId)), table);
    }

    // silver.orders before the rest of the replay: fewer orders than now, and the same as PyIceberg's.
    const before = figures.find((f) => f.table === 'silver.orders' && f.snapshotId === firstOrders.toString());
    assert.ok(before !== undefined, 'PyIceberg read silver.orders at its first snapshot');
    const now = await (await orders.scan()).query('SELECT count(*) AS n FROM t');
    assert.ok(before.rows > 0 && before.rows < Number(now.rows[0]?.n), `silver.orders: ${before.rows} orders then, ${String(now.rows[0]?.n)} now`);
    const then = await (await orders.scan({ snapshotId: firstOrders })).query('SELECT count(*) AS n, sum(items_cents)::VARCHAR AS cents FROM t');
    assert.equal(before.rows, Number(then.rows[0]?.n));
    assert.equal(before.columns.items_cents?.sum, then.rows[0]?.cents);
  });
});
