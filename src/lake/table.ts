import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { compareToBound, serializeValue, truncatedLowerBound, truncatedUpperBound } from './bounds.js';
import type { Catalog, TableIdentifier } from './catalog.js';
import type { CommitAttempt, CommitRetryPolicy, FileWrittenEvent } from './commit.js';
import { commitWithRetry, fileWrittenChannel } from './commit.js';
import type { ColumnRows } from './column-rows.js';
import { columnValueAt, isColumnRows, rowCountOf, selectColumnRows } from './column-rows.js';
import type { DuckDbEngine, Row, RowValue } from './duckdb-engine.js';
import { flatFields } from './duckdb-engine.js';
import type { PlannedFile } from './deletes.js';
import { DeleteIndex, partitionKey } from './deletes.js';
import { LakeError } from './errors.js';
import type { FileIO } from './file-io.js';
import { toLocalPath } from './local-file-io.js';
import { readManifest, inheritFrom, writeManifest } from './manifest.js';
import { assignSequenceNumbers, readManifestList, writeManifestList } from './manifest-list.js';
import { manifestMergeSettings, mergedEntries, planManifestMerge } from './manifest-merge.js';
import { BoundedCache } from './bounded-cache.js';
import {
  ancestors,
  ancestry,
  currentSchema,
  currentSnapshot,
  defaultSpec,
  metadataFileLocation,
  metadataFileVersion,
  newSnapshotId,
  snapshotAsOf,
  withMetadataLog,
  withSchema,
  withSnapshot,
  withoutSnapshots,
} from './metadata.js';
import { parseTableMetadata, encodeTableMetadata, writeRefusal } from './metadata-json.js';
import type { ParquetFileStats } from './parquet-writer.js';
import type { ParquetWorker } from './parquet-worker.js';
import { encodeRows } from './parquet-columns.js';
import { writeParquet, writeParquetColumns, writeParquetFromQuery } from './parquet-writer.js';
import type { DataFileWithDeletes, QueryOptions, QueryParam, QueryResult, QueryTable } from './query.js';
import { queryParquet } from './query.js';
import { addColumn, checkColumnRows, requireFieldById, rowChecker } from './schema.js';
import { parseTransform, partitionFieldTransforms, partitionPath, partitioner } from './transforms.js';
import type { PartitionFieldTransform, PartitionValue } from './transforms.js';
import type {
  DataFile,
  IcebergType,
  ManifestEntry,
  ManifestFile,
  NestedField,
  PartitionSpec,
  PartitionValues,
  Schema,
  Snapshot,
  SnapshotSummary,
  TableMetadata,
} from './types.js';
import { MANIFEST_ENTRY_STATUS } from './types.js';

/** What a table needs from the lake around it. */
export interface TableContext {
  readonly catalog: Catalog;
  readonly io: FileIO;
  readonly engine: DuckDbEngine;
  /** A local directory for files on their way to object storage. */
  readonly tempDir: string;
  readonly now: () => number;
  readonly retry?: CommitRetryPolicy;
  /** Where data files of rows are encoded: a thread of their own, or (absent) DuckDB on this thread. */
  readonly parquetWorker?: ParquetWorker;
  /** Flush data files written to a local warehouse to the disk (default true; see `LakeOptions.durability`). */
  readonly fsync?: boolean;
}

/** Extra snapshot summary properties (the stream processor records its source offsets here). */
export type SummaryProperties = Readonly<Record<string, string>>;

/**
 * A condition on a commit: for each key, the newest value of that summary property along the
 * current snapshot's ancestry must be this one (null: no snapshot has it). A writer that owns some
 * progress marker uses it to fence off any other writer of the same marker.
 */
export type SummaryExpectation = Readonly<Record<string, string | null>>;

/** A conjunction of simple column predicates, for overwrites and scans. */
export type RowFilter = readonly ColumnPredicate[];
export interface ColumnPredicate {
  readonly column: string;
  readonly op: '=' | '!=' | '<' | '<=' | '>' | '>=';
  readonly value: string | number | boolean;
}

export interface CommitResult {
  readonly snapshotId: bigint;
  readonly sequenceNumber: number;
  readonly operation: SnapshotSummary['operation'];
  readonly addedFiles: number;
  readonly deletedFiles: number;
  readonly addedRecords: number;
  readonly deletedRecords: number;
}

export interface ScanOptions {
  /** Read the table as of a snapshot id. */
  readonly snapshotId?: bigint;
  /** Read the table as it was at an instant (time travel). */
  readonly asOfTimestampMs?: number;
  /**
   * Incremental: only the data files appended after this snapshot, up to the scanned one, with the
   * scanned snapshot's deletes applied. Files that compactions (`replace`) added are not part of an
   * incremental read. `OP_LAKE_NOT_INCREMENTAL` when a snapshot in between removed rows (an
   * `overwrite` or `delete`): rows read before are gone, so only a full read is right.
   */
  readonly sinceSnapshotId?: bigint;
  /**
   * Skip data files that cannot hold a matching row, by their column bounds (partition values are
   * within those bounds too). Rows are not filtered: the query still applies its own WHERE.
   */
  readonly filter?: RowFilter;
}

export interface TableScan {
  readonly snapshotId: bigint | null;
  readonly schema: Schema;
  /** The data files read. */
  readonly files: readonly DataFile[];
  /** The delete files (position and equality) that apply to at least one of them. */
  readonly deleteFiles: readonly DataFile[];
  /** Rows in the data files, before deletes (exact when `deleteFiles` is empty). */
  readonly recordCount: number;
  /** Rows after deletes: `recordCount` when nothing is deleted, else counted by a read. */
  liveRecordCount(): Promise<number>;
  /** Runs read-only SQL; the table is the view named by `alias` (default `t`). */
  query(sql: string, alias?: string): Promise<QueryResult>;
  /** Every row, in the row representation. */
  rows(): Promise<Row[]>;
  /** The scanned files (local paths) and schema, as a view for a query over several tables. */
  view(): Promise<QueryTable>;
}

const MAIN = 'main';
const DELETE_AFTER_COMMIT = 'write.metadata.delete-after-commit.enabled';

/**
 * Files of fewer rows are written on the calling thread even when the lake has a writer thread:
 * encoding them takes a few milliseconds, about what the hand-over to the thread and the reply's
 * wait for a busy event loop cost, and a live stream's small batches (about 100 rows at 5,000
 * events/s) should not wait for that round trip. A backlog's large batches go to the thread.
 */
const WRITER_THREAD_MIN_ROWS = 2_000;

/** Manifest lists a table object keeps read (one per snapshot planned or committed on). */
const MANIFEST_LIST_CACHE_ENTRIES = 64;
/**
 * Manifest entries (data and delete files) a table object keeps read, over all its cached
 * manifests: about 9 KB each in memory with the column statistics of a dozen columns (measured on
 * bronze's), so some 18 MB. A writer needs few of them (an append reads no manifest, a merge reads
 * its bin once, expiry reads only manifests that count deleted files); planning a scan of a larger
 * table decodes its manifests again. A merged manifest of more entries is not kept at all: a table
 * committed to every second keeps its merges cheap with a small `commit.manifest.target-size-bytes`.
 */
const MANIFEST_CACHE_FILE_ENTRIES = 2_000;

/** A manifest an attempt made, not written yet: its bytes, and its entries for a merge. */
interface PendingManifest {
  readonly bytes: Uint8Array;
  readonly entries: readonly ManifestEntry[];
}

