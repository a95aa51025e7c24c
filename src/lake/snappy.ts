/**
 * Snappy compression (the raw format, as Parquet's SNAPPY codec stores a page): the uncompressed
 * length as a varint, then literals and back-references ("copies") of at most 64 bytes each.
 *
 * The compressor works on 64 KiB blocks, as the reference implementation does, so every copy's
 * offset fits in two bytes. In a block it hashes each 4-byte sequence, and a position whose
 * sequence was seen before in the block becomes a copy, extended as far as the bytes match. Where
 * nothing matches it skips ahead faster and faster (one byte more every 32 bytes without a match),
 * so incompressible data costs little. Every Parquet reader decodes it.
 */

const BLOCK = 1 << 16;
const HASH_BITS = 14;
const HASH_SHIFT = 32 - HASH_BITS;
// The last bytes of a block are always literal: a match needs 4 bytes to be found.
const MIN_TAIL = 4;

/** The most bytes `compress` can give for `length` bytes (the bound the reference implementation uses). */
export function maxCompressedLength(length: number): number {
  return 32 + length + Math.ceil(length / 6);
}

/** `input` in Snappy's raw format. */
export function snappyCompress(input: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(maxCompressedLength(input.length));
  let at = writeVarint(out, 0, input.length);
  // Positions of 4-byte sequences, absolute, plus one (0: never seen); one from an earlier block is ignored.
  const table = new Int32Array(1 << HASH_BITS);
  for (let start = 0; start < input.length; start += BLOCK) {
    at = compressBlock(input, start, Math.min(start + BLOCK, input.length), table, out, at);
  }
  return out.subarray(0, at);
}

function writeVarint(out: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  out[at++] = n;
  return at;
}

function read32(b: Uint8Array, i: number): number {
  return (b[i] as number) | ((b[i + 1] as number) << 8) | ((b[i + 2] as number) << 16) | ((b[i + 3] as number) << 24);
}

function hash(word: number): number {
  return Math.imul(word, 0x1e35a7bd) >>> HASH_SHIFT;
}

function compressBlock(input: Uint8Array, start: number, end: number, table: Int32Array, out: Buffer, at: number): number {
  let emitted = start;
  let i = start;
  const last = end - MIN_TAIL;
  let skip = 32;
  if (i > last) return literal(input, emitted, end, out, at);
  // The 4 bytes at i, as a signed 32-bit word. Moving one byte on shifts the next byte in rather
  // than reading four again: most positions of a page (ids, hashes) match nothing.
  let word = read32(input, i);
  for (;;) {
    const h = hash(word);
    const candidate = (table[h] as number) - 1;
    table[h] = i + 1;
    if (candidate < start || read32(input, candidate) !== word) {
      const step = skip++ >> 5;
      i += step;
      if (i > last) break;
      word = step === 1 ? (word >>> 8) | ((input[i + 3] as number) << 24) : read32(input, i);
      continue;
    }
    skip = 32;
    if (emitted < i) at = literal(input, emitted, i, out, at);
    let length = 4;
    while (i + length < end && input[i + length] === input[candidate + length]) length++;
    at = copy(i - candidate, length, out, at);
    i += length;
    emitted = i;
    if (i > last) break;
    // The position just before the next search: cheap, and it finds runs that follow a match.
    const before = read32(input, i - 1);
    table[hash(before)] = i;
    word = (before >>> 8) | ((input[i + 3] as number) << 24);
  }
  if (emitted < end) at = literal(input, emitted, end, out, at);
  return at;
}

function literal(input: Uint8Array, from: number, to: number, out: Buffer, at: number): number {
  const n = to - from - 1;
  if (n < 60) out[at++] = n << 2;
  else if (n < 0x100) {
    out[at++] = 60 << 2;
    out[at++] = n;
  } else if (n < 0x10000) {
    out[at++] = 61 << 2;
    out[at++] = n & 0xff;
    out[at++] = n >>> 8;
  } else if (n < 0x1000000) {
    out[at++] = 62 << 2;
    out[at++] = n & 0xff;
    out[at++] = (n >>> 8) & 0xff;
    out[at++] = n >>> 16;
  } else {
    out[at++] = 63 << 2;
    out[at++] = n & 0xff;
    out[at++] = (n >>> 8) & 0xff;
    out[at++] = (n >>> 16) & 0xff;
    out[at++] = n >>> 24;
  }
  // A short literal (most of them: the bytes between two matches) is copied byte by byte, cheaper
  // than a view and a native copy.
  if (to - from < 64) {
    for (let k = from; k < to; k++) out[at++] = input[k] as number;
    return at;
  }
  out.set(input.subarray(from, to), at);
  return at + (to - from);
}

/** A back-reference of any length, as copies of at most 64 bytes (offset < 65,536: within a block). */
function copy(offset: number, length: number, out: Uint8Array, at: number): number {
  // Keep the last piece at least 4 long, so it can take the 1-byte-offset form when it fits.
  while (length >= 68) {
    at = copyPiece(offset, 64, out, at);
    length -= 64;
  }
  if (length > 64) {
    at = copyPiece(offset, 60, out, at);
    length -= 60;
  }
  return copyPiece(offset, length, out, at);
}

function copyPiece(offset: number, length: number, out: Uint8Array, at: number): number {
  if (length >= 4 && length <= 11 && offset < 2048) {
    out[at++] = 1 | ((length - 4) << 2) | ((offset >>> 8) << 5);
    out[at++] = offset & 0xff;
    return at;
  }
  out[at++] = 2 | ((length - 1) << 2);
  out[at++] = offset & 0xff;
  out[at++] = offset >>> 8;
  return at;
}
