/**
 * How a Kafka group member fetches, against a log whose brokers answer only when the test says: a
 * poll returns the first leader's records without waiting for a leader that holds its fetch, a
 * backlog waits for every leader so partitions are shared fairly, an answer to a fetch made before a
 * seek is dropped, and a failed fetch fails the next poll. The real cluster runs the whole consumer
 * contract (kafka-log.test.ts); this is the part whose timing a real broker does not let a test fix.
 */
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { Consumer as KafkaClient } from '@platformatic/kafka';
import { LogError } from './errors.js';
import { KafkaGroupMember } from './kafka-group-member.js';
import type { KafkaEventLog } from './kafka-log.js';
import type { PartitionFetch, TopicMeta } from './kafka-support.js';
import { partitionKey } from './kafka-support.js';
import type { LogRecord } from './types.js';

/** Three partitions, each led by a broker of its own (1, 2, 3). */
const TOPIC: TopicMeta = { name: 'orders', id: 'orders-id', partitions: 3, leaders: [1, 2, 3] };

interface PendingFetch {
  readonly leader: number;
  readonly targets: readonly { readonly partition: number; readonly offset: number }[];
  readonly answer: (answers: Map<string, PartitionFetch>) => void;
  readonly fail: (error: unknown) => void;
}

/** The parts of the Kafka log a member uses; a fetch stays open until `answer` or `fail`. */
class BrokersOnCue {
  readonly readerClient = {};
  readonly isClosed = false;
  readonly failoverWindowMs = 60_000;
  readonly pending: PendingFetch[] = [];

  topic(): Promise<TopicMeta> {
    return Promise.resolve(TOPIC);
  }
  committedByPartition(): Promise<Map<string, number>> {
    return Promise.resolve(new Map<string, number>());
  }
  offsetsOf(): Promise<Map<string, { beginning: number[]; end: number[] }>> {
    return Promise.resolve(new Map([[TOPIC.name, { beginning: [0, 0, 0], end: [0, 0, 0] }]]));
  }
  fail(error: unknown): LogError {
    return error instanceof LogError ? error : new LogError('OP_LOG_STORAGE', String(error));
  }
  release(): void {}

  fetchFrom(_client: unknown, targets: readonly { topic: TopicMeta; partition: number; offset: number }[]): Promise<Map<string, PartitionFetch>> {
    const leaders = new Set(targets.map((t) => t.topic.leaders[t.partition]));
    assert.equal(leaders.size, 1, 'one fetch asks one leader');
    return new Promise((answer, fail) =>
      this.pending.push({ leader: [...leaders][0]!, targets: targets.map((t) => ({ partition: t.partition, offset: t.offset })), answer, fail }),
    );
  }

  /** The open fetch of `leader`, taken off the list. */
  take(leader: number): PendingFetch {
    const i = this.pending.findIndex((p) => p.leader === leader);
    assert.ok(i >= 0, `a fetch to broker ${leader} is open (open: ${this.pending.map((p) => p.leader).join(', ')})`);
    return this.pending.splice(i, 1)[0]!;
  }

  /** Broker `leader` answers its open fetch: `count` records for each partition it leads, from the asked offset. */
  answer(leader: number, count: number): void {
    const fetch = this.take(leader);
    const answers = new Map<string, PartitionFetch>();
    for (const { partition, offset } of fetch.targets) {
      const records = Array.from({ length: count }, (_, i) => record(partition, offset + i));
      answers.set(partitionKey(TOPIC.name, partition), { records, batchBytes: 0, batchRecords: count, largestBatch: 0, highWatermark: offset + count, error: null });
    }
    fetch.answer(answers);
  }
}

const record = (partition: number, offset: number): LogRecord => ({
  topic: TOPIC.name,
  partition,
  offset,
  key: null,
  value: new Uint8Array([partition, offset]),
  timestamp: 0,
  headers: [],
});

const positions = (records: readonly LogRecord[]): string[] => records.map((r) => `${r.partition}@${r.offset}`);