function summaryNumber(summary: SnapshotSummary | undefined, key: string): number {
  const n = Number(summary?.[key] ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/**
 * One Iceberg table: reads through its current metadata, writes by committing new snapshots
 * through the catalog's compare-and-swap. Every write method refreshes first and re-applies its
 * change on the newest base when a concurrent commit wins, so no commit is lost or overwritten.
 */
export class IcebergTable {
  readonly identifier: TableIdentifier;
  private readonly ctx: TableContext;
  private current: { readonly location: string; readonly metadata: TableMetadata };

  constructor(ctx: TableContext, identifier: TableIdentifier, metadataLocation: string, metadata: TableMetadata) {
    this.ctx = ctx;
    this.identifier = identifier;
    this.current = { location: metadataLocation, metadata };
  }

  get name(): string {
    return `${this.identifier.namespace}.${this.identifier.name}`;
  }
  get metadata(): TableMetadata {
    return this.current.metadata;
  }
  get metadataLocation(): string {
    return this.current.location;
  }
  get schema(): Schema {
    return currentSchema(this.current.metadata);
  }
  get spec(): PartitionSpec {
    return defaultSpec(this.current.metadata);
  }
  get location(): string {
    return this.current.metadata.location;
  }
  currentSnapshot(): Snapshot | null {
    return currentSnapshot(this.current.metadata);
  }
  /** Snapshots oldest first. */
  snapshots(): readonly Snapshot[] {
    return this.current.metadata.snapshots;
  }

  /**
   * The base of a commit: the current metadata and the location it was read from, taken together.
   * Several operations may run on one table object at once; pairing one operation's metadata with
   * a location another operation has since committed would let the swap succeed on a stale base
   * and lose that other commit.
   */
  private async commitBase(): Promise<{ readonly location: string; readonly metadata: TableMetadata }> {
    await this.refresh();
    return this.current;
  }

  /** Loads the table's current metadata from the catalog. */
  async refresh(): Promise<TableMetadata> {
    const location = await this.ctx.catalog.currentMetadataLocation(this.identifier);
    if (location === null) {
      throw new LakeError('OP_LAKE_NO_SUCH_TABLE', `table ${this.name} no longer exists in catalog ${this.ctx.catalog.name}`, {
        details: { table: this.name },
      });
    }
    if (location !== this.current.location) {
      this.current = { location, metadata: await loadMetadata(this.ctx.io, location) };
    }
    return this.current.metadata;
  }

  // ------------------------------------------------------------------------------------------
  // Writes
  // ------------------------------------------------------------------------------------------

  /**
   * Appends rows as new data files (a fast append: existing manifests are kept as they are). With
   * `expect`, the commit lands only while each named summary property still has the given value
   * (see `SummaryExpectation`). Rows come as objects or, from a writer that builds many of one
   * shape, as columns (`ColumnRows`): the same checks, the same files.
   */
  async append(rows: readonly Row[] | ColumnRows, options: { readonly summary?: SummaryProperties; readonly expect?: SummaryExpectation } = {}): Promise<CommitResult> {
    await this.refresh();
    const added = await this.writeDataFiles(rows);
    return this.commit('append', {
      summary: options.summary,
      ...(options.expect === undefined ? {} : { expect: options.expect }),
      dataFiles: added,
    });
  }

  /**
   * Replaces the rows that match `filter` with `rows`: files whose rows all match are dropped,
   * files that partly match are rewritten without the matching rows. An empty filter replaces the
   * whole table.
   */
  async overwrite(
    rows: readonly Row[],
    options: { readonly filter: RowFilter; readonly summary?: SummaryProperties; readonly expect?: SummaryExpectation },
  ): Promise<CommitResult> {
    await this.refresh();
    const added = await this.writeDataFiles(rows);
    return this.commit('overwrite', {
      summary: options.summary,
      ...(options.expect === undefined ? {} : { expect: options.expect }),
      dataFiles: added,
      rewrite: async (base, liveData, liveDeletes) => this.rewriteMatching(base, liveData, liveDeletes, options.filter),
    });
  }

  /** Replaces every partition the rows fall in with the rows (dynamic partition overwrite). */
  async replacePartitions(rows: readonly Row[], options: { readonly summary?: SummaryProperties } = {}): Promise<CommitResult> {
    await this.refresh();
    const added = await this.writeDataFiles(rows);
    const touched = new Set(added.map((f) => partitionKey(f.partition)));
    return this.commit('overwrite', {
      summary: { ...(options.summary ?? {}), 'replace-partitions': 'true' },
      dataFiles: added,
      filesToDelete: (live) => live.filter((f) => touched.has(partitionKey(f.partition))),
    });
  }

  /**
   * Replaces every row of the table with the result of a read query over other tables' views, in
   * one `overwrite` snapshot. The result goes from DuckDB straight into Parquet (no JavaScript
   * rows); its columns are matched to the table's by name. An empty result leaves the table empty.
   * Only unpartitioned tables: a query result is one file.
   */
  async replaceWithQuery(
    source: { readonly tables: QueryOptions['tables']; readonly sql: string; readonly params?: QueryOptions['params'] },
    options: { readonly summary?: SummaryProperties; readonly expect?: SummaryExpectation } = {},
  ): Promise<CommitResult> {
    await this.refresh();
    if (this.spec.fields.length > 0) {
      throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `${this.name} is partitioned: a query result can replace only an unpartitioned table`, {
        details: { table: this.name },
      });
    }
    const written = await this.writeQueryFile(source, {});
    const added: DataFile[] = written === null ? [] : [written];
    return this.commit('overwrite', {
      summary: options.summary,
      ...(options.expect === undefined ? {} : { expect: options.expect }),
      dataFiles: added,
      filesToDelete: (live) => live,
    });
  }

  /** Adds an optional column; existing files are not rewritten (they read it as null). */
  async addColumn(column: { readonly name: string; readonly type: IcebergType; readonly doc?: string }): Promise<Schema> {
    let result: Schema | null = null;
    await this.retrying(async () => {
      const { location: baseLocation, metadata: base } = await this.commitBase();
      const schema = addColumn(currentSchema(base), column.name, column.type, {
        lastColumnId: base['last-column-id'],
        ...(column.doc === undefined ? {} : { doc: column.doc }),
      });
      const next = withSchema(base, schema, { nowMs: this.ctx.now() });
      result = currentSchema(next);
      return this.prepareMetadataSwap(baseLocation, base, next, result);
    });
    if (result === null) throw new Error('unreachable: commit returned without a schema');
    return result;
  }

  /**
   * Compaction, in one `replace` snapshot: the small data files of each partition (under
   * `targetRows` rows, at least `minFiles` of them) become one file, and every data file that delete
   * files apply to is rewritten without its deleted rows. A delete file whose every data file was
   * rewritten is removed. Rows are copied inside DuckDB, so every value stays exact (microseconds,
   * decimals, bytes). `OP_LAKE_UNSUPPORTED`, and nothing written, when the table holds what the
   * rewrite could not carry faithfully (see `compactionBlocker`).
   */
  async compact(options: { readonly targetRows?: number; readonly minFiles?: number } = {}): Promise<CommitResult | null> {
    const targetRows = options.targetRows ?? 1_000_000;
    const minFiles = options.minFiles ?? 2;
    const meta = await this.refresh();
    this.assertWritable(meta);
    const { data, deletes } = await this.snapshotFiles(currentSnapshot(meta));
    const blocker = compactionBlocker(meta, data, deletes);
    if (blocker !== null) {
      throw new LakeError('OP_LAKE_UNSUPPORTED', `${this.name} was left as it is: ${blocker}`, { details: { table: this.name, reason: blocker } });
    }
    const index = new DeleteIndex(deletes, meta['partition-specs']);
    const groups = new Map<string, { readonly files: PlannedFile[]; hasDeletes: boolean }>();
    for (const f of data) {
      // Files of an earlier partition spec keep their layout: rewriting them would repartition them.
      if (f.specId !== meta['default-spec-id']) continue;
      const applied = index.for(f);
      const hasDeletes = applied.position.length + applied.equality.length > 0;
      if (!hasDeletes && f.file.recordCount >= targetRows) continue;
      const key = partitionKey(f.file.partition);
      const group = groups.get(key) ?? { files: [], hasDeletes: false };
      group.files.push(f);
      group.hasDeletes ||= hasDeletes;
      groups.set(key, group);
    }
    const chosen = [...groups.values()].filter((g) => g.hasDeletes || g.files.length >= minFiles);
    if (chosen.length === 0) return null;
    const schema = currentSchema(meta);
    const added: DataFile[] = [];
    try {
      for (const group of chosen) {
        const view = await this.readView(meta, schema, group.files.map((f) => ({ data: f, deletes: index.for(f) })));
        const file = await this.writeQueryFile({ tables: { t: view }, sql: 'SELECT * FROM t' }, (group.files[0] as PlannedFile).file.partition);
        if (file !== null) added.push(file);
      }
    } catch (error) {
      await this.deleteQuietly(added.map((f) => f.filePath));
      throw error;
    }
    const replaced = new Set(chosen.flatMap((g) => g.files.map((f) => f.file.filePath)));
    // A delete file can go once no remaining data file is one it applies to.
    const stillNeeded = new Set<string>();
    for (const f of data) {
      if (replaced.has(f.file.filePath)) continue;
      const applied = index.for(f);
      for (const d of [...applied.position, ...applied.equality]) stillNeeded.add(d.file.filePath);
    }
    const planned = new Set(deletes.map((d) => d.file.filePath));
    const removable = new Set(deletes.filter((d) => !stillNeeded.has(d.file.filePath)).map((d) => d.file.filePath));
    return this.commit('replace', {
      // A compaction changes no data, so the application's summary properties (`orderpulse.*`: the
      // stream's log offsets and position) are carried onto it: expiring the snapshot that wrote
      // them must not lose them. They are read from the base each attempt lands on: a writer's
      // commit in between must not be undone.
      summary: applicationSummaryOf,
      dataFiles: added,
      filesToDelete: (current, currentDeletes) => {
        const present = new Set(current.map((f) => f.filePath));
        for (const path of replaced) {
          if (!present.has(path)) {
            // Another writer removed one of the files being compacted: this compaction no longer applies.
            throw new LakeError('OP_LAKE_COMMIT_FAILED', `compaction of ${this.name} lost a race: ${path} was removed concurrently`, {
              details: { table: this.name, file: path },
            });
          }
        }
        for (const d of currentDeletes) {
          if (!planned.has(d.file.filePath)) {
            // Rows deleted since the rewrite read its files would come back in the rewritten ones.
            throw new LakeError('OP_LAKE_COMMIT_FAILED', `compaction of ${this.name} lost a race: delete file ${d.file.filePath} was added concurrently`, {
              details: { table: this.name, file: d.file.filePath },
            });
          }
        }
        return [...current.filter((f) => replaced.has(f.filePath)), ...currentDeletes.filter((d) => removable.has(d.file.filePath)).map((d) => d.file)];
      },
    });
  }

  /**
   * Commits delete files that are already written (position or equality deletes, Parquet, under
   * the table's location) as a `delete` snapshot. OrderPulse's own writers do not delete rows; this
   * is how a row-level delete made by other means becomes part of the table.
   */
  async addDeleteFiles(deleteFiles: readonly DataFile[], options: { readonly summary?: SummaryProperties } = {}): Promise<CommitResult> {
    for (const f of deleteFiles) {
      if (f.content === 0) throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `${f.filePath} is a data file, not a delete file`, { details: { file: f.filePath } });
      if (f.content === 2 && (f.equalityIds ?? []).length === 0) {
        throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `equality delete file ${f.filePath} names no equality ids`, { details: { file: f.filePath } });
      }
    }
    await this.refresh();
    return this.commit('delete', { summary: options.summary, dataFiles: deleteFiles });
  }

  /**
   * Expires snapshots older than `olderThanMs`, always keeping the newest `retainLast` (at least
   * one, the current), then deletes the files only they reached.
   */
  async expireSnapshots(options: { readonly olderThanMs: number; readonly retainLast?: number }): Promise<{
    readonly expiredSnapshots: number;
    readonly deletedFiles: number;
  }> {
    const retainLast = Math.max(1, options.retainLast ?? 1);
    const plan = (base: TableMetadata): bigint[] => {
      const current = base['current-snapshot-id'];
      const keep = new Set(
        [...base.snapshots]
          .sort((a, b) => b['timestamp-ms'] - a['timestamp-ms'])
          .slice(0, retainLast)
          .map((s) => s['snapshot-id']),
      );
      if (current !== null && current !== undefined) keep.add(current);
      for (const ref of Object.values(base.refs)) keep.add(ref['snapshot-id']);
      return base.snapshots.filter((s) => !keep.has(s['snapshot-id']) && s['timestamp-ms'] < options.olderThanMs).map((s) => s['snapshot-id']);
    };
    const first = await this.refresh();
    this.assertWritable(first);
    const planned = plan(first);
    // Nothing old enough: no commit (a scheduled expiry runs often).
    if (planned.length === 0) return { expiredSnapshots: 0, deletedFiles: 0 };
    if (losesApplicationSummary(first, withoutSnapshots(first, planned))) {
      // The newest value of an `orderpulse.*` property (a stream task's log offsets, say) is held
      // only by snapshots about to go: a snapshot that changes no data carries them first, as a
      // compaction does, so that expiry never loses a writer's progress.
      await this.commit('replace', { summary: applicationSummaryOf, dataFiles: [] });
    }
    let expired: bigint[] = [];
    let before: TableMetadata | null = null;
    let after: TableMetadata | null = null;
    await this.retrying(async () => {
      const { location: baseLocation, metadata: base } = await this.commitBase();
      expired = plan(base);
      let next = withoutSnapshots(base, expired, { nowMs: this.ctx.now() });
      // Raced by a writer whose commit moved a property's newest value out again: expire nothing this time.
      if (losesApplicationSummary(base, next)) {
        expired = [];
        next = base;
      }
      before = base;
      after = next;
      return this.prepareMetadataSwap(baseLocation, base, next, null);
    });
    if (expired.length === 0 || before === null || after === null) return { expiredSnapshots: 0, deletedFiles: 0 };
    const orphaned = (await this.expiredPrefixFiles(before, expired)) ?? (await this.unreachableFiles(before, after));
    await this.deleteQuietly(orphaned);
    return { expiredSnapshots: expired.length, deletedFiles: orphaned.length };
  }

  /**
   * Deletes files under the table's location that no snapshot or metadata file refers to and that
   * are older than `olderThanMs` (files of a commit in flight are younger: keep the margin wide).
   */
  async removeOrphanFiles(options: { readonly olderThanMs: number; readonly dryRun?: boolean }): Promise<readonly string[]> {
    const meta = await this.refresh();
    // Files that metadata OrderPulse does not model refers to (statistics, say) would look orphaned.
    this.assertWritable(meta);
    const known = await this.reachableFiles(meta);
    known.add(this.current.location);
    for (const entry of meta['metadata-log']) known.add(entry['metadata-file']);
    const orphans: string[] = [];
    for await (const file of this.ctx.io.list(`${meta.location}/`)) {
      if (known.has(file.location) || file.lastModifiedMs >= options.olderThanMs) continue;
      orphans.push(file.location);
    }
    if (options.dryRun !== true) await this.deleteQuietly(orphans);
    return orphans;
  }

  // ------------------------------------------------------------------------------------------
  // Reads
  // ------------------------------------------------------------------------------------------

  /**
   * Plans a scan: the data files of the snapshot chosen (pruned by `filter`), and the delete files
   * that apply to each (see `deletes.ts`).
   */
  async scan(options: ScanOptions = {}): Promise<TableScan> {
    const meta = await this.refresh();
    const snapshot = snapshotAsOf(meta, {
      ...(options.snapshotId === undefined ? {} : { snapshotId: options.snapshotId }),
      ...(options.asOfTimestampMs === undefined ? {} : { timestampMs: options.asOfTimestampMs }),
    });
    // Time travel reads with the schema the snapshot was written with.
    const schema =
      snapshot?.['schema-id'] === undefined ? currentSchema(meta) : (meta.schemas.find((s) => s['schema-id'] === snapshot['schema-id']) ?? currentSchema(meta));
    const all = await this.snapshotFiles(snapshot);
    const planned =
      options.sinceSnapshotId === undefined ? all.data : await this.appendedSince(meta, snapshot, options.sinceSnapshotId);
    const data = options.filter === undefined ? planned : planned.filter((f) => mayMatch(schema, f.file, options.filter ?? []));
    const index = new DeleteIndex(all.deletes, meta['partition-specs']);
    const reads = data.map((d) => ({ data: d, deletes: index.for(d) }));
    const applied = new Map<string, DataFile>();
    for (const r of reads) for (const d of [...r.deletes.position, ...r.deletes.equality]) applied.set(d.file.filePath, d.file);
    const engine = this.ctx.engine;
    const view = (): Promise<QueryTable> => this.readView(meta, schema, reads);
    const recordCount = data.reduce((sum, f) => sum + f.file.recordCount, 0);
    return {
      snapshotId: snapshot?.['snapshot-id'] ?? null,
      schema,
      files: data.map((d) => d.file),
      deleteFiles: [...applied.values()],
      recordCount,
      liveRecordCount: async () => {
        if (applied.size === 0) return recordCount;
        const counted = await queryParquet(engine, { tables: { t: await view() }, sql: 'SELECT count(*) AS n FROM t' });
        return Number(counted.rows[0]?.n ?? 0);
      },
      query: async (sql, alias = 't') => queryParquet(engine, { tables: { [alias]: await view() }, sql }),
      rows: async () => {
        const { rows } = await queryParquet(engine, { tables: { t: await view() }, sql: 'SELECT * FROM t' });
        return rows as Row[];
      },
      view,
    };
  }

  /** The view of data files with their deletes: local paths, and the columns equality deletes compare. */
  private async readView(
    meta: TableMetadata,
    schema: Schema,
    reads: readonly { readonly data: PlannedFile; readonly deletes: ReturnType<DeleteIndex['for']> }[],
  ): Promise<QueryTable> {
    const files: string[] = [];
    const deleted: DataFileWithDeletes[] = [];
    for (const { data, deletes } of reads) {
      for (const file of [data.file, ...deletes.position.map((d) => d.file), ...deletes.equality.map((d) => d.file)]) {
        if (file.fileFormat !== 'PARQUET') {
          throw new LakeError('OP_LAKE_UNSUPPORTED', `${this.name} holds ${file.filePath}, an ${file.fileFormat} file; OrderPulse reads Parquet only`, {
            details: { table: this.name, file: file.filePath },
          });
        }
      }
      const [path] = await this.localPaths([data.file]);
      if (deletes.position.length === 0 && deletes.equality.length === 0) {
        files.push(path as string);
        continue;
      }
      deleted.push({
        path: path as string,
        location: data.file.filePath,
        positionDeletes: await this.localPaths(deletes.position.map((d) => d.file)),
        equalityDeletes: await Promise.all(
          deletes.equality.map(async (d) => ({
            path: (await this.localPaths([d.file]))[0] as string,
            fields: (d.file.equalityIds ?? []).map((id) => this.fieldById(meta, schema, id, d.file.filePath)),
          })),
        ),
      });
    }
    return deleted.length === 0 ? { files, schema } : { files, schema, deleted };
  }

  /** A column by field id: in the schema read with, else the newest schema that had it (since dropped). */
  private fieldById(meta: TableMetadata, schema: Schema, id: number, deleteFile: string): NestedField {
    for (const s of [schema, ...[...meta.schemas].reverse()]) {
      const field = s.fields.find((f) => f.id === id);
      if (field !== undefined) return field;
    }
    throw new LakeError('OP_LAKE_CORRUPT_FILE', `equality delete file ${deleteFile} of ${this.name} compares field id ${id}, which no schema of the table has`, {
      details: { table: this.name, file: deleteFile, fieldId: id },
    });
  }

  /** The newest value of a summary property along the current snapshot's ancestry, or null. */
  lastSummaryValue(key: string): string | null {
    const current = this.currentSnapshot();
    return current === null ? null : summaryValueAlong(this.current.metadata, current['snapshot-id'], key);
  }

  // ------------------------------------------------------------------------------------------
  // Internals
  // ------------------------------------------------------------------------------------------

  private async commit(
    operation: SnapshotSummary['operation'],
    change: {
      /**
       * Summary properties; a function of the attempt's base when they restate the base's own
       * values (a concurrent commit may have moved them on since the change was planned).
       */
      readonly summary?: SummaryProperties | ((base: TableMetadata) => SummaryProperties);
      readonly expect?: SummaryExpectation;
      /** Files to add: data files, or delete files written by another engine's rules. */
      readonly dataFiles: readonly DataFile[];
      /**
       * Files of the base to delete, data or delete files (decided again on every attempt, on the
       * newest base, whose live delete files come second). Absent: nothing is deleted, and the
       * commit reads none of the base's manifests (a fast append).
       */
      readonly filesToDelete?: (live: readonly DataFile[], liveDeletes: readonly PlannedFile[]) => readonly DataFile[];
      /** Files of the base to rewrite: their replacements and the files they replace. */
      readonly rewrite?: (
        base: TableMetadata,
        liveData: readonly PlannedFile[],
        liveDeletes: readonly PlannedFile[],
      ) => Promise<{ readonly added: readonly DataFile[]; readonly deleted: readonly DataFile[] }>;
    },
  ): Promise<CommitResult> {
    const written = change.dataFiles.map((f) => f.filePath);
    try {
      return await this.retrying((attempt) => this.prepareSnapshot(operation, change, attempt));
    } catch (error) {
      // Data files of a commit that did not land are orphans: remove them now, unless the outcome is unknown.
      if (!(error instanceof LakeError && error.code === 'OP_LAKE_COMMIT_STATE_UNKNOWN')) await this.deleteQuietly(written);
      throw error;
    }
  }

  private async prepareSnapshot(
    operation: SnapshotSummary['operation'],
    change: Parameters<IcebergTable['commit']>[1],
    attempt: number,
  ): Promise<CommitAttempt<CommitResult>> {
    const { location: baseLocation, metadata: base } = await this.commitBase();
    const parent = currentSnapshot(base);
    // Checked on every attempt's base; the compare-and-swap then makes the check and the commit one step.
    for (const [key, expected] of Object.entries(change.expect ?? {})) {
      const found = parent === null ? null : summaryValueAlong(base, parent['snapshot-id'], key);
      if (found !== expected) {
        throw new LakeError(
          'OP_LAKE_PRECONDITION_FAILED',
          `commit to ${this.name} refused: summary property ${key} is ${found === null ? 'absent' : JSON.stringify(found)}, expected ${expected === null ? 'absent' : JSON.stringify(expected)} (another writer changed it)`,
          { details: { table: this.name, key, expected, found } },
        );
      }
    }
    const schema = currentSchema(base);
    const spec = defaultSpec(base);
    const snapshotId = newSnapshotId();
    const sequenceNumber = base['last-sequence-number'] + 1;
    const tableLocation = base.location;
    const files: string[] = [];

    const parentManifests = parent === null ? [] : await this.manifestList(parent);
    // A fast append reads no manifest: only a change that removes or rewrites files needs the live ones.
    const needsLive = change.rewrite !== undefined || change.filesToDelete !== undefined;
    const { data: liveData, deletes: liveDeletes } = needsLive ? await this.snapshotFiles(parent) : { data: [], deletes: [] };
    const live = liveData.map((f) => f.file);
    const rewritten = change.rewrite === undefined ? { added: [], deleted: [] } : await change.rewrite(base, liveData, liveDeletes);
    files.push(...rewritten.added.map((f) => f.filePath));
    const removed = [...(change.filesToDelete?.(live, liveDeletes) ?? []), ...rewritten.deleted];
    const deletedPaths = new Set(removed.map((f) => f.filePath));
    const addedAll = [...change.dataFiles, ...rewritten.added];
    const added = addedAll.filter((f) => f.content === 0);
    const deleted = removed.filter((f) => f.content === 0);
    const addedDeletes = addedAll.filter((f) => f.content !== 0);
    const removedDeletes = removed.filter((f) => f.content !== 0);

    // Manifests this attempt makes are held in memory until the merge has decided which of them
    // the snapshot lists: a new manifest merged away is never written.
    const pending = new Map<string, PendingManifest>();
    let i = 0;
    const make = (content: 'data' | 'deletes', entries: readonly ManifestEntry[], manifestSpec: PartitionSpec): ManifestFile => {
      const path = `${tableLocation}/metadata/${randomUUID()}-m${i++}.avro`;
      const written = writeManifest({ schema, spec: manifestSpec, entries, snapshotId, manifestPath: path, content });
      pending.set(path, { bytes: written.bytes, entries });
      return written.manifestFile;
    };
    const specOf = (id: number): PartitionSpec => base['partition-specs'].find((s) => s['spec-id'] === id) ?? spec;
    const lists: Record<'data' | 'deletes', ManifestFile[]> = { data: [], deletes: [] };
    for (const [content, newFiles] of [['data', added], ['deletes', addedDeletes]] as const) {
      if (newFiles.length === 0) continue;
      const entries: ManifestEntry[] = newFiles.map((dataFile) => ({
        status: MANIFEST_ENTRY_STATUS.added,
        snapshotId: null,
        sequenceNumber: null,
        fileSequenceNumber: null,
        dataFile,
      }));
      lists[content].push(make(content, entries, spec));
    }
    // Keep the parent's manifests; rewrite those that hold a deleted file, marking it DELETED.
    for (const manifest of parentManifests) {
      const content = manifest.content === 0 ? 'data' : 'deletes';
      if (deletedPaths.size === 0) {
        lists[content].push(manifest);
        continue;
      }
      const entries = await this.manifestEntries(manifest);
      if (!entries.some((e) => e.status !== MANIFEST_ENTRY_STATUS.deleted && deletedPaths.has(e.dataFile.filePath))) {
        lists[content].push(manifest);
        continue;
      }
      const kept: ManifestEntry[] = [];
      for (const e of entries) {
        if (e.status === MANIFEST_ENTRY_STATUS.deleted) continue;
        kept.push({
          ...e,
          status: deletedPaths.has(e.dataFile.filePath) ? MANIFEST_ENTRY_STATUS.deleted : MANIFEST_ENTRY_STATUS.existing,
          snapshotId: deletedPaths.has(e.dataFile.filePath) ? snapshotId : e.snapshotId,
        });
      }
      lists[content].push(make(content, kept, specOf(manifest.partitionSpecId)));
    }
    // Merge-append: small manifests are combined as the table's commit.manifest.* properties say.
    const settings = manifestMergeSettings(base.properties, this.name);
    const manifests: ManifestFile[] = [];
    for (const content of ['data', 'deletes'] as const) {
      for (const step of planManifestMerge(lists[content], settings)) {
        if ('keep' in step) {
          manifests.push(step.keep);
          continue;
        }
        const parts = await Promise.all(step.merge.map(async (m) => pending.get(m.manifestPath)?.entries ?? this.manifestEntries(m)));
        manifests.push(make(content, mergedEntries(snapshotId, parts), specOf(step.specId)));
      }
    }
    // The new manifests and the manifest list are written at once: none needs another on disk
    // first, only all of them before the metadata file that names the list, and each write waits
    // for its own fsyncs (about 1.5 ms each here), which in turn would add up.
    const writes: Promise<void>[] = [];
    const listed = assignSequenceNumbers({ snapshotId, sequenceNumber, manifests });
    for (const manifest of listed) {
      const made = pending.get(manifest.manifestPath);
      if (made === undefined) continue;
      writes.push(this.ctx.io.write(manifest.manifestPath, made.bytes));
      files.push(manifest.manifestPath);
      // Kept as read back, under the key a later read would use: a merge of the next commits then
      // combines what this one wrote without reading and decoding it again. (A manifest of an
      // attempt that does not land is never asked for, and drops out of the cache.)
      this.manifestCache.set(`${manifest.manifestPath}@${manifest.sequenceNumber}`, inheritFrom(manifest, made.entries));
    }
    const listPath = `${tableLocation}/metadata/snap-${snapshotId}-${attempt}-${randomUUID()}.avro`;
    writes.push(this.ctx.io.write(listPath, writeManifestList({ snapshotId, parentSnapshotId: parent?.['snapshot-id'] ?? null, sequenceNumber, manifests })));
    files.push(listPath);
    // The list as a read of it gives it: the next commit's parent, which then needs no read.
    this.manifestListCache.set(listPath, listed);
    // Every write settles before a failure is thrown, so the clean-up of `files` never races a write in flight.
    const failed = (await Promise.allSettled(writes)).find((w): w is PromiseRejectedResult => w.status === 'rejected');
    if (failed !== undefined) throw failed.reason;

    const addedRecords = added.reduce((s, f) => s + f.recordCount, 0);
    const deletedRecords = deleted.reduce((s, f) => s + f.recordCount, 0);
    const addedSize = added.reduce((s, f) => s + f.fileSizeInBytes, 0);
    const removedSize = deleted.reduce((s, f) => s + f.fileSizeInBytes, 0);
    const previous = parent?.summary;
    const summary: SnapshotSummary = {
      ...(typeof change.summary === 'function' ? change.summary(base) : (change.summary ?? {})),
      operation,
      'added-data-files': String(added.length),
      'added-records': String(addedRecords),
      'added-files-size': String(addedSize),
      'deleted-data-files': String(deleted.length),
      'deleted-records': String(deletedRecords),
      'removed-files-size': String(removedSize),
      'changed-partition-count': String(new Set([...added, ...deleted].map((f) => partitionKey(f.partition))).size),
      'total-records': String(summaryNumber(previous, 'total-records') + addedRecords - deletedRecords),
      'total-files-size': String(summaryNumber(previous, 'total-files-size') + addedSize - removedSize),
      'total-data-files': String(summaryNumber(previous, 'total-data-files') + added.length - deleted.length),
      ...deleteFileSummary(previous, addedDeletes, removedDeletes),
    };
    const now = this.ctx.now();
    const snapshot: Snapshot = {
      'snapshot-id': snapshotId,
      ...(parent === null ? {} : { 'parent-snapshot-id': parent['snapshot-id'] }),
      'sequence-number': sequenceNumber,
      'timestamp-ms': Math.max(now, base['last-updated-ms']),
      'manifest-list': listPath,
      summary,
      'schema-id': schema['schema-id'],
    };
    const next = withSnapshot(base, snapshot, { ref: MAIN, nowMs: snapshot['timestamp-ms'] });
    const swap = await this.prepareMetadataSwap(baseLocation, base, next, {
      snapshotId,
      sequenceNumber,
      operation,
      addedFiles: added.length,
      deletedFiles: deleted.length,
      addedRecords,
      deletedRecords,
    });
    return { ...swap, files: { locations: [...files, ...swap.files.locations] } };
  }

  /** `OP_LAKE_UNSUPPORTED` for metadata a commit would not carry faithfully (see `writeRefusal`). */
  private assertWritable(meta: TableMetadata): void {
    const refusal = writeRefusal(meta);
    if (refusal !== null) {
      throw new LakeError('OP_LAKE_UNSUPPORTED', `${this.name} is read-only to OrderPulse: ${refusal}`, { details: { table: this.name, reason: refusal } });
    }
  }

  /** Commits through the retry loop; a conflicting or failed attempt's files are deleted. */
  private retrying<T>(prepare: (attempt: number) => Promise<CommitAttempt<T>>): Promise<T> {
    return commitWithRetry({
      table: this.name,
      ...(this.ctx.retry === undefined ? {} : { policy: this.ctx.retry }),
      cleanup: (locations) => this.deleteQuietly(locations),
      prepare,
    });
  }

  /** Writes the next metadata file and returns the swap that makes it current. */
  private async prepareMetadataSwap<T>(
    baseLocation: string,
    base: TableMetadata,
    next: TableMetadata,
    result: T,
  ): Promise<CommitAttempt<T>> {
    this.assertWritable(base);
    const version = (metadataFileVersion(baseLocation) ?? 0) + 1;
    const withLog = withMetadataLog(next, baseLocation, base['last-updated-ms']);
    const location = metadataFileLocation(base.location, version);
    await this.ctx.io.write(location, encodeTableMetadata(withLog));
    return {
      result,
      files: { locations: [location] },
      swap: async () => {
        await this.ctx.catalog.swapMetadataLocation(this.identifier, baseLocation, location);
        this.current = { location, metadata: withLog };
        // Iceberg's write.metadata.delete-after-commit.enabled: a metadata file that fell out of
        // the log goes once the commit landed (else a table committed to every second keeps one
        // file of every snapshot it holds for every commit it ever had).
        if (withLog.properties[DELETE_AFTER_COMMIT] === 'true') {
          const logged = new Set(withLog['metadata-log'].map((e) => e['metadata-file']));
          await this.deleteQuietly(base['metadata-log'].map((e) => e['metadata-file']).filter((f) => !logged.has(f) && f !== location));
        }
      },
    };
  }

  /** A data file is flushed where it stays: in a local warehouse; one on its way to object storage is not. */
  private fsyncDataFiles(): boolean {
    return this.ctx.io.scheme === 'file' && (this.ctx.fsync ?? true);
  }

  // Bounded: a processor appending every second for weeks reads ever new lists and manifests.
  private manifestListCache = new BoundedCache<string, readonly ManifestFile[]>({ maxWeight: MANIFEST_LIST_CACHE_ENTRIES });
  private manifestCache = new BoundedCache<string, readonly ManifestEntry[]>({ maxWeight: MANIFEST_CACHE_FILE_ENTRIES, weigh: (entries) => entries.length + 1 });

  private async manifestList(snapshot: Snapshot): Promise<readonly ManifestFile[]> {
    const path = snapshot['manifest-list'];
    let list = this.manifestListCache.get(path);
    if (list === undefined) {
      list = readManifestList(await this.ctx.io.read(path), path);
      this.manifestListCache.set(path, list);
    }
    return list;
  }

  /** A manifest's entries with inherited snapshot ids and sequence numbers filled in. */
  private async manifestEntries(manifest: ManifestFile): Promise<readonly ManifestEntry[]> {
    const key = `${manifest.manifestPath}@${manifest.sequenceNumber}`;
    let entries = this.manifestCache.get(key);
    if (entries === undefined) {
      entries = inheritFrom(manifest, readManifest(await this.ctx.io.read(manifest.manifestPath), manifest.manifestPath));
      this.manifestCache.set(key, entries);
    }
    return entries;
  }

  /** The live files a snapshot reaches: data files and delete files, with their spec and sequence number. */
  private async snapshotFiles(snapshot: Snapshot | null): Promise<{ readonly data: PlannedFile[]; readonly deletes: PlannedFile[] }> {
    const data: PlannedFile[] = [];
    const deletes: PlannedFile[] = [];
    if (snapshot === null) return { data, deletes };
    for (const manifest of await this.manifestList(snapshot)) {
      for (const e of await this.manifestEntries(manifest)) {
        if (e.status === MANIFEST_ENTRY_STATUS.deleted) continue;
        const planned = { file: e.dataFile, specId: manifest.partitionSpecId, sequenceNumber: e.sequenceNumber ?? manifest.sequenceNumber };
        (e.dataFile.content === 0 ? data : deletes).push(planned);
      }
    }
    return { data, deletes };
  }

  /** The data files a snapshot reads. */
  private async liveFiles(snapshot: Snapshot | null): Promise<DataFile[]> {
    return (await this.snapshotFiles(snapshot)).data.map((f) => f.file);
  }

  /** Data files added by append snapshots after `sinceId` up to `snapshot` (Iceberg's incremental append scan). */
  private async appendedSince(meta: TableMetadata, snapshot: Snapshot | null, sinceId: bigint): Promise<PlannedFile[]> {
    if (snapshot === null) return [];
    const chain = ancestors(meta, snapshot['snapshot-id']);
    const index = chain.findIndex((s) => s['snapshot-id'] === sinceId);
    if (index === -1) {
      throw new LakeError(
        'OP_LAKE_NO_SUCH_SNAPSHOT',
        `snapshot ${sinceId} is not an ancestor of snapshot ${snapshot['snapshot-id']} in ${this.name} (expired, or from another branch)`,
        { details: { table: this.name, sinceSnapshotId: String(sinceId) } },
      );
    }
    const between = chain.slice(0, index);
    const removing = between.find((s) => s.summary.operation === 'overwrite' || s.summary.operation === 'delete');
    if (removing !== undefined) {
      throw new LakeError(
        'OP_LAKE_NOT_INCREMENTAL',
        `${this.name} cannot be read incrementally from snapshot ${sinceId}: snapshot ${removing['snapshot-id']} (${removing.summary.operation}) removed rows since`,
        { details: { table: this.name, sinceSnapshotId: sinceId, snapshotId: removing['snapshot-id'] } },
      );
    }
    const appends = new Set(between.filter((s) => s.summary.operation === 'append').map((s) => s['snapshot-id']));
    // A file keeps the id of the snapshot that appended it when a later commit carries it as
    // EXISTING (a merged or rewritten manifest), and such a manifest was added after that append:
    // only manifests added since `sinceId` can hold files appended since.
    const since = new Set(between.map((s) => s['snapshot-id']));
    const out: PlannedFile[] = [];
    for (const manifest of await this.manifestList(snapshot)) {
      if (manifest.content !== 0 || !since.has(manifest.addedSnapshotId)) continue;
      for (const e of await this.manifestEntries(manifest)) {
        if (e.status !== MANIFEST_ENTRY_STATUS.deleted && e.snapshotId !== null && appends.has(e.snapshotId)) {
          out.push({ file: e.dataFile, specId: manifest.partitionSpecId, sequenceNumber: e.sequenceNumber ?? manifest.sequenceNumber });
        }
      }
    }
    return out;
  }

  /** The files `before` reaches and `after` does not (every manifest of both read). */
  private async unreachableFiles(before: TableMetadata, after: TableMetadata): Promise<string[]> {
    const still = await this.reachableFiles(after);
    return [...(await this.reachableFiles(before))].filter((f) => !still.has(f));
  }

  /**
   * The files only the expired snapshots reached, without reading the manifests of the snapshots
   * kept, when the history is one line (no branch or tag besides main, every snapshot an ancestor
   * of the current one) and the expired snapshots are its oldest part; null otherwise.
   *
   * On one line a manifest, once dropped from a list, never comes back, so the manifests still
   * reached are those of the oldest snapshot kept. A data or delete file is reached by no kept
   * snapshot exactly when the commit that removed it (its DELETED entry) is expired or is that
   * oldest kept snapshot, and such entries are only in manifests whose list entry counts deleted
   * files: only those are read. A removed file whose DELETED entry stays carried by kept snapshots
   * is deleted by a later expiry, once a merge has dropped that manifest.
   */
  private async expiredPrefixFiles(before: TableMetadata, expired: readonly bigint[]): Promise<string[] | null> {
    const current = before['current-snapshot-id'];
    if (current === null || current === undefined) return null;
    if (Object.entries(before.refs).some(([name, ref]) => name !== MAIN || ref['snapshot-id'] !== current)) return null;
    const line = [...ancestors(before, current)].reverse(); // oldest first
    if (line.length !== before.snapshots.length) return null;
    const gone = new Set(expired);
    if (!line.slice(0, expired.length).every((s) => gone.has(s['snapshot-id']))) return null;
    const oldestKept = line[expired.length];
    if (oldestKept === undefined) return null;
    const kept = await this.manifestList(oldestKept);
    const keptPaths = new Set(kept.map((m) => m.manifestPath));
    const files = new Set<string>();
    const removedManifests = new Map<string, ManifestFile>();
    for (const snapshot of line.slice(0, expired.length)) {
      files.add(snapshot['manifest-list']);
      for (const m of await this.manifestList(snapshot)) if (!keptPaths.has(m.manifestPath)) removedManifests.set(m.manifestPath, m);
    }
    const removedBy = new Set([...gone, oldestKept['snapshot-id']]);
    // A DELETED entry stays in its manifest while kept snapshots carry it: an earlier expiry may have deleted that file already.
    const removedFiles = new Set<string>();
    for (const m of [...removedManifests.values(), ...kept]) {
      if (removedManifests.has(m.manifestPath)) files.add(m.manifestPath);
      if (m.deletedFilesCount === 0) continue;
      for (const e of await this.manifestEntries(m)) {
        if (e.status === MANIFEST_ENTRY_STATUS.deleted && e.snapshotId !== null && removedBy.has(e.snapshotId)) removedFiles.add(e.dataFile.filePath);
      }
    }
    for (const path of removedFiles) if (await this.ctx.io.exists(path)) files.add(path);
    return [...files];
  }

  /** Every file the metadata's snapshots reach: manifest lists, manifests, data files. */
  private async reachableFiles(meta: TableMetadata): Promise<Set<string>> {
    const files = new Set<string>();
    for (const snapshot of meta.snapshots) {
      files.add(snapshot['manifest-list']);
      for (const manifest of await this.manifestList(snapshot)) {
        // Most snapshots share most manifests: each is read once.
        if (files.has(manifest.manifestPath)) continue;
        files.add(manifest.manifestPath);
        for (const e of await this.manifestEntries(manifest)) {
          if (e.status !== MANIFEST_ENTRY_STATUS.deleted) files.add(e.dataFile.filePath);
        }
      }
    }
    return files;
  }

  /**
   * Writes a read query's result as one data file of the partition given, inside DuckDB: values
   * keep their exact form (microseconds, decimals, bytes). Null, and no file, for an empty result.
   */
  private async writeQueryFile(
    source: { readonly tables: QueryOptions['tables']; readonly sql: string; readonly params?: QueryOptions['params'] },
    partition: PartitionValues,
  ): Promise<DataFile | null> {
    const schema = this.schema;
    const spec = this.spec;
    const dir = spec.fields.length === 0 ? 'data' : `data/${partitionPath(spec, schema, partition)}`;
    const location = `${this.location}/${dir}/${randomUUID()}.parquet`;
    const local = this.ctx.io.scheme === 'file' ? toLocalPath(location) : join(this.ctx.tempDir, `${randomUUID()}.parquet`);
    mkdirSync(this.ctx.tempDir, { recursive: true });
    const stats = await writeParquetFromQuery(this.ctx.engine, { schema, ...source, path: local, fsync: this.fsyncDataFiles() });
    if (stats === null) return null;
    if (this.ctx.io.scheme !== 'file') {
      try {
        await this.ctx.io.upload(local, location);
      } catch (error) {
        await this.deleteQuietly([location]);
        throw error;
      } finally {
        rmSync(local, { force: true });
      }
    }
    return this.announced(dataFileOf(schema, location, partition, stats));
  }

  /** Publishes a data file written, for whoever listens (the metrics room). */
  private announced(file: DataFile): DataFile {
    if (fileWrittenChannel.hasSubscribers) fileWrittenChannel.publish({ table: this.name, bytes: file.fileSizeInBytes } satisfies FileWrittenEvent);
    return file;
  }

  /** Splits rows by partition and writes one Parquet file per partition, with its statistics. */
  private async writeDataFiles(rows: readonly Row[] | ColumnRows): Promise<DataFile[]> {
    if (rowCountOf(rows) === 0) return [];
    const schema = this.schema;
    const spec = this.spec;
    const groups = isColumnRows(rows) ? this.columnPartitions(rows) : this.rowPartitions(rows);
    // Every partition's file at once: with a writer thread, one hand-over for all of them instead
    // of a round trip through this (busy) event loop between one file and the next.
    const settled = await Promise.allSettled(
      [...groups.values()].map(async ({ values, rows: partitionRows }) => {
        const dir = spec.fields.length === 0 ? 'data' : `data/${partitionPath(spec, schema, values)}`;
        const location = `${this.location}/${dir}/${randomUUID()}.parquet`;
        const local = this.ctx.io.scheme === 'file' ? toLocalPath(location) : join(this.ctx.tempDir, `${randomUUID()}.parquet`);
        mkdirSync(this.ctx.tempDir, { recursive: true });
        const worker = rowCountOf(partitionRows) >= WRITER_THREAD_MIN_ROWS ? this.ctx.parquetWorker : undefined;
        const fsync = this.fsyncDataFiles();
        let stats: ParquetFileStats;
        if (worker !== undefined) stats = await worker.write({ schema, rows: partitionRows, path: local, fsync });
        else if (isColumnRows(partitionRows)) {
          stats = await writeParquetColumns(() => Promise.resolve(this.ctx.engine), { schema, rows: encodeRows(schema, partitionRows), path: local, fsync });
        } else stats = await writeParquet(this.ctx.engine, { schema, rows: partitionRows, path: local, fsync });
        if (this.ctx.io.scheme !== 'file') {
          try {
            await this.ctx.io.upload(local, location);
          } finally {
            rmSync(local, { force: true });
          }
        }
        return this.announced(dataFileOf(schema, location, values, stats));
      }),
    );
    const written = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) {
      await this.deleteQuietly(written.map((f) => f.filePath));
      throw failed.reason;
    }
    return written;
  }

  /** Row objects checked and grouped by partition. */
  private rowPartitions(rows: readonly Row[]): Map<string, { values: PartitionValues; rows: readonly Row[] }> {
    const check = rowChecker(this.schema);
    rows.forEach((row, i) => check(row, i));
    const partitionOf = partitioner(this.spec, this.schema);
    const groups = new Map<string, { values: PartitionValues; rows: Row[] }>();
    for (const row of rows) {
      const values = partitionOf(row);
      const key = partitionKey(values);
      let group = groups.get(key);
      if (group === undefined) groups.set(key, (group = { values, rows: [] }));
      group.rows.push(row);
    }
    return groups;
  }

  /**
   * Columns checked and grouped by partition: each row's partition is computed from its source
   * columns alone; rows of one partition (a stream batch's usual case) stay the columns given.
   */
  private columnPartitions(rows: ColumnRows): Map<string, { values: PartitionValues; rows: ColumnRows }> {
    checkColumnRows(this.schema, rows);
    const groups = this.columnPartitionIndexes(rows);
    const out = new Map<string, { values: PartitionValues; rows: ColumnRows }>();
    for (const [key, { values, indexes }] of groups) out.set(key, { values, rows: groups.size === 1 ? rows : selectColumnRows(rows, indexes) });
    return out;
  }

  /** The rows of each partition, by partition key. */
  private columnPartitionIndexes(rows: ColumnRows): Map<string, { values: PartitionValues; indexes: number[] }> {
    const fields = partitionFieldTransforms(this.spec, this.schema);
    const groups = new Map<string, { values: PartitionValues; indexes: number[] }>();
    const only = fields.length === 1 ? (fields[0] as PartitionFieldTransform) : null;
    if (only !== null && only.path.length === 1) {
      // One field on a top-level column (a month of event time): rows are grouped by the
      // transformed value itself, and the partition tuple is built once per group, not per row.
      const source = rows.columns[only.path[0] as string];
      const byValue = new Map<PartitionValue, number[]>();
      for (let i = 0; i < rows.rowCount; i++) {
        const value = only.apply(source === undefined ? null : columnValueAt(source, i));
        let indexes = byValue.get(value);
        if (indexes === undefined) byValue.set(value, (indexes = []));
        indexes.push(i);
      }
      for (const [value, indexes] of byValue) {
        const values = Object.freeze({ [only.name]: value });
        groups.set(partitionKey(values), { values, indexes });
      }
      return groups;
    }
    const partitionOf = partitioner(this.spec, this.schema);
    const sources = [...new Set(this.spec.fields.map((f) => requireFieldById(this.schema, f['source-id']).name))];
    const probe: Record<string, RowValue> = {};
    for (let i = 0; i < rows.rowCount; i++) {
      for (const name of sources) {
        const values = rows.columns[name];
        probe[name] = values === undefined ? null : columnValueAt(values, i);
      }
      const values = partitionOf(probe);
      const key = partitionKey(values);
      let group = groups.get(key);
      if (group === undefined) groups.set(key, (group = { values, indexes: [] }));
      group.indexes.push(i);
    }
    return groups;
  }

  /**
   * For an overwrite: drop data files whose live rows all match, rewrite those that partly match
   * without the matching rows (and without the rows their delete files remove), inside DuckDB.
   */
  private async rewriteMatching(
    meta: TableMetadata,
    data: readonly PlannedFile[],
    liveDeletes: readonly PlannedFile[],
    filter: RowFilter,
  ): Promise<{ readonly added: readonly DataFile[]; readonly deleted: readonly DataFile[] }> {
    if (filter.length === 0) return { added: [], deleted: data.map((f) => f.file) };
    const schema = currentSchema(meta);
    const { sql: where, params } = filterSql(schema, filter);
    const index = new DeleteIndex(liveDeletes, meta['partition-specs']);
    const deleted: DataFile[] = [];
    const added: DataFile[] = [];
    for (const planned of data) {
      const file = planned.file;
      const view = await this.readView(meta, schema, [{ data: planned, deletes: index.for(planned) }]);
      const counted = await queryParquet(this.ctx.engine, {
        tables: { f: view },
        sql: `SELECT count(*) FILTER (WHERE ${where}) AS matching, count(*) AS total FROM f`,
        params,
      });
      const matching = Number(counted.rows[0]?.matching ?? 0);
      const total = Number(counted.rows[0]?.total ?? 0);
      if (matching === 0) continue;
      deleted.push(file);
      if (matching === total) continue;
      if (planned.specId !== meta['default-spec-id']) {
        throw new LakeError('OP_LAKE_UNSUPPORTED', `overwrite of ${this.name} would rewrite ${file.filePath}, written under an earlier partition spec`, {
          details: { table: this.name, file: file.filePath },
        });
      }
      const remaining = await this.writeQueryFile({ tables: { f: view }, sql: `SELECT * FROM f WHERE NOT coalesce(${where}, false)`, params }, file.partition);
      if (remaining !== null) added.push(remaining);
    }
    return { added, deleted };
  }

  private async localPaths(files: readonly DataFile[]): Promise<string[]> {
    return Promise.all(files.map((f) => this.ctx.io.localPath(f.filePath)));
  }

  private async deleteQuietly(locations: readonly string[]): Promise<void> {
    for (const location of locations) await this.ctx.io.delete(location).catch(() => undefined);
  }
}

