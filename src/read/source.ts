import type { ColumnDefinition, Lake, QueryTable, Schema, Snapshot } from '../lake/index.js';
import { LakeError, parseTableName } from '../lake/index.js';
import { exactLong } from '../lake/format.js';

/**
 * What the reads know of the lake's tables, kept between calls. A read must not reopen a table's
 * metadata and plan its files on every request: per table this keeps the current metadata location,
 * the snapshot, the files as a query view and the snapshot summaries, and asks the catalog for the
 * location again at most every `refreshMs`. A table whose location is unchanged keeps everything.
 *
 * Answers are memoized too, keyed by the read, its arguments and the snapshots of the tables it
 * read: the same question on the same snapshots gives the same answer, so it is not asked again.
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

/** A snapshot id as an exact decimal string: through the lake's exact long when the id is beyond 2^53. */
export function snapshotIdText(id: number): string {
  return String(exactLong(id) ?? BigInt(id));
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
  /** Answers kept at most (the oldest goes first). */
  readonly memoEntries?: number;
  readonly now?: () => number;
}

export const DEFAULT_REFRESH_MS = 500;
const DEFAULT_MEMO_ENTRIES = 2_000;

export class LakeSource {
  readonly lake: Lake;
  readonly #refreshMs: number;
  readonly #memoEntries: number;
  readonly #now: () => number;
  /** Table states, and the loads under way (so that concurrent reads share one). */
  readonly #tables = new Map<string, Cached>();
  readonly #loading = new Map<string, Promise<TableState>>();
  readonly #memo = new Map<string, Promise<unknown>>();

  constructor(lake: Lake, options: SourceOptions = {}) {
    this.lake = lake;
    this.#refreshMs = options.refreshMs ?? DEFAULT_REFRESH_MS;
    this.#memoEntries = options.memoEntries ?? DEFAULT_MEMO_ENTRIES;
    this.#now = options.now ?? Date.now;
  }

  /** The table as of its current snapshot; `columns` give the empty view's schema when it does not exist. */
  async table(name: string, columns: readonly ColumnDefinition[]): Promise<TableState> {
    const cached = this.#tables.get(name);
    if (cached !== undefined && this.#now() - cached.checkedAt < this.#refreshMs) return cached.state;
    const loading = this.#loading.get(name);
    if (loading !== undefined) return loading;
    const load = this.#load(name, columns, cached).finally(() => this.#loading.delete(name));
    this.#loading.set(name, load);
    return load;
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
      let table;
      try {
        table = await this.lake.table(name);
      } catch (error) {
        // Dropped between the two catalog reads: as if it never existed.
        if (error instanceof LakeError && error.code === 'OP_LAKE_NO_SUCH_TABLE') return this.#load(name, columns, undefined);
        throw error;
      }
      const scan = await table.scan();
      const snapshot = table.currentSnapshot();
      const summaries = new Map<string, string | null>();
      state = {
        name,
        exists: true,
        snapshotId: snapshot === null ? null : snapshotIdText(snapshot['snapshot-id']),
        snapshot,
        snapshots: table.snapshots(),
        view: await scan.view(),
        lastSummaryValue: (key) => {
          if (!summaries.has(key)) summaries.set(key, table.lastSummaryValue(key));
          return summaries.get(key) ?? null;
        },
      };
    }
    this.#tables.set(name, { location, state, checkedAt });
    return state;
  }

  /**
   * The answer of `compute` for `key` over these table states, computed once per set of snapshots.
   * A failed computation is not kept.
   */
  memo<T>(key: string, tables: readonly TableState[], compute: () => Promise<T>): Promise<T> {
    const full = `${key}\u0000${tables.map((t) => `${t.name}@${t.snapshotId ?? '-'}`).join(',')}`;
    const found = this.#memo.get(full);
    if (found !== undefined) {
      // Most recently used last.
      this.#memo.delete(full);
      this.#memo.set(full, found);
      return found as Promise<T>;
    }
    const computing = compute();
    this.#memo.set(full, computing);
    computing.catch(() => this.#memo.delete(full));
    while (this.#memo.size > this.#memoEntries) this.#memo.delete(this.#memo.keys().next().value as string);
    return computing;
  }
}

/** The `snapshots` of an answer's provenance. */
export function snapshotsOf(tables: readonly TableState[]): Record<string, string | null> {
  return Object.fromEntries(tables.map((t) => [t.name, t.snapshotId]));
}
