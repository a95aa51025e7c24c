import type { LakeSource } from './source.js';
import { snapshotsOf } from './source.js';
import { Params, checkFilters, checkPage, filterWhere, gradeOrNull, num, query, str, tablesOf, whereClause } from './sql.js';
import type { Filters, GradeName, Grades, PageQuery, Portfolio, Products, Quadrant, ReviewImpact, Sales } from './types.js';

/**
 * Sales, products, the portfolio, the grades and the review impact, from the gold tables (and from
 * silver where a figure needs a grain gold does not keep: distinct orders across categories, review
 * scores per grade).
 */

/** The sales rows' purchase month, as the gold tables have it. */
const PURCHASE_MONTH = "strftime(o.purchase_date, '%Y-%m')";
/** An order sells when it is neither canceled nor unavailable (gold's SALES_ITEMS). */
const SELLING = "o.status NOT IN ('canceled', 'unavailable')";

export async function sales(source: LakeSource, filters: Filters): Promise<Sales> {
  checkFilters(filters);
  const t = await tablesOf(source, ['sales', 'orders', 'items']);
  const all = [t.sales, t.orders, t.items];
  return source.memo(`sales:${JSON.stringify(filters)}`, all, async () => {
    const g = new Params();
    const gold = filterWhere(filters, { month: 'month', state: 'customer_state', category: 'category' }, g);
    // gold.sales_monthly counts an order once per category it sells in: distinct orders come from silver.
    const s = new Params();
    const silver = filterWhere(filters, { month: PURCHASE_MONTH, state: "coalesce(o.customer_state, 'unknown')", category: "coalesce(i.category, 'unknown')" }, s);
    const [months, orders, categories] = await Promise.all([
      query(source, { sales: t.sales }, `SELECT month, sum(items) AS items, sum(revenue_cents) AS revenue, sum(freight_cents) AS freight FROM sales ${whereClause(gold.conditions)} GROUP BY month ORDER BY month`, g.values),
      query(
        source,
        { orders: t.orders, items: t.items },
        `SELECT ${PURCHASE_MONTH} AS month, count(DISTINCT o.order_id) AS orders FROM orders o JOIN items i USING (order_id)
         ${whereClause([SELLING, ...silver.conditions])} GROUP BY 1`,
        s.values,
      ),
      query(source, { sales: t.sales }, `SELECT category, sum(items) AS items, sum(revenue_cents) AS revenue FROM sales ${whereClause(gold.conditions)} GROUP BY category ORDER BY revenue DESC, category`, g.values),
    ]);
    const ordersOf = new Map(orders.map((r) => [str(r.month), num(r.orders)]));
    const monthRows = months.map((r) => ({ month: str(r.month), orders: ordersOf.get(str(r.month)) ?? 0, items: num(r.items), revenueCents: num(r.revenue), freightCents: num(r.freight) }));
    return {
      snapshots: snapshotsOf(all),
      applied: gold.applied,
      months: monthRows,
      totals: {
        orders: monthRows.reduce((n, m) => n + m.orders, 0),
        items: monthRows.reduce((n, m) => n + m.items, 0),
        revenueCents: monthRows.reduce((n, m) => n + m.revenueCents, 0),
      },
      categories: categories.map((r) => ({ category: str(r.category), items: num(r.items), revenueCents: num(r.revenue) })),
    };
  });
}

export async function products(source: LakeSource, filters: Filters, page: PageQuery): Promise<Products> {
  checkFilters(filters);
  checkPage(page);
  const t = await tablesOf(source, ['productSales', 'grades']);
  const all = [t.productSales, t.grades];
  return source.memo(`products:${JSON.stringify([filters, page])}`, all, async () => {
    const p = new Params();
    const where = filterWhere(filters, { month: 's.month', category: 's.category', grade: 'g.grade' }, p);
    const rows = await query(
      source,
      { sales: t.productSales, grades: t.grades },
      `SELECT s.product_id, s.category, sum(s.quantity) AS quantity, sum(s.revenue_cents) AS revenue, any_value(g.grade) AS grade
       FROM sales s LEFT JOIN grades g USING (product_id) ${whereClause(where.conditions)}
       GROUP BY s.product_id, s.category ORDER BY revenue DESC, quantity DESC, s.product_id, s.category
       LIMIT ${p.p(page.limit)} OFFSET ${p.p(page.offset)}`,
      p.values,
    );
    return {
      snapshots: snapshotsOf(all),
      applied: where.applied,
      products: rows.map((r) => ({ productId: str(r.product_id), category: str(r.category), quantity: num(r.quantity), revenueCents: num(r.revenue), grade: gradeOrNull(r.grade) })),
    };
  });
}

