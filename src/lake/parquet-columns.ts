import { randomUUID } from 'node:crypto';
import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBDataChunk, DuckDBVector, type DuckDBConnection } from '@duckdb/node-api';
import { flatFields, lakeErrorFromDuckDb, quoteLiteral, type DuckDbEngine, type Row, type RowValue } from './duckdb-engine.js';
import { LakeError } from './errors.js';
import type { ColumnPlan, ParquetFileStats } from './parquet-writer.js';
import { STAGE, mismatch, planColumn, writeStaged } from './parquet-writer.js';
import type { StagingKind } from './staging-parquet.js';
import { encodeStagingParquet, stageable, stagingSelect, stagingType } from './staging-parquet.js';
import type { Schema } from './types.js';

/**
 * Rows as columns, in the form they cross to the Parquet writer's thread: a column whose every
 * value is a number travels as a Float64Array (its buffer is transferred, not copied); any other
 * column as an array of its values, null for a missing one (copied by the structured clone, which
 * keeps strings, bigints and byte arrays as they are). Nothing is converted on the way: the writer
 * converts each value exactly as `writeParquet` does, so both writers give the same file.
 */
export type EncodedColumn =
  | { readonly kind: 'numbers'; readonly values: Float64Array }
  /** Every value a string: all of them joined, and each one's length (UTF-16 units). One string clones in one copy; many cost one each. */
  | { readonly kind: 'strings'; readonly text: string; readonly lengths: Int32Array }
  | { readonly kind: 'values'; readonly values: readonly RowValue[] };

/** The number of values of an encoded column. */
export function columnLength(column: EncodedColumn): number {
  return column.kind === 'strings' ? column.lengths.length : column.values.length;
}

/** The column's values as an array (strings cut out of their joined text). */
export function columnValues(column: EncodedColumn): ArrayLike<RowValue> {
  if (column.kind !== 'strings') return column.values;
  const out = new Array<string>(column.lengths.length);
  let at = 0;
  for (let i = 0; i < out.length; i++) {
    const end = at + (column.lengths[i] as number);
    out[i] = column.text.slice(at, end);
    at = end;
  }
  return out;
}

export interface EncodedRows {
  readonly rowCount: number;
  /** In the order of the schema's fields. */
  readonly columns: readonly EncodedColumn[];
}

/** The schema's columns of `rows` (rows already checked against the schema: `rowChecker`). */
export function encodeRows(schema: Schema, rows: readonly Row[]): EncodedRows {
  return { rowCount: rows.length, columns: flatFields(schema).map((field) => encodeColumn(rows, field.name)) };
}

function encodeColumn(rows: readonly Row[], name: string): EncodedColumn {
  const n = rows.length;
  // Most columns hold only numbers or only strings: try the typed form first, give up at the first other value.
  const numbers = new Float64Array(n);
  let r = 0;
  for (; r < n; r++) {
    const value = (rows[r] as Row)[name];
    if (typeof value !== 'number') break;
    numbers[r] = value;
  }
  if (r === n) return { kind: 'numbers', values: numbers };
  if (r === 0) {
    const lengths = new Int32Array(n);
    const strings = new Array<string>(n);
    let s = 0;
    for (; s < n; s++) {
      const value = (rows[s] as Row)[name];
      if (typeof value !== 'string') break;
      strings[s] = value;
      lengths[s] = value.length;
    }
    if (s === n) return { kind: 'strings', text: strings.join(''), lengths };
  }
  const values = new Array<RowValue>(n);
  for (let i = 0; i < n; i++) values[i] = (rows[i] as Row)[name] ?? null;
  return { kind: 'values', values };
}

/** The buffers of `encoded` that can be moved to another thread instead of copied. */
export function transferables(encoded: EncodedRows): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const column of encoded.columns) {
    if (column.kind === 'numbers' && column.values.buffer instanceof ArrayBuffer) out.push(column.values.buffer);
    if (column.kind === 'strings' && column.lengths.buffer instanceof ArrayBuffer) out.push(column.lengths.buffer);
  }
  return out;
}

export interface WriteColumnsOptions {
  readonly schema: Schema;
  readonly rows: EncodedRows;
  /** Local destination; an existing file is refused (OP_LAKE_FILE_EXISTS). */
  readonly path: string;
  readonly compression?: 'zstd' | 'snappy' | 'gzip' | 'uncompressed';
  readonly rowGroupSize?: number;
  /**
   * A local directory for a staging file: when every column has a staging form (see
   * staging-parquet.ts), DuckDB reads the rows from it in one call instead of value by value.
   */
  readonly stagingDir?: string;
}

/** `writeParquet` for rows given as columns: the same file, the same statistics. */
export async function writeParquetColumns(engine: DuckDbEngine, options: WriteColumnsOptions): Promise<ParquetFileStats> {
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
  const stats = await writeStaged(
    engine,
    {
      columns: plans,
      path: options.path,
      compression: options.compression ?? 'zstd',
      ...(options.rowGroupSize === undefined ? {} : { rowGroupSize: options.rowGroupSize }),
    },
    (connection) => {
      const kinds = options.stagingDir === undefined ? null : stagingKinds(plans, rows);
      return kinds === null ? loadColumns(connection, plans, rows) : loadStaged(connection, plans, kinds, rows, options.stagingDir as string);
    },
  );
  if (stats === null) throw new Error('unreachable: a staged write without an empty-result check returned nothing');
  return stats;
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

/** Each column's staging form, or null when one column has none (or holds a value that does not fit it). */
function stagingKinds(plans: readonly ColumnPlan[], rows: EncodedRows): StagingKind[] | null {
  const kinds: StagingKind[] = [];
  for (let c = 0; c < plans.length; c++) {
    const plan = plans[c] as ColumnPlan;
    const kind = stagingType(plan.icebergType);
    if (kind === null || !stageable(kind, rows.columns[c] as EncodedColumn, rows.rowCount, !plan.field.required)) return null;
    kinds.push(kind);
  }
  return kinds;
}

/** Fills the staging table from a staging Parquet file: DuckDB reads every value natively. */
async function loadStaged(connection: DuckDBConnection, plans: readonly ColumnPlan[], kinds: readonly StagingKind[], rows: EncodedRows, dir: string): Promise<void> {
  if (rows.rowCount === 0) return;
  const file = join(dir, `staging-${randomUUID()}.parquet`);
  await writeFile(file, encodeStagingParquet(kinds, rows));
  try {
    const select = kinds.map((kind, i) => stagingSelect(kind, (plans[i] as ColumnPlan).icebergType, i)).join(', ');
    await connection.run(`INSERT INTO ${STAGE} SELECT ${select} FROM read_parquet(${quoteLiteral(file)})`);
  } catch (cause) {
    throw lakeErrorFromDuckDb(cause, 'cannot read back the staged rows', 'OP_LAKE_IO', { file });
  } finally {
    await unlink(file).catch(() => undefined);
  }
}
