import { mkdir, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  DuckDBBlobValue,
  DuckDBDataChunk,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBTimeValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBVector,
  type DuckDBConnection,
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
  parseDecimalType,
  parseFixedType,
  parseTime,
  parseUuid,
  quoteIdent,
  quoteLiteral,
  type DuckDbEngine,
  type Row,
  type RowValue,
} from './duckdb-engine.js';
import { LakeError } from './errors.js';
import type { EncodedRows } from './parquet-columns.js';
import { columnLength, columnValues, encodeRows } from './parquet-columns.js';
import { encodable, encodeDataFile, mismatch, type DirectCompression } from './parquet-encoder.js';
import { exists, fsyncDir, fsyncFile, publish, putFileSync, temporaryName, writeLocalFile } from './parquet-files.js';
import type { NestedField, PrimitiveType, Schema } from './types.js';
import type { QueryOptions } from './query.js';
import { prepareQuery } from './query.js';

/**
 * Writes rows as one Parquet data file the way Iceberg wants it: every column carries its field id,
 * physical and logical types follow the specification's Parquet mapping, and the statistics a
 * manifest entry needs come back exact.
 *
 * How: rows are loaded into a temporary DuckDB table through the appender, a DuckDB data chunk
 * (2,048 rows) at a time, each column filled directly in its vector; one aggregate query computes
 * the statistics; `COPY ... TO (FORMAT parquet, FIELD_IDS {...})` writes the file next to its
 * destination under a hidden temporary name; `parquet_metadata` gives column sizes and row group
 * offsets; the file is fsynced and linked into place. A crash leaves at most a hidden
 * `.<name>.<uuid>.tmp` file, never a partial file under the real name.
 *
 * Type mapping (Iceberg → DuckDB → Parquet physical / logical):
 *   boolean → BOOLEAN → BOOLEAN
 *   int → INTEGER → INT32
 *   long → BIGINT → INT64
 *   float → FLOAT → FLOAT;  double → DOUBLE → DOUBLE
 *   date → DATE → INT32 / DATE
 *   time → TIME → INT64 / TIME(MICROS, isAdjustedToUTC=false)
 *   timestamp → TIMESTAMP → INT64 / TIMESTAMP(MICROS, isAdjustedToUTC=false)
 *   timestamptz → TIMESTAMPTZ → INT64 / TIMESTAMP(MICROS, isAdjustedToUTC=true)
 *   string → VARCHAR → BYTE_ARRAY / STRING (UTF8)
 *   uuid → UUID → FIXED_LEN_BYTE_ARRAY(16) / UUID
 *   binary → BLOB → BYTE_ARRAY
 *   decimal(P, S) → DECIMAL(P, S) → INT32 (P ≤ 9), INT64 (P ≤ 18), else FIXED_LEN_BYTE_ARRAY(16) / DECIMAL(P, S)
 *   fixed[L] → refused: DuckDB cannot write FIXED_LEN_BYTE_ARRAY(L) for a blob column.
 * Caveats: DuckDB marks every column OPTIONAL, required fields included (nulls in them are refused
 * here before anything is written); for 18 < P < 38 a decimal takes 16 bytes where the
 * specification asks for the minimum width (readers accept it; strict validators may not).
 */

export interface ParquetColumnStats {
  /** Values in the column, nulls and NaN included (Iceberg's `value_counts`). */
  readonly valueCount: number;
  readonly nullCount: number;
  /** NaN values, for float and double columns; null for other types. */
  readonly nanCount: number | null;
  /** Exact lower and upper bounds in the row representation, NaN excluded; null when no value. */
  readonly min: RowValue;
  readonly max: RowValue;
  /** Compressed bytes of the column's chunks in the file (Iceberg's `column_sizes`). */
  readonly compressedSize: number;
}

