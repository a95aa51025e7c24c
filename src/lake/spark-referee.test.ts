/**
 * Apache Spark (3.5, Iceberg 1.9) as referee: Spark writes tables into OrderPulse's catalog (the
 * same SQLite file, catalog `orderpulse`) with every feature a v2 table may hold (the primitive
 * types, partition transforms, schema evolution, position deletes from merge-on-read DELETE,
 * UPDATE and MERGE, equality deletes through Iceberg's Java API), and OrderPulse must read each one
 * row for row as Spark does, at every snapshot, and keep them so through its compaction.
 * Needs the Spark referee (scripts/services/spark.sh); skipped without it, unless
 * ORDERPULSE_REQUIRE_SPARK=1 (as in CI), where its absence fails.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../testing/fixtures.js';
import pg from 'pg';
import { SparkReferee, asText, sparkSkip } from '../testing/spark.js';
import type { SparkCatalog, SparkValue } from '../testing/spark.js';
import type { IcebergTable, IcebergType, Schema, TableScan } from './index.js';
import { Lake } from './index.js';

const skip = sparkSkip();

/** A row as both sides are compared: each value as text (null stays null). */
type Canonical = readonly (string | null)[];

/** Epoch microseconds (decimal text) → ISO text to the microsecond, as the referee renders timestamps. */
function isoMicros(text: string, zone: 'Z' | ''): string {
  const us = BigInt(text);
  const ms = us / 1000n - (us % 1000n < 0n ? 1n : 0n);
  const rest = us - ms * 1000n;
  return new Date(Number(ms)).toISOString().replace('Z', `${String(rest).padStart(3, '0')}${zone}`);
}

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/** The DuckDB select item that renders a column in the referee's terms (see spark_referee.py). */
function renderItem(type: IcebergType, name: string): string {
  const c = quote(name);
  if (type === 'timestamptz' || type === 'timestamp') return `CAST(epoch_us(${c}) AS VARCHAR) AS ${c}`;
  if (type === 'binary') return `lower(hex(${c})) AS ${c}`;
  if (type === 'boolean' || type === 'double' || type === 'float' || type === 'string') return c;
  // int, long (exact beyond 2^53), date ('YYYY-MM-DD'), decimal (with its scale).
  return `CAST(${c} AS VARCHAR) AS ${c}`;
}

const text = asText;

const sorted = (rows: readonly Canonical[]): Canonical[] => [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));

/** Every row OrderPulse's scan reads, rendered as the referee renders Spark's, sorted. */
async function orderPulseRows(scan: TableScan): Promise<{ columns: string[]; rows: Canonical[] }> {
  const schema: Schema = scan.schema;
  const items = schema.fields.map((f) => renderItem(f.type, f.name));
  const result = await scan.query(`SELECT ${items.join(', ')} FROM t`);
  const rows = result.rows.map((row) =>
    schema.fields.map((f) => {
      const value = text(row[f.name]);
      if (value === null || (f.type !== 'timestamptz' && f.type !== 'timestamp')) return value;
      return isoMicros(value, f.type === 'timestamptz' ? 'Z' : '');
    }),
  );
  return { columns: schema.fields.map((f) => f.name), rows: sorted(rows) };
}

/** Where both engines find the catalog and the warehouse. */
interface Setting {
  readonly title: string;
  readonly skip: string | false;
  /** Opens OrderPulse's lake and says how Spark opens the same catalog; `cleanup` runs once both are closed. */
  open(dir: string): Promise<{ readonly lake: Lake; readonly catalog: SparkCatalog; readonly cleanup: () => Promise<void> }>;
}

/** The embedded store's SQLite catalog and a local warehouse. */
const embedded: Setting = {
  title: 'SQLite catalog, local warehouse',
  skip,
  async open(dir) {
    const catalogFile = join(dir, 'orderpulse.db');
    const warehouse = join(dir, 'warehouse');
    const lake = await Lake.open({ catalogUri: catalogFile, warehouse, tempDir: join(dir, 'tmp') });
    return { lake, catalog: { uri: `jdbc:sqlite:${catalogFile}`, warehouse: `file:${warehouse}` }, cleanup: async () => {} };
  },
};

const postgresUrl = process.env.ORDERPULSE_TEST_POSTGRES_URL;
const s3Endpoint = process.env.ORDERPULSE_TEST_S3_ENDPOINT;
const clusterRequired = process.env.ORDERPULSE_REQUIRE_CLUSTER === '1';

