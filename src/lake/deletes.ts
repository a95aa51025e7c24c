import { LakeError } from './errors.js';
import type { DataFile, PartitionSpec, PartitionValues } from './types.js';

/**
 * Which delete files apply to which data files: the specification's scan-planning rules for
 * format v2 ("Scan Planning"), as a pure function of the files a snapshot reaches.
 *
 * - A position delete file applies to a data file of the same partition (spec and values) whose
 *   data sequence number is lower than or equal to its own; when it names one data file
 *   (`referenced_data_file`), only to that one. Its `file_path` bounds, when present, narrow the
 *   data files it can name.
 * - An equality delete file applies to a data file whose data sequence number is strictly lower
 *   than its own, in the same partition, or in every partition when its spec is unpartitioned.
 *
 * "Applies" is decided from metadata only: a position delete file may name none of a data file's
 * rows, but it is still read for it. The rules make compaction safe too: a delete file whose every
 * data file is rewritten (with the deletes applied) can be removed, since nothing else can see it.
 */

/** A file a snapshot reaches, with what planning needs from its manifest entry and manifest. */
export interface PlannedFile {
  readonly file: DataFile;
  readonly specId: number;
  /** The entry's data sequence number (inherited from the manifest when it was written null). */
  readonly sequenceNumber: number;
}

/** The delete files that apply to one data file. */
export interface AppliedDeletes {
  readonly position: readonly PlannedFile[];
  readonly equality: readonly PlannedFile[];
}

export const NO_DELETES: AppliedDeletes = Object.freeze({ position: Object.freeze([]), equality: Object.freeze([]) });

/** Field ids of the position delete file columns (specification, "Position Delete Files"). */
export const POSITION_DELETE_FILE_PATH_ID = 2147483546;
export const POSITION_DELETE_POS_ID = 2147483545;

/** A map key for a partition tuple. Called per row when routing rows, so it only concatenates. */
export function partitionKey(values: PartitionValues): string {
  let key = '';
  for (const name in values) {
    const v = values[name];
    // Strings are quoted, so that the string "1", the number 1, the bigint 1n and null stay apart.
    key += `${name}=${typeof v === 'string' ? JSON.stringify(v) : typeof v === 'bigint' ? `${v}n` : v === null ? '\u0000' : String(v)};`;
  }
  return key;
}

const utf8 = new TextEncoder();

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Whether a position delete file's `file_path` bounds admit the path (missing bounds admit all). */
function pathWithinBounds(deletes: DataFile, path: string): boolean {
  const lower = deletes.lowerBounds.get(POSITION_DELETE_FILE_PATH_ID);
  const upper = deletes.upperBounds.get(POSITION_DELETE_FILE_PATH_ID);
  if (lower === undefined && upper === undefined) return true;
  const bytes = utf8.encode(path);
  // Truncated string bounds stay bounds (a lower one a prefix, an upper one above the values).
  return (lower === undefined || compareBytes(lower, bytes) <= 0) && (upper === undefined || compareBytes(bytes, upper) <= 0);
}

/**
 * Indexes a snapshot's delete files by partition, and answers for each data file which of them
 * apply. `specs` are the table's partition specs (an equality delete file of an unpartitioned spec
 * applies across partitions). `OP_LAKE_CORRUPT_FILE` for a delete file whose spec is unknown or
 * an equality delete file without equality ids.
 */
export class DeleteIndex {
  readonly #byPartition = new Map<string, { position: PlannedFile[]; equality: PlannedFile[] }>();
  readonly #global: PlannedFile[] = [];
  readonly size: number;

  constructor(deleteFiles: readonly PlannedFile[], specs: readonly PartitionSpec[]) {
    const unpartitioned = new Set(specs.filter((s) => s.fields.length === 0).map((s) => s['spec-id']));
    const known = new Set(specs.map((s) => s['spec-id']));
    for (const d of deleteFiles) {
      if (!known.has(d.specId)) {
        throw new LakeError('OP_LAKE_CORRUPT_FILE', `delete file ${d.file.filePath} has partition spec ${d.specId}, which the table does not have`, {
          details: { file: d.file.filePath, specId: d.specId },
        });
      }
      if (d.file.content === 0) continue;
      if (d.file.content === 2 && (d.file.equalityIds ?? []).length === 0) {
        throw new LakeError('OP_LAKE_CORRUPT_FILE', `equality delete file ${d.file.filePath} has no equality ids`, { details: { file: d.file.filePath } });
      }
      if (d.file.content === 2 && unpartitioned.has(d.specId)) {
        this.#global.push(d);
        continue;
      }
      const key = `${d.specId}/${partitionKey(d.file.partition)}`;
      let bucket = this.#byPartition.get(key);
      if (bucket === undefined) this.#byPartition.set(key, (bucket = { position: [], equality: [] }));
      (d.file.content === 1 ? bucket.position : bucket.equality).push(d);
    }
    this.size = deleteFiles.filter((d) => d.file.content !== 0).length;
  }

  /** The delete files that apply to a data file. */
  for(data: PlannedFile): AppliedDeletes {
    if (this.size === 0) return NO_DELETES;
    const bucket = this.#byPartition.get(`${data.specId}/${partitionKey(data.file.partition)}`);
    const path = data.file.filePath;
    const position = (bucket?.position ?? []).filter(
      (d) =>
        data.sequenceNumber <= d.sequenceNumber &&
        (d.file.referencedDataFile === null || d.file.referencedDataFile === undefined || d.file.referencedDataFile === path) &&
        pathWithinBounds(d.file, path),
    );
    const equality = [...(bucket?.equality ?? []), ...this.#global].filter((d) => data.sequenceNumber < d.sequenceNumber);
    return position.length === 0 && equality.length === 0 ? NO_DELETES : { position, equality };
  }
}
