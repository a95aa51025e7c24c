/**
 * The Confluent wire format of a value: magic byte 0, the writer schema's global id as a 4-byte
 * big-endian unsigned integer, then the Avro binary body.
 *
 *   encodeWireFormat(id, body)       header + body in one new buffer (one copy of the body)
 *   writeWireHeader(target, id, at)  the header alone, into a buffer you already have: encode the
 *                                    Avro body at `at + WIRE_HEADER_SIZE` and no copy is needed
 *   encodeAvroWireFormat(type, id, value)   Avro-encodes a value straight behind the header
 *   decodeWireFormat(bytes)          the id and a view of the body (no copy)
 *   decodeAvroBody(reader, body, resolver)  decodes a body, refusing corrupt or trailing bytes
 */
import type { Type } from 'avsc';
import { EVENTS_ERROR_CODES, EventsError, describeCause } from './errors.js';

export const WIRE_MAGIC_BYTE = 0;
/** Magic byte and schema id. */
export const WIRE_HEADER_SIZE = 5;
const MAX_SCHEMA_ID = 0xffffffff;

type Resolver = ReturnType<Type['createResolver']>;

function checkSchemaId(schemaId: number): void {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > MAX_SCHEMA_ID) {
    throw new RangeError(`schema id ${schemaId} does not fit the wire format: it must be an integer in 0..${MAX_SCHEMA_ID}`);
  }
}

/**
 * Writes the 5-byte header at `offset` of `target` and returns the offset where the body starts.
 * Throws a RangeError when the id is not a 32-bit unsigned integer or the header does not fit.
 */
export function writeWireHeader(target: Uint8Array, schemaId: number, offset = 0): number {
  checkSchemaId(schemaId);
  if (offset < 0 || offset + WIRE_HEADER_SIZE > target.length) {
    throw new RangeError(`no room for the ${WIRE_HEADER_SIZE}-byte wire header at offset ${offset} of ${target.length} bytes`);
  }
  target[offset] = WIRE_MAGIC_BYTE;
  target[offset + 1] = schemaId >>> 24;
  target[offset + 2] = (schemaId >>> 16) & 0xff;
  target[offset + 3] = (schemaId >>> 8) & 0xff;
  target[offset + 4] = schemaId & 0xff;
  return offset + WIRE_HEADER_SIZE;
}

/** One new buffer: the header, then the body (copied once). */
export function encodeWireFormat(schemaId: number, avroBody: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(WIRE_HEADER_SIZE + avroBody.length);
  writeWireHeader(out, schemaId, 0);
  out.set(avroBody, WIRE_HEADER_SIZE);
  return out;
}

let scratch = Buffer.allocUnsafe(16 * 1024);

/**
 * Avro-encodes `value` with `type` directly behind the header in a reused scratch buffer, then
 * copies the result out once: a new buffer the caller owns. Throws `OP_EVENTS_INVALID_VALUE` when
 * the value does not match the type.
 */
export function encodeAvroWireFormat(type: Type, schemaId: number, value: unknown): Buffer {
  checkSchemaId(schemaId);
  let end: number;
  try {
    end = type.encode(value, scratch, WIRE_HEADER_SIZE);
    while (end < 0) {
      // avsc returns minus the number of missing bytes when the buffer is too small.
      scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end));
      end = type.encode(value, scratch, WIRE_HEADER_SIZE);
    }
  } catch (cause) {
    throw new EventsError(
      EVENTS_ERROR_CODES.INVALID_VALUE,
      `value does not match schema id ${schemaId} (${type.name ?? type.typeName}): ${describeCause(cause)}`,
      { details: { schemaId }, cause },
    );
  }
  writeWireHeader(scratch, schemaId, 0);
  const out = Buffer.allocUnsafe(end);
  scratch.copy(out, 0, 0, end);
  return out;
}

export interface WireFormatValue {
  readonly schemaId: number;
  /** A view of the input's bytes after the header (not a copy). */
  readonly body: Buffer;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The schema id of a wire-format value, read in place; null when the value is too short for the
 * header or does not start with the magic byte (`decodeWireFormat` says which).
 */
export function wireSchemaId(bytes: Uint8Array): number | null {
  if (bytes.length < WIRE_HEADER_SIZE || bytes[0] !== WIRE_MAGIC_BYTE) return null;
  return (((bytes[1] as number) << 24) | ((bytes[2] as number) << 16) | ((bytes[3] as number) << 8) | (bytes[4] as number)) >>> 0;
}

/** Splits a wire-format value; `OP_EVENTS_BAD_WIRE_FORMAT` when it is too short or not magic byte 0. */
export function decodeWireFormat(bytes: Uint8Array): WireFormatValue {
  if (!(bytes instanceof Uint8Array)) {
    throw new EventsError(EVENTS_ERROR_CODES.BAD_WIRE_FORMAT, `not a wire-format value: expected bytes, got ${typeof bytes}`, {
      details: { length: null },
    });
  }
  if (bytes.length < WIRE_HEADER_SIZE) {
    throw new EventsError(
      EVENTS_ERROR_CODES.BAD_WIRE_FORMAT,
      `not a wire-format value: ${bytes.length} bytes, shorter than the ${WIRE_HEADER_SIZE}-byte header (magic byte 0 and schema id)`,
      { details: { length: bytes.length } },
    );
  }
  const magicByte = bytes[0] as number;
  if (magicByte !== WIRE_MAGIC_BYTE) {
    throw new EventsError(
      EVENTS_ERROR_CODES.BAD_WIRE_FORMAT,
      `not a wire-format value: first byte is ${magicByte}, not the magic byte ${WIRE_MAGIC_BYTE}`,
      { details: { length: bytes.length, magicByte } },
    );
  }
  const buffer = asBuffer(bytes);
  return { schemaId: buffer.readUInt32BE(1), body: buffer.subarray(WIRE_HEADER_SIZE) };
}

/**
 * Decodes an Avro body as a value of `reader`; with a resolver (from
 * `createReadResolver(reader, writer)`), the body is read as written with the writer's schema.
 * `OP_EVENTS_CORRUPT_VALUE` when the bytes do not decode, end too early, or have trailing bytes.
 */
export function decodeAvroBody(
  reader: Type,
  body: Uint8Array,
  options: { resolver?: Resolver; schemaId?: number } = {},
): unknown {
  const buffer = asBuffer(body);
  const withId = options.schemaId === undefined ? '' : ` with schema id ${options.schemaId}`;
  const details = { schemaId: options.schemaId ?? null, length: buffer.length };
  let decoded: { value: unknown; offset: number };
  try {
    decoded = reader.decode(buffer, 0, options.resolver);
  } catch (cause) {
    throw new EventsError(
      EVENTS_ERROR_CODES.CORRUPT_VALUE,
      `Avro body of ${buffer.length} bytes does not decode${withId}: ${describeCause(cause)}`,
      { details, cause },
    );
  }
  if (decoded.offset < 0) {
    throw new EventsError(
      EVENTS_ERROR_CODES.CORRUPT_VALUE,
      `Avro body of ${buffer.length} bytes does not decode${withId}: it ends before the value does (truncated or corrupt)`,
      { details },
    );
  }
  if (decoded.offset !== buffer.length) {
    throw new EventsError(
      EVENTS_ERROR_CODES.CORRUPT_VALUE,
      `Avro body does not decode${withId}: ${buffer.length - decoded.offset} trailing bytes after the value's ${decoded.offset}`,
      { details: { ...details, offset: decoded.offset } },
    );
  }
  return decoded.value;
}
