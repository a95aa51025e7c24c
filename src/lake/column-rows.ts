import type { Row, RowValue } from './duckdb-engine.js';

/**
 * A string column given as its UTF-8 bytes: every value's bytes end to end, and where each value
 * starts (`offsets[i]`) and ends (`offsets[i + 1]`), so `offsets` is one longer than the column.
 * It is the form a Parquet file stores strings in: a writer that builds long strings (an event's
 * JSON) hands them over as bytes, written once into memory the garbage collector does not move,
 * instead of as strings it keeps on its heap, which the lake would join, copy to its writer thread
 * and encode again. Build one with `Utf8ColumnBuilder`. No value is null.
 */
export interface Utf8Column {
  readonly kind: 'utf8';
  readonly bytes: Uint8Array;
  readonly offsets: Int32Array;
}

/** One column of `ColumnRows`: its values in row order, or a string column as UTF-8 bytes. */
export type ColumnValues = readonly RowValue[] | Utf8Column;

/**
 * Rows given column by column, as a writer that builds many rows of one shape has them: each
 * column's values in row order, every column `rowCount` long; a column left out is null in every
 * row. `IcebergTable.append` takes them as it takes `Row` objects, with the same checks and the
 * same files, but without an object per row to build, check key by key and take apart again.
 */
export interface ColumnRows {
  readonly rowCount: number;
  readonly columns: Readonly<Record<string, ColumnValues>>;
}

/** Whether a table write was given columns (`ColumnRows`) rather than row objects. */
export function isColumnRows(rows: readonly Row[] | ColumnRows): rows is ColumnRows {
  return !Array.isArray(rows);
}

/** Whether a column is given as UTF-8 bytes. */
export function isUtf8Column(values: unknown): values is Utf8Column {
  return typeof values === 'object' && values !== null && !Array.isArray(values) && (values as { kind?: unknown }).kind === 'utf8';
}

/** The number of rows of either form. */
export function rowCountOf(rows: readonly Row[] | ColumnRows): number {
  return isColumnRows(rows) ? rows.rowCount : rows.length;
}

/** Value `i` of a column (null past its end). */
export function columnValueAt(values: ColumnValues, i: number): RowValue {
  if (!isUtf8Column(values)) return values[i] ?? null;
  if (i < 0 || i + 1 >= values.offsets.length) return null;
  return utf8Text(values.bytes, values.offsets[i] as number, values.offsets[i + 1] as number);
}

/** Every value of a column as an array (a UTF-8 column decoded). */
export function columnArray(values: ColumnValues): readonly RowValue[] {
  if (!isUtf8Column(values)) return values;
  const out = new Array<string>(values.offsets.length - 1);
  for (let i = 0; i < out.length; i++) out[i] = utf8Text(values.bytes, values.offsets[i] as number, values.offsets[i + 1] as number);
  return out;
}

function utf8Text(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
}

/** The rows at `indexes` (in that order), as columns. */
export function selectColumnRows(rows: ColumnRows, indexes: readonly number[]): ColumnRows {
  const columns: Record<string, ColumnValues> = {};
  for (const [name, values] of Object.entries(rows.columns)) {
    if (isUtf8Column(values)) {
      columns[name] = selectUtf8(values, indexes);
      continue;
    }
    const picked = new Array<RowValue>(indexes.length);
    for (let i = 0; i < indexes.length; i++) picked[i] = values[indexes[i] as number] ?? null;
    columns[name] = picked;
  }
  return { rowCount: indexes.length, columns };
}

function selectUtf8(column: Utf8Column, indexes: readonly number[]): Utf8Column {
  const { bytes, offsets } = column;
  let size = 0;
  for (const i of indexes) size += (offsets[i + 1] as number) - (offsets[i] as number);
  const out = new Uint8Array(size);
  const outOffsets = new Int32Array(indexes.length + 1);
  let at = 0;
  for (let k = 0; k < indexes.length; k++) {
    const i = indexes[k] as number;
    const start = offsets[i] as number;
    const end = offsets[i + 1] as number;
    out.set(bytes.subarray(start, end), at);
    at += end - start;
    outOffsets[k + 1] = at;
  }
  return { kind: 'utf8', bytes: out, offsets: outOffsets };
}

/** Strings written into a builder's bytes at a time: one native call for many, yet few enough that they die young. */
const FLUSH_EVERY = 256;

// Any UTF-16 unit past ASCII takes more than one byte.
const NON_ASCII = /[\u0080-\uffff]/;

/** The UTF-8 length of `value`: its length when it is ASCII, found without a native call. */
export function utf8ByteLength(value: string): number {
  return NON_ASCII.test(value) ? Buffer.byteLength(value, 'utf8') : value.length;
}

/**
 * Builds a `Utf8Column` one string at a time. The strings are encoded a few hundred at once, into
 * a buffer that grows by doubling, so that each string can be dropped soon after it is pushed.
 */
export class Utf8ColumnBuilder {
  #bytes: Buffer;
  #offsets: Int32Array;
  #count = 0;
  #used = 0;
  readonly #pending: string[] = [];

  constructor(expectedBytes = 1 << 16, expectedValues = 1 << 10) {
    this.#bytes = Buffer.allocUnsafeSlow(Math.max(64, expectedBytes));
    this.#offsets = new Int32Array(Math.max(16, expectedValues + 1));
  }

  /** The number of values pushed. */
  get length(): number {
    return this.#count + this.#pending.length;
  }

  push(value: string): void {
    if (this.#pending.push(value) >= FLUSH_EVERY) this.#flush();
  }

  /** The column of the values pushed so far (a view: later pushes do not change it). */
  build(): Utf8Column {
    this.#flush();
    return { kind: 'utf8', bytes: this.#bytes.subarray(0, this.#used), offsets: this.#offsets.subarray(0, this.#count + 1) };
  }

  #flush(): void {
    const pending = this.#pending;
    if (pending.length === 0) return;
    const text = pending.length === 1 ? (pending[0] as string) : pending.join('');
    // A UTF-16 unit takes at most 3 UTF-8 bytes (a surrogate pair, 2 units, takes 4).
    const room = this.#used + 3 * text.length;
    if (room > this.#bytes.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(room, 2 * this.#bytes.length));
      this.#bytes.copy(grown, 0, 0, this.#used);
      this.#bytes = grown;
    }
    if (this.#count + pending.length + 1 > this.#offsets.length) {
      const grown = new Int32Array(Math.max(this.#count + pending.length + 1, 2 * this.#offsets.length));
      grown.set(this.#offsets);
      this.#offsets = grown;
    }
    const start = this.#used;
    const written = this.#bytes.write(text, start, 'utf8');
    const ascii = written === text.length;
    const offsets = this.#offsets;
    let at = start;
    let n = this.#count;
    for (const value of pending) {
      at += ascii ? value.length : utf8ByteLength(value);
      offsets[++n] = at;
    }
    if (at !== start + written) {
      // Joined, a lone surrogate at the end of one value and one at the start of the next made a
      // pair: write each value alone.
      at = start;
      n = this.#count;
      for (const value of pending) {
        at += this.#bytes.write(value, at, 'utf8');
        offsets[++n] = at;
      }
    }
    this.#used = at;
    this.#count = n;
    pending.length = 0;
  }
}
