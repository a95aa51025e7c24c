import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { deserializeValue, serializeValue } from './bounds.js';
import { LakeError } from './errors.js';
import { UNASSIGNED_SEQUENCE_NUMBER, readAvroContainer, writeAvroContainer } from './manifest.js';
import type { AvroJson } from './manifest.js';
import { assignSequenceNumbers, readManifestList, readManifestListFile, writeManifestList } from './manifest-list.js';
import type { ManifestFile } from './types.js';

const LOCATION = 's3://lake/t/metadata/snap-42-1-6b9c6d2f.avro';

/** Written by snapshot 42 in this commit: sequence numbers still unassigned. */
const NEW_MANIFEST: ManifestFile = {
  manifestPath: 's3://lake/t/metadata/new-m0.avro',
  manifestLength: 5120,
  partitionSpecId: 0,
  content: 0,
  sequenceNumber: UNASSIGNED_SEQUENCE_NUMBER,
  minSequenceNumber: UNASSIGNED_SEQUENCE_NUMBER,
  addedSnapshotId: 42n,
  addedFilesCount: 3,
  existingFilesCount: 0,
  deletedFilesCount: 0,
  addedRowsCount: 300,
  existingRowsCount: 0,
  deletedRowsCount: 0,
  partitions: [
    {
      containsNull: false,
      containsNan: false,
      lowerBound: serializeValue('date', '2018-01-01'),
      upperBound: serializeValue('date', '2018-01-31'),
    },
    { containsNull: true, containsNan: null, lowerBound: null, upperBound: null },
  ],
};

/** Carried over from an earlier snapshot. */
const OLD_MANIFEST: ManifestFile = {
  ...NEW_MANIFEST,
  manifestPath: 's3://lake/t/metadata/old-m0.avro',
  sequenceNumber: 3,
  minSequenceNumber: 2,
  addedSnapshotId: 17n,
  addedFilesCount: 0,
  existingFilesCount: 5,
  existingRowsCount: 500,
  addedRowsCount: 0,
  partitions: null,
};

const SYNC = new Uint8Array(16).fill(9);

function write(): Uint8Array {
  return writeManifestList({ snapshotId: 42n, parentSnapshotId: 17n, sequenceNumber: 7, manifests: [NEW_MANIFEST, OLD_MANIFEST], syncMarker: SYNC });
}

type AvroObject = { [key: string]: AvroJson };

