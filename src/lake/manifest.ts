/**
 * Manifest files (specification, "Manifests"): Avro object container files of `manifest_entry`
 * records, one per data file, with the partition spec and table schema in the file's key-value
 * metadata. Written exactly as Java's `ManifestWriter.V2Writer` writes them, so Spark, Trino,
 * PyIceberg and DuckDB read them: record names `manifest_entry`, `r2` (data_file), `r102`
 * (partition), `k117_v118`... (int-keyed maps as arrays of key/value records with logical type
 * `map`), and every field carrying its `field-id`.
 *
 * Reading goes by field id, not by name, so manifests of other writers (Java, PyIceberg; v2, and
 * v1 with Appendix E's defaults) read the same. Anything that does not parse is
 * `OP_LAKE_CORRUPT_FILE` naming the file.
 *
 * This module also holds the Avro container reader/writer that `manifest-list.ts` shares.
 */
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import avro from 'avsc';
import type { Type } from 'avsc';
import { bytesToUnscaled, compareValues, isNaNValue, serializeValue, unscaledToFixed } from './bounds.js';
import { LakeError } from './errors.js';
import {
  JsonReader,
  parsePartitionFields,
  parseSchema,
  partitionFieldJson,
  schemaJson,
} from './metadata-json.js';
import {
  bytesToHex,
  bytesToUuid,
  daysToDate,
  decimalRequiredBytes,
  describeValue,
  fieldById,
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
import { bindPartitionSpec, parseTransform, transformResultType } from './transforms.js';
import type { BoundPartitionField, PartitionValue } from './transforms.js';
import {
  MANIFEST_ENTRY_STATUS,
  type DataFile,
  type FieldSummary,
  type ManifestEntry,
  type ManifestFile,
  type PartitionSpec,
  type PartitionValues,
  type PrimitiveType,
  type Schema,
} from './types.js';

// =============================================================================================
// Avro container files (shared with manifest-list.ts)
// =============================================================================================

/** Avro schema JSON as written in a container header. */
export type AvroJson = null | boolean | number | string | AvroJson[] | { [key: string]: AvroJson };
type AvroObject = { [key: string]: AvroJson };

/** `deflate` (what Java writes by default) or `null` (uncompressed). */
export type AvroCodec = 'deflate' | 'null';

const MAGIC = Uint8Array.of(0x4f, 0x62, 0x6a, 0x01); // "Obj" 1
const SYNC_SIZE = 16;
/** Uncompressed bytes per block before a new one starts (Java's default sync interval is 64 KiB). */
const BLOCK_BYTES = 1 << 20;
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * Avro longs as JavaScript numbers, or bigints beyond 2^53. avsc's own long type refuses those
 * (Java and PyIceberg snapshot ids are 63-bit), so this one reads them as bigint and lets callers
 * decide (`RecordReader.id` keeps snapshot ids bigint, `RecordReader.long` refuses a counter beyond
 * 2^53; partition values stay bigint). Writing takes a safe integer or a 64-bit bigint.
 */
const LONG_TYPE = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer): number | bigint => {
    const n = buf.readBigInt64LE(0);
    return n >= MIN_SAFE && n <= MAX_SAFE ? Number(n) : n;
  },
  toBuffer: (value: number | bigint): Buffer => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(typeof value === 'bigint' ? value : BigInt(value));
    return buf;
  },
  fromJSON: (value: unknown): unknown => value,
  toJSON: (value: number | bigint): number => Number(value),
  isValid: (value: unknown): boolean =>
    (typeof value === 'number' && Number.isSafeInteger(value)) || (typeof value === 'bigint' && BigInt.asIntN(64, value) === value),
  compare: (a: number | bigint, b: number | bigint): number => (a < b ? -1 : a > b ? 1 : 0),
});

/**
 * Compiled types by schema text. Compiling one (avsc generates code for it) costs milliseconds, and
 * every commit reads and writes manifests of the same few schemas (one per partition spec and
 * format version); a long-running writer must not grow this, hence the bound.
 */
const compiledTypes = new Map<string, Type>();
const COMPILED_TYPES_KEPT = 64;

/** An avsc type for a schema, with the long type above; `text` is the schema's JSON. Custom attributes (`field-id`) are ignored. */
function compileAvroType(schema: AvroJson, text: string = JSON.stringify(schema)): Type {
  const known = compiledTypes.get(text);
  if (known !== undefined) {
    // Most recently used last, so that the oldest is the one dropped.
    compiledTypes.delete(text);
    compiledTypes.set(text, known);
    return known;
  }
  const type = compileAvroTypeNow(schema);
  compiledTypes.set(text, type);
  if (compiledTypes.size > COMPILED_TYPES_KEPT) compiledTypes.delete(compiledTypes.keys().next().value as string);
  return type;
}

function compileAvroTypeNow(schema: AvroJson): Type {
  return avro.Type.forSchema(schema as avro.Schema, {
    // Iceberg only uses ["null", X] unions, which never need wrapping.
    wrapUnions: 'never',
    typeHook: (s: unknown) => {
      const isLong = s === 'long' || (typeof s === 'object' && s !== null && !Array.isArray(s) && (s as { type?: unknown }).type === 'long');
      return isLong ? LONG_TYPE : undefined;
    },
  });
}

export interface AvroContainerInput {
  /** The raw schema JSON: written to the header as is, so `field-id` attributes stay. */
  readonly schema: AvroJson;
  readonly metadata: Readonly<Record<string, string>>;
  readonly records: readonly unknown[];
  readonly codec?: AvroCodec;
  /** 16 bytes; random by default (fix it for byte-identical output in tests). */
  readonly syncMarker?: Uint8Array;
}

/** An Avro object container file, built in memory. */
export function writeAvroContainer(input: AvroContainerInput): Uint8Array {
  const schemaText = JSON.stringify(input.schema);
  const type = compileAvroType(input.schema, schemaText);
  return containerOf(input, schemaText, input.records.map((record) => type.toBuffer(record)));
}

/** The container file of records already encoded with the schema. */
function containerOf(input: Omit<AvroContainerInput, 'records'>, schemaText: string, encoded: readonly Buffer[]): Uint8Array {
  const codec = input.codec ?? 'deflate';
  const sync = input.syncMarker ?? new Uint8Array(randomBytes(SYNC_SIZE));
  if (sync.length !== SYNC_SIZE) throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `an Avro sync marker is ${SYNC_SIZE} bytes`);
  const out = new ByteWriter();
  out.raw(MAGIC);
  const meta: [string, string][] = [['avro.schema', schemaText], ['avro.codec', codec], ...Object.entries(input.metadata)];
  out.long(meta.length);
  for (const [key, value] of meta) {
    out.string(key);
    out.bytes(Buffer.from(value, 'utf8'));
  }
  out.long(0);
  out.raw(sync);

  let block: Buffer[] = [];
  let blockBytes = 0;
  const flush = (): void => {
    if (block.length === 0) return;
    const data = Buffer.concat(block);
    // zlib's fastest level: a merge of a thousand manifest entries compresses in a third of the
    // time of the default level (6), for files about a fifth larger, on the commit path.
    const body = codec === 'deflate' ? zlib.deflateRawSync(data, { level: 1 }) : data;
    out.long(block.length);
    out.long(body.length);
    out.raw(body);
    out.raw(sync);
    block = [];
    blockBytes = 0;
  };
  for (const record of encoded) {
    block.push(record);
    blockBytes += record.length;
    if (blockBytes >= BLOCK_BYTES) flush();
  }
  flush();
  return out.finish();
}

