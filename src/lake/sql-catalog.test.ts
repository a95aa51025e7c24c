import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { openEmbeddedStore } from '../store/index.js';
import { tempDir } from '../testing/fixtures.js';
import { catalogContract } from './catalog-contract.js';
import { LakeError } from './errors.js';
import { SqlCatalog, SqlDriverError, openSqlCatalog, parseCatalogUri, postgresDriver, sqliteDriver } from './sql-catalog.js';
import type { SqlDriver } from './sql-catalog.js';

const tag = (): string => randomBytes(4).toString('hex');

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<LakeError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof LakeError, `expected ${code}, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

// ---- the contract: SQLite always, PostgreSQL when configured -----------------------------------

catalogContract('sqlite (embedded store file)', async () => {
  const dir = tempDir('orderpulse-catalog-');
  const uri = join(dir.path, 'orderpulse.db');
  const catalog = await openSqlCatalog({ name: `test_${tag()}`, uri });
  return {
    catalog,
    open: (name) => openSqlCatalog({ name, uri }),
    cleanup: () => Promise.resolve(dir.remove()),
  };
});

const postgresUrl = process.env['ORDERPULSE_TEST_POSTGRES_URL'] || undefined;
const postgresSkip =
  postgresUrl === undefined
    ? 'ORDERPULSE_TEST_POSTGRES_URL not set: run `eval "$(scripts/services/up.sh postgres)"` (or point it at any PostgreSQL database you may create tables in) to run the PostgreSQL catalog tests'
    : false;

async function withPg<T>(body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

catalogContract(
  'postgres (public schema)',
  async () => {
    const name = `test_${tag()}`;
    const uri = postgresUrl ?? '';
    const catalog = await openSqlCatalog({ name, uri });
    return {
      catalog,
      open: (other) => openSqlCatalog({ name: other, uri }),
      cleanup: () =>
        withPg(async (client) => {
          // Every catalog name the test used starts with its own.
          await client.query('DELETE FROM iceberg_tables WHERE catalog_name LIKE $1', [`${name}%`]);
          await client.query('DELETE FROM iceberg_namespace_properties WHERE catalog_name LIKE $1', [`${name}%`]);
        }),
    };
  },
  { skip: postgresSkip },
);

// ---- the tables, as Java's JdbcCatalog and PyIceberg's SqlCatalog define them ------------------

/** Java's JdbcUtil V0 DDL plus its V1 `iceberg_type`; PyIceberg's models match it column for column. */
const EXPECTED_TABLES = [
  { name: 'catalog_name', type: 'VARCHAR(255)', notnull: 1, pk: 1 },
  { name: 'table_namespace', type: 'VARCHAR(255)', notnull: 1, pk: 2 },
  { name: 'table_name', type: 'VARCHAR(255)', notnull: 1, pk: 3 },
  { name: 'metadata_location', type: 'VARCHAR(1000)', notnull: 0, pk: 0 },
  { name: 'previous_metadata_location', type: 'VARCHAR(1000)', notnull: 0, pk: 0 },
  { name: 'iceberg_type', type: 'VARCHAR(5)', notnull: 0, pk: 0 },
];
const EXPECTED_NAMESPACE_PROPERTIES = [
  { name: 'catalog_name', type: 'VARCHAR(255)', notnull: 1, pk: 1 },
  { name: 'namespace', type: 'VARCHAR(255)', notnull: 1, pk: 2 },
  // SQLite lets a non-integer primary key column hold NULL unless NOT NULL is spelled out, as Java leaves it.
  { name: 'property_key', type: 'VARCHAR(255)', notnull: 0, pk: 3 },
  { name: 'property_value', type: 'VARCHAR(1000)', notnull: 0, pk: 0 },
];

/** The DDL SQLAlchemy emits for the IcebergTables and IcebergNamespaceProperties models of PyIceberg before 0.12 (0.12 adds iceberg_type). */
const PYICEBERG_DDL = [
  `CREATE TABLE iceberg_tables (
	catalog_name VARCHAR(255) NOT NULL, 
	table_namespace VARCHAR(255) NOT NULL, 
	table_name VARCHAR(255) NOT NULL, 
	metadata_location VARCHAR(1000), 
	previous_metadata_location VARCHAR(1000), 
	PRIMARY KEY (catalog_name, table_namespace, table_name)
)`,
  `CREATE TABLE iceberg_namespace_properties (
	catalog_name VARCHAR(255) NOT NULL, 
	namespace VARCHAR(255) NOT NULL, 
	property_key VARCHAR(255) NOT NULL, 
	property_value VARCHAR(1000) NOT NULL, 
	PRIMARY KEY (catalog_name, namespace, property_key)
)`,
];

void describe('SqlCatalog on SQLite', () => {
  void it('creates the tables of the JDBC catalog, column for column, in the embedded store file', async () => {
    const dir = tempDir('orderpulse-catalog-');
    try {
      const path = join(dir.path, 'orderpulse.db');
      const db = openEmbeddedStore(path);
      db.exec('CREATE TABLE log_example (id INTEGER PRIMARY KEY)'); // the event log's tables live here too
      const catalog = await SqlCatalog.open(sqliteDriver(db), 'orderpulse');
      assert.equal(catalog.typed, true);
      const columns = (table: string): unknown[] =>
        (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string; type: string; notnull: number; pk: number }[]).map(
          ({ name, type, notnull, pk }) => ({ name, type, notnull, pk }),
        );
      assert.deepEqual(columns('iceberg_tables'), EXPECTED_TABLES);
      assert.deepEqual(columns('iceberg_namespace_properties'), EXPECTED_NAMESPACE_PROPERTIES);
      await catalog.close();
      assert.equal(db.open, true, 'a catalog over a database it does not own leaves it open');
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      db.close();
      // Opening again finds the tables (CREATE TABLE IF NOT EXISTS) and keeps the rows.
      const again = await openSqlCatalog({ name: 'orderpulse', uri: path });
      await again.createNamespace('bronze');
      await again.close();
      const third = await openSqlCatalog({ name: 'orderpulse', uri: `sqlite:${path}` });
      assert.deepEqual(await third.listNamespaces(), ['bronze']);
      await third.close();
    } finally {
      dir.remove();
    }
  });

  void it('works on tables PyIceberg < 0.12 created (no iceberg_type, NOT NULL properties), leaving them as they are', async () => {
    const dir = tempDir('orderpulse-catalog-');
    try {
      const path = join(dir.path, 'pyiceberg.db');
      const db = openEmbeddedStore(path);
      for (const ddl of PYICEBERG_DDL) db.exec(ddl);
      // A namespace and a table as PyIceberg writes them: properties without `exists`, no type column.
      db.prepare('INSERT INTO iceberg_namespace_properties VALUES (?, ?, ?, ?)').run('default', 'raw', 'owner', 'pyiceberg');
      db.prepare('INSERT INTO iceberg_tables VALUES (?, ?, ?, ?, NULL)').run('default', 'raw', 'events', 'file:///w/raw/events/v0.json');
      const catalog = await SqlCatalog.open(sqliteDriver(db), 'default');
      assert.equal(catalog.typed, false);
      assert.deepEqual(await catalog.listNamespaces(), ['raw']);
      assert.deepEqual(await catalog.namespaceProperties('raw'), { owner: 'pyiceberg' });
      assert.deepEqual(await catalog.listTables('raw'), [{ namespace: 'raw', name: 'events' }]);
      await catalog.swapMetadataLocation({ namespace: 'raw', name: 'events' }, 'file:///w/raw/events/v0.json', 'file:///w/raw/events/v1.json');
      await catalog.createNamespace('bronze', { owner: 'orderpulse' });
      await catalog.createTable({ namespace: 'bronze', name: 'orders' }, 'file:///w/bronze/orders/v0.json');
      assert.deepEqual(
        db.prepare("SELECT * FROM iceberg_tables WHERE table_name = 'events'").get(),
        {
          catalog_name: 'default',
          table_namespace: 'raw',
          table_name: 'events',
          metadata_location: 'file:///w/raw/events/v1.json',
          previous_metadata_location: 'file:///w/raw/events/v0.json',
        },
        "Java's and PyIceberg's commit: previous = the base",
      );
      assert.deepEqual(
        db.prepare("SELECT property_key, property_value FROM iceberg_namespace_properties WHERE namespace = 'bronze' ORDER BY property_key").all(),
        [
          { property_key: 'exists', property_value: 'true' },
          { property_key: 'owner', property_value: 'orderpulse' },
        ],
      );
      assert.deepEqual(
        (db.prepare('PRAGMA table_info(iceberg_tables)').all() as { name: string }[]).map((c) => c.name),
        ['catalog_name', 'table_namespace', 'table_name', 'metadata_location', 'previous_metadata_location'],
        'the table is not altered',
      );
      await catalog.close();
      db.close();
    } finally {
      dir.remove();
    }
  });

  void it("with Java's iceberg_type: writes TABLE, takes NULL as a table, never sees or moves a VIEW", async () => {
    const db = openEmbeddedStore(':memory:');
    try {
      const catalog = await SqlCatalog.open(sqliteDriver(db), 'jdbc');
      await catalog.createNamespace('gold');
      await catalog.createTable({ namespace: 'gold', name: 'kpis' }, 'file:///w/kpis/v0.json');
      assert.equal(db.prepare("SELECT iceberg_type FROM iceberg_tables WHERE table_name = 'kpis'").pluck().get(), 'TABLE');
      const insert = db.prepare('INSERT INTO iceberg_tables VALUES (?, ?, ?, ?, NULL, ?)');
      insert.run('jdbc', 'gold', 'legacy', 'file:///w/legacy/v0.json', null);
      insert.run('jdbc', 'gold', 'kpi_view', 'file:///w/kpi_view/v0.json', 'VIEW');
      assert.deepEqual(
        (await catalog.listTables('gold')).map((t) => t.name),
        ['kpis', 'legacy'],
      );
      assert.equal(await catalog.currentMetadataLocation({ namespace: 'gold', name: 'legacy' }), 'file:///w/legacy/v0.json');
      const view = { namespace: 'gold', name: 'kpi_view' };
      assert.equal(await catalog.currentMetadataLocation(view), null);
      await rejectsWith(catalog.swapMetadataLocation(view, 'file:///w/kpi_view/v0.json', 'file:///w/kpi_view/v1.json'), 'OP_LAKE_NO_SUCH_TABLE');
      await rejectsWith(catalog.dropTable(view), 'OP_LAKE_NO_SUCH_TABLE');
      await rejectsWith(catalog.createTable(view, 'file:///w/x.json'), 'OP_LAKE_TABLE_EXISTS');
      assert.equal(db.prepare("SELECT metadata_location FROM iceberg_tables WHERE table_name = 'kpi_view'").pluck().get(), 'file:///w/kpi_view/v0.json');
      await catalog.close();
    } finally {
      db.close();
    }
  });

  void it('sees namespaces that only tables name, and multi-level ones by their first level, as Java does', async () => {
    const db = openEmbeddedStore(':memory:');
    try {
      const catalog = await SqlCatalog.open(sqliteDriver(db), 'jdbc');
      const insert = db.prepare('INSERT INTO iceberg_tables VALUES (?, ?, ?, ?, NULL, NULL)');
      insert.run('jdbc', 'loose', 't', 'file:///w/t.json');
      insert.run('jdbc', 'deep.nested', 'u', 'file:///w/u.json');
      insert.run('jdbc', 'deep_x', 'v', 'file:///w/v.json'); // `_` is no wildcard in the existence check
      assert.deepEqual(await catalog.listNamespaces(), ['deep', 'deep_x', 'loose']);
      assert.deepEqual(await catalog.listTables('loose'), [{ namespace: 'loose', name: 't' }]);
      assert.deepEqual(await catalog.listTables('deep'), []);
      assert.deepEqual(await catalog.namespaceProperties('deep'), {});
      await rejectsWith(catalog.listTables('deepx'), 'OP_LAKE_NO_SUCH_NAMESPACE');
      await rejectsWith(catalog.listTables('deep%'), 'OP_LAKE_NO_SUCH_NAMESPACE');
      await catalog.close();
    } finally {
      db.close();
    }
  });

  void it('processes racing to commit on one SQLite file: exactly one wins each round', async () => {
    const dir = tempDir('orderpulse-catalog-');
    const path = join(dir.path, 'orderpulse.db');
    const moduleUrl = new URL('./sql-catalog.js', import.meta.url).href;
    const table = { namespace: 'bronze', name: 'orders' };
    // Each child opens its own catalog, waits for the go file, then commits on the base it is given.
    const child = `
      const { openSqlCatalog } = await import(${JSON.stringify(moduleUrl)});
      const { existsSync } = await import('node:fs');
      const [path, go, base, next] = process.argv.slice(1);
      const catalog = await openSqlCatalog({ name: 'race', uri: path });
      process.stdout.write('ready\\n');
      while (!existsSync(go)) await new Promise((r) => setTimeout(r, 1));
      try {
        await catalog.swapMetadataLocation(${JSON.stringify(table)}, base, next);
        process.stdout.write('won\\n');
      } catch (error) {
        process.stdout.write((error.code ?? String(error)) + '\\n');
      }
      await catalog.close();`;
    const catalog = await openSqlCatalog({ name: 'race', uri: path });
    try {
      await catalog.createNamespace('bronze');
      let base = 'file:///w/orders/v0.json';
      await catalog.createTable(table, base);
      for (let round = 1; round <= 3; round++) {
        const go = join(dir.path, `go-${round}`);
        const children = [0, 1, 2, 3].map((i) => {
          const next = `file:///w/orders/v${round}-${i}.json`;
          const proc = spawn(process.execPath, ['--input-type=module', '-e', child, path, go, base, next], { stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          const ready = new Promise<void>((resolve) =>
            proc.stdout.on('data', (chunk: Buffer) => {
              out += chunk.toString();
              if (out.includes('ready\n')) resolve();
            }),
          );
          const done = new Promise<string>((resolve) => proc.once('exit', () => resolve(out.replace('ready\n', '').trim())));
          return { next, ready, done };
        });
        await Promise.all(children.map((c) => c.ready));
        writeFileSync(go, '');
        const results = await Promise.all(children.map((c) => c.done));
        assert.equal(results.filter((r) => r === 'won').length, 1, `round ${round}: ${results.join(', ')}`);
        assert.equal(results.filter((r) => r === 'OP_LAKE_COMMIT_CONFLICT').length, 3, results.join(', '));
        const winner = children[results.indexOf('won')]?.next;
        assert.equal(await catalog.currentMetadataLocation(table), winner);
        base = winner ?? '';
      }
    } finally {
      await catalog.close();
      dir.remove();
    }
  });

  void it('a closed catalog refuses work with OP_LAKE_IO; close is idempotent', async () => {
    const catalog = await openSqlCatalog({ name: 'c', uri: ':memory:' });
    await catalog.close();
    await catalog.close();
    await rejectsWith(catalog.listNamespaces(), 'OP_LAKE_IO');
  });
});

