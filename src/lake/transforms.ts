/**
 * Partition transforms (specification, "Partition Transforms" and Appendix B): turning a row's
 * source value into its partition value, the type of that value (for the manifest's partition
 * struct), and the `name=value` path segments of data file locations.
 *
 * Partition values use the JavaScript forms of `schema.ts`, with these choices:
 * - `year`, `month`, `day`, `hour`: integer numbers, counted from 1970-01-01 00:00 UTC (floor, so
 *   1969-12-31 is day -1). The `day` result type is `date` (what Java and PyIceberg declare; the
 *   spec's table says `int`, the stored value is the same 4-byte day count).
 * - `bucket[N]`: integer number in [0, N).
 * - `identity`, `truncate[W]`: the source form (a date stays `'YYYY-MM-DD'`), except that a long is
 *   a number whenever it is a safe integer (so equal tuples compare equal) and fixed/binary values
 *   become lowercase hex text, because a partition tuple cannot hold bytes.
 * - `void`: null. Every transform maps null to null.
 */
import {
  bytesToHex,
  daysToDate,
  describeValue,
  formatDecimal,
  hexToBytes,
  parseDate,
  parseDecimal,
  parseTime,
  primitiveInfo,
  requirePrimitive,
  typeName,
  uuidToBytes,
} from './schema.js';
import type { PrimitiveInfo } from './schema.js';
import { unscaledToBytes } from './bounds.js';
import { LakeError } from './errors.js';
import type { IcebergType, PartitionField, PartitionSpec, PartitionValues, PrimitiveType, Schema, Transform } from './types.js';

/** One value of a partition tuple. */
export type PartitionValue = PartitionValues[string];

export type ParsedTransform =
  | { readonly kind: 'identity' | 'year' | 'month' | 'day' | 'hour' | 'void' }
  | { readonly kind: 'bucket'; readonly n: number }
  | { readonly kind: 'truncate'; readonly width: number }
  /** A transform this implementation does not know: readable, never writable. */
  | { readonly kind: 'unknown'; readonly text: string };

const BUCKET = /^bucket\[\s*(\d+)\s*\]$/;
const TRUNCATE = /^truncate\[\s*(\d+)\s*\]$/;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

export function parseTransform(transform: Transform): ParsedTransform {
  switch (transform) {
    case 'identity':
    case 'year':
    case 'month':
    case 'day':
    case 'hour':
    case 'void':
      return { kind: transform };
  }
  const bucket = BUCKET.exec(transform);
  if (bucket && Number(bucket[1]) > 0) return { kind: 'bucket', n: Number(bucket[1]) };
  const truncate = TRUNCATE.exec(transform);
  if (truncate && Number(truncate[1]) > 0) return { kind: 'truncate', width: Number(truncate[1]) };
  return { kind: 'unknown', text: transform };
}

const BUCKET_SOURCES = new Set(['int', 'long', 'decimal', 'date', 'time', 'timestamp', 'timestamptz', 'string', 'uuid', 'fixed', 'binary']);
const TRUNCATE_SOURCES = new Set(['int', 'long', 'decimal', 'string', 'binary']);
const DATE_SOURCES = new Set(['date', 'timestamp', 'timestamptz']);
const HOUR_SOURCES = new Set(['timestamp', 'timestamptz']);

/** Whether the transform may be applied to the source type (the spec's "Source types" column). */
export function canTransform(transform: Transform, sourceType: IcebergType): boolean {
  const source = typeof sourceType === 'string' ? primitiveInfo(sourceType) : null;
  if (source === null) return false;
  const t = parseTransform(transform);
  switch (t.kind) {
    case 'identity':
    case 'void':
      return true;
    case 'bucket':
      return BUCKET_SOURCES.has(source.kind);
    case 'truncate':
      return TRUNCATE_SOURCES.has(source.kind);
    case 'year':
    case 'month':
    case 'day':
      return DATE_SOURCES.has(source.kind);
    case 'hour':
      return HOUR_SOURCES.has(source.kind);
    case 'unknown':
      return false;
  }
}

/**
 * The type of a transform's result, which types the partition struct in manifests and the bounds
 * of partition summaries. `OP_LAKE_INVALID_ARGUMENT` for an unknown transform or a source type the
 * transform does not accept.
 */
