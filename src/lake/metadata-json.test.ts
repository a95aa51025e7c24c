import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { LakeError } from './errors.js';
import { newTableMetadata, withMetadataLog, withSnapshot } from './metadata.js';
import { parseExactJson } from './exact-json.js';
import { encodeTableMetadata, parseTableMetadata, serializeTableMetadata } from './metadata-json.js';
import type { TableMetadata } from './types.js';

const LOCATION = 's3://lake/bronze/orders/metadata/00002-6b9c6d2f-0c8e-4a8e-9a53-3c7e0d6b2f11.metadata.json';

/** The shape Java's TableMetadataParser writes (trimmed to what v2 requires plus common extras). */
const JAVA_V2 = {
  'format-version': 2,
  'table-uuid': '9c12d441-03fe-4693-9a96-a0705ddf69c1',
  location: 's3://lake/bronze/orders',
  'last-sequence-number': 2,
  'last-updated-ms': 1602638573590,
  'last-column-id': 5,
  'current-schema-id': 0,
  schemas: [
    {
      type: 'struct',
      'schema-id': 0,
      'identifier-field-ids': [1],
      fields: [
        { id: 1, name: 'order_id', required: true, type: 'string' },
        { id: 2, name: 'amount', required: false, type: 'decimal(10,2)', doc: 'in BRL' },
        {
          id: 3,
          name: 'tags',
          required: false,
          type: { type: 'map', 'key-id': 4, key: 'string', 'value-id': 5, value: 'long', 'value-required': false },
        },
      ],
    },
  ],
  'default-spec-id': 0,
  'partition-specs': [{ 'spec-id': 0, fields: [{ name: 'order_id_bucket', transform: 'bucket[16]', 'source-id': 1, 'field-id': 1000 }] }],
  'last-partition-id': 1000,
  'default-sort-order-id': 1,
  'sort-orders': [
    { 'order-id': 0, fields: [] },
    { 'order-id': 1, fields: [{ transform: 'identity', 'source-id': 2, direction: 'asc', 'null-order': 'nulls-first' }] },
  ],
  properties: { 'write.format.default': 'parquet' },
  'current-snapshot-id': 3055729675574597,
  refs: { main: { 'snapshot-id': 3055729675574597, type: 'branch' }, v1: { 'snapshot-id': 3051729675574597, type: 'tag', 'max-ref-age-ms': 86400000 } },
  snapshots: [
    {
      'snapshot-id': 3051729675574597,
      'timestamp-ms': 1515100955770,
      'sequence-number': 1,
      summary: { operation: 'append', 'added-data-files': '1' },
      'manifest-list': 's3://lake/bronze/orders/metadata/snap-3051729675574597-1-a.avro',
      'schema-id': 0,
    },
    {
      'snapshot-id': 3055729675574597,
      'parent-snapshot-id': 3051729675574597,
      'timestamp-ms': 1555100955770,
      'sequence-number': 2,
      summary: { operation: 'overwrite' },
      'manifest-list': 's3://lake/bronze/orders/metadata/snap-3055729675574597-1-b.avro',
      'schema-id': 0,
    },
  ],
  statistics: [],
  'partition-statistics': [],
  'snapshot-log': [
    { 'timestamp-ms': 1515100955770, 'snapshot-id': 3051729675574597 },
    { 'timestamp-ms': 1555100955770, 'snapshot-id': 3055729675574597 },
  ],
  'metadata-log': [{ 'timestamp-ms': 1515100, 'metadata-file': 's3://lake/bronze/orders/metadata/00001-x.metadata.json' }],
};

function corrupt(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof LakeError);
    assert.equal(e.code, 'OP_LAKE_CORRUPT_FILE');
    assert.ok(e.message.includes(LOCATION), 'names the file');
    assert.equal(e.details.location, LOCATION);
    assert.match(e.message, message);
    return true;
  });
}

const without = (key: string): Record<string, unknown> => Object.fromEntries(Object.entries(JAVA_V2).filter(([k]) => k !== key));