void describe('writeManifestList / readManifestList', () => {
  void it("assigns the snapshot's sequence number to new manifests and keeps carried-over ones", () => {
    const manifests = readManifestList(write(), LOCATION);
    assert.deepEqual(manifests, [
      { ...NEW_MANIFEST, sequenceNumber: 7, minSequenceNumber: 7 },
      OLD_MANIFEST,
    ]);
    assert.deepEqual(assignSequenceNumbers({ snapshotId: 42n, sequenceNumber: 7, manifests: [NEW_MANIFEST, OLD_MANIFEST] }), manifests);
    assert.ok(Object.isFrozen(manifests[0]));
  });

  void it('keeps an explicit minimum sequence number of a new manifest (it rewrote older entries)', () => {
    const list = writeManifestList({ snapshotId: 42n, parentSnapshotId: null, sequenceNumber: 7, manifests: [{ ...NEW_MANIFEST, minSequenceNumber: 2 }] });
    assert.equal(readManifestList(list, LOCATION)[0]!.minSequenceNumber, 2);
  });

  void it('refuses an unassigned manifest that another snapshot added', () => {
    assert.throws(
      () => writeManifestList({ snapshotId: 43n, parentSnapshotId: 42n, sequenceNumber: 8, manifests: [NEW_MANIFEST] }),
      (e: unknown) => e instanceof LakeError && e.code === 'OP_LAKE_INVALID_ARGUMENT' && /added by snapshot 42, not 43/.test(e.message),
    );
  });

  void it('writes 63-bit ids exactly and refuses ids that are not 64-bit longs', () => {
    const id = 8799175032378937617n; // beyond 2^53: a double would round it to …937000-ish
    const list = writeManifestList({ snapshotId: id, parentSnapshotId: id - 1n, sequenceNumber: 7, manifests: [{ ...OLD_MANIFEST, addedSnapshotId: id - 1n }] });
    const read = readManifestListFile(list, LOCATION);
    assert.equal(read.snapshotId, id);
    assert.equal(read.parentSnapshotId, id - 1n);
    assert.equal(read.manifests[0]?.addedSnapshotId, id - 1n);
    assert.throws(
      () => writeManifestList({ snapshotId: 42n, parentSnapshotId: 17n, sequenceNumber: 7, manifests: [{ ...OLD_MANIFEST, addedSnapshotId: 2n ** 64n }] }),
      /not a 64-bit long/,
    );
    assert.throws(() => writeManifestList({ snapshotId: -(2n ** 63n) - 1n, parentSnapshotId: null, sequenceNumber: 1, manifests: [] }), LakeError);
  });

  void it('writes the header metadata Java writes ("null" for no parent)', () => {
    const { metadata } = readAvroContainer(write(), LOCATION);
    assert.equal(metadata.get('snapshot-id'), '42');
    assert.equal(metadata.get('parent-snapshot-id'), '17');
    assert.equal(metadata.get('sequence-number'), '7');
    assert.equal(metadata.get('format-version'), '2');
    const first = writeManifestList({ snapshotId: 1n, parentSnapshotId: null, sequenceNumber: 1, manifests: [] });
    assert.equal(readAvroContainer(first, 'x').metadata.get('parent-snapshot-id'), 'null');
    const contents = readManifestListFile(write(), LOCATION);
    assert.deepEqual([contents.formatVersion, contents.snapshotId, contents.parentSnapshotId, contents.sequenceNumber], [2, 42n, 17n, 7]);
    assert.equal(readManifestListFile(first, 'x').parentSnapshotId, null);
  });

  void it('keeps the field ids of manifest_file and field_summary in the Avro header', () => {
    const schema = readAvroContainer(write(), LOCATION).schema as AvroObject;
    assert.equal(schema.name, 'manifest_file');
    const ids = Object.fromEntries((schema.fields as AvroObject[]).map((f): [string, AvroJson | undefined] => [f.name as string, f['field-id']]));
    assert.deepEqual(ids, {
      manifest_path: 500,
      manifest_length: 501,
      partition_spec_id: 502,
      content: 517,
      sequence_number: 515,
      min_sequence_number: 516,
      added_snapshot_id: 503,
      added_files_count: 504,
      existing_files_count: 505,
      deleted_files_count: 506,
      added_rows_count: 512,
      existing_rows_count: 513,
      deleted_rows_count: 514,
      partitions: 507,
      key_metadata: 519,
    });
    const partitions = (schema.fields as AvroObject[]).find((f) => f.name === 'partitions')!;
    const list = (partitions.type as AvroJson[])[1] as AvroObject;
    assert.equal(list['element-id'], 508);
    const summary = list.items as AvroObject;
    assert.equal(summary.name, 'r508');
    assert.deepEqual(
      (summary.fields as AvroObject[]).map((f) => [f.name, f['field-id']]),
      [
        ['contains_null', 509],
        ['contains_nan', 518],
        ['lower_bound', 510],
        ['upper_bound', 511],
      ],
    );
  });

  void it('reads a v1 manifest list (v1 count names, no sequence numbers) with Appendix E defaults', () => {
    const v1: AvroJson = {
      type: 'record',
      name: 'manifest_file',
      fields: [
        { name: 'manifest_path', type: 'string', 'field-id': 500 },
        { name: 'manifest_length', type: 'long', 'field-id': 501 },
        { name: 'partition_spec_id', type: 'int', 'field-id': 502 },
        { name: 'added_snapshot_id', type: 'long', 'field-id': 503 },
        { name: 'added_data_files_count', type: ['null', 'int'], 'field-id': 504 },
        { name: 'existing_data_files_count', type: ['null', 'int'], 'field-id': 505 },
        { name: 'deleted_data_files_count', type: ['null', 'int'], 'field-id': 506 },
        { name: 'partitions', type: ['null', { type: 'array', items: { type: 'record', name: 'r508', fields: [{ name: 'contains_null', type: 'boolean', 'field-id': 509 }] }, 'element-id': 508 }], 'field-id': 507 },
        { name: 'added_rows_count', type: ['null', 'long'], 'field-id': 512 },
        { name: 'existing_rows_count', type: ['null', 'long'], 'field-id': 513 },
        { name: 'deleted_rows_count', type: ['null', 'long'], 'field-id': 514 },
      ],
    };
    const record = {
      manifest_path: 'm.avro',
      manifest_length: 10,
      partition_spec_id: 0,
      added_snapshot_id: 5,
      added_data_files_count: 1,
      existing_data_files_count: 0,
      deleted_data_files_count: 0,
      partitions: [{ contains_null: true }],
      added_rows_count: 4,
      existing_rows_count: 0,
      deleted_rows_count: 0,
    };
    const bytes = writeAvroContainer({ schema: v1, metadata: { 'snapshot-id': '5', 'parent-snapshot-id': 'null' }, records: [record] });
    const contents = readManifestListFile(bytes, 'v1.avro');
    assert.equal(contents.formatVersion, 1);
    assert.deepEqual(contents.manifests[0], {
      manifestPath: 'm.avro',
      manifestLength: 10,
      partitionSpecId: 0,
      content: 0,
      sequenceNumber: 0,
      minSequenceNumber: 0,
      addedSnapshotId: 5n,
      addedFilesCount: 1,
      existingFilesCount: 0,
      deletedFilesCount: 0,
      addedRowsCount: 4,
      existingRowsCount: 0,
      deletedRowsCount: 0,
      partitions: [{ containsNull: true, containsNan: null, lowerBound: null, upperBound: null }],
    });
    const noCounts = writeAvroContainer({ schema: v1, metadata: {}, records: [{ ...record, added_data_files_count: null }] });
    assert.throws(() => readManifestList(noCounts, 'v1.avro'), (e: unknown) => e instanceof LakeError && e.code === 'OP_LAKE_CORRUPT_FILE' && /added_files_count is missing/.test(e.message));
  });
});