export function transformResultType(transform: Transform, sourceType: IcebergType): PrimitiveType {
  if (!canTransform(transform, sourceType)) {
    throw new LakeError(
      'OP_LAKE_INVALID_ARGUMENT',
      `transform '${transform}' cannot be applied to ${typeName(sourceType)}`,
      { details: { transform, sourceType: typeName(sourceType) } },
    );
  }
  const source = sourceType as PrimitiveType;
  switch (parseTransform(transform).kind) {
    case 'bucket':
    case 'year':
    case 'month':
    case 'hour':
      return 'int';
    case 'day':
      return 'date';
    default:
      // identity, truncate and void keep the source type.
      return source;
  }
}

/** A partition field with the types it turns a source value into. */
export interface BoundPartitionField {
  readonly field: PartitionField;
  readonly transform: ParsedTransform;
  readonly sourceType: PrimitiveType;
  readonly resultType: PrimitiveType;
}

/** The partition fields of a spec bound to a schema (the manifest's partition struct, in order). */
export function bindPartitionSpec(spec: PartitionSpec, schema: Schema): readonly BoundPartitionField[] {
  return spec.fields.map((field) => {
    const source = findColumn(schema, field['source-id']);
    if (!source) {
      throw new LakeError(
        'OP_LAKE_INVALID_ARGUMENT',
        `partition field '${field.name}' refers to source column id ${field['source-id']}, which schema ${schema['schema-id']} does not have`,
        { details: { partitionField: field.name, sourceId: field['source-id'] } },
      );
    }
    const resultType = transformResultType(field.transform, source.type);
    return { field, transform: parseTransform(field.transform), sourceType: source.type as PrimitiveType, resultType };
  });
}

function findColumn(schema: Schema, id: number): { name: string; type: IcebergType } | undefined {
  // Source columns may be nested in structs (not in lists or maps).
  const visit = (fields: Schema['fields'], prefix: string): { name: string; type: IcebergType } | undefined => {
    for (const f of fields) {
      if (f.id === id) return { name: prefix + f.name, type: f.type };
      if (typeof f.type !== 'string' && f.type.type === 'struct') {
        const found = visit(f.type.fields, `${prefix}${f.name}.`);
        if (found) return found;
      }
    }
    return undefined;
  };
  return visit(schema.fields, '');
}

// ---------------------------------------------------------------------------------------------
// Applying transforms
// ---------------------------------------------------------------------------------------------

/**
 * The partition value of one source value (a row value in the form of `schema.ts`). Throws
 * `OP_LAKE_INVALID_ARGUMENT` for a value of the wrong form or an unknown transform (writers must
 * not write with a transform they do not know).
 */
export function applyTransform(transform: Transform, sourceType: PrimitiveType, value: unknown): PartitionValue {
  return applyParsed(parseTransform(transform), sourceType, requirePrimitive(sourceType, `transform ${transform}`), value);
}

function applyParsed(t: ParsedTransform, sourceType: PrimitiveType, source: PrimitiveInfo, value: unknown): PartitionValue {
  if (value === null || value === undefined || t.kind === 'void') return null;
  switch (t.kind) {
    case 'identity':
      return normalize(source, value);
    case 'bucket':
      return (bucketHash(sourceType, value) & 0x7fffffff) % t.n;
    case 'truncate':
      return truncate(source, t.width, value);
    case 'year':
    case 'month':
    case 'day':
    case 'hour':
      return timeUnit(t.kind, source, value);
    case 'unknown':
      throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `unknown partition transform '${t.text}': cannot write with it`, {
        details: { transform: t.text },
      });
  }
}

/**
 * The partition tuple of a row, keyed by partition field name. The row should have passed
 * `validateRow`; a value of the wrong form still throws `OP_LAKE_INVALID_ARGUMENT`.
 */
export function partitionValues(spec: PartitionSpec, schema: Schema, row: Readonly<Record<string, unknown>>): PartitionValues {
  return partitioner(spec, schema)(row);
}

/** A partition field of a spec, compiled: its name, the path of its source column, and its transform. */
export interface PartitionFieldTransform {
  readonly name: string;
  readonly path: readonly string[];
  readonly apply: (sourceValue: unknown) => PartitionValue;
}

