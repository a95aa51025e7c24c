import type { ColumnDefinition, IcebergTable, Lake, QueryTable, Schema, Snapshot } from '../lake/index.js';
import { LakeError, parseTableName } from '../lake/index.js';

/**
 * What the reads know of the lake's tables, kept between calls. A read must not reopen a table's
 * metadata and plan its files on every request: per table this keeps the current metadata location,
 * the snapshot, the files as a query view and the snapshot summaries, and asks the catalog for the
 * location again at most every `refreshMs`. A table whose location is unchanged keeps everything.
 * A table whose location changed is refreshed on the same table object, which keeps the manifests
 * it has read: a commit costs the new metadata and the new manifests, not all of them again (bronze
 * gains a manifest with every stream commit; reading them all anew took a tenth of a second of the
 * event loop per refresh after a few hundred commits).
 *
 * Answers are memoized too, keyed by the read, its arguments and the snapshots of the tables it
 * read: the same question on the same snapshots gives the same answer, so it is not asked again.
 *
 * While the stream commits every second, a question's snapshots change as often. So that no caller
 * waits for the new answer, the previous one is served while the new one is computed, for at most
 * `serveStaleMs` after the newer snapshot was seen (the answer's `snapshots` say which it read).
 */

/** One table as a read sees it: its view (empty when the table does not exist yet) and snapshots. */
export interface TableState {
  readonly name: string;
  readonly exists: boolean;
  /** The current snapshot id as a decimal string (exact: ids exceed 2^53), or null. */
  readonly snapshotId: string | null;
  readonly snapshot: Snapshot | null;
  readonly snapshots: readonly Snapshot[];
  readonly view: QueryTable;
  /** The newest value of a summary property along the current snapshot's ancestry, or null. */
  lastSummaryValue(key: string): string | null;
}

interface Cached {
  readonly location: string | null;
  readonly state: TableState;
  checkedAt: number;
}

interface Answer {
  /** The snapshots the answer was computed on. */
  snapshots: string;
  promise: Promise<unknown>;
  settled: boolean;
  value: unknown;
  /** A computation on newer snapshots, under way. */
  next: { readonly snapshots: string; readonly promise: Promise<unknown>; readonly startedAt: number } | null;
}

/** A snapshot id as the API gives it: an exact decimal string (a JSON number loses digits beyond 2^53). */
export function snapshotIdText(id: bigint): string {
  return id.toString();
}

/** The newest value of a summary property along `snapshot`'s ancestry in `snapshots`, or null. */
function summaryValueAlong(snapshots: readonly Snapshot[], snapshot: Snapshot | null, key: string): string | null {
  const byId = new Map(snapshots.map((s) => [s['snapshot-id'], s]));
  const seen = new Set<bigint>();
  for (let s = snapshot ?? undefined; s !== undefined && !seen.has(s['snapshot-id']); ) {
    seen.add(s['snapshot-id']);
    const value = s.summary[key];
    if (typeof value === 'string') return value;
    const parent = s['parent-snapshot-id'];
    s = parent === undefined || parent === null ? undefined : byId.get(parent);
  }
  return null;
}

/** An Iceberg schema from column definitions, for the empty view of a table not written yet. */
export function schemaOf(columns: readonly ColumnDefinition[]): Schema {
  return {
    type: 'struct',
    'schema-id': 0,
    fields: columns.map((c, i) => ({ id: i + 1, name: c.name, type: c.type, required: c.required ?? false })),
  };
}

export interface SourceOptions {
  /** How long a table's state is trusted before the catalog is asked again (ms); 0 asks every time. */
  readonly refreshMs?: number;
  /**
   * How long after newer snapshots were seen the answer computed on the older ones may still be
   * served while the new one is computed (ms); 0 makes every caller wait for the new answer.
   * Default 2 s, and 0 when `refreshMs` is 0 (then every read is of the current snapshots).
   */
  readonly serveStaleMs?: number;
  /** Answers kept at most (the least recently used goes first). */
  readonly memoEntries?: number;
  readonly now?: () => number;
}

export const DEFAULT_REFRESH_MS = 500;
export const DEFAULT_SERVE_STALE_MS = 2_000;
const DEFAULT_MEMO_ENTRIES = 2_000;

export class LakeSource {
  readonly lake: Lake;
  readonly #refreshMs: number;
  readonly #serveStaleMs: number;
  readonly #memoEntries: number;
  readonly #now: () => number;
  /** Table states, and the loads under way (so that concurrent reads share one). */
  readonly #tables = new Map<string, Cached>();
  readonly #loading = new Map<string, Promise<TableState>>();
  #names: { readonly names: Promise<readonly string[]>; readonly at: number } | null = null;
  /** One table object per table, refreshed in place (its manifest cache is what makes a refresh cheap). */
  readonly #opened = new Map<string, IcebergTable>();
  readonly #answers = new Map<string, Answer>();

  constructor(lake: Lake, options: SourceOptions = {}) {
    this.lake = lake;
    this.#refreshMs = options.refreshMs ?? DEFAULT_REFRESH_MS;
    this.#serveStaleMs = this.#refreshMs === 0 ? 0 : (options.serveStaleMs ?? DEFAULT_SERVE_STALE_MS);
    this.#memoEntries = options.memoEntries ?? DEFAULT_MEMO_ENTRIES;
    this.#now = options.now ?? Date.now;
  }

