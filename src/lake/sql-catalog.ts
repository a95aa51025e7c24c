import { resolve } from 'node:path';
import pg from 'pg';
import { openEmbeddedStore } from '../store/index.js';
import type { SqliteDatabase } from '../store/index.js';
import type { Catalog, TableIdentifier } from './catalog.js';
import { LakeError } from './errors.js';

/**
 * The catalog in SQL, in the layout of Iceberg's JDBC catalog, so that Java's `JdbcCatalog` and
 * PyIceberg's `SqlCatalog` open the same database and see the same tables:
 *
 *   iceberg_tables(catalog_name, table_namespace, table_name, metadata_location,
 *                  previous_metadata_location, iceberg_type)                 -- Java's schema V1
 *   iceberg_namespace_properties(catalog_name, namespace, property_key, property_value)
 *
 * Compatibility notes (checked against pyiceberg/catalog/sql.py and Java's JdbcUtil/JdbcCatalog):
 * - Tables are created with `CREATE TABLE IF NOT EXISTS`, with Java's column types. An existing
 *   `iceberg_tables` without `iceberg_type` (made by PyIceberg before 0.12, or by Java in its
 *   default schema V0) is used as it is, never altered: rows are then written without a type. With
 *   the column (schema V1, which PyIceberg 0.12 also creates), new rows are typed `TABLE`, rows typed
 *   `VIEW` (Java's views) are never seen as tables, and a NULL type is a table, as in Java and
 *   PyIceberg.
 * - A namespace exists when it has a property row or a table (Java and PyIceberg agree). Creating
 *   one writes the property `exists` = `true` besides the given ones, as Java does; PyIceberg writes
 *   it only for a namespace without properties. `namespaceProperties` leaves `exists` out, as Java.
 * - A commit is Java's compare-and-swap:
 *     UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ?
 *     WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND metadata_location = ?
 *   (plus Java V1's `AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)` when the column is
 *   there). 0 rows: another writer moved the table on (`OP_LAKE_COMMIT_CONFLICT`, retryable) or it
 *   was dropped (`OP_LAKE_NO_SUCH_TABLE`).
 *
 * Two stores behind a tiny driver interface: SQLite (the embedded store: the catalog tables live in
 * the same file as the event log and the schema registry) and PostgreSQL (shared deployments).
 */

// ---- the driver interface ------------------------------------------------------------------------

export type SqlValue = string | number | null;
export type SqlRow = Readonly<Record<string, unknown>>;

/**
 * What went wrong in the store, in the terms a catalog needs:
 * - `unique`: a unique or primary key constraint refused the row (nothing changed);
 * - `not-sent`: the statement never reached the store (no connection);
 * - `unknown`: the connection broke after the statement was sent: it may or may not have run;
 * - `transient`: the store refused for now (busy, lock timeout, serialization): it did not run;
 * - `other`: it did not run, and trying again will not help.
 */
export type SqlFailure = 'unique' | 'not-sent' | 'unknown' | 'transient' | 'other';

export class SqlDriverError extends Error {
  readonly failure: SqlFailure;
  readonly retryable: boolean;
  /** PostgreSQL's SQLSTATE or SQLite's extended result code, when there is one. */
  readonly storeCode: string | null;

