import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EventsError } from './errors.js';
import { canonicalSchema, parseSchema } from './registry-schema.js';

const invalid = (reason: RegExp) => (error: unknown) => {
  assert.ok(error instanceof EventsError);
  assert.equal(error.code, 'OP_EVENTS_INVALID_SCHEMA');
  assert.match(String(error.details['reason']), reason);
  return true;
};

void describe('canonicalSchema', () => {
  void test('ignores whitespace and attribute order', () => {
    const a = '{"type":"record","name":"Order","namespace":"olist","fields":[{"name":"id","type":"string","doc":"d"}]}';
    const b = `{
      "fields": [ { "doc": "d", "type": "string", "name": "id" } ],
      "namespace": "olist",
      "name": "Order", "type": "record" }`;
    assert.equal(canonicalSchema(a), canonicalSchema(b));
    assert.equal(canonicalSchema(a), '{"name":"olist.Order","type":"record","fields":[{"name":"id","type":"string","doc":"d"}]}');
  });

  void test('folds namespaces into full names, in definitions, references and aliases', () => {
    const split = { type: 'record', name: 'Order', namespace: 'olist', aliases: ['Purchase'], fields: [
      { name: 'a', type: { type: 'record', name: 'Item', fields: [{ name: 'p', type: 'long' }] } },
      { name: 'b', type: 'Item' },
    ] };
    const full = { type: 'record', name: 'olist.Order', aliases: ['olist.Purchase'], fields: [
      { name: 'a', type: { type: 'record', name: 'olist.Item', fields: [{ name: 'p', type: 'long' }] } },
      { name: 'b', type: 'olist.Item' },
    ] };
    assert.equal(canonicalSchema(JSON.stringify(split)), canonicalSchema(JSON.stringify(full)));
    assert.equal(
      canonicalSchema(JSON.stringify(split)),
      '{"name":"olist.Order","type":"record","fields":[{"name":"a","type":{"name":"olist.Item","type":"record","fields":[{"name":"p","type":"long"}]}},{"name":"b","type":"olist.Item"}],"aliases":["olist.Purchase"]}',
    );
  });

  void test('keeps a nested type in the null namespace there', () => {
    const text = JSON.stringify({ type: 'record', name: 'olist.Order', fields: [
      { name: 'x', type: { type: 'record', name: 'Bare', namespace: '', fields: [] } },
    ] });
    const canonical = canonicalSchema(text);
    assert.match(canonical, /"name":"Bare","namespace":""/);
    assert.equal(JSON.stringify(parseSchema(canonical).type.schema()), JSON.stringify(parseSchema(text).type.schema()));
    assert.match(JSON.stringify(parseSchema(canonical).type.schema()), /"name":"Bare"/);
  });

  void test('writes primitives without attributes as bare names, and drops the default sort order', () => {
    const a = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'x', type: { type: 'int' }, order: 'ascending' }] });
    const b = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'x', type: 'int' }] });
    assert.equal(canonicalSchema(a), canonicalSchema(b));
    const descending = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'x', type: 'int', order: 'descending' }] });
    assert.notEqual(canonicalSchema(descending), canonicalSchema(b));
  });

  void test('keeps logical types, docs, defaults and custom attributes (sorted), so they change identity', () => {
    const base = { type: 'record', name: 'R', fields: [{ name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } }] };
    const canonical = canonicalSchema(JSON.stringify(base));
    assert.match(canonical, /\{"type":"long","logicalType":"timestamp-millis"\}/);
    assert.notEqual(canonical, canonicalSchema(JSON.stringify({ ...base, doc: 'x' })));
    assert.notEqual(canonical, canonicalSchema(JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'at', type: 'long' }] })));
    const custom1 = JSON.stringify({ ...base, 'x-owner': { team: 'ops', area: 'delivery' }, connect: 1 });
    const custom2 = JSON.stringify({ connect: 1, 'x-owner': { area: 'delivery', team: 'ops' }, ...base });
    assert.equal(canonicalSchema(custom1), canonicalSchema(custom2));
    assert.match(canonicalSchema(custom1), /"connect":1,"x-owner":\{"area":"delivery","team":"ops"\}\}$/);
    const decimal = JSON.stringify({ type: 'bytes', scale: 2, logicalType: 'decimal', precision: 10 });
    assert.equal(canonicalSchema(decimal), '{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}');
  });

  void test('normalises default values: key order and number spelling', () => {
    const inner = { type: 'record', name: 'P', fields: [{ name: 'a', type: 'int' }, { name: 'b', type: 'double' }] };
    const a = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'p', type: inner, default: { a: 1, b: 2.0 } }] });
    const b = '{"type":"record","name":"R","fields":[{"name":"p","type":' + JSON.stringify(inner) + ',"default":{"b":2.00,"a":1}}]}';
    assert.equal(canonicalSchema(a), canonicalSchema(b));
  });

  void test('is idempotent and parses to an equal type', () => {
    const text = JSON.stringify({ type: 'record', name: 'Order', namespace: 'olist', doc: 'o', fields: [
      { name: 'id', type: 'string' },
      { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['A', 'B'], default: 'A' } },
      { name: 'hash', type: { type: 'fixed', name: 'Md5', size: 16 } },
      { name: 'lines', type: { type: 'array', items: { type: 'map', values: ['null', 'Status'] } } },
      { name: 'event', type: ['null', { type: 'record', name: 'Shipped', fields: [{ name: 'carrier', type: 'string' }] }], default: null },
    ] });
    const canonical = canonicalSchema(text);
    assert.equal(canonicalSchema(canonical), canonical);
    assert.ok(parseSchema(canonical).type.equals(parseSchema(text).type));
  });

  void test('refuses non-JSON and invalid Avro with OP_EVENTS_INVALID_SCHEMA saying why', () => {
    assert.throws(() => parseSchema('{"type": "record",'), invalid(/not JSON/));
    assert.throws(() => parseSchema('{"type": "recrod", "name": "R", "fields": []}'), invalid(/unknown type: "recrod"/));
    assert.throws(() => parseSchema('{"type": "record", "name": "R", "fields": [{"name": "x", "type": "Nope"}]}'), invalid(/undefined type name: Nope/));
    assert.throws(() => parseSchema('{"type": "enum", "name": "E", "symbols": ["A", "A"]}'), invalid(/duplicate/));
    assert.throws(() => parseSchema('null'), invalid(/invalid type: null/));
    assert.throws(() => parseSchema(42 as unknown as string, 'orders-value'), (error: unknown) => {
      assert.ok(error instanceof EventsError);
      assert.equal(error.details['subject'], 'orders-value');
      return true;
    });
  });

  void test('parses unions wrapped', () => {
    const { type } = parseSchema('["null", "string"]');
    assert.equal(type.typeName, 'union:wrapped');
  });
});
