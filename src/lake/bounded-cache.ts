/**
 * A least-recently-used cache bounded by total weight (entries count 1 each unless `weigh` says
 * otherwise). A long-running writer reads manifests and manifest lists again and again; an
 * unbounded map would hold every one it ever read, so memory would grow with the number of commits.
 */
export class BoundedCache<K, V> {
  readonly maxWeight: number;
  readonly #weigh: (value: V) => number;
  // A Map iterates in insertion order: re-inserting on each hit keeps the least recently used first.
  readonly #entries = new Map<K, { readonly value: V; readonly weight: number }>();
  #weight = 0;

  constructor(options: { readonly maxWeight: number; readonly weigh?: (value: V) => number }) {
    if (!Number.isFinite(options.maxWeight) || options.maxWeight < 1) {
      throw new RangeError(`a cache's maximum weight must be 1 or more, got ${options.maxWeight}`);
    }
    this.maxWeight = options.maxWeight;
    this.#weigh = options.weigh ?? (() => 1);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The total weight held (at most `maxWeight`). */
  get weight(): number {
    return this.#weight;
  }

  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  /**
   * Stores a value as the most recently used, evicting the least recently used until the total
   * fits. A value heavier than the whole cache is not kept (it would evict everything else).
   */
  set(key: K, value: V): void {
    this.delete(key);
    const weight = Math.max(0, this.#weigh(value));
    if (weight > this.maxWeight) return;
    this.#entries.set(key, { value, weight });
    this.#weight += weight;
    for (const [oldest, entry] of this.#entries) {
      if (this.#weight <= this.maxWeight) break;
      this.#entries.delete(oldest);
      this.#weight -= entry.weight;
    }
  }

  delete(key: K): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#weight -= entry.weight;
  }

  clear(): void {
    this.#entries.clear();
    this.#weight = 0;
  }
}
