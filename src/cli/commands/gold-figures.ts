import type { JobReport } from '../../batch/index.js';
import type { Lake } from '../../lake/index.js';
import { LakeReadModel } from '../../read/index.js';
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

/** The figures through the read model; a table the batch has not written yet gives null. */
export async function goldFigures(lake: Lake): Promise<GoldFigures> {
  // Every read is asked once: nothing is refreshed, so the model checks no snapshot again.
  const read = new LakeReadModel({ lake, refreshMs: 0 });
  const [sales, impact, portfolio] = await Promise.all([read.sales({}), read.reviewImpact({}), read.portfolio({}, { limit: 1, offset: 0 })]);
  const written = (answer: { readonly snapshots: Readonly<Record<string, string | null>> }, table: string): boolean => (answer.snapshots[table] ?? null) !== null;
  return {
    topCategories: written(sales, 'gold.sales_monthly') ? sales.categories.slice(0, TOP_CATEGORIES).map((c) => ({ category: c.category, revenueCents: c.revenueCents, items: c.items })) : null,
    reviewImpact: written(impact, 'gold.review_impact') ? impact.buckets.map((b) => ({ ...b })) : null,
    quadrants: written(portfolio, 'gold.product_portfolio') ? portfolio.quadrants.map((q) => ({ ...q })) : null,
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