// ---- outcomes of a commit, through a driver that fails on purpose -----------------------------------

function failingDriver(failure: SqlDriverError['failure'], on: RegExp): SqlDriver {
  const db = openEmbeddedStore(':memory:');
  const real = sqliteDriver(db, { ownsDatabase: true });
  return {
    ...real,
    run: (sql, params, options) => (on.test(sql) ? Promise.reject(new SqlDriverError(failure, `injected ${failure}`)) : real.run(sql, params, options)),
  };
}

void describe('SqlCatalog commit outcomes', () => {
  const table = { namespace: 'bronze', name: 'orders' };
  const prepare = async (failure: SqlDriverError['failure'], on: RegExp): Promise<SqlCatalog> => {
    const catalog = await SqlCatalog.open(failingDriver(failure, on), 'c');
    await catalog.createNamespace('bronze');
    return catalog;
  };

  void it('a connection lost after the update was sent is OP_LAKE_COMMIT_STATE_UNKNOWN, not retryable', async () => {
    const catalog = await prepare('unknown', /^UPDATE iceberg_tables/);
    await catalog.createTable(table, 'file:///v0.json');
    const error = await rejectsWith(catalog.swapMetadataLocation(table, 'file:///v0.json', 'file:///v1.json'), 'OP_LAKE_COMMIT_STATE_UNKNOWN');
    assert.equal(error.retryable, false);
    assert.equal(error.details['table'], 'bronze.orders');
    await catalog.close();
    const creating = await prepare('unknown', /^INSERT INTO iceberg_tables/);
    await rejectsWith(creating.createTable(table, 'file:///v0.json'), 'OP_LAKE_COMMIT_STATE_UNKNOWN');
    await creating.close();
  });

  void it('an update that never reached the store is OP_LAKE_COMMIT_FAILED, retryable', async () => {
    const catalog = await prepare('not-sent', /^UPDATE iceberg_tables/);
    await catalog.createTable(table, 'file:///v0.json');
    const error = await rejectsWith(catalog.swapMetadataLocation(table, 'file:///v0.json', 'file:///v1.json'), 'OP_LAKE_COMMIT_FAILED');
    assert.equal(error.retryable, true);
    await catalog.close();
  });

  void it('a store error that rules the update out is OP_LAKE_COMMIT_FAILED, not retryable', async () => {
    const catalog = await prepare('other', /^UPDATE iceberg_tables/);
    await catalog.createTable(table, 'file:///v0.json');
    const error = await rejectsWith(catalog.swapMetadataLocation(table, 'file:///v0.json', 'file:///v1.json'), 'OP_LAKE_COMMIT_FAILED');
    assert.equal(error.retryable, false);
    await catalog.close();
  });
});