export async function loadMetadata(io: FileIO, location: string): Promise<TableMetadata> {
  let bytes: Uint8Array;
  try {
    bytes = await io.read(location);
  } catch (cause) {
    if (cause instanceof LakeError && cause.code === 'OP_LAKE_FILE_NOT_FOUND') {
      throw new LakeError('OP_LAKE_CORRUPT_FILE', `the table's metadata file ${location} is missing`, { details: { location }, cause });
    }
    throw cause;
  }
  return parseTableMetadata(bytes, location);
}

/** The newest value of every `orderpulse.*` summary property along the current ancestry of `meta`. */
function applicationSummaryOf(meta: TableMetadata): Record<string, string> {
  const current = currentSnapshot(meta);
  const found: Record<string, string> = {};
  if (current === null) return found;
  for (const snapshot of ancestors(meta, current['snapshot-id'])) {
    for (const [key, value] of Object.entries(snapshot.summary)) {
      if (key.startsWith('orderpulse.') && typeof value === 'string' && !(key in found)) found[key] = value;
    }
  }
  return found;
}

/** Whether `after` (the metadata with snapshots expired) no longer tells an `orderpulse.*` value `before` told. */
function losesApplicationSummary(before: TableMetadata, after: TableMetadata): boolean {
  const kept = applicationSummaryOf(after);
  return Object.entries(applicationSummaryOf(before)).some(([key, value]) => kept[key] !== value);
}