export interface ParquetFileStats {
  readonly recordCount: number;
  readonly fileSizeInBytes: number;
  /** Keyed by field id. */
  readonly columns: ReadonlyMap<number, ParquetColumnStats>;
  /** Start offsets of the row groups, ascending (Iceberg's `split_offsets`). */
  readonly splitOffsets: readonly number[];
}

export type Compression = 'zstd' | 'snappy' | 'gzip' | 'uncompressed';

export interface WriteParquetOptions {
  readonly schema: Schema;
  readonly rows: readonly Row[];
  /** Local destination. Created with its directory; an existing file is refused (OP_LAKE_FILE_EXISTS). */
  readonly path: string;
  /** Rows per row group (DuckDB's default: 122,880). */
  readonly rowGroupSize?: number;
  /**
   * Default: snappy where every column's type is encoded in JavaScript (parquet-encoder.ts), zstd
   * where DuckDB writes the file. zstd always has DuckDB write it.
   */
  readonly compression?: Compression;
  /** Flush the file to the disk before resolving (default true; see parquet-files.ts). */
  readonly fsync?: boolean;
}

/** The temporary table a write fills before copying it to Parquet. */
export const STAGE = 'op_stage';

export async function writeParquet(engine: DuckDbEngine, options: WriteParquetOptions): Promise<ParquetFileStats> {
  const { schema, rows, path } = options;
  if (!isArray(rows)) throw new LakeError('OP_LAKE_INVALID_ARGUMENT', 'rows must be an array');
  if (typeof path !== 'string' || path === '') throw new LakeError('OP_LAKE_INVALID_ARGUMENT', 'a destination path is required');
  const rowGroupSize = options.rowGroupSize;
  if (rowGroupSize !== undefined && !(Number.isInteger(rowGroupSize) && rowGroupSize >= 1)) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `rowGroupSize must be a positive integer, not ${String(rowGroupSize)}`);
  }
  const compression = options.compression;
  if (compression !== undefined && !['zstd', 'snappy', 'gzip', 'uncompressed'].includes(compression)) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `unsupported compression ${String(compression)}`);
  }
  const columns = flatFields(schema).map(planColumn);
  if (compression !== 'zstd' && encodable(columns)) {
    checkRowKeys(rows, columns);
    return writeEncoded(columns, encodeRows(schema, rows), path, {
      ...(compression === undefined ? {} : { compression }),
      ...(rowGroupSize === undefined ? {} : { rowGroupSize }),
      fsync: options.fsync ?? true,
    });
  }
  const staged = { columns, path, compression: compression ?? 'zstd', fsync: options.fsync ?? true, ...(rowGroupSize === undefined ? {} : { rowGroupSize }) };
  const stats = await writeStaged(engine, staged, (connection) =>
    load(connection, columns, rows),
  );
  if (stats === null) throw new Error('unreachable: a staged write without an empty-result check returned nothing');
  return stats;
}

export interface WriteColumnsOptions {
  readonly schema: Schema;
  readonly rows: EncodedRows;
  /** Local destination; an existing file is refused (OP_LAKE_FILE_EXISTS). */
  readonly path: string;
  readonly compression?: Compression;
  readonly rowGroupSize?: number;
  /** Write a file encoded here without leaving the calling thread (for the writer thread). */
  readonly sync?: boolean;
  readonly fsync?: boolean;
}

/**
 * `writeParquet` for rows given as columns (the writer thread's form): the same file, the same
 * statistics. `engine` is asked for only when DuckDB has to write the file.
 */