void describe('parseTableMetadata', () => {
  void it("reads Java's v2 metadata, nested types, refs and sort orders included", () => {
    const meta = parseTableMetadata(JSON.stringify(JAVA_V2), LOCATION);
    assert.equal(meta['table-uuid'], JAVA_V2['table-uuid']);
    assert.equal(meta['current-snapshot-id'], 3055729675574597n);
    assert.equal(meta.schemas[0]!.fields[1]!.type, 'decimal(10, 2)', 'respelled as Java writes it');
    assert.equal(meta.schemas[0]!.fields[1]!.doc, 'in BRL');
    assert.deepEqual(meta.schemas[0]!['identifier-field-ids'], [1]);
    assert.deepEqual(meta.schemas[0]!.fields[2]!.type, JAVA_V2.schemas[0]!.fields[2]!.type);
    assert.equal(meta.snapshots[1]!['parent-snapshot-id'], 3051729675574597n);
    assert.equal(meta.snapshots[0]!['parent-snapshot-id'], undefined);
    assert.deepEqual(meta.refs.v1, { 'snapshot-id': 3051729675574597n, type: 'tag', 'max-ref-age-ms': 86400000 });
    assert.equal(meta['sort-orders'][1]!.fields[0]!.direction, 'asc');
  });

  void it('round-trips through serializeTableMetadata', () => {
    const meta = parseTableMetadata(JSON.stringify(JAVA_V2), LOCATION);
    const again = parseTableMetadata(serializeTableMetadata(meta), LOCATION);
    assert.deepEqual(again, meta);
    const rest = Object.fromEntries(Object.entries(JAVA_V2).filter(([k]) => k !== 'statistics' && k !== 'partition-statistics'));
    const written = JSON.parse(serializeTableMetadata(meta)) as Record<string, unknown>;
    assert.deepEqual(written, {
      ...rest,
      schemas: [{ ...JAVA_V2.schemas[0], fields: JAVA_V2.schemas[0]!.fields.map((f) => (f.id === 2 ? { ...f, type: 'decimal(10, 2)' } : f)) }],
    });
  });

  void it('round-trips metadata built by the builder, pretty or not', () => {
    let meta: TableMetadata = newTableMetadata({
      location: '/tmp/t',
      schema: { fields: [{ name: 'a', type: 'long', required: true }] },
      partitionSpec: [{ source: 'a', transform: 'truncate[10]' }],
      nowMs: 1,
    });
    meta = withSnapshot(meta, {
      'snapshot-id': 5n,
      'sequence-number': 1,
      'timestamp-ms': 2,
      'manifest-list': '/tmp/t/metadata/snap-5.avro',
      summary: { operation: 'append' },
    });
    meta = withMetadataLog(meta, '/tmp/t/metadata/00000-a.metadata.json', 1);
    assert.deepEqual(parseTableMetadata(serializeTableMetadata(meta), LOCATION), meta);
    assert.deepEqual(parseTableMetadata(serializeTableMetadata(meta, { pretty: true }), LOCATION), meta);
  });

  /** The Java table with one more append, whose summary holds `note`. */
  const withNotedSnapshot = (meta: TableMetadata, note: string): TableMetadata =>
    withSnapshot(meta, {
      'snapshot-id': 8799175032378937617n,
      'parent-snapshot-id': meta['current-snapshot-id'] ?? undefined,
      'sequence-number': 3,
      'timestamp-ms': 1602638573999,
      'manifest-list': 's3://lake/bronze/orders/metadata/snap-8799175032378937617.avro',
      summary: { operation: 'append', 'orderpulse.note': note },
    });

  void it('writes each snapshot as before when its text is reused by later commits', () => {
    const meta = parseTableMetadata(JSON.stringify(JAVA_V2), LOCATION);
    const first = serializeTableMetadata(meta);
    assert.equal(serializeTableMetadata(meta), first, 'the second write, from remembered snapshot texts, is the same');
    assert.deepEqual(parseExactJson(first), parseExactJson(serializeTableMetadata(meta, { pretty: true })), 'the same document as written whole');
    const next = withNotedSnapshot(meta, 'a "quoted" ,"snapshots":[] text');
    assert.deepEqual(parseTableMetadata(serializeTableMetadata(next), LOCATION), next);
  });

  void it('encodes the file from remembered snapshot bytes exactly as the UTF-8 of its text', () => {
    const meta = parseTableMetadata(JSON.stringify(JAVA_V2), LOCATION);
    const next = withNotedSnapshot(meta, 'São Paulo → 東京, "quoted" ,"snapshots":[]');
    const noSnapshots = { ...meta, snapshots: [], 'snapshot-log': [], 'current-snapshot-id': null, refs: {} };
    for (const m of [meta, next, next, noSnapshots]) {
      const bytes = encodeTableMetadata(m);
      assert.deepEqual(Buffer.from(bytes), Buffer.from(serializeTableMetadata(m), 'utf8'), 'byte for byte (the second `next` from remembered bytes)');
      assert.deepEqual(parseTableMetadata(bytes, LOCATION), m);
    }
  });

  void it('writes -1 for no current snapshot (as Java) and reads -1, null or absent as none', () => {
    const empty = newTableMetadata({ location: '/tmp/t', schema: { fields: [{ name: 'a', type: 'int' }] }, nowMs: 1 });
    assert.equal((JSON.parse(serializeTableMetadata(empty)) as Record<string, unknown>)['current-snapshot-id'], -1);
    for (const current of [-1, null, undefined]) {
      const doc = { ...without('current-snapshot-id'), refs: {}, ...(current === undefined ? {} : { 'current-snapshot-id': current }) };
      assert.equal(parseTableMetadata(JSON.stringify(doc), LOCATION)['current-snapshot-id'], null);
    }
  });

  void it('derives the main branch from current-snapshot-id when refs is missing', () => {
    const meta = parseTableMetadata(JSON.stringify(without('refs')), LOCATION);
    assert.deepEqual(meta.refs, { main: { 'snapshot-id': 3055729675574597n, type: 'branch' } });
  });

  void it('reads gzip-compressed metadata given as bytes', () => {
    const meta = parseTableMetadata(gzipSync(JSON.stringify(JAVA_V2)), LOCATION);
    assert.equal(meta['last-sequence-number'], 2);
  });

  void it('reads simple v1 metadata with the v2 defaults of Appendix E', () => {
    const v1 = {
      'format-version': 1,
      'table-uuid': 'd20125c8-7284-442c-9aea-15fee620737c',
      location: 's3://lake/t',
      'last-updated-ms': 1602638573874,
      'last-column-id': 2,
      schema: { type: 'struct', fields: [{ id: 1, name: 'x', required: true, type: 'long' }, { id: 2, name: 'd', required: false, type: 'date' }] },
      'partition-spec': [{ name: 'd', transform: 'identity', 'source-id': 2 }],
      properties: {},
      'current-snapshot-id': 7,
      snapshots: [{ 'snapshot-id': 7, 'timestamp-ms': 1, 'manifest-list': 's3://lake/t/metadata/snap-7.avro' }],
    };
    const meta = parseTableMetadata(JSON.stringify(v1), LOCATION);
    assert.equal(meta['format-version'], 2);
    assert.equal(meta['last-sequence-number'], 0);
    assert.equal(meta.schemas[0]!['schema-id'], 0);
    assert.deepEqual(meta['partition-specs'], [{ 'spec-id': 0, fields: [{ name: 'd', transform: 'identity', 'source-id': 2, 'field-id': 1000 }] }]);
    assert.equal(meta['last-partition-id'], 1000);
    assert.equal(meta.snapshots[0]!['sequence-number'], 0);
    assert.deepEqual(meta.snapshots[0]!.summary, { operation: 'append' });
    assert.deepEqual(meta['sort-orders'], [{ 'order-id': 0, fields: [] }]);
    assert.deepEqual(meta.refs, { main: { 'snapshot-id': 7n, type: 'branch' } });
  });

  void it('refuses v1 snapshots without a manifest list, and format version 3', () => {
    const v1 = {
      'format-version': 1,
      'table-uuid': 'd20125c8-7284-442c-9aea-15fee620737c',
      location: 's3://lake/t',
      'last-updated-ms': 1,
      'last-column-id': 1,
      schema: { type: 'struct', fields: [{ id: 1, name: 'x', required: true, type: 'long' }] },
      'partition-spec': [],
      snapshots: [{ 'snapshot-id': 7, 'timestamp-ms': 1, manifests: ['s3://lake/t/metadata/m.avro'] }],
    };
    corrupt(() => parseTableMetadata(JSON.stringify(v1), LOCATION), /snapshots\[0\]\.manifests/);
    corrupt(() => parseTableMetadata(JSON.stringify({ ...JAVA_V2, 'format-version': 3 }), LOCATION), /format-version is 3/);
  });

  void it('names the file and the field for corrupt metadata', () => {
    corrupt(() => parseTableMetadata('{"format-version": 2,', LOCATION), /not a table metadata JSON file/);
    corrupt(() => parseTableMetadata('[]', LOCATION), /must be a JSON object/);
    corrupt(() => parseTableMetadata(JSON.stringify(without('table-uuid')), LOCATION), /table-uuid is missing/);
    corrupt(() => parseTableMetadata(JSON.stringify(without('last-sequence-number')), LOCATION), /last-sequence-number is missing/);
    corrupt(() => parseTableMetadata(JSON.stringify({ ...JAVA_V2, 'last-column-id': '5' }), LOCATION), /last-column-id must be an integer/);
    corrupt(() => parseTableMetadata(JSON.stringify({ ...JAVA_V2, 'current-schema-id': 9 }), LOCATION), /current-schema-id is 9/);
    corrupt(() => parseTableMetadata(JSON.stringify({ ...JAVA_V2, 'current-snapshot-id': 9 }), LOCATION), /current-snapshot-id is 9|refs\.main/);
    corrupt(
      () =>
        parseTableMetadata(
          JSON.stringify({ ...JAVA_V2, schemas: [{ ...JAVA_V2.schemas[0], fields: [{ id: 1, name: 'x', required: true, type: 'varchar' }] }] }),
          LOCATION,
        ),
      /schemas\[0\]\.fields\[0\]\.type has unknown or unsupported type "varchar"/,
    );
    corrupt(
      () => parseTableMetadata(JSON.stringify({ ...JAVA_V2, snapshots: [{ ...JAVA_V2.snapshots[0], summary: { operation: 'merge' } }] }), LOCATION),
      /snapshots\[0\]\.summary\.operation/,
    );
    corrupt(() => parseTableMetadata(JSON.stringify({ ...JAVA_V2, refs: { main: { 'snapshot-id': 1, type: 'branch' } } }), LOCATION), /refs\.main/);
    corrupt(() => parseTableMetadata(new Uint8Array([0xff, 0xfe, 0x00]), LOCATION), /not a table metadata JSON file/);
  });
});

