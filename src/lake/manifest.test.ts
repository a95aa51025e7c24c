import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { deserializeValue, serializeValue } from './bounds.js';
import { LakeError } from './errors.js';
import {
  UNASSIGNED_SEQUENCE_NUMBER,
  crc32,
  inheritFrom,
  readAvroContainer,
  readManifest,
  readManifestFile,
  sanitizeAvroName,
  snappyDecompress,
  writeAvroContainer,
  writeManifest,
} from './manifest.js';
import type { AvroJson } from './manifest.js';
import { partitionValues } from './transforms.js';
import type { DataFile, ManifestEntry, ManifestFile, PartitionSpec, PartitionValues, Schema } from './types.js';

const SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 3,
  fields: [
    { id: 1, name: 'order_id', required: true, type: 'string' },
    { id: 2, name: 'order_date', required: false, type: 'date' },
    { id: 3, name: 'placed_at', required: false, type: 'timestamptz' },
    { id: 4, name: 'amount', required: false, type: 'decimal(10, 2)' },
    { id: 5, name: 'customer', required: false, type: 'uuid' },
    { id: 6, name: 'seq', required: false, type: 'long' },
    { id: 7, name: 'paid', required: false, type: 'boolean' },
    { id: 8, name: 'digest', required: false, type: 'fixed[2]' },
    { id: 9, name: 'score', required: false, type: 'double' },
    { id: 10, name: 'slot', required: false, type: 'time' },
    { id: 11, name: 'local_ts', required: false, type: 'timestamp' },
    { id: 12, name: 'fee', required: false, type: 'decimal(10, 2)' },
  ],
};

/** Every kind of partition value: time transforms, bucket, truncate, and identity of many types. */
const SPEC: PartitionSpec = {
  'spec-id': 2,
  fields: [
    { 'source-id': 2, 'field-id': 1000, name: 'order_date_day', transform: 'day' },
    { 'source-id': 1, 'field-id': 1001, name: 'order_id_bucket', transform: 'bucket[16]' },
    { 'source-id': 4, 'field-id': 1002, name: 'amount_trunc', transform: 'truncate[100]' },
    { 'source-id': 3, 'field-id': 1003, name: 'placed_at', transform: 'identity' },
    { 'source-id': 5, 'field-id': 1004, name: 'customer', transform: 'identity' },
    { 'source-id': 6, 'field-id': 1005, name: 'seq', transform: 'identity' },
    { 'source-id': 7, 'field-id': 1006, name: 'paid', transform: 'identity' },
    { 'source-id': 8, 'field-id': 1007, name: 'digest', transform: 'identity' },
    { 'source-id': 9, 'field-id': 1008, name: 'score', transform: 'identity' },
    { 'source-id': 10, 'field-id': 1009, name: 'slot', transform: 'identity' },
    { 'source-id': 2, 'field-id': 1010, name: 'order_date', transform: 'identity' },
    { 'source-id': 11, 'field-id': 1011, name: '1st local-ts', transform: 'hour' },
    { 'source-id': 12, 'field-id': 1012, name: 'fee', transform: 'identity' },
    { 'source-id': 1, 'field-id': 1013, name: 'order_id_null', transform: 'void' },
  ],
};

const SYNC = new Uint8Array(16).fill(7);
const LOCATION = 's3://lake/t/metadata/6b9c6d2f-m0.avro';

function dataFile(path: string, partition: PartitionValues, rows = 10): DataFile {
  return {
    content: 0,
    filePath: path,
    fileFormat: 'PARQUET',
    partition,
    recordCount: rows,
    fileSizeInBytes: 4096,
    columnSizes: new Map([[1, 100]]),
    valueCounts: new Map([
      [1, rows],
      [4, rows],
    ]),
    nullValueCounts: new Map([[4, 1]]),
    nanValueCounts: new Map([[9, 0]]),
    lowerBounds: new Map([
      [1, serializeValue('string', 'a')],
      [4, serializeValue('decimal(10, 2)', '-3.50')],
    ]),
    upperBounds: new Map([
      [1, serializeValue('string', 'z')],
      [4, serializeValue('decimal(10, 2)', '99.99')],
    ]),
    splitOffsets: [4],
    sortOrderId: 0,
  };
}

const ROW_A = {
  order_id: 'iceberg',
  order_date: '2018-01-05',
  placed_at: Date.UTC(2018, 0, 5, 10, 11, 12, 345),
  amount: '12.34',
  customer: 'f79c3e09-677c-4bbd-a479-3f349cb785e7',
  seq: 2n ** 60n,
  paid: true,
  digest: new Uint8Array([0xca, 0xfe]),
  score: -0.5,
  slot: '22:31:08.000001',
  local_ts: Date.UTC(1969, 11, 31, 23, 30),
  fee: '-0.05',
};
const ROW_B = { order_id: 'b', order_date: '1969-12-31', amount: '-250.00', score: Number.NaN, seq: -3 };

function added(path: string, row: Record<string, unknown>, rows = 10): ManifestEntry {
  return {
    status: 1,
    snapshotId: null,
    sequenceNumber: null,
    fileSequenceNumber: null,
    dataFile: dataFile(path, partitionValues(SPEC, SCHEMA, row), rows),
  };
}

