import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import avro from 'avsc';
import { canRead, checkCompatibility, createReadResolver } from './compatibility.js';
import { EventsError } from './errors.js';
import type { CompatibilityLevel } from './registry-types.js';
import { COMPATIBILITY_LEVELS } from './registry-types.js';
import { parseSchema } from './registry-schema.js';

type Field = Record<string, unknown>;
const record = (fields: readonly Field[], name = 'Order', namespace = 'olist'): string =>
  JSON.stringify({ type: 'record', name, namespace, fields });

const ID: Field = { name: 'orderId', type: 'string' };
const TOTAL: Field = { name: 'totalCents', type: 'long' };
const OPTIONAL_NOTE: Field = { name: 'note', type: ['null', 'string'], default: null };
const REQUIRED_NOTE: Field = { name: 'note', type: 'string' };

const v1 = record([ID, TOTAL]);

function compatible(level: CompatibilityLevel, next: string, existing: readonly string[]): boolean {
  return checkCompatibility(level, next, existing).compatible;
}

void describe('checkCompatibility', () => {
  void test('adding an optional field with a default is BACKWARD compatible', () => {
    assert.deepEqual(checkCompatibility('BACKWARD', record([ID, TOTAL, OPTIONAL_NOTE]), [v1]), {
      compatible: true,
      messages: [],
    });
  });

  void test('adding a field without a default is not BACKWARD compatible, and says which field', () => {
    const result = checkCompatibility('BACKWARD', record([ID, TOTAL, REQUIRED_NOTE]), [v1]);
    assert.equal(result.compatible, false);
    assert.equal(result.messages.length, 1);
    assert.match(result.messages[0] as string, /the new schema cannot read data written by the latest schema/);
    assert.match(result.messages[0] as string, /olist\.Order\.note: the reader's field has no default/);
  });

  void test('adding a field without a default is FORWARD compatible', () => {
    assert.ok(compatible('FORWARD', record([ID, TOTAL, REQUIRED_NOTE]), [v1]));
  });

  void test('removing a field is BACKWARD compatible, and FORWARD only when the old field had a default', () => {
    assert.ok(compatible('BACKWARD', record([ID]), [v1]));
    assert.ok(!compatible('FORWARD', record([ID]), [v1]));
    assert.ok(compatible('FORWARD', record([ID]), [record([ID, { ...TOTAL, default: 0 }])]));
  });

  void test('changing a field from string to int is incompatible both ways, naming the field and types', () => {
    const old = record([ID, { name: 'status', type: 'string' }]);
    const next = record([ID, { name: 'status', type: 'int' }]);
    const result = checkCompatibility('FULL', next, [old]);
    assert.equal(result.compatible, false);
    assert.deepEqual(result.messages, [
      'the new schema cannot read data written by the latest schema: olist.Order.status: "string" written cannot be read as "int"',
      'the latest schema cannot read data written by the new schema: olist.Order.status: "int" written cannot be read as "string"',
    ]);
  });

  void test('promotions: int to long is BACKWARD compatible, long to int is not', () => {
    const asInt = record([ID, { name: 'n', type: 'int' }]);
    const asLong = record([ID, { name: 'n', type: 'long' }]);
    assert.ok(compatible('BACKWARD', asLong, [asInt]));
    assert.ok(!compatible('BACKWARD', asInt, [asLong]));
    assert.ok(!compatible('FULL', asLong, [asInt]));
  });

  void test('adding a branch to a union is BACKWARD compatible but not FORWARD', () => {
    const old = record([ID, { name: 'v', type: ['null', 'string'], default: null }]);
    const next = record([ID, { name: 'v', type: ['null', 'string', 'long'], default: null }]);
    assert.ok(compatible('BACKWARD', next, [old]));
    const forward = checkCompatibility('FORWARD', next, [old]);
    assert.equal(forward.compatible, false);
    assert.match(forward.messages[0] as string, /olist\.Order\.v: "long" written matches no branch of the reader's union \["null", "string"\]/);
  });

  void test('a union of records (wrapped) gains a record branch compatibly', () => {
    const created = { type: 'record', name: 'Created', fields: [ID] };
    const shipped = { type: 'record', name: 'Shipped', fields: [ID, { name: 'carrier', type: 'string' }] };
    const old = record([{ name: 'event', type: [created] }], 'Envelope');
    const next = record([{ name: 'event', type: [created, shipped] }], 'Envelope');
    assert.ok(compatible('BACKWARD', next, [old]));
    assert.ok(!compatible('FORWARD', next, [old]));
    // A field inside a union branch: the path goes through the branch's record.
    const broken = record([{ name: 'event', type: [{ ...created, fields: [{ name: 'orderId', type: 'int' }] }, shipped] }], 'Envelope');
    const result = checkCompatibility('BACKWARD', broken, [next]);
    assert.equal(result.compatible, false);
    assert.match(result.messages.join('\n'), /olist\.Envelope\.event\.orderId: "string" written cannot be read as "int"/);
  });

  void test('enums: a new symbol is BACKWARD compatible; a removed one only with a reader default', () => {
    const e = (symbols: string[], extra: Record<string, unknown> = {}): string =>
      record([{ name: 'status', type: { type: 'enum', name: 'Status', symbols, ...extra } }]);
    assert.ok(compatible('BACKWARD', e(['CREATED', 'SHIPPED', 'DELIVERED']), [e(['CREATED', 'SHIPPED'])]));
    const removed = checkCompatibility('BACKWARD', e(['CREATED']), [e(['CREATED', 'SHIPPED'])]);
    assert.equal(removed.compatible, false);
    assert.match(removed.messages[0] as string, /enum olist\.Status: the reader has no symbol SHIPPED/);
    assert.ok(compatible('BACKWARD', e(['UNKNOWN', 'CREATED'], { default: 'UNKNOWN' }), [e(['CREATED', 'SHIPPED'])]));
  });

  void test('arrays and maps: the problem is named inside the items or values', () => {
    const items = (price: string): string =>
      record([{ name: 'items', type: { type: 'array', items: { type: 'record', name: 'Item', fields: [{ name: 'price', type: price }] } } }]);
    const result = checkCompatibility('BACKWARD', items('int'), [items('string')]);
    assert.match(result.messages[0] as string, /olist\.Order\.items\[\]\.price: "string" written cannot be read as "int"/);
    const map = (values: string): string => record([{ name: 'tags', type: { type: 'map', values } }]);
    assert.ok(compatible('BACKWARD', map('double'), [map('float')]));
    assert.match(checkCompatibility('BACKWARD', map('int'), [map('string')]).messages[0] as string, /olist\.Order\.tags\{\}: "string"/);
  });

  void test('a renamed record is incompatible unless the reader names the old name as an alias; namespaces are ignored', () => {
    const renamed = record([ID], 'Purchase');
    assert.match(checkCompatibility('BACKWARD', renamed, [v1]).messages[0] as string, /record names differ/);
    assert.ok(compatible('BACKWARD', JSON.stringify({ ...JSON.parse(renamed), aliases: ['Order'] }), [record([ID])]));
    assert.ok(compatible('FULL', record([ID, TOTAL], 'Order', 'other.namespace'), [v1]));
  });

  void test('a field renamed with an alias is BACKWARD compatible', () => {
    const renamed = record([ID, { name: 'amountCents', type: 'long', aliases: ['totalCents'] }]);
    assert.ok(compatible('BACKWARD', renamed, [v1]));
  });

  void test('transitive levels check every version, the others only the latest', () => {
    const first = record([ID, { name: 'amount', type: 'int' }]);
    const second = record([ID]);
    const third = record([ID, { name: 'amount', type: 'string', default: '' }]);
    assert.ok(compatible('BACKWARD', third, [first, second]));
    const result = checkCompatibility('BACKWARD_TRANSITIVE', third, [first, second]);
    assert.equal(result.compatible, false);
    assert.equal(result.messages.length, 1);
    assert.match(result.messages[0] as string, /data written by existing schema 1 of 2: olist\.Order\.amount/);
    assert.ok(!compatible('FULL_TRANSITIVE', third, [first, second]));
    assert.ok(compatible('FORWARD', record([ID, { name: 'extra', type: 'int' }]), [first, second]));
  });

  void test('labels name the existing schemas in messages', () => {
    const result = checkCompatibility('FORWARD', record([ID]), [v1], { labels: ['version 7'] });
    assert.match(result.messages[0] as string, /^version 7 cannot read data written by the new schema: olist\.Order\.totalCents/);
  });

  void test('NONE and an empty history are always compatible', () => {
    for (const level of COMPATIBILITY_LEVELS) assert.ok(compatible(level, record([{ name: 'x', type: 'int' }]), []));
    assert.ok(compatible('NONE', record([{ name: 'x', type: 'int' }]), [v1]));
  });

  void test('accepts parsed types as well as texts, and refuses invalid texts and levels', () => {
    assert.ok(checkCompatibility('BACKWARD', parseSchema(record([ID])).type, [parseSchema(v1).type]).compatible);
    assert.throws(() => checkCompatibility('BACKWARD', '{"type":', [v1]), (e: unknown) => e instanceof EventsError && e.code === 'OP_EVENTS_INVALID_SCHEMA');
    assert.throws(() => checkCompatibility('SIDEWAYS' as CompatibilityLevel, v1, [v1]), { code: 'OP_EVENTS_INVALID_COMPATIBILITY_LEVEL' });
  });

  void test('canRead and createReadResolver decode old data with a new schema', () => {
    const writer = parseSchema(v1).type;
    const reader = parseSchema(record([ID, OPTIONAL_NOTE], 'Order', 'elsewhere')).type;
    assert.deepEqual(canRead(reader, writer), { compatible: true, messages: [] });
    const bytes = writer.toBuffer({ orderId: 'o1', totalCents: 1250 });
    const value = reader.fromBuffer(bytes, createReadResolver(reader, writer)) as Record<string, unknown>;
    assert.equal(value['orderId'], 'o1');
    assert.equal(value['note'], null);
    assert.ok(avro.Type.isType(reader, 'record'));
  });
});