export async function portfolio(source: LakeSource, filters: Filters, page: PageQuery): Promise<Portfolio> {
  checkFilters(filters);
  checkPage(page);
  const t = await tablesOf(source, ['portfolio', 'grades']);
  const all = [t.portfolio, t.grades];
  return source.memo(`portfolio:${JSON.stringify([filters, page])}`, all, async () => {
    const dims = { month: 'p.month', category: 'p.category', grade: 'g.grade' };
    const a = new Params();
    const points = filterWhere(filters, dims, a);
    const b = new Params();
    const quadrants = filterWhere(filters, dims, b);
    const from = 'FROM portfolio p LEFT JOIN grades g USING (product_id)';
    const [pointRows, quadrantRows] = await Promise.all([
      query(
        source,
        { portfolio: t.portfolio, grades: t.grades },
        `SELECT p.product_id, p.category, p.month, p.quantity, p.unit_price_cents, p.revenue_cents, p.quadrant ${from} ${whereClause(points.conditions)}
         ORDER BY p.revenue_cents DESC, p.month, p.product_id, p.category LIMIT ${a.p(page.limit)} OFFSET ${a.p(page.offset)}`,
        a.values,
      ),
      query(
        source,
        { portfolio: t.portfolio, grades: t.grades },
        `SELECT p.quadrant, count(*) AS product_months, sum(p.revenue_cents) AS revenue ${from} ${whereClause(quadrants.conditions)} GROUP BY p.quadrant ORDER BY revenue DESC, p.quadrant`,
        b.values,
      ),
    ]);
    return {
      snapshots: snapshotsOf(all),
      applied: points.applied,
      points: pointRows.map((r) => ({
        productId: str(r.product_id),
        category: str(r.category),
        month: str(r.month),
        quantity: num(r.quantity),
        unitPriceCents: num(r.unit_price_cents),
        revenueCents: num(r.revenue_cents),
        quadrant: str(r.quadrant) as Quadrant,
      })),
      quadrants: quadrantRows.map((r) => ({ quadrant: str(r.quadrant) as Quadrant, productMonths: num(r.product_months), revenueCents: num(r.revenue) })),
    };
  });
}

/**
 * Per grade, from the sales rows of silver (so that every filter applies): products, items sold,
 * revenue, and the scores of the reviews of the orders with an item of that grade (an order with
 * items of two grades counts in both).
 */
export async function grades(source: LakeSource, filters: Filters): Promise<Grades> {
  checkFilters(filters);
  const t = await tablesOf(source, ['orders', 'items', 'grades', 'reviews']);
  const all = [t.orders, t.items, t.grades, t.reviews];
  return source.memo(`grades:${JSON.stringify(filters)}`, all, async () => {
    const p = new Params();
    const where = filterWhere(filters, { month: PURCHASE_MONTH, state: "coalesce(o.customer_state, 'unknown')", category: "coalesce(i.category, 'unknown')", grade: 'g.grade' }, p);
    const rows = await query(
      source,
      { orders: t.orders, items: t.items, grades: t.grades, reviews: t.reviews },
      `WITH s AS (
         SELECT i.order_id, i.product_id, i.price_cents, g.grade
         FROM orders o JOIN items i USING (order_id) JOIN grades g USING (product_id)
         ${whereClause([SELLING, ...where.conditions])}),
       figures AS (SELECT grade, count(DISTINCT product_id) AS products, count(*) AS quantity, sum(price_cents) AS revenue FROM s GROUP BY grade),
       scores AS (
         SELECT s.grade, list(r.score) AS scores
         FROM (SELECT DISTINCT order_id, grade FROM s) s JOIN reviews r USING (order_id) GROUP BY s.grade)
       SELECT f.*, [len(list_filter(coalesce(c.scores, []), x -> x = n)) FOR n IN [1, 2, 3, 4, 5]] AS mix
       FROM figures f LEFT JOIN scores c USING (grade) ORDER BY f.grade`,
      p.values,
    );
    return {
      snapshots: snapshotsOf(all),
      applied: where.applied,
      grades: rows.map((r) => {
        const mix = Array.isArray(r.mix) ? (r.mix as unknown[]).map(num) : [];
        return {
          grade: str(r.grade) as GradeName,
          products: num(r.products),
          quantity: num(r.quantity),
          revenueCents: num(r.revenue),
          reviewScores: [mix[0] ?? 0, mix[1] ?? 0, mix[2] ?? 0, mix[3] ?? 0, mix[4] ?? 0] as const,
        };
      }),
    };
  });
}

const BUCKET_ORDER = ['on_time', '1-3', '4-7', '8+'];

export async function reviewImpact(source: LakeSource, filters: Filters): Promise<ReviewImpact> {
  checkFilters(filters);
  const t = await tablesOf(source, ['reviewImpact']);
  return source.memo('reviewImpact', [t.reviewImpact], async () => {
    const rows = await query(source, { impact: t.reviewImpact }, 'SELECT delay_bucket, reviews, mean_score, low_score_share FROM impact');
    return {
      snapshots: snapshotsOf([t.reviewImpact]),
      // The table has no dimension of the filters.
      applied: [],
      buckets: rows
        .map((r) => ({ delayBucket: str(r.delay_bucket), reviews: num(r.reviews), meanScore: num(r.mean_score), lowScoreShare: num(r.low_score_share) }))
        .sort((a, b) => BUCKET_ORDER.indexOf(a.delayBucket) - BUCKET_ORDER.indexOf(b.delayBucket)),
    };
  });
}
