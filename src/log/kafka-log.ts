import {
  Admin,
  Consumer as KafkaClient,
  ListOffsetTimestamps,
  ProduceAcks,
  Producer,
  protocolErrorsCodesById,
} from '@platformatic/kafka';
import type { MessageToProduce, fetchV17 } from '@platformatic/kafka';
import { LogError } from './errors.js';
import type { LogErrorCode } from './errors.js';
import { KafkaGroupMember } from './kafka-group-member.js';
import type { PartitionFetch, TopicMeta } from './kafka-support.js';
import {
  asBuffer,
  byTopicThenPartition,
  closeWithoutLeaving,
  decodeBatches,
  delay,
  describeError,
  highWatermarkKey,
  isUnknownTopic,
  isUnreachable,
  kafkaErrorIds,
  partitionKey,
} from './kafka-support.js';
import { Partitioner } from './partitioner.js';
import type {
  CommittedOffset,
  Consumer,
  ConsumerOptions,
  EventLog,
  FetchRequest,
  LogRecord,
  PartitionLag,
  PartitionRead,
  ProducerRecord,
  RecordPosition,
  TopicDescription,
  TopicSpec,
} from './types.js';
import { observedAppend, observedFetch, observedPartitionReads } from './channels.js';
import {
  DEFAULT_MAX_RECORDS,
  checkConsumerOptions,
  checkFetchRequests,
  checkGroup,
  checkOffset,
  checkPartition,
  checkPositiveInt,
  checkRecord,
  checkTopicSpec,
  isArray,
  isValidTopicName,
} from './validation.js';

/**
 * The event log on an Apache Kafka cluster (cluster mode), through `@platformatic/kafka`.
 *
 * - Appends go through one idempotent producer with acks=all: a record is acknowledged once every
 *   in-sync replica holds it, and a retried request is never stored twice. Each record's partition
 *   is computed here with Kafka's murmur2 partitioner (`partitioner.ts`) and sent explicitly, so a key
 *   lands where the embedded log puts it and where Kafka's Java clients put it (the client library's
 *   own default partitioner differs: it does not mask the hash's sign bit the way Java does).
 * - An append is checked whole before anything is sent (topics, partitions, record fields), so a bad
 *   record appends nothing. It is not a transaction: if an append fails for good midway, the records
 *   of partitions already written stay (the error says how many, also in `details.appended`). Kafka
 *   transactions would make it atomic, but their commit markers take offsets, and offsets here stay dense.
 * - Topics are created with `retention.ms=-1`: OrderPulse's events carry event times from 2016–2018,
 *   and time-based retention would delete their segments at once. For the same reason segments roll
 *   by size only (`segment.ms` of a thousand years), or every week of event time would start one.
 * - `fetch` reads by (topic, partition, offset) from the partition's leader; `fetchPartitions` reads
 *   many partitions with one Fetch request per leader and gives each one's high watermark as its end
 *   offset. Both ask for about the bytes `maxRecords` take (see `ReadSizes`), not a fixed size.
 *   `consumer()` joins a real consumer group: the members share the partitions, and a member joining
 *   or leaving rebalances them.
 * - A partition's produce requests go one at a time (its idempotence sequence allows no other way
 *   through this client); other partitions' go beside them, also across appends called side by side.
 * - Failover: while a broker is down or a partition's leadership moves, appends, reads and offset
 *   requests are tried again with fresh metadata, for up to `failoverTimeoutMs`, as long as some broker
 *   of the cluster still answers. A retried append resends only the partitions not yet acknowledged,
 *   with the same producer sequence numbers, so the brokers store a batch that did arrive only once.
 *   When no broker answers at all, the error comes at once: that is a wrong address or a cluster that
 *   is down, not a failover.
 */

export interface KafkaEventLogOptions {
  /** Bootstrap brokers, `host:port`. */
  readonly brokers: readonly string[];
  /** The client id the brokers see (default `orderpulse`); each Kafka client of the log appends a role. */
  readonly clientId?: string;
  /** Replicas of each topic this log creates, unless the topic spec says (default 3). */
  readonly replicationFactor?: number;
  /** `min.insync.replicas` of the topics this log creates (default 2 with 3 or more replicas, else 1). */
  readonly minInsyncReplicas?: number;
  /** Compression of produced batches (default lz4). zstd needs a newer Node's zlib and is not offered. */
  readonly compression?: KafkaCompression;
  /** How long one request to a broker may take (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** A group member that stops heartbeating leaves the group after this long (default 20 s). */
  readonly sessionTimeoutMs?: number;
  /** How often a group member heartbeats, and so how soon it notices a rebalance (default 1 s). */
  readonly heartbeatIntervalMs?: number;
  /** Most bytes of one partition's records in one produce request; larger appends are split (default 512 KiB). */
  readonly maxBatchBytes?: number;
  /**
   * How long an operation keeps being retried while the cluster fails over (a broker down, a leader
   * moving) before it fails (default 60 s; Kafka fences a silent broker after 9 s by default).
   */
  readonly failoverTimeoutMs?: number;
}

export type KafkaCompression = 'lz4' | 'snappy' | 'gzip' | 'none';

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_SESSION_TIMEOUT_MS = 20_000;
const DEFAULT_HEARTBEAT_INTERVAL_MS = 1_000;
const DEFAULT_MAX_BATCH_BYTES = 512 * 1024;
const DEFAULT_FAILOVER_TIMEOUT_MS = 60_000;
/** `segment.ms` of the topics this log creates: a thousand years, so in effect never by time. */
const SEGMENT_MS = 1000 * 365 * 86_400_000;
/** Pauses between failover retries: doubling from the first to the last. */
const FAILOVER_FIRST_PAUSE_MS = 200;
const FAILOVER_LAST_PAUSE_MS = 2_000;
/** Retries of one request by the client library (leader changes, a broker restarting). */
const CLIENT_RETRIES = 5;
const CLIENT_RETRY_DELAY_MS = 500;
/**
 * Bytes one fetch may bring back per partition, and per broker. A read asks for what its `maxRecords`
 * take at the partition's recent bytes per record (see `ReadSizes`), between the two partition bounds;
 * a group member, which keeps everything it fetched, asks for the most.
 */
const FETCH_PARTITION_BYTES = 1024 * 1024;
const FETCH_PARTITION_MIN_BYTES = 16 * 1024;
const FETCH_MAX_BYTES = 8 * 1024 * 1024;
/**
 * A broker returns a partition's first batch whole however large only for the first partition of
 * its answer; a later one whose next batch is larger than the bytes asked comes back empty. It is
 * asked again with this many times the bytes, this many times at most, the last time with `FETCH_MAX_BYTES`.
 */