export interface AvroContainer {
  /** Header key-value metadata as UTF-8 text (`avro.schema`, `avro.codec` and the writer's own). */
  readonly metadata: ReadonlyMap<string, string>;
  /** The writer's schema (parsed `avro.schema`). */
  readonly schema: AvroJson;
  /** Records decoded with the writer's schema. */
  readonly records: readonly unknown[];
}

/**
 * Reads a whole Avro container file. Codecs: null, deflate, snappy (and zstandard where Node has
 * it). `OP_LAKE_CORRUPT_FILE` naming `location` for anything that is not a valid container.
 */
export function readAvroContainer(bytes: Uint8Array, location: string): AvroContainer {
  try {
    return readContainer(bytes, location);
  } catch (cause) {
    throw asCorrupt(cause, location, 'not a valid Avro file');
  }
}

function readContainer(bytes: Uint8Array, location: string): AvroContainer {
  const fail = (problem: string): never => {
    throw corrupt(location, problem);
  };
  const input = new ByteReader(bytes, location);
  const magic = input.raw(4);
  if (!MAGIC.every((b, i) => magic[i] === b)) fail('does not start with the Avro magic "Obj\\x01"');
  const metadata = new Map<string, string>();
  for (let count = input.long(); count !== 0; count = input.long()) {
    if (count < 0) {
      count = -count;
      input.long(); // the block's byte size, not needed
    }
    for (let i = 0; i < count; i++) {
      const key = input.string();
      metadata.set(key, Buffer.from(input.bytes()).toString('utf8'));
    }
  }
  const sync = input.raw(SYNC_SIZE);
  const schemaText = metadata.get('avro.schema');
  if (schemaText === undefined) return fail('has no avro.schema in its header');
  let schema: AvroJson;
  try {
    schema = JSON.parse(schemaText) as AvroJson;
  } catch {
    return fail('has an avro.schema header that is not JSON');
  }
  const type = compileAvroType(schema, schemaText);
  const codec = metadata.get('avro.codec') ?? 'null';
  const records: unknown[] = [];
  while (!input.atEnd()) {
    const count = input.long();
    const size = input.long();
    if (count < 0 || size < 0) fail('has a block with a negative count or size');
    const data = decompress(codec, input.raw(size), location);
    const block = input.raw(SYNC_SIZE);
    if (!block.every((b, i) => sync[i] === b)) fail('has a block whose sync marker does not match the header');
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let offset = 0;
    for (let i = 0; i < count; i++) {
      const decoded = type.decode(buf, offset);
      if (decoded.offset < 0) fail('has a block that ends in the middle of a record');
      records.push(decoded.value);
      offset = decoded.offset;
    }
    if (offset !== buf.length) fail('has a block with bytes after its last record');
  }
  return { metadata, schema, records };
}

function decompress(codec: string, data: Uint8Array, location: string): Uint8Array {
  switch (codec) {
    case 'null':
      return data;
    case 'deflate':
      return zlib.inflateRawSync(data);
    case 'snappy': {
      // Avro's snappy blocks end with the CRC32 (big-endian) of the uncompressed bytes.
      if (data.length < 4) throw corrupt(location, 'has a snappy block shorter than its checksum');
      const out = snappyDecompress(data.subarray(0, data.length - 4), location);
      const expected = new DataView(data.buffer, data.byteOffset + data.length - 4, 4).getUint32(0, false);
      if (crc32(out) !== expected) throw corrupt(location, 'has a snappy block whose checksum does not match');
      return out;
    }
    case 'zstandard': {
      // Node 22.15+ only; @types/node 20 does not declare it.
      const zstd = (zlib as unknown as { zstdDecompressSync?: (b: Uint8Array) => Buffer }).zstdDecompressSync;
      if (zstd) return zstd(data);
      throw corrupt(location, 'uses the zstandard codec, which this Node version cannot decompress');
    }
    default:
      throw corrupt(location, `uses the unsupported Avro codec ${JSON.stringify(codec)}`);
  }
}

