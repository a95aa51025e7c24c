/** Sales: revenue and orders by month, category and product rankings, the portfolio, the grades. */
import type { Grades, Portfolio, Products, Sales } from '../../read/types.js';
import { PALETTE } from '../charts.js';
import { gradeBadge, h, table } from '../dom.js';
import { brl, brlCompact, tipText, int } from '../format.js';
import { appliedNote } from '../filters.js';
import { chartBox, grid, load, pageHeader, panel } from '../page.js';
import type { PageDef } from '../page.js';
import { filterParams } from './shared.js';

const QUADRANT_COLOUR: Readonly<Record<string, string>> = { Star: '#009E73', 'Cash Cow': '#0072B2', 'Question Mark': '#E69F00', Dog: '#D55E00' };
const SCORE_COLOUR = ['#a50026', '#f46d43', '#fee08b', '#a6d96a', '#1a9850'];

export const salesPage: PageDef = {
  title: 'Sales',
  nav: '/sales',
  filters: true,
  async render(ctx) {
    ctx.root.append(pageHeader('Sales', 'Revenue is the items’ price, freight apart, by purchase month.'));
    const g = grid(ctx.root);
    const monthly = panel(g, 'Revenue and orders by month', { wide: true });
    const categories = panel(g, 'Categories by revenue');
    const products = panel(g, 'Top products');
    const portfolio = panel(g, 'Portfolio: quantity × unit price per product and month', { wide: true });
    const grades = panel(g, 'Quantity and revenue by grade');
    const reviews = panel(g, 'Review scores by grade');
    const params = filterParams(ctx.filters);

    await Promise.all([
      load(ctx, monthly.body, async () => {
        const sales = await ctx.get<Sales>('/api/sales', params);
        const box = chartBox();
        box.setAttribute('aria-label', `Monthly revenue and orders; total ${brl(sales.totals.revenueCents)} from ${int(sales.totals.orders)} orders`);
        monthly.body.replaceChildren(h('p', { class: 'summary' }, `${brl(sales.totals.revenueCents)} from ${int(sales.totals.orders)} orders (${int(sales.totals.items)} items).`), box, appliedNote(ctx.filters, sales) ?? '');
        ctx.chart(box, {
          legend: { bottom: 0 },
          tooltip: { trigger: 'axis' },
          xAxis: { type: 'category', data: sales.months.map((m) => m.month) },
          yAxis: [
            { type: 'value', name: 'Revenue', axisLabel: { formatter: (v: number) => brlCompact(v * 100) } },
            { type: 'value', name: 'Orders', splitLine: { show: false } },
          ],
          series: [
            { type: 'bar', name: 'Revenue', data: sales.months.map((m) => m.revenueCents / 100), tooltip: { valueFormatter: (v) => brl(Number(v) * 100) } },
            { type: 'line', name: 'Orders', yAxisIndex: 1, data: sales.months.map((m) => m.orders), tooltip: { valueFormatter: (v) => int(Number(v)) } },
          ],
        });
        const top = sales.categories.slice(0, 15).reverse();
        const catBox = chartBox('tall');
        catBox.setAttribute('aria-label', `Top categories by revenue: ${sales.categories.slice(0, 5).map((c) => c.category).join(', ')}`);
        categories.body.replaceChildren(catBox);
        if (top.length === 0) categories.body.append(h('p', { class: 'empty' }, 'No sales in this period.'));
        ctx.chart(catBox, {
          grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
          tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => brl(Number(v) * 100) },
          xAxis: { type: 'value', splitNumber: 3, axisLabel: { hideOverlap: true, formatter: (v: number) => brlCompact(v * 100) } },
          yAxis: { type: 'category', data: top.map((c) => c.category), axisLabel: { width: 140, overflow: 'truncate' } },
          series: [{ type: 'bar', name: 'Revenue', data: top.map((c) => c.revenueCents / 100) }],
        });
      }).then(() => {
        // The categories panel is filled with the monthly figures (one request); its errors show there too.
        if (monthly.body.querySelector('.error') && categories.body.querySelector('.loading')) categories.body.replaceChildren(monthly.body.querySelector('.error')?.cloneNode(true) ?? '');
      }),
      load(ctx, products.body, async () => {
        const data = await ctx.get<Products>('/api/products', { ...params, limit: 15 });
        products.body.replaceChildren(table([
          { label: 'Product', cell: (p) => h('span', { class: 'id', title: p.productId }, `${p.productId.slice(0, 8)}…`) },
          { label: 'Category', cell: (p) => p.category },
          { label: 'Quantity', cell: (p) => int(p.quantity), numeric: true },
          { label: 'Revenue', cell: (p) => brl(p.revenueCents), numeric: true },
          { label: 'Grade', cell: (p) => gradeBadge(p.grade) },
        ], data.products, { caption: 'Products by revenue', empty: 'No products sold in this period.' }), appliedNote(ctx.filters, data) ?? '');
      }),
      load(ctx, portfolio.body, async () => {
        const data = await ctx.get<Portfolio>('/api/portfolio', { ...params, limit: 1000 });
        const box = chartBox('tall');
        box.setAttribute('aria-label', 'Bubble chart of products: quantity sold against unit price, bubble size revenue, colour the quadrant');
        const quadrants = [...new Set([...data.quadrants.map((q) => q.quadrant), ...data.points.map((p) => p.quadrant)])];
        const maxRevenue = Math.max(1, ...data.points.map((p) => p.revenueCents));
        portfolio.body.replaceChildren(
          box,
          table([
            { label: 'Quadrant', cell: (q) => h('span', { class: 'swatch-label' }, h('span', { class: `swatch q-${slug(q.quadrant)}` }), q.quadrant) },
            { label: 'Product-months', cell: (q) => int(q.productMonths), numeric: true },
            { label: 'Revenue', cell: (q) => brl(q.revenueCents), numeric: true },
          ], data.quadrants, { caption: 'Portfolio quadrants', empty: 'No portfolio yet.' }),
          appliedNote(ctx.filters, data) ?? '',
        );
        ctx.chart(box, {
          legend: { bottom: 0 },
          grid: { left: 8, right: 24, top: 40, bottom: 60, containLabel: true },
          tooltip: {
            trigger: 'item',
            formatter: (p) => {
              const item = Array.isArray(p) ? p[0] : p;
              const point = (item?.data as { point?: (typeof data.points)[number] } | undefined)?.point;
              return point
                ? `${tipText(point.category)} · ${tipText(point.month)}\n${tipText(point.productId.slice(0, 8))}…\n${int(point.quantity)} × ${brl(point.unitPriceCents)} = ${brl(point.revenueCents)}\n${tipText(point.quadrant)}`
                : '';
            },
          },
          xAxis: { type: 'log', name: 'Quantity', nameLocation: 'middle', nameGap: 28 },
          yAxis: { type: 'log', name: 'Unit price (R$)' },
          series: quadrants.map((quadrant, i) => ({
            type: 'scatter' as const,
            name: quadrant,
            itemStyle: { color: QUADRANT_COLOUR[quadrant] ?? PALETTE[i % PALETTE.length], opacity: 0.7 },
            symbolSize: (value: number[]) => 4 + 26 * Math.sqrt((value[2] ?? 0) / maxRevenue),
            data: data.points.filter((p) => p.quadrant === quadrant).map((p) => ({ value: [Math.max(p.quantity, 1), Math.max(p.unitPriceCents / 100, 0.01), p.revenueCents], point: p })),
          })),
        });
      }),
      load(ctx, grades.body, async () => {
        const data = await ctx.get<Grades>('/api/grades', params);
        const box = chartBox();
        box.setAttribute('aria-label', 'Quantity and revenue per product grade');
        grades.body.replaceChildren(box, appliedNote(ctx.filters, data) ?? '');
        ctx.chart(box, {
          legend: { bottom: 0 },
          tooltip: { trigger: 'axis' },
          xAxis: { type: 'category', data: data.grades.map((g) => g.grade) },
          yAxis: [
            { type: 'value', name: 'Quantity' },
            { type: 'value', name: 'Revenue', splitLine: { show: false }, axisLabel: { formatter: (v: number) => brlCompact(v * 100) } },
          ],
          series: [
            { type: 'bar', name: 'Quantity', data: data.grades.map((g) => g.quantity), tooltip: { valueFormatter: (v) => int(Number(v)) } },
            { type: 'bar', name: 'Revenue', yAxisIndex: 1, data: data.grades.map((g) => g.revenueCents / 100), tooltip: { valueFormatter: (v) => brl(Number(v) * 100) } },
          ],
        });
        const mix = chartBox();
        mix.setAttribute('aria-label', 'Share of review scores 1 to 5 stars per product grade');
        reviews.body.replaceChildren(mix);
        ctx.chart(mix, {
          legend: { bottom: 0 },
          tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => `${Number(v).toFixed(1)} %` },
          xAxis: { type: 'category', data: data.grades.map((g) => g.grade) },
          yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value} %' } },
          series: [0, 1, 2, 3, 4].map((score) => ({
            type: 'bar' as const,
            stack: 'scores',
            name: `${score + 1}★`,
            itemStyle: { color: SCORE_COLOUR[score] },
            data: data.grades.map((g) => {
              const total = g.reviewScores.reduce((a, b) => a + b, 0);
              return total === 0 ? 0 : (100 * (g.reviewScores[score] ?? 0)) / total;
            }),
          })),
        });
      }).then(() => {
        if (grades.body.querySelector('.error') && reviews.body.querySelector('.loading')) reviews.body.replaceChildren(grades.body.querySelector('.error')?.cloneNode(true) ?? '');
      }),
    ]);
  },
};

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z]+/g, '-');
}
