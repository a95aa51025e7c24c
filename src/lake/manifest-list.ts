/**
 * Manifest lists (specification, "Manifest Lists"): one Avro file per snapshot listing its
 * manifests (`manifest_file` records) with counts and partition field summaries, so scans can skip
 * manifests without opening them. Written as Java's `ManifestListWriter.V2Writer` writes them
 * (record names `manifest_file` and `r508`, every field with its `field-id`; header
 * `snapshot-id`, `parent-snapshot-id` — `"null"` for none, as Java writes it — `sequence-number`
 * and `format-version` "2").
 *
 * Sequence numbers: a manifest written for this snapshot carries `UNASSIGNED_SEQUENCE_NUMBER`
 * until the list is written; the writer replaces it with the snapshot's sequence number (and an
 * unassigned `min_sequence_number` likewise). This is what lets a retried commit reuse its
 * manifests and rewrite only the list.
 */
import {
  RecordReader,
  UNASSIGNED_SEQUENCE_NUMBER,
  asCorrupt,
  requireWritableId,
  namedTypes,
  readAvroContainer,
  recordView,
  writeAvroContainer,
} from './manifest.js';
import type { AvroCodec, AvroContainer, AvroJson } from './manifest.js';
import { LakeError } from './errors.js';
import type { FieldSummary, ManifestFile } from './types.js';

const nullable = (type: AvroJson): AvroJson => ['null', type];

/** The v2 `manifest_file` Avro schema, field for field as Java writes it. */
export const MANIFEST_FILE_SCHEMA: AvroJson = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    { name: 'manifest_path', type: 'string', doc: 'Location URI with FS scheme', 'field-id': 500 },
    { name: 'manifest_length', type: 'long', doc: 'Total file size in bytes', 'field-id': 501 },
    { name: 'partition_spec_id', type: 'int', doc: 'Spec ID used to write', 'field-id': 502 },
    { name: 'content', type: 'int', doc: 'Contents of the manifest: 0=data, 1=deletes', 'field-id': 517 },
    { name: 'sequence_number', type: 'long', doc: 'Sequence number when the manifest was added', 'field-id': 515 },
    { name: 'min_sequence_number', type: 'long', doc: 'Lowest sequence number in the manifest', 'field-id': 516 },
    { name: 'added_snapshot_id', type: 'long', doc: 'Snapshot ID that added the manifest', 'field-id': 503 },
    { name: 'added_files_count', type: 'int', doc: 'Added entry count', 'field-id': 504 },
    { name: 'existing_files_count', type: 'int', doc: 'Existing entry count', 'field-id': 505 },
    { name: 'deleted_files_count', type: 'int', doc: 'Deleted entry count', 'field-id': 506 },
    { name: 'added_rows_count', type: 'long', doc: 'Added rows count', 'field-id': 512 },
    { name: 'existing_rows_count', type: 'long', doc: 'Existing rows count', 'field-id': 513 },
    { name: 'deleted_rows_count', type: 'long', doc: 'Deleted rows count', 'field-id': 514 },
    {
      name: 'partitions',
      type: nullable({
        type: 'array',
        items: {
          type: 'record',
          name: 'r508',
          fields: [
            { name: 'contains_null', type: 'boolean', doc: 'True if any file has a null partition value', 'field-id': 509 },
            { name: 'contains_nan', type: nullable('boolean'), doc: 'True if any file has a nan partition value', default: null, 'field-id': 518 },
            { name: 'lower_bound', type: nullable('bytes'), doc: 'Partition lower bound for all files', default: null, 'field-id': 510 },
            { name: 'upper_bound', type: nullable('bytes'), doc: 'Partition upper bound for all files', default: null, 'field-id': 511 },
          ],
        },
        'element-id': 508,
      }),
      doc: 'Summary for each partition',
      default: null,
      'field-id': 507,
    },
    { name: 'key_metadata', type: nullable('bytes'), doc: 'Encryption key metadata blob', default: null, 'field-id': 519 },
  ],
};

export interface WriteManifestListInput {
  readonly snapshotId: bigint;
  readonly parentSnapshotId: bigint | null;
  /** The snapshot's (optimistic) sequence number. */
  readonly sequenceNumber: number;
  /** New manifests (unassigned sequence numbers, added by this snapshot) and carried-over ones. */
  readonly manifests: readonly ManifestFile[];
  readonly codec?: AvroCodec;
  readonly syncMarker?: Uint8Array;
}

function invalid(message: string, details: Record<string, unknown> = {}): LakeError {
  return new LakeError('OP_LAKE_INVALID_ARGUMENT', message, { details });
}

/**
 * The manifests as the list records them: an unassigned sequence number becomes the snapshot's
 * (only for manifests this snapshot added — Java's check), an unassigned minimum sequence number
 * likewise. Carried-over manifests keep theirs.
 */