const FETCH_GROWTH = 4;
const FETCH_SIZE_ROUNDS = 4;
/** Bytes per record assumed for a partition not read yet (keys and values of OrderPulse's events, lz4). */
const FETCH_FIRST_BYTES_PER_RECORD = 256;
/**
 * Record timestamps are stored as deltas from the batch's first one, and the client library (through
 * @platformatic/dynamic-buffer 0.3) encodes a delta of 2^31 ms (about 25 days) or more wrongly. A
 * produce request holds one batch per partition, so an append whose records of one partition span
 * more than this is split into several requests.
 */
const MAX_TIMESTAMP_SPREAD_MS = 2 ** 31 - 1;
/** Records of a batch: the record's own bytes plus room for its framing. */
const RECORD_OVERHEAD_BYTES = 32;
/** A topic just created may take a moment to have leaders everywhere: metadata is asked this often. */
const TOPIC_READY_ATTEMPTS = 100;
const TOPIC_READY_DELAY_MS = 100;
/**
 * The group client never refreshes its metadata on its own. The client library finds the group's
 * coordinator once and never again, and when fresh metadata no longer lists that broker (it died) its
 * next group request fails with a TypeError thrown where nothing can catch it. With metadata kept, the
 * requests fail as network errors instead, and the member replaces its client (see KafkaGroupMember).
 */
const GROUP_METADATA_MAX_AGE_MS = 24 * 3_600_000;
/** Fetches per `fetch()` call at most, each returning what one broker request brings. */
const MAX_FETCH_ROUNDS = 100;


/** A partition to read from, at an offset. */
interface FetchTarget {
  readonly topic: TopicMeta;
  readonly partition: number;
  readonly offset: number;
  /** Bytes of the partition to ask for (default `FETCH_PARTITION_BYTES`). */
  readonly maxBytes?: number;
  /** Records to keep of the answer at most, from `offset` on (default: every record of the answer). */
  readonly maxRecords?: number;
}

/** One partition of a `fetchPartitions` call, while it is read: where, how much, and its place in the answer. */
interface AskedRead {
  readonly meta: TopicMeta;
  readonly partition: number;
  readonly offset: number;
  readonly maxRecords: number;
  /** Its request's index in the call. */
  readonly index: number;
  readonly maxBytes: number;
}


/** Any of the log's Kafka clients: each keeps its own metadata, which its requests are routed by. */
type MetadataSource = Pick<Admin, 'metadata'>;

/**
 * What a partition's records weigh on the wire, learnt from its fetch answers, so a read asks for the
 * bytes its `maxRecords` take rather than a fixed size: the broker then sends (and the client
 * decompresses) about what is kept.
 */
class ReadSizes {
  readonly #perRecord = new Map<string, number>();
  readonly #largestBatch = new Map<string, number>();

  /** Bytes to ask of a partition for `maxRecords` records from some offset. */
  bytesFor(key: string, maxRecords: number): number {
    const perRecord = this.#perRecord.get(key) ?? FETCH_FIRST_BYTES_PER_RECORD;
    // A quarter more: the batch holding the offset starts before it.
    const wanted = Math.max(Math.ceil(perRecord * maxRecords * 1.25), this.#largestBatch.get(key) ?? 0);
    return Math.min(Math.max(wanted, FETCH_PARTITION_MIN_BYTES), FETCH_MAX_BYTES);
  }

  learn(key: string, answer: PartitionFetch): void {
    if (answer.batchRecords === 0) return;
    const seen = answer.batchBytes / answer.batchRecords;
    const before = this.#perRecord.get(key);
    // Weighted towards the newest answer, which is what the next read continues.
    this.#perRecord.set(key, before === undefined ? seen : (before + 3 * seen) / 4);
    this.#largestBatch.set(key, answer.largestBatch);
  }
}

export class KafkaEventLog implements EventLog {
  readonly kind = 'kafka';

  private readonly brokers: string[];
  private readonly clientId: string;
  private readonly replicationFactor: number;
  private readonly minInsyncReplicas: number | undefined;
  private readonly compression: KafkaCompression;
  private readonly requestTimeoutMs: number;
  private readonly sessionTimeoutMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly maxBatchBytes: number;
  private readonly failoverTimeoutMs: number;
  /** Operations tried again during a failover, since the log opened. */
  private failoverRetries = 0;

  private readonly admin: Admin;
  private readonly producer: Producer;
  /** Serves `fetch`: a consumer client that never joins a group. */
  private readonly reader: KafkaClient;
  private readonly partitioner = new Partitioner();
  private readonly readSizes = new ReadSizes();
  /** The highest high watermark a fetch answer gave, per partition (by topic id: a topic made again starts afresh). */
  private readonly highWatermarks = new Map<string, number>();
  /** Per partition, the end of the last produce request sent for it (see `afterPartitions`). */
  private readonly partitionTails = new Map<string, Promise<void>>();
  private readonly members = new Set<KafkaGroupMember>();
  /** Topic names known to exist, so a missing one is told apart without a slow metadata retry. */
  private knownTopics = new Set<string>();
  private closed = false;

  constructor(options: KafkaEventLogOptions) {
    const brokers = options?.brokers;
    if (!isArray(brokers) || brokers.length === 0 || !brokers.every((b) => typeof b === 'string' && /^[^\s:]+:\d+$/.test(b))) {
      throw new LogError('OP_LOG_BAD_REQUEST', `brokers must be a non-empty list of "host:port", got ${JSON.stringify(brokers)}`);
    }
    this.brokers = [...brokers];
    this.clientId = options.clientId ?? 'orderpulse';
    this.replicationFactor =
      options.replicationFactor === undefined ? 3 : checkPositiveInt(options.replicationFactor, 'replicationFactor');
    this.minInsyncReplicas =
      options.minInsyncReplicas === undefined ? undefined : checkPositiveInt(options.minInsyncReplicas, 'minInsyncReplicas');
    this.compression = options.compression ?? 'lz4';
    if (!['lz4', 'snappy', 'gzip', 'none'].includes(this.compression)) {
      throw new LogError('OP_LOG_BAD_REQUEST', `compression must be lz4, snappy, gzip or none, got ${String(this.compression)}`);
    }
    this.requestTimeoutMs = checkPositiveInt(options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, 'requestTimeoutMs');
    this.sessionTimeoutMs = checkPositiveInt(options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS, 'sessionTimeoutMs');
    this.heartbeatIntervalMs = checkPositiveInt(
      options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
      'heartbeatIntervalMs',
    );
    this.maxBatchBytes = checkPositiveInt(options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES, 'maxBatchBytes');
    this.failoverTimeoutMs = checkPositiveInt(options.failoverTimeoutMs ?? DEFAULT_FAILOVER_TIMEOUT_MS, 'failoverTimeoutMs');

    const common = this.clientOptions('admin');
    this.admin = new Admin(common);
    this.producer = new Producer({
      ...this.clientOptions('producer'),
      idempotent: true,
      acks: ProduceAcks.ALL,
      compression: this.compression,
    });
    this.reader = new KafkaClient({ ...this.clientOptions('reader'), groupId: `${this.clientId}-reader` });
  }

