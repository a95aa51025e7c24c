import { LogError } from './errors.js';
import type { LogRecord, RecordHeader } from './types.js';

/**
 * Record batches, Kafka's idea: the embedded log stores the records that one append puts on one
 * partition as one row holding one BLOB, not as one row per record. This file is the BLOB's format:
 * pure functions, no SQLite.
 *
 * Layout of a batch (format 1). A varint is unsigned LEB128 (7 bits a byte, least significant
 * group first, high bit set on every byte but the last). A zigzag varint is a signed integer n
 * mapped to 2n (n >= 0) or -2n - 1 (n < 0) and then written as a varint, as Kafka and Protocol
 * Buffers do; every value fits a safe integer.
 *
 *   byte            format, 1
 *   varint          record count n >= 1; the row's last_offset - base_offset + 1
 *   n records, each:
 *     zigzag varint timestamp delta: this record's timestamp minus the previous record's (the first
 *                   record's minus 0, so its timestamp itself)
 *     varint        key length + 1; 0 for a null key
 *     bytes         key
 *     varint        value length
 *     bytes         value
 *     varint        header count, then per header:
 *                     varint key length, key (UTF-8), varint value length, value
 *
 * Nothing follows the last record. Offsets are not stored per record: a batch holds consecutive
 * offsets, so record i has offset base_offset + i, and the base offset lives in the row, so the BLOB
 * does not depend on where the batch lands. Beyond its key and value bytes, a record whose key and
 * value are under 127 bytes each, with no headers and a timestamp within 63 ms of the previous one,
 * costs 4 bytes.
 *
 * There is no checksum: the structure is checked on every decode (lengths, counts, no trailing
 * bytes), but a byte flipped inside a key or value goes unnoticed, as it did with one row per record.
 */

export const RECORD_BATCH_FORMAT = 1;

/** When the encoder closes a batch and starts another (a batch always takes at least one record). */
export interface BatchLimits {
  /** Encoded size a batch may reach; only a single larger record goes past it, alone. */
  readonly maxBytes: number;
  readonly maxRecords: number;
}

/**
 * The log's limits: big enough that an append of thousands of small records writes few rows, small
 * enough that fetching a few records decodes at most a few hundred KB.
 */
export const BATCH_LIMITS: BatchLimits = Object.freeze({ maxBytes: 256 * 1024, maxRecords: 4096 });

/** What the encoder reads of a record; a `ProducerRecord` is one. */
export interface BatchRecord {
  readonly key: Uint8Array | null;
  readonly value: Uint8Array;
  readonly timestamp: number;
  readonly headers?: readonly RecordHeader[] | undefined;
}

export interface EncodedBatch {
  readonly blob: Buffer;
  /** How many records, from `start`, the batch holds. */
  readonly count: number;
}

/** Where a batch sits in the log: what its records are and what errors about it name. */
export interface BatchLocation {
  readonly topic: string;
  readonly partition: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
}

/** The headers of a record that has none, shared. */
export const NO_HEADERS: readonly RecordHeader[] = Object.freeze([]);

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function varintSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  let size = 3;
  for (n = Math.floor(n / 0x200000); n > 0; n = Math.floor(n / 0x80)) size++;
  return size;
}

/** The zigzag value 2m + sign without forming it (it can pass 2^53): its first byte holds 6 bits of m. */
function zigzagSize(n: number): number {
  const m = n >= 0 ? n : -n - 1;
  return m < 0x40 ? 1 : 1 + varintSize(Math.floor(m / 0x40));
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 0x80);
  }
  buf[pos++] = n;
  return pos;
}

function writeZigzag(buf: Buffer, pos: number, n: number): number {
  const negative = n < 0;
  const m = negative ? -n - 1 : n;
  const low = ((m & 0x3f) << 1) | (negative ? 1 : 0);
  if (m < 0x40) {
    buf[pos++] = low;
    return pos;
  }
  buf[pos++] = low | 0x80;
  return writeVarint(buf, pos, Math.floor(m / 0x40));
}

/** Copies `from` into `to` at `pos`; a JS loop beats a native call for short runs such as keys. */
function copy(from: Uint8Array, to: Buffer, pos: number): number {
  const length = from.length;
  if (length > 48) {
    to.set(from, pos);
    return pos + length;
  }
  for (let i = 0; i < length; i++) to[pos + i] = from[i]!;
  return pos + length;
}