  constructor(failure: SqlFailure, message: string, options: { storeCode?: string | null; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SqlDriverError';
    this.failure = failure;
    this.retryable = failure === 'not-sent' || failure === 'transient';
    this.storeCode = options.storeCode ?? null;
  }
}

/** The few things the catalog asks of a SQL store. SQL is written with `?` placeholders. */
export interface SqlDriver {
  readonly dialect: 'sqlite' | 'postgres';
  /** Where the store is, for messages (a file path, or host:port/database). */
  readonly where: string;
  query(sql: string, params?: readonly SqlValue[]): Promise<SqlRow[]>;
  /**
   * Runs a statement, resolving to the number of rows it changed. With `verifyConnection`, a
   * pooled connection is checked first, so that a connection that died while idle counts as
   * `not-sent` rather than `unknown`.
   */
  run(sql: string, params?: readonly SqlValue[], options?: { readonly verifyConnection?: boolean }): Promise<number>;
  /** Lower-case column names of a table in the catalog's schema; empty when there is no such table. */
  columns(table: string): Promise<readonly string[]>;
  close(): Promise<void>;
}

// ---- SQLite --------------------------------------------------------------------------------------

/** A driver over a better-sqlite3 database; `ownsDatabase` closes it with the catalog. */
export function sqliteDriver(db: SqliteDatabase, options: { readonly ownsDatabase?: boolean } = {}): SqlDriver {
  const owns = options.ownsDatabase ?? false;
  const guard = <T>(body: () => T): Promise<T> => {
    try {
      return Promise.resolve(body());
    } catch (cause) {
      return Promise.reject(sqliteFailure(cause));
    }
  };
  return {
    dialect: 'sqlite',
    where: db.name,
    query: (sql, params = []) => guard(() => db.prepare(sql).all(...params) as SqlRow[]),
    run: (sql, params = []) => guard(() => db.prepare(sql).run(...params).changes),
    columns: (table) =>
      guard(() =>
        (db.prepare('SELECT name FROM pragma_table_info(?)').all(table) as { name: string }[]).map((row) => row.name.toLowerCase()),
      ),
    close: () => guard(() => (owns && db.open ? void db.close() : undefined)),
  };
}

function sqliteFailure(cause: unknown): SqlDriverError {
  const code = stringField(cause, 'code');
  const message = cause instanceof Error ? cause.message : String(cause);
  if (code === undefined) return new SqlDriverError('other', message, { cause });
  if (code.startsWith('SQLITE_CONSTRAINT')) return new SqlDriverError('unique', message, { storeCode: code, cause });
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new SqlDriverError('transient', message, { storeCode: code, cause });
  }
  // An I/O error may strike while the change is being made durable.
  if (code.startsWith('SQLITE_IOERR')) return new SqlDriverError('unknown', message, { storeCode: code, cause });
  return new SqlDriverError('other', message, { storeCode: code, cause });
}

// ---- PostgreSQL ----------------------------------------------------------------------------------

