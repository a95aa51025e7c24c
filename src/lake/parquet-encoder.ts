import { gzipSync } from 'node:zlib';
import { formatDate, parseDate, type RowValue } from './duckdb-engine.js';
import { LakeError } from './errors.js';
import type { EncodedColumn, EncodedRows } from './parquet-columns.js';
import { columnValues } from './parquet-columns.js';
import { utf8ByteLength } from './column-rows.js';
import { Bytes, CompactWriter, Thrift } from './parquet-thrift.js';
import type { ColumnPlan, ParquetColumnStats } from './parquet-writer.js';
import { snappyCompress } from './snappy.js';
import type { PrimitiveType } from './types.js';

/**
 * Encodes a table's data file in JavaScript, without DuckDB, for the types whose Parquet form is
 * plain: every column PLAIN-encoded in data pages (v1) of about 1 MiB, compressed with Snappy by
 * default, each carrying its field id, its repetition (REQUIRED or OPTIONAL, as the field is) and
 * the logical type of the specification's mapping; the footer carries each column chunk's
 * statistics and the type-defined column order. The statistics a manifest entry needs are counted
 * on the way, exactly (the same figures DuckDB's aggregates give).
 *
 * Why: loading rows into DuckDB to have it write the file cost 5–17 µs a row, most of it taking
 * each value across the native boundary; encoding here costs a fraction of that and needs no
 * second copy of the rows. Types with a more involved form (time, uuid, binary, decimal, fixed)
 * keep DuckDB's writer (`directKind` says null).
 *
 * Physical / logical types: boolean → BOOLEAN; int → INT32; long → INT64; float → FLOAT;
 * double → DOUBLE; date → INT32 / DATE; timestamp → INT64 / TIMESTAMP(MICROS, isAdjustedToUTC=false);
 * timestamptz → INT64 / TIMESTAMP(MICROS, isAdjustedToUTC=true); string → BYTE_ARRAY / STRING.
 */

export type DirectKind = 'boolean' | 'int' | 'long' | 'float' | 'double' | 'date' | 'timestamp' | 'timestamptz' | 'string';
export type DirectCompression = 'snappy' | 'gzip' | 'uncompressed';

/** How a column of this type is encoded here; null: it is not (DuckDB writes the file). */
export function directKind(type: PrimitiveType): DirectKind | null {
  switch (type) {
    case 'boolean':
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'date':
    case 'timestamp':
    case 'timestamptz':
    case 'string':
      return type;
    default:
      return null;
  }
}

/** Whether every column of the plan can be encoded here. */
export function encodable(plans: readonly ColumnPlan[]): boolean {
  return plans.every((p) => directKind(p.icebergType) !== null);
}

export function mismatch(row: number, column: Pick<ColumnPlan, 'name' | 'icebergType'>, why: string): LakeError {
  return new LakeError('OP_LAKE_SCHEMA_MISMATCH', `row ${row}, column ${column.name} (${column.icebergType}): ${why}`, {
    details: { row, column: column.name, type: column.icebergType },
  });
}

export interface EncodedDataFile {
  readonly bytes: Buffer;
  readonly recordCount: number;
  /** In the order of the plans; `compressedSize` is the column's chunks, page headers included. */
  readonly columns: readonly ParquetColumnStats[];
  /** Start offsets of the row groups (Iceberg's `split_offsets`). */
  readonly splitOffsets: readonly number[];
}

export interface EncodeOptions {
  readonly compression?: DirectCompression;
  /** Rows per row group (default 122,880, DuckDB's). */
  readonly rowGroupSize?: number;
}

const DEFAULT_ROW_GROUP = 122_880;
// A page is cut once its values pass this size; readers handle pages of any size, but keep them modest.
const PAGE_BYTES = 1 << 20;

const enum Physical {
  Boolean = 0,
  Int32 = 1,
  Int64 = 2,
  Float = 4,
  Double = 5,
  ByteArray = 6,
}

const PHYSICAL: Readonly<Record<DirectKind, Physical>> = {
  boolean: Physical.Boolean,
  int: Physical.Int32,
  long: Physical.Int64,
  float: Physical.Float,
  double: Physical.Double,
  date: Physical.Int32,
  timestamp: Physical.Int64,
  timestamptz: Physical.Int64,
  string: Physical.ByteArray,
};

