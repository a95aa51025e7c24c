import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogError } from './errors.js';
import type { BatchLimits, BatchLocation, BatchRecord } from './record-batch.js';
import { BATCH_LIMITS, decodeRecordBatch, encodeRecordBatch, RECORD_BATCH_FORMAT } from './record-batch.js';
import type { LogRecord } from './types.js';

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');
const at = (baseOffset: number, count: number): BatchLocation => ({
  topic: 'orders',
  partition: 3,
  baseOffset,
  lastOffset: baseOffset + count - 1,
});

/** Encodes all of `records` into one batch (failing if the encoder splits them) and decodes it whole. */
function roundTrip(records: readonly BatchRecord[], baseOffset = 0): LogRecord[] {
  const { blob, count } = encodeRecordBatch(records);
  assert.equal(count, records.length, 'one batch');
  const out: LogRecord[] = [];
  decodeRecordBatch(blob, at(baseOffset, count), baseOffset, Infinity, out);
  return out;
}

/** Splits `records` into batches with `limits`, returning each batch's record count. */
function split(records: readonly BatchRecord[], limits: BatchLimits): number[] {
  const counts: number[] = [];
  for (let start = 0; start < records.length; ) {
    const { count } = encodeRecordBatch(records, start, limits);
    counts.push(count);
    start += count;
  }
  return counts;
}

function corruptAt(offset: number): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof LogError, `expected a LogError, got ${String(error)}`);
    assert.equal(error.code, 'OP_LOG_STORAGE');
    assert.match(error.message, /corrupt record batch in topic "orders" partition 3 at offset \d+/);
    assert.equal(error.details?.topic, 'orders');
    assert.equal(error.details?.partition, 3);
    if (offset >= 0) assert.equal(error.details?.offset, offset, error.message);
    return true;
  };
}

const sample: BatchRecord[] = [
  { key: null, value: bytes('no key'), timestamp: 0 },
  {
    key: bytes('k'),
    value: bytes('with headers'),
    timestamp: 1_700_000_000_123,
    headers: [
      { key: 'schema-id', value: bytes('42') },
      { key: 'empty', value: new Uint8Array(0) },
      { key: 'ünïcode-ключ', value: new Uint8Array([0, 255, 128, 1]) },
      { key: 'schema-id', value: bytes('dup') },
    ],
  },
  { key: new Uint8Array(0), value: new Uint8Array(0), timestamp: 1_699_999_999_000, headers: [] },
  { key: bytes('big'), value: new Uint8Array(70_000).map((_, i) => i % 251), timestamp: -5 },
  { key: bytes('x'.repeat(200)), value: bytes('long key'), timestamp: Number.MAX_SAFE_INTEGER - 10 },
];

