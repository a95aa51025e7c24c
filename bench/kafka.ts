/**
 * `npm run bench:kafka`: cluster mode's event log (`KafkaEventLog`) on a real Kafka cluster, against
 * the Kafka client it is built on, and the stream processor's alert latency over it.
 *
 * Needs a Kafka cluster (3 nodes: topics get replication factor 3, min.insync.replicas 2) and a
 * Confluent-compatible schema registry, named by ORDERPULSE_TEST_KAFKA_BROKERS and
 * ORDERPULSE_TEST_REGISTRY_URL, as `scripts/services/up.sh kafka registry` exports them. Every run
 * writes to topics of its own (a random prefix, through `withTopicPrefix`) and deletes them at the
 * end. The schemas are registered once, as `orderpulse schemas register` does (subjects are the
 * plain topic names: the prefix is below the codec), and every writer only looks them up, as in
 * cluster mode.
 *
 * - produce: the sample at scale 10 (SYNTHETIC, built as `bench:ingest` builds it; 5 topics × 6
 *   partitions) replayed as fast as possible through the Kafka log (idempotent producer, acks=all,
 *   lz4), as `orderpulse replay --max` does: encode + append, 5,000 records per append. Then the
 *   same records, encoded beforehand, appended through the log in the same batches (the log's own
 *   cost). The ceiling, in the same run: the client library's Producer alone (idempotent, acks=all,
 *   lz4) sending the same keys, values, timestamps and partitions in the same requests (the log's
 *   split rules copied: 512 KiB per partition, timestamps within 2^31 ms), one request at a time as
 *   the log sends them, to topics of its own.
 * - consume: every partition of those topics read back: with `log.fetch` (2,000 records at a time,
 *   one partition after the other, as the stream processor's merger reads), and with a consumer of
 *   `log.consumer()` (a group member holding every partition; joining included). The ceiling: the
 *   client's own fetch requests to the raw topics, made as `log.fetch` makes them (one partition at
 *   a time, from its leader, the same byte limits), records counted, nothing converted. For
 *   reference, the client's Consumer stream (a group member from the earliest offsets). Nothing is
 *   decoded (Avro is not the log's cost). MB/s count keys and values, uncompressed. Each way reads
 *   the whole set CONSUME_ROUNDS times, the ways taking turns, and its median round is reported.
 * - latency: the real sample replayed at LATENCY_RATE events/s into fresh topics while a stream
 *   processor (every task, default batch and idle policy, a local lake) reads them, in this
 *   process, each with its own Kafka clients (another KafkaEventLog), and a third log's group
 *   consumer reads the alerts topic. For every alert change with a cause:
 *     read back = wall time the alerts topic's consumer received the change − wall time the append
 *                 of the causing record was acknowledged (acks=all) — the headline figure;
 *     emitted   = wall time the processor's append of the change to the alerts topic was
 *                 acknowledged (its `onAlerts`) − the same;
 *     and read back − the time the causing record's append was called (the produce included).
 *   `final`/`resolved` changes are caused by an event itself, `opened`/`escalated` by a deadline
 *   timer fired when an event moved the watermark; changes of the idle policy (no cause) are only
 *   counted. Each read-back latency is split in three legs: the causing record fetched by the
 *   processor − acked, the change acked − the record fetched (the batch), read back − the change
 *   acked; the mean legs of the slowest 1% say what the p99 is made of. The process's garbage
 *   collection pauses and event loop delay are recorded over the run. The processor's
 *   fetchPartitions, fetch and describeTopics calls are counted and timed. The floor, in
 *   the same run: single records sent by the client's Producer (acks=all) at PING_RATE a second
 *   and received by its Consumer stream; an alert crosses the cluster at least twice that way.
 * Goal (the issue): alert latency p99 < 500 ms with acks=all. `--part latency` runs the latency part
 * and its floor alone (about a minute and a half); the default, `--part all`, runs every part.
 * Prints three tables, then one JSON line with every figure; progress goes to stderr.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Admin, Consumer as RawConsumer, ProduceAcks, Producer } from '@platformatic/kafka';
import type { MessageToProduce } from '@platformatic/kafka';
import { registerTopicSchemas, schemasToRegister } from '../src/deploy/index.js';
import { loadOlist, writeOlist } from '../src/data/index.js';
import type { EncodedEvent, MarketplaceEvent, ValueLocation } from '../src/events/index.js';
import { EventCodec, RestSchemaRegistry, TOPIC_NAMES, olistEvents } from '../src/events/index.js';
import { Lake } from '../src/lake/index.js';
import type { EventLog, LogRecord, ProducerRecord, RecordPosition } from '../src/log/index.js';
import { KafkaEventLog, partitionFor, withTopicPrefix } from '../src/log/index.js';
import { DEFAULT_BATCH_SIZE, DEFAULT_PARTITIONS, replay, scaleDataset } from '../src/replay/index.js';
import type { BatchReport, ChangeKind, EmittedChange, PositionedChange } from '../src/stream/index.js';
import { ALERTS_TOPIC, AlertCodec, StreamProcessor } from '../src/stream/index.js';
import { sampleDir } from '../src/testing/fixtures.js';
import { testKafkaBrokers } from '../src/testing/kafka.js';
import { withOverrides } from '../src/testing/log-overrides.js';
import type { LatencyStats } from './report.js';
import { printTable, stats } from './report.js';

const GOALS = { p99Ms: 500 } as const;
/**
 * Events/s of the latency replay. On this 2-core machine, with three brokers beside it, the processor
 * keeps up with 1,000 (about 740 order and review records a second); at 2,000 it falls behind and
 * the latency grows through the run (p99 10–14 s).
 */
const LATENCY_RATE = 1_000;
const FETCH_SIZE = 2_000;
/** Reads of the whole topic set by each way of consuming. */
const CONSUME_ROUNDS = 3;
/** The raw round trip: records, and records a second. */
const PING_COUNT = 500;
const PING_RATE = 50;
const REPLICATION_FACTOR = 3;
const MIN_INSYNC_REPLICAS = 2;
/** The log's produce-request split rules (kafka-log.ts), copied for the raw producer. */
const MAX_BATCH_BYTES = 512 * 1024;
const MAX_TIMESTAMP_SPREAD_MS = 2 ** 31 - 1;
const RECORD_OVERHEAD_BYTES = 32;
/** The log's fetch sizes (kafka-log.ts), given to the raw consumer too. */
const FETCH_PARTITION_BYTES = 1024 * 1024;
const FETCH_MAX_BYTES = 8 * 1024 * 1024;