void describe('manifest lists written by other engines', () => {
  void it("reads Java's list (iceberg-core 1.9.2): a rewritten manifest and a carried-over one", () => {
    const contents = readManifestListFile(gunzipSync(Buffer.from(JAVA_LIST, 'base64')), 'java-snap.avro');
    assert.equal(contents.formatVersion, 2);
    assert.equal(contents.sequenceNumber, 3);
    assert.equal(contents.snapshotId, 6420694025394109284n, 'a 63-bit id, read exactly');
    assert.deepEqual(
      contents.manifests.map((m) => m.addedSnapshotId),
      [6344671349693144198n, 6420694025394109284n],
    );
    const [kept, rewritten] = contents.manifests;
    assert.equal(kept!.sequenceNumber, 2);
    assert.equal(kept!.addedFilesCount, 1);
    assert.equal(kept!.addedRowsCount, 5);
    assert.equal(rewritten!.sequenceNumber, 3);
    assert.deepEqual([rewritten!.deletedFilesCount, rewritten!.deletedRowsCount], [1, 2]);
    assert.equal(rewritten!.partitions!.length, 5);
    assert.equal(deserializeValue('date', rewritten!.partitions![0]!.lowerBound!), '2018-01-05');
    assert.equal(deserializeValue('decimal(10, 2)', rewritten!.partitions![2]!.upperBound!), '12.00');
    assert.equal(rewritten!.partitions![0]!.containsNan, false);
  });

  void it("carries Java's manifests into a new list with their 63-bit ids exact", () => {
    const java = readManifestListFile(gunzipSync(Buffer.from(JAVA_LIST, 'base64')), 'java-snap.avro');
    const list = writeManifestList({ snapshotId: 5n, parentSnapshotId: java.snapshotId, sequenceNumber: 4, manifests: java.manifests });
    const { metadata, records } = readAvroContainer(list, 'ours.avro');
    assert.equal(metadata.get('parent-snapshot-id'), '6420694025394109284');
    assert.deepEqual(
      records.map((r) => (r as { added_snapshot_id: unknown }).added_snapshot_id),
      [6344671349693144198n, 6420694025394109284n],
    );
    assert.deepEqual(readManifestList(list, 'ours.avro'), java.manifests);
  });

  void it("reads PyIceberg's list (0.12; its record has no name)", () => {
    const contents = readManifestListFile(gunzipSync(Buffer.from(PYICEBERG_LIST, 'base64')), 'py-snap.avro');
    assert.equal(contents.sequenceNumber, 2);
    assert.deepEqual(
      contents.manifests.map((m) => [m.sequenceNumber, m.addedFilesCount, m.addedRowsCount]),
      [
        [2, 1, 1],
        [1, 1, 2],
      ],
    );
    assert.equal(deserializeValue('long', contents.manifests[0]!.partitions![1]!.lowerBound!), 2n ** 60n);
  });
});