const ENTRIES: ManifestEntry[] = [
  added('s3://lake/t/data/a.parquet', ROW_A, 10),
  added('s3://lake/t/data/b.parquet', ROW_B, 5),
  { ...added('s3://lake/t/data/old.parquet', ROW_B, 7), status: 0, snapshotId: 11n, sequenceNumber: 4, fileSequenceNumber: 4 },
  { ...added('s3://lake/t/data/gone.parquet', ROW_A, 3), status: 2, snapshotId: null, sequenceNumber: 2, fileSequenceNumber: 3 },
];

function write(entries: readonly ManifestEntry[] = ENTRIES): ReturnType<typeof writeManifest> {
  return writeManifest({ schema: SCHEMA, spec: SPEC, entries, snapshotId: 99n, manifestPath: LOCATION, syncMarker: SYNC });
}

type AvroObject = { [key: string]: AvroJson };
function fieldOf(record: AvroJson, name: string): AvroObject {
  assert.ok(typeof record === 'object' && record !== null && !Array.isArray(record));
  const field = (record.fields as AvroObject[]).find((f) => f.name === name);
  assert.ok(field, `field ${name}`);
  return field;
}
/** The non-null branch of a union. */
function typeOf(field: AvroObject): AvroObject {
  const t = Array.isArray(field.type) ? field.type.find((b) => b !== 'null') : field.type;
  assert.ok(typeof t === 'object' && t !== null && !Array.isArray(t));
  return t;
}

function expectCorrupt(fn: () => unknown, location: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof LakeError, String(e));
    assert.equal(e.code, 'OP_LAKE_CORRUPT_FILE');
    assert.ok(e.message.includes(location), `names the file: ${e.message}`);
    assert.equal(e.details.location, location);
    if (message) assert.match(e.message, message);
    return true;
  });
}