export async function writeParquetColumns(engine: () => Promise<DuckDbEngine>, options: WriteColumnsOptions): Promise<ParquetFileStats> {
  const plans = flatFields(options.schema).map(planColumn);
  const { rows } = options;
  if (rows.columns.length !== plans.length) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `${rows.columns.length} columns given for a schema of ${plans.length}`, { details: { path: options.path } });
  }
  for (const column of rows.columns) {
    if (columnLength(column) !== rows.rowCount) {
      throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `a column of ${columnLength(column)} values given for ${rows.rowCount} rows`, { details: { path: options.path } });
    }
  }
  const { compression, rowGroupSize } = options;
  if (compression !== 'zstd' && encodable(plans)) {
    return writeEncoded(plans, rows, options.path, {
      ...(compression === undefined ? {} : { compression }),
      ...(rowGroupSize === undefined ? {} : { rowGroupSize }),
      sync: options.sync === true,
      fsync: options.fsync ?? true,
    });
  }
  const stats = await writeStaged(
    await engine(),
    { columns: plans, path: options.path, compression: compression ?? 'zstd', fsync: options.fsync ?? true, ...(rowGroupSize === undefined ? {} : { rowGroupSize }) },
    (connection) => loadColumns(connection, plans, rows),
  );
  if (stats === null) throw new Error('unreachable: a staged write without an empty-result check returned nothing');
  return stats;
}

/**
 * Writes a file encoded here (parquet-encoder.ts) in place. `sync`: without leaving the calling
 * thread whatever its size (the writer thread's way; see `putFileSync`); otherwise a small file is
 * written with blocking calls too (see `writeLocalFile`).
 */
async function writeEncoded(
  plans: readonly ColumnPlan[],
  rows: EncodedRows,
  path: string,
  options: { readonly compression?: DirectCompression; readonly rowGroupSize?: number; readonly sync?: boolean; readonly fsync: boolean },
): Promise<ParquetFileStats> {
  const encoded = encodeDataFile(plans, rows, options);
  if (options.sync === true) putFileSync(path, encoded.bytes, { fsync: options.fsync });
  else await writeLocalFile(path, encoded.bytes, { fsync: options.fsync });
  const columns = new Map<number, ParquetColumnStats>();
  plans.forEach((plan, i) => columns.set(plan.field.id, encoded.columns[i] as ParquetColumnStats));
  return { recordCount: encoded.recordCount, fileSizeInBytes: encoded.bytes.length, columns, splitOffsets: encoded.splitOffsets };
}

/** Refuses a row that is not an object, or a key that is no column (see `checkKeys`). */
function checkRowKeys(rows: readonly Row[], columns: readonly ColumnPlan[]): void {
  const names = new Set(columns.map((c) => c.name));
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (row === null || typeof row !== 'object') {
      throw new LakeError('OP_LAKE_SCHEMA_MISMATCH', `row ${r} is not an object`, { details: { row: r } });
    }
    checkKeys(row, r, names);
  }
}

/**
 * The shared path of both writers: a temporary table with the schema's columns, filled by `fill`;
 * the statistics; an optional check of them (returning false writes nothing and gives null); then
 * `COPY ... TO` a hidden temporary name next to `path` with the field ids, the layout, fsync, and
 * the atomic move into place.
 */