const work = join(tmpdir(), `orderpulse-bench-kafka-${process.pid}`);
const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;
const positionKey = (p: RecordPosition): string => `${p.topic}/${p.partition}/${p.offset}`;
const say = (text: string): void => void process.stderr.write(`${text}\n`);

interface Cluster {
  readonly brokers: readonly string[];
  readonly registryUrl: string;
  /** Every topic and group of this run starts with it. */
  readonly runPrefix: string;
}

/** The services from the environment, or a message naming the command that starts them. */
function clusterFromEnvironment(): Cluster {
  const brokers = testKafkaBrokers();
  const registryUrl = (process.env['ORDERPULSE_TEST_REGISTRY_URL'] ?? '').trim();
  const missing = [brokers.length === 0 ? 'ORDERPULSE_TEST_KAFKA_BROKERS' : '', registryUrl === '' ? 'ORDERPULSE_TEST_REGISTRY_URL' : ''].filter((v) => v !== '');
  if (missing.length > 0) {
    process.stderr.write(
      `bench:kafka needs a Kafka cluster and a schema registry, but ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not set.\n` +
        'Start them (a 3-node KRaft cluster and Apicurio Registry, on free ports) and export their addresses with:\n' +
        '  eval "$(bash scripts/services/up.sh kafka registry)"     # or, once they are up: source .services/env\n' +
        'then run `npm run bench:kafka` again; stop them with `bash scripts/services/down.sh kafka registry`.\n',
    );
    process.exit(2);
  }
  return { brokers, registryUrl, runPrefix: `bench-${randomBytes(4).toString('hex')}.` };
}

function kafkaLog(cluster: Cluster, prefix: string, role: string): EventLog {
  const log = new KafkaEventLog({ brokers: cluster.brokers, clientId: `orderpulse-bench-${role}`, replicationFactor: REPLICATION_FACTOR, minInsyncReplicas: MIN_INSYNC_REPLICAS });
  return withTopicPrefix(log, cluster.runPrefix + prefix);
}