const WIDTH: Readonly<Record<Exclude<DirectKind, 'string' | 'boolean'>, number>> = {
  int: 4,
  long: 8,
  float: 4,
  double: 8,
  date: 4,
  timestamp: 8,
  timestamptz: 8,
};

const CODEC: Readonly<Record<DirectCompression, number>> = { uncompressed: 0, snappy: 1, gzip: 2 };

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const MAX_SAFE_MILLIS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);

/**
 * A column checked and put in the form its pages are cut from: `nulls` marks null rows (null when
 * there are none); fixed-width values as numbers (or bigints, for longs beyond 2^53); strings as
 * their UTF-8 bytes end to end with each row's start offset.
 */
type Prepared =
  | { readonly kind: 'string'; readonly nulls: Uint8Array | null; readonly utf8: Buffer; readonly offsets: Int32Array }
  | { readonly kind: Exclude<DirectKind, 'string'>; readonly nulls: Uint8Array | null; readonly values: ArrayLike<number | bigint> };

/** The data file of `rows` (checked here value by value; a value that does not fit names its row and column). */
export function encodeDataFile(plans: readonly ColumnPlan[], rows: EncodedRows, options: EncodeOptions = {}): EncodedDataFile {
  const compression = options.compression ?? 'snappy';
  const rowGroupSize = options.rowGroupSize ?? DEFAULT_ROW_GROUP;
  const prepared = plans.map((plan, c) => prepare(plan, rows.columns[c] as EncodedColumn, rows.rowCount));
  const optional = plans.map((plan) => !plan.field.required);
  const file = new Bytes(1 << 16);
  file.bytes(MAGIC);
  const groups: { readonly rows: number; readonly chunks: Chunk[] }[] = [];
  for (let start = 0; start < rows.rowCount; start += rowGroupSize) {
    const end = Math.min(rows.rowCount, start + rowGroupSize);
    groups.push({ rows: end - start, chunks: prepared.map((column, c) => writeChunk(file, column, optional[c] === true, start, end, compression)) });
  }
  const columns = plans.map((plan, c) => fileStats(plan, prepared[c] as Prepared, groups.map((g) => g.chunks[c] as Chunk), rows.rowCount));
  const footerStart = file.length;
  writeFooter(new CompactWriter(file), plans, prepared, groups, rows.rowCount, compression);
  file.int32(file.length - footerStart);
  file.bytes(MAGIC);
  return { bytes: file.view(), recordCount: rows.rowCount, columns, splitOffsets: groups.map((g) => (g.chunks[0] as Chunk).offset) };
}

const MAGIC = Buffer.from('PAR1', 'latin1');

// ---------------------------------------------------------------------------------------------
// Checking and preparing a column

function prepare(plan: ColumnPlan, column: EncodedColumn, rowCount: number): Prepared {
  const kind = directKind(plan.icebergType);
  if (kind === null) throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `column ${plan.name}: ${plan.icebergType} is not encoded here`);
  if (kind === 'string') return prepareStrings(plan, column, rowCount);
  if (column.kind === 'numbers' && kind !== 'boolean' && kind !== 'date') return prepareNumbers(plan, kind, column.values);
  const source: ArrayLike<RowValue> = columnValues(column);
  let nulls: Uint8Array | null = null;
  const values: (number | bigint)[] = new Array<number | bigint>(rowCount);
  for (let r = 0; r < rowCount; r++) {
    const v = source[r] ?? null;
    if (v === null) {
      if (plan.field.required) throw mismatch(r, plan, 'is required but null');
      (nulls ??= new Uint8Array(rowCount))[r] = 1;
      values[r] = 0;
      continue;
    }
    const n = fit(kind, v);
    if (n === undefined) throw mismatch(r, plan, plan.explain(v));
    values[r] = n;
  }
  return { kind, nulls, values };
}

