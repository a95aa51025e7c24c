import type { RecordHeader } from './types.js';
import { LogError } from './errors.js';

/**
 * Record headers stored compactly as one BLOB (NULL when there are none):
 * `varint(count)` then, per header, `varint(keyByteLength) key(UTF-8) varint(valueByteLength) value`.
 * Varints are unsigned LEB128.
 */

export const NO_HEADERS: readonly RecordHeader[] = Object.freeze([]);

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

function isArray(value: unknown): boolean {
  return Array.isArray(value);
}

const ARENA_BYTES = 1 << 16;
const MAX_CACHED_KEYS = 1024;

/**
 * Encodes headers into a reusable arena: the blobs it returns are views that stay valid until the
 * next {@link HeaderEncoder.reset}. SQLite copies a bound blob (better-sqlite3 binds with
 * SQLITE_TRANSIENT), so an append resets the arena once its transaction is done. Header keys repeat
 * from record to record; their UTF-8 bytes are cached.
 */
export class HeaderEncoder {
  private readonly keyBytes = new Map<string, Buffer>();
  private arena = Buffer.allocUnsafeSlow(ARENA_BYTES);
  private used = 0;

  reset(): void {
    this.used = 0;
  }

  encode(headers: readonly RecordHeader[] | undefined): Buffer | null {
    if (headers === undefined || headers.length === 0) return null;
    if (!isArray(headers)) throw new LogError('OP_LOG_BAD_RECORD', 'record headers must be an array');
    const count = headers.length;
    let size = varintSize(count);
    for (let i = 0; i < count; i++) {
      const header = headers[i]!;
      if (typeof header?.key !== 'string' || !(header.value instanceof Uint8Array)) {
        throw new LogError('OP_LOG_BAD_RECORD', 'a record header needs a string key and a Uint8Array value');
      }
      const keyLength = this.key(header.key).length;
      size += varintSize(keyLength) + keyLength + varintSize(header.value.length) + header.value.length;
    }
    if (this.used + size > this.arena.length) {
      this.arena = Buffer.allocUnsafeSlow(Math.max(ARENA_BYTES, size));
      this.used = 0;
    }
    const buf = this.arena;
    const start = this.used;
    let pos = writeVarint(buf, start, count);
    for (let i = 0; i < count; i++) {
      const header = headers[i]!;
      const key = this.key(header.key);
      pos = writeVarint(buf, pos, key.length);
      pos = copy(key, buf, pos);
      pos = writeVarint(buf, pos, header.value.length);
      pos = copy(header.value, buf, pos);
    }
    this.used = pos;
    return buf.subarray(start, pos);
  }

  private key(key: string): Buffer {
    let bytes = this.keyBytes.get(key);
    if (bytes === undefined) {
      bytes = Buffer.from(key, 'utf8');
      if (this.keyBytes.size < MAX_CACHED_KEYS) this.keyBytes.set(key, bytes);
    }
    return bytes;
  }
}

/** Copies `from` into `to` at `pos`; a JS loop beats a native call for the short runs headers hold. */
function copy(from: Uint8Array, to: Buffer, pos: number): number {
  const length = from.length;
  if (length > 32) {
    to.set(from, pos);
    return pos + length;
  }
  for (let i = 0; i < length; i++) to[pos + i] = from[i]!;
  return pos + length;
}

/** Encodes headers into a fresh buffer (NULL when there are none). */
export function encodeHeaders(headers: readonly RecordHeader[] | undefined): Buffer | null {
  const blob = new HeaderEncoder().encode(headers);
  return blob === null ? null : Buffer.from(blob);
}

/** Header keys seen by the decoder, to skip UTF-8 decoding of keys that repeat on every record. */
const decodedKeys: { bytes: Buffer; key: string }[] = [];
const MAX_DECODED_KEYS = 64;

function decodeKey(buf: Buffer, start: number, end: number): string {
  const length = end - start;
  search: for (const entry of decodedKeys) {
    const bytes = entry.bytes;
    if (bytes.length !== length) continue;
    for (let i = 0; i < length; i++) if (bytes[i] !== buf[start + i]) continue search;
    return entry.key;
  }
  const key = buf.toString('utf8', start, end);
  if (decodedKeys.length < MAX_DECODED_KEYS && length <= 64) {
    decodedKeys.push({ bytes: Buffer.from(buf.subarray(start, end)), key });
  }
  return key;
}

function corrupt(what: string): LogError {
  return new LogError('OP_LOG_STORAGE', `corrupt record headers: ${what}`);
}

export function decodeHeaders(blob: Uint8Array | null): readonly RecordHeader[] {
  if (blob === null || blob.length === 0) return NO_HEADERS;
  const buf = Buffer.isBuffer(blob) ? blob : Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const end = buf.length;
  let pos = 0;
  // Unsigned LEB128, inlined: headers are decoded once per fetched record.
  let count = 0;
  for (let scale = 1; ; scale *= 128) {
    if (pos >= end) throw corrupt('truncated count');
    const byte = buf[pos++]!;
    count += (byte & 0x7f) * scale;
    if (byte < 0x80) break;
  }
  const headers = new Array<RecordHeader>(count);
  for (let i = 0; i < count; i++) {
    let keyLength = 0;
    for (let scale = 1; ; scale *= 128) {
      if (pos >= end) throw corrupt('truncated key length');
      const byte = buf[pos++]!;
      keyLength += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
    }
    if (pos + keyLength > end) throw corrupt('key overruns');
    const key = decodeKey(buf, pos, pos + keyLength);
    pos += keyLength;
    let valueLength = 0;
    for (let scale = 1; ; scale *= 128) {
      if (pos >= end) throw corrupt('truncated value length');
      const byte = buf[pos++]!;
      valueLength += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
    }
    if (pos + valueLength > end) throw corrupt('value overruns');
    headers[i] = { key, value: buf.subarray(pos, pos + valueLength) };
    pos += valueLength;
  }
  return headers;
}