void describe('writeManifest / readManifest', () => {
  void it('round-trips entries, partition values of every kind included', () => {
    const { bytes } = write();
    const entries = readManifest(bytes, LOCATION);
    assert.equal(entries.length, 4);
    const expectedEntries: ManifestEntry[] = [
      { ...ENTRIES[0]!, snapshotId: 99n },
      { ...ENTRIES[1]!, snapshotId: 99n },
      ENTRIES[2]!,
      { ...ENTRIES[3]!, snapshotId: 99n },
    ];
    for (let i = 0; i < entries.length; i++) {
      const got = entries[i]!;
      const want = expectedEntries[i]!;
      assert.equal(got.status, want.status);
      assert.equal(got.snapshotId, want.snapshotId);
      assert.equal(got.sequenceNumber, want.sequenceNumber);
      assert.equal(got.fileSequenceNumber, want.fileSequenceNumber);
      const { partition, ...file } = got.dataFile;
      const { partition: wantPartition, ...wantFile } = want.dataFile;
      assert.deepEqual(file, { ...wantFile, splitOffsets: [4] });
      // NaN is not deepEqual to NaN in every position; compare through JSON-ish form.
      assert.deepEqual(
        Object.entries(partition).map(([k, v]) => [k, Number.isNaN(v) ? 'NaN' : v]),
        Object.entries(wantPartition).map(([k, v]) => [k, Number.isNaN(v) ? 'NaN' : v]),
      );
    }
    assert.deepEqual(entries[0]!.dataFile.partition, {
      order_date_day: 17536,
      order_id_bucket: 1210000089 % 16,
      amount_trunc: '12.00',
      // Identity timestamps come back as epoch milliseconds.
      placed_at: Date.UTC(2018, 0, 5, 10, 11, 12, 345),
      customer: 'f79c3e09-677c-4bbd-a479-3f349cb785e7',
      seq: 2n ** 60n,
      paid: true,
      digest: 'cafe',
      score: -0.5,
      slot: '22:31:08.000001',
      order_date: '2018-01-05',
      '1st local-ts': -1,
      fee: '-0.05',
      order_id_null: null,
    });
    assert.ok(Object.isFrozen(entries) && Object.isFrozen(entries[0]) && Object.isFrozen(entries[0]!.dataFile));
  });

  void it('writes the manifest_file counts and partition summaries', () => {
    const { manifestFile, bytes } = write();
    assert.equal(manifestFile.manifestPath, LOCATION);
    assert.equal(manifestFile.manifestLength, bytes.length);
    assert.equal(manifestFile.partitionSpecId, 2);
    assert.equal(manifestFile.content, 0);
    assert.equal(manifestFile.addedSnapshotId, 99n);
    assert.equal(manifestFile.sequenceNumber, UNASSIGNED_SEQUENCE_NUMBER);
    // The existing entry's explicit 4 is the lowest live data sequence number (the deleted 2 does not count).
    assert.equal(manifestFile.minSequenceNumber, 4);
    assert.deepEqual(
      [manifestFile.addedFilesCount, manifestFile.existingFilesCount, manifestFile.deletedFilesCount],
      [2, 1, 1],
    );
    assert.deepEqual([manifestFile.addedRowsCount, manifestFile.existingRowsCount, manifestFile.deletedRowsCount], [15, 7, 3]);
    const summaries = manifestFile.partitions!;
    assert.equal(summaries.length, SPEC.fields.length);
    const day = summaries[0]!;
    assert.equal(day.containsNull, false);
    assert.equal(deserializeValue('date', day.lowerBound!), '1969-12-31');
    assert.equal(deserializeValue('date', day.upperBound!), '2018-01-05');
    const trunc = summaries[2]!;
    assert.equal(deserializeValue('decimal(10, 2)', trunc.lowerBound!), '-250.00');
    assert.equal(deserializeValue('decimal(10, 2)', trunc.upperBound!), '12.00');
    const placedAt = summaries[3]!;
    assert.equal(placedAt.containsNull, true, 'ROW_B has no placed_at');
    const score = summaries[8]!;
    assert.equal(score.containsNan, true);
    assert.equal(deserializeValue('double', score.lowerBound!), -0.5, 'NaN is not a bound');
    const voided = summaries[13]!;
    assert.deepEqual(voided, { containsNull: true, containsNan: false, lowerBound: null, upperBound: null });
  });

  void it('keeps the spec\'s field ids in the Avro header, with Java\'s record names', () => {
    const container = readAvroContainer(write().bytes, LOCATION);
    const schema = container.schema;
    assert.ok(typeof schema === 'object' && schema !== null && !Array.isArray(schema));
    assert.equal(schema.name, 'manifest_entry');
    assert.deepEqual(
      (['status', 'snapshot_id', 'sequence_number', 'file_sequence_number', 'data_file'] as const).map((n) => fieldOf(schema, n)['field-id']),
      [0, 1, 3, 4, 2],
    );
    const dataFileField = fieldOf(schema, 'data_file');
    const r2 = typeOf(dataFileField);
    assert.equal(r2.name, 'r2');
    const ids = Object.fromEntries((r2.fields as AvroObject[]).map((f): [string, AvroJson | undefined] => [f.name as string, f['field-id']]));
    assert.deepEqual(ids, {
      content: 134,
      file_path: 100,
      file_format: 101,
      partition: 102,
      record_count: 103,
      file_size_in_bytes: 104,
      column_sizes: 108,
      value_counts: 109,
      null_value_counts: 110,
      nan_value_counts: 137,
      lower_bounds: 125,
      upper_bounds: 128,
      key_metadata: 131,
      split_offsets: 132,
      equality_ids: 135,
      sort_order_id: 140,
      referenced_data_file: 143,
    });
    // lower_bounds: map<126: int, 127: binary> as an array of k126_v127 records, logical type map.
    const lower = typeOf(fieldOf(r2, 'lower_bounds'));
    assert.equal(lower.type, 'array');
    assert.equal(lower.logicalType, 'map');
    const kv = lower.items as AvroObject;
    assert.equal(kv.name, 'k126_v127');
    assert.deepEqual(
      (kv.fields as AvroObject[]).map((f) => [f.name, f.type, f['field-id']]),
      [
        ['key', 'int', 126],
        ['value', 'bytes', 127],
      ],
    );
    assert.equal((typeOf(fieldOf(r2, 'column_sizes')).items as AvroObject).name, 'k117_v118');
    assert.equal(typeOf(fieldOf(r2, 'split_offsets'))['element-id'], 133);
    // The partition struct: r102, field ids from the spec, optional, Avro types of the result types.
    const r102 = fieldOf(r2, 'partition').type as AvroObject;
    assert.equal(r102.name, 'r102');
    const partitionFields = r102.fields as AvroObject[];
    assert.deepEqual(
      partitionFields.map((f) => f['field-id']),
      SPEC.fields.map((f) => f['field-id']),
    );
    assert.deepEqual(partitionFields[0], { name: 'order_date_day', type: ['null', { type: 'int', logicalType: 'date' }], default: null, 'field-id': 1000 });
    assert.deepEqual(typeOf(partitionFields[3]!), { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true });
    assert.deepEqual(typeOf(partitionFields[4]!), { type: 'fixed', size: 16, logicalType: 'uuid', name: 'uuid_fixed' });
    assert.deepEqual(typeOf(partitionFields[2]!), { type: 'fixed', size: 5, logicalType: 'decimal', precision: 10, scale: 2, name: 'decimal_10_2' });
    assert.deepEqual(partitionFields[12]!.type, ['null', 'decimal_10_2'], 'a named type is defined once, then referenced');
    assert.equal(partitionFields[11]!.name, '_1st_x20local_x2Dts', 'sanitized as Java does');
    assert.equal(partitionFields[11]!['iceberg-field-name'], '1st local-ts');
  });

  void it('writes the key-value metadata the spec requires', () => {
    const { metadata } = readAvroContainer(write().bytes, LOCATION);
    assert.equal(metadata.get('format-version'), '2');
    assert.equal(metadata.get('content'), 'data');
    assert.equal(metadata.get('schema-id'), '3');
    assert.equal(metadata.get('partition-spec-id'), '2');
    assert.equal(metadata.get('avro.codec'), 'deflate');
    assert.deepEqual(JSON.parse(metadata.get('partition-spec')!), SPEC.fields.map((f) => ({ name: f.name, transform: f.transform, 'source-id': f['source-id'], 'field-id': f['field-id'] })));
    assert.deepEqual(JSON.parse(metadata.get('schema')!), { type: 'struct', 'schema-id': 3, fields: SCHEMA.fields });
    const contents = readManifestFile(write().bytes, LOCATION);
    assert.equal(contents.formatVersion, 2);
    assert.equal(contents.content, 'data');
    assert.deepEqual(contents.partitionSpec, SPEC);
    assert.deepEqual(contents.schema, SCHEMA);
  });

  void it('writes uncompressed files too, and the same bytes for the same input', () => {
    const plain = writeManifest({ schema: SCHEMA, spec: SPEC, entries: ENTRIES, snapshotId: 99n, manifestPath: LOCATION, codec: 'null', syncMarker: SYNC });
    assert.equal(readManifest(plain.bytes, LOCATION).length, 4);
    assert.deepEqual(write().bytes, write().bytes);
  });

  void it('writes EXISTING entries it encoded before (a merge carries them on) with the bytes it would make afresh', () => {
    // Frozen EXISTING entries are the ones whose encoding is kept; the same entries unfrozen are encoded anew.
    const existing = (path: string, row: Record<string, unknown>, rows: number, seq: number): ManifestEntry =>
      Object.freeze({ ...added(path, row, rows), status: 0 as const, snapshotId: BigInt(40 + seq), sequenceNumber: seq, fileSequenceNumber: seq + 1 });
    const kept = [existing('s3://lake/t/data/e1.parquet', ROW_A, 4, 1), existing('s3://lake/t/data/e2.parquet', ROW_B, 9, 2), existing('s3://lake/t/data/e3.parquet', ROW_A, 2, 3)];
    const afresh = (entries: readonly ManifestEntry[]): Uint8Array => write(entries.map((e) => ({ ...e }))).bytes;
    const first = write([...kept, ENTRIES[0]!]);
    assert.deepEqual(first.bytes, afresh([...kept, ENTRIES[0]!]));
    // Again, in another order and with other entries beside them: each entry's own bytes, in place.
    const again = write([kept[2]!, ENTRIES[1]!, kept[0]!, kept[1]!]);
    assert.deepEqual(again.bytes, afresh([kept[2]!, ENTRIES[1]!, kept[0]!, kept[1]!]));
    assert.deepEqual(
      readManifest(again.bytes, LOCATION).map((e) => [e.dataFile.filePath, e.status, e.snapshotId, e.sequenceNumber, e.fileSequenceNumber, e.dataFile.recordCount]),
      [
        ['s3://lake/t/data/e3.parquet', 0, 43n, 3, 4, 2],
        ['s3://lake/t/data/b.parquet', 1, 99n, null, null, 5],
        ['s3://lake/t/data/e1.parquet', 0, 41n, 1, 2, 4],
        ['s3://lake/t/data/e2.parquet', 0, 42n, 2, 3, 9],
      ],
    );
  });

  void it('writes an unpartitioned manifest with an empty r102 and no summaries', () => {
    const spec: PartitionSpec = { 'spec-id': 0, fields: [] };
    const entry: ManifestEntry = { status: 1, snapshotId: null, sequenceNumber: null, fileSequenceNumber: null, dataFile: dataFile('s3://x/a.parquet', {}) };
    const written = writeManifest({ schema: SCHEMA, spec, entries: [entry], snapshotId: 1n, manifestPath: 'm.avro' });
    assert.deepEqual(written.manifestFile.partitions, []);
    assert.deepEqual(readManifest(written.bytes, 'm.avro')[0]!.dataFile.partition, {});
  });

  void it('refuses entries that break the inheritance rules, bad partitions, delete files and unsafe ids', () => {
    const invalid = (entries: ManifestEntry[], message: RegExp, snapshotId = 99n): void => {
      assert.throws(
        () => writeManifest({ schema: SCHEMA, spec: SPEC, entries, snapshotId, manifestPath: LOCATION }),
        (e: unknown) => e instanceof LakeError && e.code === 'OP_LAKE_INVALID_ARGUMENT' && message.test(e.message),
      );
    };
    const a = ENTRIES[0]!;
    invalid([{ ...a, fileSequenceNumber: 3 }], /fileSequenceNumber null/);
    invalid([{ ...a, status: 0, snapshotId: 1n, sequenceNumber: null, fileSequenceNumber: null }], /both sequence numbers/);
    invalid([{ ...a, status: 0, snapshotId: null, sequenceNumber: 1, fileSequenceNumber: 1 }], /keep its snapshot id/);
    invalid([{ ...a, dataFile: { ...a.dataFile, partition: { ...a.dataFile.partition, extra: 1 } } }], /'extra'/);
    invalid([{ ...a, dataFile: { ...a.dataFile, partition: { ...a.dataFile.partition, order_id_bucket: 'x' } } }], /order_id_bucket/);
    invalid([{ ...a, dataFile: { ...a.dataFile, content: 1 } }], /delete file/);
    invalid([a], /not a 64-bit long/, 2n ** 63n);
  });
});