/** The scale-10 dataset's events, as `bench:ingest` builds them: written as Olist files, then loaded. */
async function scaledEvents(): Promise<MarketplaceEvent[]> {
  const dir = join(work, 'scale10-data');
  await writeOlist(scaleDataset(await loadOlist(sampleDir), 10), dir, { note: 'SYNTHETIC benchmark data (scale 10).' });
  try {
    return olistEvents(await loadOlist(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const recordBytes = (r: { readonly key: Uint8Array | null; readonly value: Uint8Array }): number => (r.key?.length ?? 0) + r.value.length;

interface Rate {
  readonly records: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly mbPerSecond: number;
}

function rate(records: number, bytes: number, wall: number): Rate {
  return { records, bytes, seconds: wall, eventsPerSecond: records / wall, mbPerSecond: bytes / 1e6 / wall };
}

/** The round with the median rate. */
function median<T extends Rate>(runs: readonly T[]): T {
  const sorted = [...runs].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond);
  const middle = sorted[Math.floor(sorted.length / 2)];
  if (middle === undefined) throw new Error('no rounds');
  return middle;
}

// ---- produce ----

/** `orderpulse replay --max` into fresh topics: encode + append (the topics are created first, untimed). */
async function produceByReplay(cluster: Cluster, codec: EventCodec, events: readonly MarketplaceEvent[], bytes: number): Promise<Rate> {
  const log = kafkaLog(cluster, 'replay.', 'replay');
  try {
    for (const topic of TOPIC_NAMES) await log.createTopic({ name: topic, partitions: DEFAULT_PARTITIONS });
    const t0 = process.hrtime.bigint();
    const summary = await replay({ log, codec, events, pacing: { mode: 'max' } });
    const wall = seconds(t0);
    if (!summary.completed || summary.appended !== events.length) throw new Error(`replay appended ${summary.appended} of ${events.length}`);
    say(`produce, replay --max: ${summary.appended} events in ${wall.toFixed(1)} s`);
    return rate(summary.appended, bytes, wall);
  } finally {
    await log.close();
  }
}

/** The encoded records appended through the log, in the replay's batches. */
async function produceByAppend(cluster: Cluster, encoded: readonly EncodedEvent[], bytes: number): Promise<Rate> {
  const log = kafkaLog(cluster, 'append.', 'append');
  try {
    for (const topic of TOPIC_NAMES) await log.createTopic({ name: topic, partitions: DEFAULT_PARTITIONS });
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < encoded.length; i += DEFAULT_BATCH_SIZE) await log.append(encoded.slice(i, i + DEFAULT_BATCH_SIZE));
    const wall = seconds(t0);
    say(`produce, log.append: ${encoded.length} records in ${wall.toFixed(1)} s`);
    return rate(encoded.length, bytes, wall);
  } finally {
    await log.close();
  }
}

/** Topics as the log creates them (kafka-log.ts `createTopic`), for the raw client's records. */
async function createRawTopics(admin: Admin, names: readonly string[]): Promise<void> {
  await admin.createTopics({
    topics: [...names],
    partitions: DEFAULT_PARTITIONS,
    replicas: REPLICATION_FACTOR,
    configs: [
      { name: 'retention.ms', value: '-1' },
      { name: 'retention.bytes', value: '-1' },
      { name: 'min.insync.replicas', value: String(MIN_INSYNC_REPLICAS) },
    ],
  });
  // Wait until every partition has a leader, as the log does.
  for (let attempt = 0; attempt < 100; attempt++) {
    const metadata = await admin.metadata({ topics: [...names], forceUpdate: true }).catch(() => null);
    const ready = metadata !== null && names.every((n) => {
      const t = metadata.topics.get(n);
      return t !== undefined && t.partitions.length === DEFAULT_PARTITIONS && t.partitions.every((p) => p.leader >= 0);
    });
    if (ready) return;
    await sleep(100);
  }
  throw new Error(`raw topics ${names.join(', ')} have no leaders after 10 s`);
}

/** A slice of the log's batches as produce requests, by the log's split rules (kafka-log.ts `chunks`). */
function* requests(batch: readonly MessageToProduce[]): Generator<MessageToProduce[]> {
  let chunk: MessageToProduce[] = [];
  let slices = new Map<string, { bytes: number; first: bigint }>();
  for (const m of batch) {
    const key = `${m.topic}/${m.partition ?? 0}`;
    const bytes = RECORD_OVERHEAD_BYTES + (m.key?.length ?? 0) + (m.value?.length ?? 0);
    const ts = m.timestamp ?? 0n;
    const slice = slices.get(key);
    if (slice !== undefined && (slice.bytes + bytes > MAX_BATCH_BYTES || Number(ts > slice.first ? ts - slice.first : slice.first - ts) > MAX_TIMESTAMP_SPREAD_MS)) {
      yield chunk;
      chunk = [];
      slices = new Map();
    }
    const current = slices.get(key);
    if (current === undefined) slices.set(key, { bytes, first: ts });
    else current.bytes += bytes;
    chunk.push(m);
  }
  if (chunk.length > 0) yield chunk;
}

/** The ceiling: the client's Producer alone, the same records in the same requests, one at a time. */
async function produceRaw(cluster: Cluster, admin: Admin, encoded: readonly EncodedEvent[], bytes: number): Promise<Rate & { readonly requests: number }> {
  const prefix = `${cluster.runPrefix}raw.`;
  await createRawTopics(admin, TOPIC_NAMES.map((t) => prefix + t));
  const producer = new Producer({
    clientId: 'orderpulse-bench-raw-producer',
    bootstrapBrokers: [...cluster.brokers],
    idempotent: true,
    acks: ProduceAcks.ALL,
    compression: 'lz4',
    autocreateTopics: false,
    retries: 5,
    retryDelay: 500,
  });
  try {
    const toMessage = (r: EncodedEvent): MessageToProduce => ({
      topic: prefix + r.topic,
      partition: partitionFor(r.key, DEFAULT_PARTITIONS),
      key: Buffer.from(r.key),
      value: Buffer.from(r.value),
      timestamp: BigInt(r.timestamp),
      headers: new Map<Buffer, Buffer>(),
    });
    let sent = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < encoded.length; i += DEFAULT_BATCH_SIZE) {
      // Built per batch inside the timed loop, as the log builds its messages per append.
      for (const chunk of requests(encoded.slice(i, i + DEFAULT_BATCH_SIZE).map(toMessage))) {
        await producer.send({ messages: chunk });
        sent++;
      }
    }
    const wall = seconds(t0);
    say(`produce, raw Producer: ${encoded.length} records in ${sent} requests, ${wall.toFixed(1)} s`);
    return { ...rate(encoded.length, bytes, wall), requests: sent };
  } finally {
    await producer.close();
  }
}

// ---- consume ----

/** Every partition with `log.fetch`, FETCH_SIZE records at a time, one partition after the other. */
async function consumeByFetch(cluster: Cluster): Promise<Rate> {
  const log = kafkaLog(cluster, 'replay.', 'fetch');
  try {
    const topics = await log.describeTopics(TOPIC_NAMES);
    let records = 0;
    let bytes = 0;
    const t0 = process.hrtime.bigint();
    for (const topic of topics) {
      for (let partition = 0; partition < topic.partitions; partition++) {
        const end = topic.endOffsets[partition] ?? 0;
        let offset = topic.beginningOffsets[partition] ?? 0;
        while (offset < end) {
          const chunk = await log.fetch({ topic: topic.name, partition, offset, maxRecords: FETCH_SIZE });
          if (chunk.length === 0) throw new Error(`${topic.name}/${partition}: fetch at ${offset} returned nothing before the end (${end})`);
          for (const r of chunk) bytes += recordBytes(r);
          records += chunk.length;
          offset = (chunk[chunk.length - 1]?.offset ?? offset) + 1;
        }
      }
    }
    const wall = seconds(t0);
    say(`consume, log.fetch: ${records} records in ${wall.toFixed(1)} s`);
    return rate(records, bytes, wall);
  } finally {
    await log.close();
  }
}

/** Every partition through one member of a consumer group of the log (joining included). */
async function consumeByGroup(cluster: Cluster, expected: number, round: number): Promise<Rate & { readonly joinMs: number }> {
  const log = kafkaLog(cluster, 'replay.', 'group');
  try {
    let records = 0;
    let bytes = 0;
    const t0 = process.hrtime.bigint();
    const consumer = await log.consumer({ group: `bench-read-${round}`, topics: TOPIC_NAMES, startFrom: 'earliest', maxRecords: FETCH_SIZE });
    const joinMs = seconds(t0) * 1000;
    let quiet = 0;
    while (records < expected) {
      const chunk = await consumer.poll(1_000);
      if (chunk.length === 0 && ++quiet > 30) throw new Error(`group consumer: read ${records} of ${expected} records, then nothing for 30 s`);
      for (const r of chunk) bytes += recordBytes(r);
      records += chunk.length;
    }
    const wall = seconds(t0);
    await consumer.close();
    say(`consume, log.consumer: ${records} records in ${wall.toFixed(1)} s (joined in ${joinMs.toFixed(0)} ms)`);
    return { ...rate(records, bytes, wall), joinMs };
  } finally {
    await log.close();
  }
}

/**
 * The ceiling: the client's own fetch requests, as `log.fetch` makes them (one partition at a time,
 * from its leader, the same byte limits), the records of each answer counted, nothing converted.
 */
async function consumeRawFetch(cluster: Cluster, admin: Admin): Promise<Rate> {
  const prefix = `${cluster.runPrefix}raw.`;
  const client = new RawConsumer({ clientId: 'orderpulse-bench-raw-fetch', groupId: `${cluster.runPrefix}raw-fetch`, bootstrapBrokers: [...cluster.brokers] });
  try {
    const names = TOPIC_NAMES.map((t) => prefix + t);
    const metadata = await admin.metadata({ topics: names });
    let records = 0;
    let bytes = 0;
    const t0 = process.hrtime.bigint();
    for (const name of names) {
      const topic = metadata.topics.get(name);
      if (topic === undefined) throw new Error(`no metadata for ${name}`);
      for (let partition = 0; partition < topic.partitionsCount; partition++) {
        const leader = topic.partitions[partition]?.leader ?? -1;
        let offset = 0n;
        for (;;) {
          const response = await client.fetch({
            node: leader,
            topics: [{ topicId: topic.id, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: FETCH_PARTITION_BYTES, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] }],
            maxWaitTime: 0,
            minBytes: 1,
            maxBytes: FETCH_MAX_BYTES,
            isolationLevel: 0,
          });
          const answer = response.responses[0]?.partitions[0];
          if (answer === undefined || answer.errorCode !== 0) throw new Error(`${name}/${partition}: fetch at ${offset} failed (error ${answer?.errorCode ?? 'no answer'})`);
          for (const batch of answer.records ?? []) {
            for (const r of batch.records) {
              if (batch.firstOffset + BigInt(r.offsetDelta) < offset) continue;
              records++;
              bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0);
              offset = batch.firstOffset + BigInt(r.offsetDelta) + 1n;
            }
          }
          if (offset >= answer.highWatermark) break;
        }
      }
    }
    const wall = seconds(t0);
    say(`consume, raw fetch: ${records} records in ${wall.toFixed(1)} s`);
    return rate(records, bytes, wall);
  } finally {
    await client.close();
  }
}

