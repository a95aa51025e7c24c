import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { JOBS } from '../batch/index.js';
import type { OlistDataset } from '../data/index.js';
import { loadOlist, parseLocalDateTime } from '../data/index.js';
import { TOPIC_NAMES } from '../events/index.js';
import type { Lake } from '../lake/index.js';
import { BRONZE_EVENTS_TABLE } from '../stream/index.js';
import { sampleDir, tempDir } from '../testing/fixtures.js';
import type { LiveStep, ReplaySource, Settings } from './index.js';
import { DEFAULTS, LivePipeline, livePacing, liveStateDir, loadReplaySource, openRuntime } from './index.js';

/**
 * The order and review events of the rows, by type, whose event time is before `until`: counted
 * from the Olist rows as the event model documents them (a step at its recorded time, a
 * cancellation one second after the order's latest recorded time, a review at its answer time).
 */
function expectedBronze(dataset: OlistDataset, until: number): Record<string, number> {
  const counts: Record<string, number> = {};
  const count = (type: string, at: number | null): void => {
    if (at !== null && at < until) counts[type] = (counts[type] ?? 0) + 1;
  };
  for (const o of dataset.orders) {
    count('OrderPlaced', o.purchasedAt);
    count('PaymentApproved', o.approvedAt);
    count('OrderHandedToCarrier', o.deliveredToCarrierAt);
    count('OrderDelivered', o.deliveredToCustomerAt);
    if (o.status === 'canceled' || o.status === 'unavailable') {
      const latest = Math.max(o.purchasedAt, o.approvedAt ?? -Infinity, o.deliveredToCarrierAt ?? -Infinity, o.deliveredToCustomerAt ?? -Infinity);
      count('OrderCanceled', latest + 1_000);
    }
  }
  for (const r of dataset.reviews) count('ReviewAnswered', r.answeredAt);
  return counts;
}

/**
 * Every event of the dataset once: the order and review events, each customer of an order, and
 * each seller and product an order names (those the reference tables know).
 */
function expectedLog(dataset: OlistDataset): number {
  const known = (ids: readonly string[]): Set<string> => new Set(ids);
  const customers = known(dataset.customers.map((c) => c.customerId));
  const sellers = known(dataset.sellers.map((s) => s.sellerId));
  const products = known(dataset.products.map((p) => p.productId));
  const orderCustomers = new Set(dataset.orders.map((o) => o.customerId).filter((id) => customers.has(id)));
  const usedSellers = new Set(dataset.items.map((i) => i.sellerId).filter((id) => sellers.has(id)));
  const usedProducts = new Set(dataset.items.map((i) => i.productId).filter((id) => products.has(id)));
  const bronze = Object.values(expectedBronze(dataset, Infinity)).reduce((a, b) => a + b, 0);
  return bronze + orderCustomers.size + usedSellers.size + usedProducts.size;
}

/** Bronze's rows by event type, each event once (distinct ids equal rows). */
async function bronzeByType(lake: Lake): Promise<Record<string, number>> {
  const scan = await (await lake.table(BRONZE_EVENTS_TABLE)).scan();
  const { rows } = await lake.query({ t: await scan.view() }, 'SELECT event_type, count(*) AS n, count(DISTINCT event_id) AS ids FROM t GROUP BY event_type ORDER BY event_type');
  const counts: Record<string, number> = {};
  for (const r of rows) {
    assert.equal(Number(r.ids), Number(r.n), `${String(r.event_type)}: an event written twice`);
    counts[String(r.event_type)] = Number(r.n);
  }
  return counts;
}

const sorted = (counts: Record<string, number>): [string, number][] => Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1));