void describe('inheritFrom', () => {
  const manifest: ManifestFile = {
    manifestPath: LOCATION,
    manifestLength: 1,
    partitionSpecId: 2,
    content: 0,
    sequenceNumber: 8,
    minSequenceNumber: 4,
    addedSnapshotId: 99n,
    addedFilesCount: 2,
    existingFilesCount: 1,
    deletedFilesCount: 1,
    addedRowsCount: 15,
    existingRowsCount: 7,
    deletedRowsCount: 3,
    partitions: null,
  };

  void it('fills null snapshot ids, and sequence numbers of added entries, from the manifest list entry', () => {
    const entries = inheritFrom(manifest, readManifest(write().bytes, LOCATION));
    assert.deepEqual(
      entries.map((e) => [e.status, e.snapshotId, e.sequenceNumber, e.fileSequenceNumber]),
      [
        [1, 99n, 8, 8],
        [1, 99n, 8, 8],
        [0, 11n, 4, 4],
        [2, 99n, 2, 3],
      ],
    );
  });

  void it('keeps an explicit data sequence number of an added entry', () => {
    const [entry] = inheritFrom(manifest, [{ ...ENTRIES[0]!, sequenceNumber: 5 }]);
    assert.equal(entry!.sequenceNumber, 5);
    assert.equal(entry!.fileSequenceNumber, 8);
  });

  void it('gives every entry sequence number 0 in a v1 manifest (sequence number 0)', () => {
    const [entry] = inheritFrom({ ...manifest, sequenceNumber: 0 }, [{ ...ENTRIES[2]!, sequenceNumber: null, fileSequenceNumber: null }]);
    assert.equal(entry!.sequenceNumber, 0);
  });
});

