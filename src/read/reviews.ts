import { CAUSES, DELAY_BUCKETS } from '../reviews/index.js';
import type { LakeSource } from './source.js';
import { snapshotsOf } from './source.js';
import { Params, checkFilters, filterWhere, num, query, str, tablesOf, whereClause } from './sql.js';
import type { Filters, ReviewCauseCounts, ReviewCauseName, ReviewCauses, ReviewDelayBucket } from './types.js';

/**
 * The causes of low-score reviews by delay bucket and by purchase month, and the headline, from
 * gold.review_causes_monthly: its grain (month, delay bucket) counts each review once, so the buckets,
 * the months and the headline add up to the same reviews. The table has no category, state or grade:
 * only the month range applies.
 */
export async function reviewCauses(source: LakeSource, filters: Filters): Promise<ReviewCauses> {
  checkFilters(filters);
  const t = await tablesOf(source, ['reviewCausesMonthly']);
  return source.memo(`reviewCauses:${JSON.stringify(filters)}`, [t.reviewCausesMonthly], async () => {
    const p = new Params();
    const where = filterWhere(filters, { month: 'month' }, p);
    // The cause columns are the closed set of the classifier, named in code: no value reaches the SQL text.
    const sums = ['low_score_reviews', 'with_text', ...CAUSES].map((c) => `sum("${c}") AS "${c}"`).join(', ');
    const rows = await query(source, { causes: t.reviewCausesMonthly }, `SELECT month, delay_bucket, ${sums} FROM causes ${whereClause(where.conditions)} GROUP BY ALL ORDER BY month, delay_bucket`, p.values);
    const byDelay = new Map<ReviewDelayBucket, Counts>(DELAY_BUCKETS.map((b) => [b, zero()]));
    const byMonth = new Map<string, Counts>();
    for (const row of rows) {
      const bucket = byDelay.get(str(row.delay_bucket) as ReviewDelayBucket);
      const month = byMonth.get(str(row.month)) ?? zero();
      byMonth.set(str(row.month), month);
      for (const counts of bucket === undefined ? [month] : [bucket, month]) add(counts, row);
    }
    const headline = (['late', 'on_time', 'not_delivered'] as const).map((delivery) => {
      const buckets: readonly ReviewDelayBucket[] = delivery === 'late' ? ['1-3', '4-7', '8+'] : [delivery];
      const members = buckets.map((b) => byDelay.get(b) as Counts);
      const withText = members.reduce((n, c) => n + c.withText, 0);
      const delay = members.reduce((n, c) => n + c.causes.delay, 0);
      return { delivery, lowScoreReviews: members.reduce((n, c) => n + c.lowScoreReviews, 0), withText, delay, delayShare: withText === 0 ? null : delay / withText };
    });
    return {
      snapshots: snapshotsOf([t.reviewCausesMonthly]),
      applied: where.applied,
      byDelay: [...byDelay].map(([delayBucket, counts]) => ({ delayBucket, ...counts })),
      byMonth: [...byMonth].map(([month, counts]) => ({ month, ...counts })),
      headline,
    };
  });
}

interface Counts extends ReviewCauseCounts {
  lowScoreReviews: number;
  withText: number;
  causes: Record<ReviewCauseName, number>;
}

const zero = (): Counts => ({ lowScoreReviews: 0, withText: 0, causes: Object.fromEntries(CAUSES.map((c) => [c, 0])) as Record<ReviewCauseName, number> });

function add(counts: Counts, row: Readonly<Record<string, unknown>>): void {
  counts.lowScoreReviews += num(row.low_score_reviews);
  counts.withText += num(row.with_text);
  for (const cause of CAUSES) counts.causes[cause] += num(row[cause]);
}