export interface PostgresDriverOptions {
  /** `postgres://user:password@host:port/database` (`postgresql://` too). */
  readonly url: string;
  /** A schema to keep the catalog tables in (created when missing), like Java's `jdbc.schema-name`; default the connection's search path. */
  readonly schema?: string;
  /** Pool size; default 4. */
  readonly maxConnections?: number;
  /** Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** A statement that has not answered by then counts as lost (its outcome unknown); default 60 s. */
  readonly statementTimeoutMs?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function postgresDriver(options: PostgresDriverOptions): SqlDriver {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `schema must be a plain lower-case SQL name: ${options.schema}`, {
      details: { schema: options.schema },
    });
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 4,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    query_timeout: options.statementTimeoutMs ?? 60_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
  });
  // An idle pooled connection that breaks (a server restart) is dropped by the pool; without a
  // listener the 'error' event would end the process.
  pool.on('error', () => undefined);
  const where = describePostgres(options.url, options.schema);
  let schemaReady: Promise<void> | null = null;
  const ensureSchema = (): Promise<void> => {
    if (options.schema === undefined) return Promise.resolve();
    schemaReady ??= exec(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`, [], false).then(
      () => undefined,
      (error: unknown) => {
        // Two openers racing: the loser's CREATE fails on the catalog's unique index; fine.
        if (error instanceof SqlDriverError && (error.storeCode === '23505' || error.storeCode === '42P06')) return;
        schemaReady = null;
        throw error;
      },
    );
    return schemaReady;
  };

  async function exec(sql: string, params: readonly SqlValue[], verify: boolean): Promise<pg.QueryResult> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (cause) {
      throw postgresFailure(cause, false);
    }
    let broken = false;
    try {
      if (verify) {
        try {
          await client.query('SELECT 1');
        } catch (cause) {
          broken = true;
          throw postgresFailure(cause, false);
        }
      }
      try {
        return await client.query(toPositional(sql), [...params]);
      } catch (cause) {
        const failure = postgresFailure(cause, true);
        broken = failure.failure === 'unknown' || failure.failure === 'not-sent';
        throw failure;
      }
    } finally {
      client.release(broken);
    }
  }

  return {
    dialect: 'postgres',
    where,
    query: async (sql, params = []) => {
      await ensureSchema();
      return (await exec(sql, params, false)).rows as SqlRow[];
    },
    run: async (sql, params = [], runOptions = {}) => {
      await ensureSchema();
      return (await exec(sql, params, runOptions.verifyConnection ?? false)).rowCount ?? 0;
    },
    columns: async (table) => {
      await ensureSchema();
      const result = await exec(
        'SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?',
        [table],
        false,
      );
      return (result.rows as { column_name: string }[]).map((row) => row.column_name.toLowerCase());
    },
    close: () => pool.end(),
  };
}

/** `?` placeholders to PostgreSQL's `$1, $2, ...` (the catalog's SQL has no `?` in literals). */
function toPositional(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

const CONNECTION_STATES = new Set(['57P01', '57P02', '57P03']);
const TRANSIENT_STATES = new Set(['40001', '40P01', '55P03', '57014', '53300', '53400']);

/**
 * Classifies a pg error. `sent`: the statement had been handed to the connection. A server error
 * (an SQLSTATE) means the statement failed and its transaction rolled back, except the connection
 * errors (class 08, admin or crash shutdown), which may come after a commit; no SQLSTATE at all
 * (a socket error, "Connection terminated", a client-side timeout) leaves the outcome unknown.
 */
function postgresFailure(cause: unknown, sent: boolean): SqlDriverError {
  const message = cause instanceof Error ? cause.message : String(cause);
  const code = stringField(cause, 'code');
  const fromServer = cause instanceof pg.DatabaseError && code !== undefined;
  if (fromServer) {
    if (code === '23505') return new SqlDriverError('unique', message, { storeCode: code, cause });
    if (code.startsWith('08') || CONNECTION_STATES.has(code)) {
      return new SqlDriverError(sent ? 'unknown' : 'not-sent', message, { storeCode: code, cause });
    }
    if (TRANSIENT_STATES.has(code)) return new SqlDriverError('transient', message, { storeCode: code, cause });
    return new SqlDriverError('other', message, { storeCode: code, cause });
  }
  return new SqlDriverError(sent ? 'unknown' : 'not-sent', message, { storeCode: code ?? null, cause });
}

function describePostgres(url: string, schema: string | undefined): string {
  try {
    const parsed = new URL(url);
    return `postgres://${parsed.host}${parsed.pathname}${schema === undefined ? '' : ` (schema ${schema})`}`;
  } catch {
    return 'postgres (unparsable URL)';
  }
}

// ---- opening a catalog ---------------------------------------------------------------------------

export type CatalogStore = { readonly kind: 'sqlite'; readonly path: string } | { readonly kind: 'postgres'; readonly url: string };

/**
 * Reads a catalog URI: `postgres://...` or `postgresql://...`; for SQLite a file path, `sqlite:PATH`,
 * `jdbc:sqlite:PATH`, or SQLAlchemy's `sqlite:///relative.db` / `sqlite:////absolute.db` (the form
 * PyIceberg takes), and `:memory:`. Relative paths are resolved against the working directory.
 */
export function parseCatalogUri(uri: string): CatalogStore {
  if (/^postgres(ql)?:\/\//i.test(uri)) return { kind: 'postgres', url: uri };
  let rest = uri;
  if (rest.startsWith('jdbc:')) rest = rest.slice('jdbc:'.length);
  if (rest.startsWith('sqlite:')) {
    rest = rest.slice('sqlite:'.length);
    // SQLAlchemy: sqlite:// + / + path, so sqlite:///x.db is relative and sqlite:////x.db absolute.
    if (rest.startsWith('//')) rest = rest.slice(3);
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(rest)) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `unsupported catalog URI (postgres://... or a SQLite path): ${uri}`, {
      details: { uri },
    });
  }
  if (rest === '') {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `catalog URI names no SQLite file: ${uri}`, { details: { uri } });
  }
  return { kind: 'sqlite', path: rest === ':memory:' ? rest : resolve(rest) };
}