/** The fields of `spec` compiled against `schema` (what `partitioner` applies to each row). */
export function partitionFieldTransforms(spec: PartitionSpec, schema: Schema): readonly PartitionFieldTransform[] {
  return bindPartitionSpec(spec, schema).map((b) => {
    const path = columnPath(schema, b.field['source-id']);
    const source = requirePrimitive(b.sourceType, `partition field ${b.field.name}`);
    if (b.transform.kind === 'unknown') {
      throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `unknown partition transform '${b.field.transform}': cannot write with it`, {
        details: { transform: b.field.transform, partitionField: b.field.name },
      });
    }
    return { name: b.field.name, path, apply: (v: unknown) => applyParsed(b.transform, b.sourceType, source, v) };
  });
}

/** A compiled `partitionValues` for many rows of one spec and schema. */
export function partitioner(spec: PartitionSpec, schema: Schema): (row: Readonly<Record<string, unknown>>) => PartitionValues {
  const fields = partitionFieldTransforms(spec, schema);
  return (row) => {
    const tuple: Record<string, PartitionValue> = {};
    for (const f of fields) {
      let v: unknown = row;
      for (const step of f.path) v = v === null || v === undefined ? undefined : (v as Readonly<Record<string, unknown>>)[step];
      tuple[f.name] = f.apply(v);
    }
    return Object.freeze(tuple);
  };
}

function columnPath(schema: Schema, id: number): string[] {
  const walk = (fields: Schema['fields']): string[] | null => {
    for (const f of fields) {
      if (f.id === id) return [f.name];
      if (typeof f.type !== 'string' && f.type.type === 'struct') {
        const rest = walk(f.type.fields);
        if (rest) return [f.name, ...rest];
      }
    }
    return null;
  };
  return walk(schema.fields) ?? [];
}

function wrongValue(source: PrimitiveInfo, value: unknown): LakeError {
  return new LakeError('OP_LAKE_INVALID_ARGUMENT', `not a ${source.kind} value: ${describeValue(value)}`, {
    details: { type: source.kind, value: describeValue(value) },
  });
}

/** A source value in partition-tuple form (see the module comment). */
function normalize(source: PrimitiveInfo, value: unknown): PartitionValue {
  switch (source.kind) {
    case 'long':
      if (typeof value === 'bigint') {
        return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
      }
      if (typeof value === 'number') return value;
      throw wrongValue(source, value);
    case 'fixed':
    case 'binary':
      if (value instanceof Uint8Array) return bytesToHex(value);
      if (typeof value === 'string') return value;
      throw wrongValue(source, value);
    case 'uuid':
      if (typeof value === 'string') return value.toLowerCase();
      throw wrongValue(source, value);
    default:
      if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'bigint') return value;
      throw wrongValue(source, value);
  }
}

function truncate(source: PrimitiveInfo, width: number, value: unknown): PartitionValue {
  switch (source.kind) {
    case 'int':
      if (typeof value !== 'number') throw wrongValue(source, value);
      // The remainder must be positive (spec note 1): -1 truncates to -10 with W=10.
      return value - (((value % width) + width) % width);
    case 'long': {
      const v = typeof value === 'bigint' ? value : typeof value === 'number' ? BigInt(value) : null;
      if (v === null) throw wrongValue(source, value);
      const w = BigInt(width);
      return normalize(source, v - (((v % w) + w) % w));
    }
    case 'decimal': {
      // W applies to the unscaled value: W=50 at scale 2 truncates 10.65 to 10.50.
      const unscaled = typeof value === 'string' ? parseDecimal(value, source.scale) : null;
      if (unscaled === null) throw wrongValue(source, value);
      const w = BigInt(width);
      return formatDecimal(unscaled - (((unscaled % w) + w) % w), source.scale);
    }
    case 'string': {
      if (typeof value !== 'string') throw wrongValue(source, value);
      if (value.length <= width) return value;
      // At most W code points, never splitting a surrogate pair.
      let out = '';
      let count = 0;
      for (const ch of value) {
        if (count++ === width) break;
        out += ch;
      }
      return out;
    }
    case 'binary': {
      const bytes = value instanceof Uint8Array ? value : typeof value === 'string' ? hexToBytes(value) : null;
      if (bytes === null) throw wrongValue(source, value);
      return bytesToHex(bytes.subarray(0, width));
    }
    default:
      throw wrongValue(source, value);
  }
}

