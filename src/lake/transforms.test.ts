import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom, testSeed } from '../testing/fixtures.js';
import { LakeError } from './errors.js';
import {
  applyTransform,
  bindPartitionSpec,
  bucketHash,
  canTransform,
  defaultPartitionFieldName,
  hashLong,
  murmur3Hash32,
  parseTransform,
  partitionPath,
  partitionValues,
  transformResultType,
} from './transforms.js';
import type { PartitionSpec, Schema } from './types.js';

const SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'order_id', required: true, type: 'string' },
    { id: 2, name: 'order_date', required: false, type: 'date' },
    { id: 3, name: 'placed_at', required: false, type: 'timestamptz' },
    { id: 4, name: 'amount', required: false, type: 'decimal(9, 2)' },
    { id: 5, name: 'customer', required: false, type: 'long' },
    { id: 6, name: 'city', required: false, type: 'string' },
  ],
};

const SPEC: PartitionSpec = {
  'spec-id': 0,
  fields: [
    { 'source-id': 2, 'field-id': 1000, name: 'order_date_day', transform: 'day' },
    { 'source-id': 3, 'field-id': 1001, name: 'placed_at_hour', transform: 'hour' },
    { 'source-id': 1, 'field-id': 1002, name: 'order_id_bucket', transform: 'bucket[16]' },
    { 'source-id': 4, 'field-id': 1003, name: 'amount_trunc', transform: 'truncate[50]' },
    { 'source-id': 6, 'field-id': 1004, name: 'city', transform: 'identity' },
    { 'source-id': 2, 'field-id': 1005, name: 'order_date_month', transform: 'month' },
    { 'source-id': 3, 'field-id': 1006, name: 'placed_at_year', transform: 'year' },
    { 'source-id': 5, 'field-id': 1007, name: 'customer_null', transform: 'void' },
  ],
};

void describe('bucket hashing (Appendix B test values)', () => {
  const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);

  void it('matches the reference Murmur3 x86 32-bit on raw bytes', () => {
    assert.equal(murmur3Hash32(bytes(0, 1, 2, 3)), -188683207);
    assert.equal(murmur3Hash32(new TextEncoder().encode('iceberg')), 1210000089);
    assert.equal(murmur3Hash32(new Uint8Array(0)), 0);
  });

  void it('hashes every type the spec lists as its examples say', () => {
    assert.equal(bucketHash('int', 34), 2017239379);
    assert.equal(bucketHash('long', 34), 2017239379);
    assert.equal(bucketHash('long', 34n), 2017239379, 'bigint longs too');
    assert.equal(bucketHash('decimal(9, 2)', '14.20'), -500754589);
    assert.equal(bucketHash('date', '2017-11-16'), -653330422);
    assert.equal(bucketHash('time', '22:31:08'), -662762989);
    assert.equal(bucketHash('timestamp', Date.UTC(2017, 10, 16, 22, 31, 8)), -2047944441);
    // 2017-11-16T14:31:08-08:00 is the same instant.
    assert.equal(bucketHash('timestamptz', Date.parse('2017-11-16T14:31:08-08:00')), -2047944441);
    // The microsecond example cannot be a millisecond row value; hash its microseconds directly.
    assert.equal(hashLong(1510871468000001n), -1207196810);
    assert.equal(bucketHash('string', 'iceberg'), 1210000089);
    assert.equal(bucketHash('string', '34'), -427558391);
    assert.equal(bucketHash('uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7'), 1488055340);
    assert.equal(bucketHash('fixed[4]', bytes(0, 1, 2, 3)), -188683207);
    assert.equal(bucketHash('binary', bytes(0, 1, 2, 3)), -188683207);
  });

  void it('buckets as (hash & Integer.MAX_VALUE) % N', () => {
    assert.equal(applyTransform('bucket[16]', 'int', 34), (2017239379 & 0x7fffffff) % 16);
    assert.equal(applyTransform('bucket[100]', 'string', 'iceberg'), 1210000089 % 100);
    assert.equal(applyTransform('bucket[100]', 'date', '2017-11-16'), (-653330422 & 0x7fffffff) % 100);
    assert.equal(applyTransform('bucket[4]', 'string', null), null);
  });
});