export interface OpenSqlCatalogOptions {
  /** The `catalog_name` of every row. */
  readonly name: string;
  /** See `parseCatalogUri`. A SQLite file is opened as the embedded store (WAL). */
  readonly uri: string;
  /** PostgreSQL only: see `PostgresDriverOptions.schema`. */
  readonly schema?: string;
}

export async function openSqlCatalog(options: OpenSqlCatalogOptions): Promise<SqlCatalog> {
  const store = parseCatalogUri(options.uri);
  if (store.kind === 'postgres') {
    return SqlCatalog.open(
      postgresDriver({ url: store.url, ...(options.schema === undefined ? {} : { schema: options.schema }) }),
      options.name,
    );
  }
  if (options.schema !== undefined) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', 'a schema applies to PostgreSQL catalogs only', { details: { uri: options.uri } });
  }
  let db: SqliteDatabase;
  try {
    db = openEmbeddedStore(store.path);
  } catch (cause) {
    throw new LakeError('OP_LAKE_IO', `cannot open the SQLite catalog at ${store.path}: ${String(cause)}`, {
      details: { path: store.path },
      cause,
    });
  }
  return SqlCatalog.open(sqliteDriver(db, { ownsDatabase: true }), options.name);
}

// ---- the catalog ---------------------------------------------------------------------------------

const CREATE_TABLES_SQL =
  'CREATE TABLE IF NOT EXISTS iceberg_tables (' +
  'catalog_name VARCHAR(255) NOT NULL, ' +
  'table_namespace VARCHAR(255) NOT NULL, ' +
  'table_name VARCHAR(255) NOT NULL, ' +
  'metadata_location VARCHAR(1000), ' +
  'previous_metadata_location VARCHAR(1000), ' +
  'iceberg_type VARCHAR(5), ' +
  'PRIMARY KEY (catalog_name, table_namespace, table_name))';

const CREATE_NAMESPACE_PROPERTIES_SQL =
  'CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (' +
  'catalog_name VARCHAR(255) NOT NULL, ' +
  'namespace VARCHAR(255) NOT NULL, ' +
  'property_key VARCHAR(255), ' +
  'property_value VARCHAR(1000), ' +
  'PRIMARY KEY (catalog_name, namespace, property_key))';

const REQUIRED_TABLE_COLUMNS = ['catalog_name', 'table_namespace', 'table_name', 'metadata_location', 'previous_metadata_location'];

/** The namespace property that marks a namespace as existing (Java and PyIceberg). */
export const NAMESPACE_EXISTS_PROPERTY = 'exists';

export class SqlCatalog implements Catalog {
  readonly name: string;
  private readonly driver: SqlDriver;
  /** Whether `iceberg_tables` has Java's `iceberg_type` column (schema V1). */
  readonly typed: boolean;
  private readonly tableFilter: string;
  private closed = false;

  private constructor(driver: SqlDriver, name: string, typed: boolean) {
    this.driver = driver;
    this.name = name;
    this.typed = typed;
    this.tableFilter = typed ? " AND (iceberg_type = 'TABLE' OR iceberg_type IS NULL)" : '';
  }

  /** Creates the catalog tables when missing and returns the catalog; closes the driver on failure. */
  static async open(driver: SqlDriver, name: string): Promise<SqlCatalog> {
    try {
      checkName(name, 'catalog name', 255);
      await createIfMissing(driver, CREATE_TABLES_SQL);
      await createIfMissing(driver, CREATE_NAMESPACE_PROPERTIES_SQL);
      const columns = await driver.columns('iceberg_tables');
      const missing = REQUIRED_TABLE_COLUMNS.filter((column) => !columns.includes(column));
      if (missing.length > 0) {
        throw new LakeError('OP_LAKE_IO', `iceberg_tables in ${driver.where} is not an Iceberg JDBC catalog table (no ${missing.join(', ')})`, {
          details: { where: driver.where, missing },
        });
      }
      return new SqlCatalog(driver, name, columns.includes('iceberg_type'));
    } catch (cause) {
      await driver.close().catch(() => undefined);
      throw storeError(cause, 'open', driver.where, {});
    }
  }

