import {
  BIGINT,
  BLOB,
  BOOLEAN,
  DOUBLE,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBTimeValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  HUGEINT,
  SQLNULL,
  StatementType,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import {
  converterFor,
  duckDbTypeOf,
  flatFields,
  isArray,
  lakeErrorFromDuckDb,
  parseDate,
  parseDecimal,
  parseTime,
  parseUuid,
  quoteIdent,
  quoteLiteral,
  type DuckDbEngine,
  type RowValue,
  type ValueConverter,
} from './duckdb-engine.js';
import { timestampFormatter, type DisplayOptions, type TimestampFormatter } from './display.js';
import { LakeError } from './errors.js';
import { POSITION_DELETE_FILE_PATH_ID, POSITION_DELETE_POS_ID } from './deletes.js';
import type { NestedField, PrimitiveType, Schema } from './types.js';

/**
 * Read-only SQL over Parquet data files. Each table alias becomes a temporary view over its files on
 * a connection of its own; the query is then checked to be a read and run there.
 *
 * Column resolution follows Iceberg: by field id (the ids the writer puts on every Parquet column),
 * through `read_parquet(..., schema = MAP {id: {name, type, default_value}})`. A column that a file
 * lacks (an older file, from before the column was added) reads as NULL, a renamed column keeps its
 * data, and every column is cast to the schema's current type (int → long, float → double and
 * decimal widening included). `columnResolution: 'name'` instead matches by name with
 * `union_by_name`, for files written without field ids.
 *
 * Values come back in the lake's row representation (see `duckdb-engine.ts`): timestamps as epoch
 * milliseconds, dates as 'YYYY-MM-DD', 64-bit integers as numbers when safe, decimals as strings.
 */

export interface QueryTable {
  /** Local paths of the Parquet files (`FileIO.localPath`). */
  readonly files: readonly string[];
  readonly schema: Schema;
  /** Data files read with delete files applied (format v2 row-level deletes); not also in `files`. */
  readonly deleted?: readonly DataFileWithDeletes[];
}

/** A data file and the delete files that apply to it (see `deletes.ts`), all as local paths. */
export interface DataFileWithDeletes {
  readonly path: string;
  /** The data file's location, as position delete files name it. */
  readonly location: string;
  /** Position delete files: rows of `location` at these positions are gone. */
  readonly positionDeletes: readonly string[];
  /** Equality delete files: rows equal to one of theirs on every one of `fields` are gone. */
  readonly equalityDeletes: readonly { readonly path: string; readonly fields: readonly NestedField[] }[];
}

/** A query parameter, in the row representation; it is converted to the type DuckDB infers for it. */
export type QueryParam = RowValue;

export interface QueryOptions {
  readonly tables: Readonly<Record<string, QueryTable>>;
  readonly sql: string;
  /** `$1`, `?` (positional: an array) or `$name` (an object) parameters. */
  readonly params?: readonly QueryParam[] | Readonly<Record<string, QueryParam>>;
  /** How file columns are matched to schema columns: by Iceberg field id (default) or by name. */
  readonly columnResolution?: 'field-id' | 'name';
  /**
   * Results for people to read rather than the row representation: timestamps as ISO-8601 text
   * with microseconds, `timestamptz` in UTC or `display.timeZone` (see display.ts).
   */
  readonly display?: DisplayOptions;
}

export interface QueryResult {
  /** Result column names, made unique (DuckDB's deduplicated names) as the keys of `rows`. */
  readonly columns: string[];
  readonly rows: Record<string, unknown>[];
}

export async function queryParquet(engine: DuckDbEngine, options: QueryOptions): Promise<QueryResult> {
  const { tables, sql } = options;
  if (typeof sql !== 'string' || sql.trim() === '') throw new LakeError('OP_LAKE_INVALID_ARGUMENT', 'sql must be a non-empty string');
  if (tables === null || typeof tables !== 'object') throw new LakeError('OP_LAKE_INVALID_ARGUMENT', 'tables must be an object');
  const views = Object.entries(tables).map(([alias, table]) => viewSpec(alias, table, options.columnResolution ?? 'field-id'));
  checkAliases(Object.keys(tables));
  const timestamps = options.display === undefined ? null : timestampFormatter(options.display);
  return engine.withConnection(async (connection) => {
    await createViews(connection, views);
    const prepared = await prepareReadOnly(connection, sql);
    try {
      bindParams(prepared, options.params);
      const result = await prepared.run();
      return await collect(result, timestamps);
    } catch (cause) {
      throw lakeErrorFromDuckDb(cause, 'query failed', 'OP_LAKE_INVALID_ARGUMENT', { sql });
    } finally {
      prepared.destroySync();
    }
  });
}

/** Every row of the files, as the schema's columns in the row representation (for compaction). */
export async function readRows(
  engine: DuckDbEngine,
  files: readonly string[],
  schema: Schema,
  options: { readonly columnResolution?: 'field-id' | 'name' } = {},
): Promise<Record<string, RowValue>[]> {
  const { rows } = await queryParquet(engine, {
    tables: { t: { files, schema } },
    sql: 'SELECT * FROM t',
    columnResolution: options.columnResolution ?? 'field-id',
  });
  return rows as Record<string, RowValue>[];
}

/**
 * Opens the `tables` as views on `connection` and prepares `sql` as a read with its parameters
 * bound: the first half of a query, for writers that consume the result inside DuckDB (a query
 * written straight into a Parquet file) instead of as rows.
 */
export async function prepareQuery(
  connection: DuckDBConnection,
  options: Pick<QueryOptions, 'tables' | 'sql' | 'params'>,
  /** Wraps the checked read in the statement to run (an INSERT ... SELECT of it); its parameters stay the read's. */
  wrap?: (sql: string) => string,
): Promise<DuckDBPreparedStatement> {
  const views = Object.entries(options.tables).map(([alias, table]) => viewSpec(alias, table, 'field-id'));
  checkAliases(Object.keys(options.tables));
  await createViews(connection, views);
  let prepared = await prepareReadOnly(connection, options.sql);
  if (wrap !== undefined) {
    prepared.destroySync();
    try {
      prepared = await connection.prepare(wrap(options.sql));
    } catch (cause) {
      throw lakeErrorFromDuckDb(cause, 'invalid query', 'OP_LAKE_INVALID_ARGUMENT', { sql: options.sql });
    }
  }
  try {
    bindParams(prepared, options.params);
  } catch (error) {
    prepared.destroySync();
    throw error;
  }
  return prepared;
}

// ---------------------------------------------------------------------------------------------
// Views

function checkAliases(aliases: readonly string[]): void {
  const seen = new Set<string>();
  for (const alias of aliases) {
    if (alias === '') throw new LakeError('OP_LAKE_INVALID_ARGUMENT', 'a table alias cannot be empty');
    const folded = alias.toLowerCase();
    if (seen.has(folded)) throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `table aliases differ only in case: ${alias}`);
    seen.add(folded);
  }
}