/** Lets every settled promise run its callbacks. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await nextTurn();
}

async function member(maxRecords: number): Promise<{ brokers: BrokersOnCue; consumer: KafkaGroupMember }> {
  const brokers = new BrokersOnCue();
  const client = { assignments: [{ topic: TOPIC.name, partitions: [0, 1, 2] }], on: () => client, close: () => Promise.resolve() };
  const consumer = new KafkaGroupMember(
    brokers as unknown as KafkaEventLog,
    () => Promise.resolve(client as unknown as KafkaClient),
    'alerts-readers',
    'earliest',
    maxRecords,
  );
  await consumer.start();
  return { brokers, consumer };
}

void describe('KafkaGroupMember fetching', () => {
  void it('returns the first leader’s records while the other leaders still hold their fetches', async () => {
    const { brokers, consumer } = await member(100);
    const first = consumer.poll(60_000);
    await settle();
    assert.deepEqual(brokers.pending.map((p) => p.leader).sort(), [1, 2, 3], 'each leader is asked on its own');
    brokers.answer(2, 2);
    assert.deepEqual(positions(await first), ['1@0', '1@1']);

    // Brokers 1 and 3 still hold theirs: the next poll asks only broker 2 again, from after its records.
    const second = consumer.poll(60_000);
    await settle();
    assert.deepEqual(brokers.pending.map((p) => p.leader).sort(), [1, 2, 3]);
    assert.deepEqual(brokers.pending.find((p) => p.leader === 2)?.targets, [{ partition: 1, offset: 2 }]);
    brokers.answer(3, 1);
    assert.deepEqual(positions(await second), ['2@0']);
    await consumer.close();
  });

  void it('waits for every leader when the answer is more than a poll returns, and shares the poll among the partitions', async () => {
    const { brokers, consumer } = await member(10);
    let returned = false;
    const polled = consumer.poll(60_000).finally(() => (returned = true));
    await settle();
    brokers.answer(1, 15);
    await settle();
    assert.equal(returned, false, 'a backlog on partition 0: the poll waits for brokers 2 and 3');
    brokers.answer(2, 3);
    await settle();
    assert.equal(returned, false);
    brokers.answer(3, 0);
    // 10 records: partition 1's 3, and 7 of partition 0's 15.
    const got = await polled;
    assert.deepEqual(positions(got.filter((r) => r.partition === 1)), ['1@0', '1@1', '1@2']);
    assert.deepEqual(positions(got.filter((r) => r.partition === 0)), ['0@0', '0@1', '0@2', '0@3', '0@4', '0@5', '0@6']);
    await consumer.close();
  });

  void it('drops the answer to a fetch made before a seek and fetches again from the new position', async () => {
    const { brokers, consumer } = await member(100);
    const first = consumer.poll(60_000);
    await settle();
    brokers.answer(2, 1);
    assert.deepEqual(positions(await first), ['1@0']);
    consumer.seek(TOPIC.name, 0, 7);
    brokers.answer(1, 3); // asked from offset 0, before the seek
    const second = consumer.poll(60_000);
    await settle();
    const refetch = brokers.pending.find((p) => p.leader === 1);
    assert.deepEqual(refetch?.targets, [{ partition: 0, offset: 7 }], 'partition 0 is asked again from the seek');
    brokers.answer(1, 2);
    assert.deepEqual(positions(await second), ['0@7', '0@8']);
    await consumer.close();
  });

  void it('fails the next poll with the error of a fetch that failed', async () => {
    const { brokers, consumer } = await member(100);
    const first = consumer.poll(60_000);
    await settle();
    brokers.take(3).fail(new LogError('OP_LOG_STORAGE', 'broker 3 refused the fetch'));
    await assert.rejects(first, (error: unknown) => error instanceof LogError && error.code === 'OP_LOG_STORAGE' && /broker 3 refused/.test(error.message));
    await consumer.close();
  });
});