/** For reference: the client's Consumer stream, a group member from the earliest offsets (joining included). */
async function consumeRaw(cluster: Cluster, expected: number, round: number): Promise<Rate> {
  const prefix = `${cluster.runPrefix}raw.`;
  const consumer = new RawConsumer({
    clientId: 'orderpulse-bench-raw-consumer',
    groupId: `${cluster.runPrefix}raw-read-${round}`,
    bootstrapBrokers: [...cluster.brokers],
    autocommit: false,
    maxBytesPerPartition: FETCH_PARTITION_BYTES,
    maxBytes: FETCH_MAX_BYTES,
    maxWaitTime: 200,
    isolationLevel: 0,
  });
  try {
    let records = 0;
    let bytes = 0;
    const t0 = process.hrtime.bigint();
    const stream = await consumer.consume({ topics: TOPIC_NAMES.map((t) => prefix + t), mode: 'earliest' });
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (seconds(t0) > 300) reject(new Error(`raw consumer: read ${records} of ${expected} records in 300 s`));
      }, 1_000);
      stream.on('data', (message: { key: Buffer | undefined; value: Buffer | undefined }) => {
        records++;
        bytes += (message.key?.length ?? 0) + (message.value?.length ?? 0);
        if (records === expected) {
          clearInterval(timer);
          resolve();
        }
      });
      stream.on('error', (error: unknown) => {
        clearInterval(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      });
    });
    const wall = seconds(t0);
    await stream.close();
    say(`consume, raw Consumer: ${records} records in ${wall.toFixed(1)} s`);
    return rate(records, bytes, wall);
  } finally {
    // Forced: closes a stream left open by a failure too.
    await new Promise<void>((resolve, reject) => consumer.close(true, (error) => (error ? reject(error) : resolve())));
  }
}

// ---- latency ----

/** The log, except that every append notes when it was called and when it resolved, for each record it placed. */
function timedLog(log: EventLog, calledAt: Map<string, number>, appendedAt: Map<string, number>, appendMs: number[]): EventLog {
  return withOverrides(log, {
    append: async (records: readonly ProducerRecord[]) => {
      const called = performance.now();
      const positions = await log.append(records);
      const now = performance.now();
      appendMs.push(now - called);
      for (const p of positions) {
        calledAt.set(positionKey(p), called);
        appendedAt.set(positionKey(p), now);
      }
      return positions;
    },
  });
}

interface CallCounts {
  fetch: { calls: number; empty: number; ms: number };
  /** `fetchPartitions` calls, the partitions they read and how many of those came back empty. */
  fetchPartitions: { calls: number; partitions: number; empty: number; ms: number };
  describeTopics: { calls: number; ms: number };
}

/**
 * The log, except that its fetch, fetchPartitions and describeTopics calls are counted and timed
 * (the processor's reads), and the time each record was first handed to the processor is noted.
 */
function countedLog(log: EventLog, counts: CallCounts, fetchedAt: Map<string, number>): EventLog {
  const noteFetched = (records: readonly LogRecord[]): void => {
    const now = performance.now();
    for (const r of records) {
      const key = positionKey(r);
      if (!fetchedAt.has(key)) fetchedAt.set(key, now);
    }
  };
  return withOverrides(log, {
    fetchPartitions: async (requests) => {
      const t = performance.now();
      const reads = await log.fetchPartitions(requests);
      for (const read of reads) noteFetched(read.records);
      counts.fetchPartitions.calls++;
      counts.fetchPartitions.partitions += reads.length;
      counts.fetchPartitions.empty += reads.filter((r) => r.records.length === 0).length;
      counts.fetchPartitions.ms += performance.now() - t;
      return reads;
    },
    describeTopics: async (names) => {
      const t = performance.now();
      try {
        return await log.describeTopics(names);
      } finally {
        counts.describeTopics.calls++;
        counts.describeTopics.ms += performance.now() - t;
      }
    },
    fetch: async (request) => {
      const t = performance.now();
      const records = await log.fetch(request);
      noteFetched(records);
      counts.fetch.calls++;
      if (records.length === 0) counts.fetch.empty++;
      counts.fetch.ms += performance.now() - t;
      return records;
    },
  });
}

interface Phases {
  read: number;
  detect: number;
  bronze: number;
  outputs: number;
  total: number;
}



const EVENT_TRIGGERED: ReadonlySet<ChangeKind> = new Set<ChangeKind>(['final', 'resolved']);
/** An alert change, the same whether seen by `onAlerts` or read back from the alerts topic. */
const changeKey = (c: PositionedChange): string => `${c.task}/${c.position.seq}/${c.change.alert.alertId}/${c.change.alert.sequence}/${c.change.kind}`;