export function assignSequenceNumbers(input: Pick<WriteManifestListInput, 'snapshotId' | 'sequenceNumber' | 'manifests'>): readonly ManifestFile[] {
  return Object.freeze(
    input.manifests.map((m) => {
      if (m.sequenceNumber === UNASSIGNED_SEQUENCE_NUMBER && m.addedSnapshotId !== input.snapshotId) {
        throw invalid(
          `manifest ${m.manifestPath} has no sequence number but was added by snapshot ${m.addedSnapshotId}, not ${input.snapshotId}`,
          { manifestPath: m.manifestPath },
        );
      }
      return Object.freeze({
        ...m,
        sequenceNumber: m.sequenceNumber === UNASSIGNED_SEQUENCE_NUMBER ? input.sequenceNumber : m.sequenceNumber,
        minSequenceNumber: m.minSequenceNumber === UNASSIGNED_SEQUENCE_NUMBER ? input.sequenceNumber : m.minSequenceNumber,
      });
    }),
  );
}

/**
 * Writes a v2 manifest list. `OP_LAKE_INVALID_ARGUMENT` for a foreign unassigned manifest, or an id
 * that is not a 64-bit long.
 */
export function writeManifestList(input: WriteManifestListInput): Uint8Array {
  requireWritableId(input.snapshotId, 'snapshotId');
  requireWritableId(input.parentSnapshotId, 'parentSnapshotId');
  if (!Number.isSafeInteger(input.sequenceNumber) || input.sequenceNumber < 0) {
    throw invalid(`sequence number ${input.sequenceNumber} is not a non-negative safe integer`);
  }
  const manifests = assignSequenceNumbers(input);
  const records = manifests.map((m) => {
    requireWritableId(m.addedSnapshotId, `manifest ${m.manifestPath}: added snapshot id`);
    return {
      manifest_path: m.manifestPath,
      manifest_length: m.manifestLength,
      partition_spec_id: m.partitionSpecId,
      content: m.content,
      sequence_number: m.sequenceNumber,
      min_sequence_number: m.minSequenceNumber,
      added_snapshot_id: m.addedSnapshotId,
      added_files_count: m.addedFilesCount,
      existing_files_count: m.existingFilesCount,
      deleted_files_count: m.deletedFilesCount,
      added_rows_count: m.addedRowsCount,
      existing_rows_count: m.existingRowsCount,
      deleted_rows_count: m.deletedRowsCount,
      partitions:
        m.partitions === null
          ? null
          : m.partitions.map((p) => ({
              contains_null: p.containsNull,
              contains_nan: p.containsNan,
              lower_bound: p.lowerBound === null ? null : Buffer.from(p.lowerBound),
              upper_bound: p.upperBound === null ? null : Buffer.from(p.upperBound),
            })),
      key_metadata: null,
    };
  });
  return writeAvroContainer({
    schema: MANIFEST_FILE_SCHEMA,
    metadata: {
      'snapshot-id': String(input.snapshotId),
      'parent-snapshot-id': input.parentSnapshotId === null ? 'null' : String(input.parentSnapshotId),
      'sequence-number': String(input.sequenceNumber),
      'format-version': '2',
    },
    records,
    ...(input.codec === undefined ? {} : { codec: input.codec }),
    ...(input.syncMarker === undefined ? {} : { syncMarker: input.syncMarker }),
  });
}

export interface ManifestListContents {
  readonly formatVersion: 1 | 2;
  /** From the header (null when a writer left it out). */
  readonly snapshotId: bigint | null;
  readonly parentSnapshotId: bigint | null;
  readonly sequenceNumber: number | null;
  readonly manifests: readonly ManifestFile[];
}

/** The manifests of a manifest list (see `readManifestListFile`). */
export function readManifestList(bytes: Uint8Array, location: string): readonly ManifestFile[] {
  return readManifestListFile(bytes, location).manifests;
}

/**
 * Reads a manifest list written by OrderPulse, Java or PyIceberg, v2 or v1 (v1: content 0 and
 * sequence numbers 0, per Appendix E; v1's `added_data_files_count` names are read by field id).
 * `OP_LAKE_CORRUPT_FILE` naming `location` on garbage, and for a v1 list without file counts
 * (optional in v1, but a count cannot be left unknown here).
 */
export function readManifestListFile(bytes: Uint8Array, location: string): ManifestListContents {
  const container = readAvroContainer(bytes, location);
  try {
    return decodeManifestList(container, location);
  } catch (cause) {
    throw asCorrupt(cause, location, 'is not a valid manifest list');
  }
}