/** Epoch milliseconds of a date or timestamp source value. */
function epochMs(source: PrimitiveInfo, value: unknown): number {
  if (source.kind === 'date') {
    const days = typeof value === 'string' ? parseDate(value) : typeof value === 'number' ? value : null;
    if (days === null) throw wrongValue(source, value);
    return days * MS_PER_DAY;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) throw wrongValue(source, value);
  return value;
}

const MAX_DATE_MS = 8.64e15;

/**
 * Whole months from 1970-01 to the month of `ms` (UTC), by the proleptic Gregorian calendar, with
 * integer arithmetic (H. Hinnant's days-to-civil): a stream batch takes the month of every row, and
 * a `Date` per row was most of that cost. Outside `Date`'s range the answer is `Date`'s (NaN).
 */
function monthsFromEpoch(ms: number): number {
  if (!(Math.abs(ms) <= MAX_DATE_MS)) {
    const d = new Date(ms);
    return (d.getUTCFullYear() - 1970) * 12 + d.getUTCMonth();
  }
  const z = Math.floor(ms / MS_PER_DAY) + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1_460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  // mp counts months from March; January and February belong to the next year.
  const month = mp < 10 ? mp + 2 : mp - 10;
  const year = yoe + era * 400 + (month < 2 ? 1 : 0);
  return (year - 1970) * 12 + month;
}

function timeUnit(unit: 'year' | 'month' | 'day' | 'hour', source: PrimitiveInfo, value: unknown): number {
  const ms = epochMs(source, value);
  switch (unit) {
    case 'hour':
      return Math.floor(ms / MS_PER_HOUR);
    case 'day':
      return Math.floor(ms / MS_PER_DAY);
    case 'month':
      return monthsFromEpoch(ms);
    case 'year':
      return new Date(ms).getUTCFullYear() - 1970;
  }
}

// ---------------------------------------------------------------------------------------------
// Bucket hashing (Appendix B)
// ---------------------------------------------------------------------------------------------