void describe('corrupt manifest lists', () => {
  void it('names the file', () => {
    for (const bytes of [new Uint8Array([1, 2, 3]), write().subarray(0, 100)]) {
      assert.throws(
        () => readManifestList(bytes, LOCATION),
        (e: unknown) => e instanceof LakeError && e.code === 'OP_LAKE_CORRUPT_FILE' && e.message.includes(LOCATION) && e.details.location === LOCATION,
      );
    }
    const wrongRecord = writeAvroContainer({ schema: { type: 'record', name: 'x', fields: [{ name: 'p', type: 'int', 'field-id': 500 }] }, metadata: {}, records: [{ p: 1 }] });
    assert.throws(() => readManifestList(wrongRecord, 'w.avro'), (e: unknown) => e instanceof LakeError && e.code === 'OP_LAKE_CORRUPT_FILE' && /manifest_path/.test(e.message));
  });
});

/** The manifest list of a Java (iceberg-core 1.9.2) delete commit on a table OrderPulse created; gzip + base64. */
const JAVA_LIST = [
  'H4sIAAAAAAACA6WWf2jcZBjH105FJtsfUmalU1+P6vyRlstder3cqKBth4WiazvpYIzjveS9XjSXnMl7vd3KVZRSV39RypSJIIJu6mQy/KtCYc',
  'I6URERhmxQOsdEJ0hhY6soK+qb5C5vcpek6fzvcnne7/d5njfv836ezTzftG07HNfUTl3IoTz87YGJCC4XUCQV0ZCgamKEiSgwbzznoSJlkY7T',
  'WUlG5O+shGRRj6T2TzREFCDOkYiqkI41SRkjz6IqkMdBVYBYUhXw3PAAKEk4B3aPANPdVu2QxEiqKxqtMI3aMlLGnOqy6tDeq2IoAyNBoEuHEJ',
  'AUkCljpNcJsw7hAtSwZOST1gtISEsilZYUbCuPkJdgoA8UdSQCrIKSJuH6fGMOWUFVMDLXe4j1Wi91oGYBziFQKy4Foj0ixJABbI+IZNSQOdvt',
  'sNDRi0WkCCitFPMZpPm0ZKQaBawoUMohxWUKSlAHUBSRWOfV5Wy/RPoTym9QLRmiep2t5Dats0o4rMxU0roCC3pOxa4NcRdWjTB2BecgtmoIcI',
  'nGG1yML0VPC2rRb6eeNDXJXmllUAtzSnIOSXRQ0jH50tdX7a9GBgg7m299CiGy7bMCA2QbG62ppQZNV5+tFhhhXopszKsD64raHfDVjXs0YF3Z',
  'WgN8VTmvk6/bavsjSlGWI4w9BKGmwTJ5TQ57nsw63+GodUWTnjPRmANQUvS0JVxbn1FVGUGFDi6tSKZVFkClbI2vnHEogbEI2HmCcSgX64cOXz',
  'd0LDNT2l2T7XlgPVOoeHiKKAuLMo6kDDV3U5OOFGRy/LV0hrRe9MjAnMW2/x7bxFwFzFUgq2oAytYU14ONnRdEsVC4BWNz1caN2cqBChMhH1ue',
  'HLXqRiQrtv5IMZ+H5AQaiggKOdrOQNmoc7q/gMrpPMLQuA/WLahfEbRywayIrAO1dSAjq5ngSnhSSYsJAIIqImEbCZUhRttr85eEPZzgYtEEz0',
  'VjXXGeY6N8LMntIKXlIe4YR5pOXJtj99cGfoc18JvjOyQBkR9jVbKYfnDCAQRFwTiZ1hszk6jr8FTvf8aPLDRiJmnkxkoRKXQrpGF0ugoDjD9j',
  '+PiEYw5qEWOCaMPHZH36sA3YbqaRO0LIboRDqFkX408gYRq2ESKhrgkmmEXCOIdkE7pxcSaISkIVG4JSqB/HBPFJiB1t5BUqTvfNh1RC6HuSC7',
  'Wgm+TNLCEcvBiGfgUxJoBewuxHA81Q7TgTzDFh5L24hjpwTCDRhDHwIBza/m7Gk22obhbKui1sz2NZMlG57jqz/3BE2pO7YVbzjB/x+FT1fwiI',
  'djTJ+LCPT82hbT0YiLrSi8mNO76mkkJwILIR7qFm9H5yI86GzfxZx0Uz7v2qhGAamiv9CurwJWSygRxDsmwnpkaOLjqJc1yim41zfIKPsxzH8s',
  'lNT60dEY6g9yuvLC1dWpv5cO62HzdXfmCfORNtuePSmNA/O9OLK8mZXxYvfnl4pX342O69ZzOd3/NNHz/y9uzRfftaW/nNbXeDxcOzyx8tn7ox',
  'efN829rWqZuT3175fHXl2JWLnQd/PnSuVZ1/TF6R4Z4LX8NHT/aN/Lrl+uBdn+4aPX/izBO74qOfvf5qW/NXF66uXr9246+EfOftTzfltrT8fm',
  '2Vf+PeP4bmhenvvikdnX+3Y47t7el5eZlf2DT90uLwaHlIbD6p3ffOm7k9S8MffDL104nOx3eebf9n6+X28uTp0xOVvxeW564+dGpo4a3Lq+3H',
  'hwZ3sktTM+9xr50bGPwz88U9/zbVl/4flwB2luMRAAA=',
].join('');