/** A column of numbers only (no null): checked without boxing. */
function prepareNumbers(plan: ColumnPlan, kind: Exclude<DirectKind, 'string' | 'boolean' | 'date'>, values: Float64Array): Prepared {
  if (kind !== 'float' && kind !== 'double') {
    for (let r = 0; r < values.length; r++) {
      const v = values[r] as number;
      if (fit(kind, v) === undefined) throw mismatch(r, plan, plan.explain(v));
    }
  }
  return { kind, nulls: null, values };
}

/** The value as the number (or bigint) its column stores, undefined when it does not fit. */
function fit(kind: Exclude<DirectKind, 'string'>, v: RowValue): number | bigint | undefined {
  switch (kind) {
    case 'boolean':
      return typeof v === 'boolean' ? (v ? 1 : 0) : undefined;
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX ? v : undefined;
    case 'long':
      if (typeof v === 'number') return Number.isSafeInteger(v) ? v : undefined;
      return typeof v === 'bigint' && BigInt.asIntN(64, v) === v ? v : undefined;
    case 'float':
    case 'double':
      return typeof v === 'number' ? v : undefined;
    case 'date': {
      if (typeof v !== 'string') return undefined;
      const days = parseDate(v);
      return days === null ? undefined : days;
    }
    case 'timestamp':
    case 'timestamptz':
      return typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined;
  }
}

function prepareStrings(plan: ColumnPlan, column: EncodedColumn, rowCount: number): Prepared {
  if (column.kind === 'utf8') {
    // Already the bytes and offsets a page is cut from (checked when the table took them).
    return { kind: 'string', nulls: null, utf8: Buffer.from(column.bytes.buffer, column.bytes.byteOffset, column.bytes.length), offsets: column.offsets };
  }
  let text: string;
  let lengths: Int32Array;
  let nulls: Uint8Array | null = null;
  if (column.kind === 'strings') {
    text = column.text;
    lengths = column.lengths;
  } else {
    const values = column.kind === 'numbers' ? Array.from(column.values) : column.values;
    const parts = new Array<string>(rowCount);
    lengths = new Int32Array(rowCount);
    for (let r = 0; r < rowCount; r++) {
      const v = values[r] ?? null;
      if (v === null) {
        if (plan.field.required) throw mismatch(r, plan, 'is required but null');
        (nulls ??= new Uint8Array(rowCount))[r] = 1;
        parts[r] = '';
        continue;
      }
      if (typeof v !== 'string') throw mismatch(r, plan, plan.explain(v));
      parts[r] = v;
      lengths[r] = v.length;
    }
    text = parts.join('');
  }
  // The whole column in one conversion; each value's bytes are then found by offset.
  const utf8 = Buffer.from(text, 'utf8');
  const offsets = new Int32Array(rowCount + 1);
  if (utf8.length === text.length) {
    for (let r = 0; r < rowCount; r++) offsets[r + 1] = (offsets[r] as number) + (lengths[r] as number);
  } else {
    let unit = 0;
    for (let r = 0; r < rowCount; r++) {
      const length = lengths[r] as number;
      const piece = text.slice(unit, unit + length);
      unit += length;
      offsets[r + 1] = (offsets[r] as number) + utf8ByteLength(piece);
    }
  }
  return { kind: 'string', nulls, utf8, offsets };
}

// ---------------------------------------------------------------------------------------------
// Column chunks and pages

interface Chunk {
  /** Where the chunk's first page starts in the file. */
  readonly offset: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly values: number;
  readonly nullCount: number;
  readonly nanCount: number;
  /** Rows of the smallest and largest value (NaN aside), -1 when the chunk has none. */
  readonly minRow: number;
  readonly maxRow: number;
}