function recordSize(record: BatchRecord, timestampDelta: number): number {
  const key = record.key;
  const value = record.value;
  let size =
    zigzagSize(timestampDelta) +
    (key === null ? 1 : varintSize(key.length + 1) + key.length) +
    varintSize(value.length) +
    value.length;
  const headers = record.headers;
  if (headers === undefined || headers.length === 0) return size + 1;
  size += varintSize(headers.length);
  for (const header of headers) {
    const keyLength = Buffer.byteLength(header.key, 'utf8');
    size += varintSize(keyLength) + keyLength + varintSize(header.value.length) + header.value.length;
  }
  return size;
}

/**
 * Encodes `records[start]`, `records[start + 1]`, ... into one batch, stopping before the record
 * that would take it past `limits`, or whose timestamp delta from the previous one is not a safe
 * integer (only timestamps near ±2^53 do that). Returns the batch and how many records it holds;
 * call again from `start + count` for the rest.
 *
 * The batch is written into `scratch` when it fits (the result is then a view of `scratch`, valid
 * until the caller writes there again), into a new buffer otherwise.
 *
 * The records must be valid (the log checks them first): key and value are byte arrays, timestamps
 * safe integers, headers string keys with byte-array values.
 */
export function encodeRecordBatch(
  records: readonly BatchRecord[],
  start = 0,
  limits: BatchLimits = BATCH_LIMITS,
  scratch?: Buffer,
): EncodedBatch {
  if (!Number.isInteger(start) || start < 0 || start >= records.length) {
    throw new RangeError(`no record at index ${start} of ${records.length} to encode`);
  }
  const stop = Math.min(records.length, start + Math.max(1, limits.maxRecords));
  // Pass 1: how many records fit, and the exact size.
  let size = 1;
  let previous = 0;
  let end = start;
  while (end < stop) {
    const record = records[end]!;
    const delta = record.timestamp - previous;
    if (end > start && (delta > MAX_SAFE || delta < -MAX_SAFE)) break;
    const recordBytes = recordSize(record, delta);
    if (end > start && size + recordBytes + varintSize(end + 1 - start) > limits.maxBytes) break;
    size += recordBytes;
    previous = record.timestamp;
    end++;
  }
  const count = end - start;
  size += varintSize(count);
  // Pass 2: write.
  const blob = scratch !== undefined && scratch.length >= size ? scratch.subarray(0, size) : Buffer.allocUnsafe(size);
  blob[0] = RECORD_BATCH_FORMAT;
  let pos = writeVarint(blob, 1, count);
  previous = 0;
  for (let i = start; i < end; i++) {
    const record = records[i]!;
    pos = writeZigzag(blob, pos, record.timestamp - previous);
    previous = record.timestamp;
    const key = record.key;
    if (key === null) {
      blob[pos++] = 0;
    } else {
      pos = writeVarint(blob, pos, key.length + 1);
      pos = copy(key, blob, pos);
    }
    const value = record.value;
    pos = writeVarint(blob, pos, value.length);
    pos = copy(value, blob, pos);
    const headers = record.headers;
    if (headers === undefined || headers.length === 0) {
      blob[pos++] = 0;
      continue;
    }
    pos = writeVarint(blob, pos, headers.length);
    for (const header of headers) {
      const keyLength = Buffer.byteLength(header.key, 'utf8');
      pos = writeVarint(blob, pos, keyLength);
      pos += blob.write(header.key, pos, keyLength, 'utf8');
      pos = writeVarint(blob, pos, header.value.length);
      pos = copy(header.value, blob, pos);
    }
  }
  if (pos !== size) throw new Error(`record batch encoder wrote ${pos} bytes, planned ${size}`);
  return { blob, count };
}

/** Thrown inside the decoder; {@link decodeRecordBatch} turns it into a LogError that says where. */
class Corrupt extends Error {}