  /** The options every Kafka client of this log shares. */
  private clientOptions(role: string) {
    return {
      clientId: `${this.clientId}-${role}`,
      bootstrapBrokers: this.brokers,
      timeout: this.requestTimeoutMs,
      retries: CLIENT_RETRIES,
      retryDelay: CLIENT_RETRY_DELAY_MS,
      autocreateTopics: false,
    };
  }

  // ---- errors ----

  /** Turns a client failure into a LogError that names the brokers and what was being done. */
  private failure(error: unknown, action: string, where: { topic?: string; partition?: number; group?: string } = {}): LogError {
    if (error instanceof LogError) return error;
    const place = [
      where.topic === undefined ? '' : `topic "${where.topic}"`,
      where.partition === undefined ? '' : `partition ${where.partition}`,
      where.group === undefined ? '' : `group "${where.group}"`,
    ]
      .filter((s) => s !== '')
      .join(', ');
    const context = `${place === '' ? '' : `${place}, `}brokers ${this.brokers.join(',')}`;
    const details = { ...where, brokers: this.brokers, kafkaErrors: [...kafkaErrorIds(error)] };
    const make = (code: LogErrorCode, what: string, retryable: boolean): LogError =>
      new LogError(code, `${action} (${context}): ${what}`, { cause: error, details, retryable });
    if (this.closed) return make('OP_LOG_CLOSED', 'the event log is closed', false);
    if (isUnknownTopic(error))
      return make('OP_LOG_UNKNOWN_TOPIC', `unknown topic${where.topic === undefined ? '' : ` "${where.topic}"`}`, false);
    const ids = kafkaErrorIds(error);
    if (ids.has('NOT_ENOUGH_REPLICAS') || ids.has('NOT_ENOUGH_REPLICAS_AFTER_APPEND')) {
      return make(
        'OP_LOG_UNAVAILABLE',
        `fewer replicas are in sync than the topic's min.insync.replicas (${describeError(error)})`,
        true,
      );
    }
    if (isUnreachable(error)) return make('OP_LOG_UNAVAILABLE', `the cluster cannot be reached (${describeError(error)})`, true);
    const retryable = [...ids].some((id) =>
      [
        'NOT_LEADER_OR_FOLLOWER',
        'LEADER_NOT_AVAILABLE',
        'REQUEST_TIMED_OUT',
        'NETWORK_EXCEPTION',
        'COORDINATOR_NOT_AVAILABLE',
        'NOT_COORDINATOR',
        'COORDINATOR_LOAD_IN_PROGRESS',
      ].includes(id),
    );
    return make(retryable ? 'OP_LOG_UNAVAILABLE' : 'OP_LOG_STORAGE', describeError(error), retryable);
  }

  private assertOpen(): void {
    if (this.closed) throw new LogError('OP_LOG_CLOSED', 'the event log is closed');
  }

  // ---- failover ----