/** Raw Snappy (the block format Avro uses), per google/snappy's format_description.txt. */
export function snappyDecompress(input: Uint8Array, location: string): Uint8Array {
  const fail = (problem: string): never => {
    throw corrupt(location, `has a corrupt snappy block (${problem})`);
  };
  let pos = 0;
  let length = 0;
  for (let shift = 0; ; shift += 7) {
    const b = input[pos++];
    if (b === undefined || shift > 28) return fail('bad length preamble');
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  const out = new Uint8Array(length);
  let op = 0;
  const byte = (): number => input[pos++] ?? fail('truncated');
  while (pos < input.length) {
    const tag = byte();
    const kind = tag & 3;
    if (kind === 0) {
      let len = tag >>> 2;
      if (len >= 60) {
        const extra = len - 59;
        len = 0;
        for (let i = 0; i < extra; i++) len += byte() * 2 ** (8 * i);
      }
      len += 1;
      if (pos + len > input.length || op + len > length) fail('literal overruns');
      out.set(input.subarray(pos, pos + len), op);
      pos += len;
      op += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === 1) {
      len = ((tag >>> 2) & 7) + 4;
      offset = ((tag >>> 5) << 8) | byte();
    } else if (kind === 2) {
      len = (tag >>> 2) + 1;
      offset = byte() | (byte() << 8);
    } else {
      len = (tag >>> 2) + 1;
      offset = (byte() | (byte() << 8) | (byte() << 16) | (byte() << 24)) >>> 0;
    }
    if (offset === 0 || offset > op || op + len > length) fail('copy out of range');
    // Byte by byte: a copy may overlap its own output (run-length style).
    for (let i = 0; i < len; i++, op++) out[op] = out[op - offset]!;
  }
  if (op !== length) fail('shorter than its preamble says');
  return out;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3), as java.util.zip.CRC32. */
export function crc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const b of data) crc = crcTable[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

class ByteWriter {
  private readonly parts: Uint8Array[] = [];

  raw(bytes: Uint8Array): void {
    this.parts.push(bytes);
  }

  /** Avro long: zigzag then base-128 varint (arithmetic, so any safe integer works). */
  long(n: number): void {
    let z = n >= 0 ? n * 2 : -n * 2 - 1;
    const out: number[] = [];
    while (z >= 0x80) {
      out.push((z % 0x80) | 0x80);
      z = Math.floor(z / 0x80);
    }
    out.push(z);
    this.parts.push(Uint8Array.from(out));
  }

  bytes(b: Uint8Array): void {
    this.long(b.length);
    this.raw(b);
  }

  string(s: string): void {
    this.bytes(Buffer.from(s, 'utf8'));
  }

  finish(): Uint8Array {
    const total = this.parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let offset = 0;
    for (const p of this.parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  }
}

class ByteReader {
  private pos = 0;

  constructor(
    private readonly buf: Uint8Array,
    private readonly location: string,
  ) {}

  atEnd(): boolean {
    return this.pos >= this.buf.length;
  }

  raw(n: number): Uint8Array {
    if (this.pos + n > this.buf.length) throw corrupt(this.location, 'is truncated');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  long(): number {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const b = this.buf[this.pos++];
      if (b === undefined) throw corrupt(this.location, 'is truncated');
      if (shift > 49) throw corrupt(this.location, 'has a header or block length beyond 2^53');
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  }

  bytes(): Uint8Array {
    const n = this.long();
    if (n < 0) throw corrupt(this.location, 'has a negative length');
    return this.raw(n);
  }

  string(): string {
    return Buffer.from(this.bytes()).toString('utf8');
  }
}

export function corrupt(location: string, problem: string, cause?: unknown): LakeError {
  return new LakeError('OP_LAKE_CORRUPT_FILE', `${location}: ${problem}`, {
    details: { location },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Keeps an `OP_LAKE_CORRUPT_FILE` as is; anything else becomes one naming the file. */
export function asCorrupt(error: unknown, location: string, problem: string): LakeError {
  if (error instanceof LakeError && error.code === 'OP_LAKE_CORRUPT_FILE') return error;
  const reason = error instanceof Error ? error.message : String(error);
  return corrupt(location, `${problem}: ${reason}`, error);
}

// ---------------------------------------------------------------------------------------------
// Reading decoded records by field id
// ---------------------------------------------------------------------------------------------

/** A record type of a writer schema, its fields indexed by `field-id`. */
export interface AvroRecordView {
  readonly name: string;
  readonly byId: ReadonlyMap<number, { readonly name: string; readonly type: AvroJson }>;
}

/** Named types of a schema by full name, so references can be resolved. */
export function namedTypes(schema: AvroJson): Map<string, AvroObject> {
  const named = new Map<string, AvroObject>();
  const visit = (t: AvroJson, namespace: string): void => {
    if (Array.isArray(t)) {
      for (const branch of t) visit(branch, namespace);
      return;
    }
    if (typeof t !== 'object' || t === null) return;
    const ns = typeof t.namespace === 'string' ? t.namespace : namespace;
    if (typeof t.name === 'string' && (t.type === 'record' || t.type === 'fixed' || t.type === 'enum')) {
      named.set(t.name.includes('.') || ns === '' ? t.name : `${ns}.${t.name}`, t);
      named.set(t.name, t);
    }
    if (Array.isArray(t.fields)) for (const f of t.fields) if (typeof f === 'object' && f !== null && !Array.isArray(f)) visit(f.type ?? null, ns);
    if (t.items !== undefined) visit(t.items, ns);
    if (t.values !== undefined) visit(t.values, ns);
  };
  visit(schema, '');
  return named;
}

/** The non-null branch of a `["null", X]` union (X otherwise), with name references resolved. */
export function resolveType(type: AvroJson, named: ReadonlyMap<string, AvroObject>): AvroJson {
  let t = type;
  if (Array.isArray(t)) t = t.find((b) => b !== 'null') ?? 'null';
  if (typeof t === 'string') return named.get(t) ?? t;
  if (typeof t === 'object' && t !== null && !Array.isArray(t) && typeof t.type === 'object' && t.type !== null) {
    // {"type": {...}} wrapping: look inside.
    return resolveType(t.type, named);
  }
  return t;
}

/** A record view of a (resolved) type; null when it is not a record. */
export function recordView(type: AvroJson, named: ReadonlyMap<string, AvroObject>): AvroRecordView | null {
  const t = resolveType(type, named);
  if (typeof t !== 'object' || t === null || Array.isArray(t) || t.type !== 'record' || !Array.isArray(t.fields)) return null;
  const byId = new Map<number, { name: string; type: AvroJson }>();
  for (const f of t.fields) {
    if (typeof f !== 'object' || f === null || Array.isArray(f) || typeof f.name !== 'string') continue;
    const id = f['field-id'];
    if (typeof id === 'number') byId.set(id, { name: f.name, type: f.type ?? null });
  }
  return { name: typeof t.name === 'string' ? t.name : '', byId };
}

/** Typed access to decoded records, every problem an `OP_LAKE_CORRUPT_FILE` naming the file. */
export class RecordReader {
  constructor(readonly location: string) {}

  fail(what: string, problem: string): never {
    throw corrupt(this.location, `${what} ${problem}`);
  }

  record(value: unknown, what: string): Readonly<Record<string, unknown>> {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) this.fail(what, 'is not a record');
    return value as Readonly<Record<string, unknown>>;
  }

  /** The value of a field by id, `undefined` when the writer's schema has no such field. */
  field(view: AvroRecordView, record: Readonly<Record<string, unknown>>, id: number): unknown {
    const f = view.byId.get(id);
    return f === undefined ? undefined : record[f.name];
  }

  int(value: unknown, what: string): number {
    if (typeof value !== 'number' || !Number.isInteger(value)) this.fail(what, `is ${describeValue(value)}, not an int`);
    return value;
  }

  /** A long held as a number (a count, size or sequence number): it must be a safe integer. */
  long(value: unknown, what: string): number {
    if (typeof value === 'bigint') this.fail(what, `is ${value}, beyond the integers OrderPulse reads exactly here (±2^53)`);
    if (typeof value !== 'number' || !Number.isInteger(value)) this.fail(what, `is ${describeValue(value)}, not a long`);
    return value;
  }

  optionalLong(value: unknown, what: string): number | null {
    return value === null || value === undefined ? null : this.long(value, what);
  }

  /** A long that is an id (a snapshot id): exact, as a bigint. */
  id(value: unknown, what: string): bigint {
    if (typeof value === 'bigint') return value;
    if (typeof value !== 'number' || !Number.isInteger(value)) this.fail(what, `is ${describeValue(value)}, not a long`);
    return BigInt(value);
  }

  optionalId(value: unknown, what: string): bigint | null {
    return value === null || value === undefined ? null : this.id(value, what);
  }

  string(value: unknown, what: string): string {
    if (typeof value !== 'string') this.fail(what, `is ${describeValue(value)}, not a string`);
    return value;
  }

  boolean(value: unknown, what: string): boolean {
    if (typeof value !== 'boolean') this.fail(what, `is ${describeValue(value)}, not a boolean`);
    return value;
  }

  bytes(value: unknown, what: string): Uint8Array {
    if (!(value instanceof Uint8Array)) this.fail(what, `is ${describeValue(value)}, not bytes`);
    return Uint8Array.from(value);
  }

  array(value: unknown, what: string): readonly unknown[] {
    if (!Array.isArray(value)) this.fail(what, `is ${describeValue(value)}, not an array`);
    return value as readonly unknown[];
  }
}

// =============================================================================================
// Manifest schema
// =============================================================================================

/** `sequence_number` / `min_sequence_number` placeholder until the manifest list assigns them. */
export const UNASSIGNED_SEQUENCE_NUMBER = -1;

const nullable = (type: AvroJson): AvroJson => ['null', type];

/** An int-keyed map as Iceberg writes it: an array of `k<id>_v<id>` records, logical type map. */
function intMap(keyId: number, valueId: number, valueType: AvroJson): AvroJson {
  return nullable({
    type: 'array',
    logicalType: 'map',
    items: {
      type: 'record',
      name: `k${keyId}_v${valueId}`,
      fields: [
        { name: 'key', type: 'int', 'field-id': keyId },
        { name: 'value', type: valueType, 'field-id': valueId },
      ],
    },
  });
}

/**
 * The Avro schema of an Iceberg primitive (Appendix A). Named fixed types (`uuid_fixed`,
 * `fixed_16`, `decimal_9_2`, Java's names) are defined once and referenced by name afterwards, as
 * Avro requires.
 */
export function avroTypeOf(type: PrimitiveType, defined: Set<string>): AvroJson {
  const info = primitiveInfo(type);
  if (info === null) throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `${type} has no Avro mapping here`);
  const named = (name: string, schema: AvroObject): AvroJson => {
    if (defined.has(name)) return name;
    defined.add(name);
    return { ...schema, name };
  };
  switch (info.kind) {
    case 'boolean':
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'string':
      return info.kind;
    case 'binary':
      return 'bytes';
    case 'date':
      return { type: 'int', logicalType: 'date' };
    case 'time':
      return { type: 'long', logicalType: 'time-micros' };
    case 'timestamp':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': false };
    case 'timestamptz':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true };
    case 'uuid':
      return named('uuid_fixed', { type: 'fixed', size: 16, logicalType: 'uuid' });
    case 'fixed':
      return named(`fixed_${info.length}`, { type: 'fixed', size: info.length });
    case 'decimal':
      return named(`decimal_${info.precision}_${info.scale}`, {
        type: 'fixed',
        size: decimalRequiredBytes(info.precision),
        logicalType: 'decimal',
        precision: info.precision,
        scale: info.scale,
      });
  }
}

/**
 * An Avro-valid field name, as Java's `AvroSchemaUtil.sanitize`: a leading digit becomes `_<digit>`,
 * any other invalid character `_x<HEX>`.
 */
export function sanitizeAvroName(name: string): string {
  let out = '';
  for (let i = 0; i < name.length; i++) {
    const ch = name[i]!;
    const valid = /[A-Za-z_]/.test(ch) || (i > 0 && /[0-9]/.test(ch));
    if (valid) out += ch;
    else if (/[0-9]/.test(ch)) out += `_${ch}`;
    else out += `_x${ch.charCodeAt(0).toString(16).toUpperCase()}`;
  }
  return out.length === 0 ? '_' : out;
}

/** The `r102` partition record of a spec: one optional field per partition field, id = field id. */
function partitionRecord(bound: readonly BoundPartitionField[]): AvroJson {
  const defined = new Set<string>();
  return {
    type: 'record',
    name: 'r102',
    fields: bound.map((b): AvroJson => {
      const name = sanitizeAvroName(b.field.name);
      return {
        name,
        type: nullable(avroTypeOf(b.resultType, defined)),
        default: null,
        'field-id': b.field['field-id'],
        // Java keeps the original name when it had to change it.
        ...(name === b.field.name ? {} : { 'iceberg-field-name': b.field.name }),
      };
    }),
  };
}

/** The v2 `manifest_entry` Avro schema for a partition spec, field for field as Java writes it. */
export function manifestEntrySchema(bound: readonly BoundPartitionField[]): AvroJson {
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      { name: 'status', type: 'int', 'field-id': 0 },
      { name: 'snapshot_id', type: nullable('long'), default: null, 'field-id': 1 },
      { name: 'sequence_number', type: nullable('long'), default: null, 'field-id': 3 },
      { name: 'file_sequence_number', type: nullable('long'), default: null, 'field-id': 4 },
      {
        name: 'data_file',
        type: {
          type: 'record',
          name: 'r2',
          fields: [
            { name: 'content', type: 'int', doc: 'Contents of the file: 0=data, 1=position deletes, 2=equality deletes', 'field-id': 134 },
            { name: 'file_path', type: 'string', doc: 'Location URI with FS scheme', 'field-id': 100 },
            { name: 'file_format', type: 'string', doc: 'File format name: avro, orc, or parquet', 'field-id': 101 },
            { name: 'partition', type: partitionRecord(bound), doc: 'Partition data tuple, schema based on the partition spec', 'field-id': 102 },
            { name: 'record_count', type: 'long', doc: 'Number of records in the file', 'field-id': 103 },
            { name: 'file_size_in_bytes', type: 'long', doc: 'Total file size in bytes', 'field-id': 104 },
            { name: 'column_sizes', type: intMap(117, 118, 'long'), doc: 'Map of column id to total size on disk', default: null, 'field-id': 108 },
            { name: 'value_counts', type: intMap(119, 120, 'long'), doc: 'Map of column id to total count, including null and NaN', default: null, 'field-id': 109 },
            { name: 'null_value_counts', type: intMap(121, 122, 'long'), doc: 'Map of column id to null value count', default: null, 'field-id': 110 },
            { name: 'nan_value_counts', type: intMap(138, 139, 'long'), doc: 'Map of column id to number of NaN values in the column', default: null, 'field-id': 137 },
            { name: 'lower_bounds', type: intMap(126, 127, 'bytes'), doc: 'Map of column id to lower bound', default: null, 'field-id': 125 },
            { name: 'upper_bounds', type: intMap(129, 130, 'bytes'), doc: 'Map of column id to upper bound', default: null, 'field-id': 128 },
            { name: 'key_metadata', type: nullable('bytes'), doc: 'Encryption key metadata blob', default: null, 'field-id': 131 },
            { name: 'split_offsets', type: nullable({ type: 'array', items: 'long', 'element-id': 133 }), doc: 'Splittable offsets', default: null, 'field-id': 132 },
            { name: 'equality_ids', type: nullable({ type: 'array', items: 'int', 'element-id': 136 }), doc: 'Equality comparison field IDs', default: null, 'field-id': 135 },
            { name: 'sort_order_id', type: nullable('int'), doc: 'Sort order ID', default: null, 'field-id': 140 },
            { name: 'referenced_data_file', type: nullable('string'), doc: 'Fully qualified location (URI with FS scheme) of a data file that all deletes reference', default: null, 'field-id': 143 },
          ],
        },
        'field-id': 2,
      },
    ],
  };
}

// =============================================================================================
// Writing manifests
// =============================================================================================

export interface WriteManifestInput {
  /** The table schema the manifest is written with (its header `schema`). */
  readonly schema: Schema;
  readonly spec: PartitionSpec;
  readonly entries: readonly ManifestEntry[];
  /** The snapshot writing this manifest: its `added_snapshot_id`, and added entries' snapshot id. */
  readonly snapshotId: bigint;
  /** Where the manifest will be stored (for its manifest list entry). */
  readonly manifestPath: string;
  /** A data manifest (the default) or a delete manifest; every entry must be of that kind. */
  readonly content?: 'data' | 'deletes';
  readonly codec?: AvroCodec;
  readonly syncMarker?: Uint8Array;
}

export interface WrittenManifest {
  readonly bytes: Uint8Array;
  /**
   * Its manifest list entry. `sequenceNumber` (and `minSequenceNumber` unless a live entry has an
   * explicit one) is `UNASSIGNED_SEQUENCE_NUMBER`: `writeManifestList` assigns the snapshot's.
   */
  readonly manifestFile: ManifestFile;
}

/**
 * Writes a data manifest (content "data"), or a delete manifest ("deletes": position and equality
 * delete files, which OrderPulse carries for the engines that wrote them). Entries follow the spec's inheritance rules:
 * - ADDED: snapshot id filled with `snapshotId` when null; data sequence number null to inherit
 *   (or explicit for data that logically belongs to an older commit); file sequence number must be
 *   null (it is always assigned at commit).
 * - EXISTING and DELETED: both sequence numbers must be explicit (the values first inherited);
 *   EXISTING keeps its original snapshot id, DELETED gets `snapshotId` when null.
 * `OP_LAKE_INVALID_ARGUMENT` for entries that break these rules, files of the other kind, partition tuples
 * that do not match the spec, or snapshot ids that are not 64-bit longs.
 */
export function writeManifest(input: WriteManifestInput): WrittenManifest {
  const { schema, spec, snapshotId } = input;
  requireWritableId(snapshotId, 'snapshotId');
  const bound = bindPartitionSpec(spec, schema);
  for (const b of bound) {
    if (b.transform.kind === 'unknown') {
      throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `partition field '${b.field.name}' has unknown transform '${b.field.transform}'`);
    }
  }
  const toAvro = bound.map((b) => partitionToAvro(b));
  const counts = { addedFiles: 0, existingFiles: 0, deletedFiles: 0, addedRows: 0, existingRows: 0, deletedRows: 0 };
  let minSequenceNumber: number | null = null;
  const content = input.content ?? 'data';
  const entrySchema = manifestEntrySchema(bound);
  const schemaText = JSON.stringify(entrySchema);
  const type = compileAvroType(entrySchema, schemaText);
  const encoded = input.entries.map((entry, i) => {
    const what = `manifest entry ${i} (${entry.dataFile.filePath})`;
    const e = prepareEntry(entry, snapshotId, content, what);
    const rows = entry.dataFile.recordCount;
    if (e.status === MANIFEST_ENTRY_STATUS.added) {
      counts.addedFiles++;
      counts.addedRows += rows;
    } else if (e.status === MANIFEST_ENTRY_STATUS.existing) {
      counts.existingFiles++;
      counts.existingRows += rows;
    } else {
      counts.deletedFiles++;
      counts.deletedRows += rows;
    }
    // Java's ManifestWriter: the lowest explicit data sequence number of the live entries.
    if (e.status !== MANIFEST_ENTRY_STATUS.deleted && e.sequenceNumber !== null) {
      minSequenceNumber = minSequenceNumber === null ? e.sequenceNumber : Math.min(minSequenceNumber, e.sequenceNumber);
    }
    // An EXISTING entry is written again, unchanged, by every merge of the manifest that holds it.
    const known = e.status === MANIFEST_ENTRY_STATUS.existing ? encodedEntries.get(entry) : undefined;
    if (known !== undefined && known.type === type) return known.bytes;
    const bytes = type.toBuffer(entryRecord(e, bound, toAvro, what));
    if (e.status === MANIFEST_ENTRY_STATUS.existing && Object.isFrozen(entry)) encodedEntries.set(entry, { type, bytes });
    return bytes;
  });
  const bytes = containerOf(
    {
      schema: entrySchema,
      metadata: {
        schema: JSON.stringify(schemaJson(schema)),
        'schema-id': String(schema['schema-id']),
        'partition-spec': JSON.stringify(spec.fields.map(partitionFieldJson)),
        'partition-spec-id': String(spec['spec-id']),
        'format-version': '2',
        content,
      },
      ...(input.codec === undefined ? {} : { codec: input.codec }),
      ...(input.syncMarker === undefined ? {} : { syncMarker: input.syncMarker }),
    },
    schemaText,
    encoded,
  );
  const manifestFile: ManifestFile = {
    manifestPath: input.manifestPath,
    manifestLength: bytes.length,
    partitionSpecId: spec['spec-id'],
    content: content === 'data' ? 0 : 1,
    sequenceNumber: UNASSIGNED_SEQUENCE_NUMBER,
    minSequenceNumber: minSequenceNumber ?? UNASSIGNED_SEQUENCE_NUMBER,
    addedSnapshotId: snapshotId,
    addedFilesCount: counts.addedFiles,
    existingFilesCount: counts.existingFiles,
    deletedFilesCount: counts.deletedFiles,
    addedRowsCount: counts.addedRows,
    existingRowsCount: counts.existingRows,
    deletedRowsCount: counts.deletedRows,
    partitions: partitionSummaries(bound, input.entries),
  };
  return Object.freeze({ bytes, manifestFile: Object.freeze(manifestFile) });
}

