/**
 * The Kafka event log against a real cluster (scripts/services/up.sh starts a 3-node KRaft cluster
 * and exports ORDERPULSE_TEST_KAFKA_BROKERS). Without the variable the suites report themselves
 * skipped with the reason, unless ORDERPULSE_REQUIRE_KAFKA=1 (as in CI) makes its absence a failure.
 *
 * Every topic and group name carries a random tag, so runs never collide; the topics a test creates
 * are deleted after it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { Admin, ConfigResourceTypes } from '@platformatic/kafka';
import { sampleDir, tempDir } from '../testing/fixtures.js';
import { testKafkaBrokers } from '../testing/kafka.js';
import { eventLogContract } from './event-log-contract.js';
import { LogError } from './errors.js';
import { KafkaEventLog } from './kafka-log.js';
import type { KafkaEventLogOptions } from './kafka-log.js';
import { partitionFor } from './partitioner.js';
import { openSqliteEventLog } from './sqlite-log.js';
import type { EventLog, LogRecord, ProducerRecord, TopicSpec } from './types.js';

const required = process.env['ORDERPULSE_REQUIRE_KAFKA'] === '1';
const brokers = testKafkaBrokers();
const skip =
  brokers.length > 0 || required
    ? false
    : 'ORDERPULSE_TEST_KAFKA_BROKERS not set: run `eval "$(scripts/services/up.sh kafka)"` (or set it to the host:port list of any Kafka 3.5–4.1 cluster you may create topics on) to run the Kafka log tests';

/** Fails the suite when the cluster is required (CI) but not given. */
const assertCluster = (): void => {
  assert.ok(brokers.length > 0, 'ORDERPULSE_REQUIRE_KAFKA=1 but ORDERPULSE_TEST_KAFKA_BROKERS is not set');
};

/** The cluster's brokers are the ones listed: as many replicas as that, up to 3. */
const replicationFactor = Math.min(3, Math.max(1, brokers.length));
const runTag = randomBytes(4).toString('hex');
const options = (extra: Partial<KafkaEventLogOptions> = {}): KafkaEventLogOptions => ({
  brokers,
  clientId: `orderpulse-test-${runTag}`,
  replicationFactor,
  ...extra,
});

/** A Kafka log that remembers the topics it was asked to create, so the test can delete them. */
class TrackedKafkaLog extends KafkaEventLog {
  readonly created = new Set<string>();

  override createTopic(spec: TopicSpec): Promise<void> {
    if (typeof spec?.name === 'string') this.created.add(spec.name);
    return super.createTopic(spec);
  }
}

async function withAdmin<T>(body: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin({ clientId: `orderpulse-test-admin-${runTag}`, bootstrapBrokers: brokers });
  try {
    return await body(admin);
  } finally {
    await admin.close();
  }
}

async function deleteTopics(names: Iterable<string>): Promise<void> {
  const topics = [...names];
  if (topics.length === 0) return;
  await withAdmin(async (admin) => {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    if (present.length > 0) await admin.deleteTopics({ topics: present });
  });
}

eventLogContract(
  `kafka (${brokers.join(',') || 'no cluster'})`,
  () => {
    assertCluster();
    const log = new TrackedKafkaLog(options());
    return Promise.resolve({
      log,
      reopen: () => Promise.resolve(new KafkaEventLog(options())),
      cleanup: () => deleteTopics(log.created),
    });
  },
  // Appends are checked whole but are not transactions; a group's members share its partitions.
  { capabilities: { atomicAppend: false, sharedGroups: true }, skip },
);

// ---- behaviour of the Kafka log itself -------------------------------------------------------------

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString('utf8'));
const tag = (): string => randomBytes(5).toString('hex');

async function readAll(log: EventLog, topic: string, partition: number): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for (;;) {
    const batch = await log.fetch({ topic, partition, offset: out.length, maxRecords: 500 });
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}