/** Writes rows [start, end) of a column as pages of about `PAGE_BYTES`. */
function writeChunk(file: Bytes, column: Prepared, optional: boolean, start: number, end: number, compression: DirectCompression): Chunk {
  const offset = file.length;
  let uncompressedSize = 0;
  let nullCount = 0;
  let nanCount = 0;
  let minRow = -1;
  let maxRow = -1;
  const compare = comparator(column);
  const isFloat = column.kind === 'float' || column.kind === 'double';
  for (let r = start; r < end; r++) {
    if (column.nulls !== null && column.nulls[r] === 1) {
      nullCount++;
      continue;
    }
    if (isFloat && Number.isNaN((column as { values: ArrayLike<number> }).values[r])) {
      nanCount++;
      continue;
    }
    if (minRow < 0) {
      minRow = maxRow = r;
      continue;
    }
    if (compare(r, minRow) < 0) minRow = r;
    else if (compare(r, maxRow) > 0) maxRow = r;
  }
  for (let from = start; from < end; ) {
    const to = pageEnd(column, from, end);
    const body = pageBody(column, optional, from, to);
    const data = compress(body, compression);
    const header = new CompactWriter(file);
    const headerStart = file.length;
    header.message(() => {
      header.i32(1, 0); // DATA_PAGE
      header.i32(2, body.length);
      header.i32(3, data.length);
      header.struct(5, () => {
        header.i32(1, to - from);
        header.i32(2, 0); // PLAIN
        header.i32(3, 3); // RLE definition levels
        header.i32(4, 3); // RLE repetition levels
      });
    });
    uncompressedSize += file.length - headerStart + body.length;
    file.bytes(data);
    from = to;
  }
  return { offset, compressedSize: file.length - offset, uncompressedSize, values: end - start, nullCount, nanCount, minRow, maxRow };
}

function pageEnd(column: Prepared, from: number, end: number): number {
  if (column.kind !== 'string') {
    const width = column.kind === 'boolean' ? 1 : WIDTH[column.kind];
    return Math.min(end, from + Math.max(1, Math.floor(PAGE_BYTES / width)));
  }
  const base = column.offsets[from] as number;
  let to = from + 1;
  while (to < end && (column.offsets[to] as number) - base + 4 * (to - from) < PAGE_BYTES) to++;
  return to;
}

/** A page's content before compression: definition levels (OPTIONAL columns), then the PLAIN values. */
function pageBody(column: Prepared, optional: boolean, from: number, to: number): Buffer {
  const count = to - from;
  const out = new Bytes(column.kind === 'string' ? (column.offsets[to] as number) - (column.offsets[from] as number) + 4 * count + 64 : count * 8 + 64);
  if (optional) definitionLevels(out, column.nulls, from, to);
  switch (column.kind) {
    case 'string': {
      const { utf8, offsets, nulls } = column;
      out.reserve((offsets[to] as number) - (offsets[from] as number) + 4 * count);
      const target = out.buffer;
      let at = out.length;
      for (let r = from; r < to; r++) {
        if (nulls !== null && nulls[r] === 1) continue;
        const s = offsets[r] as number;
        const size = (offsets[r + 1] as number) - s;
        target.writeInt32LE(size, at);
        utf8.copy(target, at + 4, s, s + size);
        at += 4 + size;
      }
      out.length = at;
      break;
    }
    case 'boolean': {
      const bits = Buffer.alloc(Math.ceil(count / 8));
      let i = 0;
      for (let r = from; r < to; r++) {
        if (column.nulls !== null && column.nulls[r] === 1) continue;
        if (column.values[r] === 1) (bits[i >> 3] as number) |= 1 << (i & 7);
        i++;
      }
      out.bytes(bits.subarray(0, Math.ceil(i / 8)));
      break;
    }
    default: {
      const { kind, values, nulls } = column;
      out.reserve(count * 8);
      for (let r = from; r < to; r++) {
        if (nulls !== null && nulls[r] === 1) continue;
        const v = values[r] as number | bigint;
        switch (kind) {
          case 'int':
          case 'date':
            out.int32(v as number);
            break;
          case 'float':
            out.float(v as number);
            break;
          case 'double':
            out.double(v as number);
            break;
          case 'long':
            out.int64(v);
            break;
          case 'timestamp':
          case 'timestamptz':
            out.int64(micros(v as number));
            break;
        }
      }
    }
  }
  return out.view();
}

function micros(ms: number): number | bigint {
  return Math.abs(ms) <= MAX_SAFE_MILLIS ? ms * 1000 : BigInt(ms) * 1000n;
}