describe('LivePipeline', () => {
  const dir = tempDir();
  let dataset: OlistDataset;
  let source: ReplaySource;
  before(async () => {
    dataset = await loadOlist(sampleDir);
    source = await loadReplaySource(sampleDir);
  });
  after(() => dir.remove());

  const settingsIn = (state: string): Settings => ({ ...DEFAULTS, state, data: sampleDir, idleAfter: 200 });

  it('replays the history before the cut into every table, then the rest live to the end, and stops cleanly', async () => {
    const state = join(dir.path, 'max');
    const cut = parseLocalDateTime('2018-06-01');
    const steps: LiveStep['step'][] = [];
    let atHistory: Record<string, number> | null = null;
    let goldAtHistory: boolean[] = [];
    const pipeline = new LivePipeline({
      settings: settingsIn(state),
      historyUntil: cut,
      pace: { mode: 'max' },
      batchIntervalMs: 60_000,
      source,
      onStep: (s) => steps.push(s.step),
      onHistoryReady: async (history, runtime) => {
        const lake = await runtime.lake();
        atHistory = await bronzeByType(lake);
        goldAtHistory = await Promise.all(JOBS.map((job) => lake.tableExists(job.name)));
        assert.equal(history.batch?.error, null);
      },
    });
    const history = await pipeline.start();
    assert.equal(history.stopped, false);
    assert.deepEqual(sorted(atHistory ?? {}), sorted(expectedBronze(dataset, cut)));
    assert.deepEqual(goldAtHistory, JOBS.map(() => true), 'every silver and gold table is there');
    assert.deepEqual(steps.slice(0, 4), ['history-replayed', 'stream-caught-up', 'history-batch', 'live-started']);

    const ended = await pipeline.replayEnded;
    assert.equal(ended.completed, true);
    await pipeline.caughtUp();
    assert.equal(pipeline.phase, 'replay-ended');
    assert.deepEqual(sorted(await bronzeByType(await pipeline.runtime.lake())), sorted(expectedBronze(dataset, Infinity)));

    // The live replay went on from the cut: nothing the history appended was appended again.
    const topics = await pipeline.runtime.log.describeTopics(TOPIC_NAMES);
    const inLog = topics.reduce((n, t) => n + t.endOffsets.reduce((m, end) => m + end, 0), 0);
    assert.equal(inLog, expectedLog(dataset));

    await pipeline.stop();
    assert.equal(pipeline.phase, 'stopped');
    await pipeline.stop();
    assert.equal(steps.filter((s) => s === 'stopped').length, 1, 'a second stop does nothing');
    assert.equal(pipeline.stateDir, liveStateDir(state));

    // Everything was released: the state opens again and holds what the pipeline wrote.
    const again = openRuntime({ ...DEFAULTS, state: pipeline.stateDir });
    try {
      assert.deepEqual(sorted(await bronzeByType(await again.lake())), sorted(expectedBronze(dataset, Infinity)));
    } finally {
      await again.close();
    }
  });

  it('stops in the middle of a paced live phase, releasing everything; a new start begins afresh', async () => {
    const state = join(dir.path, 'paced');
    const cut = parseLocalDateTime('2017-02-01');
    let live = 0;
    let reachedLive: () => void = () => undefined;
    const liveMoving = new Promise<void>((resolve) => (reachedLive = resolve));
    const pipeline = new LivePipeline({
      settings: settingsIn(state),
      historyUntil: cut,
      pace: { mode: 'day-every', dayEveryMs: 5_000 },
      batchIntervalMs: 1_000,
      source,
      onReplayProgress: (phase, p) => {
        if (phase !== 'live' || p.appended === 0) return;
        live = p.appended;
        reachedLive();
      },
    });
    await pipeline.start();
    await liveMoving;
    assert.equal(pipeline.phase, 'live');
    await Promise.all([pipeline.stop(), pipeline.stop()]);
    assert.equal(pipeline.phase, 'stopped');
    assert.ok(live > 0);

    const again = openRuntime({ ...DEFAULTS, state: pipeline.stateDir });
    try {
      const bronze = Object.values(await bronzeByType(await again.lake())).reduce((a, b) => a + b, 0);
      const before = Object.values(expectedBronze(dataset, cut)).reduce((a, b) => a + b, 0);
      const all = Object.values(expectedBronze(dataset, Infinity)).reduce((a, b) => a + b, 0);
      assert.ok(bronze >= before && bronze < all, `bronze holds ${bronze} events: the history's ${before} and part of the rest, not all ${all}`);
    } finally {
      await again.close();
    }

    // Fresh by default: a second start wipes what the first left.
    const steps: LiveStep[] = [];
    const second = new LivePipeline({ settings: settingsIn(state), historyUntil: cut, pace: { mode: 'max' }, batchIntervalMs: 60_000, source, onStep: (s) => steps.push(s) });
    await second.start();
    await second.stop();
    const replayed = steps.find((s) => s.step === 'history-replayed');
    assert.ok(replayed !== undefined && replayed.step === 'history-replayed');
    assert.equal(replayed.alreadyInLog, 0);
    assert.ok(replayed.appended > 0);
    assert.ok(existsSync(second.stateDir));
  });

  it('turns a day every N seconds into the replay speed, and refuses a day of no time', () => {
    assert.deepEqual(livePacing({ mode: 'day-every', dayEveryMs: 5_000 }), { mode: 'speed', speed: 17_280, maxGapMs: 6 * 3_600_000 });
    assert.deepEqual(livePacing({ mode: 'max' }), { mode: 'max' });
    assert.throws(
      () => new LivePipeline({ settings: DEFAULTS, historyUntil: 0, pace: { mode: 'day-every', dayEveryMs: 0 }, batchIntervalMs: 1_000 }),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'OP_CONFIG_BAD_VALUE');
        assert.match(e.message, /simulated day must take a positive time/);
        return true;
      },
    );
  });
});
