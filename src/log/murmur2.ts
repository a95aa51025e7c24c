/**
 * Kafka's `Utils.murmur2`: 32-bit MurmurHash2 with Kafka's seed, byte for byte the same result as the
 * Java client, so a key lands on the same partition in the embedded log and on a Kafka cluster.
 * Java `int` arithmetic is reproduced with `Math.imul` and `| 0`; the result is a signed 32-bit int.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's `Utils.murmur2(byte[])`: a signed 32-bit hash. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const blocksEnd = length & ~3;
  for (let i = 0; i < blocksEnd; i += 4) {
    // Little-endian 4-byte block.
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The tail: Java's switch with fallthrough (3 → 2 → 1), written without fallthrough.
  const tail = length & 3;
  if (tail !== 0) {
    if (tail === 3) h ^= data[blocksEnd + 2]! << 16;
    if (tail >= 2) h ^= data[blocksEnd + 1]! << 8;
    h ^= data[blocksEnd]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's `Utils.toPositive`: clears the sign bit (not `Math.abs`, which fails on MIN_VALUE). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}
