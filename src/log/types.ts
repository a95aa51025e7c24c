/**
 * The event log, shaped like Kafka: named topics split into numbered partitions, each an append-only
 * sequence of records addressed by offset. Two implementations share this contract: the embedded log
 * (SQLite, one file on local disk) and the Kafka log (cluster mode). Callers never learn which one
 * they hold; keys are placed on partitions by Kafka's default partitioner in both (see `partitioner.ts`).
 */

export interface RecordHeader {
  readonly key: string;
  readonly value: Uint8Array;
}

/** A record to append. Its partition is chosen from its key unless given. */
export interface ProducerRecord {
  readonly topic: string;
  /** Records with the same key land on the same partition, in append order. */
  readonly key: Uint8Array | null;
  readonly value: Uint8Array;
  /** Milliseconds since the epoch; the event time for OrderPulse's events. */
  readonly timestamp: number;
  readonly headers?: readonly RecordHeader[];
  /** Explicit partition; overrides key placement. */
  readonly partition?: number;
}

/** A record as stored in the log. */
export interface LogRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: Uint8Array | null;
  readonly value: Uint8Array;
  readonly timestamp: number;
  readonly headers: readonly RecordHeader[];
}

export interface RecordPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  /** Only meaningful in cluster mode; the embedded log keeps one copy. */
  readonly replicationFactor?: number;
}

export interface TopicDescription {
  readonly name: string;
  readonly partitions: number;
  /** Offset of the first record still held, per partition. */
  readonly beginningOffsets: readonly number[];
  /** Offset the next appended record will get, per partition (Kafka's "log end offset"). */
  readonly endOffsets: readonly number[];
}

/** A consumer group's committed position on one partition: the offset of the next record to read. */
export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** Null when the group has committed nothing on this partition. */
  readonly committed: number | null;
  readonly endOffset: number;
  /** endOffset minus committed (or minus the beginning offset when nothing is committed). */
  readonly lag: number;
}

export interface FetchRequest {
  readonly topic: string;
  readonly partition: number;
  /** First offset to return. */
  readonly offset: number;
  /** At most this many records (default 1000). */
  readonly maxRecords?: number;
}

/** What `fetchPartitions` read from one partition. */
export interface PartitionRead {
  readonly topic: string;
  readonly partition: number;
  /** Records from the asked offset on, in offset order, at most the asked `maxRecords`. */
  readonly records: readonly LogRecord[];
  /**
   * The partition's end offset when it was read (in Kafka its high watermark: the offset after the
   * last record every in-sync replica holds). No records and an asked offset at or past it: the
   * reader is at the end of the partition. No records below it: the log could not answer for now
   * (a Kafka leader moving); asking again will.
   */
  readonly endOffset: number;
}

export interface ConsumerOptions {
  readonly group: string;
  readonly topics: readonly string[];
  /** Where to start on a partition with no committed offset (default `earliest`). */
  readonly startFrom?: 'earliest' | 'latest';
  /** Records returned by one poll at most (default 1000). */
  readonly maxRecords?: number;
}

/**
 * A member of a consumer group. The embedded log has one member per group and assigns it every
 * partition; the Kafka log shares partitions among the members and rebalances. A partition a member
 * is newly assigned starts at the group's committed offset, else at `startFrom`.
 */
export interface Consumer {
  /** The partitions this member currently reads. */
  assignment(): readonly { topic: string; partition: number }[];
  /**
   * The next records after the member's position, across its partitions, in offset order within each
   * partition. Waits up to `timeoutMs` (default 0) when nothing is available; returns [] then.
   */
  poll(timeoutMs?: number): Promise<readonly LogRecord[]>;
  /** Moves the position of one partition (the next poll starts there). */
  seek(topic: string, partition: number, offset: number): void;
  /** Commits the group's offsets: each is the offset of the next record to read. */
  commit(offsets: readonly CommittedOffset[]): Promise<void>;
  close(): Promise<void>;
}

export interface EventLog {
  /** Which implementation this is, for display only (`embedded`, `kafka`). */
  readonly kind: string;
  /** Creates a topic; a no-op when it exists with the same partition count, an error when it differs. */
  createTopic(spec: TopicSpec): Promise<void>;
  describeTopics(names?: readonly string[]): Promise<readonly TopicDescription[]>;
  /**
   * Appends records and resolves once they are durable, with the position of each, in input order.
   * Every implementation checks the whole batch first, so a bad record appends nothing. The embedded
   * log also writes a batch atomically (all or none); the Kafka log does not: a cluster failure midway
   * can leave the records already written (its error says how many).
   */
  append(records: readonly ProducerRecord[]): Promise<readonly RecordPosition[]>;
  fetch(request: FetchRequest): Promise<readonly LogRecord[]>;
  /**
   * Reads several partitions at once, one answer per request in request order (the Kafka log asks
   * each broker once for all of its partitions, and each answer says the partition's end offset, so a
   * reader learns it is at the end without asking `describeTopics`). Each answer holds what `fetch`
   * would return for its request, or the first part of it: the Kafka log may return fewer records
   * than `maxRecords` when its answer reaches a size limit, but never none while records are there
   * to read, except while the cluster cannot answer for the partition (see `PartitionRead`). The
   * requests are checked whole first: a bad one fails the call.
   */
  fetchPartitions(requests: readonly FetchRequest[]): Promise<readonly PartitionRead[]>;
  commitOffsets(group: string, offsets: readonly CommittedOffset[]): Promise<void>;
  committedOffsets(group: string): Promise<readonly CommittedOffset[]>;
  listGroups(): Promise<readonly string[]>;
  lag(group: string): Promise<readonly PartitionLag[]>;
  consumer(options: ConsumerOptions): Promise<Consumer>;
  close(): Promise<void>;
}
