/**
 * Binary single-value serialization (specification, Appendix D): how a single primitive value is
 * stored as bytes in a manifest's `lower_bounds` / `upper_bounds` maps and in a manifest list's
 * partition field summaries. Plus comparisons in Iceberg's order, for pruning files and manifests.
 *
 * | type                    | bytes                                                              |
 * |-------------------------|--------------------------------------------------------------------|
 * | boolean                 | one byte, 0x00 false, anything else true (written as 0x01)         |
 * | int, date               | 4-byte little-endian int (date: days since 1970-01-01)             |
 * | long, time, timestamp(tz)| 8-byte little-endian long (time and timestamps in microseconds)   |
 * | float, double           | 4- / 8-byte little-endian IEEE 754                                 |
 * | decimal(P, S)           | unscaled value, two's complement big-endian, fewest bytes          |
 * | string                  | UTF-8 bytes, no length                                             |
 * | uuid                    | 16 bytes, big-endian                                               |
 * | fixed[L], binary        | the bytes                                                          |
 *
 * Values go in and come out in the JavaScript forms of `schema.ts` (dates as `'YYYY-MM-DD'`,
 * timestamps as epoch milliseconds, decimals as strings...). More forms are accepted on the way
 * in because partition tuples use them: a date may be a number of days (the `day` transform's
 * result), fixed/binary may be lowercase hex text (partition tuples cannot hold bytes), and a time
 * may be a number of microseconds.
 *
 * Reading follows the spec's type-promotion table: a 4-byte bound of a `long` column was written
 * as an `int`, a 4-byte bound of a `double` as a `float`, a 4-byte bound of a `timestamp` as a
 * `date`.
 */
import { LakeError } from './errors.js';
import {
  bytesToUuid,
  daysToDate,
  describeValue,
  formatDecimal,
  hexToBytes,
  microsToTime,
  parseDate,
  parseDecimal,
  parseTime,
  primitiveInfo,
  uuidToBytes,
} from './schema.js';
import type { PrimitiveInfo } from './schema.js';
import type { PrimitiveType } from './types.js';

/** A primitive value in one of the JavaScript forms described in the module comment. */
export type SingleValue = boolean | number | bigint | string | Uint8Array;

/**
 * The value in the form it is compared in: numbers for boolean/int/float/double/date/time, bigint
 * for long, timestamps (microseconds) and decimals (unscaled), text for strings, bytes for
 * uuid/fixed/binary.
 */
type Physical = number | bigint | string | Uint8Array;

const MICROS_PER_DAY = 86_400_000_000n;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

function info(type: PrimitiveType): PrimitiveInfo {
  const parsed = primitiveInfo(type);
  if (parsed === null) throw invalid(`${type} has no single-value serialization`);
  return parsed;
}

function invalid(message: string, value?: unknown): LakeError {
  return new LakeError('OP_LAKE_INVALID_ARGUMENT', value === undefined ? message : `${message}, got ${describeValue(value)}`);
}

// ---------------------------------------------------------------------------------------------
// JavaScript value ↔ physical value
// ---------------------------------------------------------------------------------------------

function toPhysical(t: PrimitiveInfo, value: SingleValue): Physical {
  switch (t.kind) {
    case 'boolean':
      if (typeof value !== 'boolean') throw invalid('boolean value expected', value);
      return value ? 1 : 0;
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value) || value !== (value | 0)) {
        throw invalid('int value expected (a 32-bit integer)', value);
      }
      return value;
    case 'long':
      if (typeof value === 'bigint') return BigInt.asIntN(64, value) === value ? value : invalid64(value);
      if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
      throw invalid('long value expected (a safe integer or a bigint)', value);
    case 'float':
    case 'double':
      if (typeof value !== 'number') throw invalid(`${t.kind} value expected`, value);
      return value;
    case 'decimal': {
      const unscaled = typeof value === 'string' ? parseDecimal(value, t.scale) : null;
      if (unscaled === null) throw invalid(`decimal value with at most ${t.scale} fraction digits expected`, value);
      return unscaled;
    }
    case 'date': {
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      const days = typeof value === 'string' ? parseDate(value) : null;
      if (days === null) throw invalid(`date value expected ('YYYY-MM-DD' or days since 1970-01-01)`, value);
      return days;
    }
    case 'time': {
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      const micros = typeof value === 'string' ? parseTime(value) : null;
      if (micros === null) throw invalid(`time value expected ('HH:MM:SS[.ffffff]')`, value);
      return micros;
    }
    case 'timestamp':
    case 'timestamptz':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalid('timestamp expected as epoch milliseconds', value);
      return BigInt(value) * 1000n;
    case 'string':
      if (typeof value !== 'string') throw invalid('string value expected', value);
      return value;
    case 'uuid':
      if (typeof value === 'string') return uuidToBytes(value);
      if (value instanceof Uint8Array && value.length === 16) return value;
      throw invalid('uuid value expected', value);
    case 'fixed':
    case 'binary': {
      const bytes = typeof value === 'string' ? hexToBytes(value) : value;
      if (!(bytes instanceof Uint8Array)) throw invalid(`${t.kind} value expected (bytes or hex text)`, value);
      if (t.kind === 'fixed' && bytes.length !== t.length) throw invalid(`fixed[${t.length}] value expected`, value);
      return bytes;
    }
  }
}