interface ViewColumn {
  readonly fieldName: string;
  readonly ident: string;
  readonly type: string;
}

interface ViewSpec {
  readonly alias: string;
  /** The view's SELECT, or null when it depends on the files' columns (name resolution). */
  readonly sql: string | null;
  readonly files: string;
  readonly columns: readonly ViewColumn[];
}

function viewSpec(alias: string, table: QueryTable, resolution: 'field-id' | 'name'): ViewSpec {
  if (table === null || typeof table !== 'object' || !isArray(table.files)) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `table ${alias}: files must be an array`);
  }
  const fields = flatFields(table.schema);
  const columns = fields.map((f) => ({ fieldName: f.name, ident: quoteIdent(f.name), type: duckDbTypeOf(f.type, f.name).toString() }));
  const files = fileList(table.files);
  const deleted = table.deleted ?? [];
  if (table.files.length === 0 && deleted.length === 0) {
    // No data yet: an empty relation with the schema's columns and types.
    const sql = `SELECT ${columns.map((c) => `CAST(NULL AS ${c.type}) AS ${c.ident}`).join(', ')} WHERE false`;
    return { alias, sql, files, columns };
  }
  if (resolution === 'name') {
    if (deleted.length > 0) throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `table ${alias}: delete files can only be applied with field-id column resolution`);
    return { alias, sql: null, files, columns };
  }
  const select = columns.map((c) => c.ident).join(', ');
  const parts: string[] = [];
  if (table.files.length > 0) parts.push(`SELECT ${select} FROM read_parquet(${files}, schema = ${schemaMap(fields)})`);
  for (const file of deleted) parts.push(withDeletesApplied(fields, file));
  return { alias, sql: parts.join(' UNION ALL '), files, columns };
}

