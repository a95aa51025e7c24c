/**
 * `npm run bench:lake`: the Iceberg tables, against DuckDB on the same Parquet (the ceiling).
 *
 * - append: 1M rows through `IcebergTable.append` in batches of 100k and of 1k (each batch one
 *   Parquet file, manifest, manifest list, metadata file and catalog commit); ceiling: DuckDB writing
 *   the same batches as plain Parquet files;
 * - scan: an aggregate over 10M rows through `IcebergTable.scan().query`; ceiling: the same query
 *   over `read_parquet` of the same files;
 * - planning: an incremental read across the 1,000 snapshots of the 1k-batch table, from a cold start.
 * Prints a table, then one JSON line with every figure.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Row } from '../src/lake/index.js';
import { Lake } from '../src/lake/index.js';
import { writeParquet } from '../src/lake/parquet-writer.js';

const work = join(tmpdir(), `orderpulse-bench-lake-${process.pid}`);
const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

const columns = [
  { name: 'event_id', type: 'long', required: true },
  { name: 'order_id', type: 'string', required: true },
  { name: 'event_type', type: 'string', required: true },
  { name: 'event_time', type: 'timestamptz', required: true },
  { name: 'value', type: 'double' },
  { name: 'items', type: 'int' },
  { name: 'delivered', type: 'boolean' },
  { name: 'estimate', type: 'date' },
  { name: 'seller_state', type: 'string' },
  { name: 'review_score', type: 'int' },
] as const;
const TYPES = ['OrderPlaced', 'PaymentApproved', 'OrderHandedToCarrier', 'OrderDelivered'];
const STATES = ['SP', 'RJ', 'MG', 'PR', 'RS', 'SC', 'BA'];

function batch(from: number, count: number): Row[] {
  const rows: Row[] = new Array<Row>(count);
  for (let k = 0; k < count; k++) {
    const i = from + k;
    rows[k] = {
      event_id: i,
      order_id: `order-${(i * 2654435761) % 1_000_003}`,
      event_type: TYPES[i % 4],
      event_time: 1_500_000_000_000 + i * 1_000,
      value: (i % 10_000) / 7,
      items: (i % 5) + 1,
      delivered: i % 3 === 0,
      estimate: i % 11 === 0 ? null : '2018-03-15',
      seller_state: STATES[i % 7],
      review_score: (i % 5) + 1,
    };
  }
  return rows;
}

async function main(): Promise<void> {
  rmSync(work, { recursive: true, force: true });
  const lake = await Lake.open({ catalogUri: join(work, 'catalog.db'), warehouse: join(work, 'warehouse'), tempDir: join(work, 'tmp') });
  const schemaTable = await lake.createTable('bench.schema_only', { columns: [...columns] });
  const schema = schemaTable.schema;
  const results: Record<string, number> = {};
  try {
    for (const size of [100_000, 1_000]) {
      const total = 1_000_000;
      const table = await lake.createTable(`bench.append_${size}`, { columns: [...columns] });
      const t0 = process.hrtime.bigint();
      for (let from = 0; from < total; from += size) await table.append(batch(from, size));
      const lakeRate = total / seconds(t0);
      const t1 = process.hrtime.bigint();
      for (let from = 0; from < total; from += size) {
        await writeParquet(lake.engine, { schema, rows: batch(from, size), path: join(work, 'ceiling', `${size}-${from}.parquet`) });
      }
      const ceiling = total / seconds(t1);
      results[`append${size}RowsPerSecond`] = lakeRate;
      results[`append${size}CeilingRowsPerSecond`] = ceiling;
      results[`append${size}Ratio`] = lakeRate / ceiling;
    }

    // Planning an incremental read across the 1,000 snapshots, cold: a fresh lake, nothing cached.
    const cold = await Lake.open({ catalogUri: join(work, 'catalog.db'), warehouse: join(work, 'warehouse'), tempDir: join(work, 'tmp2') });
    try {
      const t = process.hrtime.bigint();
      const table = await cold.table('bench.append_1000');
      const first = table.snapshots()[0]?.['snapshot-id'];
      if (first === undefined) throw new Error('no snapshots');
      const scan = await table.scan({ sinceSnapshotId: first });
      results.incrementalPlanningMs = seconds(t) * 1000;
      results.incrementalPlannedFiles = scan.files.length;
      results.snapshots = table.snapshots().length;
    } finally {
      await cold.close();
    }

    const big = await lake.createTable('bench.scan', { columns: [...columns] });
    for (let from = 0; from < 10_000_000; from += 1_000_000) await big.append(batch(from, 1_000_000));
    const sql = 'SELECT event_type, count(*) AS n, sum(value) AS v, avg(review_score) AS r FROM t GROUP BY event_type';
    const ts = process.hrtime.bigint();
    const scan = await big.scan();
    const viaLake = await scan.query(sql);
    const scanSeconds = seconds(ts);
    const files = await Promise.all(scan.files.map((f) => lake.io.localPath(f.filePath)));
    const tc = process.hrtime.bigint();
    const direct = await lake.engine.withConnection(async (c) => {
      const list = files.map((f) => `'${f}'`).join(', ');
      const reader = await c.runAndReadAll(sql.replace('FROM t', `FROM read_parquet([${list}])`));
      return reader.getRows().length;
    });
    const ceilingSeconds = seconds(tc);
    if (viaLake.rows.length !== direct) throw new Error('scan results differ');
    results.scanRows = scan.recordCount;
    results.scanRowsPerSecond = scan.recordCount / scanSeconds;
    results.scanCeilingRowsPerSecond = scan.recordCount / ceilingSeconds;
    results.scanRatio = ceilingSeconds / scanSeconds;
  } finally {
    await lake.close();
    rmSync(work, { recursive: true, force: true });
  }
  const k = (n: number | undefined): string => Math.round(n ?? 0).toLocaleString('en-US');
  const rows = [
    ['measure', 'lake', 'ceiling (DuckDB direct)', 'ratio'],
    ['append 1M rows, batches of 100k (rows/s)', k(results.append100000RowsPerSecond), k(results.append100000CeilingRowsPerSecond), (results.append100000Ratio ?? 0).toFixed(2)],
    ['append 1M rows, batches of 1k (rows/s)', k(results.append1000RowsPerSecond), k(results.append1000CeilingRowsPerSecond), (results.append1000Ratio ?? 0).toFixed(2)],
    ['scan 10M rows, group by (rows/s)', k(results.scanRowsPerSecond), k(results.scanCeilingRowsPerSecond), (results.scanRatio ?? 0).toFixed(2)],
    [`incremental read planning across ${k(results.snapshots)} snapshots (ms)`, (results.incrementalPlanningMs ?? 0).toFixed(0), '-', '-'],
  ];
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  for (const row of rows) console.log(row.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '));
  console.log(JSON.stringify({ benchmark: 'lake', node: process.version, ...results }));
}

await main();