function invalid64(value: bigint): never {
  throw invalid('long value is outside the 64-bit range', value);
}

function fromPhysical(t: PrimitiveInfo, physical: Physical): SingleValue {
  switch (t.kind) {
    case 'boolean':
      return physical !== 0;
    case 'long': {
      const n = physical as bigint;
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
    }
    case 'decimal':
      return formatDecimal(physical as bigint, t.scale);
    case 'date':
      return daysToDate(physical as number);
    case 'time':
      return microsToTime(physical as number);
    case 'timestamp':
    case 'timestamptz':
      // Floor, not truncation: -1 µs is in the millisecond before the epoch.
      return Number(floorDiv(physical as bigint, 1000n));
    case 'uuid':
      return bytesToUuid(physical as Uint8Array);
    default:
      return physical;
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

// ---------------------------------------------------------------------------------------------
// Bytes
// ---------------------------------------------------------------------------------------------

/** The Appendix D bytes of a value. `OP_LAKE_INVALID_ARGUMENT` when the value does not fit the type. */
export function serializeValue(type: PrimitiveType, value: SingleValue): Uint8Array {
  const t = info(type);
  const p = toPhysical(t, value);
  switch (t.kind) {
    case 'boolean':
      return Uint8Array.of(p as number);
    case 'int':
    case 'date': {
      const out = new Uint8Array(4);
      new DataView(out.buffer).setInt32(0, p as number, true);
      return out;
    }
    case 'long':
    case 'timestamp':
    case 'timestamptz':
    case 'time': {
      const out = new Uint8Array(8);
      new DataView(out.buffer).setBigInt64(0, typeof p === 'bigint' ? p : BigInt(p as number), true);
      return out;
    }
    case 'float': {
      const out = new Uint8Array(4);
      new DataView(out.buffer).setFloat32(0, p as number, true);
      return out;
    }
    case 'double': {
      const out = new Uint8Array(8);
      new DataView(out.buffer).setFloat64(0, p as number, true);
      return out;
    }
    case 'decimal':
      return unscaledToBytes(p as bigint);
    case 'string':
      return utf8Encoder.encode(p as string);
    case 'uuid':
    case 'fixed':
    case 'binary':
      return Uint8Array.from(p as Uint8Array);
  }
}

/**
 * The value of Appendix D bytes, in the JavaScript form of the type (a long outside the safe
 * integer range comes back as a bigint; timestamps lose their sub-millisecond part).
 */
export function deserializeValue(type: PrimitiveType, bytes: Uint8Array): SingleValue {
  const t = info(type);
  return fromPhysical(t, readPhysical(t, type, bytes));
}

function readPhysical(t: PrimitiveInfo, type: PrimitiveType, bytes: Uint8Array): Physical {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const wrongLength = (): never => {
    throw invalid(`a ${type} value cannot be ${bytes.length} bytes long`);
  };
  switch (t.kind) {
    case 'boolean':
      return bytes.length === 1 ? (bytes[0] === 0 ? 0 : 1) : wrongLength();
    case 'int':
    case 'date':
      return bytes.length === 4 ? view.getInt32(0, true) : wrongLength();
    case 'long':
      // Promoted from int: the bound kept its 4-byte form.
      if (bytes.length === 4) return BigInt(view.getInt32(0, true));
      return bytes.length === 8 ? view.getBigInt64(0, true) : wrongLength();
    case 'time':
      return bytes.length === 8 ? Number(view.getBigInt64(0, true)) : wrongLength();
    case 'timestamp':
    case 'timestamptz':
      // Promoted from date: days, not microseconds.
      if (bytes.length === 4) return BigInt(view.getInt32(0, true)) * MICROS_PER_DAY;
      return bytes.length === 8 ? view.getBigInt64(0, true) : wrongLength();
    case 'float':
      return bytes.length === 4 ? view.getFloat32(0, true) : wrongLength();
    case 'double':
      // Promoted from float.
      if (bytes.length === 4) return view.getFloat32(0, true);
      return bytes.length === 8 ? view.getFloat64(0, true) : wrongLength();
    case 'decimal':
      return bytes.length > 0 ? bytesToUnscaled(bytes) : wrongLength();
    case 'string':
      return utf8Decoder.decode(bytes);
    case 'uuid':
      return bytes.length === 16 ? Uint8Array.from(bytes) : wrongLength();
    case 'fixed':
    case 'binary':
      return Uint8Array.from(bytes);
  }
}

/** Two's complement big-endian with the fewest bytes that keep the sign (0 is one 0x00 byte). */
export function unscaledToBytes(unscaled: bigint): Uint8Array {
  let length = 1;
  // n bytes hold -2^(8n-1) .. 2^(8n-1)-1.
  while (unscaled < -(1n << BigInt(8 * length - 1)) || unscaled > (1n << BigInt(8 * length - 1)) - 1n) length++;
  return unscaledToFixed(unscaled, length);
}

/** Two's complement big-endian in exactly `length` bytes (sign-extended), as Avro decimals. */
export function unscaledToFixed(unscaled: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = BigInt.asUintN(8 * length, unscaled);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (BigInt.asIntN(8 * length, BigInt.asUintN(8 * length, unscaled)) !== unscaled) {
    throw invalid(`decimal unscaled value ${unscaled} does not fit ${length} bytes`);
  }
  return out;
}

/** The unscaled value of two's complement big-endian bytes of any length. */
export function bytesToUnscaled(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return bytes.length === 0 ? 0n : BigInt.asIntN(8 * bytes.length, v);
}

// ---------------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------------

/**
 * Compares two values of a type in Iceberg's order: negative, zero or positive. Floats follow
 * Java's `Float.compare` (-0 before +0, NaN last); strings compare by Unicode code point (the order
 * of their UTF-8 bytes, unlike JavaScript's `<` on UTF-16 units); uuid, fixed and binary compare as
 * unsigned bytes.
 */
export function compareValues(type: PrimitiveType, a: SingleValue, b: SingleValue): number {
  const t = info(type);
  return comparePhysical(toPhysical(t, a), toPhysical(t, b));
}

/**
 * Compares a value with a serialized bound: negative when the value is below the bound. For
 * pruning, a file cannot hold `value` when `compareToBound(t, value, lower) < 0` or
 * `compareToBound(t, value, upper) > 0`. Timestamps compare in microseconds, so no precision is
 * lost to the millisecond form; truncated string bounds (Java keeps 16 characters) still compare
 * correctly as prefixes.
 */
export function compareToBound(type: PrimitiveType, value: SingleValue, bound: Uint8Array): number {
  const t = info(type);
  return comparePhysical(toPhysical(t, value), readPhysical(t, type, bound));
}

/** Compares two serialized values of a type (e.g. two partition summaries' bounds). */
export function compareSerialized(type: PrimitiveType, a: Uint8Array, b: Uint8Array): number {
  const t = info(type);
  return comparePhysical(readPhysical(t, type, a), readPhysical(t, type, b));
}

/** Whether a value is a float/double NaN (NaN is never a bound; it is counted instead). */
export function isNaNValue(value: SingleValue | null): boolean {
  return typeof value === 'number' && Number.isNaN(value);
}

function comparePhysical(a: Physical, b: Physical): number {
  if (typeof a === 'number' && typeof b === 'number') return compareNumbers(a, b);
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Math.sign(Buffer.compare(a, b));
  throw invalid(`cannot compare ${describeValue(a)} with ${describeValue(b)}`);
}

/** Java's `Double.compare`: -0 sorts before +0 and NaN after everything. */
function compareNumbers(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) {
    if (a !== 0) return 0;
    const negA = Object.is(a, -0);
    const negB = Object.is(b, -0);
    return negA === negB ? 0 : negA ? -1 : 1;
  }
  const nanA = Number.isNaN(a);
  const nanB = Number.isNaN(b);
  return nanA === nanB ? 0 : nanA ? 1 : -1;
}

/**
 * How many characters (code points) a data file's string bounds keep: Iceberg's default metrics
 * mode, `truncate(16)`. A bound of the whole value would put every long text (a JSON payload, say)
 * twice into each manifest entry, to be written, merged, cached and read again at every commit.
 */
export const STRING_BOUND_CHARACTERS = 16;

/** A lower bound of strings whose least is `min`: its first characters, a prefix, which sorts at or before it. */
export function truncatedLowerBound(min: string, characters = STRING_BOUND_CHARACTERS): string {
  const points = Array.from(min);
  return points.length <= characters ? min : points.slice(0, characters).join('');
}

/**
 * An upper bound of strings whose greatest is `max`: `max` itself when short enough, else its first
 * characters with the last one raised by one code point (so it sorts after every string it
 * begins), carrying to the character before when that one is already U+10FFFF. Null when no such
 * bound exists (every character kept is U+10FFFF): the file then has no upper bound, as in Java.
 */
export function truncatedUpperBound(max: string, characters = STRING_BOUND_CHARACTERS): string | null {
  const points = Array.from(max);
  if (points.length <= characters) return max;
  const kept = points.slice(0, characters);
  for (let i = kept.length - 1; i >= 0; i--) {
    let next = (kept[i] as string).codePointAt(0)! + 1;
    // Surrogate code points are not characters: the next one after U+D7FF is U+E000.
    if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
    if (next <= 0x10ffff) return kept.slice(0, i).join('') + String.fromCodePoint(next);
  }
  return null;
}

/** Code point order (the same as comparing UTF-8 bytes). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate starts a code point above U+FFFF, which sorts after every BMP code point, even
    // though its UTF-16 unit (0xD800..0xDFFF) is below 0xE000..0xFFFF.
    const surrogateX = x >= 0xd800 && x <= 0xdfff;
    const surrogateY = y >= 0xd800 && y <= 0xdfff;
    if (surrogateX !== surrogateY) return surrogateX ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}