const fileList = (paths: readonly string[]): string => `[${paths.map((f) => quoteLiteral(f)).join(', ')}]`;

/** read_parquet's `schema` argument: columns found by field id, named and cast as given. */
function schemaMap(fields: readonly { readonly id: number; readonly name: string; readonly type: PrimitiveType }[]): string {
  const entries = fields.map((f) => {
    const type = duckDbTypeOf(f.type, f.name).toString();
    return `${f.id}: {name: ${quoteLiteral(f.name)}, type: ${quoteLiteral(type)}, default_value: NULL}`;
  });
  return `MAP {${entries.join(', ')}}`;
}

/**
 * One data file's rows less those its delete files remove. Positions are the rows' ordinal in the
 * file (DuckDB's `file_row_number`, 0-based like Iceberg's `pos`); equality deletes compare with
 * null equal to null, as the specification says. An equality column the current schema no longer
 * has (dropped after the delete was written) is read from the data file under a hidden name.
 */
function withDeletesApplied(fields: readonly (NestedField & { readonly type: PrimitiveType })[], file: DataFileWithDeletes): string {
  const byId = new Map(fields.map((f) => [f.id, f]));
  const hidden: { id: number; name: string; type: PrimitiveType }[] = [];
  const conditions: string[] = [];
  if (file.positionDeletes.length > 0) {
    const positions = schemaMap([
      { id: POSITION_DELETE_FILE_PATH_ID, name: 'file_path', type: 'string' },
      { id: POSITION_DELETE_POS_ID, name: 'pos', type: 'long' },
    ]);
    conditions.push(
      `NOT EXISTS (SELECT 1 FROM read_parquet(${fileList(file.positionDeletes)}, schema = ${positions}) AS p ` +
        `WHERE p.file_path = ${quoteLiteral(file.location)} AND p.pos = d.file_row_number)`,
    );
  }
  // Equality delete files with the same columns are read together.
  const groups = new Map<string, { fields: readonly NestedField[]; paths: string[] }>();
  for (const e of file.equalityDeletes) {
    const key = e.fields.map((f) => f.id).join(',');
    const group = groups.get(key) ?? { fields: e.fields, paths: [] };
    group.paths.push(e.path);
    groups.set(key, group);
  }
  for (const { fields: keys, paths } of groups.values()) {
    const matches = keys.map((k) => {
      if (typeof k.type !== 'string') throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `equality deletes on the nested column ${k.name} are not supported`);
      let column = byId.get(k.id)?.name;
      if (column === undefined) {
        column = `__orderpulse_dropped_${k.id}`;
        if (!hidden.some((h) => h.id === k.id)) hidden.push({ id: k.id, name: column, type: k.type });
      }
      return `e.${quoteIdent(`k${k.id}`)} IS NOT DISTINCT FROM d.${quoteIdent(column)}`;
    });
    const keyMap = schemaMap(keys.map((k) => ({ id: k.id, name: `k${k.id}`, type: k.type as PrimitiveType })));
    conditions.push(`NOT EXISTS (SELECT 1 FROM read_parquet(${fileList(paths)}, schema = ${keyMap}) AS e WHERE ${matches.join(' AND ')})`);
  }
  const select = fields.map((f) => `d.${quoteIdent(f.name)}`).join(', ');
  const source = `read_parquet(${fileList([file.path])}, schema = ${schemaMap([...fields, ...hidden])}, file_row_number = true)`;
  return `SELECT ${select} FROM ${source} AS d${conditions.length === 0 ? '' : ` WHERE ${conditions.join(' AND ')}`}`;
}

async function createViews(connection: DuckDBConnection, views: readonly ViewSpec[]): Promise<void> {
  for (const view of views) {
    let sql = view.sql;
    if (sql === null) {
      // With union_by_name a column that no file has is unknown to DuckDB: it reads as NULL.
      const source = `read_parquet(${view.files}, union_by_name = true)`;
      const present = await columnNames(connection, `SELECT * FROM ${source} LIMIT 0`);
      const select = view.columns.map(
        (c) => `CAST(${present.has(c.fieldName.toLowerCase()) ? c.ident : 'NULL'} AS ${c.type}) AS ${c.ident}`,
      );
      sql = `SELECT ${select.join(', ')} FROM ${source}`;
    }
    try {
      await connection.run(`CREATE TEMP VIEW ${quoteIdent(view.alias)} AS ${sql}`);
    } catch (cause) {
      throw lakeErrorFromDuckDb(cause, `cannot open table ${view.alias}`, 'OP_LAKE_INVALID_ARGUMENT', { table: view.alias });
    }
  }
}

