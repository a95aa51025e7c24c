import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DEFAULTS, openRuntime } from '../deploy/index.js';
import type { Runtime } from '../deploy/index.js';
import type { MarketplaceEvent } from '../events/index.js';
import { TOPICS } from '../events/index.js';
import type { EventLog, FetchRequest, LogRecord } from '../log/index.js';
import { tempDir } from '../testing/fixtures.js';
import { withOverrides } from '../testing/log-overrides.js';
import { StreamError } from './errors.js';
import { LogMerger, NEED_FETCH } from './merge.js';
import { H, T0, placed, step } from './test-events.js';

/**
 * The merge of a task's partitions, over the embedded log. A fetch that comes back empty before the
 * end of a partition (as Kafka's can while a leader moves) must not drop the partition from the
 * merge; one that never stops doing so ends in an error naming the partition.
 */
describe('LogMerger', () => {
  const runtimes: Runtime[] = [];
  const dirs: { remove(): void }[] = [];
  after(async () => {
    for (const r of runtimes) await r.close();
    for (const d of dirs) d.remove();
  });

  /** Orders and reviews, one partition each, holding interleaved events. */
  async function storeWith(events: readonly MarketplaceEvent[]): Promise<Runtime> {
    const dir = tempDir();
    dirs.push(dir);
    const runtime = openRuntime({ ...DEFAULTS, state: dir.path });
    runtimes.push(runtime);
    await runtime.log.createTopic({ name: TOPICS.orders, partitions: 1 });
    await runtime.log.createTopic({ name: TOPICS.reviews, partitions: 1 });
    const codec = await runtime.codec();
    await runtime.log.append(events.map((e) => codec.encode(e)));
    return runtime;
  }

  /** The log, except that fetches of `topic` answer nothing the first `times` times they are asked. */
  function withEmptyFetches(log: EventLog, topic: string, times: number): { log: EventLog; emptied: () => number } {
    let emptied = 0;
    const fetch = async (request: FetchRequest): Promise<readonly LogRecord[]> => {
      if (request.topic !== topic || emptied >= times) return log.fetch(request);
      emptied++;
      return [];
    };
    const faulty = withOverrides(log, { fetch });
    return { log: faulty, emptied: () => emptied };
  }

  /** Every record the merge hands out, in order, as topic/offset. */
  async function drain(merger: LogMerger): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const next = merger.take();
      if (next === NEED_FETCH) {
        await merger.fetch();
        continue;
      }
      if (next === null) return out;
      out.push(`${next.record.topic}/${next.record.offset}`);
    }
  }

  const events: MarketplaceEvent[] = [
    placed('o1', T0),
    placed('o2', T0 + H),
    step('PaymentApproved', 'o1', T0 + 2 * H),
    step('PaymentApproved', 'o2', T0 + 3 * H),
    step('OrderHandedToCarrier', 'o1', T0 + 4 * H),
  ];
  const partitions = [
    { topic: TOPICS.orders, partition: 0, offset: 0 },
    { topic: TOPICS.reviews, partition: 0, offset: 0 },
  ];

  it('asks again when a partition answers nothing before its end, and merges in the same order', async () => {
    const runtime = await storeWith(events);
    const codec = await runtime.codec();
    const expected = await drain(new LogMerger({ log: runtime.log, codec, partitions, fetchSize: 2 }));
    assert.equal(expected.length, events.length);
    const faulty = withEmptyFetches(runtime.log, TOPICS.orders, 3);
    const merged = await drain(new LogMerger({ log: faulty.log, codec, partitions, fetchSize: 2 }));
    assert.equal(faulty.emptied(), 3);
    assert.deepEqual(merged, expected);
  });

  it('reads the partitions of several mergers in one read, and stops at the end each read gave without asking again', async () => {
    const runtime = await storeWith(events);
    const codec = await runtime.codec();
    const expected = await drain(new LogMerger({ log: runtime.log, codec, partitions }));
    let reads = 0;
    const asked: string[] = [];
    const counted = withOverrides(runtime.log, {
      fetchPartitions: (requests) => {
        reads++;
        asked.push(requests.map((r) => `${r.topic}/${r.partition}@${r.offset}`).join(' '));
        return runtime.log.fetchPartitions(requests);
      },
    });
    // One merger per topic, as two tasks of a processor; each holds all of its partition after one read.
    const [orders, reviews] = partitions.map((p) => new LogMerger({ log: counted, codec, partitions: [p] }));
    await LogMerger.fetchTogether([orders!, reviews!]);
    assert.deepEqual(asked, [`${TOPICS.orders}/0@0 ${TOPICS.reviews}/0@0`]);
    const merged = [...(await drain(orders!)), ...(await drain(reviews!))];
    assert.equal(reads, 1, `no read after the first: ${asked.join(', ')}`);
    assert.deepEqual(merged.sort(), [...expected].sort());
    // The next round reads on from where the first stopped (nothing new: one read for both, empty).
    orders!.newRound();
    reviews!.newRound();
    await LogMerger.fetchTogether([orders!, reviews!]);
    assert.deepEqual(asked[1], `${TOPICS.orders}/0@${events.length} ${TOPICS.reviews}/0@0`);
    assert.deepEqual([orders!.take(), reviews!.take()], [null, null]);
    assert.equal(reads, 2);
  });

  it('gives up with OP_STREAM_FETCH_EMPTY, naming the partition, when the log never answers before its end', async () => {
    const runtime = await storeWith(events);
    const merger = new LogMerger({ log: withEmptyFetches(runtime.log, TOPICS.orders, Infinity).log, codec: await runtime.codec(), partitions });
    assert.equal(merger.take(), NEED_FETCH);
    await assert.rejects(merger.fetch(), (error: unknown) => {
      assert.ok(error instanceof StreamError);
      assert.equal(error.code, 'OP_STREAM_FETCH_EMPTY');
      assert.match(error.message, /^orders\/0: the log holds records up to offset 5 but returned none from offset 0/);
      return true;
    });
  });
});
