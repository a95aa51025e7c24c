import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createReadResolver } from './compatibility.js';
import { EventsError } from './errors.js';
import { parseSchema } from './registry-schema.js';
import {
  WIRE_HEADER_SIZE,
  decodeAvroBody,
  decodeWireFormat,
  encodeAvroWireFormat,
  encodeWireFormat,
  writeWireHeader,
} from './wire-format.js';

const schema = parseSchema(
  JSON.stringify({
    type: 'record',
    name: 'Order',
    namespace: 'olist',
    fields: [
      { name: 'orderId', type: 'string' },
      { name: 'totalCents', type: 'long' },
      { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['CREATED', 'SHIPPED'] } },
      { name: 'note', type: ['null', 'string'], default: null },
    ],
  }),
).type;
const value = { orderId: 'e481f51cbdc54678b7cc49136f2d6af7', totalCents: 3899, status: 'SHIPPED', note: { string: 'late' } };

function failsWith(code: string, message?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof EventsError, String(error));
    assert.equal(error.code, code);
    if (message) assert.match(error.message, message);
    return true;
  };
}

void describe('Confluent wire format', () => {
  void test('encodes magic byte 0, a 4-byte big-endian id, then the body', () => {
    const bytes = encodeWireFormat(0x01020304, Uint8Array.of(9, 8, 7));
    assert.deepEqual([...bytes], [0, 1, 2, 3, 4, 9, 8, 7]);
    assert.deepEqual([...encodeWireFormat(0xffffffff, new Uint8Array(0))], [0, 255, 255, 255, 255]);
  });

  void test('round-trips the id and body; the decoded body is a view, not a copy', () => {
    const body = schema.toBuffer(value);
    const bytes = encodeWireFormat(42, body);
    const decoded = decodeWireFormat(bytes);
    assert.equal(decoded.schemaId, 42);
    assert.deepEqual(decoded.body, body);
    assert.equal(decoded.body.buffer, bytes.buffer);
    assert.equal(decoded.body.byteOffset, bytes.byteOffset + WIRE_HEADER_SIZE);
    assert.deepEqual(decodeAvroBody(schema, decoded.body, { schemaId: 42 }), schema.fromBuffer(body));
  });

  void test('accepts a plain Uint8Array as well as a Buffer', () => {
    const bytes = new Uint8Array(encodeWireFormat(7, schema.toBuffer(value)));
    const decoded = decodeWireFormat(bytes);
    assert.equal(decoded.schemaId, 7);
    assert.equal((decodeAvroBody(schema, decoded.body) as { orderId: string }).orderId, value.orderId);
  });

  void test('writeWireHeader writes into a preallocated buffer so the body can be encoded behind it', () => {
    const target = Buffer.alloc(64);
    const start = writeWireHeader(target, 258, 10);
    assert.equal(start, 15);
    const end = schema.encode(value, target, start);
    const decoded = decodeWireFormat(target.subarray(10, end));
    assert.equal(decoded.schemaId, 258);
    assert.deepEqual(decodeAvroBody(schema, decoded.body), schema.fromBuffer(schema.toBuffer(value)));
    assert.throws(() => writeWireHeader(Buffer.alloc(4), 1), RangeError);
    assert.throws(() => writeWireHeader(Buffer.alloc(8), 1, 4), RangeError);
    assert.throws(() => writeWireHeader(Buffer.alloc(8), -1), RangeError);
    assert.throws(() => writeWireHeader(Buffer.alloc(8), 2 ** 32), RangeError);
    assert.throws(() => encodeWireFormat(1.5, Buffer.alloc(1)), RangeError);
  });

  void test('encodeAvroWireFormat equals header + toBuffer, grows past its scratch buffer, and refuses invalid values', () => {
    assert.deepEqual(encodeAvroWireFormat(schema, 5, value), encodeWireFormat(5, schema.toBuffer(value)));
    const big = { ...value, orderId: 'x'.repeat(100_000) };
    const bytes = encodeAvroWireFormat(schema, 6, big);
    assert.deepEqual(bytes, encodeWireFormat(6, schema.toBuffer(big)));
    // Results do not share the scratch buffer.
    const first = encodeAvroWireFormat(schema, 1, value);
    const copy = Buffer.from(first);
    encodeAvroWireFormat(schema, 2, { ...value, orderId: 'other' });
    assert.deepEqual(first, copy);
    assert.throws(() => encodeAvroWireFormat(schema, 1, { ...value, totalCents: 'lots' }), failsWith('OP_EVENTS_INVALID_VALUE', /schema id 1 \(olist\.Order\)/));
  });

  void test('refuses a short buffer with OP_EVENTS_BAD_WIRE_FORMAT', () => {
    for (const length of [0, 1, 4]) {
      assert.throws(() => decodeWireFormat(new Uint8Array(length)), failsWith('OP_EVENTS_BAD_WIRE_FORMAT', new RegExp(`${length} bytes, shorter than`)));
    }
    // Exactly a header: an empty body is the wire format's business, the body decoder's to refuse.
    assert.equal(decodeWireFormat(new Uint8Array(5)).body.length, 0);
  });

  void test('refuses a wrong magic byte with OP_EVENTS_BAD_WIRE_FORMAT', () => {
    const bytes = encodeWireFormat(1, schema.toBuffer(value));
    bytes[0] = 1;
    assert.throws(
      () => decodeWireFormat(bytes),
      (error: unknown) => {
        failsWith('OP_EVENTS_BAD_WIRE_FORMAT', /first byte is 1, not the magic byte 0/)(error);
        assert.equal((error as EventsError).details['magicByte'], 1);
        return true;
      },
    );
    // A plain JSON value is not the wire format either.
    assert.throws(() => decodeWireFormat(Buffer.from('{"orderId":"x"}')), failsWith('OP_EVENTS_BAD_WIRE_FORMAT'));
  });

  void test('refuses corrupted, truncated and trailing bytes with OP_EVENTS_CORRUPT_VALUE', () => {
    const body = schema.toBuffer(value);
    // Truncated: the value ends early.
    assert.throws(() => decodeAvroBody(schema, body.subarray(0, body.length - 3), { schemaId: 9 }), failsWith('OP_EVENTS_CORRUPT_VALUE', /schema id 9.*ends before/));
    assert.throws(() => decodeAvroBody(schema, new Uint8Array(0)), failsWith('OP_EVENTS_CORRUPT_VALUE'));
    // Trailing bytes.
    assert.throws(() => decodeAvroBody(schema, Buffer.concat([body, Buffer.of(0, 0)])), failsWith('OP_EVENTS_CORRUPT_VALUE', /2 trailing bytes/));
    // An enum index out of range.
    const badEnum = Buffer.from(body);
    const enumAt = 1 + 32 + 2; // string length varint, 32 chars, long 3899 (2 bytes)
    badEnum[enumAt] = 0x7e; // zig-zag 63: no such symbol
    assert.throws(() => decodeAvroBody(schema, badEnum), failsWith('OP_EVENTS_CORRUPT_VALUE'));
    // A union index out of range.
    const badUnion = Buffer.from(body);
    badUnion[enumAt + 1] = 0x08; // zig-zag 4: no such branch
    assert.throws(() => decodeAvroBody(schema, badUnion), failsWith('OP_EVENTS_CORRUPT_VALUE'));
    // A string length far beyond the buffer.
    const badLength = Buffer.from(body);
    badLength[0] = 0x7e;
    assert.throws(() => decodeAvroBody(schema, badLength), failsWith('OP_EVENTS_CORRUPT_VALUE'));
  });

  void test('decodes with a resolver from the writer schema', () => {
    const reader = parseSchema(
      JSON.stringify({
        type: 'record',
        name: 'Order',
        namespace: 'olist',
        fields: [
          { name: 'orderId', type: 'string' },
          { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['CREATED', 'SHIPPED', 'DELIVERED'] } },
          { name: 'carrier', type: ['null', 'string'], default: null },
        ],
      }),
    ).type;
    const resolver = createReadResolver(reader, schema);
    const decoded = decodeAvroBody(reader, decodeWireFormat(encodeAvroWireFormat(schema, 3, value)).body, { resolver }) as Record<string, unknown>;
    assert.equal(decoded['orderId'], value.orderId);
    assert.equal(decoded['status'], 'SHIPPED');
    assert.equal(decoded['carrier'], null);
    assert.equal(decoded['totalCents'], undefined);
  });
});