/** 32-bit Murmur3, x86 variant, seed 0 (Guava's `murmur3_32`): a signed 32-bit int. */
export function murmur3Hash32(data: Uint8Array, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed | 0;
  const length = data.length;
  const blocksEnd = length & ~3;
  for (let i = 0; i < blocksEnd; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  // The tail: the reference switch falls through 3 → 2 → 1.
  const tail = length & 3;
  if (tail !== 0) {
    let k = 0;
    if (tail === 3) k ^= data[blocksEnd + 2]! << 16;
    if (tail >= 2) k ^= data[blocksEnd + 1]! << 8;
    k ^= data[blocksEnd]!;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** `hashLong`: Murmur3 of the 8 little-endian bytes of a long. */
export function hashLong(value: bigint | number): number {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigInt64(0, BigInt.asIntN(64, BigInt(value)), true);
  return murmur3Hash32(bytes);
}

const utf8 = new TextEncoder();

/**
 * The Appendix B hash of a source value (before `& Integer.MAX_VALUE` and `% N`). Ints hash as
 * longs so promoting int to long keeps bucket values; dates hash their day count, times and
 * timestamps their microseconds, decimals the fewest two's-complement bytes of the unscaled value.
 */
export function bucketHash(sourceType: PrimitiveType, value: unknown): number {
  const source = requirePrimitive(sourceType, 'bucket');
  switch (source.kind) {
    case 'int':
    case 'long':
      if (typeof value === 'number' && Number.isInteger(value)) return hashLong(value);
      if (typeof value === 'bigint') return hashLong(value);
      throw wrongValue(source, value);
    case 'date': {
      const days = typeof value === 'string' ? parseDate(value) : typeof value === 'number' ? value : null;
      if (days === null) throw wrongValue(source, value);
      return hashLong(days);
    }
    case 'time': {
      const micros = typeof value === 'string' ? parseTime(value) : null;
      if (micros === null) throw wrongValue(source, value);
      return hashLong(micros);
    }
    case 'timestamp':
    case 'timestamptz':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw wrongValue(source, value);
      return hashLong(BigInt(value) * 1000n);
    case 'decimal': {
      const unscaled = typeof value === 'string' ? parseDecimal(value, source.scale) : null;
      if (unscaled === null) throw wrongValue(source, value);
      return murmur3Hash32(unscaledToBytes(unscaled));
    }
    case 'string':
      if (typeof value !== 'string') throw wrongValue(source, value);
      return murmur3Hash32(utf8.encode(value));
    case 'uuid':
      if (typeof value !== 'string') throw wrongValue(source, value);
      return murmur3Hash32(uuidToBytes(value));
    case 'fixed':
    case 'binary':
      if (value instanceof Uint8Array) return murmur3Hash32(value);
      if (typeof value === 'string') return murmur3Hash32(hexToBytes(value));
      throw wrongValue(source, value);
    default:
      throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `${sourceType} cannot be bucketed`);
  }
}

// ---------------------------------------------------------------------------------------------
// Names and paths
// ---------------------------------------------------------------------------------------------

/**
 * The partition field name Java's `PartitionSpec.Builder` gives a transform of a column:
 * `id`, `id_bucket`, `name_trunc`, `ts_year`, `ts_month`, `ts_day`, `ts_hour`, `x_null`.
 */
export function defaultPartitionFieldName(sourceName: string, transform: Transform): string {
  const t = parseTransform(transform);
  switch (t.kind) {
    case 'identity':
      return sourceName;
    case 'bucket':
      return `${sourceName}_bucket`;
    case 'truncate':
      return `${sourceName}_trunc`;
    case 'void':
      return `${sourceName}_null`;
    case 'unknown':
      return `${sourceName}_${transform.replace(/[^A-Za-z0-9]+/g, '_')}`;
    default:
      return `${sourceName}_${t.kind}`;
  }
}

/**
 * The human form of a partition value, as Java's `Transform.toHumanString`: `2018-01-05` for a
 * day, `2018-01` for a month, `2018` for a year, `2018-01-05-10` for an hour, the bucket number,
 * ISO text for dates and timestamps, base64 for binary, `null` for null.
 */
export function humanPartitionValue(bound: BoundPartitionField, value: PartitionValue): string {
  if (value === null) return 'null';
  switch (bound.transform.kind) {
    case 'year':
      return pad(1970 + (value as number), 4);
    case 'month': {
      const m = value as number;
      const year = 1970 + Math.floor(m / 12);
      return `${pad(year, 4)}-${pad(m - (year - 1970) * 12 + 1, 2)}`;
    }
    case 'day':
      return typeof value === 'number' ? daysToDate(value) : String(value);
    case 'hour': {
      const h = value as number;
      const day = Math.floor(h / 24);
      return `${daysToDate(day)}-${pad(h - day * 24, 2)}`;
    }
    case 'bucket':
      return String(value);
    default:
      return humanSourceValue(bound.sourceType, value);
  }
}

function humanSourceValue(type: PrimitiveType, value: Exclude<PartitionValue, null>): string {
  const info = primitiveInfo(type);
  switch (info?.kind) {
    case 'timestamp':
    case 'timestamptz': {
      const iso = new Date(value as number).toISOString().replace(/\.000Z$/, 'Z');
      return info.kind === 'timestamp' ? iso.replace(/Z$/, '') : iso;
    }
    case 'binary':
    case 'fixed':
      return Buffer.from(hexToBytes(String(value))).toString('base64');
    default:
      return String(value);
  }
}

/** `name=value` for one partition field, both escaped like Java's `URLEncoder` (space as `+`). */
export function partitionSegment(bound: BoundPartitionField, value: PartitionValue): string {
  return `${urlEncode(bound.field.name)}=${urlEncode(humanPartitionValue(bound, value))}`;
}

/**
 * The partition directories of a data file, as Java's `PartitionSpec.partitionToPath`:
 * `order_date_day=2018-01-05/customer_bucket=3`. Empty for an unpartitioned spec.
 */
export function partitionPath(spec: PartitionSpec, schema: Schema, values: PartitionValues): string {
  return bindPartitionSpec(spec, schema)
    .map((b) => partitionSegment(b, values[b.field.name] ?? null))
    .join('/');
}

/** `java.net.URLEncoder.encode(s, UTF_8)`: keeps `A-Za-z0-9.-*_`, space becomes `+`. */
function urlEncode(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

function pad(n: number, width: number): string {
  return n < 0 ? `-${String(-n).padStart(width, '0')}` : String(n).padStart(width, '0');
}
