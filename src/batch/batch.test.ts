import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import type { Lake } from '../lake/index.js';
import { sampleDir, tempDir } from '../testing/fixtures.js';
import { openSamplePipeline, sampleEvents } from '../testing/sample-pipeline.js';
import { BatchError, SOURCES_PROPERTY, runBatch, selectJobs } from './index.js';

/** A CSV of the sample, straight from its file: the oracle does not go through the data room. */
function csv(name: string): Record<string, string>[] {
  return parse<Record<string, string>>(gunzipSync(readFileSync(join(sampleDir, `olist_${name}_dataset.csv.gz`))), { columns: true, skip_empty_lines: true });
}

/** '12.34' → 1234, exactly (no floating point). */
function cents(text: string): number {
  const [whole = '0', frac = ''] = text.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0').slice(0, 2));
}

describe('batch layer on the Olist sample', () => {
  const dir = tempDir();
  let lake: Lake;
  let close: () => Promise<void>;

  before(async () => {
    const pipeline = await openSamplePipeline(dir.path, await sampleEvents());
    await pipeline.feed();
    lake = pipeline.lake;
    close = () => pipeline.close();
  });
  after(async () => {
    await close();
    dir.remove();
  });

  it('builds silver and gold whose figures equal those computed from the CSVs', async () => {
    const reports = await runBatch(lake);
    assert.deepEqual(
      reports.map((r) => [r.job, r.outcome]),
      selectJobs(undefined).map((j) => [j.name, 'written']),
    );
    const orders = csv('orders');
    const items = csv('order_items');
    const silver = await (await lake.table('silver.orders')).scan();
    const [o] = (await silver.query('SELECT count(*) AS n, sum(items_cents) AS items, sum(freight_cents) AS freight, sum(item_count) AS lines FROM t')).rows;
    assert.equal(Number(o?.n), orders.length);
    assert.equal(Number(o?.lines), items.length);
    assert.equal(Number(o?.items), items.reduce((s, i) => s + cents(i.price ?? '0'), 0));
    assert.equal(Number(o?.freight), items.reduce((s, i) => s + cents(i.freight_value ?? '0'), 0));

    // Revenue by purchase month (local time: the CSV's own text) to the cent.
    const month = new Map(orders.map((r) => [r.order_id, (r.order_purchase_timestamp ?? '').slice(0, 7)]));
    const expected = new Map<string, number>([...month.values()].map((m) => [m, 0]));
    for (const i of items) {
      const m = month.get(i.order_id ?? '') ?? '?';
      expected.set(m, (expected.get(m) ?? 0) + cents(i.price ?? '0'));
    }
    const byMonth = (await silver.query("SELECT strftime(purchase_date, '%Y-%m') AS m, sum(items_cents) AS c FROM t GROUP BY 1 ORDER BY 1")).rows;
    assert.deepEqual(
      byMonth.map((r) => [r.m, Number(r.c)]),
      [...expected.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    );

    // Review impact per delay bucket: local delivery day against the estimated day, from the CSV text.
    const reviews = csv('order_reviews');
    const lateDays = new Map<string, number>();
    for (const r of orders) {
      const delivered = r.order_delivered_customer_date ?? '';
      if (delivered === '') continue;
      const days = Math.round((Date.parse(delivered.slice(0, 10)) - Date.parse((r.order_estimated_delivery_date ?? '').slice(0, 10))) / 86_400_000);
      lateDays.set(r.order_id ?? '', Math.max(0, days));
    }
    const buckets = new Map<string, { n: number; sum: number; low: number }>();
    const seen = new Set<string>();
    for (const r of reviews) {
      const days = lateDays.get(r.order_id ?? '');
      const id = `${r.review_id}/${r.order_id}`;
      if (days === undefined || seen.has(id)) continue;
      seen.add(id);
      const bucket = days === 0 ? 'on_time' : days <= 3 ? '1-3' : days <= 7 ? '4-7' : '8+';
      const b = buckets.get(bucket) ?? { n: 0, sum: 0, low: 0 };
      const score = Number(r.review_score);
      buckets.set(bucket, { n: b.n + 1, sum: b.sum + score, low: b.low + (score <= 2 ? 1 : 0) });
    }
    const impact = (await (await (await lake.table('gold.review_impact')).scan()).query('SELECT * FROM t ORDER BY delay_bucket')).rows;
    assert.deepEqual(
      impact.map((r) => [r.delay_bucket, Number(r.reviews), Number(r.mean_score).toFixed(9), Number(r.low_score_share).toFixed(9)]),
      [...buckets.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, b]) => [k, b.n, (b.sum / b.n).toFixed(9), (b.low / b.n).toFixed(9)]),
    );
  });

  it('commits nothing on a rerun, and records the source snapshots it consumed', async () => {
    const before = await Promise.all(selectJobs(undefined).map(async (j) => (await lake.table(j.name)).currentSnapshot()?.['snapshot-id']));
    const reports = await runBatch(lake);
    assert.ok(reports.every((r) => r.outcome === 'unchanged'));
    const afterIds = await Promise.all(selectJobs(undefined).map(async (j) => (await lake.table(j.name)).currentSnapshot()?.['snapshot-id']));
    assert.deepEqual(afterIds, before);
    const bronze = (await lake.table('bronze.order_events')).currentSnapshot()?.['snapshot-id'];
    const orders = await lake.table('silver.orders');
    // Ids as decimal strings: exact for 63-bit ids.
    assert.deepEqual(JSON.parse(orders.lastSummaryValue(SOURCES_PROPERTY) ?? 'null'), { 'bronze.order_events': String(bronze) });
  });

  it('--full recomputes every job with the same rows', async () => {
    const count = async () => Number((await (await (await lake.table('silver.order_items')).scan()).query('SELECT count(*) AS n FROM t')).rows[0]?.n);
    const n = await count();
    const reports = await runBatch(lake, { full: true });
    assert.ok(reports.every((r) => r.outcome === 'written'));
    assert.equal(await count(), n);
  });

  it('refuses an unknown job by name', () => {
    assert.throws(() => selectJobs(['gold.nope']), (e: unknown) => e instanceof BatchError && e.code === 'OP_BATCH_UNKNOWN_JOB' && /gold\.nope/.test(e.message));
  });
});