/**
 * The Avro bytes of EXISTING entries, by entry and for the compiled type they were encoded with.
 * Frozen entries only: those the lake itself reads, merges and inherits, which it never changes; an
 * entry object of a caller's that might still change is encoded afresh. Merge-append rewrites every live entry of the
 * manifests it combines each time it runs; encoding them took about 50 µs an entry, which a
 * long-running table with a thousand live files paid on the commit path every hundredth commit.
 * Weak: an entry's bytes go with the entry, which the bounded manifest cache holds.
 */
const encodedEntries = new WeakMap<ManifestEntry, { readonly type: Type; readonly bytes: Buffer }>();

/** A snapshot id must fit a signed 64-bit long, what Avro and Iceberg hold. */
export function requireWritableId(id: bigint | null, what: string): void {
  if (id !== null && BigInt.asIntN(64, id) !== id) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `${what} ${id} is not a 64-bit long`, {
      details: { field: what },
    });
  }
}

function prepareEntry(entry: ManifestEntry, snapshotId: bigint, content: 'data' | 'deletes', what: string): ManifestEntry {
  const bad = (problem: string): never => {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `${what}: ${problem}`, { details: { filePath: entry.dataFile.filePath } });
  };
  if (content === 'data' && entry.dataFile.content !== 0) bad('is a delete file, in a data manifest');
  if (content === 'deletes' && entry.dataFile.content === 0) bad('is a data file, in a delete manifest');
  requireWritableId(entry.snapshotId, `${what} snapshotId`);
  switch (entry.status) {
    case MANIFEST_ENTRY_STATUS.added:
      if (entry.fileSequenceNumber !== null) bad('an added file must leave fileSequenceNumber null (it is assigned at commit)');
      return { ...entry, snapshotId: entry.snapshotId ?? snapshotId };
    case MANIFEST_ENTRY_STATUS.existing:
    case MANIFEST_ENTRY_STATUS.deleted:
      if (entry.sequenceNumber === null || entry.fileSequenceNumber === null) {
        bad('existing and deleted entries must carry both sequence numbers (the values they inherited)');
      }
      if (entry.status === MANIFEST_ENTRY_STATUS.existing && entry.snapshotId === null) bad('an existing entry must keep its snapshot id');
      return { ...entry, snapshotId: entry.snapshotId ?? snapshotId };
    default:
      return bad(`has status ${String(entry.status)}, not 0, 1 or 2`);
  }
}

const buffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function entryRecord(
  e: ManifestEntry,
  bound: readonly BoundPartitionField[],
  toAvro: readonly ((v: PartitionValue) => unknown)[],
  what: string,
): Record<string, unknown> {
  const f = e.dataFile;
  const partition: Record<string, unknown> = {};
  const names = new Set(bound.map((b) => b.field.name));
  for (const key of Object.keys(f.partition)) {
    if (!names.has(key)) throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `${what}: partition has '${key}', which the spec does not`);
  }
  bound.forEach((b, i) => {
    const value = f.partition[b.field.name];
    try {
      partition[sanitizeAvroName(b.field.name)] = value === undefined ? null : toAvro[i]!(value);
    } catch (cause) {
      throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `${what}: partition '${b.field.name}' (${b.resultType}) cannot hold ${describeValue(value)}`, {
        cause,
      });
    }
  });
  const longMap = (m: ReadonlyMap<number, number>): { key: number; value: number }[] => [...m].map(([key, value]) => ({ key, value }));
  const bytesMap = (m: ReadonlyMap<number, Uint8Array>): { key: number; value: Buffer }[] =>
    [...m].map(([key, value]) => ({ key, value: buffer(value) }));
  return {
    status: e.status,
    snapshot_id: e.snapshotId,
    sequence_number: e.sequenceNumber,
    file_sequence_number: e.fileSequenceNumber,
    data_file: {
      content: f.content,
      file_path: f.filePath,
      // Java writes the enum name (PARQUET); readers compare case-insensitively.
      file_format: f.fileFormat,
      partition,
      record_count: f.recordCount,
      file_size_in_bytes: f.fileSizeInBytes,
      // Empty maps are written empty, not null: both mean "no metrics", but some readers
      // (PyIceberg's `inspect.entries`) fail on null.
      column_sizes: longMap(f.columnSizes),
      value_counts: longMap(f.valueCounts),
      null_value_counts: longMap(f.nullValueCounts),
      nan_value_counts: longMap(f.nanValueCounts),
      lower_bounds: bytesMap(f.lowerBounds),
      upper_bounds: bytesMap(f.upperBounds),
      key_metadata: f.keyMetadata === undefined || f.keyMetadata === null ? null : buffer(f.keyMetadata),
      split_offsets: f.splitOffsets === null ? null : [...f.splitOffsets],
      equality_ids: f.equalityIds === undefined || f.equalityIds === null ? null : [...f.equalityIds],
      sort_order_id: f.sortOrderId,
      referenced_data_file: f.referencedDataFile ?? null,
    },
  };
}