// ---- opening -------------------------------------------------------------------------------------

void describe('openSqlCatalog', () => {
  void it('reads catalog URIs: paths, sqlite:, jdbc:sqlite:, SQLAlchemy sqlite:///, postgres://', () => {
    assert.deepEqual(parseCatalogUri('/var/op/orderpulse.db'), { kind: 'sqlite', path: '/var/op/orderpulse.db' });
    assert.deepEqual(parseCatalogUri('sqlite:/var/op/orderpulse.db'), { kind: 'sqlite', path: '/var/op/orderpulse.db' });
    assert.deepEqual(parseCatalogUri('jdbc:sqlite:/var/op/orderpulse.db'), { kind: 'sqlite', path: '/var/op/orderpulse.db' });
    assert.deepEqual(parseCatalogUri('sqlite:////var/op/orderpulse.db'), { kind: 'sqlite', path: '/var/op/orderpulse.db' });
    assert.deepEqual(parseCatalogUri('sqlite:///rel/orderpulse.db'), { kind: 'sqlite', path: resolve('rel/orderpulse.db') });
    assert.deepEqual(parseCatalogUri('.orderpulse/store.db'), { kind: 'sqlite', path: resolve('.orderpulse/store.db') });
    assert.deepEqual(parseCatalogUri(':memory:'), { kind: 'sqlite', path: ':memory:' });
    assert.deepEqual(parseCatalogUri('postgres://u:p@127.0.0.1:5432/db'), { kind: 'postgres', url: 'postgres://u:p@127.0.0.1:5432/db' });
    assert.deepEqual(parseCatalogUri('postgresql://127.0.0.1/db'), { kind: 'postgres', url: 'postgresql://127.0.0.1/db' });
    for (const bad of ['mysql://127.0.0.1/db', 'sqlite:', 'http://x/y']) {
      assert.throws(() => parseCatalogUri(bad), (error) => error instanceof LakeError && error.code === 'OP_LAKE_INVALID_ARGUMENT', bad);
    }
  });

  void it('an unreachable PostgreSQL is a retryable OP_LAKE_IO at open', async () => {
    const error = await rejectsWith(openSqlCatalog({ name: 'c', uri: 'postgres://nobody@127.0.0.1:1/none' }), 'OP_LAKE_IO');
    assert.equal(error.retryable, true);
  });

  void it('refuses a schema name that is not a plain SQL name', () => {
    assert.throws(
      () => postgresDriver({ url: 'postgres://127.0.0.1:1/x', schema: 'x; DROP TABLE y' }),
      (error) => error instanceof LakeError && error.code === 'OP_LAKE_INVALID_ARGUMENT',
    );
  });
});