function summaryValueAlong(meta: TableMetadata, snapshotId: bigint, key: string): string | null {
  for (const snapshot of ancestry(meta, snapshotId)) {
    const value = snapshot.summary[key];
    if (value !== undefined) return value;
  }
  return null;
}

/** The summary's delete-file properties: the totals carried from the parent, and this commit's changes. */
function deleteFileSummary(previous: SnapshotSummary | undefined, added: readonly DataFile[], removed: readonly DataFile[]): Record<string, string> {
  const rows = (files: readonly DataFile[], content: 1 | 2): number => files.filter((f) => f.content === content).reduce((s, f) => s + f.recordCount, 0);
  const out: Record<string, string> = {};
  if (added.length > 0) {
    out['added-delete-files'] = String(added.length);
    out['added-position-deletes'] = String(rows(added, 1));
    out['added-equality-deletes'] = String(rows(added, 2));
  }
  if (removed.length > 0) {
    out['removed-delete-files'] = String(removed.length);
    out['removed-position-deletes'] = String(rows(removed, 1));
    out['removed-equality-deletes'] = String(rows(removed, 2));
  }
  out['total-delete-files'] = String(summaryNumber(previous, 'total-delete-files') + added.length - removed.length);
  out['total-position-deletes'] = String(summaryNumber(previous, 'total-position-deletes') + rows(added, 1) - rows(removed, 1));
  out['total-equality-deletes'] = String(summaryNumber(previous, 'total-equality-deletes') + rows(added, 2) - rows(removed, 2));
  return out;
}

