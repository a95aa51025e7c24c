import type { JobReport } from '../../batch/index.js';
import type { Lake, QueryParam, QueryResult } from '../../lake/index.js';
import type { CliIO } from '../output.js';
import { table } from '../output.js';
import { formatMs } from './common.js';

/** A few figures of the gold tables, as the demo shows them; a table the batch has not made yet is null. */
export interface GoldFigures {
  /** `gold.sales_monthly`: the categories with the most revenue over the whole period. */
  readonly topCategories: readonly { category: string; revenueCents: number; items: number }[] | null;
  /** `gold.review_impact`: review scores of delivered orders by how late they came. */
  readonly reviewImpact: readonly { delayBucket: string; reviews: number; meanScore: number; lowScoreShare: number }[] | null;
  /** `gold.product_portfolio`: product-months per quadrant, and their revenue. */
  readonly quadrants: readonly { quadrant: string; productMonths: number; revenueCents: number }[] | null;
}

const TOP_CATEGORIES = 5;
/** The buckets in the order of lateness, as `gold.review_impact` names them. */
const DELAY_ORDER = ['on_time', '1-3', '4-7', '8+'];

/** Rows of a read-only query over one table (the view `t`), or null when the table does not exist. */
async function queryTable(lake: Lake, name: string, sql: string, params: readonly QueryParam[] = []): Promise<QueryResult['rows'] | null> {
  if (!(await lake.tableExists(name))) return null;
  const scan = await (await lake.table(name)).scan();
  return (await lake.query({ t: await scan.view() }, sql, params.length === 0 ? undefined : params)).rows;
}

export async function goldFigures(lake: Lake): Promise<GoldFigures> {
  const categories = await queryTable(
    lake,
    'gold.sales_monthly',
    'SELECT category, CAST(sum(revenue_cents) AS BIGINT) AS revenue_cents, CAST(sum(items) AS BIGINT) AS items FROM t GROUP BY category ORDER BY revenue_cents DESC, category LIMIT $1',
    [TOP_CATEGORIES],
  );
  const impact = await queryTable(lake, 'gold.review_impact', 'SELECT delay_bucket, reviews, mean_score, low_score_share FROM t');
  const quadrants = await queryTable(
    lake,
    'gold.product_portfolio',
    'SELECT quadrant, count(*) AS product_months, CAST(sum(revenue_cents) AS BIGINT) AS revenue_cents FROM t GROUP BY quadrant ORDER BY product_months DESC, quadrant',
  );
  const rank = (bucket: string): number => (DELAY_ORDER.includes(bucket) ? DELAY_ORDER.indexOf(bucket) : DELAY_ORDER.length);
  return {
    topCategories: categories?.map((r) => ({ category: String(r.category), revenueCents: Number(r.revenue_cents), items: Number(r.items) })) ?? null,
    reviewImpact:
      impact
        ?.map((r) => ({ delayBucket: String(r.delay_bucket), reviews: Number(r.reviews), meanScore: Number(r.mean_score), lowScoreShare: Number(r.low_score_share) }))
        .sort((a, b) => rank(a.delayBucket) - rank(b.delayBucket)) ?? null,
    quadrants: quadrants?.map((r) => ({ quadrant: String(r.quadrant), productMonths: Number(r.product_months), revenueCents: Number(r.revenue_cents) })) ?? null,
  };
}

const reais = (cents: number): string => (cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function printGoldFigures(io: CliIO, reports: readonly JobReport[], ms: number, figures: GoldFigures): void {
  const written = reports.filter((r) => r.outcome === 'written');
  io.stdout.write(
    `\nbatch: ${written.length} of ${reports.length} tables written from bronze in ${formatMs(ms)} ` +
      `(${written.reduce((s, r) => s + r.rowsWritten, 0).toLocaleString('en-US')} rows)\n`,
  );
  if (figures.topCategories !== null) {
    io.stdout.write(
      `\nthe categories with the most revenue (gold.sales_monthly; items, freight excluded):\n` +
        `${table(['category', 'revenue R$', 'items'], figures.topCategories.map((c) => [c.category, reais(c.revenueCents), c.items]))}\n`,
    );
  }
  if (figures.reviewImpact !== null) {
    io.stdout.write(
      `\nreview score by delivery delay (gold.review_impact, days late):\n` +
        `${table(
          ['delay', 'reviews', 'mean score', '1-2 stars'],
          figures.reviewImpact.map((r) => [r.delayBucket, r.reviews, r.meanScore.toFixed(2), `${(r.lowScoreShare * 100).toFixed(1)} %`]),
        )}\n`,
    );
  }
  if (figures.quadrants !== null) {
    io.stdout.write(
      `\nproduct-months per portfolio quadrant (gold.product_portfolio):\n` +
        `${table(['quadrant', 'product-months', 'revenue R$'], figures.quadrants.map((q) => [q.quadrant, q.productMonths, reais(q.revenueCents)]))}\n`,
    );
  }
}