/** Reads a batch; every read checks the bounds. */
class Reader {
  pos = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly end: number,
  ) {}

  get atEnd(): boolean {
    return this.pos === this.end;
  }

  byte(what: string): number {
    if (this.pos >= this.end) throw new Corrupt(`truncated ${what}`);
    return this.buf[this.pos++]!;
  }

  varint(what: string): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos >= this.end) throw new Corrupt(`truncated ${what}`);
    let byte = buf[pos++]!;
    if (byte < 0x80) {
      this.pos = pos;
      return byte;
    }
    let value = byte & 0x7f;
    for (let scale = 0x80; ; scale *= 0x80) {
      if (pos >= this.end) throw new Corrupt(`truncated ${what}`);
      byte = buf[pos++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
      if (scale >= 2 ** 49) throw new Corrupt(`${what} is not a valid varint`);
    }
    if (value > MAX_SAFE) throw new Corrupt(`${what} is out of range`);
    this.pos = pos;
    return value;
  }

  zigzag(what: string): number {
    const first = this.byte(what);
    let m = (first >> 1) & 0x3f;
    if (first >= 0x80) {
      m += this.varint(what) * 0x40;
      if (m > MAX_SAFE) throw new Corrupt(`${what} is out of range`);
    }
    return (first & 1) === 0 ? m : -m - 1;
  }

  bytes(length: number, what: string): Buffer {
    const pos = this.pos;
    if (length > this.end - pos) throw new Corrupt(`${what} overruns the batch`);
    this.pos = pos + length;
    return this.buf.subarray(pos, pos + length);
  }

  skip(length: number, what: string): void {
    if (length > this.end - this.pos) throw new Corrupt(`${what} overruns the batch`);
    this.pos += length;
  }

  utf8(length: number, what: string): string {
    const pos = this.pos;
    if (length > this.end - pos) throw new Corrupt(`${what} overruns the batch`);
    this.pos = pos + length;
    return this.buf.toString('utf8', pos, pos + length);
  }
}

function readHeaders(reader: Reader, count: number): RecordHeader[] {
  const headers = new Array<RecordHeader>(count);
  for (let h = 0; h < count; h++) {
    const key = reader.utf8(reader.varint('header key length'), 'header key');
    headers[h] = { key, value: reader.bytes(reader.varint('header value length'), 'header value') };
  }
  return headers;
}

function skipHeaders(reader: Reader, count: number): void {
  for (let h = 0; h < count; h++) {
    reader.skip(reader.varint('header key length'), 'header key');
    reader.skip(reader.varint('header value length'), 'header value');
  }
}

/**
 * Decodes the records of a batch whose offsets are `fromOffset` or more, in offset order, and
 * appends at most `maxRecords` of them to `out`. Records before `fromOffset` are stepped over
 * without being built. Keys, values and header values are views into `blob`, not copies.
 *
 * Throws an `OP_LOG_STORAGE` LogError naming the topic, partition and offset when the batch does not
 * follow the format (truncated, trailing bytes, a count that disagrees with the row's offsets, ...).
 * Only the part read is checked: a fetch that stops early does not look at the rest.
 */
export function decodeRecordBatch(
  blob: Uint8Array,
  batch: BatchLocation,
  fromOffset: number,
  maxRecords: number,
  out: LogRecord[],
): void {
  const { topic, partition, baseOffset, lastOffset } = batch;
  if (maxRecords <= 0 || fromOffset > lastOffset) return;
  const buf = Buffer.isBuffer(blob) ? blob : Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const reader = new Reader(buf, buf.length);
  let offset = baseOffset;
  try {
    const format = reader.byte('format');
    if (format !== RECORD_BATCH_FORMAT) throw new Corrupt(`unknown batch format ${format}`);
    const count = reader.varint('record count');
    if (count !== lastOffset - baseOffset + 1) {
      throw new Corrupt(`it holds ${count} records, its row says ${lastOffset - baseOffset + 1}`);
    }
    let timestamp = 0;
    let taken = 0;
    for (const after = baseOffset + count; offset < after; offset++) {
      timestamp += reader.zigzag('timestamp');
      if (!Number.isSafeInteger(timestamp)) throw new Corrupt('timestamp out of range');
      const keyLength = reader.varint('key length');
      if (offset < fromOffset) {
        if (keyLength > 0) reader.skip(keyLength - 1, 'key');
        reader.skip(reader.varint('value length'), 'value');
        skipHeaders(reader, reader.varint('header count'));
        continue;
      }
      const key = keyLength === 0 ? null : reader.bytes(keyLength - 1, 'key');
      const value = reader.bytes(reader.varint('value length'), 'value');
      const headerCount = reader.varint('header count');
      out.push({
        topic,
        partition,
        offset,
        key,
        value,
        timestamp,
        headers: headerCount === 0 ? NO_HEADERS : readHeaders(reader, headerCount),
      });
      if (++taken === maxRecords && offset < lastOffset) return;
    }
    if (!reader.atEnd) throw new Corrupt('bytes follow its last record');
  } catch (error) {
    if (!(error instanceof Corrupt)) throw error;
    throw new LogError(
      'OP_LOG_STORAGE',
      `corrupt record batch in topic "${topic}" partition ${partition} at offset ${Math.min(offset, lastOffset)} ` +
        `(batch of offsets ${baseOffset}..${lastOffset}): ${error.message}`,
      { details: { topic, partition, offset: Math.min(offset, lastOffset), baseOffset, lastOffset } },
    );
  }
}