interface LatencyResult {
  readonly rate: number;
  readonly events: number;
  readonly achievedRate: number;
  readonly batches: number;
  readonly meanBatch: number;
  readonly meanBatchMs: number;
  readonly largestBatch: number;
  /** Sums over the batch reports, ms. */
  readonly phasesMs: Phases;
  /** The processor's calls to read the log, from its opening to the end of the run. */
  readonly processorReads: CallCounts;
  /** Alert change acknowledged on the alerts topic − causing record acknowledged. */
  readonly emitted: { readonly eventTriggered: LatencyStats; readonly timerTriggered: LatencyStats; readonly all: LatencyStats };
  /** Alert change read back from the alerts topic by a consumer − causing record acknowledged. */
  readonly readBack: { readonly eventTriggered: LatencyStats; readonly timerTriggered: LatencyStats; readonly all: LatencyStats };
  /** Alert change read back − the causing record's append called (the produce included). */
  readonly readBackFromCall: LatencyStats;
  /**
   * The read-back latency of every change with a cause, in three legs: the causing record fetched
   * by the processor − acknowledged (negative when the fetch saw it before the producer's ack came
   * back); the change acknowledged on the alerts topic − the record fetched (the batch: detection,
   * the bronze commit, the alerts' append); the change read back − acknowledged. `slowest`: the mean
   * of each leg over the slowest 1% of changes (what the p99 is made of).
   */
  readonly legs: {
    readonly fetched: LatencyStats;
    readonly processed: LatencyStats;
    readonly delivered: LatencyStats;
    readonly slowest: { readonly count: number; readonly fetchedMs: number; readonly processedMs: number; readonly deliveredMs: number };
  };
  readonly runtime: RuntimeFigures;
  /** How long the replay's appends took to be acknowledged (per append call). */
  readonly appendMs: LatencyStats;
  readonly published: number;
  readonly readBackCount: number;
  readonly idleChanges: number;
  /**
   * Events the detectors took after the watermark had passed them (the batch reports' sum). Kafka
   * makes each partition's records visible on their own, so a task may read one topic's records
   * before the other's earlier ones arrive: the alerts then differ from a replay read whole.
   */
  readonly lateEvents: number;
  /** Changes whose cause had no recorded append, or read back without an emission (should be 0). */
  readonly unmatched: number;
}

/** The bench process over a run: garbage collection pauses and event loop delay (ms). */
interface RuntimeFigures {
  readonly gcPauses: number;
  readonly gcMs: number;
  readonly gcMaxMs: number;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
}

/** Starts observing this process's garbage collection and event loop delay; `stop` gives the figures. */
function observeRuntime(): { stop: () => RuntimeFigures } {
  const gc = { pauses: 0, ms: 0, maxMs: 0 };
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.pauses++;
      gc.ms += entry.duration;
      gc.maxMs = Math.max(gc.maxMs, entry.duration);
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  return {
    stop: () => {
      gcObserver.disconnect();
      loopDelay.disable();
      return { gcPauses: gc.pauses, gcMs: gc.ms, gcMaxMs: gc.maxMs, loopDelayP99Ms: loopDelay.percentile(99) / 1e6, loopDelayMaxMs: loopDelay.max / 1e6 };
    },
  };
}

