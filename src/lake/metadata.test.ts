import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LakeError } from './errors.js';
import {
  ancestors,
  currentSchema,
  currentSnapshot,
  defaultSpec,
  metadataFileLocation,
  metadataFileVersion,
  newSnapshotId,
  newTableMetadata,
  snapshotAsOf,
  withMetadataLog,
  withoutSnapshots,
  withProperties,
  withSchema,
  withSnapshot,
} from './metadata.js';
import { addColumn } from './schema.js';
import type { Snapshot, TableMetadata } from './types.js';

const NOW = 1_700_000_000_000;

function newTable(): TableMetadata {
  return newTableMetadata({
    location: 's3://lake/bronze/orders/',
    schema: {
      fields: [
        { name: 'order_id', type: 'string', required: true },
        { name: 'order_date', type: 'date' },
        { name: 'amount', type: 'decimal(10, 2)', doc: 'in BRL' },
      ],
    },
    partitionSpec: [{ source: 'order_date', transform: 'day' }, { source: 'order_id', transform: 'bucket[8]' }],
    properties: { owner: 'orderpulse' },
    tableUuid: '9c12d441-03fe-4693-9a96-a0705ddf69c1',
    nowMs: NOW,
  });
}

function snapshot(id: number, seq: number, ts: number, parent?: number): Snapshot {
  return {
    'snapshot-id': BigInt(id),
    ...(parent === undefined ? {} : { 'parent-snapshot-id': BigInt(parent) }),
    'sequence-number': seq,
    'timestamp-ms': ts,
    'manifest-list': `s3://lake/bronze/orders/metadata/snap-${id}.avro`,
    summary: { operation: 'append' },
    'schema-id': 0,
  };
}

function expectCode(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof LakeError && e.code === code && (message === undefined || message.test(e.message)));
}

/** Three appends at NOW+1000, NOW+2000, NOW+3000. */
function withThreeSnapshots(): TableMetadata {
  let meta = newTable();
  meta = withSnapshot(meta, snapshot(1, 1, NOW + 1000));
  meta = withSnapshot(meta, snapshot(2, 2, NOW + 2000, 1));
  return withSnapshot(meta, snapshot(3, 3, NOW + 3000, 2));
}

void describe('newTableMetadata', () => {
  void it('assigns column ids 1..n, partition field ids from 1000 and Java-style partition names', () => {
    const meta = newTable();
    assert.equal(meta['format-version'], 2);
    assert.equal(meta.location, 's3://lake/bronze/orders', 'no trailing slash');
    assert.deepEqual(
      currentSchema(meta).fields.map((f) => [f.id, f.name, f.required]),
      [
        [1, 'order_id', true],
        [2, 'order_date', false],
        [3, 'amount', false],
      ],
    );
    assert.equal(currentSchema(meta).fields[2]!.doc, 'in BRL');
    assert.equal(meta['last-column-id'], 3);
    assert.deepEqual(defaultSpec(meta), {
      'spec-id': 0,
      fields: [
        { name: 'order_date_day', transform: 'day', 'source-id': 2, 'field-id': 1000 },
        { name: 'order_id_bucket', transform: 'bucket[8]', 'source-id': 1, 'field-id': 1001 },
      ],
    });
    assert.equal(meta['last-partition-id'], 1001);
    assert.equal(meta['last-sequence-number'], 0);
    assert.equal(meta['last-updated-ms'], NOW);
    assert.equal(meta['current-snapshot-id'], null);
    assert.deepEqual(meta['sort-orders'], [{ 'order-id': 0, fields: [] }]);
    assert.deepEqual(meta.refs, {});
    assert.ok(Object.isFrozen(meta) && Object.isFrozen(meta.schemas[0]) && Object.isFrozen(meta.properties));
  });

  void it('keeps given ids, and uses 999 as last-partition-id when unpartitioned', () => {
    const meta = newTableMetadata({
      location: '/tmp/t',
      schema: { fields: [{ id: 7, name: 'a', required: false, type: 'int' }] },
      nowMs: NOW,
    });
    assert.equal(currentSchema(meta).fields[0]!.id, 7);
    assert.equal(meta['last-column-id'], 7);
    assert.equal(meta['last-partition-id'], 999);
    assert.match(meta['table-uuid'], /^[0-9a-f-]{36}$/);
  });

  void it('refuses bad partition specs', () => {
    const base = { location: '/tmp/t', schema: { fields: [{ name: 'a', type: 'string' as const }] }, nowMs: NOW };
    expectCode(() => newTableMetadata({ ...base, partitionSpec: [{ source: 'b', transform: 'identity' }] }), 'OP_LAKE_INVALID_ARGUMENT', /'b'/);
    expectCode(() => newTableMetadata({ ...base, partitionSpec: [{ source: 'a', transform: 'day' }] }), 'OP_LAKE_INVALID_ARGUMENT', /day/);
    expectCode(
      () => newTableMetadata({ ...base, partitionSpec: [{ source: 'a', transform: 'bucket[2]', name: 'a' }] }),
      'OP_LAKE_INVALID_ARGUMENT',
      /conflicts/,
    );
  });
});