async function columnNames(connection: DuckDBConnection, sql: string): Promise<Set<string>> {
  try {
    const result = await connection.run(sql);
    return new Set(result.columnNames().map((n) => n.toLowerCase()));
  } catch (cause) {
    throw lakeErrorFromDuckDb(cause, 'cannot read the file schemas', 'OP_LAKE_INVALID_ARGUMENT');
  }
}

// ---------------------------------------------------------------------------------------------
// Read-only statements

/**
 * Prepares `sql` and refuses anything but a read. The query is meant to see only the views made
 * from `tables`: statements that change state (INSERT, CREATE, COPY, ATTACH, SET, PRAGMA
 * assignments, LOAD, CALL, EXPORT, ...) are refused, and so is more than one statement. DESCRIBE,
 * SHOW, SUMMARIZE and reading PRAGMAs are SELECTs to DuckDB and pass; EXPLAIN passes when what it
 * explains is a SELECT. (A SELECT can still name DuckDB table functions such as `read_csv` on other
 * local files: this is a guard against accidents, not a sandbox.)
 */
async function prepareReadOnly(connection: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
  // First by the leading keyword, so that a write is refused as such even when it would not
  // prepare (INSERT INTO a view, say); then by DuckDB's own statement type.
  const keyword = leadingKeyword(sql);
  if (keyword !== null && WRITE_KEYWORDS.has(keyword)) throw notARead(sql, keyword);
  let prepared: DuckDBPreparedStatement;
  try {
    const statements = await connection.extractStatements(sql);
    if (statements.count !== 1) {
      throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `one statement expected, found ${statements.count}`, { details: { sql } });
    }
    prepared = await statements.prepare(0);
  } catch (cause) {
    throw lakeErrorFromDuckDb(cause, 'invalid query', 'OP_LAKE_INVALID_ARGUMENT', { sql });
  }
  const type = prepared.statementType;
  if (type === StatementType.SELECT) return prepared;
  if (type === StatementType.EXPLAIN) {
    const inner = /^\s*explain\s+(?:analyze\s+)?([\s\S]*)$/i.exec(sql)?.[1];
    if (inner !== undefined) {
      try {
        const check = await connection.prepare(inner);
        const innerType = check.statementType;
        check.destroySync();
        if (innerType === StatementType.SELECT) return prepared;
      } catch {
        // refused below
      }
    }
  }
  prepared.destroySync();
  throw notARead(sql, StatementType[type] ?? String(type));
}

// Anything else that is no read is still refused by its statement type once prepared.
const WRITE_KEYWORDS = new Set(
  (
    'INSERT UPDATE DELETE MERGE UPSERT TRUNCATE CREATE DROP ALTER COMMENT COPY ATTACH DETACH USE SET RESET LOAD ' +
    'INSTALL FORCE UPDATE CALL EXPORT IMPORT CHECKPOINT VACUUM ANALYZE BEGIN START COMMIT ROLLBACK ABORT END ' +
    'PREPARE EXECUTE DEALLOCATE'
  ).split(' '),
);

/** The first keyword of the statement (upper case) past comments. */
function leadingKeyword(sql: string): string | null {
  const rest = sql.replace(/^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/, '');
  const m = /^[A-Za-z_]+/.exec(rest);
  return m === null ? null : m[0].toUpperCase();
}

function notARead(sql: string, kind: string): LakeError {
  return new LakeError(
    'OP_LAKE_INVALID_ARGUMENT',
    `only read queries are allowed (SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN SELECT), not ${kind}`,
    { details: { sql, statementType: kind } },
  );
}

// ---------------------------------------------------------------------------------------------
// Parameters