function dataFileOf(schema: Schema, location: string, partition: PartitionValues, stats: ParquetFileStats): DataFile {
  const columnSizes = new Map<number, number>();
  const valueCounts = new Map<number, number>();
  const nullValueCounts = new Map<number, number>();
  const nanValueCounts = new Map<number, number>();
  const lowerBounds = new Map<number, Uint8Array>();
  const upperBounds = new Map<number, Uint8Array>();
  const types = new Map(flatFields(schema).map((f) => [f.id, f.type]));
  for (const [id, column] of stats.columns) {
    columnSizes.set(id, column.compressedSize);
    valueCounts.set(id, column.valueCount);
    nullValueCounts.set(id, column.nullCount);
    if (column.nanCount !== null) nanValueCounts.set(id, column.nanCount);
    const type = types.get(id);
    if (type === undefined) continue;
    // Strings keep Iceberg's default truncate(16) bounds; every other type its exact ones.
    const min = typeof column.min === 'string' && type === 'string' ? truncatedLowerBound(column.min) : column.min;
    const max = typeof column.max === 'string' && type === 'string' ? truncatedUpperBound(column.max) : column.max;
    if (min !== null) lowerBounds.set(id, serializeValue(type, min));
    if (max !== null) upperBounds.set(id, serializeValue(type, max));
  }
  return {
    content: 0,
    filePath: location,
    fileFormat: 'PARQUET',
    partition,
    recordCount: stats.recordCount,
    fileSizeInBytes: stats.fileSizeInBytes,
    columnSizes,
    valueCounts,
    nullValueCounts,
    nanValueCounts,
    lowerBounds,
    upperBounds,
    splitOffsets: stats.splitOffsets.length > 0 ? stats.splitOffsets : null,
    sortOrderId: null,
  };
}

