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

export function decodeHeaders(blob: Uint8Array | null): readonly RecordHeader[] {
  if (blob === null || blob.length === 0) return NO_HEADERS;
  const buf = Buffer.isBuffer(blob) ? blob : Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  let pos = 0;
  const readVarint = (): number => {
    let n = 0;
    let scale = 1;
    for (;;) {
      if (pos >= buf.length) throw new LogError('OP_LOG_STORAGE', 'corrupt record headers: truncated varint');
      const byte = buf[pos++]!;
      n += (byte & 0x7f) * scale;
      if (byte < 0x80) return n;
      scale *= 128;
    }
  };
  const count = readVarint();
  const headers: RecordHeader[] = [];
  for (let i = 0; i < count; i++) {
    const keyLength = readVarint();
    if (pos + keyLength > buf.length) throw new LogError('OP_LOG_STORAGE', 'corrupt record headers: key overruns');
    const key = buf.toString('utf8', pos, pos + keyLength);
    pos += keyLength;
    const valueLength = readVarint();
    if (pos + valueLength > buf.length) throw new LogError('OP_LOG_STORAGE', 'corrupt record headers: value overruns');
    headers.push({ key, value: buf.subarray(pos, pos + valueLength) });
    pos += valueLength;
  }
  return headers;
}