/** Real Olist order ids from the bundled sample: the keys OrderPulse's `orders` topic is keyed by. */
function sampleOrderIds(count: number): string[] {
  const lines = gunzipSync(readFileSync(join(sampleDir, 'olist_orders_dataset.csv.gz')))
    .toString('utf8')
    .split('\n');
  return lines
    .slice(1, count + 1)
    .map((line) => line.split(',')[0]!.replace(/"/g, ''))
    .filter((id) => /^[0-9a-f]{32}$/.test(id));
}

void describe('KafkaEventLog on a real cluster', { skip }, () => {
  const topics = new Set<string>();
  before(assertCluster);
  after(() => deleteTopics(topics));

  void it('places every key on the same partition as the embedded log, record for record', async () => {
    const ids = sampleOrderIds(600);
    assert.ok(ids.length >= 500, `the sample gave ${ids.length} order ids`);
    const topic = `placement-${tag()}`;
    topics.add(topic);
    const dir = tempDir('orderpulse-kafka-placement-');
    const embedded = openSqliteEventLog(join(dir.path, 'store.db'));
    const kafka = new KafkaEventLog(options());
    try {
      const records: ProducerRecord[] = ids.map((id, i) => ({
        topic,
        key: bytes(id),
        value: bytes(`order ${i}`),
        timestamp: 1_475_000_000_000 + i * 60_000,
      }));
      for (const log of [embedded, kafka]) await log.createTopic({ name: topic, partitions: 6 });
      const inEmbedded = await embedded.append(records);
      const inKafka = await kafka.append(records);
      // Both logs start empty, so partition and offset agree for every record.
      assert.deepEqual(inKafka, inEmbedded);
      ids.forEach((id, i) => assert.equal(inKafka[i]!.partition, partitionFor(bytes(id), 6), id));
      assert.equal(new Set(inKafka.map((p) => p.partition)).size, 6, 'the keys reach every partition');
      // Read back from the brokers: each partition holds exactly the keys the embedded log holds there.
      for (let p = 0; p < 6; p++) {
        const fromKafka = await readAll(kafka, topic, p);
        const fromEmbedded = await readAll(embedded, topic, p);
        assert.deepEqual(
          fromKafka.map((r) => [r.offset, str(r.key), str(r.value), r.timestamp]),
          fromEmbedded.map((r) => [r.offset, str(r.key), str(r.value), r.timestamp]),
          `partition ${p}`,
        );
      }
    } finally {
      await kafka.close();
      await embedded.close();
      dir.remove();
    }
  });

  void it('creates topics with the replication asked for, min.insync.replicas, no time-based retention and no time-based rolling', async () => {
    const topic = `configs-${tag()}`;
    topics.add(topic);
    const log = new KafkaEventLog(options());
    try {
      await log.createTopic({ name: topic, partitions: 2 });
      const described = await withAdmin(async (admin) => {
        const metadata = await admin.metadata({ topics: [topic] });
        const [configs] = await admin.describeConfigs({
          resources: [
            {
              resourceType: ConfigResourceTypes.TOPIC,
              resourceName: topic,
              configurationKeys: ['retention.ms', 'min.insync.replicas', 'segment.ms'],
            },
          ],
        });
        return {
          replicas: metadata.topics.get(topic)!.partitions.map((p) => p.replicas.length),
          configs: Object.fromEntries((configs?.configs ?? []).map((c) => [c.name, c.value])),
        };
      });
      assert.deepEqual(described.replicas, [replicationFactor, replicationFactor]);
      assert.equal(described.configs['retention.ms'], '-1');
      // Years of event time in one partition must not roll a segment per week of it.
      assert.ok(Number(described.configs['segment.ms']) >= 100 * 365 * 86_400_000, `segment.ms ${described.configs['segment.ms']}`);
      assert.equal(described.configs['min.insync.replicas'], replicationFactor >= 3 ? '2' : '1');
    } finally {
      await log.close();
    }
  });

  void it('keeps event timestamps from 2016 on exactly, however far apart within one partition', async () => {
    const topic = `timestamps-${tag()}`;
    topics.add(topic);
    const log = new KafkaEventLog(options());
    try {
      await log.createTopic({ name: topic, partitions: 1 });
      // Years apart on one partition: more than one batch's timestamp deltas can hold.
      const stamps = [
        Date.UTC(2016, 8, 4, 21, 15, 19),
        Date.UTC(2018, 9, 17, 17, 30, 18),
        0,
        Date.UTC(2017, 0, 1),
        1,
        Date.UTC(2018, 0, 1) + 999,
      ];
      const positions = await log.append(
        stamps.map((timestamp, i) => ({ topic, key: bytes(`k${i}`), value: bytes(`v${i}`), timestamp })),
      );
      assert.deepEqual(
        positions.map((p) => p.offset),
        [0, 1, 2, 3, 4, 5],
      );
      assert.deepEqual(
        (await readAll(log, topic, 0)).map((r) => r.timestamp),
        stamps,
      );
    } finally {
      await log.close();
    }
  });

  void it('splits an append larger than one produce request and keeps its order and dense offsets', async () => {
    const topic = `large-${tag()}`;
    topics.add(topic);
    const log = new KafkaEventLog(options({ maxBatchBytes: 4096 }));
    try {
      await log.createTopic({ name: topic, partitions: 3 });
      const records = Array.from({ length: 300 }, (_, i) => ({
        topic,
        key: bytes(`key-${i % 7}`),
        value: bytes(`${i}:${'x'.repeat(100)}`),
        timestamp: i,
      }));
      const positions = await log.append(records);
      for (let p = 0; p < 3; p++) {
        const expected = records.filter((_, i) => positions[i]!.partition === p);
        const stored = await readAll(log, topic, p);
        assert.deepEqual(
          stored.map((r) => r.offset),
          expected.map((_, i) => i),
          `partition ${p}: dense offsets`,
        );
        assert.deepEqual(
          stored.map((r) => str(r.value)),
          expected.map((r) => str(r.value)),
          `partition ${p}: append order`,
        );
        positions.forEach((pos, i) => {
          if (pos.partition === p) assert.equal(str(stored[pos.offset]!.value), str(records[i]!.value));
        });
      }
    } finally {
      await log.close();
    }
  });

  void it("appends called side by side store each record once, where its acknowledgement says, in each append's order", async () => {
    const topic = `concurrent-${tag()}`;
    topics.add(topic);
    // Small requests: each append is several produce requests, of the same partitions as the others'.
    const log = new KafkaEventLog(options({ maxBatchBytes: 2048 }));
    try {
      await log.createTopic({ name: topic, partitions: 3 });
      const appends = Array.from({ length: 6 }, (_, a) =>
        Array.from({ length: 120 }, (_, i) => ({ topic, key: bytes(`key-${(a + i) % 5}`), value: bytes(`${a}.${i}:${'y'.repeat(60)}`), timestamp: i })),
      );
      const acknowledged = await Promise.all(appends.map((records) => log.append(records)));
      const stored = await Promise.all([0, 1, 2].map((p) => readAll(log, topic, p)));
      assert.equal(
        stored.reduce((n, s) => n + s.length, 0),
        appends.length * 120,
        'as many records stored as appended',
      );
      appends.forEach((records, a) => {
        const positions = acknowledged[a]!;
        const lastOffset = new Map<number, number>();
        records.forEach((record, i) => {
          const { partition, offset } = positions[i]!;
          assert.equal(str(stored[partition]![offset]?.value ?? null), str(record.value), `append ${a}, record ${i} at ${partition}/${offset}`);
          assert.ok(offset > (lastOffset.get(partition) ?? -1), `append ${a}: partition ${partition} keeps the append's order`);
          lastOffset.set(partition, offset);
        });
      });
    } finally {
      await log.close();
    }
  });

  void it('fetchPartitions reads a partition whose next batch is far larger than its records asked for, behind another of the same broker', async () => {
    const topic = `sizes-${tag()}`;
    topics.add(topic);
    const writer = new KafkaEventLog(options());
    const reader = new KafkaEventLog(options());
    try {
      await writer.createTopic({ name: topic, partitions: 4 });
      // Four partitions on at most three brokers: two share a leader, and one fetch request asks both.
      const leaders = await withAdmin(async (admin) => (await admin.metadata({ topics: [topic] })).topics.get(topic)!.partitions.map((p) => p.leader));
      const first = leaders.findIndex((leader, p) => leaders.indexOf(leader) !== p);
      const [small, large] = [leaders.indexOf(leaders[first]!), first];
      // The large partition's first batch: 300 records of 1 KiB that do not compress, one produce request.
      const values = Array.from({ length: 300 }, () => randomBytes(1024));
      await writer.append([
        { topic, key: null, value: bytes('small'), timestamp: 1, partition: small },
        ...values.map((value, i) => ({ topic, key: null, value, timestamp: i, partition: large })),
      ]);
      // A reader that has read nothing yet asks a few KiB for 10 records: less than the batch holding them.
      const [smallRead, largeRead] = await reader.fetchPartitions([
        { topic, partition: small, offset: 0, maxRecords: 10 },
        { topic, partition: large, offset: 0, maxRecords: 10 },
      ]);
      assert.deepEqual(smallRead!.records.map((r) => str(r.value)), ['small']);
      assert.deepEqual(
        largeRead!.records.map((r) => Buffer.from(r.value).toString('hex')),
        values.slice(0, 10).map((v) => v.toString('hex')),
      );
      assert.equal(largeRead!.endOffset, 300);
    } finally {
      await Promise.all([writer.close(), reader.close()]);
    }
  });

  void it('refuses a commit from outside a group that has members, naming the group', async () => {
    const topic = `outside-${tag()}`;
    const group = `outside-${tag()}`;
    topics.add(topic);
    const log = new KafkaEventLog(options());
    try {
      await log.createTopic({ name: topic, partitions: 1 });
      const member = await log.consumer({ group, topics: [topic] });
      await assert.rejects(log.commitOffsets(group, [{ topic, partition: 0, offset: 0 }]), (error: unknown) => {
        assert.ok(error instanceof LogError && error.code === 'OP_LOG_GROUP_ACTIVE', String(error));
        assert.match(error.message, new RegExp(group));
        return true;
      });
      await member.commit([{ topic, partition: 0, offset: 0 }]);
      assert.deepEqual(await log.committedOffsets(group), [{ topic, partition: 0, offset: 0 }]);
      await member.close();
      // With no member left, the commit from outside goes through.
      await log.commitOffsets(group, [{ topic, partition: 0, offset: 0 }]);
    } finally {
      await log.close();
    }
  });
});

// ---- without a cluster -----------------------------------------------------------------------------

void describe('KafkaEventLog without a cluster', () => {
  void it('reports an unreachable cluster as a retryable OP_LOG_UNAVAILABLE naming the brokers', async () => {
    // A port nothing listens on: the first free one after a closed listener.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const log = new KafkaEventLog({ brokers: [`127.0.0.1:${port}`], requestTimeoutMs: 2_000 });
    try {
      await assert.rejects(log.describeTopics(), (error: unknown) => {
        assert.ok(error instanceof LogError && error.code === 'OP_LOG_UNAVAILABLE', String(error));
        assert.equal(error.retryable, true);
        assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
        return true;
      });
    } finally {
      await log.close();
    }
  });

  void it('refuses a missing or malformed broker list', () => {
    for (const bad of [[], ['no-port'], [''], ['host:port']] as string[][]) {
      assert.throws(
        () => new KafkaEventLog({ brokers: bad }),
        (error: unknown) => error instanceof LogError && error.code === 'OP_LOG_BAD_REQUEST',
      );
    }
  });
});