/**
 * Whether a data file may hold a row matching every predicate, judged by its lower and upper
 * bounds. Unknown columns, missing bounds and NaN-bearing float columns keep the file.
 */
export function mayMatch(schema: Schema, file: DataFile, filter: RowFilter): boolean {
  for (const p of filter) {
    const field = schema.fields.find((f) => f.name === p.column);
    if (field === undefined || typeof field.type !== 'string') continue;
    const type = field.type;
    if ((file.nanValueCounts.get(field.id) ?? 0) > 0) continue;
    if (file.valueCounts.get(field.id) !== undefined && file.valueCounts.get(field.id) === file.nullValueCounts.get(field.id)) {
      return false; // only nulls: no comparison can match
    }
    const lower = file.lowerBounds.get(field.id);
    const upper = file.upperBounds.get(field.id);
    const value = p.value;
    const below = lower === undefined ? null : compareToBound(type, value, lower); // value vs lower
    const above = upper === undefined ? null : compareToBound(type, value, upper); // value vs upper
    switch (p.op) {
      case '=':
        if ((below !== null && below < 0) || (above !== null && above > 0)) return false;
        break;
      case '<':
        if (below !== null && below <= 0) return false;
        break;
      case '<=':
        if (below !== null && below < 0) return false;
        break;
      case '>':
        if (above !== null && above >= 0) return false;
        break;
      case '>=':
        if (above !== null && above > 0) return false;
        break;
      case '!=':
        if (below === 0 && above === 0) return false;
        break;
    }
  }
  return true;
}