  /** Where the catalog's store is (a file path, or host:port/database). */
  get where(): string {
    return this.driver.where;
  }

  async createNamespace(namespace: string, properties: Readonly<Record<string, string>> = {}): Promise<void> {
    this.checkOpen();
    checkNamespace(namespace);
    const entries = Object.entries(properties);
    for (const [key, value] of entries) {
      if (key === NAMESPACE_EXISTS_PROPERTY) {
        throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `'${NAMESPACE_EXISTS_PROPERTY}' is a reserved namespace property`, {
          details: { namespace },
        });
      }
      checkName(key, 'namespace property key', 255);
      checkLength(value, 'namespace property value', 1000);
    }
    entries.push([NAMESPACE_EXISTS_PROPERTY, 'true']);
    // One statement, so the namespace appears with all its properties or not at all.
    const sql =
      'INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value) VALUES ' +
      entries.map(() => '(?, ?, ?, ?)').join(', ') +
      ' ON CONFLICT (catalog_name, namespace, property_key) DO UPDATE SET property_value = excluded.property_value';
    const params = entries.flatMap(([key, value]) => [this.name, namespace, key, value]);
    try {
      await this.driver.run(sql, params);
    } catch (cause) {
      throw storeError(cause, 'createNamespace', this.driver.where, { namespace });
    }
  }

  async listNamespaces(): Promise<readonly string[]> {
    this.checkOpen();
    let rows: SqlRow[];
    try {
      rows = await this.driver.query(
        'SELECT table_namespace AS ns FROM iceberg_tables WHERE catalog_name = ? ' +
          'UNION SELECT namespace AS ns FROM iceberg_namespace_properties WHERE catalog_name = ?',
        [this.name, this.name],
      );
    } catch (cause) {
      throw storeError(cause, 'listNamespaces', this.driver.where, {});
    }
    // Multi-level namespaces written by other engines show as their first level, as in Java.
    const names = new Set(rows.map((row) => String(row['ns']).split('.')[0] ?? ''));
    names.delete('');
    return [...names].sort();
  }

  async namespaceProperties(namespace: string): Promise<Readonly<Record<string, string>>> {
    this.checkOpen();
    checkNamespace(namespace);
    await this.requireNamespace(namespace);
    let rows: SqlRow[];
    try {
      rows = await this.driver.query(
        'SELECT property_key, property_value FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?',
        [this.name, namespace],
      );
    } catch (cause) {
      throw storeError(cause, 'namespaceProperties', this.driver.where, { namespace });
    }
    const properties: Record<string, string> = {};
    for (const row of rows) {
      const key = row['property_key'];
      const value = row['property_value'];
      if (typeof key !== 'string' || key === NAMESPACE_EXISTS_PROPERTY) continue;
      properties[key] = typeof value === 'string' ? value : '';
    }
    return properties;
  }

  async listTables(namespace: string): Promise<readonly TableIdentifier[]> {
    this.checkOpen();
    checkNamespace(namespace);
    await this.requireNamespace(namespace);
    let rows: SqlRow[];
    try {
      rows = await this.driver.query(
        `SELECT table_name FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ?${this.tableFilter} ORDER BY table_name`,
        [this.name, namespace],
      );
    } catch (cause) {
      throw storeError(cause, 'listTables', this.driver.where, { namespace });
    }
    return rows.map((row) => ({ namespace, name: String(row['table_name']) }));
  }

  async currentMetadataLocation(table: TableIdentifier): Promise<string | null> {
    this.checkOpen();
    checkTable(table);
    return this.readLocation(table, 'currentMetadataLocation');
  }

  async createTable(table: TableIdentifier, metadataLocation: string): Promise<void> {
    this.checkOpen();
    checkTable(table);
    checkLocation(metadataLocation);
    await this.requireNamespace(table.namespace);
    const sql = this.typed
      ? 'INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location, iceberg_type) ' +
        "VALUES (?, ?, ?, ?, NULL, 'TABLE')"
      : 'INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location) ' +
        'VALUES (?, ?, ?, ?, NULL)';
    try {
      await this.driver.run(sql, [this.name, table.namespace, table.name, metadataLocation], { verifyConnection: true });
    } catch (cause) {
      if (cause instanceof SqlDriverError && cause.failure === 'unique') {
        throw new LakeError('OP_LAKE_TABLE_EXISTS', `table ${show(table)} already exists in catalog ${this.name}`, {
          details: { table: show(table), catalog: this.name },
          cause,
        });
      }
      throw commitError(cause, 'createTable', this.driver.where, table, { metadataLocation });
    }
  }

  async swapMetadataLocation(table: TableIdentifier, expected: string, next: string): Promise<void> {
    this.checkOpen();
    checkTable(table);
    checkLocation(expected);
    checkLocation(next);
    let changed: number;
    try {
      changed = await this.driver.run(
        'UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ? ' +
          `WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND metadata_location = ?${this.tableFilter}`,
        [next, expected, this.name, table.namespace, table.name, expected],
        { verifyConnection: true },
      );
    } catch (cause) {
      throw commitError(cause, 'swapMetadataLocation', this.driver.where, table, { expected, next });
    }
    if (changed >= 1) return;
    const actual = await this.readLocation(table, 'swapMetadataLocation');
    if (actual === null) {
      throw new LakeError('OP_LAKE_NO_SUCH_TABLE', `cannot commit to ${show(table)}: no such table in catalog ${this.name}`, {
        details: { table: show(table), expected, actual: null },
      });
    }
    throw new LakeError(
      'OP_LAKE_COMMIT_CONFLICT',
      `commit to ${show(table)} lost a race: it points at ${actual}, not at the commit's base ${expected}`,
      { details: { table: show(table), expected, actual }, retryable: true },
    );
  }

  async dropTable(table: TableIdentifier): Promise<void> {
    this.checkOpen();
    checkTable(table);
    let changed: number;
    try {
      changed = await this.driver.run(
        `DELETE FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?${this.tableFilter}`,
        [this.name, table.namespace, table.name],
      );
    } catch (cause) {
      throw storeError(cause, 'dropTable', this.driver.where, { table: show(table) });
    }
    if (changed === 0) {
      throw new LakeError('OP_LAKE_NO_SUCH_TABLE', `no such table in catalog ${this.name}: ${show(table)}`, {
        details: { table: show(table) },
      });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.driver.close();
  }

  private checkOpen(): void {
    if (this.closed) throw new LakeError('OP_LAKE_IO', `catalog ${this.name} is closed`);
  }

  private async readLocation(table: TableIdentifier, operation: string): Promise<string | null> {
    let rows: SqlRow[];
    try {
      rows = await this.driver.query(
        `SELECT metadata_location FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?${this.tableFilter}`,
        [this.name, table.namespace, table.name],
      );
    } catch (cause) {
      throw storeError(cause, operation, this.driver.where, { table: show(table) });
    }
    const location = rows[0]?.['metadata_location'];
    return typeof location === 'string' && location !== '' ? location : null;
  }

  /** A namespace exists with a property row or a table, its own or a nested one's (as in Java and PyIceberg). */
  private async requireNamespace(namespace: string): Promise<void> {
    const nested = `${namespace.replace(/[!_%]/g, (c) => `!${c}`)}.%`;
    let rows: SqlRow[];
    try {
      rows = await this.driver.query(
        "SELECT 1 AS found FROM iceberg_namespace_properties WHERE catalog_name = ? AND (namespace = ? OR namespace LIKE ? ESCAPE '!') " +
          "UNION ALL SELECT 1 AS found FROM iceberg_tables WHERE catalog_name = ? AND (table_namespace = ? OR table_namespace LIKE ? ESCAPE '!') " +
          'LIMIT 1',
        [this.name, namespace, nested, this.name, namespace, nested],
      );
    } catch (cause) {
      throw storeError(cause, 'namespaceExists', this.driver.where, { namespace });
    }
    if (rows.length === 0) {
      throw new LakeError('OP_LAKE_NO_SUCH_NAMESPACE', `no such namespace in catalog ${this.name}: ${namespace}`, {
        details: { namespace, catalog: this.name },
      });
    }
  }
}