/** The sample replayed at a fixed rate into Kafka while a processor reads it; latency of every alert change. */
async function latency(cluster: Cluster, registry: RestSchemaRegistry): Promise<LatencyResult> {
  const dir = join(work, 'latency');
  const events = olistEvents(await loadOlist(sampleDir));
  // Three sets of clients, as three processes would have: the replay, the processor, an alerts reader.
  const replayLog = kafkaLog(cluster, 'latency.', 'latency-replay');
  const processorLog = kafkaLog(cluster, 'latency.', 'latency-stream');
  const readerLog = kafkaLog(cluster, 'latency.', 'latency-alerts');
  // A local lake with the deployments' default durability (a cluster's lake on S3 flushes nothing either).
  const lake = await Lake.open({ catalogUri: join(dir, 'catalog.db'), warehouse: join(dir, 'warehouse'), tempDir: join(dir, 'tmp'), durability: 'process' });
  try {
    const replayCodec = await EventCodec.open(registry, { registerSchemas: false });
    const processorCodec = await EventCodec.open(registry, { registerSchemas: false });
    const alertCodec = await AlertCodec.open(registry, { registerSchemas: false });
    const readerCodec = await AlertCodec.open(registry, { registerSchemas: false });
    // The processor needs its topics before the replay creates them.
    for (const topic of TOPIC_NAMES) await replayLog.createTopic({ name: topic, partitions: DEFAULT_PARTITIONS });

    const calledAt = new Map<string, number>();
    const appendedAt = new Map<string, number>();
    const fetchedAt = new Map<string, number>();
    const appendDurations: number[] = [];
    const emitted = new Map<string, { at: number; cause: RecordPosition; kind: ChangeKind }>();
    let idleChanges = 0;
    let published = 0;
    let batches = 0;
    let batchRecords = 0;
    let batchMs = 0;
    let largestBatch = 0;
    let lateEvents = 0;
    const phases: Phases = { read: 0, detect: 0, bronze: 0, outputs: 0, total: 0 };
    let idleSeen = false;
    const onAlerts = (changes: readonly EmittedChange[]): void => {
      const now = performance.now();
      published += changes.length;
      for (const c of changes) {
        if (c.cause === null) idleChanges++;
        else emitted.set(changeKey(c), { at: now, cause: c.cause, kind: c.change.kind });
      }
    };
    const onBatch = (report: BatchReport): void => {
      if (report.idle) {
        idleSeen = true;
        return;
      }
      batches++;
      batchRecords += report.records;
      batchMs += report.timings.total;
      largestBatch = Math.max(largestBatch, report.records);
      lateEvents += report.lateEvents;
      for (const phase of Object.keys(phases) as (keyof Phases)[]) phases[phase] += report.timings[phase];
    };
    const reads: CallCounts = {
      fetch: { calls: 0, empty: 0, ms: 0 },
      fetchPartitions: { calls: 0, partitions: 0, empty: 0, ms: 0 },
      describeTopics: { calls: 0, ms: 0 },
    };
    const processor = await StreamProcessor.open({ log: countedLog(processorLog, reads, fetchedAt), codec: processorCodec, lake, alertCodec, onAlerts, onBatch });

    // The alerts reader: a group member of its own log; records are timed on arrival, decoded at the end.
    const reader = await readerLog.consumer({ group: 'bench-alerts', topics: [ALERTS_TOPIC], startFrom: 'earliest', maxRecords: FETCH_SIZE });
    const arrived: { value: Uint8Array; location: ValueLocation; at: number }[] = [];
    let reading = true;
    const readLoop = (async () => {
      while (reading) {
        const chunk = await reader.poll(100);
        const now = performance.now();
        for (const r of chunk) arrived.push({ value: r.value, location: { topic: r.topic, partition: r.partition, offset: r.offset }, at: now });
      }
    })();

    const controller = new AbortController();
    const outcome: { failed: Error | null } = { failed: null };
    const running = processor.run({ signal: controller.signal }).catch((error: unknown) => {
      outcome.failed = error instanceof Error ? error : new Error(String(error));
      return null;
    });
    const readerFailed = readLoop.catch((error: unknown) => {
      outcome.failed ??= error instanceof Error ? error : new Error(String(error));
    });
    const runtime = observeRuntime();
    const t0 = process.hrtime.bigint();
    const summary = await replay({
      log: timedLog(replayLog, calledAt, appendedAt, appendDurations),
      codec: replayCodec,
      events,
      pacing: { mode: 'rate', eventsPerSecond: LATENCY_RATE },
    });
    const replaySeconds = seconds(t0);
    // Caught up: every order and review record processed, one idle advance (default policy), every
    // published change read back.
    const inputs = summary.byTopic.orders + summary.byTopic.reviews;
    while (outcome.failed === null && processor.processed < inputs) await sleep(10);
    for (let waited = 0; outcome.failed === null && !idleSeen && waited < 5_000; waited += 10) await sleep(10);
    for (let waited = 0; outcome.failed === null && arrived.length < published && waited < 10_000; waited += 10) await sleep(10);
    controller.abort();
    const runtimeFigures = runtime.stop();
    await running;
    reading = false;
    await readerFailed;
    await reader.close();
    if (outcome.failed !== null) throw outcome.failed;

    const emittedMs = { event: [] as number[], timer: [] as number[] };
    const readMs = { event: [] as number[], timer: [] as number[] };
    const readFromCallMs: number[] = [];
    const legs: { total: number; fetched: number; processed: number; delivered: number }[] = [];
    let unmatched = 0;
    for (const [, e] of emitted) {
      const at = appendedAt.get(positionKey(e.cause));
      if (at === undefined) unmatched++;
      else (EVENT_TRIGGERED.has(e.kind) ? emittedMs.event : emittedMs.timer).push(e.at - at);
    }
    for (const a of arrived) {
      const change = await readerCodec.decode(a.value, a.location);
      const e = emitted.get(changeKey(change));
      if (e === undefined) {
        // The idle policy's changes have no cause; they were counted at emission.
        continue;
      }
      const at = appendedAt.get(positionKey(e.cause));
      const called = calledAt.get(positionKey(e.cause));
      if (at === undefined || called === undefined) {
        unmatched++;
        continue;
      }
      (EVENT_TRIGGERED.has(e.kind) ? readMs.event : readMs.timer).push(a.at - at);
      readFromCallMs.push(a.at - called);
      const fetched = fetchedAt.get(positionKey(e.cause));
      if (fetched !== undefined) legs.push({ total: a.at - at, fetched: fetched - at, processed: e.at - fetched, delivered: a.at - e.at });
    }
    const slowest = [...legs].sort((x, y) => y.total - x.total).slice(0, Math.max(1, Math.ceil(legs.length / 100)));
    const meanOf = (leg: 'fetched' | 'processed' | 'delivered'): number => slowest.reduce((n, l) => n + l[leg], 0) / Math.max(1, slowest.length);
    say(`latency: ${summary.appended} events at ${Math.round(summary.appended / replaySeconds)}/s, ${emitted.size} alert changes with a cause, ${arrived.length} read back`);
    return {
      rate: LATENCY_RATE,
      events: summary.appended,
      achievedRate: summary.appended / replaySeconds,
      batches,
      meanBatch: batches === 0 ? 0 : batchRecords / batches,
      meanBatchMs: batches === 0 ? 0 : batchMs / batches,
      largestBatch,
      phasesMs: phases,
      processorReads: reads,
      emitted: { eventTriggered: stats(emittedMs.event), timerTriggered: stats(emittedMs.timer), all: stats([...emittedMs.event, ...emittedMs.timer]) },
      readBack: { eventTriggered: stats(readMs.event), timerTriggered: stats(readMs.timer), all: stats([...readMs.event, ...readMs.timer]) },
      readBackFromCall: stats(readFromCallMs),
      legs: {
        fetched: stats(legs.map((l) => l.fetched)),
        processed: stats(legs.map((l) => l.processed)),
        delivered: stats(legs.map((l) => l.delivered)),
        slowest: { count: slowest.length, fetchedMs: meanOf('fetched'), processedMs: meanOf('processed'), deliveredMs: meanOf('delivered') },
      },
      runtime: runtimeFigures,
      appendMs: stats(appendDurations),
      published,
      readBackCount: arrived.length,
      idleChanges,
      lateEvents,
      unmatched,
    };
  } finally {
    await lake.close();
    for (const log of [replayLog, processorLog, readerLog]) await log.close().catch(() => undefined);
  }
}

/**
 * The floor of any produce → consume path on this cluster: one small record at a time (PING_RATE a
 * second) through the client's Producer (acks=all), received by its Consumer stream (long polling);
 * for each, received − send called, and received − send acknowledged.
 */
async function rawRoundTrip(cluster: Cluster, admin: Admin): Promise<{ readonly fromCall: LatencyStats; readonly fromAck: LatencyStats; readonly ackMs: LatencyStats }> {
  const topic = `${cluster.runPrefix}ping`;
  await createRawTopics(admin, [topic]);
  const consumer = new RawConsumer({
    clientId: 'orderpulse-bench-ping-consumer',
    groupId: `${cluster.runPrefix}ping`,
    bootstrapBrokers: [...cluster.brokers],
    autocommit: false,
    maxWaitTime: 200,
    isolationLevel: 0,
  });
  const producer = new Producer({ clientId: 'orderpulse-bench-ping-producer', bootstrapBrokers: [...cluster.brokers], idempotent: true, acks: ProduceAcks.ALL, compression: 'lz4', autocreateTopics: false });
  try {
    const called: number[] = [];
    const acked: number[] = [];
    const received: number[] = [];
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
    stream.on('data', (message: { value: Buffer | undefined }) => {
      received[Number(message.value?.toString('utf8'))] = performance.now();
    });
    await producer.send({ messages: [{ topic, key: Buffer.from('warm-up'), value: Buffer.from('-1') }] });
    const start = performance.now();
    for (let i = 0; i < PING_COUNT; i++) {
      const due = start + (i * 1000) / PING_RATE - performance.now();
      if (due > 0) await sleep(due);
      called[i] = performance.now();
      await producer.send({ messages: [{ topic, key: Buffer.from(String(i)), value: Buffer.from(String(i)), partition: i % DEFAULT_PARTITIONS }] });
      acked[i] = performance.now();
    }
    for (let waited = 0; received.filter((t) => t !== undefined).length < PING_COUNT && waited < 10_000; waited += 10) await sleep(10);
    await stream.close();
    const pairs = called.map((c, i) => ({ c, a: acked[i] ?? NaN, r: received[i] }));
    const done = pairs.filter((p): p is { c: number; a: number; r: number } => p.r !== undefined);
    say(`raw round trip: ${done.length} of ${PING_COUNT} records received`);
    return { fromCall: stats(done.map((p) => p.r - p.c)), fromAck: stats(done.map((p) => p.r - p.a)), ackMs: stats(pairs.map((p) => p.a - p.c)) };
  } finally {
    await producer.close();
    await new Promise<void>((resolve, reject) => consumer.close(true, (error) => (error ? reject(error) : resolve())));
  }
}

