/**
 * Manifest merging, as Iceberg's merge-append does it (specification: "Manifests" and the table
 * properties `commit.manifest.*`). Every append writes one small manifest; left alone, a table
 * committed to every second would list thousands of them, and every scan and every commit would
 * carry them all. On each commit the manifests of one partition spec and one content (data or
 * deletes) are packed into bins of at most `commit.manifest.target-size-bytes`, oldest first from
 * the end of the list so that the newest bin is the one left under-filled (it fills on later
 * commits). A bin of one manifest stays as it is; the bin holding the commit's own new manifest is
 * merged only once it has `commit.manifest.min-count-to-merge` manifests (so a table settles at
 * most about that many small manifests); every other bin of two or more is merged.
 *
 * In a merged manifest, files this commit adds stay ADDED and files this commit deletes stay
 * DELETED; every other live file becomes EXISTING with the snapshot id and the data and file
 * sequence numbers it had (so deletes keep applying to the rows they applied to); files deleted by
 * earlier commits are dropped (their DELETED entry served those commits' readers only).
 */
import { LakeError } from './errors.js';
import type { ManifestEntry, ManifestFile } from './types.js';
import { MANIFEST_ENTRY_STATUS } from './types.js';

export const MERGE_ENABLED_PROPERTY = 'commit.manifest-merge.enabled';
export const MIN_COUNT_TO_MERGE_PROPERTY = 'commit.manifest.min-count-to-merge';
export const TARGET_SIZE_BYTES_PROPERTY = 'commit.manifest.target-size-bytes';

export interface ManifestMergeSettings {
  readonly enabled: boolean;
  readonly minCountToMerge: number;
  readonly targetSizeBytes: number;
}

/** Iceberg's defaults: merging on, at 100 manifests, into manifests of up to 8 MiB. */
export const DEFAULT_MANIFEST_MERGE: ManifestMergeSettings = { enabled: true, minCountToMerge: 100, targetSizeBytes: 8 * 1024 * 1024 };

/**
 * The merge settings a table's properties give (defaults for those absent).
 * `OP_LAKE_INVALID_ARGUMENT` naming the table and property for a value that is not one.
 */
export function manifestMergeSettings(properties: Readonly<Record<string, string>>, table: string): ManifestMergeSettings {
  const bad = (key: string, value: string, want: string): never => {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `table ${table} has property ${key} = ${JSON.stringify(value)}, which is not ${want}`, {
      details: { table, property: key, value },
    });
  };
  const whole = (key: string, fallback: number, min: number): number => {
    const text = properties[key];
    if (text === undefined) return fallback;
    const n = Number(text.trim());
    return text.trim() !== '' && Number.isSafeInteger(n) && n >= min ? n : bad(key, text, `a whole number of at least ${min}`);
  };
  const flag = properties[MERGE_ENABLED_PROPERTY];
  let enabled = DEFAULT_MANIFEST_MERGE.enabled;
  if (flag !== undefined) {
    const t = flag.trim().toLowerCase();
    if (t !== 'true' && t !== 'false') bad(MERGE_ENABLED_PROPERTY, flag, 'true or false');
    enabled = t === 'true';
  }
  return {
    enabled,
    // Java treats anything below 1 as 1 ("merge always"); 0 is accepted here for the same reason.
    minCountToMerge: Math.max(1, whole(MIN_COUNT_TO_MERGE_PROPERTY, DEFAULT_MANIFEST_MERGE.minCountToMerge, 0)),
    targetSizeBytes: whole(TARGET_SIZE_BYTES_PROPERTY, DEFAULT_MANIFEST_MERGE.targetSizeBytes, 1),
  };
}

/**
 * Greedy bins of at most `target` total weight, filled from the END of the list (one open bin at a
 * time, so the order of the items is kept): the bin at the front, the newest items, is the one
 * left short. An item heavier than `target` gets a bin of its own.
 */
export function packFromEnd<T>(items: readonly T[], weight: (item: T) => number, target: number): T[][] {
  const bins: T[][] = [];
  let current: T[] = [];
  let currentWeight = 0;
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i] as T;
    const w = weight(item);
    if (current.length > 0 && currentWeight + w > target) {
      bins.push(current.reverse());
      current = [];
      currentWeight = 0;
    }
    current.push(item);
    currentWeight += w;
  }
  if (current.length > 0) bins.push(current.reverse());
  return bins.reverse();
}

/** One step of a merge plan: a manifest kept as it is, or manifests to combine into one. */
export type MergeStep = { readonly keep: ManifestFile } | { readonly merge: readonly ManifestFile[]; readonly specId: number };

/**
 * What to do with a commit's manifests of one content (data or deletes), in list order: `first`
 * is the commit's own new manifest (the list's first, as Iceberg puts it), or null when the commit
 * adds none. Manifests are grouped by partition spec, newest spec first, and packed per group.
 */
export function planManifestMerge(manifests: readonly ManifestFile[], settings: ManifestMergeSettings): MergeStep[] {
  if (!settings.enabled || manifests.length === 0) return manifests.map((keep) => ({ keep }));
  const first = manifests[0] as ManifestFile;
  const bySpec = new Map<number, ManifestFile[]>();
  for (const m of manifests) {
    const group = bySpec.get(m.partitionSpecId) ?? [];
    group.push(m);
    bySpec.set(m.partitionSpecId, group);
  }
  const steps: MergeStep[] = [];
  for (const specId of [...bySpec.keys()].sort((a, b) => b - a)) {
    for (const bin of packFromEnd(bySpec.get(specId) as ManifestFile[], (m) => m.manifestLength, settings.targetSizeBytes)) {
      if (bin.length === 1 || (bin.includes(first) && bin.length < settings.minCountToMerge)) {
        for (const keep of bin) steps.push({ keep });
      } else {
        steps.push({ merge: bin, specId });
      }
    }
  }
  return steps;
}

/**
 * The entries of a merged manifest, from the entries of the manifests it replaces (with their
 * inherited values filled in, except the commit's own ADDED entries, whose snapshot id and
 * sequence numbers are still to be inherited: null). See the module comment for the rules.
 */
export function mergedEntries(snapshotId: bigint, manifests: readonly (readonly ManifestEntry[])[]): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  for (const entries of manifests) {
    for (const e of entries) {
      const ours = e.snapshotId === null || e.snapshotId === snapshotId;
      if (e.status === MANIFEST_ENTRY_STATUS.deleted) {
        if (ours) out.push(e);
        continue;
      }
      if (e.status === MANIFEST_ENTRY_STATUS.added && ours) {
        out.push(e);
        continue;
      }
      if (e.sequenceNumber === null || e.fileSequenceNumber === null || e.snapshotId === null) {
        throw new LakeError('OP_LAKE_CORRUPT_FILE', `manifest entry for ${e.dataFile.filePath} has no inherited snapshot id or sequence numbers to carry into a merged manifest`, {
          details: { filePath: e.dataFile.filePath },
        });
      }
      // An entry already EXISTING is carried as it is (and so is its encoding, see writeManifest).
      out.push(e.status === MANIFEST_ENTRY_STATUS.existing ? e : Object.freeze({ ...e, status: MANIFEST_ENTRY_STATUS.existing }));
    }
  }
  return out;
}