/**
 * Definition levels (bit width 1) as the RLE / bit-packing hybrid, with their 4-byte length: one
 * run of ones when the page has no null, else one bit-packed run.
 */
function definitionLevels(out: Bytes, nulls: Uint8Array | null, from: number, to: number): void {
  const count = to - from;
  let any = false;
  if (nulls !== null) for (let r = from; r < to && !any; r++) any = nulls[r] === 1;
  const levels = new Bytes(16 + (count >> 3));
  if (!any) {
    levels.unsignedVarint(count * 2);
    levels.byte(1);
  } else {
    const groups = Math.ceil(count / 8);
    levels.unsignedVarint(groups * 2 + 1);
    levels.reserve(groups);
    levels.buffer.fill(0, levels.length, levels.length + groups);
    for (let i = 0; i < count; i++) if ((nulls as Uint8Array)[from + i] !== 1) (levels.buffer[levels.length + (i >> 3)] as number) |= 1 << (i & 7);
    levels.length += groups;
  }
  out.int32(levels.length);
  out.bytes(levels.view());
}

function compress(body: Buffer, compression: DirectCompression): Buffer {
  switch (compression) {
    case 'snappy':
      return snappyCompress(body);
    case 'gzip':
      return gzipSync(body);
    case 'uncompressed':
      return body;
  }
}

/**
 * Orders two rows' values as Parquet orders the column's type: numbers by value, booleans false
 * first, strings by their UTF-8 bytes, unsigned.
 */
function comparator(column: Prepared): (a: number, b: number) => number {
  if (column.kind === 'string') {
    const { utf8, offsets } = column;
    return (a, b) => {
      // Byte by byte here: values mostly differ within their first bytes, sooner than a native call returns.
      const aStart = offsets[a] as number;
      const bStart = offsets[b] as number;
      const aLength = (offsets[a + 1] as number) - aStart;
      const bLength = (offsets[b + 1] as number) - bStart;
      const n = Math.min(aLength, bLength);
      for (let k = 0; k < n; k++) {
        const d = (utf8[aStart + k] as number) - (utf8[bStart + k] as number);
        if (d !== 0) return d;
      }
      return aLength - bLength;
    };
  }
  const values = column.values;
  return (a, b) => {
    const x = values[a] as number | bigint;
    const y = values[b] as number | bigint;
    return x < y ? -1 : x > y ? 1 : 0;
  };
}

// ---------------------------------------------------------------------------------------------
// Statistics and the footer