// ---- cleanup ----

/** Deletes every topic and consumer group of this run. */
async function dropRun(admin: Admin, cluster: Cluster): Promise<number> {
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(cluster.runPrefix));
  if (topics.length > 0) await admin.deleteTopics({ topics });
  const groups = [...(await admin.listGroups()).keys()].filter((g) => g.startsWith(cluster.runPrefix));
  if (groups.length > 0) await admin.deleteGroups({ groups }).catch((error: unknown) => say(`could not delete the run's consumer groups: ${String(error)}`));
  return topics.length;
}


interface Throughput {
  readonly events: number;
  readonly bytes: number;
  readonly encodeSeconds: number;
  readonly byReplay: Rate;
  readonly byAppend: Rate;
  readonly raw: Rate & { readonly requests: number };
  readonly byFetch: Rate;
  readonly byGroup: Rate;
  readonly rawFetch: Rate;
  readonly rawStream: Rate;
  readonly rounds: { readonly fetch: Rate[]; readonly group: Rate[]; readonly rawFetch: Rate[]; readonly rawStream: Rate[] };
}

/** The produce and consume parts: the sample at scale 10 through the log, against the client alone. */
async function throughput(cluster: Cluster, admin: Admin, registry: RestSchemaRegistry): Promise<Throughput> {
  const codec = await EventCodec.open(registry, { registerSchemas: false });
  const events = await scaledEvents();
  const tEncode = process.hrtime.bigint();
  const encoded = events.map((e) => codec.encode(e));
  const encodeSeconds = seconds(tEncode);
  const bytes = encoded.reduce((n, r) => n + recordBytes(r), 0);
  say(`scale 10: ${events.length} events, ${(bytes / 1e6).toFixed(1)} MB of keys and values, encoded in ${encodeSeconds.toFixed(1)} s`);

  const byReplay = await produceByReplay(cluster, codec, events, bytes);
  const byAppend = await produceByAppend(cluster, encoded, bytes);
  const raw = await produceRaw(cluster, admin, encoded, bytes);
  // Reading takes seconds, so each way reads CONSUME_ROUNDS times, the ways taking turns; the
  // median round counts (the machine's noise moves single reads by a factor of two).
  const rounds = { fetch: [] as Rate[], group: [] as Rate[], rawFetch: [] as Rate[], rawStream: [] as Rate[] };
  for (let round = 0; round < CONSUME_ROUNDS; round++) {
    rounds.fetch.push(await consumeByFetch(cluster));
    rounds.group.push(await consumeByGroup(cluster, events.length, round));
    rounds.rawFetch.push(await consumeRawFetch(cluster, admin));
    rounds.rawStream.push(await consumeRaw(cluster, events.length, round));
  }
  const byFetch = median(rounds.fetch);
  const byGroup = median(rounds.group);
  const rawFetch = median(rounds.rawFetch);
  const rawStream = median(rounds.rawStream);
  return { events: events.length, bytes, encodeSeconds, byReplay, byAppend, raw, byFetch, byGroup, rawFetch, rawStream, rounds };
}

/** `--part latency` runs the latency part alone (with its floor); the default, `--part all`, runs every part. */
function parsePart(args: readonly string[]): 'all' | 'latency' {
  if (args.length === 0) return 'all';
  const [flag, value] = args;
  if (args.length === 2 && flag === '--part' && (value === 'all' || value === 'latency')) return value;
  throw new Error(`bench:kafka: unknown or malformed options '${args.join(' ')}' (options: --part all|latency)`);
}

