import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LakeError } from './errors.js';
import { DEFAULT_MANIFEST_MERGE, manifestMergeSettings, mergedEntries, packFromEnd, planManifestMerge } from './manifest-merge.js';
import type { DataFile, ManifestEntry, ManifestFile } from './types.js';
import { fakeDataFile } from '../testing/delete-files.js';

function manifest(name: string, length: number, specId = 0): ManifestFile {
  return {
    manifestPath: `s3://w/t/metadata/${name}.avro`,
    manifestLength: length,
    partitionSpecId: specId,
    content: 0,
    sequenceNumber: 1,
    minSequenceNumber: 1,
    addedSnapshotId: 1n,
    addedFilesCount: 1,
    existingFilesCount: 0,
    deletedFilesCount: 0,
    addedRowsCount: 1,
    existingRowsCount: 0,
    deletedRowsCount: 0,
    partitions: null,
  };
}

const names = (steps: ReturnType<typeof planManifestMerge>): string[] =>
  steps.map((s) => ('keep' in s ? `keep ${s.keep.manifestPath.split('/').at(-1)}` : `merge ${s.merge.map((m) => m.manifestPath.split('/').at(-1)).join('+')}`));

describe('manifest merge planning (merge-append)', () => {
  it('packs from the end, keeping order, so the newest bin is the short one', () => {
    // From the end: 5 | 4+3 would be 7 <= 7 so [3,4]; 2+1 = 3: [1,2].
    assert.deepEqual(packFromEnd([1, 2, 3, 4, 5], (n) => n, 7), [[1, 2], [3, 4], [5]]);
    assert.deepEqual(packFromEnd([10, 1, 1], (n) => n, 5), [[10], [1, 1]]); // heavier than the target: a bin of its own
    assert.deepEqual(packFromEnd([], (n: number) => n, 5), []);
  });

  it('leaves the bin holding the new manifest alone until it reaches min-count-to-merge', () => {
    const list = ['new', 'p1', 'p2'].map((n) => manifest(n, 100));
    const settings = { ...DEFAULT_MANIFEST_MERGE, minCountToMerge: 4 };
    assert.deepEqual(names(planManifestMerge(list, settings)), ['keep new.avro', 'keep p1.avro', 'keep p2.avro']);
    assert.deepEqual(names(planManifestMerge([manifest('new', 100), ...list.slice(1), manifest('p3', 100)], settings)), ['merge new.avro+p1.avro+p2.avro+p3.avro']);
  });

  it('merges older full bins whatever their count, and keeps a lone large manifest as it is', () => {
    // Target 300: from the end, [big] alone, then [p2, p3, p4] (300), then [new, p1].
    const list = [manifest('new', 100), manifest('p1', 100), manifest('p2', 100), manifest('p3', 100), manifest('p4', 100), manifest('big', 1_000)];
    const settings = { enabled: true, minCountToMerge: 100, targetSizeBytes: 300 };
    assert.deepEqual(names(planManifestMerge(list, settings)), ['keep new.avro', 'keep p1.avro', 'merge p2.avro+p3.avro+p4.avro', 'keep big.avro']);
  });

  it('merges manifests of one partition spec only, newest spec first', () => {
    const list = [manifest('new', 10, 1), manifest('a', 10, 0), manifest('b', 10, 1), manifest('c', 10, 0)];
    const steps = planManifestMerge(list, { enabled: true, minCountToMerge: 2, targetSizeBytes: 1_000 });
    assert.deepEqual(names(steps), ['merge new.avro+b.avro', 'merge a.avro+c.avro']);
    assert.deepEqual(steps.map((s) => ('merge' in s ? s.specId : null)), [1, 0]);
  });

  it('keeps everything when merging is off', () => {
    const list = Array.from({ length: 200 }, (_, i) => manifest(`m${i}`, 10));
    assert.equal(planManifestMerge(list, { ...DEFAULT_MANIFEST_MERGE, enabled: false }).length, 200);
    assert.equal(planManifestMerge(list, DEFAULT_MANIFEST_MERGE).length, 1);
  });
});

describe('manifest merge settings from table properties', () => {
  it('defaults to Iceberg\'s: on, 100 manifests, 8 MiB', () => {
    assert.deepEqual(manifestMergeSettings({}, 'bronze.t'), { enabled: true, minCountToMerge: 100, targetSizeBytes: 8_388_608 });
    assert.deepEqual(
      manifestMergeSettings(
        { 'commit.manifest-merge.enabled': 'FALSE', 'commit.manifest.min-count-to-merge': '5', 'commit.manifest.target-size-bytes': '1024' },
        'bronze.t',
      ),
      { enabled: false, minCountToMerge: 5, targetSizeBytes: 1024 },
    );
  });

  it('refuses a value that is not one, naming the table and the property', () => {
    for (const [key, value] of [
      ['commit.manifest.min-count-to-merge', 'many'],
      ['commit.manifest.target-size-bytes', '0'],
      ['commit.manifest.target-size-bytes', '1.5'],
      ['commit.manifest-merge.enabled', 'yes'],
    ] as const) {
      assert.throws(
        () => manifestMergeSettings({ [key]: value }, 'bronze.t'),
        (e: unknown) => e instanceof LakeError && e.code === 'OP_LAKE_INVALID_ARGUMENT' && e.message.includes('bronze.t') && e.message.includes(key),
      );
    }
  });
});

describe('merged manifest entries', () => {
  const file = (name: string): DataFile => fakeDataFile(`s3://w/t/data/${name}.parquet`, 0, {}, { fileSizeInBytes: 10 });
  const entry = (status: 0 | 1 | 2, name: string, snapshotId: bigint | null, seq: number | null, fileSeq: number | null = seq): ManifestEntry => ({
    status,
    snapshotId,
    sequenceNumber: seq,
    fileSequenceNumber: fileSeq,
    dataFile: file(name),
  });

  it('keeps this commit\'s adds and deletes, turns older live files EXISTING with their sequence numbers, drops older deletes', () => {
    const ours = 9n;
    const merged = mergedEntries(ours, [
      [entry(1, 'new', null, null)], // this commit's new manifest: still to inherit
      [entry(1, 'a', 3n, 3), entry(2, 'gone-long-ago', 4n, 2, 2)], // an older manifest, inherited values filled in
      [entry(0, 'b', 1n, 1, 5), entry(2, 'dropped-now', ours, 2)], // rewritten by this commit
    ]);
    assert.deepEqual(
      merged.map((e) => [e.dataFile.filePath.split('/').at(-1), e.status, e.snapshotId, e.sequenceNumber, e.fileSequenceNumber]),
      [
        ['new.parquet', 1, null, null, null],
        ['a.parquet', 0, 3n, 3, 3],
        ['b.parquet', 0, 1n, 1, 5],
        ['dropped-now.parquet', 2, 9n, 2, 2],
      ],
    );
  });

  it('refuses an older entry without the values to carry', () => {
    assert.throws(() => mergedEntries(9n, [[entry(0, 'x', 3n, null)]]), (e: unknown) => e instanceof LakeError && e.code === 'OP_LAKE_CORRUPT_FILE' && /x\.parquet/.test(e.message));
  });
});