function decodeManifestList(container: AvroContainer, location: string): ManifestListContents {
  const rr: RecordReader = new RecordReader(location);
  const named = namedTypes(container.schema);
  const view = recordView(container.schema, named) ?? rr.fail('schema', 'is not a record');
  const versionText = container.metadata.get('format-version');
  const formatVersion = versionText === undefined ? (view.byId.has(515) ? 2 : 1) : Number(versionText);
  if (formatVersion !== 1 && formatVersion !== 2) rr.fail('header "format-version"', `is ${JSON.stringify(versionText)}; OrderPulse reads 1 and 2`);
  const headerLong = (key: string): bigint | null => {
    const text = container.metadata.get(key);
    if (text === undefined || text === 'null' || text === 'None') return null;
    if (!/^-?\d+$/.test(text) || BigInt.asIntN(64, BigInt(text)) !== BigInt(text)) rr.fail(`header "${key}"`, `is ${JSON.stringify(text)}, not a 64-bit integer`);
    return BigInt(text);
  };
  const headerSequenceNumber = (): number | null => {
    const n = headerLong('sequence-number');
    if (n !== null && !Number.isSafeInteger(Number(n))) rr.fail('header "sequence-number"', `is ${n}, beyond the integers OrderPulse reads exactly here (±2^53)`);
    return n === null ? null : Number(n);
  };
  const partitionsField = view.byId.get(507);
  const summaryView = partitionsField ? recordView(itemsOf(partitionsField.type, named), named) : null;
  const v1 = formatVersion === 1;

  const manifests = container.records.map((value, i): ManifestFile => {
    const record = rr.record(value, `manifest ${i}`);
    const path = rr.string(rr.field(view, record, 500), `manifest ${i} manifest_path`);
    const what = `manifest ${i} (${path})`;
    const get = (id: number): unknown => rr.field(view, record, id);
    const count = (id: number, name: string): number => {
      const v = get(id);
      if (v === null || v === undefined) rr.fail(`${what} ${name}`, 'is missing (v1 lists may omit counts; OrderPulse needs them)');
      return rr.long(v, `${what} ${name}`);
    };
    const content = v1 ? 0 : rr.int(get(517), `${what} content`);
    if (content !== 0 && content !== 1) rr.fail(`${what} content`, `is ${content}, not 0 or 1`);
    const partitions = get(507);
    return Object.freeze({
      manifestPath: path,
      manifestLength: rr.long(get(501), `${what} manifest_length`),
      partitionSpecId: rr.int(get(502), `${what} partition_spec_id`),
      content,
      sequenceNumber: v1 ? 0 : rr.long(get(515), `${what} sequence_number`),
      minSequenceNumber: v1 ? 0 : rr.long(get(516), `${what} min_sequence_number`),
      addedSnapshotId: rr.id(get(503), `${what} added_snapshot_id`),
      addedFilesCount: count(504, 'added_files_count'),
      existingFilesCount: count(505, 'existing_files_count'),
      deletedFilesCount: count(506, 'deleted_files_count'),
      addedRowsCount: count(512, 'added_rows_count'),
      existingRowsCount: count(513, 'existing_rows_count'),
      deletedRowsCount: count(514, 'deleted_rows_count'),
      partitions:
        partitions === null || partitions === undefined
          ? null
          : Object.freeze(
              rr.array(partitions, `${what} partitions`).map((p, j): FieldSummary => {
                const w = `${what} partitions[${j}]`;
                const s = rr.record(p, w);
                if (!summaryView) return rr.fail(w, 'has no field_summary schema');
                const nan = rr.field(summaryView, s, 518);
                const lower = rr.field(summaryView, s, 510);
                const upper = rr.field(summaryView, s, 511);
                return Object.freeze({
                  containsNull: rr.boolean(rr.field(summaryView, s, 509), `${w} contains_null`),
                  containsNan: nan === null || nan === undefined ? null : rr.boolean(nan, `${w} contains_nan`),
                  lowerBound: lower === null || lower === undefined ? null : rr.bytes(lower, `${w} lower_bound`),
                  upperBound: upper === null || upper === undefined ? null : rr.bytes(upper, `${w} upper_bound`),
                });
              }),
            ),
    });
  });
  return Object.freeze({
    formatVersion,
    snapshotId: headerLong('snapshot-id'),
    parentSnapshotId: headerLong('parent-snapshot-id'),
    sequenceNumber: v1 ? 0 : headerSequenceNumber(),
    manifests: Object.freeze(manifests),
  });
}

/** The element type of an (optional) array type. */
function itemsOf(type: AvroJson, named: ReturnType<typeof namedTypes>): AvroJson {
  let t = type;
  if (Array.isArray(t)) t = t.find((b) => b !== 'null') ?? null;
  if (typeof t === 'object' && t !== null && !Array.isArray(t) && t.type === 'array' && t.items !== undefined) {
    const items = t.items;
    return typeof items === 'string' ? (named.get(items) ?? items) : items;
  }
  return null;
}