async function main(): Promise<void> {
  const part = parsePart(process.argv.slice(2));
  const cluster = clusterFromEnvironment();
  rmSync(work, { recursive: true, force: true });
  const admin = new Admin({ clientId: 'orderpulse-bench-admin', bootstrapBrokers: [...cluster.brokers] });
  const registry = new RestSchemaRegistry({ url: cluster.registryUrl });
  say(`bench:kafka: brokers ${cluster.brokers.join(',')}, registry ${cluster.registryUrl}, topics ${cluster.runPrefix}*`);
  try {
    // As `orderpulse schemas register`: idempotent; the writers below only look the schemas up.
    await registerTopicSchemas(registry, schemasToRegister());
    const through = part === 'latency' ? null : await throughput(cluster, admin, registry);
    const floor = await rawRoundTrip(cluster, admin);
    const lat = await latency(cluster, registry);

    const k = (n: number | null): string => (n === null ? '-' : Math.round(n).toLocaleString('en-US'));
    const mb = (n: number): string => n.toFixed(1);
    const ms = (n: number | null): string => (n === null ? '-' : n.toFixed(1));
    const ratio = (a: Rate, b: Rate): string => (a.eventsPerSecond / b.eventsPerSecond).toFixed(3);
    const rateRow = (label: string, r: Rate, ceiling: Rate | null): string[] => [label, k(r.eventsPerSecond), mb(r.mbPerSecond), r.seconds.toFixed(1), ceiling === null ? '-' : ratio(r, ceiling)];
    if (through !== null) {
      const { events, bytes, byReplay, byAppend, raw, byFetch, byGroup, rawFetch, rawStream } = through;
      printTable([
        [`throughput, scale 10 (${k(events)} events, ${mb(bytes / 1e6)} MB)`, 'ev/s', 'MB/s', 'seconds', '/ceiling'],
        rateRow('produce: replay --max (encode + append)', byReplay, raw),
        rateRow('produce: log.append, encoded beforehand', byAppend, raw),
        rateRow(`produce ceiling: raw Producer, same ${k(raw.requests)} requests`, raw, raw),
        rateRow(`consume: log.fetch, partition by partition (median of ${CONSUME_ROUNDS})`, byFetch, rawFetch),
        rateRow('consume: log.consumer (group member, join included)', byGroup, rawFetch),
        rateRow('consume ceiling: raw fetch requests, partition by partition', rawFetch, rawFetch),
        rateRow('(raw Consumer stream, join included)', rawStream, rawFetch),
        rateRow('(encode only)', rate(events, bytes, through.encodeSeconds), null),
      ]);
      console.log('');
    }
    const row = (label: string, s: LatencyStats, base: LatencyStats | null = null): string[] => [
      label,
      k(s.count),
      ms(s.p50Ms),
      ms(s.p99Ms),
      ms(s.maxMs),
      base === null || s.p99Ms === null || base.p99Ms === null ? '-' : (s.p99Ms / base.p99Ms).toFixed(1),
    ];
    printTable([
      [`alert latency, sample at ${k(LATENCY_RATE)} ev/s (ms)`, 'count', 'p50', 'p99', 'max', 'p99/floor'],
      row('read back − cause acked: all with a cause', lat.readBack.all, floor.fromCall),
      row('read back − cause acked: event-triggered', lat.readBack.eventTriggered, floor.fromCall),
      row('read back − cause acked: timer-triggered', lat.readBack.timerTriggered, floor.fromCall),
      row('emitted (alert acked) − cause acked: all', lat.emitted.all, floor.fromCall),
      row('read back − cause append called: all', lat.readBackFromCall, floor.fromCall),
      row('  leg 1: cause fetched by the processor − acked', lat.legs.fetched),
      row('  leg 2: alert acked − cause fetched (the batch)', lat.legs.processed),
      row('  leg 3: read back − alert acked', lat.legs.delivered),
      row('replay appends: call → ack', lat.appendMs),
      row(`floor: raw send called → received, ${PING_RATE}/s`, floor.fromCall),
      row('floor: raw send acked → received', floor.fromAck),
    ]);
    console.log('');
    const p99 = lat.readBack.all.p99Ms;
    printTable([
      ['goal', 'value', 'goal', 'met'],
      ['alert latency p99, read back − cause acked (ms)', ms(p99), `< ${GOALS.p99Ms}`, p99 !== null && p99 < GOALS.p99Ms ? 'yes' : 'NO'],
    ]);
    const reads = lat.processorReads;
    console.log(
      `(replay ${k(lat.achievedRate)} ev/s; ${k(lat.batches)} batches of ${lat.meanBatch.toFixed(0)} records (largest ${k(lat.largestBatch)}), ${lat.meanBatchMs.toFixed(1)} ms each; ` +
        `phase sums: read ${k(lat.phasesMs.read)}, detect ${k(lat.phasesMs.detect)}, bronze ${k(lat.phasesMs.bronze)}, outputs ${k(lat.phasesMs.outputs)} ms)`,
    );
    const slow = lat.legs.slowest;
    console.log(
      `(the slowest 1% (${k(slow.count)} changes), mean legs: fetched ${ms(slow.fetchedMs)}, batch ${ms(slow.processedMs)}, read back ${ms(slow.deliveredMs)} ms; ` +
        `this process: ${k(lat.runtime.gcPauses)} GC pauses, ${k(lat.runtime.gcMs)} ms, longest ${ms(lat.runtime.gcMaxMs)} ms; event loop delay p99 ${ms(lat.runtime.loopDelayP99Ms)}, max ${ms(lat.runtime.loopDelayMaxMs)} ms)`,
    );
    console.log(
      `(the processor's reads: ${k(reads.fetchPartitions.calls)} fetchPartitions of ${k(reads.fetchPartitions.partitions)} partitions, ` +
        `${k(reads.fetchPartitions.empty)} of them empty, ${k(reads.fetchPartitions.ms)} ms; ` +
        `${k(reads.fetch.calls)} fetches, ${k(reads.fetch.empty)} of them empty, ${k(reads.fetch.ms)} ms; ` +
        `${k(reads.describeTopics.calls)} describeTopics, ${k(reads.describeTopics.ms)} ms; ` +
        `${k(lat.published)} changes published, ${k(lat.readBackCount)} read back; idle advances: ${k(lat.idleChanges)} changes; late events: ${k(lat.lateEvents)}; unmatched: ${k(lat.unmatched)})`,
    );
    console.log(
      JSON.stringify({
        benchmark: 'kafka',
        node: process.version,
        goals: GOALS,
        cluster: { brokers: cluster.brokers.length, replicationFactor: REPLICATION_FACTOR, minInsyncReplicas: MIN_INSYNC_REPLICAS, partitions: DEFAULT_PARTITIONS, compression: 'lz4', acks: 'all' },
        part,
        produce:
          through === null
            ? null
            : {
                events: through.events,
                bytes: through.bytes,
                encodeOnly: rate(through.events, through.bytes, through.encodeSeconds),
                replay: { ...through.byReplay, ceilingRatio: through.byReplay.eventsPerSecond / through.raw.eventsPerSecond },
                append: { ...through.byAppend, ceilingRatio: through.byAppend.eventsPerSecond / through.raw.eventsPerSecond },
                ceiling: through.raw,
              },
        consume:
          through === null
            ? null
            : {
                fetch: { ...through.byFetch, ceilingRatio: through.byFetch.eventsPerSecond / through.rawFetch.eventsPerSecond },
                group: { ...through.byGroup, ceilingRatio: through.byGroup.eventsPerSecond / through.rawFetch.eventsPerSecond },
                ceiling: through.rawFetch,
                rawStream: { ...through.rawStream, ceilingRatio: through.rawStream.eventsPerSecond / through.rawFetch.eventsPerSecond },
                rounds: Object.fromEntries(Object.entries(through.rounds).map(([way, runs]) => [way, runs.map((r) => Math.round(r.eventsPerSecond))])),
              },
        latency: {
          ...lat,
          floor: { rate: PING_RATE, count: PING_COUNT, ...floor },
          p99ToFloorRatio: p99 === null || floor.fromCall.p99Ms === null ? null : p99 / floor.fromCall.p99Ms,
        },
      }),
    );
  } finally {
    const dropped = await dropRun(admin, cluster).catch((error: unknown) => {
      say(`could not delete the run's topics (${cluster.runPrefix}*): ${String(error)}`);
      return 0;
    });
    say(`deleted ${dropped} topics of this run`);
    await admin.close();
    await registry.close();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
