import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Lake } from '../lake/index.js';
import { BRONZE_EVENTS_TABLE, RISK_NORMS_PROPERTY } from '../stream/index.js';
import { tempDir } from '../testing/fixtures.js';
import { openSamplePipeline, sampleEvents } from '../testing/sample-pipeline.js';
import { runBatch } from './index.js';

/**
 * The risk model across a restart: rows replayed after a checkpoint are priced by the model that
 * first priced them (the one the last bronze commit named), though the batch layer has written
 * newer norms meanwhile; the first batch after the restart moves to the newest. When the named
 * snapshots are gone, the processor opens with the newest and says why.
 */

const at = (iso: string): number => Date.parse(iso);

async function silverSnapshots(lake: Lake): Promise<{ orders: string; items: string }> {
  const orders = (await lake.table('silver.orders')).currentSnapshot()?.['snapshot-id'];
  const items = (await lake.table('silver.order_items')).currentSnapshot()?.['snapshot-id'];
  return { orders: String(orders), items: String(items) };
}

async function recordedPin(lake: Lake): Promise<{ orders: string; items: string } | null> {
  const text = (await lake.table(BRONZE_EVENTS_TABLE)).lastSummaryValue(RISK_NORMS_PROPERTY);
  return text === null ? null : (JSON.parse(text) as { orders: string; items: string });
}

async function atRiskChanges(lake: Lake): Promise<number> {
  const scan = await (await lake.table('gold.alert_events')).scan();
  const [row] = (await scan.query("SELECT count(*) AS n FROM t WHERE rule = 'delivery_at_risk'")).rows;
  return Number(row?.n);
}

describe('the risk model across a restart', () => {
  it('replays with the model the last commit named, then moves to the newest; says why when it is gone', async () => {
    const dir = tempDir();
    const events = await sampleEvents();
    try {
      let pipeline = await openSamplePipeline(dir.path, events, { checkEveryMs: 0 });
      await pipeline.feed(at('2018-01-01T03:00:00Z'));
      assert.equal(await recordedPin(pipeline.lake), null, 'no norms before the batch layer ran');
      await runBatch(pipeline.lake);
      const first = await silverSnapshots(pipeline.lake);
      await pipeline.feed(at('2018-02-01T03:00:00Z'));
      assert.deepEqual(await recordedPin(pipeline.lake), first, 'the commits name the silver snapshots of the model in force');
      assert.ok((await atRiskChanges(pipeline.lake)) > 0, 'orders were priced over the threshold');
      await runBatch(pipeline.lake);
      const second = await silverSnapshots(pipeline.lake);
      assert.notDeepEqual(second, first);
      await pipeline.close();

      pipeline = await openSamplePipeline(dir.path, events, { checkEveryMs: 0 });
      await pipeline.feed(at('2018-02-01T03:00:00Z'));
      assert.equal(pipeline.processor?.recovery.riskModel, 'recorded');
      assert.equal(pipeline.processor?.recovery.riskLost, null);
      await pipeline.feed(at('2018-03-01T03:00:00Z'));
      assert.deepEqual(await recordedPin(pipeline.lake), second, 'the first batch after the restart moves to the newest norms');
      await pipeline.close();

      // The named snapshots expired: the restart says so and prices with the newest norms.
      const batchOnly = await openSamplePipeline(dir.path, events);
      await runBatch(batchOnly.lake);
      for (const name of ['silver.orders', 'silver.order_items']) await (await batchOnly.lake.table(name)).expireSnapshots({ olderThanMs: Date.now() + 1, retainLast: 1 });
      await batchOnly.close();
      pipeline = await openSamplePipeline(dir.path, events, { checkEveryMs: 0 });
      await pipeline.feed(at('2018-03-01T03:00:00Z'));
      assert.equal(pipeline.processor?.recovery.riskModel, 'newest');
      assert.match(pipeline.processor?.recovery.riskLost ?? '', /silver snapshots .* are gone/);
      await pipeline.close();
    } finally {
      dir.remove();
    }
  });
});
