import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadOlist } from '../data/index.js';
import type { MarketplaceEvent } from '../events/index.js';
import { EmbeddedSchemaRegistry, EventCodec, TOPIC_OF, olistEvents } from '../events/index.js';
import { Lake } from '../lake/index.js';
import { SqliteEventLog } from '../log/index.js';
import { replay } from '../replay/index.js';
import { openEmbeddedStore } from '../store/index.js';
import { sampleDir, tempDir } from '../testing/fixtures.js';
import { BRONZE_EVENTS_TABLE, OFFSETS_PROPERTY, loadBronze } from './index.js';

describe('loadBronze', () => {
  const dir = tempDir();
  const db = openEmbeddedStore(join(dir.path, 'store.db'));
  const log = new SqliteEventLog(db);
  const registry = new EmbeddedSchemaRegistry(db);
  let codec: EventCodec;
  let lake: Lake;
  let events: MarketplaceEvent[];
  before(async () => {
    codec = await EventCodec.open(registry, { registerSchemas: true });
    lake = await Lake.open({ catalogUri: join(dir.path, 'store.db'), warehouse: join(dir.path, 'warehouse'), tempDir: join(dir.path, 'tmp') });
    events = olistEvents(await loadOlist(sampleDir)).slice(0, 6_000);
  });
  after(async () => {
    await lake.close();
    await log.close();
    await registry.close();
    if (db.open) db.close();
    dir.remove();
  });

  const orderAndReview = (list: readonly MarketplaceEvent[]): number =>
    list.filter((e) => TOPIC_OF[e.type] === 'orders' || TOPIC_OF[e.type] === 'reviews').length;

  it('loads each order and review event of the log once, however often it runs', async () => {
    await replay({ log, codec, events: events.slice(0, 3_000), pacing: { mode: 'max' } });
    const first = await loadBronze({ log, codec, lake });
    assert.equal(first.rows, orderAndReview(events.slice(0, 3_000)));
    const second = await loadBronze({ log, codec, lake });
    assert.equal(second.rows, 0);

    await replay({ log, codec, events, pacing: { mode: 'max' } });
    const third = await loadBronze({ log, codec, lake });
    assert.equal(third.rows, orderAndReview(events) - first.rows);

    const table = await lake.table(BRONZE_EVENTS_TABLE);
    const result = await (await table.scan()).query('SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM t');
    assert.deepEqual(result.rows, [{ n: orderAndReview(events), ids: orderAndReview(events) }]);
    assert.equal(table.snapshots().length, 2);
    const offsets = JSON.parse(table.lastSummaryValue(OFFSETS_PROPERTY) ?? '{}') as Record<string, number>;
    const ends = await log.describeTopics(['orders', 'reviews']);
    for (const t of ends) t.endOffsets.forEach((end, p) => assert.equal(offsets[`${t.name}/${p}`], end));
  });
});
