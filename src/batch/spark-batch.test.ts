/**
 * Apache Spark (3.5, Iceberg 1.9) referees every table the stream and batch layers write from the
 * bundled sample: it opens OrderPulse's catalog (the embedded store, catalog `orderpulse`) and its
 * row count and per-column aggregates of each table must equal OrderPulse's own reads.
 * Needs the Spark referee (scripts/services/spark.sh); skipped without it, unless
 * ORDERPULSE_REQUIRE_SPARK=1 (as in CI), where its absence fails.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { IcebergType, Lake } from '../lake/index.js';
import { tempDir } from '../testing/fixtures.js';
import { openSamplePipeline, sampleEvents } from '../testing/sample-pipeline.js';
import { SparkReferee, asText, sparkSkip } from '../testing/spark.js';
import { JOBS, runBatch } from './index.js';

const skip = sparkSkip();

/** One figure of a column in each engine's SQL (the column already quoted), compared as text. */
interface Figure {
  readonly alias: string;
  readonly duckdb: (c: string) => string;
  readonly spark: (c: string) => string;
  /** Doubles are summed in a different order by each engine: compared to 1e-9 relative. */
  readonly approximate?: boolean;
}

const same = (alias: string, sql: (c: string) => string): Figure => ({ alias, duckdb: sql, spark: sql });

/** The aggregates compared for a column of `type`: a non-null count always, then by type. */
function figures(type: IcebergType): Figure[] {
  const counted = [same('nonNull', (c) => `count(${c})`)];
  if (typeof type !== 'string') return counted;
  const exact = type === 'int' || type === 'long' || type.startsWith('decimal(');
  switch (exact ? 'exact' : type) {
    case 'exact':
      return [...counted, same('sum', (c) => `CAST(sum(${c}) AS STRING)`), same('min', (c) => `CAST(min(${c}) AS STRING)`), same('max', (c) => `CAST(max(${c}) AS STRING)`)];
    case 'double':
    case 'float':
      return [...counted, { ...same('sum', (c) => `sum(${c})`), approximate: true }];
    case 'boolean':
      return [...counted, same('trues', (c) => `count(CASE WHEN ${c} THEN 1 END)`)];
    case 'date':
      return [...counted, same('min', (c) => `CAST(min(${c}) AS STRING)`), same('max', (c) => `CAST(max(${c}) AS STRING)`)];
    case 'timestamptz':
    case 'timestamp':
      // Epoch microseconds: the exact instant, in both engines' words.
      return [
        ...counted,
        { alias: 'min', duckdb: (c) => `CAST(epoch_us(min(${c})) AS STRING)`, spark: (c) => `CAST(unix_micros(min(${c})) AS STRING)` },
        { alias: 'max', duckdb: (c) => `CAST(epoch_us(max(${c})) AS STRING)`, spark: (c) => `CAST(unix_micros(max(${c})) AS STRING)` },
      ];
    case 'string':
      return [...counted, same('chars', (c) => `CAST(sum(length(${c})) AS STRING)`), same('max', (c) => `max(${c})`)];
    default:
      return counted;
  }
}

const text = asText;

describe('Spark referees the stream and batch tables of the sample', { skip }, () => {
  const dir = tempDir();
  let lake: Lake;
  let spark: SparkReferee;
  let close: () => Promise<void> = async () => {};

  before(async () => {
    const pipeline = await openSamplePipeline(dir.path, await sampleEvents());
    lake = pipeline.lake;
    close = () => pipeline.close();
    await pipeline.feed();
    await runBatch(lake);
    spark = await SparkReferee.start();
    await spark.open({ uri: `jdbc:sqlite:${join(pipeline.state, 'orderpulse.db')}`, warehouse: `file:${join(pipeline.state, 'warehouse')}` });
  });
  after(async () => {
    await spark?.close();
    await close();
    dir.remove();
  });

  it('lists the same tables', async () => {
    const names = await lake.listTables();
    for (const job of JOBS) assert.ok(names.includes(job.name), `the batch wrote ${job.name}`);
    assert.ok(names.some((n) => n.startsWith('bronze.')), 'the stream wrote bronze tables');
    const theirs: string[] = [];
    for (const ns of ['bronze', 'silver', 'gold']) {
      const result = await spark.sql(`SHOW TABLES IN orderpulse.${ns}`);
      const column = result.columns.indexOf('tableName');
      theirs.push(...result.rows.map((r) => `${ns}.${text(r[column]) ?? ""}`));
    }
    assert.deepEqual(theirs.sort(), names.filter((n) => /^(bronze|silver|gold)\./.test(n)).sort());
  });

  it('reads every table with the row count and per-column aggregates OrderPulse reads', async () => {
    const names = await lake.listTables();
    assert.ok(names.length >= JOBS.length + 1);
    for (const name of names) {
      const table = await lake.table(name);
      const scan = await table.scan();
      const items = scan.schema.fields.flatMap((f, i) => figures(f.type).map((fig) => ({ field: f, figure: fig, alias: `c${i}_${fig.alias}` })));
      const mine = await scan.query(`SELECT count(*) AS n${items.map((x) => `, ${x.figure.duckdb(`"${x.field.name}"`)} AS ${x.alias}`).join('')} FROM t`);
      const theirs = await spark.sql(`SELECT count(*) AS n${items.map((x) => `, ${x.figure.spark(`\`${x.field.name}\``)} AS ${x.alias}`).join('')} FROM orderpulse.${name}`);
      const row = mine.rows[0] ?? {};
      const sparkRow = theirs.rows[0] ?? [];
      assert.equal(text(sparkRow[0]), text(row.n), `${name}: row count`);
      if (name === 'silver.orders') assert.ok(Number(row.n) > 0, `${name} has rows`);
      for (const [k, x] of items.entries()) {
        const at = `${name}: ${x.figure.alias}(${x.field.name})`;
        const ours = row[x.alias];
        const spark = sparkRow[k + 1];
        if (x.figure.approximate === true && ours !== null && spark !== null) {
          const a = Number(ours);
          const b = Number(spark);
          assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a)), `${at}: Spark ${b}, OrderPulse ${a}`);
        } else {
          assert.equal(text(spark), text(ours), at);
        }
      }
    }
  });

  it("lists every table's snapshots as OrderPulse does", async () => {
    for (const name of await lake.listTables()) {
      const table = await lake.table(name);
      const theirs = await spark.sql(`SELECT snapshot_id, operation FROM orderpulse.${name}.snapshots ORDER BY committed_at`);
      assert.deepEqual(
        theirs.rows.map((r) => [text(r[0]), r[1]]),
        table.snapshots().map((s) => [String(s['snapshot-id']), s.summary.operation]),
        `${name}: snapshots`,
      );
    }
  });
});
