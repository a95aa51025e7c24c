import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { murmur2, toPositive } from './murmur2.js';
import { Partitioner, partitionFor } from './partitioner.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Kafka's own vectors (clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java, testMurmur2). */
const KAFKA_VECTORS: readonly [Uint8Array, number][] = [
  [bytes('21'), -973932308],
  [bytes('foobar'), -790332482],
  [bytes('a-little-bit-long-string'), -985981536],
  [bytes('a-little-bit-longer-string'), -1486304829],
  [bytes('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'), -58897971],
  [new Uint8Array([0x61, 0x62, 0x63]), 479470107],
];

void describe('murmur2', () => {
  void it("matches Kafka's Utils.murmur2 test vectors", () => {
    for (const [input, expected] of KAFKA_VECTORS) {
      assert.equal(murmur2(input), expected, Buffer.from(input).toString());
    }
  });

  void it('reads only the view it is given (a Buffer slice of a larger pool)', () => {
    const pool = Buffer.from('xxxxfoobaryyyy');
    assert.equal(murmur2(pool.subarray(4, 10)), -790332482);
  });

  void it('returns a signed 32-bit integer for every length, covering each tail size', () => {
    const data = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
    const seen = new Set<number>();
    for (let length = 0; length <= data.length; length++) {
      const h = murmur2(data.subarray(0, length));
      assert.equal(h, h | 0, `length ${length}`);
      seen.add(h);
    }
    assert.equal(seen.size, data.length + 1, 'different inputs, different hashes');
  });

  void it('toPositive clears the sign bit like Kafka (not Math.abs)', () => {
    assert.equal(toPositive(-1), 0x7fffffff);
    assert.equal(toPositive(-2147483648), 0);
    assert.equal(toPositive(123), 123);
    assert.equal(toPositive(-790332482), -790332482 & 0x7fffffff);
  });
});

void describe('partitionFor', () => {
  void it("is Kafka's default partitioner: toPositive(murmur2(key)) % partitions", () => {
    for (const [input, hash] of KAFKA_VECTORS) {
      for (const n of [1, 3, 4, 6, 12, 64]) {
        assert.equal(partitionFor(input, n), (hash & 0x7fffffff) % n);
      }
    }
  });

  void it('spreads order ids evenly over the partitions', () => {
    const partitions = 12;
    const keys = 120_000;
    const counts = new Array<number>(partitions).fill(0);
    for (let i = 0; i < keys; i++) {
      // Olist ids: 32 lowercase hex characters.
      const id = (i * 2654435761).toString(16).padStart(32, '0').slice(-32);
      const p = partitionFor(bytes(id), partitions);
      assert.ok(p >= 0 && p < partitions && Number.isInteger(p));
      counts[p]!++;
    }
    const expected = keys / partitions;
    const chiSquare = counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    // 11 degrees of freedom: the 99.9th percentile is 31.3.
    assert.ok(chiSquare < 31.3, `chi-square ${chiSquare.toFixed(1)} for counts ${counts.join(',')}`);
    for (const c of counts) assert.ok(Math.abs(c - expected) / expected < 0.05, `counts ${counts.join(',')}`);
  });
});

void describe('Partitioner', () => {
  void it('places keyed records with partitionFor and round-robins null keys per topic', () => {
    const partitioner = new Partitioner();
    assert.equal(partitioner.partition('t', bytes('foobar'), 7), partitionFor(bytes('foobar'), 7));
    assert.deepEqual(
      Array.from({ length: 7 }, () => partitioner.partition('a', null, 3)),
      [0, 1, 2, 0, 1, 2, 0],
    );
    assert.deepEqual(
      Array.from({ length: 3 }, () => partitioner.partition('b', null, 2)),
      [0, 1, 0],
    );
    assert.equal(partitioner.partition('a', null, 3), 1);
  });
});