void describe('withSnapshot', () => {
  void it('makes the snapshot current on main, logging it and raising the sequence number', () => {
    const base = newTable();
    const meta = withSnapshot(base, snapshot(11, 1, NOW + 5));
    assert.equal(meta['current-snapshot-id'], 11n);
    assert.equal(meta['last-sequence-number'], 1);
    assert.equal(meta['last-updated-ms'], NOW + 5);
    assert.deepEqual(meta['snapshot-log'], [{ 'timestamp-ms': NOW + 5, 'snapshot-id': 11n }]);
    assert.deepEqual(meta.refs, { main: { 'snapshot-id': 11n, type: 'branch' } });
    assert.equal(currentSnapshot(meta)?.['snapshot-id'], 11n);
    assert.equal(base.snapshots.length, 0, 'the base is untouched');
    assert.ok(Object.isFrozen(meta.snapshots));
  });

  void it('commits to another branch without changing the current snapshot', () => {
    const meta = withSnapshot(withSnapshot(newTable(), snapshot(1, 1, NOW)), snapshot(2, 2, NOW + 1, 1), { ref: 'audit', nowMs: NOW + 9 });
    assert.equal(meta['current-snapshot-id'], 1n);
    assert.equal(meta.refs.audit?.['snapshot-id'], 2n);
    assert.equal(meta['snapshot-log'].length, 1);
    assert.equal(meta['last-updated-ms'], NOW + 9);
  });

  void it('refuses duplicate ids, stale sequence numbers and unknown schemas', () => {
    const meta = withSnapshot(newTable(), snapshot(1, 1, NOW));
    expectCode(() => withSnapshot(meta, snapshot(1, 2, NOW, 1)), 'OP_LAKE_INVALID_ARGUMENT', /already exists/);
    expectCode(() => withSnapshot(meta, snapshot(2, 1, NOW, 1)), 'OP_LAKE_INVALID_ARGUMENT', /sequence number 1/);
    expectCode(() => withSnapshot(meta, { ...snapshot(2, 2, NOW, 1), 'schema-id': 5 }), 'OP_LAKE_INVALID_ARGUMENT', /schema 5/);
  });
});

void describe('time travel and lineage', () => {
  void it('finds snapshots by id, by time (snapshot-log, at or before) and the current one', () => {
    const meta = withThreeSnapshots();
    assert.equal(snapshotAsOf(meta)?.['snapshot-id'], 3n);
    assert.equal(snapshotAsOf(meta, { snapshotId: 2n })?.['snapshot-id'], 2n);
    assert.equal(snapshotAsOf(meta, { timestampMs: NOW + 2000 })?.['snapshot-id'], 2n);
    assert.equal(snapshotAsOf(meta, { timestampMs: NOW + 2999 })?.['snapshot-id'], 2n);
    assert.equal(snapshotAsOf(meta, { timestampMs: NOW + 10_000 })?.['snapshot-id'], 3n);
    expectCode(() => snapshotAsOf(meta, { timestampMs: NOW }), 'OP_LAKE_NO_SUCH_SNAPSHOT', /at or before/);
    expectCode(() => snapshotAsOf(meta, { snapshotId: 42n }), 'OP_LAKE_NO_SUCH_SNAPSHOT', /42/);
    assert.equal(snapshotAsOf(newTable()), null);
  });

  void it('walks ancestors newest first, stopping at an expired parent', () => {
    const meta = withThreeSnapshots();
    assert.deepEqual(
      ancestors(meta, 3n).map((s) => s['snapshot-id']),
      [3n, 2n, 1n],
    );
    const expired = withoutSnapshots(meta, [1n]);
    assert.deepEqual(
      ancestors(expired, 3n).map((s) => s['snapshot-id']),
      [3n, 2n],
    );
    expectCode(() => ancestors(meta, 9n), 'OP_LAKE_NO_SUCH_SNAPSHOT');
  });
});