/**
 * `CREATE TABLE IF NOT EXISTS`, tolerating a concurrent opener that created it first (PostgreSQL):
 * the loser fails on the catalog's unique index (23505), on the table (42P07) or on the table's row
 * type, which PostgreSQL creates with it (42710, `type "..." already exists`).
 */
async function createIfMissing(driver: SqlDriver, sql: string): Promise<void> {
  try {
    await driver.run(sql);
  } catch (cause) {
    if (cause instanceof SqlDriverError && ['23505', '42P07', '42710'].includes(String(cause.storeCode))) return;
    throw cause;
  }
}

// ---- validation and errors -------------------------------------------------------------------------

function show(table: TableIdentifier): string {
  return `${table.namespace}.${table.name}`;
}

function checkLength(value: string, what: string, max: number): void {
  if (typeof value !== 'string' || [...value].length > max) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `${what} must be a string of at most ${max} characters`, {
      details: { [what]: typeof value === 'string' ? value.slice(0, 80) : String(value) },
    });
  }
}

function checkName(value: string, what: string, max: number): void {
  checkLength(value, what, max);
  if (value === '') throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `${what} must not be empty`);
}

function checkNamespace(namespace: string): void {
  checkName(namespace, 'namespace', 255);
  if (namespace.includes('.')) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `namespace must be one level (no '.'): ${namespace}`, { details: { namespace } });
  }
}