/** A row's value in the row representation (what reading the file back gives). */
function rowValue(column: Prepared, row: number): RowValue {
  switch (column.kind) {
    case 'string':
      return column.utf8.toString('utf8', column.offsets[row], column.offsets[row + 1]);
    case 'boolean':
      return column.values[row] === 1;
    case 'date':
      return formatDate(column.values[row] as number);
    case 'float':
      return Math.fround(column.values[row] as number);
    case 'long': {
      const v = column.values[row] as number | bigint;
      return typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    default:
      return column.values[row] as number;
  }
}

/** A row's value PLAIN-encoded, as Parquet statistics hold it (a string's bytes without their length). */
function plainValue(column: Prepared, row: number): Buffer {
  const out = new Bytes(16);
  switch (column.kind) {
    case 'string':
      return column.utf8.subarray(column.offsets[row], column.offsets[row + 1]);
    case 'boolean':
      out.byte(column.values[row] as number);
      break;
    case 'int':
    case 'date':
      out.int32(column.values[row] as number);
      break;
    case 'float':
      out.float(column.values[row] as number);
      break;
    case 'double':
      out.double(column.values[row] as number);
      break;
    case 'long':
      out.int64(column.values[row] as number | bigint);
      break;
    case 'timestamp':
    case 'timestamptz':
      out.int64(micros(column.values[row] as number));
      break;
  }
  return out.view();
}

function fileStats(plan: ColumnPlan, column: Prepared, chunks: readonly Chunk[], rowCount: number): ParquetColumnStats {
  const compare = comparator(column);
  let minRow = -1;
  let maxRow = -1;
  for (const chunk of chunks) {
    if (chunk.minRow < 0) continue;
    if (minRow < 0 || compare(chunk.minRow, minRow) < 0) minRow = chunk.minRow;
    if (maxRow < 0 || compare(chunk.maxRow, maxRow) > 0) maxRow = chunk.maxRow;
  }
  const isFloat = plan.isFloat;
  return {
    valueCount: rowCount,
    nullCount: chunks.reduce((n, c) => n + c.nullCount, 0),
    nanCount: isFloat ? chunks.reduce((n, c) => n + c.nanCount, 0) : null,
    min: minRow < 0 ? null : rowValue(column, minRow),
    max: maxRow < 0 ? null : rowValue(column, maxRow),
    compressedSize: chunks.reduce((n, c) => n + c.compressedSize, 0),
  };
}

// Longer string bounds are left out of the footer: no reader prunes on them, and they would bloat it.
const MAX_STRING_BOUND = 64;

function writeFooter(
  w: CompactWriter,
  plans: readonly ColumnPlan[],
  prepared: readonly Prepared[],
  groups: readonly { readonly rows: number; readonly chunks: readonly Chunk[] }[],
  rowCount: number,
  compression: DirectCompression,
): void {
  w.message(() => {
    w.i32(1, 1); // version
    w.list(2, Thrift.Struct, [null, ...plans], (plan) => {
      if (plan === null) {
        w.binary(4, 'schema');
        w.i32(5, plans.length);
        return;
      }
      const kind = directKind(plan.icebergType) as DirectKind;
      w.i32(1, PHYSICAL[kind]);
      w.i32(3, plan.field.required ? 0 : 1);
      w.binary(4, plan.name);
      if (kind === 'string') w.i32(6, 0); // UTF8
      if (kind === 'date') w.i32(6, 6); // DATE
      if (kind === 'timestamptz') w.i32(6, 10); // TIMESTAMP_MICROS (adjusted to UTC, as the converted type implies)
      w.i32(9, plan.field.id);
      if (kind === 'string') w.struct(10, () => w.struct(1, () => undefined));
      if (kind === 'date') w.struct(10, () => w.struct(6, () => undefined));
      if (kind === 'timestamp' || kind === 'timestamptz') {
        w.struct(10, () =>
          w.struct(8, () => {
            w.bool(1, kind === 'timestamptz');
            w.struct(2, () => w.struct(2, () => undefined)); // MICROS
          }),
        );
      }
    });
    w.i64(3, rowCount);
    w.list(4, Thrift.Struct, groups, (group) => {
      const chunks = group.chunks.map((chunk, c) => ({ chunk, plan: plans[c] as ColumnPlan, column: prepared[c] as Prepared }));
      w.list(1, Thrift.Struct, chunks, ({ chunk, plan, column }) => {
        w.i64(2, chunk.offset);
        w.struct(3, () => {
          w.i32(1, PHYSICAL[column.kind]);
          w.list(2, Thrift.I32, [0, 3], (encoding) => w.i32Element(encoding));
          w.list(3, Thrift.Binary, [plan.name], (name) => w.binaryElement(name));
          w.i32(4, CODEC[compression]);
          w.i64(5, chunk.values);
          w.i64(6, chunk.uncompressedSize);
          w.i64(7, chunk.compressedSize);
          w.i64(9, chunk.offset);
          w.struct(12, () => {
            w.i64(3, chunk.nullCount);
            if (chunk.minRow < 0) return;
            const max = plainValue(column, chunk.maxRow);
            const min = plainValue(column, chunk.minRow);
            if (column.kind === 'string' && (max.length > MAX_STRING_BOUND || min.length > MAX_STRING_BOUND)) return;
            w.binary(5, max);
            w.binary(6, min);
          });
        });
      });
      w.i64(2, group.chunks.reduce((n, c) => n + c.uncompressedSize, 0));
      w.i64(3, group.rows);
      w.i64(5, (group.chunks[0] as Chunk).offset);
      w.i64(6, group.chunks.reduce((n, c) => n + c.compressedSize, 0));
    });
    w.binary(6, 'orderpulse');
    w.list(7, Thrift.Struct, plans, () => w.struct(1, () => undefined)); // TYPE_ORDER for every column
  });
}
