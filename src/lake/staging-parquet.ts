import type { RowValue } from './duckdb-engine.js';
import type { EncodedColumn, EncodedRows } from './parquet-columns.js';
import { columnValues } from './parquet-columns.js';
import type { PrimitiveType } from './types.js';

/**
 * A STAGING Parquet file: the rows of a write, as plain as Parquet allows (one row group, one
 * uncompressed PLAIN page per column, no statistics), for DuckDB to read back in one native call
 * instead of taking every value across the boundary on its own. It is never a table's data file:
 * DuckDB reads it into the staging table, and the data file is written from there as always (field
 * ids, compression, exact statistics). Columns are named c0, c1, ... in schema order.
 *
 * Physical types: string → BYTE_ARRAY (UTF8); int → INT32; long → INT64; double → DOUBLE;
 * boolean → BOOLEAN; timestamp and timestamptz → INT64 microseconds, which `stagingSelect` turns
 * back into timestamps. Other types have no staging form (`stagingType` says null).
 */

const enum Thrift {
  Stop = 0,
  I32 = 5,
  I64 = 6,
  Binary = 8,
  List = 9,
  Struct = 12,
}

const enum Physical {
  Boolean = 0,
  Int32 = 1,
  Int64 = 2,
  Double = 5,
  ByteArray = 6,
}

export type StagingKind = 'string' | 'int' | 'long' | 'double' | 'boolean' | 'micros';

/** How a column of this type is staged; null: it is not (write it through the appender). */
export function stagingType(type: PrimitiveType): StagingKind | null {
  switch (type) {
    case 'string':
      return 'string';
    case 'int':
      return 'int';
    case 'long':
      return 'long';
    case 'double':
      return 'double';
    case 'boolean':
      return 'boolean';
    case 'timestamp':
    case 'timestamptz':
      return 'micros';
    default:
      return null;
  }
}

/**
 * The SQL expression that turns staging column `c{index}` into the table's type. Staged values
 * are the row values themselves, timestamps aside (epoch microseconds of the epoch milliseconds).
 */
export function stagingSelect(kind: StagingKind, type: PrimitiveType, index: number): string {
  const c = `c${index}`;
  if (kind !== 'micros') return c;
  return type === 'timestamptz' ? `CAST(make_timestamp(${c}) AS TIMESTAMPTZ)` : `make_timestamp(${c})`;
}

/** A growable byte buffer with the little-endian and varint writes Parquet and Thrift need. */
class Bytes {
  buffer: Buffer;
  length = 0;