function checkTable(table: TableIdentifier): void {
  checkNamespace(table.namespace);
  checkName(table.name, 'table name', 255);
}

function checkLocation(location: string): void {
  checkName(location, 'metadata location', 1000);
}

function stringField(value: unknown, name: string): string | undefined {
  if (typeof value !== 'object' || value === null || !(name in value)) return undefined;
  const field = (value as Record<string, unknown>)[name];
  return typeof field === 'string' ? field : undefined;
}

function storeError(cause: unknown, operation: string, where: string, details: Record<string, unknown>): LakeError {
  if (cause instanceof LakeError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  const driverError = cause instanceof SqlDriverError ? cause : null;
  return new LakeError('OP_LAKE_IO', `catalog ${operation} failed on ${where}: ${message}`, {
    details: { ...details, operation, where, storeCode: driverError?.storeCode ?? null },
    // A read that lost its connection can simply be asked again.
    retryable: driverError !== null && (driverError.retryable || driverError.failure === 'unknown'),
    cause,
  });
}

/** Errors of a catalog write that commits a table (createTable, swapMetadataLocation). */
function commitError(
  cause: unknown,
  operation: string,
  where: string,
  table: TableIdentifier,
  details: Record<string, unknown>,
): LakeError {
  if (cause instanceof LakeError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  const driverError = cause instanceof SqlDriverError ? cause : null;
  const allDetails = { ...details, table: show(table), operation, where, storeCode: driverError?.storeCode ?? null };
  if (driverError?.failure === 'unknown') {
    return new LakeError(
      'OP_LAKE_COMMIT_STATE_UNKNOWN',
      `${operation} of ${show(table)}: the connection to ${where} broke after the update was sent, so it may or may not have landed: ${message}`,
      { details: allDetails, cause },
    );
  }
  return new LakeError('OP_LAKE_COMMIT_FAILED', `${operation} of ${show(table)} did not land (${where}): ${message}`, {
    details: allDetails,
    retryable: driverError?.retryable ?? false,
    cause,
  });
}
