import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadOlist } from '../data/index.js';
import type { MarketplaceEvent } from '../events/index.js';
import { eventIdOf } from '../events/index.js';
import type { Lake } from '../lake/index.js';
import { CAUSES, classifyReview, delayShares, lowScoreReviews } from '../reviews/index.js';
import { sampleDir, tempDir } from '../testing/fixtures.js';
import { csv, field } from '../testing/olist-oracle.js';
import { openSamplePipeline, sampleEvents } from '../testing/sample-pipeline.js';
import type { JobReport } from './index.js';
import { classifyLowScoreReviews } from './jobs/silver-review-causes.js';
import { runBatch } from './index.js';

// silver.review_causes (computed by the reviews room's classifier inside the batch) and the gold
// tables over it, on the sample replayed in two parts with a batch run after each. The expected
// groups come from the CSV files read here (month, delay, sellers and English categories worked out
// in this file) with the classifier applied to each review's text directly.

/** The replay is cut here (UTC) for the first batch run; the rest follows before the second. */
const CUT = Date.parse('2018-03-01T00:00:00Z');

interface Expected {
  key: string;
  lowScoreReviews: number;
  withText: number;
  causes: Record<string, number>;
}

/** Whole days from local date a to local date b (YYYY-MM-DD). */
const daysFrom = (a: string, b: string): number => Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);

function expectedGroups(): Map<string, Expected> {
  const english = new Map(csv('product_category_name_translation.csv.gz').map((t) => [field(t, 'product_category_name'), field(t, 'product_category_name_english')]));
  const categoryOf = new Map(
    csv('olist_products_dataset.csv.gz').map((p) => {
      const pt = field(p, 'product_category_name');
      return [field(p, 'product_id'), pt === '' ? 'unknown' : (english.get(pt) ?? pt)];
    }),
  );
  const pairsOf = new Map<string, Set<string>>();
  for (const i of csv('olist_order_items_dataset.csv.gz')) {
    const pairs = pairsOf.get(field(i, 'order_id')) ?? new Set<string>();
    pairs.add(`${categoryOf.get(field(i, 'product_id')) ?? 'unknown'}|${field(i, 'seller_id')}`);
    pairsOf.set(field(i, 'order_id'), pairs);
  }
  const orders = new Map(csv('olist_orders_dataset.csv.gz').map((o) => [field(o, 'order_id'), o]));
  const groups = new Map<string, Expected>();
  const seen = new Set<string>();
  for (const r of csv('olist_order_reviews_dataset.csv.gz')) {
    const order = orders.get(field(r, 'order_id'));
    if (Number(field(r, 'review_score')) > 2 || order === undefined || seen.has(`${field(r, 'review_id')}/${field(r, 'order_id')}`)) continue;
    seen.add(`${field(r, 'review_id')}/${field(r, 'order_id')}`);
    const delivered = field(order, 'order_delivered_customer_date').slice(0, 10);
    const late = delivered === '' ? null : daysFrom(field(order, 'order_estimated_delivery_date').slice(0, 10), delivered);
    const bucket = late === null ? 'not_delivered' : late <= 0 ? 'on_time' : late <= 3 ? '1-3' : late <= 7 ? '4-7' : '8+';
    const title = field(r, 'review_comment_title');
    const message = field(r, 'review_comment_message');
    const causes = title.trim() === '' && message.trim() === '' ? null : classifyReview({ title, message }).causes;
    for (const pair of pairsOf.get(field(order, 'order_id')) ?? new Set(['unknown|unknown'])) {
      const key = `${field(order, 'order_purchase_timestamp').slice(0, 7)}|${pair}|${bucket}`;
      const group = groups.get(key) ?? { key, lowScoreReviews: 0, withText: 0, causes: Object.fromEntries(CAUSES.map((c) => [c, 0])) };
      group.lowScoreReviews++;
      if (causes !== null) group.withText++;
      for (const cause of causes ?? []) group.causes[cause] = (group.causes[cause] ?? 0) + 1;
      groups.set(key, group);
    }
  }
  return groups;
}

async function rowsOf(lake: Lake, table: string): Promise<Record<string, unknown>[]> {
  return (await (await lake.table(table)).scan()).query('SELECT * FROM t ORDER BY ALL').then((r) => r.rows);
}