/** The manifest list of a PyIceberg 0.12 append on a table OrderPulse created; gzip + base64. */
const PYICEBERG_LIST = [
  'H4sIAAAAAAACA51UTUwTQRSGgoao4aCmJMbouiFe6ML+llbvxtqCicaLxKzT3dd2ZXem7k6BhtSDxMSbB40XPXiRC4mJKDcOaLhAQgqhHvw5Go',
  '3x5MmDB5wF2rS0bNHb5L35vu99b96bq+k7ncfCHkZ5L0eoYJnn1VhUiWrRmCRp8Tg7qaLWn0cuYCrUXeOioizHZFGJi4o0LMvKGQ/uFgAbIOCC',
  'kwY3JJ/OENdBVJgA17MIDskn0YRLBg1igtFrQsZGFMLbIc/IgYNe9U3ztJgH/gLHu2AQ1+QjHJ+xwDY9Fhub5jFytrMOwlYGPKrnEc3VLrGqWF',
  'ITRRao8njUtXDWv2ISww+kiIEoq4a7cS3BTVo0x126zm3rA1+KcC00bMDZFipSnYpNmEYDmjWMWr6O7uXB0C2zCS/X4S1MG+EGwZQ1fC9IGg4C',
  'VR9A33mAJrAWWLFjsVrbMEQDGZBpgqlXZ6SVZ+UA+Ixlg6cbpNBsX1SD7MOU5VH22IEMWhCDCTbQNiVEgwh2HLhkch+0JAc2oOYggCG4hVUHAQ',
  'TqwebWa3JeN3tjPC7YNu8Dq1TIdVHRx7AKHP+v2EXFWMii4PgbfND19qcfWdjTd1Ua64jXGUgTYgPCzcuzA2eZvfZjLVzUaG75/wRkUMGmLO9n',
  'G4htMgmunmZtbRptSWzJW6TgtWMt5PP7skr/xOqHqqwuaz1fKrXRHoei7gBFJqKoSTz+3+K1v9PfJL7UcbjvytzrF4WPL7sjx3tvLpe7F0M/UW',
  'VoRVgvp0aFhDC4MZRY3SiPCIlUIpKoDKdSmjiSlD+MpJJKhW3N6OaCKEuVBfXtZWVenE8l36iba9p6MjKwuvV9bWnp/fz46gPlz6fZLWKY6dsd',
  '58LcyvKvsz1c/8OBpY7OUE+4a+YEzn49dd+Z+nZYffTjy+zj308XP/cfUZ8fwvdmjnY96X5W7tHC7xi4Izt3cW/BfwFnwQ8LJgcAAA==',
].join('');
