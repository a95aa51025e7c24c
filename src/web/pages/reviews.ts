/**
 * Reviews: what 1-2 star reviews complain of, read from their Portuguese text by the rule classifier in
 * the batch layer: the headline (how many complain of delay, late vs on-time orders), the causes by how
 * late the order came, and over purchase months.
 */
import type { ReviewCauses } from '../../read/types.js';
import { PALETTE } from '../charts.js';
import { h, table } from '../dom.js';
import { int, pct } from '../format.js';
import { appliedNote } from '../filters.js';
import { chartBox, grid, load, pageHeader, panel } from '../page.js';
import type { PageDef } from '../page.js';
import { BUCKET_LABEL, CAUSE_LABEL, CAUSE_ORDER, DELIVERY_LABEL, causeSharesByDelay, causesByMonth } from './reviews-data.js';
import { filterParams } from './shared.js';

export const reviewsPage: PageDef = {
  title: 'Reviews',
  nav: '/reviews',
  filters: true,
  async render(ctx) {
    ctx.root.append(
      pageHeader('Reviews', 'What 1–2 star reviews complain of, from their Portuguese title and message; a review may state several causes. Only the month range applies.'),
    );
    const headline = h('div', { class: 'kpis', 'aria-busy': 'true' });
    ctx.root.append(headline);
    const g = grid(ctx.root);
    const byDelay = panel(g, 'Causes by how late the order came (share of reviews with text)', { wide: true });
    const byMonth = panel(g, 'Causes by purchase month (reviews with text)', { wide: true });
    const counts = panel(g, 'Low-score reviews by delay', { wide: true });

    await load(ctx, headline, async () => {
      const answer = await ctx.get<ReviewCauses>('/api/review-causes', filterParams(ctx.filters));
      headline.replaceChildren(
        ...answer.headline.map((g) =>
          h(
            'div',
            { class: 'kpi', 'data-delivery': g.delivery },
            h('p', { class: 'kpi-label' }, DELIVERY_LABEL[g.delivery]),
            h('p', { class: 'kpi-value' }, pct(g.delayShare)),
            h('p', { class: 'kpi-note' }, `complain of delay: ${int(g.delay)} of ${int(g.withText)} low-score reviews with text (${int(g.lowScoreReviews)} low-score reviews)`),
          ),
        ),
      );
      const note = appliedNote(ctx.filters, answer);
      if (note) headline.after(note);

      const shares = causeSharesByDelay(answer);
      const delayBox = chartBox();
      delayBox.setAttribute('aria-label', `Causes by delay bucket: ${shares.buckets.map((b, i) => `${b} ${pct(shares.series[0]?.data[i] ?? null)} delay`).join(', ')}`);
      byDelay.body.replaceChildren(delayBox);
      ctx.chart(delayBox, {
        legend: { bottom: 0 },
        tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (v) => (v === null || v === undefined ? '—' : pct(Number(v))) },
        xAxis: { type: 'category', data: [...shares.buckets.map((b, i) => `${b}\n(${int(shares.withText[i] ?? 0)})`)] },
        yAxis: { type: 'value', max: 1, axisLabel: { formatter: (v: number) => pct(v) } },
        series: shares.series.map((s, i) => ({ type: 'bar' as const, name: s.name, data: [...s.data], itemStyle: { color: PALETTE[i] } })),
      });

      const monthly = causesByMonth(answer);
      const monthBox = chartBox();
      monthBox.setAttribute('aria-label', `Causes of low-score reviews with text by purchase month, ${monthly.months.length} months`);
      byMonth.body.replaceChildren(monthBox);
      if (monthly.months.length === 0) byMonth.body.append(h('p', { class: 'empty' }, 'No low-score reviews in this period.'));
      ctx.chart(monthBox, {
        legend: { bottom: 0 },
        tooltip: { trigger: 'axis', valueFormatter: (v) => int(Number(v)) },
        xAxis: { type: 'category', data: [...monthly.months] },
        yAxis: { type: 'value', minInterval: 1 },
        series: monthly.series.map((s, i) => ({ type: 'bar' as const, stack: 'causes', name: s.name, data: [...s.data], itemStyle: { color: PALETTE[i] } })),
      });

      counts.body.replaceChildren(
        table(
          [
            { label: 'Delivery', cell: (r) => BUCKET_LABEL[r.delayBucket] },
            { label: 'Low-score reviews', numeric: true, cell: (r) => int(r.lowScoreReviews) },
            { label: 'With text', numeric: true, cell: (r) => int(r.withText) },
            ...CAUSE_ORDER.map((cause) => ({ label: CAUSE_LABEL[cause], numeric: true, cell: (r: ReviewCauses['byDelay'][number]) => int(r.causes[cause]) })),
          ],
          answer.byDelay,
          { caption: 'Low-score reviews and their causes by delay bucket', rowAttrs: (r) => ({ 'data-bucket': r.delayBucket }) },
        ),
      );
    });
  },
};