void describe('manifests written by other engines', () => {
  void it("reads Java's manifest (iceberg-core 1.9.2, a DELETED entry written by a delete commit)", () => {
    const bytes = gunzipSync(Buffer.from(JAVA_MANIFEST, 'base64'));
    const contents = readManifestFile(bytes, 'java-m0.avro');
    assert.equal(contents.formatVersion, 2);
    assert.deepEqual(
      contents.partitionSpec.fields.map((f) => f.transform),
      ['day', 'bucket[4]', 'truncate[100]', 'hour', 'identity'],
    );
    const [entry] = contents.entries;
    assert.equal(entry!.status, 2);
    // Java's 63-bit snapshot id 6420694025394109284, read rounded to a double.
    assert.equal(entry!.snapshotId, 6420694025394109284n);
    assert.deepEqual([entry!.sequenceNumber, entry!.fileSequenceNumber], [1, 1]);
    assert.equal(entry!.dataFile.filePath, '/tmp/icetest/tbl/data/x/f1.parquet');
    assert.equal(entry!.dataFile.fileFormat, 'PARQUET');
    assert.deepEqual(entry!.dataFile.partition, { order_date_day: 17536, order_id_bucket: 2, amount_trunc: '12.00', ts_hour: 420874, qty: 1 });
    assert.equal(entry!.dataFile.recordCount, 2);
    assert.equal(deserializeValue('decimal(10, 2)', entry!.dataFile.upperBounds.get(3)!), '12.50');
    assert.equal(deserializeValue('string', entry!.dataFile.lowerBounds.get(1)!), 'a');
    assert.deepEqual([...entry!.dataFile.valueCounts], [[1, 2], [2, 2]]);
  });

  void it("rewrites Java's entry into an OrderPulse manifest with its 63-bit snapshot id exact", () => {
    const java = readManifestFile(gunzipSync(Buffer.from(JAVA_MANIFEST, 'base64')), 'java-m0.avro');
    const existing: ManifestEntry = { ...java.entries[0]!, status: 0 };
    const written = writeManifest({ schema: java.schema, spec: java.partitionSpec, entries: [existing], snapshotId: 5n, manifestPath: 'ours.avro' });
    const [record] = readAvroContainer(written.bytes, 'ours.avro').records as { snapshot_id: unknown }[];
    assert.equal(record!.snapshot_id, 6420694025394109284n);
    assert.deepEqual(readManifest(written.bytes, 'ours.avro')[0], existing);
  });

  void it("reads PyIceberg's manifest (0.12, identity partitions, a long beyond 2^53)", () => {
    const bytes = gunzipSync(Buffer.from(PYICEBERG_MANIFEST, 'base64'));
    const [entry] = readManifest(bytes, 'py-m0.avro');
    assert.equal(entry!.status, 1);
    assert.deepEqual([entry!.sequenceNumber, entry!.fileSequenceNumber], [null, null], 'left to inherit');
    assert.deepEqual(entry!.dataFile.partition, { order_date: '1969-12-31', qty: 2n ** 60n });
    assert.deepEqual([...entry!.dataFile.columnSizes].length, 5);
    assert.equal(entry!.dataFile.sortOrderId, null);
  });

  void it('reads a v1 manifest with sequence numbers 0 and content 0', () => {
    const v1Schema: AvroJson = {
      type: 'record',
      name: 'manifest_entry',
      fields: [
        { name: 'status', type: 'int', 'field-id': 0 },
        { name: 'snapshot_id', type: 'long', 'field-id': 1 },
        {
          name: 'data_file',
          'field-id': 2,
          type: {
            type: 'record',
            name: 'r2',
            fields: [
              { name: 'file_path', type: 'string', 'field-id': 100 },
              { name: 'file_format', type: 'string', 'field-id': 101 },
              { name: 'partition', 'field-id': 102, type: { type: 'record', name: 'r102', fields: [{ name: 'd', type: ['null', { type: 'int', logicalType: 'date' }], 'field-id': 1000 }] } },
              { name: 'record_count', type: 'long', 'field-id': 103 },
              { name: 'file_size_in_bytes', type: 'long', 'field-id': 104 },
              { name: 'block_size_in_bytes', type: 'long', 'field-id': 105 },
            ],
          },
        },
      ],
    };
    const bytes = writeAvroContainer({
      schema: v1Schema,
      metadata: {
        schema: JSON.stringify({ type: 'struct', fields: [{ id: 1, name: 'd', required: false, type: 'date' }] }),
        'partition-spec': JSON.stringify([{ name: 'd', transform: 'identity', 'source-id': 1 }]),
        'format-version': '1',
      },
      records: [{ status: 1, snapshot_id: 5, data_file: { file_path: 'a.avro', file_format: 'avro', partition: { d: 17486 }, record_count: 3, file_size_in_bytes: 9, block_size_in_bytes: 67108864 } }],
    });
    const contents = readManifestFile(bytes, 'v1.avro');
    assert.equal(contents.formatVersion, 1);
    assert.deepEqual(contents.partitionSpec.fields[0]!['field-id'], 1000, 'numbered from 1000');
    const [entry] = contents.entries;
    assert.deepEqual([entry!.snapshotId, entry!.sequenceNumber, entry!.fileSequenceNumber], [5n, 0, 0]);
    assert.equal(entry!.dataFile.content, 0);
    assert.equal(entry!.dataFile.fileFormat, 'AVRO');
    assert.deepEqual(entry!.dataFile.partition, { d: '2017-11-16' });
    assert.equal(entry!.dataFile.columnSizes.size, 0);
  });
});