void describe('truncate (spec examples)', () => {
  void it('truncates ints and longs towards negative infinity', () => {
    assert.equal(applyTransform('truncate[10]', 'int', 1), 0);
    assert.equal(applyTransform('truncate[10]', 'int', -1), -10);
    assert.equal(applyTransform('truncate[10]', 'long', -1n), -10);
    assert.equal(applyTransform('truncate[10]', 'long', 2n ** 60n + 7n), 1152921504606846980n, 'stays a bigint beyond 2^53');
  });

  void it('truncates decimals by the unscaled value', () => {
    assert.equal(applyTransform('truncate[50]', 'decimal(9, 2)', '10.65'), '10.50');
    assert.equal(applyTransform('truncate[50]', 'decimal(9, 2)', '-0.05'), '-0.50');
  });

  void it('truncates strings by code points and binary by bytes', () => {
    assert.equal(applyTransform('truncate[3]', 'string', 'iceberg'), 'ice');
    assert.equal(applyTransform('truncate[2]', 'string', '😀😀😀'), '😀😀', 'no split surrogate pair');
    assert.equal(applyTransform('truncate[3]', 'binary', new Uint8Array([1, 2, 3, 4, 5])), '010203');
  });
});

void describe('time transforms', () => {
  void it('finds the month of a timestamp as Date does, on month edges and at random', () => {
    const random = seededRandom(testSeed('month transform instants'));
    const byDate = (ms: number): number => {
      const d = new Date(ms);
      return (d.getUTCFullYear() - 1970) * 12 + d.getUTCMonth();
    };
    const cases: number[] = [0, -1, 1, 8.64e15, -8.64e15, 8.64e15 + 1, -8.64e15 - 1];
    for (let year = 1599; year <= 2401; year += year < 1605 || (year > 1895 && year < 1905) || (year > 1995 && year < 2105) || year > 2395 ? 1 : 50) {
      for (let month = 0; month < 12; month++) {
        const start = Date.UTC(year, month, 1);
        cases.push(start, start - 1, start + 1, Date.UTC(year, month, 29, 12));
      }
    }
    for (let i = 0; i < 20_000; i++) cases.push(Math.round((random() * 2 - 1) * 8.64e15));
    for (const ms of cases) {
      const expected = byDate(ms);
      const got = applyTransform('month', 'timestamptz', ms);
      if (Number.isNaN(expected)) assert.ok(Number.isNaN(got), `${ms}`);
      else assert.equal(got, expected, `${ms} (${new Date(ms).toISOString()})`);
    }
  });

  void it('counts years, months, days and hours from the epoch, flooring before it', () => {
    assert.equal(applyTransform('year', 'date', '2017-11-16'), 47);
    assert.equal(applyTransform('month', 'date', '2017-11-16'), 47 * 12 + 10);
    assert.equal(applyTransform('day', 'date', '2017-11-16'), 17486);
    assert.equal(applyTransform('day', 'date', '1969-12-31'), -1);
    assert.equal(applyTransform('month', 'date', '1969-12-31'), -1);
    assert.equal(applyTransform('year', 'date', '1969-12-31'), -1);
    const ts = Date.UTC(2017, 10, 16, 22, 31, 8);
    assert.equal(applyTransform('hour', 'timestamp', ts), Math.floor(ts / 3_600_000));
    assert.equal(applyTransform('day', 'timestamptz', ts), 17486);
    assert.equal(applyTransform('hour', 'timestamptz', -1), -1, '1969-12-31T23:59:59.999 is hour -1');
    assert.equal(applyTransform('day', 'timestamptz', -1), -1);
  });
});