function bindParams(prepared: DuckDBPreparedStatement, params: QueryOptions['params']): void {
  const count = prepared.parameterCount;
  if (count === 0) {
    const given = params === undefined ? 0 : Array.isArray(params) ? params.length : Object.keys(params).length;
    if (given > 0) throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `the query takes no parameters, ${given} given`);
    return;
  }
  if (params === undefined) throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `the query takes ${count} parameter(s), none given`);
  for (let i = 1; i <= count; i++) {
    const name = prepared.parameterName(i);
    let value: QueryParam | undefined;
    if (Array.isArray(params)) {
      const position = /^\d+$/.test(name) ? Number(name) : i;
      value = (params as readonly QueryParam[])[position - 1];
    } else {
      value = (params as Readonly<Record<string, QueryParam>>)[name];
    }
    if (value === undefined) throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `no value for parameter ${name}`);
    let expected: DuckDBType | null;
    try {
      expected = prepared.parameterType(i);
    } catch {
      expected = null; // DuckDB could not infer it from the query (e.g. `SELECT $1`)
    }
    const [converted, type] = paramValue(value, expected, name);
    prepared.bindValue(i, converted, type);
  }
}

/** A parameter in the row representation → a DuckDB value (of the type DuckDB expects when known). */
function paramValue(value: QueryParam, expected: DuckDBType | null, name: string): [DuckDBValue, DuckDBType] {
  const bad = (what: string) => new LakeError('OP_LAKE_INVALID_ARGUMENT', `parameter ${name}: ${String(value)} is not ${what}`);
  if (value === null) return [null, expected ?? SQLNULL];
  switch (expected?.typeId) {
    case DuckDBTypeId.DATE:
      if (typeof value === 'string') {
        const days = parseDate(value);
        if (days === null) throw bad("a 'YYYY-MM-DD' date");
        return [new DuckDBDateValue(days), expected];
      }
      break;
    case DuckDBTypeId.TIME:
      if (typeof value === 'string') {
        const micros = parseTime(value);
        if (micros === null) throw bad("a 'HH:MM:SS[.ffffff]' time");
        return [new DuckDBTimeValue(BigInt(micros)), expected];
      }
      break;
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      if (typeof value === 'number') {
        if (!Number.isSafeInteger(value)) throw bad('epoch milliseconds');
        const micros = BigInt(value) * 1000n;
        return expected.typeId === DuckDBTypeId.TIMESTAMP
          ? [new DuckDBTimestampValue(micros), expected]
          : [new DuckDBTimestampTZValue(micros), expected];
      }
      break;
    case DuckDBTypeId.DECIMAL:
      if (typeof value === 'string') {
        const scaled = parseDecimal(value, expected.width, expected.scale);
        if (typeof scaled !== 'bigint') throw bad(`a decimal(${expected.width}, ${expected.scale}): it ${scaled}`);
        return [new DuckDBDecimalValue(scaled, expected.width, expected.scale), expected];
      }
      break;
    case DuckDBTypeId.UUID:
      if (typeof value === 'string') {
        const uuid = parseUuid(value);
        if (uuid === null) throw bad('a UUID');
        return [uuid, expected];
      }
      break;
    default:
      break;
  }
  // Otherwise bind the value with its own type; DuckDB casts it where the query needs another.
  switch (typeof value) {
    case 'boolean':
      return [value, BOOLEAN];
    case 'number':
      return Number.isSafeInteger(value) ? [BigInt(value), BIGINT] : [value, DOUBLE];
    case 'bigint':
      return BigInt.asIntN(64, value) === value ? [value, BIGINT] : [value, HUGEINT];
    case 'string':
      return [value, VARCHAR];
    default:
      if (value instanceof Uint8Array) return [new DuckDBBlobValue(value), BLOB];
      throw bad('a boolean, number, bigint, string, Uint8Array or null');
  }
}

// ---------------------------------------------------------------------------------------------
// Results

async function collect(
  result: Awaited<ReturnType<DuckDBPreparedStatement['run']>>,
  timestamps: TimestampFormatter | null = null,
): Promise<QueryResult> {
  const columns = result.deduplicatedColumnNames();
  const converters: ValueConverter[] = result.columnTypes().map((t) => converterFor(t, timestamps));
  const rows: Record<string, unknown>[] = [];
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    const n = chunk.rowCount;
    const base = rows.length;
    for (let r = 0; r < n; r++) rows.push({});
    for (let c = 0; c < columns.length; c++) {
      const name = columns[c] as string;
      const convert = converters[c] as ValueConverter;
      const vector = chunk.getColumnVector(c);
      for (let r = 0; r < n; r++) {
        const v = vector.getItem(r);
        (rows[base + r] as Record<string, unknown>)[name] = v === null ? null : convert(v);
      }
    }
  }
  return { columns, rows };
}