describe('review causes in the batch layer', () => {
  const dir = tempDir();
  let lake: Lake;
  let close: () => Promise<void> = async () => {};
  let first: JobReport[] = [];
  let second: JobReport[] = [];
  let third: JobReport[] = [];
  let lowAfterCut = 0;
  let lowBeforeCut = 0;

  before(async () => {
    const events = await sampleEvents();
    for (const e of events) {
      if (e.type !== 'ReviewAnswered' || e.score > 2) continue;
      if (e.eventTime < CUT) lowBeforeCut++;
      else lowAfterCut++;
    }
    const pipeline = await openSamplePipeline(dir.path, events);
    lake = pipeline.lake;
    close = () => pipeline.close();
    await pipeline.feed(CUT);
    first = await runBatch(lake);
    await pipeline.feed();
    second = await runBatch(lake);
    third = await runBatch(lake);
  });
  after(async () => {
    await close();
    dir.remove();
  });

  it('classifies every low-score review on the first run, then only those answered since', () => {
    const job = (reports: JobReport[]): JobReport | undefined => reports.find((r) => r.job === 'silver.review_causes');
    console.log(`low-score reviews answered before the cut: ${lowBeforeCut}, after: ${lowAfterCut}`);
    assert.ok(lowBeforeCut > 0 && lowAfterCut > 0);
    assert.equal(job(first)?.mode, 'full');
    assert.equal(job(first)?.computed, lowBeforeCut);
    assert.equal(job(second)?.mode, 'incremental');
    assert.equal(job(second)?.computed, lowAfterCut);
    assert.equal(job(second)?.rowsWritten, lowBeforeCut + lowAfterCut);
    assert.equal(job(third)?.outcome, 'unchanged');
  });

  it('holds each low-score review with the causes the classifier gives its text', async () => {
    const rows = await rowsOf(lake, 'silver.review_causes');
    const texts = new Map(
      csv('olist_order_reviews_dataset.csv.gz').map((r) => [`${field(r, 'review_id')}/${field(r, 'order_id')}`, { title: field(r, 'review_comment_title'), message: field(r, 'review_comment_message') }]),
    );
    let classified = 0;
    for (const row of rows) {
      const text = texts.get(`${String(row.review_id)}/${String(row.order_id)}`);
      assert.ok(text !== undefined, `review ${String(row.review_id)} is in the CSV`);
      if (text.title.trim() === '' && text.message.trim() === '') {
        assert.deepEqual([row.has_text, row.causes, row.primary_cause, row.delay], [false, null, null, false]);
        continue;
      }
      classified++;
      const c = classifyReview(text);
      assert.deepEqual([row.has_text, row.causes, row.primary_cause, row.delay], [true, c.causes.join(','), c.primary, c.causes.includes('delay')], String(row.review_id));
    }
    assert.ok(classified > 0);
  });

  it('gold.review_causes counts per month, category, seller and delay bucket what the CSV files give', async () => {
    const expected = expectedGroups();
    const rows = await rowsOf(lake, 'gold.review_causes');
    const actual = new Map(
      rows.map((r) => {
        const key = [r.month, r.category, r.seller_id, r.delay_bucket].map(String).join('|');
        return [key, { key, lowScoreReviews: Number(r.low_score_reviews), withText: Number(r.with_text), causes: Object.fromEntries(CAUSES.map((c) => [c, Number(r[c])])) }];
      }),
    );
    assert.equal(actual.size, expected.size, 'groups');
    for (const [key, group] of expected) assert.deepEqual(actual.get(key), group, key);
  });

  it('gold.review_causes_monthly counts each review once per month and delay bucket, and gives the headline `reviews impact` prints', async () => {
    const rows = await rowsOf(lake, 'gold.review_causes_monthly');
    // From the CSV files through the reviews room (`reviews impact`'s own computation), each review once
    // however many sellers and categories its order has.
    const expected = new Map<string, Expected>();
    const reviews = lowScoreReviews(await loadOlist(sampleDir));
    for (const review of reviews) {
      const key = `${review.month}|${review.delayBucket}`;
      const group = expected.get(key) ?? { key, lowScoreReviews: 0, withText: 0, causes: Object.fromEntries(CAUSES.map((c) => [c, 0])) };
      group.lowScoreReviews++;
      if (review.causes !== null) group.withText++;
      for (const cause of review.causes ?? []) group.causes[cause] = (group.causes[cause] ?? 0) + 1;
      expected.set(key, group);
    }
    const actual = new Map(
      rows.map((r) => {
        const key = `${String(r.month)}|${String(r.delay_bucket)}`;
        return [key, { key, lowScoreReviews: Number(r.low_score_reviews), withText: Number(r.with_text), causes: Object.fromEntries(CAUSES.map((c) => [c, Number(r[c])])) }];
      }),
    );
    assert.deepEqual(actual, expected);
    for (const share of delayShares(reviews)) {
      const mine = rows.filter((r) => (share.group === 'late' ? !['on_time', 'not_delivered'].includes(String(r.delay_bucket)) : r.delay_bucket === share.group));
      const sum = (column: string): number => mine.reduce((n, r) => n + Number(r[column]), 0);
      assert.deepEqual(
        { group: share.group, lowScoreReviews: sum('low_score_reviews'), withText: sum('with_text'), delay: sum('delay') },
        { group: share.group, lowScoreReviews: share.lowScoreReviews, withText: share.withText, delay: share.delay },
      );
      console.log(`${share.group}: ${share.delay}/${share.withText} low-score reviews with text complain of delay (${share.delayShare === null ? '-' : (share.delayShare * 100).toFixed(1)} %)`);
    }
  });
});