  /**
   * Runs `attempt` until it succeeds. A retryable LogError is tried again, after a pause and with every
   * client's metadata dropped, while some broker answers and `failoverTimeoutMs` has not passed since
   * the first failure; any other error, or a cluster where no broker answers, ends it at once.
   */
  private async throughFailover<T>(attempt: () => Promise<T>): Promise<T> {
    let failingSince: number | undefined;
    for (let round = 0; ; round++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof LogError) || !error.retryable || this.closed) throw error;
        failingSince ??= Date.now();
        if (Date.now() - failingSince >= this.failoverTimeoutMs || !(await this.clusterAnswers())) throw error;
        this.failoverRetries++;
        await delay(Math.min(FAILOVER_FIRST_PAUSE_MS * 2 ** round, FAILOVER_LAST_PAUSE_MS));
        if (this.closed) throw error;
      }
    }
  }

  /** Drops every client's metadata and asks the cluster for fresh metadata: true when some broker answers. */
  private async clusterAnswers(): Promise<boolean> {
    // Every client routes its next request by fresh metadata (a leader moved).
    this.admin.clearMetadata();
    this.producer.clearMetadata();
    this.reader.clearMetadata();
    try {
      await this.admin.metadata({ topics: [], forceUpdate: true });
      return true;
    } catch {
      return false;
    }
  }

  /** Operations this log tried again during failovers, since it opened. */
  get retriedDuringFailover(): number {
    return this.failoverRetries;
  }

  /** @internal How long failures are retried during a failover. */
  get failoverWindowMs(): number {
    return this.failoverTimeoutMs;
  }

  // ---- topics ----

  private unknownTopic(name: unknown): LogError {
    return new LogError('OP_LOG_UNKNOWN_TOPIC', `unknown topic "${String(name)}" (brokers ${this.brokers.join(',')})`, {
      details: { topic: name, brokers: this.brokers },
    });
  }

  /** Whether a topic exists; asks the cluster for its topic list when this log has not seen the name. */
  private async topicExists(name: string): Promise<boolean> {
    if (this.knownTopics.has(name)) return true;
    this.knownTopics = new Set(await this.admin.listTopics());
    return this.knownTopics.has(name);
  }

  /** A topic's metadata (id, partitions, leaders); OP_LOG_UNKNOWN_TOPIC when it does not exist. */
  async topic(name: unknown, client: MetadataSource = this.admin, forceUpdate = false): Promise<TopicMeta> {
    if (!isValidTopicName(name)) throw this.unknownTopic(name);
    try {
      if (!(await this.topicExists(name))) throw this.unknownTopic(name);
      const metadata = await client.metadata({ topics: [name], forceUpdate });
      const topic = metadata.topics.get(name);
      if (topic === undefined) throw this.unknownTopic(name);
      return { name, id: topic.id, partitions: topic.partitionsCount, leaders: topic.partitions.map((p) => p.leader) };
    } catch (error) {
      if (isUnknownTopic(error)) this.knownTopics.delete(name);
      throw this.failure(error, 'cannot read the topic', { topic: name });
    }
  }

  async createTopic(spec: TopicSpec): Promise<void> {
    this.assertOpen();
    const { name, partitions } = checkTopicSpec(spec);
    const replicas =
      spec.replicationFactor === undefined
        ? this.replicationFactor
        : checkPositiveInt(spec.replicationFactor, 'replicationFactor');
    const minInsync = this.minInsyncReplicas ?? (replicas >= 3 ? 2 : 1);
    try {
      await this.admin.createTopics({
        topics: [name],
        partitions,
        replicas,
        configs: [
          // Keep every record: event times are years old, and time-based retention would delete them at once.
          { name: 'retention.ms', value: '-1' },
          { name: 'retention.bytes', value: '-1' },
          // Segments roll by size only. Time-based rolling compares record timestamps, and a replay
          // spanning years of event time would roll one every week of it: about a hundred segments
          // per partition, each holding three open files on every replica.
          { name: 'segment.ms', value: String(SEGMENT_MS) },
          { name: 'min.insync.replicas', value: String(Math.min(minInsync, replicas)) },
        ],
      });
    } catch (error) {
      const ids = kafkaErrorIds(error);
      if (ids.has('INVALID_REPLICATION_FACTOR')) {
        throw new LogError(
          'OP_LOG_BAD_TOPIC',
          `cannot create topic "${name}" with ${replicas} replicas: the cluster (brokers ${this.brokers.join(',')}) has fewer brokers (${describeError(error)})`,
          { cause: error, details: { topic: name, replicationFactor: replicas } },
        );
      }
      if (ids.has('INVALID_TOPIC_EXCEPTION') || ids.has('INVALID_PARTITIONS')) {
        throw new LogError('OP_LOG_BAD_TOPIC', `cannot create topic "${name}": ${describeError(error)}`, {
          cause: error,
          details: { topic: name, partitions },
        });
      }
      if (!ids.has('TOPIC_ALREADY_EXISTS')) throw this.failure(error, 'cannot create the topic', { topic: name });
    }
    this.knownTopics.add(name);
    const meta = await this.topicWithLeaders(name);
    if (meta.partitions !== partitions) {
      throw new LogError('OP_LOG_TOPIC_EXISTS', `topic "${name}" exists with ${meta.partitions} partitions, not ${partitions}`, {
        details: { topic: name, partitions: meta.partitions, requested: partitions },
      });
    }
  }

  /** Waits (a bounded number of metadata requests) until every partition of a new topic has a leader. */
  private async topicWithLeaders(name: string): Promise<TopicMeta> {
    let last: unknown;
    for (let attempt = 0; attempt < TOPIC_READY_ATTEMPTS; attempt++) {
      try {
        const meta = await this.topic(name, this.admin, true);
        if (meta.leaders.length === meta.partitions && meta.leaders.every((leader) => leader >= 0)) return meta;
        last = new Error(
          `partitions without a leader: ${meta.leaders
            .map((l, p) => (l < 0 ? p : -1))
            .filter((p) => p >= 0)
            .join(', ')}`,
        );
      } catch (error) {
        if (!(error instanceof LogError) || error.code !== 'OP_LOG_UNKNOWN_TOPIC') throw error;
        this.knownTopics.add(name); // created, but this broker has not heard of it yet
        last = error;
      }
      await delay(TOPIC_READY_DELAY_MS);
    }
    throw new LogError(
      'OP_LOG_UNAVAILABLE',
      `topic "${name}" was created but its partitions have no leaders after ${TOPIC_READY_ATTEMPTS} metadata requests (brokers ${this.brokers.join(',')}): ${describeError(last)}`,
      { retryable: true, details: { topic: name } },
    );
  }

  /** The first and next offsets of every partition of the topics, in one pair of requests. */
  private async partitionOffsets(topics: readonly TopicMeta[]): Promise<Map<string, { beginning: number[]; end: number[] }>> {
    const out = new Map<string, { beginning: number[]; end: number[] }>();
    if (topics.length === 0) return out;
    for (const t of topics)
      out.set(t.name, { beginning: new Array<number>(t.partitions).fill(0), end: new Array<number>(t.partitions).fill(0) });
    const ask = async (timestamp: bigint, into: 'beginning' | 'end'): Promise<void> => {
      const answer = await this.admin.listOffsets({
        topics: topics.map((t) => ({
          name: t.name,
          partitions: Array.from({ length: t.partitions }, (_, partitionIndex) => ({ partitionIndex, timestamp })),
        })),
      });
      for (const topic of answer) {
        const row = out.get(topic.name);
        for (const p of topic.partitions) if (row !== undefined) row[into][p.partitionIndex] = Number(p.offset);
      }
    };
    await this.throughFailover(async () => {
      try {
        // Side by side: the stream processor asks for end offsets after every empty fetch.
        await Promise.all([ask(ListOffsetTimestamps.EARLIEST, 'beginning'), ask(ListOffsetTimestamps.LATEST, 'end')]);
      } catch (error) {
        throw this.failure(error, 'cannot read partition offsets', topics.length === 1 ? { topic: topics[0]!.name } : {});
      }
    });
    return out;
  }

  async describeTopics(names?: readonly string[]): Promise<readonly TopicDescription[]> {
    this.assertOpen();
    let wanted: string[];
    if (names === undefined) {
      try {
        this.knownTopics = new Set(await this.admin.listTopics());
      } catch (error) {
        throw this.failure(error, 'cannot list topics');
      }
      wanted = [...this.knownTopics].sort();
    } else {
      wanted = [...names];
    }
    const metas: TopicMeta[] = [];
    for (const name of wanted) metas.push(await this.topic(name));
    const offsets = await this.partitionOffsets(metas);
    return metas.map((meta) => ({
      name: meta.name,
      partitions: meta.partitions,
      beginningOffsets: offsets.get(meta.name)!.beginning,
      endOffsets: offsets.get(meta.name)!.end,
    }));
  }

  // ---- appending ----

  append(records: readonly ProducerRecord[]): Promise<readonly RecordPosition[]> {
    return observedAppend(records, this.appendRecords(records));
  }

  private async appendRecords(records: readonly ProducerRecord[]): Promise<readonly RecordPosition[]> {
    this.assertOpen();
    if (!isArray(records)) throw new LogError('OP_LOG_BAD_RECORD', 'append takes an array of records');
    if (records.length === 0) return [];
    // Check and place every record before sending anything, so a bad record appends nothing.
    const metas = new Map<string, TopicMeta>();
    const placed: { record: ProducerRecord; partition: number; bytes: number }[] = [];
    for (let i = 0; i < records.length; i++) {
      const record = checkRecord(records[i], i);
      if (record.timestamp < 0) {
        throw new LogError(
          'OP_LOG_BAD_RECORD',
          `record ${i}: Kafka keeps timestamps from 0 (the epoch) on, got ${record.timestamp}`,
          {
            details: { index: i, timestamp: record.timestamp },
          },
        );
      }
      let meta = metas.get(record.topic);
      if (meta === undefined) {
        meta = await this.topic(record.topic);
        metas.set(record.topic, meta);
      }
      const partition =
        record.partition === undefined
          ? this.partitioner.partition(meta.name, record.key, meta.partitions)
          : checkPartition(meta.name, meta.partitions, record.partition);
      let bytes = RECORD_OVERHEAD_BYTES + (record.key?.length ?? 0) + record.value.length;
      for (const header of record.headers ?? []) bytes += Buffer.byteLength(header.key) + header.value.length + 8;
      placed.push({ record, partition, bytes });
    }

    const positions = new Array<RecordPosition>(records.length);
    const topic = metas.size === 1 ? placed[0]!.record.topic : undefined;
    const sends: Promise<void>[] = [];
    let failed = false;
    let first = 0;
    for (const chunk of this.chunks(placed)) {
      const start = first;
      first += chunk.length;
      const send = this.afterPartitions(chunk, async () => {
        // After a request of this append failed for good, the rest of it is not sent.
        if (failed) return;
        try {
          await this.deliver(chunk, start, positions);
        } catch (error) {
          failed = true;
          throw error;
        }
      });
      sends.push(send);
    }
    const settled = await Promise.allSettled(sends);
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')?.reason as unknown;
    if (failure === undefined) return positions;
    let appended = 0;
    for (const position of positions) if (position !== undefined) appended++;
    const cause = failure instanceof LogError ? failure : this.failure(failure, 'cannot append', topic === undefined ? {} : { topic });
    const count = appended > 0 ? ` (${appended} of ${records.length} records were appended)` : '';
    throw new LogError(cause.code, cause.message.replace(/^cannot append/, `cannot append${count}`), {
      cause: cause.cause ?? cause,
      retryable: cause.retryable,
      details: { ...cause.details, ...(topic === undefined ? {} : { topic }), appended, records: records.length },
    });
  }

  /**
   * Runs `send` once every produce request sent before it (by this append or another one) for any of
   * the chunk's partitions has settled, and returns its promise. So the requests of one partition go
   * one at a time, in order, while those of other partitions are in flight beside them: the client
   * numbers a partition's batches (its idempotence sequence) from the last one acknowledged, and two
   * requests of one partition in flight would carry the same number.
   */
  private afterPartitions(chunk: readonly { record: ProducerRecord; partition: number }[], send: () => Promise<void>): Promise<void> {
    const keys = [...new Set(chunk.map((item) => partitionKey(item.record.topic, item.partition)))];
    const before = keys.map((key) => this.partitionTails.get(key)).filter((tail) => tail !== undefined);
    const sending = Promise.all(before).then(send);
    const tail = sending.then(
      () => undefined,
      () => undefined,
    );
    for (const key of keys) this.partitionTails.set(key, tail);
    void tail.then(() => {
      for (const key of keys) if (this.partitionTails.get(key) === tail) this.partitionTails.delete(key);
    });
    return sending;
  }

  /**
   * Sends one chunk (placed records `first`, `first + 1`, ...) and writes the offsets the brokers give
   * into `positions`. During a failover the partitions already acknowledged are not sent again; the
   * others are, with their unchanged producer sequence numbers (the client advances a partition's
   * sequence only when the partition is acknowledged), so a batch that reached the brokers although
   * its answer was lost is recognised as a duplicate and answered with its first offsets.
   */
  private async deliver(chunk: readonly { record: ProducerRecord; partition: number }[], first: number, positions: RecordPosition[]): Promise<void> {
    let pending = chunk.map((item, i) => ({ ...item, index: first + i }));
    const acknowledge = (offsets: readonly { topic: string; partition: number; offset: bigint }[]): void => {
      const base = new Map<string, number>();
      for (const o of offsets) base.set(partitionKey(o.topic, o.partition), Number(o.offset));
      const next = new Map<string, number>();
      const left: typeof pending = [];
      for (const item of pending) {
        const key = partitionKey(item.record.topic, item.partition);
        const firstOffset = base.get(key);
        if (firstOffset === undefined) {
          left.push(item);
          continue;
        }
        const n = next.get(key) ?? 0;
        next.set(key, n + 1);
        positions[item.index] = { topic: item.record.topic, partition: item.partition, offset: firstOffset + n };
      }
      pending = left;
    };
    await this.throughFailover(async () => {
      try {
        const result = await this.producer.send({ messages: pending.map((item) => this.toMessage(item.record, item.partition)) });
        acknowledge(result.offsets ?? []);
      } catch (error) {
        // The partitions acknowledged before the failure (their sequence numbers moved on).
        const produced = (error as { produced?: { offsets?: { topic: string; partition: number; offset: bigint }[] } }).produced;
        acknowledge(produced?.offsets ?? []);
        // The count of records appended is put in by the append, which knows its other requests.
        const topics = new Set(pending.map((item) => item.record.topic));
        throw this.failure(error, 'cannot append', topics.size === 1 ? { topic: [...topics][0]! } : {});
      }
      if (pending.length > 0) {
        const missing = pending[0]!;
        throw new LogError('OP_LOG_STORAGE', `the brokers acknowledged no offset for ${missing.record.topic}/${missing.partition}`, {
          details: { topic: missing.record.topic, partition: missing.partition },
        });
      }
    });
  }

  /**
   * Splits placed records, in order, into produce requests: each holds at most `maxBatchBytes` of one
   * partition's records, and no partition's timestamps spread further than the client encodes right.
   * A partition's requests go one after another (see `afterPartitions`), so its records keep their order.
   */
  private *chunks<T extends { record: ProducerRecord; partition: number; bytes: number }>(placed: readonly T[]): Generator<T[]> {
    let chunk: T[] = [];
    let slices = new Map<string, { bytes: number; firstTimestamp: number }>();
    for (const item of placed) {
      const key = partitionKey(item.record.topic, item.partition);
      const slice = slices.get(key);
      if (
        slice !== undefined &&
        (slice.bytes + item.bytes > this.maxBatchBytes ||
          Math.abs(item.record.timestamp - slice.firstTimestamp) > MAX_TIMESTAMP_SPREAD_MS)
      ) {
        yield chunk;
        chunk = [];
        slices = new Map();
      }
      const current = slices.get(key);
      if (current === undefined) slices.set(key, { bytes: item.bytes, firstTimestamp: item.record.timestamp });
      else current.bytes += item.bytes;
      chunk.push(item);
    }
    if (chunk.length > 0) yield chunk;
  }

  private toMessage(record: ProducerRecord, partition: number): MessageToProduce {
    // A Map keyed by Buffer objects keeps repeated header names: each key is its own object.
    const headers = new Map<Buffer, Buffer>();
    for (const header of record.headers ?? []) headers.set(Buffer.from(header.key, 'utf8'), asBuffer(header.value));
    return {
      topic: record.topic,
      partition,
      key: record.key === null ? undefined : asBuffer(record.key),
      value: asBuffer(record.value),
      timestamp: BigInt(record.timestamp),
      headers,
    };
  }

  // ---- reading ----

  fetch(request: FetchRequest): Promise<readonly LogRecord[]> {
    return observedFetch(request, performance.now(), this.fetchRecords(request));
  }

  private async fetchRecords(request: FetchRequest): Promise<readonly LogRecord[]> {
    this.assertOpen();
    const meta = await this.topic(request?.topic, this.reader);
    const partition = checkPartition(meta.name, meta.partitions, request.partition);
    let offset = checkOffset(request.offset, 'a fetch offset');
    const maxRecords =
      request.maxRecords === undefined ? DEFAULT_MAX_RECORDS : checkPositiveInt(request.maxRecords, 'maxRecords');
    const out: LogRecord[] = [];
    let topic = meta;
    for (let round = 0; round < MAX_FETCH_ROUNDS && out.length < maxRecords; round++) {
      let attempts = 0;
      const answer = await this.throughFailover(async () => {
        // A retry routes by fresh metadata: the leader this one names did not answer, or moved.
        if (attempts++ > 0) topic = await this.topic(meta.name, this.reader, true);
        const wanted = maxRecords - out.length;
        const maxBytes = this.readSizes.bytesFor(partitionKey(meta.name, partition), wanted);
        const target = { topic, partition, offset, maxBytes, maxRecords: wanted };
        const answered = (await this.fetchFrom(this.reader, [target], 0)).get(partitionKey(meta.name, partition));
        if (answered === undefined || (answered.error !== null && answered.error !== 'OFFSET_OUT_OF_RANGE')) {
          throw new LogError(
            'OP_LOG_UNAVAILABLE',
            `cannot fetch (topic "${meta.name}", partition ${partition}, brokers ${this.brokers.join(',')}): the partition's leader answered ${answered?.error ?? 'nothing'}`,
            { retryable: true, details: { topic: meta.name, partition, kafkaErrors: answered?.error ? [answered.error] : [] } },
          );
        }
        return answered;
      });
      if (answer.error === 'OFFSET_OUT_OF_RANGE') {
        const range = (await this.partitionOffsets([topic])).get(meta.name)!;
        if (offset >= range.end[partition]!) break;
        offset = Math.max(offset, range.beginning[partition]!);
        continue;
      }
      out.push(...answer.records);
      const last = answer.records.at(-1);
      if (last === undefined) break;
      offset = Math.max(offset, last.offset + 1);
      if (offset >= answer.highWatermark) break;
    }
    return out;
  }

  fetchPartitions(requests: readonly FetchRequest[]): Promise<readonly PartitionRead[]> {
    return observedPartitionReads(performance.now(), this.readPartitions(requests));
  }

  /**
   * One fetch request per leader for all the partitions asked, each sized by its `maxRecords`; the
   * answer's high watermark is the partition's end offset. A partition whose leader fails to answer
   * is asked again through the failover (the others keep their answers); one whose next batch was
   * larger than the bytes asked is asked again with more (`FETCH_GROWTH`).
   */
  private async readPartitions(requests: readonly FetchRequest[]): Promise<readonly PartitionRead[]> {
    this.assertOpen();
    const metas = new Map<string, TopicMeta>();
    const asked: AskedRead[] = [];
    for (const [index, request] of checkFetchRequests(requests).entries()) {
      const meta = metas.get(request.topic) ?? (await this.topic(request.topic, this.reader));
      metas.set(meta.name, meta);
      const partition = checkPartition(meta.name, meta.partitions, request.partition);
      const offset = checkOffset(request.offset, 'a fetch offset');
      const maxRecords =
        request.maxRecords === undefined ? DEFAULT_MAX_RECORDS : checkPositiveInt(request.maxRecords, 'maxRecords');
      const maxBytes = this.readSizes.bytesFor(partitionKey(meta.name, partition), maxRecords);
      asked.push({ meta, partition, offset, maxRecords, index, maxBytes });
    }
    const reads = new Array<PartitionRead>(asked.length);
    // A fetch request names a partition once: a partition asked several times is read in several waves.
    const waves: AskedRead[][] = [];
    const seen = new Map<string, number>();
    for (const a of asked) {
      const key = partitionKey(a.meta.name, a.partition);
      const wave = seen.get(key) ?? 0;
      seen.set(key, wave + 1);
      (waves[wave] ??= []).push(a);
    }
    for (const wave of waves) await this.readWave(wave, reads);
    return reads;
  }

  /** Reads partitions that are each asked once into `reads` (at each one's `index`). */
  private async readWave(
    asked: readonly AskedRead[],
    reads: PartitionRead[],
  ): Promise<void> {
    let pending: readonly AskedRead[] = asked;
    let attempts = 0;
    await this.throughFailover(async () => {
      if (attempts++ > 0) {
        // A retry routes by fresh metadata: a leader named did not answer, or moved.
        const fresh = new Map<string, TopicMeta>();
        for (const p of pending) if (!fresh.has(p.meta.name)) fresh.set(p.meta.name, await this.topic(p.meta.name, this.reader, true));
        pending = pending.map((p) => ({ ...p, meta: fresh.get(p.meta.name)! }));
      }
      for (let round = 1; pending.length > 0; round++) {
        const targets = pending.map((p) => ({ topic: p.meta, partition: p.partition, offset: p.offset, maxBytes: p.maxBytes, maxRecords: p.maxRecords }));
        const answers = await this.fetchFrom(this.reader, targets, 0);
        const again: AskedRead[] = [];
        const unanswered: AskedRead[] = [];
        const unconfirmed: { readonly asked: AskedRead; readonly highWatermark: number }[] = [];
        for (const p of pending) {
          const answer = answers.get(partitionKey(p.meta.name, p.partition));
          const done = (records: LogRecord[], endOffset: number): void => {
            reads[p.index] = { topic: p.meta.name, partition: p.partition, records, endOffset };
          };
          if (answer === undefined || (answer.error !== null && answer.error !== 'OFFSET_OUT_OF_RANGE')) {
            unanswered.push(p);
          } else if (answer.error === 'OFFSET_OUT_OF_RANGE') {
            // Past the end: nothing to read. Before the beginning (records deleted): read from there.
            const range = (await this.partitionOffsets([p.meta])).get(p.meta.name)!;
            const end = range.end[p.partition]!;
            if (p.offset >= end || round >= FETCH_SIZE_ROUNDS) done([], end);
            else again.push({ ...p, offset: Math.max(p.offset, range.beginning[p.partition]!) });
          } else if (answer.records.length === 0 && answer.batchRecords === 0 && p.offset < answer.highWatermark && round < FETCH_SIZE_ROUNDS) {
            // The last try asks for the most a broker sends, whatever the batch.
            again.push({ ...p, maxBytes: round + 1 >= FETCH_SIZE_ROUNDS ? FETCH_MAX_BYTES : Math.min(p.maxBytes * FETCH_GROWTH, FETCH_MAX_BYTES) });
          } else {
            const seen = this.highWatermarks.get(highWatermarkKey(p.meta, p.partition));
            if (answer.records.length === 0 && seen === undefined && p.offset >= answer.highWatermark) {
              unconfirmed.push({ asked: p, highWatermark: answer.highWatermark });
            } else {
              done(answer.records, this.sawHighWatermark(p.meta, p.partition, answer.highWatermark));
            }
          }
        }
        if (unconfirmed.length > 0) {
          // Nothing read from these partitions before, and nothing after the offset: the end offset
          // from ListOffsets, which a leader elected a moment ago refuses to give until it knows it.
          const metas = [...new Map(unconfirmed.map(({ asked: p }) => [p.meta.name, p.meta])).values()];
          const ranges = await this.partitionOffsets(metas);
          for (const { asked: p, highWatermark } of unconfirmed) {
            const end = Math.max(highWatermark, ranges.get(p.meta.name)?.end[p.partition] ?? 0);
            reads[p.index] = { topic: p.meta.name, partition: p.partition, records: [], endOffset: this.sawHighWatermark(p.meta, p.partition, end) };
          }
        }
        pending = [...unanswered, ...again];
        if (unanswered.length > 0) {
          const first = unanswered[0]!;
          const error = answers.get(partitionKey(first.meta.name, first.partition))?.error ?? 'nothing';
          throw new LogError(
            'OP_LOG_UNAVAILABLE',
            `cannot fetch (topic "${first.meta.name}", partition ${first.partition}, brokers ${this.brokers.join(',')}): the partition's leader answered ${error}`,
            { retryable: true, details: { topic: first.meta.name, partition: first.partition, kafkaErrors: error === 'nothing' ? [] : [error] } },
          );
        }
      }
    });
  }

  /**
   * A partition's end offset from a fetch answer's high watermark, never below one this log saw
   * before: a follower just elected leader answers with its own high watermark, which can lag the
   * one its predecessor gave until its followers have fetched again. Taken as it is, it would tell a
   * reader it is at the end of a partition that holds more.
   */
  private sawHighWatermark(meta: TopicMeta, partition: number, highWatermark: number): number {
    const key = highWatermarkKey(meta, partition);
    const end = Math.max(highWatermark, this.highWatermarks.get(key) ?? 0);
    this.highWatermarks.set(key, end);
    return end;
  }

  /**
   * One fetch per leader for the targets, side by side; each broker waits up to `maxWaitMs` for
   * records. Partition errors come back in the answer (a partition's error does not lose the others'
   * records); a failed request throws.
   */
  async fetchFrom(client: KafkaClient, targets: readonly FetchTarget[], maxWaitMs: number): Promise<Map<string, PartitionFetch>> {
    const byLeader = new Map<number, FetchTarget[]>();
    for (const target of targets) {
      const leader = target.topic.leaders[target.partition] ?? -1;
      const list = byLeader.get(leader) ?? [];
      list.push(target);
      byLeader.set(leader, list);
    }
    const out = new Map<string, PartitionFetch>();
    const requests = [...byLeader].map(async ([leader, list]) => {
      if (leader < 0) {
        for (const t of list)
          out.set(partitionKey(t.topic.name, t.partition), {
            records: [],
            batchBytes: 0,
            batchRecords: 0,
            largestBatch: 0,
            highWatermark: 0,
            error: 'LEADER_NOT_AVAILABLE',
          });
        return;
      }
      const byTopic = new Map<string, FetchTarget[]>();
      for (const t of list) byTopic.set(t.topic.id, [...(byTopic.get(t.topic.id) ?? []), t]);
      const topics = [...byTopic].map(([topicId, ts]) => ({
        topicId,
        partitions: ts.map((t) => ({
          partition: t.partition,
          fetchOffset: BigInt(t.offset),
          partitionMaxBytes: t.maxBytes ?? FETCH_PARTITION_BYTES,
          currentLeaderEpoch: -1,
          lastFetchedEpoch: -1,
        })),
      }));
      let response: fetchV17.FetchResponse;
      try {
        response = await client.fetch({
          node: leader,
          topics,
          maxWaitTime: maxWaitMs,
          minBytes: 1,
          maxBytes: FETCH_MAX_BYTES,
          isolationLevel: 0,
        });
      } catch (error) {
        // A partition-level error fails the whole request; its answer still holds the other partitions.
        const partial = (error as { response?: unknown }).response;
        if (typeof partial !== 'object' || partial === null || !Array.isArray((partial as { responses?: unknown }).responses))
          throw error;
        response = partial as fetchV17.FetchResponse;
      }
      const names = new Map(list.map((t) => [t.topic.id, t.topic.name]));
      const asked = new Map(list.map((t) => [partitionKey(t.topic.name, t.partition), t]));
      for (const topicAnswer of response.responses) {
        const name = names.get(topicAnswer.topicId);
        if (name === undefined) continue;
        for (const p of topicAnswer.partitions) {
          const key = partitionKey(name, p.partitionIndex);
          const target = asked.get(key);
          const batches = p.errorCode === 0 ? (p.records ?? []) : [];
          let batchBytes = 0;
          let batchRecords = 0;
          let largestBatch = 0;
          for (const batch of batches) {
            // `length` counts from after itself: the offset and length fields are 12 bytes more.
            batchBytes += batch.length + 12;
            batchRecords += batch.records.length;
            largestBatch = Math.max(largestBatch, batch.length + 12);
          }
          const answer: PartitionFetch = {
            records: decodeBatches(name, p.partitionIndex, batches, target?.offset ?? 0, target?.maxRecords ?? Infinity),
            batchBytes,
            batchRecords,
            largestBatch,
            highWatermark: Number(p.highWatermark),
            error: p.errorCode === 0 ? null : (protocolErrorsCodesById[p.errorCode] ?? `error ${p.errorCode}`),
          };
          this.readSizes.learn(key, answer);
          out.set(key, answer);
        }
      }
    });
    const settled = await Promise.allSettled(requests);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) {
      const only = targets.length === 1 ? targets[0]! : undefined;
      throw this.failure(
        failed.reason,
        'cannot fetch',
        only === undefined ? {} : { topic: only.topic.name, partition: only.partition },
      );
    }
    return out;
  }

  // ---- consumer groups ----

  /** Checks commit entries against the cluster's topics; groups them by topic for Kafka's requests. */
  private async commitEntries(
    offsets: readonly CommittedOffset[],
  ): Promise<Map<string, { partition: number; offset: number }[]>> {
    if (!isArray(offsets)) throw new LogError('OP_LOG_BAD_REQUEST', 'offsets must be an array');
    const byTopic = new Map<string, { partition: number; offset: number }[]>();
    for (const entry of offsets) {
      const meta = await this.topic(entry?.topic);
      const partition = checkPartition(meta.name, meta.partitions, entry.partition);
      const offset = checkOffset(entry.offset, 'a committed offset');
      byTopic.set(meta.name, [...(byTopic.get(meta.name) ?? []), { partition, offset }]);
    }
    return byTopic;
  }

  async commitOffsets(group: string, offsets: readonly CommittedOffset[]): Promise<void> {
    this.assertOpen();
    checkGroup(group);
    const byTopic = await this.commitEntries(offsets);
    if (byTopic.size === 0) return;
    try {
      await this.admin.alterConsumerGroupOffsets({
        groupId: group,
        topics: [...byTopic].map(([name, entries]) => ({
          name,
          partitionOffsets: entries.map((e) => ({ partition: e.partition, offset: BigInt(e.offset) })),
        })),
      });
    } catch (error) {
      const ids = kafkaErrorIds(error);
      if (ids.has('UNKNOWN_MEMBER_ID') || ids.has('ILLEGAL_GENERATION') || ids.has('REBALANCE_IN_PROGRESS')) {
        throw new LogError(
          'OP_LOG_GROUP_ACTIVE',
          `cannot commit offsets for group "${group}" from outside it: the group has active members (brokers ${this.brokers.join(',')}); commit through one of its consumers`,
          { cause: error, details: { group, kafkaErrors: [...ids] } },
        );
      }
      throw this.failure(error, 'cannot commit offsets', { group });
    }
  }

  async committedOffsets(group: string): Promise<readonly CommittedOffset[]> {
    this.assertOpen();
    checkGroup(group);
    return this.throughFailover(() => this.readCommittedOffsets(group));
  }

  private async readCommittedOffsets(group: string): Promise<readonly CommittedOffset[]> {
    try {
      const [answer] = await this.admin.listConsumerGroupOffsets({ groups: [group] });
      const out: CommittedOffset[] = [];
      for (const topic of answer?.topics ?? []) {
        for (const p of topic.partitions) {
          if (p.committedOffset >= 0n)
            out.push({ topic: topic.name, partition: p.partitionIndex, offset: Number(p.committedOffset) });
        }
      }
      return out.sort(byTopicThenPartition);
    } catch (error) {
      throw this.failure(error, 'cannot read committed offsets', { group });
    }
  }

  async listGroups(): Promise<readonly string[]> {
    this.assertOpen();
    try {
      return [...(await this.admin.listGroups()).keys()].sort();
    } catch (error) {
      throw this.failure(error, 'cannot list groups');
    }
  }

  async lag(group: string): Promise<readonly PartitionLag[]> {
    this.assertOpen();
    checkGroup(group);
    const committed = await this.committedOffsets(group);
    const topics = new Set(committed.map((c) => c.topic));
    try {
      // The topics its members subscribe to count too, even where they have committed nothing yet.
      const described = (await this.admin.describeGroups({ groups: [group] })).get(group);
      for (const member of described?.members.values() ?? []) for (const t of member.metadata?.topics ?? []) topics.add(t);
    } catch (error) {
      throw this.failure(error, 'cannot describe the group', { group });
    }
    const metas: TopicMeta[] = [];
    for (const name of [...topics].sort()) {
      // A topic deleted since the group committed on it has no lag to show.
      if (await this.topicExists(name)) metas.push(await this.topic(name));
    }
    const offsets = await this.partitionOffsets(metas);
    const at = new Map(committed.map((c) => [partitionKey(c.topic, c.partition), c.offset]));
    const lags: PartitionLag[] = [];
    for (const meta of metas) {
      const { beginning, end } = offsets.get(meta.name)!;
      for (let partition = 0; partition < meta.partitions; partition++) {
        const position = at.get(partitionKey(meta.name, partition)) ?? null;
        const endOffset = end[partition]!;
        lags.push({
          topic: meta.name,
          partition,
          committed: position,
          endOffset,
          lag: Math.max(0, endOffset - (position ?? beginning[partition]!)),
        });
      }
    }
    return lags;
  }

  async consumer(options: ConsumerOptions): Promise<Consumer> {
    this.assertOpen();
    const { group, topics, startFrom, maxRecords } = checkConsumerOptions(options);
    for (const name of topics) await this.topic(name);
    const member = new KafkaGroupMember(this, () => this.joinGroup(group, topics), group, startFrom, maxRecords);
    await member.start();
    this.members.add(member);
    return member;
  }

  /**
   * A new client that has joined the group. It keeps its first metadata (see `GROUP_METADATA_MAX_AGE_MS`);
   * the member routes its fetches by the reader's metadata instead. A join that fails while the
   * cluster fails over (its coordinator died) is tried again with another new client, which asks
   * for the coordinator afresh.
   */
  private joinGroup(group: string, topics: readonly string[]): Promise<KafkaClient> {
    return this.throughFailover(() => this.joinGroupOnce(group, topics));
  }

  private async joinGroupOnce(group: string, topics: readonly string[]): Promise<KafkaClient> {
    const client = new KafkaClient({
      ...this.clientOptions(`consumer-${group}`),
      groupId: group,
      sessionTimeout: this.sessionTimeoutMs,
      heartbeatInterval: this.heartbeatIntervalMs,
      // A member has this long to rejoin when the group rebalances; a join waits for the others that long at most.
      rebalanceTimeout: Math.max(this.sessionTimeoutMs, this.heartbeatIntervalMs * 3),
      metadataMaxAge: GROUP_METADATA_MAX_AGE_MS,
    });
    try {
      client.topics.trackAll(...topics);
      await client.joinGroup({});
      return client;
    } catch (error) {
      await closeWithoutLeaving(client);
      throw this.failure(error, 'cannot join the consumer group', { group });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const members = [...this.members];
    this.members.clear();
    const results = await Promise.allSettled([
      ...members.map((m) => m.close()),
      this.producer.close(),
      this.reader.close(),
      this.admin.close(),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      throw new LogError(
        'OP_LOG_UNAVAILABLE',
        `closing the Kafka clients failed (brokers ${this.brokers.join(',')}): ${describeError(failed.reason)}`,
        {
          cause: failed.reason,
          retryable: false,
        },
      );
    }
  }

  // ---- for KafkaGroupMember ----

  /** @internal */
  release(member: KafkaGroupMember): void {
    this.members.delete(member);
  }

  /** @internal The client that fetches for `fetch` and for group members. */
  get readerClient(): KafkaClient {
    return this.reader;
  }

  /** @internal */
  get isClosed(): boolean {
    return this.closed;
  }

  /** @internal */
  fail(error: unknown, action: string, where: { topic?: string; partition?: number; group?: string }): LogError {
    return this.failure(error, action, where);
  }

  /** @internal The group's committed offsets by partition key. */
  async committedByPartition(group: string): Promise<Map<string, number>> {
    return new Map((await this.committedOffsets(group)).map((c) => [partitionKey(c.topic, c.partition), c.offset]));
  }

  /** @internal */
  offsetsOf(topics: readonly TopicMeta[]): Promise<Map<string, { beginning: number[]; end: number[] }>> {
    return this.partitionOffsets(topics);
  }

  /** @internal */
  checkCommit(offsets: readonly CommittedOffset[]): Promise<Map<string, { partition: number; offset: number }[]>> {
    return this.commitEntries(offsets);
  }
}


/** Opens the Kafka event log (the clients connect on first use). */
export function openKafkaEventLog(options: KafkaEventLogOptions): KafkaEventLog {
  return new KafkaEventLog(options);
}