void describe('record batches', () => {
  void it('lays a batch out as documented', () => {
    const { blob, count } = encodeRecordBatch([
      { key: null, value: bytes('ab'), timestamp: 100 },
      { key: bytes('k'), value: bytes('c'), timestamp: 99, headers: [{ key: 'h', value: bytes('x') }] },
    ]);
    assert.equal(count, 2);
    assert.deepEqual(
      [...blob],
      [
        RECORD_BATCH_FORMAT,
        2, // records
        // record 0: timestamp delta 100 (zigzag 200: 0xc8 0x01), null key, value "ab", no headers
        0xc8, 0x01, 0, 2, 0x61, 0x62, 0,
        // record 1: timestamp delta -1 (zigzag 1), key "k", value "c", one header h=x
        1, 2, 0x6b, 1, 0x63, 1, 1, 0x68, 1, 0x78,
      ],
    );
  });

  void it('round-trips keys, values, headers and timestamps', () => {
    const decoded = roundTrip(sample, 40);
    assert.equal(decoded.length, sample.length);
    decoded.forEach((record, i) => {
      const sent = sample[i]!;
      assert.equal(record.topic, 'orders');
      assert.equal(record.partition, 3);
      assert.equal(record.offset, 40 + i);
      assert.equal(record.timestamp, sent.timestamp);
      assert.deepEqual(record.key === null ? null : [...record.key], sent.key === null ? null : [...sent.key]);
      assert.deepEqual([...record.value], [...sent.value]);
      assert.deepEqual(
        record.headers.map((h) => [h.key, [...h.value]]),
        (sent.headers ?? []).map((h) => [h.key, [...h.value]]),
      );
    });
    assert.equal(decoded[0]!.key, null);
    assert.equal(decoded[2]!.key?.length, 0);
  });

  void it('round-trips every timestamp a safe integer allows, splitting where a delta is not one', () => {
    const extremes = [
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_SAFE_INTEGER,
      0,
      -1,
      63,
      64,
      -64,
      -65,
      2 ** 40,
      Number.MAX_SAFE_INTEGER,
      -1,
      Number.MAX_SAFE_INTEGER - 1,
    ];
    const records = extremes.map((timestamp) => ({ key: null, value: new Uint8Array(1), timestamp }));
    // From MAX_SAFE to -MAX_SAFE, and from MAX_SAFE to -1 (-2^53), the delta is not a safe integer:
    // the batch closes in between.
    assert.deepEqual(split(records, BATCH_LIMITS), [1, 9, 2]);
    const out: LogRecord[] = [];
    for (let start = 0; start < records.length; ) {
      const { blob, count } = encodeRecordBatch(records, start);
      decodeRecordBatch(blob, at(start, count), 0, Infinity, out);
      start += count;
    }
    assert.deepEqual(
      out.map((r) => r.timestamp),
      extremes,
    );
  });

  void it('decodes from an offset inside the batch, at most maxRecords', () => {
    const records = Array.from({ length: 20 }, (_, i) => ({ key: bytes(`k${i}`), value: bytes(`v${i}`), timestamp: 1000 + i }));
    const { blob } = encodeRecordBatch(records);
    const read = (from: number, max: number): string[] => {
      const out: LogRecord[] = [];
      decodeRecordBatch(blob, at(100, 20), from, max, out);
      return out.map((r) => `${r.offset}:${r.value.toString()}:${r.timestamp}`);
    };
    assert.deepEqual(read(100, 3), ['100:v0:1000', '101:v1:1001', '102:v2:1002']);
    assert.deepEqual(read(117, 10), ['117:v17:1017', '118:v18:1018', '119:v19:1019']);
    assert.deepEqual(read(50, 1), ['100:v0:1000']);
    assert.deepEqual(read(119, 1), ['119:v19:1019']);
    assert.deepEqual(read(120, 5), []);
    assert.deepEqual(read(100, 0), []);
    // It appends to what `out` holds.
    const out: LogRecord[] = [];
    decodeRecordBatch(blob, at(100, 20), 118, 5, out);
    decodeRecordBatch(blob, at(100, 20), 100, 1, out);
    assert.deepEqual(
      out.map((r) => r.offset),
      [118, 119, 100],
    );
  });

  void it('returns views into the batch, not copies', () => {
    const { blob } = encodeRecordBatch([{ key: bytes('key'), value: bytes('value'), timestamp: 1 }]);
    const out: LogRecord[] = [];
    decodeRecordBatch(blob, at(0, 1), 0, 1, out);
    assert.equal(out[0]!.value.buffer, blob.buffer);
    assert.equal(out[0]!.key!.buffer, blob.buffer);
    // A plain Uint8Array holding a batch decodes too.
    const plain = new Uint8Array(blob);
    const again: LogRecord[] = [];
    decodeRecordBatch(plain, at(0, 1), 0, 1, again);
    assert.equal(Buffer.from(again[0]!.value).toString(), 'value');
  });

  void it('writes into a scratch buffer when the batch fits, into a new one otherwise', () => {
    const records = [{ key: null, value: bytes('0123456789'), timestamp: 1 }];
    const fresh = encodeRecordBatch(records).blob;
    const scratch = Buffer.alloc(64, 0xee);
    const inScratch = encodeRecordBatch(records, 0, BATCH_LIMITS, scratch).blob;
    assert.equal(inScratch.buffer, scratch.buffer);
    assert.equal(inScratch.byteOffset, scratch.byteOffset);
    assert.deepEqual(inScratch, fresh);
    assert.equal(scratch[fresh.length], 0xee, 'nothing written past the batch');
    const small = Buffer.alloc(fresh.length - 1);
    const outside = encodeRecordBatch(records, 0, BATCH_LIMITS, small).blob;
    assert.notEqual(outside.buffer, small.buffer);
    assert.deepEqual(outside, fresh);
  });

  void it('closes a batch at maxRecords or before it would pass maxBytes, keeping an oversized record alone', () => {
    const small = Array.from({ length: 10 }, (_, i) => ({ key: null, value: new Uint8Array(10), timestamp: i }));
    assert.deepEqual(split(small, { maxBytes: 1 << 20, maxRecords: 4 }), [4, 4, 2]);
    // Each record takes 14 bytes (1 timestamp + 1 key + 1 length + 10 value + 1 headers); a batch adds 2.
    assert.deepEqual(split(small, { maxBytes: 2 + 3 * 14, maxRecords: 100 }), [3, 3, 3, 1]);
    assert.deepEqual(split(small, { maxBytes: 2 + 3 * 14 - 1, maxRecords: 100 }), [2, 2, 2, 2, 2]);
    const mixed = [small[0]!, { key: null, value: new Uint8Array(100), timestamp: 1 }, small[2]!, small[3]!];
    assert.deepEqual(split(mixed, { maxBytes: 50, maxRecords: 100 }), [1, 1, 2]);
    for (const start of [0, 1, 2]) {
      const { blob, count } = encodeRecordBatch(mixed, start, { maxBytes: 50, maxRecords: 100 });
      assert.ok(blob.length <= 50 || count === 1, `batch from ${start}: ${blob.length} bytes, ${count} records`);
    }
    assert.ok(BATCH_LIMITS.maxBytes >= 64 * 1024 && BATCH_LIMITS.maxRecords >= 1000);
    assert.throws(() => encodeRecordBatch(small, 10), RangeError);
    assert.throws(() => encodeRecordBatch([], 0), RangeError);
  });

  void it('reports a truncated batch as OP_LOG_STORAGE, naming topic, partition and offset', () => {
    const { blob } = encodeRecordBatch(sample);
    for (let length = 0; length < blob.length; length += length < 300 ? 1 : 997) {
      assert.throws(
        () => decodeRecordBatch(blob.subarray(0, length), at(10, sample.length), 10, Infinity, []),
        corruptAt(-1),
        `truncated to ${length} bytes`,
      );
    }
    // Cut inside the big value of the fourth record: the error names its offset.
    assert.throws(() => decodeRecordBatch(blob.subarray(0, blob.length - 1000), at(10, 5), 10, Infinity, []), (error) => {
      corruptAt(13)(error);
      assert.match((error as Error).message, /value overruns the batch/);
      return true;
    });
    // A fetch that stops before the damage does not see it.
    const out: LogRecord[] = [];
    decodeRecordBatch(blob.subarray(0, blob.length - 1000), at(10, 5), 10, 2, out);
    assert.equal(out.length, 2);
  });

  void it('reports other damage: trailing bytes, counts, format, varints', () => {
    const { blob } = encodeRecordBatch([
      { key: bytes('a'), value: bytes('1'), timestamp: 5 },
      { key: bytes('b'), value: bytes('2'), timestamp: 6 },
    ]);
    const decode = (damaged: Buffer, count = 2): void => decodeRecordBatch(damaged, at(7, count), 0, Infinity, []);
    const expectCorrupt = (damaged: Buffer, offset: number, reason: RegExp, count = 2): void => {
      assert.throws(
        () => decode(damaged, count),
        (error) => corruptAt(offset)(error) && reason.test((error as Error).message),
      );
    };
    assert.doesNotThrow(() => decode(blob));
    expectCorrupt(Buffer.concat([blob, Buffer.from([0])]), 8, /bytes follow its last record/);
    expectCorrupt(blob, 7, /holds 2 records, its row says 3/, 3);
    expectCorrupt(blob, 7, /holds 2 records, its row says 1/, 1);
    const format = Buffer.from(blob);
    format[0] = 9;
    expectCorrupt(format, 7, /unknown batch format 9/);
    const lengthTooBig = Buffer.from(blob);
    lengthTooBig[3] = 0x7f; // the first key's length + 1
    expectCorrupt(lengthTooBig, 7, /key overruns the batch/);
    const endless = Buffer.concat([blob.subarray(0, 2), Buffer.alloc(12, 0xff), Buffer.from([1])]);
    expectCorrupt(endless, 7, /timestamp is not a valid varint/);
    const huge = Buffer.concat([blob.subarray(0, 2), Buffer.from([0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])]);
    expectCorrupt(huge, 7, /timestamp is out of range/);
  });
});
