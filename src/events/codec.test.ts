import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import avro from 'avsc';
import { loadOlist } from '../data/index.js';
import { openEmbeddedStore } from '../store/index.js';
import { sampleDir, tempDir } from '../testing/fixtures.js';
import type { MarketplaceEvent, ReviewAnswered } from './index.js';
import { EmbeddedSchemaRegistry, EventCodec, SCHEMA_DIR, TOPIC_OF, olistEvents } from './index.js';

describe('EventCodec', () => {
  const dir = tempDir();
  let registry: EmbeddedSchemaRegistry;
  let codec: EventCodec;
  let events: MarketplaceEvent[];

  before(async () => {
    registry = new EmbeddedSchemaRegistry(openEmbeddedStore(join(dir.path, 'store.db')));
    codec = await EventCodec.open(registry, { registerSchemas: true });
    events = olistEvents(await loadOlist(sampleDir));
  });
  after(async () => {
    await registry.close();
    dir.remove();
  });

  it('round-trips every event of the sample through the Confluent wire format', async () => {
    const ids = codec.schemaIds();
    for (const event of events) {
      const encoded = codec.encode(event);
      assert.equal(encoded.topic, TOPIC_OF[event.type]);
      assert.equal(encoded.value[0], 0, 'magic byte');
      assert.equal(encoded.value.readUInt32BE(1), ids.get(encoded.topic));
      assert.equal(encoded.timestamp, event.eventTime);
      const decoded = await codec.decode(encoded.value, { topic: encoded.topic });
      assert.deepEqual(decoded, event);
    }
  });

  it('registers one subject per topic, <topic>-value', async () => {
    assert.deepEqual([...(await registry.subjects())].sort(), [
      'customers-value',
      'orders-value',
      'products-value',
      'reviews-value',
      'sellers-value',
    ]);
  });

  it('decodes a value written with an older schema by Avro resolution', async () => {
    // An older producer whose reviews had no comment title: the field's default fills it in.
    const current = JSON.parse(readFileSync(join(SCHEMA_DIR, 'reviews-v1.avsc'), 'utf8')) as {
      fields: { name: string; type: unknown }[];
    };
    const payload = current.fields.find((f) => f.name === 'payload') as { type: { fields: { name: string }[] }[] };
    const branch = payload.type[0] as { fields: { name: string }[] };
    branch.fields = branch.fields.filter((f) => f.name !== 'comment_title');
    const olderText = JSON.stringify(current);
    const olderId = await registry.register('reviews-older-producer-value', olderText);
    const older = avro.Type.forSchema(JSON.parse(olderText) as avro.Schema, { wrapUnions: true });
    const body = older.toBuffer({
      event_id: 'e'.repeat(32),
      order_id: 'a'.repeat(32),
      event_time: 1_500_000_000_000,
      payload: {
        'orderpulse.events.ReviewAnswered': {
          review_id: 'b'.repeat(32),
          score: 2,
          comment_message: { string: 'atrasou' },
          created_date: 17_000,
        },
      },
    });
    const value = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), body]);
    value.writeUInt32BE(olderId, 1);
    const event = (await codec.decode(value, { topic: 'reviews' })) as ReviewAnswered;
    assert.equal(event.type, 'ReviewAnswered');
    assert.equal(event.commentTitle, null);
    assert.equal(event.commentMessage, 'atrasou');
    assert.equal(event.score, 2);
  });

  it('names topic, partition and offset when a value has an unknown schema id', async () => {
    const value = Buffer.from(codec.encode(events[0] as MarketplaceEvent).value);
    value.writeUInt32BE(987_654, 1);
    await assert.rejects(codec.decode(value, { topic: TOPIC_OF[(events[0] as MarketplaceEvent).type], partition: 3, offset: 42 }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'OP_EVENTS_UNKNOWN_SCHEMA_ID');
      assert.match(e.message, /partition 3 offset 42/);
      assert.match(e.message, /987654/);
      return true;
    });
  });

  it('refuses corrupted bytes and a wrong magic byte with clear errors', async () => {
    const placed = events.find((e) => e.type === 'OrderPlaced') as MarketplaceEvent;
    const good = codec.encode(placed).value;
    const truncated = good.subarray(0, good.length - 7);
    await assert.rejects(codec.decode(truncated, { topic: 'orders', partition: 0, offset: 7 }), {
      code: 'OP_EVENTS_CORRUPT_VALUE',
    });
    const trailing = Buffer.concat([good, Buffer.from([1, 2, 3])]);
    await assert.rejects(codec.decode(trailing, { topic: 'orders' }), { code: 'OP_EVENTS_CORRUPT_VALUE' });
    const wrongMagic = Buffer.from(good);
    wrongMagic[0] = 7;
    await assert.rejects(codec.decode(wrongMagic, { topic: 'orders', offset: 1 }), { code: 'OP_EVENTS_BAD_WIRE_FORMAT' });
    await assert.rejects(codec.decode(Buffer.from([0, 0]), { topic: 'orders' }), { code: 'OP_EVENTS_BAD_WIRE_FORMAT' });
  });

  it('decodeKnown decodes at once when the writer schema is known, and gives undefined until it is', async () => {
    const review = events.find((e) => e.type === 'ReviewAnswered') as ReviewAnswered;
    const current = codec.encode(review).value;
    // A plain Uint8Array over a larger buffer, as a log may hand out: read in place, not from byte 0 of the buffer.
    const padded = new Uint8Array(current.length + 10);
    padded.set(current, 4);
    assert.deepEqual(codec.decodeKnown(padded.subarray(4, 4 + current.length), { topic: 'reviews' }), review);

    // The same event under a schema id this codec has not read with yet: the registry has it (the
    // same fields, another doc, so another id).
    const schema = JSON.parse(readFileSync(join(SCHEMA_DIR, 'reviews-v1.avsc'), 'utf8')) as { doc?: string };
    schema.doc = 'the same reviews, registered later by another producer';
    const otherId = await registry.register('reviews-known-later-value', JSON.stringify(schema));
    assert.notEqual(otherId, codec.schemaIds().get('reviews'));
    const other = Buffer.from(current);
    other.writeUInt32BE(otherId, 1);
    assert.equal(codec.decodeKnown(other, { topic: 'reviews' }), undefined);
    assert.deepEqual(await codec.decode(other, { topic: 'reviews' }), review);
    assert.deepEqual(codec.decodeKnown(other, { topic: 'reviews' }), review, 'known once decode has read its schema');

    // Faults are thrown at once, as decode rejects with them.
    assert.throws(() => codec.decodeKnown(current.subarray(0, current.length - 3), { topic: 'reviews', offset: 9 }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'OP_EVENTS_CORRUPT_VALUE');
      assert.match(e.message, /offset 9: value does not decode with schema id \d+: truncated buffer/);
      return true;
    });
    assert.throws(() => codec.decodeKnown(Buffer.concat([current, Buffer.from([0])]), { topic: 'reviews' }), /trailing data/);
    assert.throws(() => codec.decodeKnown(Buffer.from([1, 0, 0, 0, 1, 2]), { topic: 'reviews' }), { code: 'OP_EVENTS_BAD_WIRE_FORMAT' });
    assert.throws(() => codec.decodeKnown(current, { topic: 'payments' }), { code: 'OP_EVENTS_UNKNOWN_TOPIC' });
  });

  it('in lookup-only mode, refuses to start when a schema is not registered', async () => {
    const other = tempDir();
    const empty = new EmbeddedSchemaRegistry(openEmbeddedStore(join(other.path, 'store.db')));
    try {
      await assert.rejects(EventCodec.open(empty, { registerSchemas: false }), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'OP_EVENTS_SCHEMA_NOT_REGISTERED');
        assert.match(e.message, /orderpulse schemas register/);
        return true;
      });
    } finally {
      await empty.close();
      other.remove();
    }
  });
});