void describe('corrupt manifests', () => {
  void it('names the file for garbage, truncation and damaged blocks', () => {
    const good = write().bytes;
    expectCorrupt(() => readManifest(new TextEncoder().encode('hello world'), LOCATION), LOCATION, /Avro magic/);
    expectCorrupt(() => readManifest(new Uint8Array(0), LOCATION), LOCATION, /truncated/);
    expectCorrupt(() => readManifest(good.subarray(0, good.length - 20), LOCATION), LOCATION);
    const badSync = Uint8Array.from(good);
    badSync[badSync.length - 1] = badSync[badSync.length - 1]! ^ 0xff;
    expectCorrupt(() => readManifest(badSync, LOCATION), LOCATION, /sync marker/);
    const badBody = Uint8Array.from(good);
    badBody[badBody.length - 40] = badBody[badBody.length - 40]! ^ 0xff;
    expectCorrupt(() => readManifest(badBody, LOCATION), LOCATION);
  });

  void it('names the file for an Avro file that is not a manifest', () => {
    const other = writeAvroContainer({ schema: { type: 'record', name: 'x', fields: [{ name: 'a', type: 'int' }] }, metadata: {}, records: [{ a: 1 }] });
    expectCorrupt(() => readManifest(other, 'other.avro'), 'other.avro', /header "schema" is missing/);
    const noDataFile = writeAvroContainer({
      schema: { type: 'record', name: 'x', fields: [{ name: 'a', type: 'int', 'field-id': 0 }] },
      metadata: { schema: JSON.stringify({ type: 'struct', 'schema-id': 0, fields: [] }), 'partition-spec': '[]' },
      records: [{ a: 1 }],
    });
    expectCorrupt(() => readManifest(noDataFile, 'x.avro'), 'x.avro', /no data_file field/);
  });

  void it('refuses an unknown codec by name', () => {
    const good = write().bytes;
    const text = Buffer.from(good).toString('latin1').replace('deflate', 'brotli\0');
    expectCorrupt(() => readManifest(Buffer.from(text, 'latin1'), LOCATION), LOCATION);
  });
});

void describe('Avro container codecs', () => {
  void it('decompresses raw snappy: literals and overlapping copies', () => {
    // "abcabcabcabc": preamble 12, literal "abc", copy length 9 at offset 3 (overlapping).
    const stream = Uint8Array.from([0x0c, 0x08, 0x61, 0x62, 0x63, 0x15, 0x03]);
    assert.equal(Buffer.from(snappyDecompress(stream, 'x')).toString(), 'abcabcabcabc');
    expectCorrupt(() => snappyDecompress(Uint8Array.from([0x0c, 0x08, 0x61]), 'x'), 'x', /snappy/);
  });

  void it('reads a snappy container (block + big-endian CRC32 of the uncompressed bytes)', () => {
    const plain = writeAvroContainer({ schema: 'long', metadata: {}, records: [1, 2, 3], codec: 'null', syncMarker: SYNC });
    // Rebuild the file with codec "snappy": a literal-only snappy block is valid snappy.
    const schemaEnd = Buffer.from(plain).indexOf('null', 0, 'latin1');
    assert.ok(schemaEnd > 0);
    const block = Uint8Array.from([2, 4, 6]); // zigzag longs 1, 2, 3
    const snappy = Uint8Array.from([block.length, (block.length - 1) << 2, ...block]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(block));
    const body = Buffer.concat([snappy, crc]);
    const header = Buffer.concat([
      Buffer.from('Obj\x01', 'latin1'),
      Buffer.from([4]), // two metadata entries
      Buffer.from([22]), Buffer.from('avro.schema'), Buffer.from([12]), Buffer.from('"long"'),
      Buffer.from([20]), Buffer.from('avro.codec'), Buffer.from([12]), Buffer.from('snappy'),
      Buffer.from([0]),
      SYNC,
    ]);
    const file = Buffer.concat([header, Buffer.from([6, body.length * 2]), body, SYNC]);
    assert.deepEqual(readAvroContainer(file, 'snappy.avro').records, [1, 2, 3]);
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926, 'the standard CRC-32 check value');
  });

  void it('sanitizes Avro names as Java does', () => {
    assert.equal(sanitizeAvroName('order_date_day'), 'order_date_day');
    assert.equal(sanitizeAvroName('9lives'), '_9lives');
    assert.equal(sanitizeAvroName('a-b c'), 'a_x2Db_x20c');
  });
});

