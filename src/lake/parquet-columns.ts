import { flatFields, type Row, type RowValue } from './duckdb-engine.js';
import type { Schema } from './types.js';
import type { ColumnRows, Utf8Column } from './column-rows.js';
import { columnArray, isColumnRows, isUtf8Column } from './column-rows.js';

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
  | { readonly kind: 'values'; readonly values: readonly RowValue[] }
  /** Strings given as UTF-8 bytes (`Utf8Column`): moved to the thread, and written as they are. */
  | { readonly kind: 'utf8'; readonly bytes: Uint8Array; readonly offsets: Int32Array };

/** The number of values of an encoded column. */
export function columnLength(column: EncodedColumn): number {
  if (column.kind === 'utf8') return column.offsets.length - 1;
  return column.kind === 'strings' ? column.lengths.length : column.values.length;
}

/** The column's values as an array (strings cut out of their joined text). */
export function columnValues(column: EncodedColumn): ArrayLike<RowValue> {
  if (column.kind === 'utf8') return columnArray(column);
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

/**
 * The schema's columns of `rows`, row objects or columns (already checked against the schema:
 * `rowChecker`, `checkColumnRows`).
 */
export function encodeRows(schema: Schema, rows: readonly Row[] | ColumnRows): EncodedRows {
  const fields = flatFields(schema);
  if (!isColumnRows(rows)) return { rowCount: rows.length, columns: fields.map((field) => encodeColumn(columnOf(rows, field.name))) };
  const missing: RowValue[] = new Array<RowValue>(rows.rowCount).fill(null);
  return {
    rowCount: rows.rowCount,
    columns: fields.map((field) => {
      const values = rows.columns[field.name] ?? missing;
      return isUtf8Column(values) ? encodeUtf8(values) : encodeColumn(values);
    }),
  };
}

/**
 * The column's bytes and offsets copied into buffers of their own, exactly their size, to be moved
 * to the thread: moving the caller's would take them from it (a retried write gives them again).
 */
function encodeUtf8(column: Utf8Column): EncodedColumn {
  const end = column.offsets[column.offsets.length - 1] ?? 0;
  // A Uint8Array built from a view copies it (a Buffer's `slice` would not).
  return { kind: 'utf8', bytes: new Uint8Array(column.bytes.subarray(0, end)), offsets: new Int32Array(column.offsets) };
}

function columnOf(rows: readonly Row[], name: string): RowValue[] {
  const values = new Array<RowValue>(rows.length);
  for (let i = 0; i < rows.length; i++) values[i] = (rows[i] as Row)[name] ?? null;
  return values;
}

function encodeColumn(values: readonly RowValue[]): EncodedColumn {
  const n = values.length;
  // Most columns hold only numbers or only strings: try the typed form first, give up at the first other value.
  const numbers = new Float64Array(n);
  let r = 0;
  for (; r < n; r++) {
    const value = values[r];
    if (typeof value !== 'number') break;
    numbers[r] = value;
  }
  if (r === n) return { kind: 'numbers', values: numbers };
  if (r === 0) {
    const lengths = new Int32Array(n);
    let s = 0;
    for (; s < n; s++) {
      const value = values[s];
      if (typeof value !== 'string') break;
      lengths[s] = value.length;
    }
    if (s === n) return { kind: 'strings', text: (values as readonly string[]).join(''), lengths };
  }
  return { kind: 'values', values: values.map((v) => v ?? null) };
}

/** The buffers of `encoded` that can be moved to another thread instead of copied. */
export function transferables(encoded: EncodedRows): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const column of encoded.columns) {
    if (column.kind === 'numbers' && column.values.buffer instanceof ArrayBuffer) out.push(column.values.buffer);
    if (column.kind === 'strings' && column.lengths.buffer instanceof ArrayBuffer) out.push(column.lengths.buffer);
    if (column.kind === 'utf8') {
      if (column.bytes.buffer instanceof ArrayBuffer) out.push(column.bytes.buffer);
      if (column.offsets.buffer instanceof ArrayBuffer) out.push(column.offsets.buffer);
    }
  }
  return out;
}