/** A PostgreSQL catalog (a database of its own, dropped afterwards) and an S3 warehouse (a prefix of its own). */
const shared: Setting = {
  title: 'PostgreSQL catalog, S3 warehouse',
  skip:
    skip !== false
      ? skip
      : (postgresUrl === undefined || s3Endpoint === undefined) && !clusterRequired
        ? 'ORDERPULSE_TEST_POSTGRES_URL and ORDERPULSE_TEST_S3_ENDPOINT not set: run under scripts/services/with-services.sh'
        : false,
  async open(dir) {
    assert.ok(postgresUrl !== undefined && s3Endpoint !== undefined, 'ORDERPULSE_REQUIRE_CLUSTER=1 but ORDERPULSE_TEST_POSTGRES_URL or ORDERPULSE_TEST_S3_ENDPOINT is not set');
    const database = `spark_referee_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const admin = async (sql: string): Promise<void> => {
      const client = new pg.Client({ connectionString: postgresUrl });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    };
    // The name is made here of [a-z0-9_]: safe to write into the statement.
    await admin(`CREATE DATABASE ${database}`);
    const url = new URL(postgresUrl);
    url.pathname = `/${database}`;
    const bucket = process.env.ORDERPULSE_TEST_S3_BUCKET ?? 'orderpulse-test';
    const accessKeyId = process.env.ORDERPULSE_TEST_S3_ACCESS_KEY ?? '';
    const secretAccessKey = process.env.ORDERPULSE_TEST_S3_SECRET_KEY ?? '';
    const warehouse = `s3://${bucket}/${database}`;
    const lake = await Lake.open({
      catalogUri: url.toString(),
      warehouse,
      s3: { endpoint: s3Endpoint, accessKeyId, secretAccessKey, cacheDir: join(dir, 's3-cache') },
      tempDir: join(dir, 'tmp'),
    });
    const catalog: SparkCatalog = {
      uri: `jdbc:postgresql://${url.host}/${database}`,
      warehouse,
      properties: {
        'jdbc.user': decodeURIComponent(url.username),
        ...(url.password === '' ? {} : { 'jdbc.password': decodeURIComponent(url.password) }),
        'io-impl': 'org.apache.iceberg.aws.s3.S3FileIO',
        's3.endpoint': s3Endpoint,
        's3.path-style-access': 'true',
        's3.access-key-id': accessKeyId,
        's3.secret-access-key': secretAccessKey,
        'client.region': process.env.AWS_REGION ?? 'us-east-1',
      },
    };
    return { lake, catalog, cleanup: () => admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`) };
  },
};

/** One Spark session for both settings (the JVM starts once); each suite opens its own catalog in it. */
let started: Promise<SparkReferee> | null = null;
const referee = (): Promise<SparkReferee> => (started ??= SparkReferee.start());
after(async () => {
  if (started !== null) await (await started).close();
});

for (const setting of [embedded, shared]) refereeSuite(setting);

function refereeSuite(setting: Setting): void {
  describe(`Spark referee: OrderPulse reads what Spark writes (${setting.title})`, { skip: setting.skip }, () => {
    const dir = tempDir();
    let lake: Lake;
    let spark: SparkReferee;
    let cleanup: () => Promise<void> = async () => {};

    const sparkTable = (name: string): string => `orderpulse.${name}`;

    /** Spark's rows of a table (at a snapshot), rendered and sorted. */
    async function sparkRows(name: string, snapshotId?: string): Promise<{ columns: string[]; rows: Canonical[] }> {
      const result = await spark.sql(`SELECT * FROM ${sparkTable(name)}${snapshotId === undefined ? '' : ` VERSION AS OF ${snapshotId}`}`);
      return { columns: [...result.columns], rows: sorted(result.rows.map((row) => row.map(text))) };
    }

    /** Spark's snapshot ids of a table, oldest first, as decimal text. */
    async function sparkSnapshots(name: string): Promise<string[]> {
      const result = await spark.sql(`SELECT snapshot_id FROM ${sparkTable(name)}.snapshots ORDER BY committed_at`);
      return result.rows.map((row) => String(row[0] as SparkValue as string | number));
    }

    /** The same SQL in both engines (`{t}` the table), answers as text. Aggregates go through `lake.query` over the scan's view. */
    async function assertSameAnswer(name: string, sql: string): Promise<void> {
      const table = await lake.table(name);
      const scan = await table.scan();
      const mine = await lake.query({ t: await scan.view() }, sql.replaceAll('{t}', 't'));
      const theirs = await spark.sql(sql.replaceAll('{t}', sparkTable(name)));
      assert.deepEqual(
        sorted(mine.rows.map((row) => mine.columns.map((c) => text(row[c])))),
        sorted(theirs.rows.map((row) => row.map(text))),
        `${name}: ${sql}`,
      );
    }

    /** Current rows, row for row, and every snapshot by time travel, as Spark reads them. */
    async function assertSameRows(name: string): Promise<void> {
      const table = await lake.table(name);
      const current = await sparkRows(name);
      const scan = await table.scan();
      assert.deepEqual(await orderPulseRows(scan), current, `${name}: current rows`);
      // What `orderpulse tables` reports: the live rows, after the delete files.
      assert.equal(await scan.liveRecordCount(), current.rows.length, `${name}: live row count`);
      const theirs = await sparkSnapshots(name);
      const mine = table.snapshots();
      assert.equal(mine.length, theirs.length, `${name}: number of snapshots`);
      for (const [k, snapshot] of mine.entries()) {
        const id = theirs[k] ?? '';
        assert.deepEqual(
          await orderPulseRows(await table.scan({ snapshotId: snapshot['snapshot-id'] })),
          await sparkRows(name, id),
          `${name}: rows at snapshot ${k + 1} of ${mine.length} (Spark's ${id}, ${snapshot.summary.operation})`,
        );
      }
    }

    before(async () => {
      const opened = await setting.open(dir.path);
      lake = opened.lake;
      cleanup = opened.cleanup;
      spark = await referee();
      await spark.open(opened.catalog);
      await spark.sql('CREATE NAMESPACE IF NOT EXISTS orderpulse.spark');

      // (i) Every primitive type Spark maps to Iceberg, over two data files (two commits); values at
      // the edges: a microsecond timestamp, one before 1970, a long beyond 2^53, nulls in each column.
      await spark.sql(`CREATE TABLE orderpulse.spark.types (
          id INT, big BIGINT, s STRING, ts TIMESTAMP, d DATE, amount DECIMAL(10,2), x DOUBLE, flag BOOLEAN, raw BINARY)
        USING iceberg TBLPROPERTIES ('format-version' = '2')`);
      await spark.sql(`INSERT INTO orderpulse.spark.types VALUES
          (1, 9007199254740993, 'são paulo', TIMESTAMP '2018-06-30 23:59:59.123456', DATE '2018-06-30', 12.30, 1.5, true, X'00ff10'),
          (2, -5, 'rio', TIMESTAMP '1969-12-31 23:59:59.999999', DATE '1969-12-31', -0.01, -0.25, false, X''),
          (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`);
      await spark.sql(`INSERT INTO orderpulse.spark.types VALUES
          (4, 4611686018427387904, 'curitiba', TIMESTAMP '2017-01-01 00:00:00.000001', DATE '2017-01-01', 99999999.99, 1e300, true, X'cafe'),
          (5, 0, '', TIMESTAMP '2016-09-04 21:15:19.5', DATE '2016-09-04', 0.00, 0.0, false, X'00')`);

      // (ii) One table per partition transform, each written in two commits across several partitions;
      // the last row shares every transform's partition with the first, so each table has a
      // partition of two files for the compaction to merge.
      for (const [name, transform] of [
        ['by_identity', 'region'],
        ['by_day', 'days(ts)'],
        ['by_bucket', 'bucket(4, id)'],
        ['by_truncate', 'truncate(3, s)'],
      ] as const) {
        await spark.sql(`CREATE TABLE orderpulse.spark.${name} (id INT, region STRING, s STRING, ts TIMESTAMP, amount DECIMAL(10,2))
          USING iceberg PARTITIONED BY (${transform}) TBLPROPERTIES ('format-version' = '2')`);
        await spark.sql(`INSERT INTO orderpulse.spark.${name} VALUES
            (1, 'SP', 'alpha', TIMESTAMP '2018-03-01 10:00:00.000001', 10.10),
            (2, 'RJ', 'alphabet', TIMESTAMP '2018-03-01 23:59:59.999999', 20.20),
            (3, 'SP', 'beta', TIMESTAMP '2018-03-02 00:00:00', 30.30),
            (4, NULL, NULL, NULL, NULL)`);
        await spark.sql(`INSERT INTO orderpulse.spark.${name} VALUES
            (5, 'MG', 'be', TIMESTAMP '2018-03-02 12:30:00.5', 40.40),
            (6, 'SP', 'gamma', TIMESTAMP '2017-12-31 23:00:00', 50.50),
            (7, 'RJ', 'alp', TIMESTAMP '2018-03-01 00:00:00', 60.60),
            (1, 'SP', 'alpaca', TIMESTAMP '2018-03-01 11:00:00.000002', 11.11)`);
      }

      // (iii) Schema evolution, data written before and after each change.
      await spark.sql(`CREATE TABLE orderpulse.spark.evolving (id INT, label STRING, weight INT) USING iceberg TBLPROPERTIES ('format-version' = '2')`);
      await spark.sql(`INSERT INTO orderpulse.spark.evolving VALUES (1, 'one', 10), (2, 'two', 20)`);
      await spark.sql(`ALTER TABLE orderpulse.spark.evolving ADD COLUMN price DOUBLE`);
      await spark.sql(`INSERT INTO orderpulse.spark.evolving VALUES (3, 'three', 30, 3.5)`);
      await spark.sql(`ALTER TABLE orderpulse.spark.evolving RENAME COLUMN label TO title`);
      await spark.sql(`INSERT INTO orderpulse.spark.evolving VALUES (4, 'four', 40, 4.5)`);
      await spark.sql(`ALTER TABLE orderpulse.spark.evolving DROP COLUMN weight`);
      await spark.sql(`INSERT INTO orderpulse.spark.evolving VALUES (5, 'five', 5.5)`);

      // (iv) Merge-on-read: DELETE, UPDATE and MERGE write position delete files.
      await spark.sql(`CREATE TABLE orderpulse.spark.merge_on_read (id INT, s STRING, amount DECIMAL(10,2)) USING iceberg
        TBLPROPERTIES ('format-version' = '2', 'write.delete.mode' = 'merge-on-read', 'write.update.mode' = 'merge-on-read',
                       'write.merge.mode' = 'merge-on-read')`);
      await spark.sql(`INSERT INTO orderpulse.spark.merge_on_read VALUES (1, 'one', 1.00), (2, 'two', 2.00), (3, 'three', 3.00), (4, 'four', 4.00)`);
      await spark.sql(`INSERT INTO orderpulse.spark.merge_on_read VALUES (5, 'five', 5.00), (6, 'six', 6.00)`);
      await spark.sql(`DELETE FROM orderpulse.spark.merge_on_read WHERE id = 2`);
      await spark.sql(`UPDATE orderpulse.spark.merge_on_read SET amount = amount + 0.50 WHERE id = 3`);
      await spark.sql(`MERGE INTO orderpulse.spark.merge_on_read t
        USING (SELECT 4 AS id, 'FOUR' AS s, CAST(40.00 AS DECIMAL(10,2)) AS amount
               UNION ALL SELECT 7, 'seven', CAST(7.00 AS DECIMAL(10,2))) src
        ON t.id = src.id
        WHEN MATCHED THEN UPDATE SET *
        WHEN NOT MATCHED THEN INSERT *`);

      // (v) Equality deletes, by id and by string, then a row with a deleted id written again: an
      // equality delete applies to data files of earlier sequence numbers only.
      await spark.sql(`CREATE TABLE orderpulse.spark.equality (id INT, s STRING, amount DECIMAL(10,2)) USING iceberg TBLPROPERTIES ('format-version' = '2')`);
      await spark.sql(`INSERT INTO orderpulse.spark.equality VALUES (1, 'one', 1.00), (2, 'two', 2.00), (3, 'three', 3.00), (4, 'four', 4.00)`);
      await spark.sql(`INSERT INTO orderpulse.spark.equality VALUES (5, 'five', 5.00), (6, 'six', 6.00), (7, 'seven', 7.00)`);
      await spark.equalityDelete('spark.equality', ['id'], [[2], [6], [99]]);
      await spark.equalityDelete('spark.equality', ['s'], [['three']]);
      await spark.sql(`INSERT INTO orderpulse.spark.equality VALUES (2, 'two again', 22.00)`);
    });
    after(async () => {
      await lake?.close();
      await cleanup();
      dir.remove();
    });

    it('Spark wrote what the cases are about (the referee checked against hand-made expectations)', async () => {
      const ids = async (name: string): Promise<unknown[]> => (await spark.sql(`SELECT id FROM ${sparkTable(name)} ORDER BY id`)).rows.map((r) => r[0]);
      assert.deepEqual(await ids('spark.merge_on_read'), [1, 3, 4, 5, 6, 7]);
      assert.deepEqual(await ids('spark.equality'), [1, 2, 4, 5, 7]);
      const content = async (name: string): Promise<unknown[]> =>
        (await spark.sql(`SELECT DISTINCT content FROM ${sparkTable(name)}.delete_files ORDER BY content`)).rows.map((r) => r[0]);
      assert.deepEqual(await content('spark.merge_on_read'), [1], 'merge-on-read wrote position deletes (content 1)');
      assert.deepEqual(await content('spark.equality'), [2], 'the Java API wrote equality deletes (content 2)');
      const micros = await spark.sql(`SELECT ts, big FROM orderpulse.spark.types WHERE id = 1`);
      assert.deepEqual(micros.rows, [['2018-06-30T23:59:59.123456Z', '9007199254740993']]);
    });

    it("answers a request Spark refuses with Spark's reason, and goes on", async () => {
      await assert.rejects(spark.sql('SELECT * FROM orderpulse.spark.no_such_table'), (error: Error) => {
        assert.match(error.message, /^Spark refused SELECT \* FROM orderpulse\.spark\.no_such_table:\n/);
        assert.match(error.message, /TABLE_OR_VIEW_NOT_FOUND/);
        return true;
      });
      await assert.rejects(spark.equalityDelete('spark.by_day', ['id'], [[1]]), /equality_delete writes to unpartitioned tables only; spark\.by_day is partitioned/);
      await assert.rejects(spark.equalityDelete('spark.equality', ['id', 's'], [[1]]), /delete row \[1\] does not have one value per column \['id', 's'\]/);
      assert.deepEqual((await spark.sql('SELECT count(*) FROM orderpulse.spark.by_day')).rows, [[8]]);
    });

    it('reads every primitive type as Spark does: rows and aggregates', async () => {
      await assertSameRows('spark.types');
      await assertSameAnswer(
        'spark.types',
        `SELECT count(*) AS n, count(ts) AS stamped, CAST(sum(id) AS STRING) AS ids, CAST(sum(big) AS STRING) AS bigs,
                CAST(sum(amount) AS STRING) AS amount, CAST(min(d) AS STRING) AS first_day, CAST(max(d) AS STRING) AS last_day,
                sum(x) AS x, count(CASE WHEN flag THEN 1 END) AS flags, count(raw) AS raws, max(s) AS last_s FROM {t}`,
      );
      // One row by a bound parameter: the microsecond timestamp, exactly.
      const scan = await (await lake.table('spark.types')).scan();
      const one = await lake.query({ t: await scan.view() }, 'SELECT CAST(epoch_us(ts) AS VARCHAR) AS us, CAST(big AS VARCHAR) AS big FROM t WHERE id = $1', [1]);
      assert.deepEqual(one.rows, [{ us: String(Date.UTC(2018, 5, 30, 23, 59, 59, 123) * 1000 + 456), big: '9007199254740993' }]);
    });

    for (const name of ['by_identity', 'by_day', 'by_bucket', 'by_truncate']) {
      it(`reads a table partitioned ${name.replace('_', ' ')} as Spark does: rows, groups, every snapshot`, async () => {
        await assertSameRows(`spark.${name}`);
        await assertSameAnswer(`spark.${name}`, `SELECT region, count(*) AS n, CAST(sum(amount) AS STRING) AS amount, count(ts) AS stamped FROM {t} GROUP BY region`);
        // Pruning by the bounds Spark wrote keeps the rows that match.
        const table = await lake.table(`spark.${name}`);
        const pruned = await table.scan({ filter: [{ column: 'id', op: '=', value: 3 }] });
        assert.deepEqual((await pruned.query('SELECT s FROM t WHERE id = 3')).rows, [{ s: 'beta' }], `${name}: id 3 after pruning`);
      });
    }

    it('reads a table whose columns were added, renamed and dropped as Spark does, at every snapshot', async () => {
      const table = await lake.table('spark.evolving');
      assert.deepEqual(
        table.schema.fields.map((f) => f.name),
        ['id', 'title', 'price'],
      );
      await assertSameRows('spark.evolving');
      await assertSameAnswer('spark.evolving', 'SELECT count(*) AS n, count(price) AS priced, sum(price) AS price, max(title) AS title FROM {t}');
    });

    it('applies the position deletes of merge-on-read DELETE, UPDATE and MERGE as Spark does', async () => {
      await assertSameRows('spark.merge_on_read');
      await assertSameAnswer('spark.merge_on_read', 'SELECT count(*) AS n, CAST(sum(id) AS STRING) AS ids, CAST(sum(amount) AS STRING) AS amount FROM {t}');
    });

    it('applies equality deletes as Spark does, and not to rows written after them', async () => {
      await assertSameRows('spark.equality');
      await assertSameAnswer('spark.equality', 'SELECT count(*) AS n, CAST(sum(id) AS STRING) AS ids, CAST(sum(amount) AS STRING) AS amount FROM {t}');
    });

    it("reads Spark's 64-bit snapshot ids exactly", async () => {
      for (const name of ['spark.types', 'spark.merge_on_read', 'spark.equality']) {
        const table = await lake.table(name);
        const theirs = await sparkSnapshots(name);
        assert.ok(
          theirs.some((id) => BigInt(id) > 2n ** 53n),
          `${name}: Spark drew an id above 2^53 (${theirs.join(', ')}); ids are random, so this holds but with odds of about 1 in 1000^${theirs.length}`,
        );
        assert.deepEqual(
          table.snapshots().map((s) => String(s['snapshot-id'])),
          theirs,
          `${name}: OrderPulse's snapshot ids`,
        );
        assert.equal(String(table.currentSnapshot()?.['snapshot-id']), theirs.at(-1), `${name}: current snapshot`);
      }
    });

    /** What `orderpulse maintain` runs on each table first: every table here has small files to merge. */
    async function compact(table: IcebergTable): Promise<void> {
      const result = await table.compact();
      assert.ok(result !== null && result.deletedFiles >= 1, `${table.name}: the compaction rewrote files (${result === null ? 'nothing to do' : `${result.deletedFiles} replaced`})`);
    }

    for (const name of ['types', 'by_identity', 'by_day', 'by_bucket', 'by_truncate', 'evolving', 'merge_on_read', 'equality']) {
      it(`keeps spark.${name} as Spark reads it through OrderPulse's compaction`, async () => {
        const before = await sparkRows(`spark.${name}`);
        await compact(await lake.table(`spark.${name}`));
        assert.deepEqual(await sparkRows(`spark.${name}`), before, `spark.${name}: Spark reads the same rows after the compaction`);
        const scan = await (await lake.table(`spark.${name}`)).scan();
        assert.deepEqual(await orderPulseRows(scan), before, `spark.${name}: OrderPulse reads them too`);
        // The deletes were applied in the rewritten files, so no delete file is left for either engine.
        assert.deepEqual(scan.deleteFiles, [], `spark.${name}: OrderPulse sees no delete file`);
        const left = await spark.sql(`SELECT count(*) FROM orderpulse.spark.${name}.delete_files`);
        assert.equal(Number(left.rows[0]?.[0]), 0, `spark.${name}: Spark sees no delete file`);
      });
    }

    it('keeps the microsecond timestamps through the compaction, as Spark reads them', async () => {
      const operations = (await spark.sql('SELECT operation FROM orderpulse.spark.types.snapshots ORDER BY committed_at')).rows.map((r) => r[0]);
      assert.equal(operations.at(-1), 'replace', 'the compaction committed');
      const result = await spark.sql('SELECT id, ts FROM orderpulse.spark.types WHERE ts IS NOT NULL ORDER BY id');
      assert.deepEqual(result.rows, [
        [1, '2018-06-30T23:59:59.123456Z'],
        [2, '1969-12-31T23:59:59.999999Z'],
        [4, '2017-01-01T00:00:00.000001Z'],
        [5, '2016-09-04T21:15:19.500000Z'],
      ]);
    });
  });
}