export async function writeStaged(
  engine: DuckDbEngine,
  options: { readonly columns: readonly ColumnPlan[]; readonly path: string; readonly compression: string; readonly rowGroupSize?: number; readonly fsync: boolean },
  fill: (connection: DuckDBConnection) => Promise<void>,
  check?: (stats: { recordCount: number; columns: ColumnStatsNoSize[] }) => boolean,
): Promise<ParquetFileStats | null> {
  const { columns, path, compression, rowGroupSize } = options;
  const dir = dirname(path);
  const tmp = temporaryName(path);
  try {
    await mkdir(dir, { recursive: true });
  } catch (cause) {
    throw new LakeError('OP_LAKE_IO', `cannot create the directory of ${path}`, { cause, details: { path } });
  }
  // Fail fast; `publish` still refuses atomically should the file appear meanwhile.
  if (await exists(path)) throw new LakeError('OP_LAKE_FILE_EXISTS', `${path} already exists`, { details: { path } });

  return engine.withConnection(async (connection) => {
    let published = false;
    try {
      await run(connection, `CREATE TEMP TABLE ${STAGE} (${columns.map((c) => `${quoteIdent(c.name)} ${c.type.toString()}`).join(', ')})`);
      await fill(connection);
      const stats = await computeStats(connection, columns);
      if (check !== undefined && !check(stats)) return null;

      const copyOptions = [
        'FORMAT parquet',
        `COMPRESSION ${compression}`,
        `FIELD_IDS {${columns.map((c) => `${quoteIdent(c.name)}: ${c.field.id}`).join(', ')}}`,
      ];
      if (rowGroupSize !== undefined) copyOptions.push(`ROW_GROUP_SIZE ${rowGroupSize}`);
      await run(connection, `COPY ${STAGE} TO ${quoteLiteral(tmp)} (${copyOptions.join(', ')})`);

      const layout = await fileLayout(connection, tmp, columns.length);
      const fileSizeInBytes = (await stat(tmp)).size;
      if (options.fsync) await fsyncFile(tmp);
      await publish(tmp, path);
      published = true;
      if (options.fsync) await fsyncDir(dir);

      const out = new Map<number, ParquetColumnStats>();
      columns.forEach((c, i) => out.set(c.field.id, { ...(stats.columns[i] as ColumnStatsNoSize), compressedSize: layout.columnSizes[i] ?? 0 }));
      return { recordCount: stats.recordCount, fileSizeInBytes, columns: out, splitOffsets: layout.splitOffsets };
    } catch (cause) {
      if (!published) await unlink(tmp).catch(() => undefined);
      if (cause instanceof LakeError) throw cause;
      throw lakeErrorFromDuckDb(cause, `cannot write ${path}`, 'OP_LAKE_IO', { path });
    }
  });
}

export interface WriteQueryOptions {
  readonly schema: Schema;
  /** The views the query reads (local Parquet files and their schemas) and the read itself. */
  readonly tables: QueryOptions['tables'];
  readonly sql: string;
  readonly params?: QueryOptions['params'];
  readonly path: string;
  readonly compression?: 'zstd' | 'snappy' | 'gzip' | 'uncompressed';
  /** Flush the file to the disk before resolving (default true). */
  readonly fsync?: boolean;
}

/**
 * Writes the result of a read query as one Parquet data file, inside DuckDB: the rows never become
 * JavaScript values. The result's columns are matched to the schema by name and cast to its types;
 * a column the schema has and the result lacks is an error, and so is a null in a required column.
 * Returns null, and writes nothing, when the query returns no row.
 */
export async function writeParquetFromQuery(engine: DuckDbEngine, options: WriteQueryOptions): Promise<ParquetFileStats | null> {
  const columns = flatFields(options.schema).map(planColumn);
  const fill = async (connection: DuckDBConnection): Promise<void> => {
    const select = columns.map((c) => `CAST(q.${quoteIdent(c.name)} AS ${c.type.toString()})`).join(', ');
    const prepared = await prepareQuery(connection, options, (sql) => `INSERT INTO ${STAGE} SELECT ${select} FROM (${sql}) AS q`);
    try {
      await prepared.run();
    } catch (cause) {
      throw lakeErrorFromDuckDb(cause, `cannot write the query result to ${options.path}`, 'OP_LAKE_INVALID_ARGUMENT', { sql: options.sql });
    } finally {
      prepared.destroySync();
    }
  };
  const check = (stats: { recordCount: number; columns: ColumnStatsNoSize[] }): boolean => {
    columns.forEach((c, i) => {
      const nulls = stats.columns[i]?.nullCount ?? 0;
      if (c.field.required && nulls > 0) {
        throw new LakeError('OP_LAKE_SCHEMA_MISMATCH', `column ${c.name} (${c.icebergType}) is required, but the query gives it ${nulls} null(s)`, {
          details: { column: c.name, sql: options.sql },
        });
      }
    });
    return stats.recordCount > 0;
  };
  return writeStaged(engine, { columns, path: options.path, compression: options.compression ?? 'zstd', fsync: options.fsync ?? true }, fill, check);
}

