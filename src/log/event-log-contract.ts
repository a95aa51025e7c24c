/**
 * The behaviour every `EventLog` must have, as node:test tests. Run it for an implementation with
 * `eventLogContract('embedded', makeLog, { capabilities })` in a test file; the Kafka log reuses it.
 * Where the implementations genuinely differ, the implementation declares its capabilities and the
 * contract checks the behaviour it declares (see {@link EventLogCapabilities}).
 *
 * Each test makes its own log and uses topic and group names with a random tag, so the suite can
 * run against a shared cluster. No test asserts on time: waits are bounded by counts of empty polls.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { LogError } from './errors.js';
import { partitionFor } from './partitioner.js';
import type { Consumer, EventLog, LogRecord, ProducerRecord, RecordPosition } from './types.js';

export interface EventLogUnderTest {
  readonly log: EventLog;
  /** Removes what the log left behind (files, topics); runs after the test closed the log. */
  readonly cleanup: () => Promise<void>;
  /**
   * Opens a second log on the same storage (the same file, the same cluster). Optional: the
   * "reopen after close" test is skipped without it.
   */
  readonly reopen?: () => Promise<EventLog>;
}

/** What an implementation can promise beyond the common contract. */
export interface EventLogCapabilities {
  /**
   * `append` stores all of a batch or none of it, even when the storage fails midway (the embedded
   * log: one SQLite transaction). Without it only the checks are all-or-none: a bad record still
   * appends nothing, but a failure while writing may leave the records written before it (Kafka).
   */
  readonly atomicAppend: boolean;
  /**
   * Several members of one group share its partitions, and a member joining or leaving rebalances
   * them (Kafka). Without it a group has one member at a time: a second is refused with
   * OP_LOG_GROUP_ACTIVE until the first closes (the embedded log).
   */
  readonly sharedGroups: boolean;
}

export interface EventLogContractOptions {
  readonly capabilities: EventLogCapabilities;
  /** Skip the whole suite, saying why (e.g. no cluster to test against). */
  readonly skip?: string | false;
}

const text = new TextEncoder();
const bytes = (s: string): Uint8Array => text.encode(s);
const str = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString('utf8'));

/** Names unique to one test. */
class Fixture {
  readonly tag = randomBytes(5).toString('hex');
  topic(name: string): string {
    return `contract-${name}-${this.tag}`;
  }
  group(name: string): string {
    return `contract-${name}-${this.tag}`;
  }
}

async function withLog(
  makeLog: () => Promise<EventLogUnderTest>,
  body: (log: EventLog, fixture: Fixture, harness: EventLogUnderTest) => Promise<void>,
): Promise<void> {
  const harness = await makeLog();
  try {
    await body(harness.log, new Fixture(), harness);
  } finally {
    await harness.log.close();
    await harness.cleanup();
  }
}