/** Converts a partition value (forms of transforms.ts) to what the Avro partition field holds. */
function partitionToAvro(b: BoundPartitionField): (v: PartitionValue) => unknown {
  const info = primitiveInfo(b.resultType)!;
  const fail = (v: PartitionValue): never => {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `not a ${b.resultType} partition value: ${describeValue(v)}`);
  };
  return (v) => {
    if (v === null) return null;
    switch (info.kind) {
      case 'boolean':
        return typeof v === 'boolean' ? v : fail(v);
      case 'int':
        return typeof v === 'number' && v === (v | 0) ? v : fail(v);
      case 'long':
        return typeof v === 'number' || typeof v === 'bigint' ? v : fail(v);
      case 'float':
      case 'double':
        return typeof v === 'number' ? v : fail(v);
      case 'date':
        if (typeof v === 'number' && Number.isInteger(v)) return v;
        return (typeof v === 'string' ? parseDate(v) : null) ?? fail(v);
      case 'time':
        return (typeof v === 'string' ? parseTime(v) : null) ?? fail(v);
      case 'timestamp':
      case 'timestamptz':
        return typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) * 1000n : fail(v);
      case 'string':
        return typeof v === 'string' ? v : fail(v);
      case 'uuid':
        return typeof v === 'string' ? buffer(uuidToBytes(v)) : fail(v);
      case 'binary':
        return typeof v === 'string' ? buffer(hexToBytes(v)) : fail(v);
      case 'fixed': {
        const bytes = typeof v === 'string' ? hexToBytes(v) : fail(v);
        return bytes.length === info.length ? buffer(bytes) : fail(v);
      }
      case 'decimal': {
        const unscaled = typeof v === 'string' ? parseDecimal(v, info.scale) : null;
        return unscaled === null ? fail(v) : buffer(unscaledToFixed(unscaled, decimalRequiredBytes(info.precision)));
      }
    }
  };
}

/**
 * Per partition field: whether any entry's value is null or NaN, and the lowest and highest other
 * value, serialized as the partition field's result type (manifest list `field_summary`). Like
 * Java, every entry counts, deleted ones included.
 */
function partitionSummaries(bound: readonly BoundPartitionField[], entries: readonly ManifestEntry[]): FieldSummary[] {
  return bound.map((b) => {
    let containsNull = false;
    let containsNan = false;
    let lower: Exclude<PartitionValue, null> | undefined;
    let upper: Exclude<PartitionValue, null> | undefined;
    for (const entry of entries) {
      const v = entry.dataFile.partition[b.field.name] ?? null;
      if (v === null) containsNull = true;
      else if (isNaNValue(v)) containsNan = true;
      else {
        if (lower === undefined || compareValues(b.resultType, v, lower) < 0) lower = v;
        if (upper === undefined || compareValues(b.resultType, v, upper) > 0) upper = v;
      }
    }
    return Object.freeze({
      containsNull,
      containsNan,
      lowerBound: lower === undefined ? null : serializeValue(b.resultType, lower),
      upperBound: upper === undefined ? null : serializeValue(b.resultType, upper),
    });
  });
}

// =============================================================================================
// Reading manifests
// =============================================================================================

export interface ManifestContents {
  /** 1 or 2 (from the header, else inferred from the entry schema). */
  readonly formatVersion: 1 | 2;
  readonly content: 'data' | 'deletes';
  /** The table schema the manifest was written with. */
  readonly schema: Schema;
  readonly partitionSpec: PartitionSpec;
  /** As stored: sequence numbers and snapshot ids may be null until `inheritFrom`. */
  readonly entries: readonly ManifestEntry[];
}