/** A manifest Java's iceberg-core 1.9.2 wrote (gzip + base64), for a table OrderPulse created. */
const JAVA_MANIFEST = [
  'H4sIAAAAAAACA7VZX2gcRRhvYxOLtEVtLX2IMC5GEtyW/XNNcofVSm2g0FaxrVRiWef25nJr9na3u3Op11iwD1FCqSAFjU8i/oH6IPWxbwpaKo',
  'Lgoz6Kvqgv4luenJm93Zndvd3cXk4IIdmd+f785vu++X7fvlh/Y+fDewKzhdrwi/FVCXc9JNWkAPsdE0uyFL45bDWkmiJLTQvZjUCqLa5K9Ikq',
  'Sw5s0/Wu30C+QZ7Jko8udywfkddEBpIFiZazJF2Tw61aamsDYpTY3IR2wHez19FePd4L227HwUX7kGm1oT2tKjLQZmIJlVgCDgp2Y6uNAgzbHr',
  '4abz0ab72MuwV7bZd6e+naQbjiu0dCGH97LgbYRyZxXIqFtaFjNYkyAznYp3IFqHtLiCW4Q83tibCY52xdeD7UxGitA72g5eLwSMINi5LTsW3y',
  'LzPtkkzAacKOjaUafS5KUkVJxD/kmMhwOu068oeQpgvSmpaNjO2LrAgiSWhAg8qN5eSC7Gt9gTVdByMGZgLZhmuSv0+ELwPgNgFuIUA11YByjK',
  'qVgXrMcwMLW64DGshGGAUkzo4R/6Bt4W70LHFMql5JA+JB3JLSmRIZcNo1IVNw4eVT4IqFW2DhHGDxhJJyFSUtt+n6bYhzJS+QNSBcA+i2GqCx',
  'KgPXN+kv4EGfHBROaRGDg6zAzPsBsFeV/ujz/Ce/uplgWE0eiu0uWSa0z4tloTCUlQQsUZ0y6h1zGeFs6FEtW8gTAQgLkEEqnWPmm9603kQCFL',
  '2iZKiKQSEJrKuI1ZWUb+EqssAjWFoBRZmopyUZkmCvaVv5rQl24sBouR1/KH/F/A1rXul6oigVUgqjuHspihpAkwjgjmcjOQxpCOowQA1A3tFk',
  'i+MLBB4yU4Eo+hdGm2H2rgOxBkdaz7JiQ9M4XBwAy4kzOiU6W7LIGRmWY9S7YTr3U3DexdBm0gBdTsVHy0XZYvabrt1pO0x6kB8+0PdZYlgYtY',
  'OCFFtW1TljRVXn++bZMurm3x1kp2DWCrQ7KOOluHqeHWcyYNvQC3ORoXEGehTr0ENgNQB2yQ9FiIFDD98KlqXCqJlP2xQe8GigqhKoNGUYqKpl',
  'oNKUbUDF3JVJJJl2p0FKN6DuAug0wFl4thg70Uj61hg1gJpKAdSGAFBTSwGoDQUgQ4oJB1FVyEdLFe8IBzojB0ufJ2Dp1SHA0ufLgKVXhwQrqo',
  '0krkLU4vIYLiyETxeLh+1eIVdsnUDXGE2czdI4mxsmzmbzoetTmbW5obBj/gLmbyFI2lHBmo7njRYkWs30YaqZVi0Fkj5cOWP+DgKSGO3EcKON',
  'MKRdQrbrCI2LtZ50TL/rsV6B7APRPlC33Xpx8CbYjkf6dsNtNgNUIvGjRCTdfptwhZ5cnUNyjorFsE5aAy67wCSxtYnIBOlaS1gUnnPSoFlu0M',
  'mIoZhumzRZVkBgYwaAUy9sYZsYxoHrE7Q4989pLkMMyFrA1hIdhSoqSqKzayKfssWGkWV6saYes4mVLZDHXcCcJIIbJEl7JGo6y6JmaLTCsBdl',
  '3RtuEUIEyfXRo28gtqHYbJ2lBn9CL64DjP6bLunm95GtNiEskyHlOryCfNrUj2mcRh2mbS7ZO6ZMWiYiJXmpNzn4TC85mlHkzNggZzBDDykabv',
  'CBTnKAUDzkyIxlsgR/IAF8KpMzJhhICp8sifHS3/ksqOkJl86N4mOCAiRHOjaIj0VR5H4Dg+JR2yADBK5BlfuPDgbTMegogevjxyQOEYY9JkVA',
  'KDNQGGioSIm9nD8myJORyB5F8Co1GSg5oKS0W86S9wGtqJScUW6bmHPd3OoUJc+JoxIUnStJF4oUOR9EVS5Z51rm5RyangNnHKW0HZJp9xJRa/',
  'ZPXCBYkxXx6N6/3LzwbdKFayVJNfehKufw57I+VHN90JRR+VDMdmOnVJ7q/YhtSc80Nd8zbfueZWho7IY+JxcwzpJe6PO5XujVUXixJT+M/dL4',
  'F5IUFSx7MrP5JzPHfapbDmRfTEp7JTI3bj5P+xRJK2t+fsroyijMFzkVjyp+iaXoU94lEBswAI/iavhFl6ZMW8FkW0GWmujxgyybyoGkD6fi5v',
  'EYTNGnoaybFa1LMqsc44r5VWxnRWjTU1Sq6KrvT6m4VPES7sue8oSnu7r/iUWRloP8TCZpz9/jRd+EfOgEtL9kbRt9EpCOyAzzSSv3wUcQFT5c',
  'rFxKClRLfPERpLFnxOZFsiUlUR/s24wgrPdIkFHZ+ruMsN9qkPC0cAqqo9nPMvt6vGY3PbodP37z+NqB1Zt3j/98Y+XOl39WxzbGTFj7Z+Wve0',
  '8vPfvTr9/d37Vrz5HNqbvjmx/9cHvq9vdTm1Onqpsz61Prm49tWu9cHV8/ufb57am3dr73/PVPvnri9N5bGxsXNw4dOnRxVjnzy+t7fp+8tVTf',
  '8dDXd+68PT1xcGICfHxjfeb9tU+/Xbt+/ebaH4++u+PEvQ+f+uDJVyaO7FyYmD5+4d/dr+7d/8Brj+x/8P4zExnz/gN+XGrjvyAAAA==',
].join('');