// ---- PostgreSQL specifics --------------------------------------------------------------------------

void describe('SqlCatalog on PostgreSQL', { skip: postgresSkip }, () => {
  const uri = postgresUrl ?? '';

  void it('creates the tables with the JDBC catalog column types', async () => {
    const schema = `op_test_${tag()}`;
    const catalog = await openSqlCatalog({ name: 'c', uri, schema });
    try {
      const columns = await withPg(async (client) =>
        (
          await client.query(
            `SELECT table_name, column_name, data_type, character_maximum_length AS len, is_nullable
               FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
            [schema],
          )
        ).rows.map((r: { table_name: string; column_name: string; len: number; is_nullable: string }) => `${r.table_name}.${r.column_name} varchar(${r.len}) ${r.is_nullable === 'NO' ? 'not null' : 'null'}`),
      );
      assert.deepEqual(columns, [
        'iceberg_namespace_properties.catalog_name varchar(255) not null',
        'iceberg_namespace_properties.namespace varchar(255) not null',
        // A primary key column is NOT NULL in PostgreSQL whatever the DDL says.
        'iceberg_namespace_properties.property_key varchar(255) not null',
        'iceberg_namespace_properties.property_value varchar(1000) null',
        'iceberg_tables.catalog_name varchar(255) not null',
        'iceberg_tables.table_namespace varchar(255) not null',
        'iceberg_tables.table_name varchar(255) not null',
        'iceberg_tables.metadata_location varchar(1000) null',
        'iceberg_tables.previous_metadata_location varchar(1000) null',
        'iceberg_tables.iceberg_type varchar(5) null',
      ]);
    } finally {
      await catalog.close();
      await withPg((client) => client.query(`DROP SCHEMA ${schema} CASCADE`));
    }
  });

  void it('keeps a catalog in its own schema when asked, and opening concurrently is safe', async () => {
    const schema = `op_test_${tag()}`;
    const catalogs = await Promise.all([1, 2, 3].map(() => openSqlCatalog({ name: 'shared', uri, schema })));
    const publicCatalog = await openSqlCatalog({ name: 'shared', uri });
    try {
      const [first, second] = catalogs;
      assert.ok(first !== undefined && second !== undefined);
      const ns = `ns_${tag()}`;
      await first.createNamespace(ns);
      await first.createTable({ namespace: ns, name: 't' }, 'file:///w/t/v0.json');
      assert.equal(await second.currentMetadataLocation({ namespace: ns, name: 't' }), 'file:///w/t/v0.json');
      assert.equal((await publicCatalog.listNamespaces()).includes(ns), false);
    } finally {
      for (const catalog of catalogs) await catalog.close();
      await publicCatalog.close();
      await withPg((client) => client.query(`DROP SCHEMA ${schema} CASCADE`));
    }
  });

  void it('a connection killed while the commit waits on the row is OP_LAKE_COMMIT_STATE_UNKNOWN; the catalog recovers', async () => {
    const schema = `op_test_${tag()}`;
    const catalog = await openSqlCatalog({ name: 'c', uri, schema });
    const table = { namespace: 'bronze', name: 'orders' };
    try {
      await catalog.createNamespace('bronze');
      await catalog.createTable(table, 'file:///w/orders/v0.json');
      await withPg(async (locker) => {
        await locker.query(`SET search_path TO ${schema}`);
        const lockerPid = (await locker.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
        await locker.query('BEGIN');
        await locker.query("SELECT 1 FROM iceberg_tables WHERE catalog_name = 'c' AND table_name = 'orders' FOR UPDATE");
        const swap = catalog.swapMetadataLocation(table, 'file:///w/orders/v0.json', 'file:///w/orders/v1.json');
        const settled = swap.then(
          () => null,
          (error: unknown) => error,
        );
        // Find the commit's backend, blocked on the locker's row lock, and end it.
        let victim: number | undefined;
        for (let i = 0; i < 200 && victim === undefined; i++) {
          const blocked = await locker.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [lockerPid]);
          victim = blocked.rows[0]?.pid;
          if (victim === undefined) await new Promise((r) => setTimeout(r, 25));
        }
        assert.ok(victim !== undefined, 'the commit never blocked on the row lock');
        await locker.query('SELECT pg_terminate_backend($1)', [victim]);
        const error = await settled;
        assert.ok(error instanceof LakeError, String(error));
        assert.equal(error.code, 'OP_LAKE_COMMIT_STATE_UNKNOWN', error.message);
        assert.equal(error.retryable, false);
        await locker.query('ROLLBACK');
      });
      // Here it had not landed; the pool replaced the dead connection and commits go on.
      assert.equal(await catalog.currentMetadataLocation(table), 'file:///w/orders/v0.json');
      await catalog.swapMetadataLocation(table, 'file:///w/orders/v0.json', 'file:///w/orders/v1.json');
      assert.equal(await catalog.currentMetadataLocation(table), 'file:///w/orders/v1.json');
    } finally {
      await catalog.close();
      await withPg((client) => client.query(`DROP SCHEMA ${schema} CASCADE`));
    }
  });
});

// ---- interoperability with PyIceberg's SqlCatalog (needs a Python with pyiceberg) --------------------

// As in pyiceberg-referee.test.ts: ORDERPULSE_PYTHON names the interpreter (default python3); the
// suite is skipped when it lacks PyIceberg, unless ORDERPULSE_REQUIRE_PYICEBERG=1 makes that a failure.
const python = process.env['ORDERPULSE_PYTHON'] ?? 'python3';
const pyicebergRequired = process.env['ORDERPULSE_REQUIRE_PYICEBERG'] === '1';
const canImport = (modules: string): boolean => spawnSync(python, ['-c', `import ${modules}`], { encoding: 'utf8' }).status === 0;
const pyicebergSkip =
  pyicebergRequired || canImport('pyiceberg, pyarrow, sqlalchemy')
    ? false
    : `PyIceberg is not installed for ${python} (pip install 'pyiceberg[pyarrow,sql-sqlite,sql-postgres]', or set ORDERPULSE_PYTHON)`;

/** PyIceberg's side: step 1 reads what OrderPulse wrote and creates a table; step 2 loads and commits. */
const PYICEBERG_SIDE = `
import json, sys
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.schema import Schema
from pyiceberg.types import NestedField, LongType, StringType
step, uri, warehouse = sys.argv[1:4]
cat = SqlCatalog("interop", uri=uri, warehouse=warehouse)
out = {}
if step == "1":
    out["namespaces"] = sorted(".".join(n) for n in cat.list_namespaces())
    out["bronze"] = cat.load_namespace_properties("bronze")
    cat.create_namespace("py_ns")
    t = cat.create_table("py_ns.events", Schema(NestedField(1, "id", LongType(), required=False), NestedField(2, "s", StringType(), required=False)))
    out["location"] = t.metadata_location
else:
    out["registered"] = cat.load_table("bronze.registered").metadata_location
    t = cat.load_table("py_ns.events")
    out["seen"] = t.metadata_location
    out["tables"] = [".".join(i) for i in cat.list_tables("bronze")]
    with t.transaction() as tx:
        tx.set_properties(written_by="pyiceberg")
    out["committed"] = cat.load_table("py_ns.events").metadata_location
print(json.dumps(out))
`;

function pyiceberg(step: 1 | 2, uri: string, warehouse: string): Record<string, unknown> {
  const result = spawnSync(python, ['-c', PYICEBERG_SIDE, String(step), uri, warehouse], { encoding: 'utf8' });
  assert.equal(result.status, 0, `pyiceberg step ${step} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
}

void describe('SqlCatalog and PyIceberg on one catalog', { skip: pyicebergSkip }, () => {
  const stores: { name: string; ours: (dir: string) => string; theirs: (dir: string) => string; skip: string | false }[] = [
    { name: 'sqlite', ours: (dir) => join(dir, 'catalog.db'), theirs: (dir) => `sqlite:///${join(dir, 'catalog.db')}`, skip: false },
    {
      name: 'postgres',
      ours: () => postgresUrl ?? '',
      theirs: () => (postgresUrl ?? '').replace(/^postgres(ql)?:\/\//, 'postgresql+psycopg2://'),
      skip:
        postgresSkip !== false
          ? postgresSkip
          : canImport('psycopg2')
            ? false
            : `psycopg2 is not installed for ${python} (pip install 'pyiceberg[sql-postgres]'); ORDERPULSE_REQUIRE_PYICEBERG asks for sql-sqlite only`,
    },
  ];
  for (const store of stores) {
    void it(`${store.name}: each side sees the other's namespaces, tables and commits`, { skip: store.skip }, async () => {
      const dir = tempDir('orderpulse-interop-');
      const warehouse = `file://${dir.path}/warehouse`;
      const catalog = await openSqlCatalog({ name: 'interop', uri: store.ours(dir.path) });
      try {
        await catalog.createNamespace('bronze', { owner: 'orderpulse' });
        const first = pyiceberg(1, store.theirs(dir.path), warehouse);
        assert.deepEqual(first['namespaces'], ['bronze']);
        assert.deepEqual(first['bronze'], { owner: 'orderpulse', exists: 'true' });
        const location = String(first['location']);
        const events = { namespace: 'py_ns', name: 'events' };
        assert.deepEqual(await catalog.listTables('py_ns'), [events]);
        assert.equal(await catalog.currentMetadataLocation(events), location);
        // Register PyIceberg's metadata file under a name of ours, and commit a copy of it.
        await catalog.createTable({ namespace: 'bronze', name: 'registered' }, location);
        const next = location.replace('.metadata.json', '-orderpulse.metadata.json');
        copyFileSync(location.slice('file://'.length), next.slice('file://'.length));
        await catalog.swapMetadataLocation(events, location, next);
        const second = pyiceberg(2, store.theirs(dir.path), warehouse);
        assert.equal(second['registered'], location);
        assert.equal(second['seen'], next);
        assert.deepEqual(second['tables'], ['bronze.registered']);
        assert.equal(await catalog.currentMetadataLocation(events), second['committed'], "PyIceberg's commit is ours to see");
        await rejectsWith(catalog.swapMetadataLocation(events, next, `${next}.stale`), 'OP_LAKE_COMMIT_CONFLICT');
      } finally {
        await catalog.close();
        if (store.name === 'postgres') {
          await withPg(async (client) => {
            await client.query("DELETE FROM iceberg_tables WHERE catalog_name = 'interop'");
            await client.query("DELETE FROM iceberg_namespace_properties WHERE catalog_name = 'interop'");
          });
        }
        dir.remove();
      }
    });
  }
});
