import type { IcebergTable, Lake } from '../lake/index.js';
import { parseTableName } from '../lake/index.js';

/**
 * Watches a table the batch layer writes (product grades, route norms) for a new current snapshot,
 * as cheaply as a running processor can afford between two batches: one catalog lookup while
 * nothing was committed, since the catalog's pointer moves with every commit.
 */
export class TableWatch {
  readonly #lake: Lake;
  readonly #name: string;
  #metadataLocation: string | null = null;
  #snapshotId: bigint | null = null;

  constructor(lake: Lake, name: string) {
    this.#lake = lake;
    this.#name = name;
  }

  /** The current snapshot at the last look; null when the table had none or did not exist. */
  get snapshotId(): bigint | null {
    return this.#snapshotId;
  }

  /**
   * What changed since the last look: the table, when it has a new current snapshot; `dropped`,
   * when it had one and no longer exists; null when nothing did.
   */
  async changed(): Promise<IcebergTable | 'dropped' | null> {
    const location = await this.#lake.catalog.currentMetadataLocation(parseTableName(this.#name));
    if (location === this.#metadataLocation) return null;
    if (location === null) {
      this.#metadataLocation = null;
      const had = this.#snapshotId !== null;
      this.#snapshotId = null;
      return had ? 'dropped' : null;
    }
    const table = await this.#lake.table(this.#name);
    this.#metadataLocation = table.metadataLocation;
    const snapshotId = table.currentSnapshot()?.['snapshot-id'] ?? null;
    // A commit that changed no snapshot (a schema change, an expiry) changes nothing here.
    if (snapshotId === this.#snapshotId) return null;
    this.#snapshotId = snapshotId;
    return table;
  }
}