  constructor(capacity: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(64, capacity));
  }

  reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buffer[this.length++] = b;
  }

  int32(n: number): void {
    this.reserve(4);
    this.buffer.writeInt32LE(n, this.length);
    this.length += 4;
  }

  /** A safe integer or a bigint as a little-endian two's-complement int64. */
  int64(n: number | bigint): void {
    this.reserve(8);
    if (typeof n === 'bigint') {
      this.buffer.writeBigInt64LE(n, this.length);
    } else {
      const high = Math.floor(n / 4294967296);
      this.buffer.writeUInt32LE(n - high * 4294967296, this.length);
      this.buffer.writeInt32LE(high, this.length + 4);
    }
    this.length += 8;
  }

  double(n: number): void {
    this.reserve(8);
    this.buffer.writeDoubleLE(n, this.length);
    this.length += 8;
  }

  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  unsignedVarint(n: number | bigint): void {
    let v = BigInt(n);
    while (v >= 0x80n) {
      this.byte(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.byte(Number(v));
  }

  view(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/** Thrift's compact protocol, the few parts Parquet's page headers and footer use. */
class CompactWriter {
  readonly out: Bytes;
  #lastField: number[] = [0];

  constructor(out: Bytes) {
    this.out = out;
  }

  #field(id: number, type: Thrift): void {
    const last = this.#lastField[this.#lastField.length - 1] as number;
    const delta = id - last;
    if (delta > 0 && delta <= 15) this.out.byte((delta << 4) | type);
    else {
      this.out.byte(type);
      this.out.unsignedVarint(zigzag(BigInt(id)));
    }
    this.#lastField[this.#lastField.length - 1] = id;
  }

  i32(id: number, value: number): void {
    this.#field(id, Thrift.I32);
    this.out.unsignedVarint(zigzag(BigInt(value)));
  }

  i64(id: number, value: number): void {
    this.#field(id, Thrift.I64);
    this.out.unsignedVarint(zigzag(BigInt(value)));
  }

  binary(id: number, value: string): void {
    this.#field(id, Thrift.Binary);
    const bytes = Buffer.from(value, 'utf8');
    this.out.unsignedVarint(bytes.length);
    this.out.bytes(bytes);
  }

  struct(id: number, body: () => void): void {
    this.#field(id, Thrift.Struct);
    this.#structBody(body);
  }

  /** A list field whose elements are structs (`element` writes one's fields) or i32 / binary values. */
  list<T>(id: number, elementType: Thrift.Struct | Thrift.I32 | Thrift.Binary, items: readonly T[], element: (item: T) => void): void {
    this.#field(id, Thrift.List);
    if (items.length < 15) this.out.byte((items.length << 4) | elementType);
    else {
      this.out.byte(0xf0 | elementType);
      this.out.unsignedVarint(items.length);
    }
    for (const item of items) {
      if (elementType === Thrift.Struct) this.#structBody(() => element(item));
      else element(item);
    }
  }

  /** A bare i32 element of a list. */
  i32Element(value: number): void {
    this.out.unsignedVarint(zigzag(BigInt(value)));
  }

  /** A bare binary element of a list. */
  binaryElement(value: string): void {
    const bytes = Buffer.from(value, 'utf8');
    this.out.unsignedVarint(bytes.length);
    this.out.bytes(bytes);
  }

  /** A top-level struct (a page header, the footer). */
  message(body: () => void): void {
    this.#structBody(body);
  }

  #structBody(body: () => void): void {
    this.#lastField.push(0);
    body();
    this.out.byte(Thrift.Stop);
    this.#lastField.pop();
  }
}

function zigzag(n: bigint): bigint {
  return n >= 0n ? n << 1n : ((-n) << 1n) - 1n;
}

const PHYSICAL: Readonly<Record<StagingKind, Physical>> = {
  string: Physical.ByteArray,
  int: Physical.Int32,
  long: Physical.Int64,
  double: Physical.Double,
  boolean: Physical.Boolean,
  micros: Physical.Int64,
};

const MAX_SAFE_MILLIS = Math.floor(Number.MAX_SAFE_INTEGER / 1000);
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Whether every value of the column has the staging form of its kind (null only where `nullable`).
 * A column that fails goes through the appender, which names the row and the problem.
 */
export function stageable(kind: StagingKind, encoded: EncodedColumn, rowCount: number, nullable: boolean): boolean {
  if (encoded.kind === 'strings') return kind === 'string';
  const column = encoded.values;
  for (let r = 0; r < rowCount; r++) {
    const v = valueAt(column, r);
    if (v === null) {
      if (!nullable) return false;
      continue;
    }
    switch (kind) {
      case 'string':
        if (typeof v !== 'string') return false;
        break;
      case 'int':
        if (!(typeof v === 'number' && Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX)) return false;
        break;
      case 'long':
        if (!(typeof v === 'number' ? Number.isSafeInteger(v) : typeof v === 'bigint' && BigInt.asIntN(64, v) === v)) return false;
        break;
      case 'double':
        if (typeof v !== 'number') return false;
        break;
      case 'boolean':
        if (typeof v !== 'boolean') return false;
        break;
      case 'micros':
        if (!(typeof v === 'number' && Number.isSafeInteger(v))) return false;
        break;
    }
  }
  return true;
}

function valueAt(values: ArrayLike<RowValue>, row: number): RowValue {
  return values[row] ?? null;
}

/** One column's page data: definition levels when it has nulls, then the PLAIN values. */
function pageData(kind: StagingKind, encoded: EncodedColumn, rowCount: number): { readonly data: Buffer; readonly optional: boolean } {
  if (encoded.kind === 'strings') {
    const out = new Bytes(64);
    joinedStringValues(out, encoded.text, encoded.lengths);
    return { data: out.view(), optional: false };
  }
  const column = encoded.values;
  let nulls = 0;
  if (encoded.kind === 'values') for (let r = 0; r < rowCount; r++) if (valueAt(column, r) === null) nulls++;
  const optional = nulls > 0;
  const out = new Bytes(kind === 'string' ? 64 : rowCount * 8 + 16);
  if (optional) {
    // Definition levels, bit width 1, as one bit-packed run of the RLE/bit-packing hybrid.
    const groups = Math.ceil(rowCount / 8);
    const levels = new Bytes(groups + 8);
    levels.unsignedVarint((groups << 1) | 1);
    levels.reserve(groups);
    levels.buffer.fill(0, levels.length, levels.length + groups);
    for (let r = 0; r < rowCount; r++) if (valueAt(column, r) !== null) (levels.buffer[levels.length + (r >> 3)] as number) |= 1 << (r & 7);
    levels.length += groups;
    out.int32(levels.length);
    out.bytes(levels.view());
  }
  if (kind === 'boolean') {
    const bits = Buffer.alloc(Math.ceil((rowCount - nulls) / 8));
    let i = 0;
    for (let r = 0; r < rowCount; r++) {
      const v = valueAt(column, r);
      if (v === null) continue;
      if (v === true) (bits[i >> 3] as number) |= 1 << (i & 7);
      i++;
    }
    out.bytes(bits);
    return { data: out.view(), optional };
  }
  if (kind === 'string') {
    stringValues(out, columnValues(encoded), rowCount);
    return { data: out.view(), optional };
  }
  for (let r = 0; r < rowCount; r++) {
    const v = valueAt(column, r);
    if (v === null) continue;
    switch (kind) {
      case 'int':
        out.int32(v as number);
        break;
      case 'long':
        out.int64(v as number | bigint);
        break;
      case 'double':
        out.double(v as number);
        break;
      case 'micros': {
        const ms = v as number;
        out.int64(Math.abs(ms) <= MAX_SAFE_MILLIS ? ms * 1000 : BigInt(ms) * 1000n);
        break;
      }
    }
  }
  return { data: out.view(), optional };
}

// Printable ASCII and common whitespace are one byte each; anything else is measured (a control character too: harmless).
const NON_ASCII = /[^ -~\t\n\r]/;

/**
 * A string column's PLAIN values: each string's UTF-8 length, then its bytes. The column is
 * encoded in one call (joined), then cut up: encoding string by string costs a native call each.
 */
function stringValues(out: Bytes, column: ArrayLike<RowValue>, rowCount: number): void {
  const strings: string[] = [];
  for (let r = 0; r < rowCount; r++) {
    const v = valueAt(column, r);
    if (v !== null) strings.push(v as string);
  }
  joinedStringValues(
    out,
    strings.join(''),
    Int32Array.from(strings, (text) => text.length),
  );
}

/** `stringValues` for strings given joined, with their lengths in UTF-16 units. */
function joinedStringValues(out: Bytes, text: string, lengths: Int32Array): void {
  const joined = Buffer.from(text, 'utf8');
  // All ASCII (the common case): byte lengths are the string lengths.
  const ascii = joined.length === text.length;
  out.reserve(joined.length + 4 * lengths.length);
  const target = out.buffer;
  let at = out.length;
  let from = 0;
  let unit = 0;
  for (let i = 0; i < lengths.length; i++) {
    const length = lengths[i] as number;
    let size = length;
    if (!ascii) {
      const piece = text.slice(unit, unit + length);
      if (NON_ASCII.test(piece)) size = Buffer.byteLength(piece, 'utf8');
    }
    unit += length;
    target[at] = size & 0xff;
    target[at + 1] = (size >>> 8) & 0xff;
    target[at + 2] = (size >>> 16) & 0xff;
    target[at + 3] = size >>> 24;
    joined.copy(target, at + 4, from, from + size);
    at += 4 + size;
    from += size;
  }
  out.length = at;
}

/**
 * The staging file's bytes for rows already checked against the schema (the kinds say each
 * column's staging form; the caller has made sure every column has one).
 */
export function encodeStagingParquet(kinds: readonly StagingKind[], rows: EncodedRows): Buffer {
  const file = new Bytes(1 << 20);
  file.bytes(Buffer.from('PAR1', 'latin1'));
  const chunks: { kind: StagingKind; name: string; optional: boolean; offset: number; size: number }[] = [];
  kinds.forEach((kind, index) => {
    const { data, optional } = pageData(kind, rows.columns[index] as EncodedColumn, rows.rowCount);
    const offset = file.length;
    const header = new CompactWriter(file);
    header.message(() => {
      header.i32(1, 0); // DATA_PAGE
      header.i32(2, data.length);
      header.i32(3, data.length);
      header.struct(5, () => {
        header.i32(1, rows.rowCount);
        header.i32(2, 0); // PLAIN
        header.i32(3, 3); // RLE definition levels
        header.i32(4, 3); // RLE repetition levels
      });
    });
    file.bytes(data);
    chunks.push({ kind, name: `c${index}`, optional, offset, size: file.length - offset });
  });
  const footerStart = file.length;
  const footer = new CompactWriter(file);
  footer.message(() => {
    footer.i32(1, 1); // version
    footer.list(2, Thrift.Struct, [null, ...chunks], (chunk) => {
      if (chunk === null) {
        footer.binary(4, 'schema');
        footer.i32(5, chunks.length);
        return;
      }
      footer.i32(1, PHYSICAL[chunk.kind]);
      footer.i32(3, chunk.optional ? 1 : 0);
      footer.binary(4, chunk.name);
      if (chunk.kind === 'string') footer.i32(6, 0); // UTF8
    });
    footer.i64(3, rows.rowCount);
    footer.list(4, Thrift.Struct, [chunks], (all) => {
      footer.list(1, Thrift.Struct, all, (chunk) => {
        footer.i64(2, chunk.offset);
        footer.struct(3, () => {
          footer.i32(1, PHYSICAL[chunk.kind]);
          footer.list(2, Thrift.I32, [0, 3], (encoding) => footer.i32Element(encoding));
          footer.list(3, Thrift.Binary, [chunk.name], (name) => footer.binaryElement(name));
          footer.i32(4, 0); // UNCOMPRESSED
          footer.i64(5, rows.rowCount);
          footer.i64(6, chunk.size);
          footer.i64(7, chunk.size);
          footer.i64(9, chunk.offset);
        });
      });
      footer.i64(2, all.reduce((sum, c) => sum + c.size, 0));
      footer.i64(3, rows.rowCount);
    });
  });
  const footerLength = file.length - footerStart;
  file.int32(footerLength);
  file.bytes(Buffer.from('PAR1', 'latin1'));
  return file.view();
}