/** The entries of a manifest file (see `readManifestFile`). */
export function readManifest(bytes: Uint8Array, location: string): readonly ManifestEntry[] {
  return readManifestFile(bytes, location).entries;
}

/**
 * Reads a manifest written by OrderPulse, Java or PyIceberg, v2 or v1 (v1 entries get sequence
 * numbers 0 and content 0, per Appendix E). `OP_LAKE_CORRUPT_FILE` naming `location` on garbage.
 */
export function readManifestFile(bytes: Uint8Array, location: string): ManifestContents {
  const container = readAvroContainer(bytes, location);
  try {
    return decodeManifest(container, location);
  } catch (cause) {
    throw asCorrupt(cause, location, 'is not a valid manifest');
  }
}

function decodeManifest(container: AvroContainer, location: string): ManifestContents {
  const json: JsonReader = new JsonReader(location);
  const rr: RecordReader = new RecordReader(location);
  const header = (key: string): string | undefined => container.metadata.get(key);
  const headerJson = (key: string): Parameters<typeof parseSchema>[1] => {
    const text = header(key);
    if (text === undefined) return rr.fail(`header "${key}"`, 'is missing');
    try {
      return JSON.parse(text) as Parameters<typeof parseSchema>[1];
    } catch {
      return rr.fail(`header "${key}"`, 'is not JSON');
    }
  };
  const schema = parseSchema(json, headerJson('schema'), 'header "schema"', true);
  const specIdText = header('partition-spec-id');
  const specId = specIdText === undefined ? 0 : Number(specIdText);
  if (!Number.isInteger(specId)) rr.fail('header "partition-spec-id"', `is ${JSON.stringify(specIdText)}, not an integer`);
  const partitionSpec: PartitionSpec = { 'spec-id': specId, fields: parsePartitionFields(json, headerJson('partition-spec'), 'header "partition-spec"') };
  const contentText = header('content') ?? 'data';
  if (contentText !== 'data' && contentText !== 'deletes') rr.fail('header "content"', `is ${JSON.stringify(contentText)}, not "data" or "deletes"`);

  const named = namedTypes(container.schema);
  const entryView = recordView(container.schema, named) ?? rr.fail('schema', 'is not a record');
  const versionText = header('format-version');
  const formatVersion = versionText === undefined ? (entryView.byId.has(3) ? 2 : 1) : Number(versionText);
  if (formatVersion !== 1 && formatVersion !== 2) rr.fail('header "format-version"', `is ${JSON.stringify(versionText)}; OrderPulse reads 1 and 2`);
  const dataFileField = entryView.byId.get(2) ?? rr.fail('schema', 'has no data_file field (id 2)');
  const fileView = recordView(dataFileField.type, named) ?? rr.fail('data_file', 'is not a record');
  const partitionField = fileView.byId.get(102) ?? rr.fail('data_file', 'has no partition field (id 102)');
  const partitionView = recordView(partitionField.type, named) ?? rr.fail('data_file.partition', 'is not a record');
  const partitionDecoders = [...partitionView.byId].map(([fieldId, f]) => {
    const specField = partitionSpec.fields.find((p) => p['field-id'] === fieldId);
    return { avroName: f.name, name: specField?.name ?? f.name, decode: partitionFromAvro(schema, specField, rr) };
  });
  const maps = {
    columnSizes: mapReader(fileView, 108, named, rr),
    valueCounts: mapReader(fileView, 109, named, rr),
    nullValueCounts: mapReader(fileView, 110, named, rr),
    nanValueCounts: mapReader(fileView, 137, named, rr),
    lowerBounds: mapReader(fileView, 125, named, rr),
    upperBounds: mapReader(fileView, 128, named, rr),
  };
  const v1 = formatVersion === 1;

  const entries = container.records.map((value, i): ManifestEntry => {
    const what = `entry ${i}`;
    const entry = rr.record(value, what);
    const status = rr.int(rr.field(entryView, entry, 0), `${what} status`);
    if (status !== 0 && status !== 1 && status !== 2) rr.fail(`${what} status`, `is ${status}, not 0, 1 or 2`);
    const file = rr.record(rr.field(entryView, entry, 2), `${what} data_file`);
    const partitionRecord = rr.record(rr.field(fileView, file, 102), `${what} partition`);
    const partition: Record<string, PartitionValues[string]> = {};
    for (const d of partitionDecoders) partition[d.name] = d.decode(partitionRecord[d.avroName], `${what} partition ${d.name}`);
    const content = rr.field(fileView, file, 134);
    const contentValue = content === undefined || content === null ? 0 : rr.int(content, `${what} content`);
    if (contentValue !== 0 && contentValue !== 1 && contentValue !== 2) rr.fail(`${what} content`, `is ${contentValue}`);
    const format = rr.string(rr.field(fileView, file, 101), `${what} file_format`).toUpperCase();
    if (format !== 'PARQUET' && format !== 'AVRO' && format !== 'ORC') rr.fail(`${what} file_format`, `is ${JSON.stringify(format)}`);
    const splitOffsets = rr.field(fileView, file, 132);
    const sortOrderId = rr.field(fileView, file, 140);
    const equalityIds = rr.field(fileView, file, 135);
    const referenced = rr.field(fileView, file, 143);
    const keyMetadata = rr.field(fileView, file, 131);
    const dataFile: DataFile = {
      content: contentValue,
      filePath: rr.string(rr.field(fileView, file, 100), `${what} file_path`),
      fileFormat: format,
      partition: Object.freeze(partition),
      recordCount: rr.long(rr.field(fileView, file, 103), `${what} record_count`),
      fileSizeInBytes: rr.long(rr.field(fileView, file, 104), `${what} file_size_in_bytes`),
      columnSizes: maps.columnSizes(file, (v, w) => rr.long(v, w), what),
      valueCounts: maps.valueCounts(file, (v, w) => rr.long(v, w), what),
      nullValueCounts: maps.nullValueCounts(file, (v, w) => rr.long(v, w), what),
      nanValueCounts: maps.nanValueCounts(file, (v, w) => rr.long(v, w), what),
      lowerBounds: maps.lowerBounds(file, (v, w) => rr.bytes(v, w), what),
      upperBounds: maps.upperBounds(file, (v, w) => rr.bytes(v, w), what),
      splitOffsets:
        splitOffsets === undefined || splitOffsets === null
          ? null
          : Object.freeze(rr.array(splitOffsets, `${what} split_offsets`).map((o, j) => rr.long(o, `${what} split_offsets[${j}]`))),
      sortOrderId: sortOrderId === undefined || sortOrderId === null ? null : rr.int(sortOrderId, `${what} sort_order_id`),
      // Present only when set, as a data file OrderPulse writes has none of them.
      ...(equalityIds === undefined || equalityIds === null
        ? {}
        : { equalityIds: Object.freeze(rr.array(equalityIds, `${what} equality_ids`).map((id, j) => rr.int(id, `${what} equality_ids[${j}]`))) }),
      ...(referenced === undefined || referenced === null ? {} : { referencedDataFile: rr.string(referenced, `${what} referenced_data_file`) }),
      ...(keyMetadata === undefined || keyMetadata === null ? {} : { keyMetadata: rr.bytes(keyMetadata, `${what} key_metadata`) }),
    };
    if (contentValue === 2 && (dataFile.equalityIds ?? []).length === 0) {
      rr.fail(`${what} equality_ids`, 'is empty for an equality delete file');
    }
    return Object.freeze({
      status,
      snapshotId: rr.optionalId(rr.field(entryView, entry, 1), `${what} snapshot_id`),
      // v1 has no sequence numbers: they "must default to 0".
      sequenceNumber: v1 ? 0 : rr.optionalLong(rr.field(entryView, entry, 3), `${what} sequence_number`),
      fileSequenceNumber: v1 ? 0 : rr.optionalLong(rr.field(entryView, entry, 4), `${what} file_sequence_number`),
      dataFile: Object.freeze(dataFile),
    });
  });
  return Object.freeze({ formatVersion, content: contentText, schema, partitionSpec, entries: Object.freeze(entries) });
}