describe('a review answered again', () => {
  const dir = tempDir();
  let close: () => Promise<void> = async () => {};
  after(async () => {
    await close();
    dir.remove();
  });

  it('is classified again: a low score raised to 5 stars loses its row, a 5-star review lowered to 1 gains one, and only those two are computed', async () => {
    const events = await sampleEvents();
    const reviews = events.filter((e): e is Extract<MarketplaceEvent, { type: 'ReviewAnswered' }> => e.type === 'ReviewAnswered');
    const low = reviews.find((e) => e.score === 1 && e.commentMessage !== null);
    const high = reviews.find((e) => e.score === 5);
    assert.ok(low !== undefined && high !== undefined);
    const later = Math.max(...events.map((e) => e.eventTime)) + 86_400_000;
    const again = [
      { ...low, eventId: eventIdOf('ReviewAnswered', low.reviewId, low.orderId, 'again'), eventTime: later, score: 5, commentTitle: null, commentMessage: null },
      { ...high, eventId: eventIdOf('ReviewAnswered', high.reviewId, high.orderId, 'again'), eventTime: later, score: 1, commentTitle: null, commentMessage: 'ainda nao recebi o produto' },
    ];
    const pipeline = await openSamplePipeline(dir.path, [...events, ...again]);
    close = () => pipeline.close();
    await pipeline.feed(later);
    await runBatch(pipeline.lake, { jobs: ['silver.orders', 'silver.reviews', 'silver.review_causes'] });
    const held = async (): Promise<Map<string, Record<string, unknown>>> =>
      new Map((await rowsOf(pipeline.lake, 'silver.review_causes')).map((r) => [`${String(r.review_id)}/${String(r.order_id)}`, r]));
    const before = await held();
    assert.ok(before.has(`${low.reviewId}/${low.orderId}`));
    assert.ok(!before.has(`${high.reviewId}/${high.orderId}`));
    await pipeline.feed();
    const [, , report] = await runBatch(pipeline.lake, { jobs: ['silver.orders', 'silver.reviews', 'silver.review_causes'] });
    assert.equal(report?.job, 'silver.review_causes');
    assert.equal(report?.mode, 'incremental');
    assert.equal(report?.computed, 2);
    const afterwards = await held();
    assert.equal(afterwards.size, before.size);
    assert.ok(!afterwards.has(`${low.reviewId}/${low.orderId}`), 'the review raised to 5 stars is gone');
    const lowered = afterwards.get(`${high.reviewId}/${high.orderId}`);
    assert.deepEqual([lowered?.score, lowered?.causes, lowered?.primary_cause], [1, 'delay', 'delay']);
  });
});

describe('classifyLowScoreReviews', () => {
  it('classifies low-score reviews with text, keeps those without text unclassified, gives none for better scores', () => {
    const rows = classifyLowScoreReviews([
      { review_id: 'a', order_id: 'o1', score: 1, comment_title: null, comment_message: 'ainda nao recebi o produto', event_id: 'e1' },
      { review_id: 'b', order_id: 'o2', score: 2, comment_title: null, comment_message: null, event_id: 'e2' },
      { review_id: 'c', order_id: 'o3', score: 4, comment_title: null, comment_message: 'ainda nao recebi', event_id: 'e3' },
    ]);
    assert.deepEqual(rows, [
      { review_id: 'a', order_id: 'o1', score: 1, has_text: true, causes: 'delay', primary_cause: 'delay', delay: true, event_id: 'e1' },
      { review_id: 'b', order_id: 'o2', score: 2, has_text: false, causes: null, primary_cause: null, delay: false, event_id: 'e2' },
    ]);
  });

  it('names the column that is not text', () => {
    assert.throws(
      () => classifyLowScoreReviews([{ review_id: 'a', order_id: 'o1', score: 1, comment_title: 7, comment_message: null, event_id: 'e1' }]),
      (e: unknown) => e instanceof Error && /comment_title/.test(e.message),
    );
  });
});