  /** The table as of its current snapshot; `columns` give the empty view's schema when it does not exist. */
  async table(name: string, columns: readonly ColumnDefinition[]): Promise<TableState> {
    const cached = this.#tables.get(name);
    const age = cached === undefined ? Infinity : this.#now() - cached.checkedAt;
    if (cached !== undefined && age < this.#refreshMs) return cached.state;
    let load = this.#loading.get(name);
    if (load === undefined) {
      load = this.#load(name, columns, cached).finally(() => this.#loading.delete(name));
      this.#loading.set(name, load);
    }
    if (cached !== undefined && age < this.#refreshMs + this.#serveStaleMs) {
      // The state checked a moment ago serves while the catalog is asked again; a failure there
      // shows on a later call, which waits for its own check.
      load.catch(() => undefined);
      return cached.state;
    }
    return load;
  }

  /** The lake's tables, asked of the catalog at most every `refreshMs` (callers at the same time share one ask). */
  tableNames(): Promise<readonly string[]> {
    const now = this.#now();
    const known = this.#names;
    if (known !== null && now - known.at < this.#refreshMs) return known.names;
    const names = this.lake.listTables();
    const entry = { names, at: now };
    this.#names = entry;
    // A failed ask is not kept: the next caller asks again.
    names.catch(() => {
      if (this.#names === entry) this.#names = null;
    });
    return names;
  }

  async #load(name: string, columns: readonly ColumnDefinition[], cached: Cached | undefined): Promise<TableState> {
    const checkedAt = this.#now();
    const location = await this.lake.catalog.currentMetadataLocation(parseTableName(name));
    if (cached !== undefined && cached.location === location) {
      cached.checkedAt = checkedAt;
      return cached.state;
    }
    let state: TableState;
    if (location === null) {
      this.#opened.delete(name);
      state = {
        name,
        exists: false,
        snapshotId: null,
        snapshot: null,
        snapshots: [],
        view: { files: [], schema: schemaOf(columns) },
        lastSummaryValue: () => null,
      };
    } else {
      let table = this.#opened.get(name);
      let scan;
      try {
        if (table === undefined) {
          table = await this.lake.table(name);
          this.#opened.set(name, table);
        }
        // Loads the current metadata (perhaps newer than `location`: then the next check loads again) and plans its files.
        scan = await table.scan();
      } catch (error) {
        this.#opened.delete(name);
        // Dropped between the two catalog reads: as if it never existed.
        if (error instanceof LakeError && error.code === 'OP_LAKE_NO_SUCH_TABLE') return this.#load(name, columns, undefined);
        throw error;
      }
      // Taken together with the scan: the table object moves on at its next refresh, this state does not.
      const snapshot = table.currentSnapshot();
      const snapshots = table.snapshots();
      const summaries = new Map<string, string | null>();
      state = {
        name,
        exists: true,
        snapshotId: snapshot === null ? null : snapshotIdText(snapshot['snapshot-id']),
        snapshot,
        snapshots,
        view: await scan.view(),
        lastSummaryValue: (key) => {
          if (!summaries.has(key)) summaries.set(key, summaryValueAlong(snapshots, snapshot, key));
          return summaries.get(key) ?? null;
        },
      };
    }
    this.#tables.set(name, { location, state, checkedAt });
    return state;
  }

  /**
   * The answer of `compute` for `key` over these table states, computed once per set of snapshots
   * (see `serveStaleMs` for what is served while it is computed again). A failed computation is
   * not kept.
   */
  memo<T>(key: string, tables: readonly TableState[], compute: () => Promise<T>): Promise<T> {
    const snapshots = tables.map((t) => `${t.name}@${t.snapshotId ?? '-'}`).join(',');
    const found = this.#answers.get(key);
    if (found !== undefined) {
      // Most recently used last.
      this.#answers.delete(key);
      this.#answers.set(key, found);
      if (found.snapshots === snapshots) return found.promise as Promise<T>;
      const now = this.#now();
      if (found.next === null || found.next.snapshots !== snapshots) {
        const next = { snapshots, promise: compute(), startedAt: now };
        found.next = next;
        next.promise.then(
          (value) => {
            if (found.next !== next) return;
            Object.assign(found, { snapshots, promise: next.promise, settled: true, value, next: null });
          },
          () => {
            if (found.next === next) found.next = null;
          },
        );
      }
      if (found.settled && now - found.next.startedAt < this.#serveStaleMs) return Promise.resolve(found.value as T);
      return found.next.promise as Promise<T>;
    }
    const promise = compute();
    const answer: Answer = { snapshots, promise, settled: false, value: undefined, next: null };
    this.#answers.set(key, answer);
    promise.then(
      (value) => {
        if (answer.promise !== promise) return;
        answer.settled = true;
        answer.value = value;
      },
      () => {
        if (this.#answers.get(key) === answer && answer.promise === promise) this.#answers.delete(key);
      },
    );
    while (this.#answers.size > this.#memoEntries) this.#answers.delete(this.#answers.keys().next().value as string);
    return promise;
  }
}

/** The `snapshots` of an answer's provenance. */
export function snapshotsOf(tables: readonly TableState[]): Record<string, string | null> {
  return Object.fromEntries(tables.map((t) => [t.name, t.snapshotId]));
}
