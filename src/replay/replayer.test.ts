import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { OlistDataset } from '../data/index.js';
import { loadOlist, parseLocalDateTime } from '../data/index.js';
import type { MarketplaceEvent } from '../events/index.js';
import { EmbeddedSchemaRegistry, EventCodec, TOPIC_NAMES, TOPIC_OF, olistEvents } from '../events/index.js';
import type { EventLog } from '../log/index.js';
import { SqliteEventLog } from '../log/index.js';
import { openEmbeddedStore } from '../store/index.js';
import { sampleDir, tempDir } from '../testing/fixtures.js';
import { logContents } from '../testing/log-contents.js';
import { ManualClock, replay, scaleDataset } from './index.js';

interface Store {
  log: EventLog;
  codec: EventCodec;
  close: () => Promise<void>;
}

async function openStore(path: string): Promise<Store> {
  const db = openEmbeddedStore(path);
  const log = new SqliteEventLog(db);
  const registry = new EmbeddedSchemaRegistry(db);
  const codec = await EventCodec.open(registry, { registerSchemas: true });
  return {
    log,
    codec,
    close: async () => {
      await log.close();
      await registry.close();
      if (db.open) db.close();
    },
  };
}

describe('replay', () => {
  const dir = tempDir();
  let dataset: OlistDataset;
  let events: MarketplaceEvent[];
  let reference: string[];

  before(async () => {
    dataset = await loadOlist(sampleDir);
    events = olistEvents(dataset);
    const store = await openStore(join(dir.path, 'reference.db'));
    const summary = await replay({ log: store.log, codec: store.codec, events, pacing: { mode: 'max' } });
    assert.equal(summary.completed, true);
    reference = await logContents(store.log);
    await store.close();
  });
  after(() => dir.remove());

  it('appends every event once, on its topic, keyed by order', () => {
    assert.equal(reference.length, events.length);
    for (const topic of TOPIC_NAMES) {
      const expected = events.filter((e) => TOPIC_OF[e.type] === topic).length;
      assert.equal(reference.filter((line) => line.startsWith(`${topic}/`)).length, expected, topic);
    }
    const placed = events.filter((e) => e.type === 'OrderPlaced').length;
    assert.equal(placed, 13_092);
  });

  it('stopped midway and run again, leaves exactly what one uninterrupted run leaves', async () => {
    const store = await openStore(join(dir.path, 'resumed.db'));
    const abort = new AbortController();
    const first = await replay({
      log: store.log,
      codec: store.codec,
      events,
      pacing: { mode: 'max' },
      batchSize: 1_000,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.appended >= 20_000) abort.abort();
      },
    });
    assert.equal(first.completed, false);
    assert.ok(first.appended >= 20_000 && first.appended < events.length);
    const second = await replay({ log: store.log, codec: store.codec, events, pacing: { mode: 'max' }, batchSize: 777 });
    assert.equal(second.completed, true);
    assert.equal(second.alreadyInLog, first.appended);
    assert.equal(second.appended, events.length - first.appended);
    assert.deepEqual(await logContents(store.log), reference);
    // A third run finds everything there and adds nothing.
    const third = await replay({ log: store.log, codec: store.codec, events, pacing: { mode: 'max' } });
    assert.equal(third.appended, 0);
    assert.equal(third.alreadyInLog, events.length);
    await store.close();
  });

  it('refuses to resume into a log that holds another dataset', async () => {
    const store = await openStore(join(dir.path, 'other.db'));
    const small = events.slice(0, 50);
    await replay({ log: store.log, codec: store.codec, events: small, pacing: { mode: 'max' } });
    await assert.rejects(
      replay({ log: store.log, codec: store.codec, events: olistEvents(scaleDataset(dataset, 1)), pacing: { mode: 'max' } }),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, 'OP_REPLAY_OTHER_DATASET');
        assert.match(e.message, /not in this dataset/);
        return true;
      },
    );
    await store.close();
  });

  it('replays a window of event time, sending the reference data from before it first', async () => {
    const store = await openStore(join(dir.path, 'window.db'));
    const from = parseLocalDateTime('2018-03-01');
    const until = parseLocalDateTime('2018-03-08');
    const summary = await replay({ log: store.log, codec: store.codec, events, pacing: { mode: 'max' }, from, until });
    const inWindow = events.filter((e) => e.eventTime >= from && e.eventTime < until);
    const referenceBefore = events.filter(
      (e) => e.eventTime < from && (e.type === 'ProductUpserted' || e.type === 'SellerUpserted' || e.type === 'CustomerUpserted'),
    );
    assert.ok(inWindow.length > 1_000);
    assert.equal(summary.appended, inWindow.length + referenceBefore.length);
    assert.equal(summary.byType.OrderPlaced, inWindow.filter((e) => e.type === 'OrderPlaced').length);
    assert.ok((summary.lastEventTime ?? Infinity) < until);
    await store.close();
  });

  it('paces by event time at the given speed, shortening long gaps', async () => {
    const store = await openStore(join(dir.path, 'paced.db'));
    const clock = new ManualClock();
    const slice = events.slice(0, 400);
    const maxGapMs = 5 * 60_000;
    await replay({ log: store.log, codec: store.codec, events: slice, pacing: { mode: 'speed', speed: 120, maxGapMs }, clock });
    let simulated = 0;
    for (let i = 1; i < slice.length; i++) {
      simulated += Math.min(maxGapMs, (slice[i] as MarketplaceEvent).eventTime - (slice[i - 1] as MarketplaceEvent).eventTime);
    }
    const slept = clock.sleeps.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(slept - simulated / 120) < 1, `slept ${slept} ms, expected ${simulated / 120}`);
    await store.close();
  });
});
