import { murmur2, toPositive } from './murmur2.js';

/**
 * Kafka's default partitioner for a keyed record: `toPositive(murmur2(key)) % numPartitions`.
 * Both event-log implementations place keys with it, so a key's partition is the same everywhere.
 */
export function partitionFor(key: Uint8Array, numPartitions: number): number {
  return toPositive(murmur2(key)) % numPartitions;
}

/**
 * Chooses partitions for records: keyed records by {@link partitionFor}; records with a null key
 * round-robin over the topic's partitions, one counter per topic, starting at partition 0.
 *
 * The round-robin is NOT Kafka's current null-key behaviour (the sticky partitioner, which fills a
 * batch on one partition before moving on), so unkeyed records land differently here and on a
 * cluster. OrderPulse always keys its events, so this only matters for ad-hoc records.
 */
export class Partitioner {
  private readonly counters = new Map<string, number>();

  partition(topic: string, key: Uint8Array | null, numPartitions: number): number {
    if (key !== null) return partitionFor(key, numPartitions);
    const next = this.counters.get(topic) ?? 0;
    this.counters.set(topic, (next + 1) % numPartitions);
    return next % numPartitions;
  }
}