/** The SQL form of a row filter, with its values as bound parameters; columns must exist in the schema. */
function filterSql(schema: Schema, filter: RowFilter): { readonly sql: string; readonly params: QueryParam[] } {
  const params: QueryParam[] = [];
  const parts = filter.map((p) => {
    const field = schema.fields.find((f) => f.name === p.column);
    if (field === undefined) {
      throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `filter names column ${p.column}, which the table does not have`, {
        details: { column: p.column },
      });
    }
    if (!['=', '!=', '<', '<=', '>', '>='].includes(p.op)) {
      throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `filter operator ${String(p.op)} is not supported`);
    }
    params.push(p.value);
    const column = `"${field.name.replace(/"/g, '""')}"`;
    const cast = field.type === 'timestamptz' || field.type === 'timestamp' ? `epoch_ms(${column})` : column;
    return `${cast} ${p.op} $${params.length}`;
  });
  return { sql: parts.join(' AND '), params };
}

/**
 * Why compaction cannot rewrite the table faithfully, or null when it can: every column must be
 * one the Parquet writer writes exactly, every file Parquet and unencrypted, every partition
 * transform known, and every equality delete on primitive columns.
 */
export function compactionBlocker(meta: TableMetadata, data: readonly PlannedFile[], deletes: readonly PlannedFile[]): string | null {
  for (const field of currentSchema(meta).fields) {
    if (typeof field.type !== 'string') return `column ${field.name} has the nested type ${field.type.type}, which compaction does not rewrite`;
    if (field.type.startsWith('fixed')) return `column ${field.name} has the type ${field.type}, which the Parquet writer cannot write exactly`;
  }
  for (const field of defaultSpec(meta).fields) {
    if (parseTransform(field.transform).kind === 'unknown') return `partition field ${field.name} has the transform ${field.transform}, which OrderPulse does not know`;
  }
  for (const { file } of [...data, ...deletes]) {
    if (file.fileFormat !== 'PARQUET') return `${file.filePath} is an ${file.fileFormat} file; OrderPulse reads Parquet only`;
    if (file.keyMetadata !== null && file.keyMetadata !== undefined) return `${file.filePath} is encrypted`;
  }
  for (const { file } of deletes) {
    for (const id of file.equalityIds ?? []) {
      const field = [...meta.schemas].reverse().flatMap((s) => s.fields).find((f) => f.id === id);
      if (field === undefined) return `equality delete file ${file.filePath} compares field id ${id}, which no schema has`;
      if (typeof field.type !== 'string') return `equality delete file ${file.filePath} compares the nested column ${field.name}`;
    }
  }
  return null;
}