function rejectsWith(code: string, check?: (error: LogError) => void): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof LogError, `expected a LogError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    check?.(error);
    return true;
  };
}

function record(topic: string, key: string | null, value: string, extra: Partial<ProducerRecord> = {}): ProducerRecord {
  return { topic, key: key === null ? null : bytes(key), value: bytes(value), timestamp: 1_500_000_000_000, ...extra };
}

/** Every record of a partition, read with fetch. */
async function readPartition(log: EventLog, topic: string, partition: number): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for (;;) {
    const batch = await log.fetch({ topic, partition, offset: out.length, maxRecords: 100 });
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}

/**
 * Polls until `count` records came back. Fails after `maxEmptyPolls` polls in a row return nothing
 * (each waits up to a second), never on elapsed time.
 */
async function pollRecords(consumer: Consumer, count: number, maxEmptyPolls = 30): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  let empty = 0;
  while (out.length < count) {
    const batch = await consumer.poll(1000);
    if (batch.length === 0) {
      empty++;
      assert.ok(empty < maxEmptyPolls, `only ${out.length} of ${count} records arrived`);
    } else {
      empty = 0;
      out.push(...batch);
    }
  }
  return out;
}

/** The offset after the last record of each partition seen, as commit entries. */
function nextOffsets(records: readonly LogRecord[]): { topic: string; partition: number; offset: number }[] {
  const next = new Map<string, { topic: string; partition: number; offset: number }>();
  for (const r of records) {
    const k = `${r.topic}/${r.partition}`;
    const at = next.get(k);
    if (at === undefined || r.offset + 1 > at.offset) next.set(k, { topic: r.topic, partition: r.partition, offset: r.offset + 1 });
  }
  return [...next.values()];
}

/** Asserts that the records of each partition come in increasing offset order, without gaps. */
function assertPartitionOrder(records: readonly LogRecord[]): void {
  const last = new Map<string, number>();
  for (const r of records) {
    const k = `${r.topic}/${r.partition}`;
    const prev = last.get(k);
    if (prev !== undefined) assert.equal(r.offset, prev + 1, `partition ${k}: offset ${r.offset} after ${prev}`);
    last.set(k, r.offset);
  }
}

export function eventLogContract(
  name: string,
  makeLog: () => Promise<EventLogUnderTest>,
  { capabilities, skip = false }: EventLogContractOptions,
): void {
  void describe(`EventLog contract: ${name}`, { skip }, () => {
    void test('creates and describes topics; createTopic is idempotent for the same partition count', () =>
      withLog(makeLog, async (log, f) => {
        const a = f.topic('a');
        const b = f.topic('b');
        await log.createTopic({ name: a, partitions: 3 });
        await log.createTopic({ name: b, partitions: 1 });
        await log.createTopic({ name: a, partitions: 3 });
        assert.deepEqual(await log.describeTopics([a, b]), [
          { name: a, partitions: 3, beginningOffsets: [0, 0, 0], endOffsets: [0, 0, 0] },
          { name: b, partitions: 1, beginningOffsets: [0], endOffsets: [0] },
        ]);
        const all = (await log.describeTopics()).map((t) => t.name);
        assert.ok(all.includes(a) && all.includes(b), 'describeTopics() lists every topic');
        await assert.rejects(
          log.createTopic({ name: a, partitions: 4 }),
          rejectsWith('OP_LOG_TOPIC_EXISTS', (e) => assert.match(e.message, new RegExp(a))),
        );
        assert.equal((await log.describeTopics([a]))[0]?.partitions, 3);
        await assert.rejects(log.createTopic({ name: f.topic('zero'), partitions: 0 }), rejectsWith('OP_LOG_BAD_TOPIC'));
        await assert.rejects(log.createTopic({ name: 'bad name!', partitions: 1 }), rejectsWith('OP_LOG_BAD_TOPIC'));
        await assert.rejects(
          log.describeTopics([f.topic('missing')]),
          rejectsWith('OP_LOG_UNKNOWN_TOPIC', (e) => assert.match(e.message, new RegExp(f.topic('missing')))),
        );
      }),
    );

    void test('places keyed records with partitionFor, and an explicit partition overrides the key', () =>
      withLog(makeLog, async (log, f) => {
        const topic = f.topic('keys');
        await log.createTopic({ name: topic, partitions: 6 });
        const keys = Array.from({ length: 120 }, (_, i) => `order-${i.toString(16).padStart(32, '0')}`);
        const positions = await log.append(keys.map((k) => record(topic, k, `v-${k}`)));
        assert.equal(positions.length, keys.length);
        keys.forEach((k, i) => {
          assert.equal(positions[i]?.topic, topic);
          assert.equal(positions[i]?.partition, partitionFor(bytes(k), 6), `key ${k}`);
        });
        assert.ok(new Set(positions.map((p) => p.partition)).size > 1, 'keys spread over partitions');
        // The same key again lands on the same partition.
        const [again] = await log.append([record(topic, keys[7]!, 'again')]);
        assert.equal(again?.partition, positions[7]?.partition);
        const forced = partitionFor(bytes(keys[0]!), 6) === 5 ? 4 : 5;
        const [explicit] = await log.append([record(topic, keys[0]!, 'forced', { partition: forced })]);
        assert.equal(explicit?.partition, forced);
      }),
    );

    void test('keeps append order within a partition and returns positions in input order', () =>
      withLog(makeLog, async (log, f) => {
        const topic = f.topic('order');
        await log.createTopic({ name: topic, partitions: 4 });
        const sent: { record: ProducerRecord; position: RecordPosition }[] = [];
        for (let batch = 0; batch < 5; batch++) {
          const records = Array.from({ length: 37 }, (_, i) =>
            record(topic, `k${(batch * 37 + i) % 11}`, `b${batch}-r${i}`, { timestamp: 1_600_000_000_000 + batch * 100 + i }),
          );
          const positions = await log.append(records);
          records.forEach((r, i) => sent.push({ record: r, position: positions[i]! }));
        }
        const described = (await log.describeTopics([topic]))[0]!;
        for (let p = 0; p < 4; p++) {
          const expected = sent.filter((s) => s.position.partition === p);
          const stored = await readPartition(log, topic, p);
          assert.equal(described.endOffsets[p], stored.length);
          assert.deepEqual(
            stored.map((r) => r.offset),
            expected.map((_, i) => i),
            `partition ${p}: dense offsets from 0`,
          );
          assert.deepEqual(
            stored.map((r) => str(r.value)),
            expected.map((s) => str(s.record.value)),
            `partition ${p}: append order`,
          );
          expected.forEach((s, i) => {
            assert.equal(s.position.offset, i);
            assert.equal(str(stored[i]!.key), str(s.record.key));
            assert.equal(stored[i]!.timestamp, s.record.timestamp);
            assert.equal(stored[i]!.topic, topic);
            assert.equal(stored[i]!.partition, p);
          });
        }
      }),
    );

    void test('round-trips null keys, headers and timestamps', () =>
      withLog(makeLog, async (log, f) => {
        const topic = f.topic('roundtrip');
        await log.createTopic({ name: topic, partitions: 1 });
        const headers = [
          { key: 'schema-id', value: bytes('42') },
          { key: 'empty', value: new Uint8Array(0) },
          { key: 'ünïcode-ключ', value: new Uint8Array([0, 255, 128, 1]) },
          { key: 'schema-id', value: bytes('dup') },
        ];
        const big = new Uint8Array(5000).map((_, i) => i % 251);
        await log.append([
          { topic, key: null, value: bytes('no key'), timestamp: 0 },
          { topic, key: bytes('k'), value: bytes('with headers'), timestamp: 1_700_000_000_123, headers },
          { topic, key: new Uint8Array(0), value: new Uint8Array(0), timestamp: 1, headers: [] },
          { topic, key: bytes('big'), value: big, timestamp: 2 },
        ]);
        const [a, b, c, d] = await log.fetch({ topic, partition: 0, offset: 0 });
        assert.equal(a?.key, null);
        assert.equal(str(a?.value ?? null), 'no key');
        assert.equal(a?.timestamp, 0);
        assert.deepEqual(a?.headers, []);
        assert.equal(b?.timestamp, 1_700_000_000_123);
        assert.deepEqual(
          b?.headers.map((h) => [h.key, [...h.value]]),
          headers.map((h) => [h.key, [...h.value]]),
        );
        assert.equal(c?.key?.length, 0);
        assert.equal(c?.value.length, 0);
        assert.deepEqual(c?.headers, []);
        assert.deepEqual([...d!.value], [...big]);
      }),
    );

    void test(
      capabilities.atomicAppend
        ? 'appends a batch atomically: a bad record appends nothing'
        : 'checks a whole batch before writing any of it: a bad record appends nothing',
      () =>
      withLog(makeLog, async (log, f) => {
        const topic = f.topic('atomic');
        const missing = f.topic('missing');
        await log.createTopic({ name: topic, partitions: 2 });
        await log.append([record(topic, 'a', 'first')]);
        const before = await log.describeTopics([topic]);
        await assert.rejects(
          log.append([record(topic, 'a', 'x'), record(topic, 'b', 'y'), record(missing, 'c', 'z')]),
          rejectsWith('OP_LOG_UNKNOWN_TOPIC', (e) => assert.match(e.message, new RegExp(missing))),
        );
        await assert.rejects(
          log.append([record(topic, 'a', 'x'), record(topic, 'b', 'y', { partition: 2 })]),
          rejectsWith('OP_LOG_BAD_PARTITION'),
        );
        await assert.rejects(
          log.append([record(topic, 'a', 'x'), record(topic, 'b', 'y', { partition: -1 })]),
          rejectsWith('OP_LOG_BAD_PARTITION'),
        );
        assert.deepEqual(await log.describeTopics([topic]), before);
        assert.deepEqual(await log.append([]), []);
        assert.deepEqual(await log.describeTopics([topic]), before);
      }),
    );

    void test('fetches ranges: from an offset, at most maxRecords, nothing past the end', () =>
      withLog(makeLog, async (log, f) => {
        const topic = f.topic('fetch');
        await log.createTopic({ name: topic, partitions: 2 });
        await log.append(Array.from({ length: 25 }, (_, i) => record(topic, null, `v${i}`, { partition: 0 })));
        const offsets = async (offset: number, maxRecords?: number): Promise<number[]> =>
          (await log.fetch({ topic, partition: 0, offset, ...(maxRecords === undefined ? {} : { maxRecords }) })).map(
            (r) => r.offset,
          );
        assert.deepEqual(await offsets(0, 10), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert.deepEqual(await offsets(20), [20, 21, 22, 23, 24]);
        assert.deepEqual(await offsets(24, 1), [24]);
        assert.deepEqual(await offsets(25), []);
        assert.deepEqual(await offsets(1000), []);
        assert.equal((await offsets(0)).length, 25);
        assert.deepEqual(await log.fetch({ topic, partition: 1, offset: 0 }), []);
        const [v7] = await log.fetch({ topic, partition: 0, offset: 7, maxRecords: 1 });
        assert.equal(str(v7!.value), 'v7');
        await assert.rejects(log.fetch({ topic, partition: 0, offset: -1 }), rejectsWith('OP_LOG_BAD_OFFSET'));
        await assert.rejects(log.fetch({ topic, partition: 2, offset: 0 }), rejectsWith('OP_LOG_BAD_PARTITION'));
        await assert.rejects(
          log.fetch({ topic: f.topic('missing'), partition: 0, offset: 0 }),
          rejectsWith('OP_LOG_UNKNOWN_TOPIC'),
        );
      }),
    );

    void test('reads several partitions at once: each as fetch reads it, in request order, with its end offset', () =>
      withLog(makeLog, async (log, f) => {
        const a = f.topic('multi-a');
        const b = f.topic('multi-b');
        await log.createTopic({ name: a, partitions: 3 });
        await log.createTopic({ name: b, partitions: 1 });
        // a/0 holds 12 records, a/1 3, a/2 none, b/0 5.
        await log.append([
          ...Array.from({ length: 12 }, (_, i) => record(a, null, `a0-${i}`, { partition: 0 })),
          ...Array.from({ length: 3 }, (_, i) => record(a, null, `a1-${i}`, { partition: 1 })),
          ...Array.from({ length: 5 }, (_, i) => record(b, null, `b0-${i}`, { partition: 0 })),
        ]);
        assert.deepEqual(await log.fetchPartitions([]), []);
        const requests = [
          { topic: a, partition: 0, offset: 2, maxRecords: 5 },
          { topic: b, partition: 0, offset: 0 },
          { topic: a, partition: 2, offset: 0 },
          { topic: a, partition: 1, offset: 3 },
          { topic: a, partition: 1, offset: 10 },
          { topic: a, partition: 0, offset: 10 },
        ];
        const reads = await log.fetchPartitions(requests);
        const seen = reads.map((r) => ({
          at: `${r.topic === a ? 'a' : r.topic === b ? 'b' : r.topic}/${r.partition}`,
          values: r.records.map((x) => `${x.offset}:${str(x.value)}`),
          end: r.endOffset,
        }));
        assert.deepEqual(seen, [
          { at: 'a/0', values: ['2:a0-2', '3:a0-3', '4:a0-4', '5:a0-5', '6:a0-6'], end: 12 },
          { at: 'b/0', values: ['0:b0-0', '1:b0-1', '2:b0-2', '3:b0-3', '4:b0-4'], end: 5 },
          { at: 'a/2', values: [], end: 0 },
          { at: 'a/1', values: [], end: 3 },
          { at: 'a/1', values: [], end: 3 },
          { at: 'a/0', values: ['10:a0-10', '11:a0-11'], end: 12 },
        ]);
        // The records are those fetch returns for the same requests, whole.
        for (const [i, request] of requests.entries()) assert.deepEqual(reads[i]!.records, await log.fetch(request), `request ${i}`);
        // A partition that grew is read on, with its new end.
        await log.append([record(a, null, 'a2-0', { partition: 2 }), record(a, null, 'a1-3', { partition: 1 })]);
        const [a2, a1] = await log.fetchPartitions([
          { topic: a, partition: 2, offset: 0 },
          { topic: a, partition: 1, offset: 3 },
        ]);
        assert.deepEqual([a2!.records.map((x) => str(x.value)), a2!.endOffset], [['a2-0'], 1]);
        assert.deepEqual([a1!.records.map((x) => x.offset), a1!.endOffset], [[3], 4]);
        const described = await log.describeTopics([a]);
        assert.deepEqual(described[0]!.endOffsets, [12, 4, 1]);
      }),
    );

    void test('fetchPartitions refuses a bad list or a bad request in it, and after close', () =>
      withLog(makeLog, async (log, f) => {
        const topic = f.topic('multi-errors');
        await log.createTopic({ name: topic, partitions: 2 });
        const good = { topic, partition: 0, offset: 0 };
        await assert.rejects(log.fetchPartitions(good as unknown as never[]), rejectsWith('OP_LOG_BAD_REQUEST'));
        await assert.rejects(
          log.fetchPartitions([good, null as unknown as typeof good]),
          rejectsWith('OP_LOG_BAD_REQUEST', (e) => assert.match(e.message, /fetch request 1/)),
        );
        await assert.rejects(log.fetchPartitions([good, { ...good, offset: -1 }]), rejectsWith('OP_LOG_BAD_OFFSET'));
        await assert.rejects(log.fetchPartitions([good, { ...good, partition: 2 }]), rejectsWith('OP_LOG_BAD_PARTITION'));
        await assert.rejects(log.fetchPartitions([good, { ...good, maxRecords: 0 }]), rejectsWith('OP_LOG_BAD_REQUEST'));
        const missing = f.topic('missing');
        await assert.rejects(
          log.fetchPartitions([good, { ...good, topic: missing }]),
          rejectsWith('OP_LOG_UNKNOWN_TOPIC', (e) => assert.match(e.message, new RegExp(missing))),
        );
        await log.close();
        await assert.rejects(log.fetchPartitions([good]), rejectsWith('OP_LOG_CLOSED'));
      }),
    );

    void test('commits offsets, reads them back, lists groups and computes lag', () =>
      withLog(makeLog, async (log, f) => {
        const topic = f.topic('lag');
        const group = f.group('g');
        await log.createTopic({ name: topic, partitions: 2 });
        await log.append(Array.from({ length: 10 }, (_, i) => record(topic, null, `a${i}`, { partition: 0 })));
        await log.append(Array.from({ length: 4 }, (_, i) => record(topic, null, `b${i}`, { partition: 1 })));
        assert.deepEqual(await log.committedOffsets(group), []);
        await log.commitOffsets(group, [{ topic, partition: 0, offset: 3 }]);
        await log.commitOffsets(group, [{ topic, partition: 0, offset: 6 }]);
        assert.deepEqual(await log.committedOffsets(group), [{ topic, partition: 0, offset: 6 }]);
        assert.ok((await log.listGroups()).includes(group));
        assert.deepEqual(await log.lag(group), [
          { topic, partition: 0, committed: 6, endOffset: 10, lag: 4 },
          { topic, partition: 1, committed: null, endOffset: 4, lag: 4 },
        ]);
        await log.commitOffsets(group, [
          { topic, partition: 0, offset: 10 },
          { topic, partition: 1, offset: 1 },
        ]);
        assert.deepEqual(await log.lag(group), [
          { topic, partition: 0, committed: 10, endOffset: 10, lag: 0 },
          { topic, partition: 1, committed: 1, endOffset: 4, lag: 3 },
        ]);
        await assert.rejects(
          log.commitOffsets(group, [{ topic: f.topic('missing'), partition: 0, offset: 0 }]),
          rejectsWith('OP_LOG_UNKNOWN_TOPIC'),
        );
        await assert.rejects(log.commitOffsets(group, [{ topic, partition: 9, offset: 0 }]), rejectsWith('OP_LOG_BAD_PARTITION'));
        await assert.rejects(log.commitOffsets(group, [{ topic, partition: 0, offset: -5 }]), rejectsWith('OP_LOG_BAD_OFFSET'));
        assert.deepEqual(await log.committedOffsets(group), [
          { topic, partition: 0, offset: 10 },
          { topic, partition: 1, offset: 1 },
        ]);
      }),
    );

    void test('a consumer reads every partition and resumes a group from its committed offsets', () =>
      withLog(makeLog, async (log, f) => {
        const topic = f.topic('resume');
        const group = f.group('g');
        await log.createTopic({ name: topic, partitions: 3 });
        const values = Array.from({ length: 60 }, (_, i) => `v${i}`);
        await log.append(values.map((v, i) => record(topic, `key-${i % 13}`, v)));

        const first = await log.consumer({ group, topics: [topic], maxRecords: 7 });
        const early = await pollRecords(first, 20);
        assertPartitionOrder(early);
        assert.deepEqual(
          new Set(first.assignment().map((a) => `${a.topic}/${a.partition}`)),
          new Set([0, 1, 2].map((p) => `${topic}/${p}`)),
        );
        await first.commit(nextOffsets(early));
        await first.close();

        const second = await log.consumer({ group, topics: [topic], maxRecords: 7 });
        const rest = await pollRecords(second, values.length - early.length);
        assertPartitionOrder(rest);
        const seen = [...early, ...rest].map((r) => str(r.value));
        assert.equal(new Set(seen).size, seen.length, 'no record delivered twice');
        assert.deepEqual([...seen].sort(), [...values].sort(), 'every record delivered');
        assert.deepEqual(await second.poll(0), []);
        await second.close();
      }),
    );

    void test('a consumer starts at the earliest or the latest offset when its group has committed nothing', () =>
      withLog(makeLog, async (log, f) => {
        const topic = f.topic('start');
        await log.createTopic({ name: topic, partitions: 2 });
        await log.append([record(topic, 'a', 'old-1'), record(topic, 'b', 'old-2')]);
        const latest = await log.consumer({ group: f.group('latest'), topics: [topic], startFrom: 'latest' });
        const earliest = await log.consumer({ group: f.group('earliest'), topics: [topic] });
        assert.deepEqual((await pollRecords(earliest, 2)).map((r) => str(r.value)).sort(), ['old-1', 'old-2']);
        assert.deepEqual(await latest.poll(0), []);
        await log.append([record(topic, 'c', 'new')]);
        assert.deepEqual((await pollRecords(latest, 1)).map((r) => str(r.value)), ['new']);
        assert.deepEqual((await pollRecords(earliest, 1)).map((r) => str(r.value)), ['new']);
        await latest.close();
        await earliest.close();
      }),
    );

    void test('a waiting poll returns records appended while it waits', () =>
      withLog(makeLog, async (log, f) => {
        const topic = f.topic('wait');
        await log.createTopic({ name: topic, partitions: 2 });
        const consumer = await log.consumer({ group: f.group('g'), topics: [topic] });
        assert.deepEqual(await consumer.poll(0), []);
        const waiting = pollRecords(consumer, 3);
        await new Promise((resolve) => setTimeout(resolve, 50));
        await log.append([record(topic, 'x', '1'), record(topic, 'y', '2'), record(topic, 'z', '3')]);
        assert.deepEqual((await waiting).map((r) => str(r.value)).sort(), ['1', '2', '3']);
        await consumer.close();
      }),
    );

    void test(
      capabilities.sharedGroups
        ? 'members of one group share its partitions, and rebalance when one joins or leaves'
        : 'a group has one member at a time: a second is refused until the first closes',
      () =>
        withLog(makeLog, async (log, f) => {
          const topic = f.topic('members');
          const group = f.group('g');
          const all = [0, 1, 2, 3].map((p) => `${topic}/${p}`);
          const owned = (c: Consumer): string[] => c.assignment().map((a) => `${a.topic}/${a.partition}`);
          await log.createTopic({ name: topic, partitions: 4 });
          const first = await log.consumer({ group, topics: [topic] });
          assert.deepEqual(owned(first), all, 'a lone member reads every partition');
          if (!capabilities.sharedGroups) {
            await assert.rejects(log.consumer({ group, topics: [topic] }), rejectsWith('OP_LOG_GROUP_ACTIVE'));
            await first.close();
            const next = await log.consumer({ group, topics: [topic] });
            assert.deepEqual(owned(next), all);
            await next.close();
            return;
          }
          const second = await log.consumer({ group, topics: [topic] });
          // The first member learns of the rebalance on its own (heartbeats); polls let it take its new share.
          let rounds = 0;
          const settled = (): boolean => {
            const a = owned(first);
            const b = owned(second);
            return a.length > 0 && b.length > 0 && [...a, ...b].sort().join() === all.join();
          };
          while (!settled()) {
            assert.ok(++rounds < 100, `the members never split the partitions: ${owned(first).join()} | ${owned(second).join()}`);
            await first.poll(100);
            await second.poll(100);
          }
          const values = Array.from({ length: 40 }, (_, i) => `v${i}`);
          await log.append(values.map((v, i) => record(topic, `key-${i}`, v)));
          const got = new Map<Consumer, LogRecord[]>([
            [first, []],
            [second, []],
          ]);
          let empty = 0;
          while ([...got.values()].flat().length < values.length) {
            let any = false;
            for (const [member, records] of got) {
              const batch = await member.poll(200);
              if (batch.length > 0) any = true;
              for (const r of batch) {
                assert.ok(owned(member).includes(`${r.topic}/${r.partition}`), `${str(r.value)} went to a member that does not own its partition`);
                records.push(r);
              }
            }
            empty = any ? 0 : empty + 1;
            assert.ok(empty < 30, `only ${[...got.values()].flat().length} of ${values.length} records arrived`);
          }
          const seen = [...got.values()].flat().map((r) => str(r.value));
          assert.deepEqual([...seen].sort(), [...values].sort(), 'each record went to exactly one member');
          await first.commit(nextOffsets(got.get(first)!));
          await second.commit(nextOffsets(got.get(second)!));
          // The second member leaves: the first takes its partitions over, from the committed offsets.
          await second.close();
          rounds = 0;
          while (owned(first).join() !== all.join()) {
            assert.ok(++rounds < 100, `the remaining member never took every partition: ${owned(first).join()}`);
            assert.deepEqual(await first.poll(100), [], 'nothing is read twice after the rebalance');
          }
          await log.append(values.slice(0, 8).map((v, i) => record(topic, `key-${i}`, `after-${v}`)));
          const after = await pollRecords(first, 8);
          assert.deepEqual(after.map((r) => str(r.value)).sort(), values.slice(0, 8).map((v) => `after-${v}`).sort());
          await first.close();
        }),
    );

    void test('a consumer does not starve a partition behind another one with a backlog', () =>
      withLog(makeLog, async (log, f) => {
        const topic = f.topic('fair');
        await log.createTopic({ name: topic, partitions: 4 });
        await log.append(Array.from({ length: 1000 }, (_, i) => record(topic, null, `big-${i}`, { partition: 0 })));
        for (let p = 1; p < 4; p++) {
          await log.append(Array.from({ length: 5 }, (_, i) => record(topic, null, `small-${p}-${i}`, { partition: p })));
        }
        const consumer = await log.consumer({ group: f.group('g'), topics: [topic], maxRecords: 20 });
        const got: LogRecord[] = [];
        let emptyPolls = 0;
        while (got.filter((r) => r.partition !== 0).length < 15) {
          const batch = await consumer.poll(1000);
          if (batch.length === 0) emptyPolls++;
          assert.ok(emptyPolls < 30, 'records stopped arriving');
          assert.ok(batch.length <= 20, 'a poll returns at most maxRecords');
          got.push(...batch);
        }
        assertPartitionOrder(got);
        const fromBig = got.filter((r) => r.partition === 0).length;
        assert.ok(fromBig < 1000, `the small partitions were served before the backlog drained (${fromBig} of 1000)`);
        await consumer.close();
      }),
    );

    void test('seek moves a partition back and its records come again', () =>
      withLog(makeLog, async (log, f) => {
        const topic = f.topic('seek');
        await log.createTopic({ name: topic, partitions: 1 });
        await log.append(Array.from({ length: 5 }, (_, i) => record(topic, 'k', `v${i}`)));
        const consumer = await log.consumer({ group: f.group('g'), topics: [topic] });
        assert.equal((await pollRecords(consumer, 5)).length, 5);
        consumer.seek(topic, 0, 2);
        assert.deepEqual((await pollRecords(consumer, 3)).map((r) => r.offset), [2, 3, 4]);
        await consumer.close();
      }),
    );

    void test('refuses unknown topics and out-of-range partitions everywhere', () =>
      withLog(makeLog, async (log, f) => {
        const topic = f.topic('errors');
        const missing = f.topic('missing');
        await log.createTopic({ name: topic, partitions: 2 });
        const unknown = rejectsWith('OP_LOG_UNKNOWN_TOPIC', (e) => assert.match(e.message, new RegExp(missing)));
        await assert.rejects(log.append([record(missing, 'k', 'v')]), unknown);
        await assert.rejects(log.fetch({ topic: missing, partition: 0, offset: 0 }), unknown);
        await assert.rejects(log.consumer({ group: f.group('g'), topics: [missing] }), unknown);
        await assert.rejects(log.describeTopics([missing]), unknown);
        await assert.rejects(log.append([record(topic, 'k', 'v', { partition: 2 })]), rejectsWith('OP_LOG_BAD_PARTITION'));
        await assert.rejects(log.append([record(topic, 'k', 'v', { partition: 0.5 })]), rejectsWith('OP_LOG_BAD_PARTITION'));
        await assert.rejects(log.fetch({ topic, partition: -1, offset: 0 }), rejectsWith('OP_LOG_BAD_PARTITION'));
      }),
    );

    void test('a closed log refuses calls', () =>
      withLog(makeLog, async (log, f) => {
        const topic = f.topic('closed');
        await log.createTopic({ name: topic, partitions: 1 });
        await log.close();
        await assert.rejects(log.append([record(topic, 'k', 'v')]), rejectsWith('OP_LOG_CLOSED'));
        await assert.rejects(log.describeTopics(), rejectsWith('OP_LOG_CLOSED'));
        await log.close();
      }),
    );

    void test('reopening after close keeps topics, records, committed offsets and groups', (t) =>
      withLog(makeLog, async (log, f, harness) => {
        if (harness.reopen === undefined) {
          t.skip('the implementation under test cannot reopen its storage');
          return;
        }
        const topic = f.topic('reopen');
        const group = f.group('g');
        await log.createTopic({ name: topic, partitions: 3 });
        const positions = await log.append(Array.from({ length: 30 }, (_, i) => record(topic, `k${i}`, `v${i}`)));
        await log.commitOffsets(group, [{ topic, partition: 1, offset: 2 }]);
        const described = await log.describeTopics([topic]);
        const contents = await Promise.all([0, 1, 2].map((p) => readPartition(log, topic, p)));
        await log.close();

        const reopened = await harness.reopen();
        try {
          assert.deepEqual(await reopened.describeTopics([topic]), described);
          const again = await Promise.all([0, 1, 2].map((p) => readPartition(reopened, topic, p)));
          assert.deepEqual(
            again.map((records) => records.map((r) => [r.offset, str(r.key), str(r.value), r.timestamp])),
            contents.map((records) => records.map((r) => [r.offset, str(r.key), str(r.value), r.timestamp])),
          );
          assert.deepEqual(await reopened.committedOffsets(group), [{ topic, partition: 1, offset: 2 }]);
          assert.ok((await reopened.listGroups()).includes(group));
          // Appending continues after the existing records.
          const [next] = await reopened.append([record(topic, 'k0', 'after reopen')]);
          assert.equal(next?.offset, described[0]!.endOffsets[next!.partition]);
          // A consumer of the group resumes at the committed offset on partition 1.
          const onP1 = positions.filter((p) => p.partition === 1).length;
          assert.ok(onP1 > 2, 'the keys put more than two records on partition 1');
          const consumer = await reopened.consumer({ group, topics: [topic] });
          const records = await pollRecords(consumer, 31 - 2);
          assert.equal(records.filter((r) => r.partition === 1)[0]?.offset, 2);
          assert.deepEqual(await consumer.poll(0), []);
          await consumer.close();
        } finally {
          await reopened.close();
        }
      }),
    );
  });
}