void describe('withoutSnapshots', () => {
  void it('removes snapshots, their refs, and the snapshot-log up to the last removed entry', () => {
    let meta = withThreeSnapshots();
    meta = withSnapshot(meta, snapshot(4, 4, NOW + 4000, 3), { ref: 'old' });
    const expired = withoutSnapshots(meta, [2n, 4n], { nowMs: NOW + 9000 });
    assert.deepEqual(
      expired.snapshots.map((s) => s['snapshot-id']),
      [1n, 3n],
    );
    // Keeping (NOW+1000, 1) would claim snapshot 1 was current until NOW+3000.
    assert.deepEqual(expired['snapshot-log'], [{ 'timestamp-ms': NOW + 3000, 'snapshot-id': 3n }]);
    assert.equal(expired.refs.old, undefined, 'a ref to a removed snapshot goes');
    assert.equal(expired.refs.main?.['snapshot-id'], 3n);
    assert.equal(expired['last-updated-ms'], NOW + 9000);
    expectCode(() => snapshotAsOf(expired, { timestampMs: NOW + 1500 }), 'OP_LAKE_NO_SUCH_SNAPSHOT');
  });

  void it('never removes the current snapshot, and ignores unknown ids', () => {
    const meta = withThreeSnapshots();
    expectCode(() => withoutSnapshots(meta, [3n]), 'OP_LAKE_INVALID_ARGUMENT', /current snapshot/);
    assert.equal(withoutSnapshots(meta, [99n]).snapshots.length, 3);
  });
});

void describe('schema, properties and metadata log', () => {
  void it('adds a schema, making it current and raising last-column-id', () => {
    const meta = newTable();
    const next = withSchema(meta, addColumn(currentSchema(meta), 'channel', 'string', { lastColumnId: meta['last-column-id'] }));
    assert.equal(next['current-schema-id'], 1);
    assert.equal(next.schemas.length, 2);
    assert.equal(next['last-column-id'], 4);
    // Re-adding the same structure reuses the schema.
    const again = withSchema(next, { ...currentSchema(meta), 'schema-id': 7 });
    assert.equal(again['current-schema-id'], 0);
    assert.equal(again.schemas.length, 2);
  });

  void it('gives a schema whose id is taken by a different one the next free id', () => {
    const meta = newTable();
    const changed = addColumn(currentSchema(meta), 'x', 'int');
    const next = withSchema(meta, { ...changed, 'schema-id': 0 });
    assert.equal(next['current-schema-id'], 1);
  });

  void it('sets and removes properties', () => {
    const meta = withProperties(newTable(), { 'commit.retry.num-retries': '4' }, ['owner']);
    assert.deepEqual(meta.properties, { 'commit.retry.num-retries': '4' });
  });

  void it('logs previous metadata files, keeping write.metadata.previous-versions-max of them', () => {
    let meta = withProperties(newTable(), { 'write.metadata.previous-versions-max': '2' });
    for (let v = 0; v < 4; v++) meta = withMetadataLog(meta, `m${v}.json`, NOW + v);
    assert.deepEqual(
      meta['metadata-log'].map((e) => e['metadata-file']),
      ['m2.json', 'm3.json'],
    );
  });
});

void describe('ids and file names', () => {
  void it('names metadata files as Java does, and reads the version back', () => {
    const location = metadataFileLocation('s3://lake/t/', 3, '6b9c6d2f-0c8e-4a8e-9a53-3c7e0d6b2f11');
    assert.equal(location, 's3://lake/t/metadata/00003-6b9c6d2f-0c8e-4a8e-9a53-3c7e0d6b2f11.metadata.json');
    assert.equal(metadataFileVersion(location), 3);
    assert.equal(metadataFileVersion('/t/metadata/v12.metadata.json'), 12);
    assert.equal(metadataFileVersion('/t/metadata/snap-1.avro'), null);
    assert.match(metadataFileLocation('/t', 123456), /\/t\/metadata\/123456-[0-9a-f-]{36}\.metadata\.json$/);
  });

  void it('draws positive 63-bit snapshot ids, as Java does', () => {
    const ids = Array.from({ length: 200 }, () => newSnapshotId());
    for (const id of ids) assert.ok(id > 0n && id < 2n ** 63n, String(id));
    // A 63-bit draw is below 2^53 about once in 1024 tries: 200 draws all below would be a 53-bit draw.
    assert.ok(ids.some((id) => id > 2n ** 53n));
    assert.equal(new Set(ids).size, ids.length);
  });
});