void describe('transform types', () => {
  void it('gives result types as Java declares them (day: date)', () => {
    assert.equal(transformResultType('day', 'timestamptz'), 'date');
    assert.equal(transformResultType('hour', 'timestamp'), 'int');
    assert.equal(transformResultType('month', 'date'), 'int');
    assert.equal(transformResultType('year', 'date'), 'int');
    assert.equal(transformResultType('bucket[8]', 'string'), 'int');
    assert.equal(transformResultType('truncate[4]', 'decimal(9, 2)'), 'decimal(9, 2)');
    assert.equal(transformResultType('identity', 'uuid'), 'uuid');
    assert.equal(transformResultType('void', 'long'), 'long');
  });

  void it('refuses transforms a source type does not accept, and unknown transforms', () => {
    assert.equal(canTransform('hour', 'date'), false);
    assert.equal(canTransform('bucket[2]', 'double'), false);
    assert.equal(canTransform('truncate[2]', 'date'), false);
    assert.throws(() => transformResultType('day', 'string'), (e: unknown) => e instanceof LakeError && e.code === 'OP_LAKE_INVALID_ARGUMENT');
    assert.deepEqual(parseTransform('zorder'), { kind: 'unknown', text: 'zorder' });
    assert.deepEqual(parseTransform('bucket[0]'), { kind: 'unknown', text: 'bucket[0]' });
    assert.throws(() => applyTransform('zorder', 'int', 1), /unknown partition transform/);
  });

  void it("names partition fields as Java's PartitionSpec.Builder", () => {
    assert.equal(defaultPartitionFieldName('ts', 'day'), 'ts_day');
    assert.equal(defaultPartitionFieldName('id', 'bucket[16]'), 'id_bucket');
    assert.equal(defaultPartitionFieldName('name', 'truncate[4]'), 'name_trunc');
    assert.equal(defaultPartitionFieldName('x', 'void'), 'x_null');
    assert.equal(defaultPartitionFieldName('city', 'identity'), 'city');
  });
});

void describe('partitionValues and partitionPath', () => {
  const row = {
    order_id: 'iceberg',
    order_date: '2018-01-05',
    placed_at: Date.UTC(2018, 0, 5, 10, 30),
    amount: '10.65',
    customer: 7,
    city: 'São Paulo/SP',
  };

  void it('applies each field of the spec to its source column', () => {
    assert.deepEqual(partitionValues(SPEC, SCHEMA, row), {
      order_date_day: 17536,
      placed_at_hour: Math.floor(Date.UTC(2018, 0, 5, 10) / 3_600_000),
      order_id_bucket: 1210000089 % 16,
      amount_trunc: '10.50',
      city: 'São Paulo/SP',
      order_date_month: 48 * 12,
      placed_at_year: 48,
      customer_null: null,
    });
    assert.ok(Object.isFrozen(partitionValues(SPEC, SCHEMA, row)));
  });

  void it('maps missing and null source values to null', () => {
    const values = partitionValues(SPEC, SCHEMA, { order_id: 'x' });
    assert.equal(values.order_date_day, null);
    assert.equal(values.city, null);
  });

  void it("builds Java-style human paths, escaped like URLEncoder", () => {
    const values = partitionValues(SPEC, SCHEMA, row);
    assert.equal(
      partitionPath(SPEC, SCHEMA, values),
      'order_date_day=2018-01-05/placed_at_hour=2018-01-05-10/order_id_bucket=9/amount_trunc=10.50/' +
        'city=S%C3%A3o+Paulo%2FSP/order_date_month=2018-01/placed_at_year=2018/customer_null=null',
    );
    assert.equal(partitionPath({ 'spec-id': 0, fields: [] }, SCHEMA, {}), '');
  });

  void it('refuses a spec whose source column is not in the schema', () => {
    const spec: PartitionSpec = { 'spec-id': 1, fields: [{ 'source-id': 99, 'field-id': 1000, name: 'x', transform: 'identity' }] };
    assert.throws(() => bindPartitionSpec(spec, SCHEMA), /source column id 99/);
  });
});