/** A manifest PyIceberg 0.12 wrote when appending to a table OrderPulse created. */
const PYICEBERG_MANIFEST = [
  'H4sIAAAAAAACA62Ya2wUVRTH6/KwEmx84CuQeDNo1DAlOzMtfSRgECQQ2qoFY0ypk7uzd+ml82LmTsvSLCAhKgQREz8oaBA+SQKJUfEDioIaQk',
  'kwio8PmGhMEEyI0aif1BDPvdOd3ZndLnTZZLPZmTvnf879nXPPvbNPZDbc1DLbN4aIhS/MGJNY3iVSt+QzLzCYJEs5SsysL3UPjEk0K3UrsmRj',
  'iz/heFni6XBPLrOh9nq49sjGgHoEHgcVUpBDUzVhmsWMlIwnrkqmOWz6ka0W2WLLCWxWZkcMamHzYSUtI/WRyRXaIgXml6wZtYjPsOWyzZObtk',
  'emG1m+ZGs6icmGRoOyFNJs5bZpGSSIzShw9FoFTLjPeQ4W5rnYY5RRx271XWK8nQLGvhN4Bmmd4FV8Hrin0yDFPGz7OcezwH0oKwKqxMpDL5Nq',
  'T0gp15LiEy0MSvEAwTqVnsdtMGsdIZ4PAyl1Dh7xnIWGA4loyZKcCe5bDMdmINkMseC7xXiIZO+SYoEh4GZAwJKMohJDMP/QP4Jawizwo1EROI',
  'IUR+YUiqAgozILG7v+kMNEScbMlJLZgGQHpsnHRfYG4QfEjAOTwSAfiktCaoltEN0OrAzxErJavbI5ahK9tnZbvdqcuM4dJATVkuD1pmAiiUmY',
  'WlsiCzwgx+BXK8AvCusDcZVuxHMvI8cz+BeCcoJJJ/ImaLiYDSUdpcvTXewtka8ex8C8MtHT/avQKGVDaMUaJKqMVNEPg6rwoNTyUNdsohVT4a',
  'uODJT3ySSbdJUKGUvmxXTWUwObayfuhq3hGhUkelzS25SWEL9VVPNg4pxQEeqTRT6IVypigWsSOcwbRhnskyyCMTZEUEQS8d4Tpxxi041wK0gE',
  'W7YuJ3p05L1PrDXk5FCo4CMaOhMrpsoipZuJTm09k2fEr3DUNrmjtQ7DplBFXIO7CTViPgzHDCxbeKlU76yZYOx5WOSJMmL5k9RU0c+wonToI4',
  'rSOVmhDROhlaie8nCUjljkI9gMiFRl/jGbzsJgobIKLexWK8ISvF7s8hSFdBDNIubAhwMVLHntUH9YqgwoLIhKlF0NRdkFKNX0DaDsmjpKNd1o',
  'lAKVDIVpmEEWGp8wRNjOoj7cF2fLR/RagJV0IwGrCges1g9YVeoArDYOsCApvIaUEzSxXROm1tFImFonwNS66oepdU4dptbVSJjFlg11GVKNun',
  'b4YByv6YzCnpkBtNkKtGp7Q+t0Ea/Tjhuo00W10VbdddSOxrEVrJBgFYcYuO7kEBu6Mam8m2o30E3Vrjogag1sp4JVNYgQu24RhvlBpyKAqgeq',
  'MNZaATxuG17eFacikEdFeZQxnUzidcg1KdOdXM4nVXqMen05JCYcp21WtNLK0hou/Jq01vAQGM7AIagYRyxEeAPC8ERep5VVprXXFeGiqUW4gn',
  'uEPPoo4CdPyGaWMOJZ1CbIc0ZRMULecKLfWfDJwiOjvzAB3fGAefTHSHxKbdV2SVHStUJctRzOqq5HfP6KDts0d4GEC/5uAm2Q+hOn19ixGw7d',
  'sRsWtmmO+EwHGQ/e7ZuOHPr2xDdHf7v9gVO3TuudfqktdWbay7uUvs/Tc144cODImbPbvB3PnTx2YP/rm349ebKlOXexf+Cx1Nczta92HtaWPW',
  'hvv23lm9uen3+xeXfPnJs7m376u/Dpli8un/v3hyv/4I9yTX+cWnt83Tt/vb/3s6Cfjhy8tCQffHdu2ei+9p7xZx8aP3PLYXL8rTvaT9+3gVnH',
  'rOErI0fPT+tf/efSjo3fr7x//viFnkNmb+/5p+b2Dq/b/eWeez4Z+HHHB/67o2zTe1t3z/796r0/X25e/fH6/3betfjOxQvGZuaX7pmxS17W9G',
  'Jq+mtNj44/s2Dhh29s33ripVmnX9l/8OysLYevjqaWv/rL3NnDfclp/w/eU6E+/xIAAA==',
].join('');
