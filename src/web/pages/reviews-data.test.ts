import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReviewCauseCounts } from '../../read/types.js';
import { causeSharesByDelay, causesByMonth } from './reviews-data.js';

const counts = (lowScoreReviews: number, withText: number, delay: number, service: number): ReviewCauseCounts => ({
  lowScoreReviews,
  withText,
  causes: { delay, wrong_or_missing: 0, product_quality: 1, service, other: 0 },
});

describe('the Reviews page figures', () => {
  it('gives each cause its share of the bucket’s reviews with text, none where no review has text', () => {
    const shaped = causeSharesByDelay({
      byDelay: [
        { delayBucket: 'on_time', ...counts(40, 10, 2, 3) },
        { delayBucket: '8+', ...counts(20, 4, 4, 2) },
        { delayBucket: 'not_delivered', ...counts(5, 0, 0, 0) },
      ],
    });
    assert.deepEqual(shaped.buckets, ['On time', '8+ days late', 'Not delivered']);
    assert.deepEqual(shaped.withText, [10, 4, 0]);
    assert.deepEqual(shaped.series.map((s) => s.cause), ['delay', 'wrong_or_missing', 'product_quality', 'service', 'other']);
    assert.deepEqual(shaped.series[0]?.data, [0.2, 1, null]);
    // Several causes per review: a bucket's shares may add up to more than one.
    assert.deepEqual(shaped.series[3]?.data, [0.3, 0.5, null]);
    assert.ok(shaped.series.reduce((n, s) => n + (s.data[1] ?? 0), 0) > 1);
  });

  it('counts the causes per month in month order as given', () => {
    const shaped = causesByMonth({ byMonth: [{ month: '2017-11', ...counts(9, 3, 2, 1) }, { month: '2017-12', ...counts(1, 1, 0, 1) }] });
    assert.deepEqual(shaped.months, ['2017-11', '2017-12']);
    assert.deepEqual(shaped.series.find((s) => s.cause === 'delay')?.data, [2, 0]);
    assert.deepEqual(shaped.series.find((s) => s.cause === 'service')?.data, [1, 1]);
  });
});