/**
 * Reads an int-keyed map field: Iceberg's array of key/value records (any record name; key and
 * value by position), or an Avro map with numeric string keys. Absent or null is an empty map.
 */
function mapReader(
  view: AvroRecordView,
  id: number,
  named: ReadonlyMap<string, AvroObject>,
  rr: RecordReader,
): <V>(file: Readonly<Record<string, unknown>>, value: (v: unknown, what: string) => V, what: string) => ReadonlyMap<number, V> {
  const field = view.byId.get(id);
  let keyName = 'key';
  let valueName = 'value';
  if (field) {
    const t = resolveType(field.type, named);
    if (typeof t === 'object' && t !== null && !Array.isArray(t) && t.type === 'array' && t.items !== undefined) {
      const items = resolveType(t.items, named);
      if (typeof items === 'object' && items !== null && !Array.isArray(items) && Array.isArray(items.fields)) {
        const [k, v] = items.fields as AvroObject[];
        if (typeof k?.name === 'string') keyName = k.name;
        if (typeof v?.name === 'string') valueName = v.name;
      }
    }
  }
  return (file, readValue, what) => {
    const raw = field === undefined ? undefined : file[field.name];
    const out = new Map<number, ReturnType<typeof readValue>>();
    if (raw === undefined || raw === null) return out;
    const where = `${what} ${field?.name ?? id}`;
    if (Array.isArray(raw)) {
      for (const item of raw) {
        const kv = rr.record(item, where);
        out.set(rr.int(kv[keyName], `${where} key`), readValue(kv[valueName], `${where} value`));
      }
    } else {
      for (const [key, value] of Object.entries(rr.record(raw, where))) {
        const k = Number(key);
        if (!Number.isInteger(k)) rr.fail(`${where} key`, `is ${JSON.stringify(key)}, not a column id`);
        out.set(k, readValue(value, `${where} value`));
      }
    }
    return out;
  };
}

/**
 * Decodes one Avro partition value into the forms of transforms.ts, by the field's result type
 * (from the header's schema and spec); without them (a source column the header schema lacks, an
 * unknown transform) by the Avro value itself.
 */
function partitionFromAvro(
  schema: Schema,
  specField: PartitionSpec['fields'][number] | undefined,
  rr: RecordReader,
): (value: unknown, what: string) => PartitionValue {
  let info: PrimitiveInfo | null = null;
  let isDay = false;
  if (specField) {
    const source = fieldById(schema, specField['source-id']);
    const t = parseTransform(specField.transform);
    isDay = t.kind === 'day';
    if (source && t.kind !== 'unknown') {
      try {
        info = primitiveInfo(transformResultType(specField.transform, source.type));
      } catch {
        info = null;
      }
    }
  }
  const asBigintOrNumber = (v: unknown, what: string): number | bigint => {
    if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))) return v;
    return rr.fail(what, `is ${describeValue(v)}, not an integer`);
  };
  return (value, what) => {
    if (value === null || value === undefined) return null;
    if (info === null) {
      if (value instanceof Uint8Array) return bytesToHex(value);
      if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean' || typeof value === 'bigint') return value;
      return rr.fail(what, `is ${describeValue(value)}`);
    }
    switch (info.kind) {
      case 'boolean':
        return rr.boolean(value, what);
      case 'int':
        return rr.int(value, what);
      case 'long':
        return asBigintOrNumber(value, what);
      case 'float':
      case 'double':
        if (typeof value !== 'number') return rr.fail(what, `is ${describeValue(value)}, not a number`);
        return value;
      case 'date': {
        const days = rr.int(value, what);
        // The day transform's values stay day counts; an identity date is 'YYYY-MM-DD'.
        return isDay ? days : daysToDate(days);
      }
      case 'time':
        return microsToTime(Number(asBigintOrNumber(value, what)));
      case 'timestamp':
      case 'timestamptz': {
        const micros = BigInt(asBigintOrNumber(value, what));
        const ms = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n);
        return Number(ms);
      }
      case 'string':
        return rr.string(value, what);
      case 'uuid':
        return bytesToUuid(rr.bytes(value, what));
      case 'fixed':
      case 'binary':
        return bytesToHex(rr.bytes(value, what));
      case 'decimal':
        return formatDecimal(bytesToUnscaled(rr.bytes(value, what)), info.scale);
    }
  };
}

// =============================================================================================
// Inheritance
// =============================================================================================

/**
 * Entries as they apply, with inherited values filled in from their manifest list entry
 * (specification, "Sequence Number Inheritance"): a null snapshot id becomes the manifest's
 * `added_snapshot_id`; null data and file sequence numbers of ADDED entries become the manifest's
 * sequence number (for any status when that is 0, a manifest from a v1 table, as Java does).
 */
export function inheritFrom(manifestFile: ManifestFile, entries: readonly ManifestEntry[]): readonly ManifestEntry[] {
  const seq = manifestFile.sequenceNumber;
  return Object.freeze(
    entries.map((e) => {
      // Nothing to inherit: the entry itself, so that what is known of it (its encoding) stays known.
      if (Object.isFrozen(e) && e.snapshotId !== null && e.sequenceNumber !== null && e.fileSequenceNumber !== null) return e;
      const inheritSeq = e.status === MANIFEST_ENTRY_STATUS.added || seq === 0;
      const next: ManifestEntry = {
        ...e,
        snapshotId: e.snapshotId ?? manifestFile.addedSnapshotId,
        sequenceNumber: e.sequenceNumber ?? (inheritSeq ? seq : null),
        fileSequenceNumber: e.fileSequenceNumber ?? (inheritSeq ? seq : null),
      };
      return Object.freeze(next);
    }),
  );
}