// ---------------------------------------------------------------------------------------------
// Columns

export interface ColumnPlan {
  readonly field: NestedField;
  readonly name: string;
  readonly type: DuckDBType;
  readonly icebergType: PrimitiveType;
  readonly isFloat: boolean;
  /** The DuckDB value of a non-null row value, or undefined when it does not fit the column. */
  readonly convert: (value: RowValue) => DuckDBValue | undefined;
  /** Why `value` does not fit (called only after `convert` refused it). */
  readonly explain: (value: RowValue) => string;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Uint8Array) return `a byte array`;
  if (typeof value === 'object' && value !== null) return `an object (${value.constructor.name})`;
  return String(value);
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export function planColumn(field: NestedField & { readonly type: PrimitiveType }): ColumnPlan {
  const t = field.type;
  const base = { field, name: field.name, type: duckDbTypeOf(t, field.name), icebergType: t, isFloat: t === 'float' || t === 'double' };
  const expected = (what: string) => (value: RowValue) => `${describe(value)} is not ${what}`;
  switch (t) {
    case 'boolean':
      return { ...base, convert: (v) => (typeof v === 'boolean' ? v : undefined), explain: expected('a boolean') };
    case 'int':
      return {
        ...base,
        convert: (v) => (typeof v === 'number' && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX ? v : undefined),
        explain: expected('a 32-bit integer'),
      };
    case 'long':
      return {
        ...base,
        convert: (v) => {
          if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : undefined;
          return typeof v === 'bigint' && BigInt.asIntN(64, v) === v ? v : undefined;
        },
        explain: expected('a safe integer number or a 64-bit bigint'),
      };
    case 'float':
    case 'double':
      return { ...base, convert: (v) => (typeof v === 'number' ? v : undefined), explain: expected('a number') };
    case 'date':
      return {
        ...base,
        convert: (v) => {
          if (typeof v !== 'string') return undefined;
          const days = parseDate(v);
          return days === null ? undefined : new DuckDBDateValue(days);
        },
        explain: expected("a 'YYYY-MM-DD' date"),
      };
    case 'time':
      return {
        ...base,
        convert: (v) => {
          if (typeof v !== 'string') return undefined;
          const micros = parseTime(v);
          return micros === null ? undefined : new DuckDBTimeValue(BigInt(micros));
        },
        explain: expected("a 'HH:MM:SS[.ffffff]' time"),
      };
    case 'timestamp':
      return {
        ...base,
        convert: (v) => (typeof v === 'number' && Number.isSafeInteger(v) ? new DuckDBTimestampValue(BigInt(v) * 1000n) : undefined),
        explain: expected('epoch milliseconds (a safe integer)'),
      };
    case 'timestamptz':
      return {
        ...base,
        convert: (v) => (typeof v === 'number' && Number.isSafeInteger(v) ? new DuckDBTimestampTZValue(BigInt(v) * 1000n) : undefined),
        explain: expected('epoch milliseconds (a safe integer)'),
      };
    case 'string':
      return { ...base, convert: (v) => (typeof v === 'string' ? v : undefined), explain: expected('a string') };
    case 'uuid':
      return {
        ...base,
        convert: (v) => (typeof v === 'string' ? (parseUuid(v) ?? undefined) : undefined),
        explain: expected('a UUID string'),
      };
    case 'binary':
      return { ...base, convert: (v) => (v instanceof Uint8Array ? new DuckDBBlobValue(v) : undefined), explain: expected('a Uint8Array') };
    default: {
      const decimal = parseDecimalType(t);
      if (decimal !== null) {
        const { precision, scale } = decimal;
        return {
          ...base,
          convert: (v) => {
            if (typeof v !== 'string') return undefined;
            const scaled = parseDecimal(v, precision, scale);
            return typeof scaled === 'bigint' ? new DuckDBDecimalValue(scaled, precision, scale) : undefined;
          },
          explain: (v) => {
            if (typeof v !== 'string') return `${describe(v)} is not a decimal string`;
            return `${describe(v)} ${String(parseDecimal(v, precision, scale))}`;
          },
        };
      }
      if (parseFixedType(t) !== null) {
        throw new LakeError(
          'OP_LAKE_INVALID_ARGUMENT',
          `column ${field.name}: ${t} cannot be written (DuckDB writes no FIXED_LEN_BYTE_ARRAY for blobs); use binary`,
        );
      }
      throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `column ${field.name}: unsupported type ${t}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Loading

async function load(connection: DuckDBConnection, columns: readonly ColumnPlan[], rows: readonly Row[]): Promise<void> {
  if (rows.length === 0) return;
  const types = columns.map((c) => c.type);
  const names = new Set(columns.map((c) => c.name));
  const chunkSize = DuckDBVector.standardSize();
  const defined = new Int32Array(chunkSize);
  const appender = await connection.createAppender(STAGE);
  try {
    for (let offset = 0; offset < rows.length; offset += chunkSize) {
      const n = Math.min(chunkSize, rows.length - offset);
      defined.fill(0);
      for (let r = 0; r < n; r++) {
        const row = rows[offset + r];
        if (row === null || typeof row !== 'object') {
          throw new LakeError('OP_LAKE_SCHEMA_MISMATCH', `row ${offset + r} is not an object`, { details: { row: offset + r } });
        }
      }
      const chunk = DuckDBDataChunk.create(types, n);
      for (let c = 0; c < columns.length; c++) {
        const column = columns[c] as ColumnPlan;
        const { name, convert } = column;
        const required = column.field.required;
        const vector = chunk.getColumnVector(c);
        for (let r = 0; r < n; r++) {
          const value = (rows[offset + r] as Row)[name];
          if (value === undefined || value === null) {
            if (required) throw mismatch(offset + r, column, 'is required but null');
            vector.setItem(r, null);
            if (value === null) defined[r] = (defined[r] as number) + 1;
            continue;
          }
          const converted = convert(value);
          if (converted === undefined) throw mismatch(offset + r, column, column.explain(value));
          vector.setItem(r, converted);
          defined[r] = (defined[r] as number) + 1;
        }
        vector.flush();
      }
      for (let r = 0; r < n; r++) {
        const row = rows[offset + r] as Row;
        if (keyCount(row) > (defined[r] as number)) checkKeys(row, offset + r, names);
      }
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}


/** The row's own enumerable keys, counted without allocating. */
function keyCount(row: Row): number {
  let n = 0;
  for (const key in row) if (Object.hasOwn(row, key)) n++;
  return n;
}

/** Refuses a key that is no column (a misspelt column would otherwise be written as null). */
function checkKeys(row: Row, index: number, names: ReadonlySet<string>): void {
  for (const key in row) {
    if (Object.hasOwn(row, key) && !names.has(key) && row[key] !== undefined) {
      throw new LakeError('OP_LAKE_SCHEMA_MISMATCH', `row ${index}: ${JSON.stringify(key)} is not a column of the schema`, {
        details: { row: index, column: key },
      });
    }
  }
}

/** Fills the staging table a DuckDB data chunk (2,048 rows) at a time, each vector from its column. */
async function loadColumns(connection: DuckDBConnection, plans: readonly ColumnPlan[], rows: EncodedRows): Promise<void> {
  if (rows.rowCount === 0) return;
  const types = plans.map((p) => p.type);
  const chunkSize = DuckDBVector.standardSize();
  const columns = rows.columns.map(columnValues);
  const appender = await connection.createAppender(STAGE);
  try {
    for (let offset = 0; offset < rows.rowCount; offset += chunkSize) {
      const n = Math.min(chunkSize, rows.rowCount - offset);
      const chunk = DuckDBDataChunk.create(types, n);
      for (let c = 0; c < plans.length; c++) {
        const plan = plans[c] as ColumnPlan;
        const values = columns[c] as ArrayLike<RowValue>;
        const { convert } = plan;
        const required = plan.field.required;
        const vector = chunk.getColumnVector(c);
        for (let r = 0; r < n; r++) {
          const value = values[offset + r] ?? null;
          if (value === null) {
            if (required) throw mismatch(offset + r, plan, 'is required but null');
            vector.setItem(r, null);
            continue;
          }
          const converted = convert(value);
          if (converted === undefined) throw mismatch(offset + r, plan, plan.explain(value));
          vector.setItem(r, converted);
        }
        vector.flush();
      }
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

// ---------------------------------------------------------------------------------------------
// Statistics and layout


export type ColumnStatsNoSize = Omit<ParquetColumnStats, 'compressedSize'>;

async function computeStats(
  connection: DuckDBConnection,
  columns: readonly ColumnPlan[],
): Promise<{ recordCount: number; columns: ColumnStatsNoSize[] }> {
  const select: string[] = ['count(*)'];
  for (const c of columns) {
    const q = quoteIdent(c.name);
    if (c.isFloat) {
      select.push(
        `count(${q})`,
        `min(${q}) FILTER (WHERE NOT isnan(${q}))`,
        `max(${q}) FILTER (WHERE NOT isnan(${q}))`,
        `count(*) FILTER (WHERE isnan(${q}))`,
      );
    } else {
      select.push(`count(${q})`, `min(${q})`, `max(${q})`);
    }
  }
  const reader = await connection.runAndReadAll(`SELECT ${select.join(', ')} FROM ${STAGE}`);
  const row = reader.getRows()[0] ?? [];
  const num = (v: DuckDBValue | undefined): number => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : 0);
  const recordCount = num(row[0]);
  const out: ColumnStatsNoSize[] = [];
  let i = 1;
  for (const c of columns) {
    const convert = converterFor(c.type);
    const nonNull = num(row[i]);
    const min = row[i + 1] ?? null;
    const max = row[i + 2] ?? null;
    const nanCount = c.isFloat ? num(row[i + 3]) : null;
    i += c.isFloat ? 4 : 3;
    out.push({
      valueCount: recordCount,
      nullCount: recordCount - nonNull,
      nanCount,
      min: min === null ? null : (convert(min) as RowValue),
      max: max === null ? null : (convert(max) as RowValue),
    });
  }
  return { recordCount, columns: out };
}

async function fileLayout(
  connection: DuckDBConnection,
  file: string,
  columnCount: number,
): Promise<{ columnSizes: number[]; splitOffsets: number[] }> {
  const reader = await connection.runAndReadAll(
    `SELECT row_group_id, column_id, total_compressed_size, dictionary_page_offset, data_page_offset FROM parquet_metadata(${quoteLiteral(file)})`,
  );
  const columnSizes = new Array<number>(columnCount).fill(0);
  const starts = new Map<number, number>();
  const num = (v: DuckDBValue | undefined): number | null => (typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : null);
  for (const [rowGroup, column, size, dictionaryOffset, dataOffset] of reader.getRows()) {
    const c = num(column);
    if (c !== null && c < columnCount) columnSizes[c] = (columnSizes[c] ?? 0) + (num(size) ?? 0);
    const dict = num(dictionaryOffset);
    const start = dict !== null && dict > 0 ? Math.min(dict, num(dataOffset) ?? dict) : num(dataOffset);
    const g = num(rowGroup);
    if (g === null || start === null) continue;
    const seen = starts.get(g);
    if (seen === undefined || start < seen) starts.set(g, start);
  }
  const splitOffsets = [...starts.entries()].sort((a, b) => a[0] - b[0]).map(([, start]) => start);
  return { columnSizes, splitOffsets };
}

// ---------------------------------------------------------------------------------------------
// Files

async function run(connection: DuckDBConnection, sql: string): Promise<void> {
  await connection.run(sql);
}