void describe('serializeTableMetadata', () => {
  void it('writes 63-bit ids read from another engine back exactly', () => {
    const text = JSON.stringify(JAVA_V2).replaceAll('3055729675574597', '2849695781077048051').replaceAll('3051729675574597', '6420694025394109284');
    const meta = parseTableMetadata(text, LOCATION);
    assert.equal(meta['current-snapshot-id'], 2849695781077048051n);
    assert.equal(meta.snapshots[1]!['parent-snapshot-id'], 6420694025394109284n);
    const written = serializeTableMetadata(meta);
    assert.ok(written.includes('"current-snapshot-id":2849695781077048051'), written);
    assert.ok(written.includes('"parent-snapshot-id":6420694025394109284'));
    assert.equal(written.split('2849695781077048051').length - 1, 5, 'current, ref, snapshot, log; and the manifest-list path');
    // A commit on top: the new snapshot's parent is the 63-bit id, written exactly.
    const next = withSnapshot(meta, {
      'snapshot-id': 77n,
      'parent-snapshot-id': meta['current-snapshot-id'],
      'sequence-number': 3,
      'timestamp-ms': 1555100955771,
      'manifest-list': 's3://lake/bronze/orders/metadata/snap-77.avro',
      summary: { operation: 'append' },
    });
    assert.ok(serializeTableMetadata(next).includes('"parent-snapshot-id":2849695781077048051'));
  });

  void it('round-trips snapshot ids above 2^53 exactly, also two that one double would hold', () => {
    // 8799175032378937617 as a double is 8799175032378937344 (printed 8799175032378937000).
    const id = '8799175032378937617';
    const parent = '8799175032378937616';
    assert.equal(Number(id), Number(parent), 'the two ids are one double');
    const text = JSON.stringify(JAVA_V2).replaceAll('3055729675574597', id).replaceAll('3051729675574597', parent);
    const meta = parseTableMetadata(text, LOCATION);
    assert.equal(meta['current-snapshot-id'], 8799175032378937617n);
    assert.deepEqual(
      meta.snapshots.map((s) => [s['snapshot-id'], s['parent-snapshot-id']]),
      [
        [8799175032378937616n, undefined],
        [8799175032378937617n, 8799175032378937616n],
      ],
    );
    assert.deepEqual(meta.refs.v1?.['snapshot-id'], 8799175032378937616n);
    assert.deepEqual(meta['snapshot-log'].map((e) => e['snapshot-id']), [8799175032378937616n, 8799175032378937617n]);
    const written = serializeTableMetadata(meta, { pretty: true });
    assert.ok(written.includes(`"snapshot-id": ${id}`) && written.includes(`"parent-snapshot-id": ${parent}`), written);
    assert.deepEqual(parseTableMetadata(written, LOCATION), meta);
    // Byte for byte the same as the compact form JSON.stringify would give (for the safe ids).
    const safe = parseTableMetadata(JSON.stringify(JAVA_V2), LOCATION);
    assert.equal(serializeTableMetadata(safe, { pretty: true }), JSON.stringify(JSON.parse(serializeTableMetadata(safe)), null, 2));
  });

  void it('refuses a counter beyond 2^53 or an id beyond 64 bits as corrupt, naming the field', () => {
    const seq = JSON.stringify(JAVA_V2).replace('"last-sequence-number":2', '"last-sequence-number":9007199254740993');
    corrupt(() => parseTableMetadata(seq, LOCATION), /last-sequence-number is 9007199254740993, beyond/);
    const snapSeq = JSON.stringify(JAVA_V2).replace('"sequence-number":2', '"sequence-number":18446744073709551615');
    corrupt(() => parseTableMetadata(snapSeq, LOCATION), /snapshots\[1\]\.sequence-number is 18446744073709551615, beyond/);
    const wideId = JSON.stringify(JAVA_V2).replaceAll('3055729675574597', '9223372036854775808');
    corrupt(() => parseTableMetadata(wideId, LOCATION), /beyond a 64-bit long/);
    corrupt(() => parseTableMetadata(`${JSON.stringify(JAVA_V2)} x`, LOCATION), /not a table metadata JSON file/);
  });
});
