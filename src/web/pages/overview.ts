/** Overview: the headline figures under the current filters and how fresh they are. */
import type { DeliveryPerformance, Freshness, KPIs, Sales } from '../../read/types.js';
import { h } from '../dom.js';
import { brl, dateTime, duration, int, pct } from '../format.js';
import { appliedNote } from '../filters.js';
import { chartBox, grid, load, pageHeader, panel } from '../page.js';
import type { PageDef } from '../page.js';
import { filterParams } from './shared.js';

export const overviewPage: PageDef = {
  title: 'Overview',
  nav: '/',
  filters: true,
  async render(ctx) {
    ctx.root.append(pageHeader('Overview', 'Orders, revenue and delivery health for the filtered period, with the alerts open now.'));
    const freshness = h('p', { class: 'freshness', role: 'status', 'aria-live': 'polite' }, 'Freshness: loading…');
    const kpis = h('div', { class: 'kpis', 'aria-busy': 'true' });
    ctx.root.append(freshness, kpis);
    const charts = grid(ctx.root);
    const salesPanel = panel(charts, 'Revenue by month');
    const latePanel = panel(charts, 'Late delivery rate by month');

    let state: Freshness | null = null;
    const showFreshness = (): void => freshness.replaceChildren(...freshnessLine(state));
    ctx.onLive('watermark', (w) => {
      state = { ...(state ?? { streamCommittedAt: null, lastBatch: null }), completeUpTo: w.completeUpTo, behindMs: w.behindMs };
      showFreshness();
    });
    ctx.every(15_000, () => {
      ctx.get<Freshness>('/api/freshness').then((f) => {
        state = f;
        showFreshness();
      }, () => undefined);
    });

    // Open alerts and value at risk move with the stream: a burst of alert changes refetches the figures once.
    let pending: number | undefined;
    ctx.onLive('alert', () => {
      if (pending !== undefined) return;
      pending = window.setTimeout(() => {
        pending = undefined;
        void drawKpis(true);
      }, 3000);
    });
    ctx.onLeave(() => window.clearTimeout(pending));
    const drawKpis = (quiet: boolean): Promise<void> =>
      load(ctx, kpis, async () => {
        const k = await ctx.get<KPIs>('/api/kpis', filterParams(ctx.filters));
        state = k.freshness;
        showFreshness();
        kpis.replaceChildren(
          kpi('Orders', int(k.orders)),
          kpi('Revenue', brl(k.revenueCents)),
          kpi('Late deliveries', pct(k.lateRate), 'of delivered orders'),
          kpi('Open alerts', int(k.openAlerts), h('a', { href: '/monitor' }, 'See the queue')),
          kpi('Value at risk', brl(k.valueAtRiskCents), 'order value of the open alerts'),
        );
        const note = appliedNote(ctx.filters, k);
        if (kpis.nextElementSibling?.classList.contains('note')) kpis.nextElementSibling.remove();
        if (note) kpis.after(note);
      }, { quiet });

    await Promise.all([
      drawKpis(false),
      load(ctx, salesPanel.body, async () => {
        const sales = await ctx.get<Sales>('/api/sales', filterParams(ctx.filters));
        const box = chartBox();
        box.setAttribute('aria-label', 'Revenue by purchase month');
        salesPanel.body.replaceChildren(box);
        ctx.chart(box, {
          tooltip: { trigger: 'axis', valueFormatter: (v) => brl(Number(v) * 100) },
          xAxis: { type: 'category', data: sales.months.map((m) => m.month) },
          yAxis: { type: 'value', name: 'R$', axisLabel: { formatter: (v: number) => int(v) } },
          series: [{ type: 'bar', name: 'Revenue', data: sales.months.map((m) => m.revenueCents / 100) }],
        });
      }),
      load(ctx, latePanel.body, async () => {
        const delivery = await ctx.get<DeliveryPerformance>('/api/delivery', filterParams(ctx.filters));
        const box = chartBox();
        box.setAttribute('aria-label', 'Late delivery rate by purchase month');
        latePanel.body.replaceChildren(box);
        ctx.chart(box, {
          tooltip: { trigger: 'axis', valueFormatter: (v) => pct(Number(v)) },
          xAxis: { type: 'category', data: delivery.months.map((m) => m.month) },
          yAxis: { type: 'value', axisLabel: { formatter: (v: number) => pct(v) } },
          series: [{ type: 'line', name: 'Late rate', data: delivery.months.map((m) => m.lateRate), areaStyle: { opacity: 0.15 } }],
        });
      }),
    ]);
  },
};

function kpi(label: string, value: string, note?: string | Node): HTMLElement {
  return h('div', { class: 'kpi' }, h('p', { class: 'kpi-label' }, label), h('p', { class: 'kpi-value' }, value), note ? h('p', { class: 'kpi-note' }, note) : null);
}

/** "Complete up to <event time>, N s behind · last batch <time> (mode, ok)". */
export function freshnessLine(f: Freshness | null): (string | Node)[] {
  if (!f) return ['Freshness: loading…'];
  const parts: (string | Node)[] = [];
  if (f.completeUpTo === null) parts.push('No events processed yet');
  else {
    parts.push('Complete up to ', h('time', { datetime: f.completeUpTo }, dateTime(f.completeUpTo)));
    if (f.behindMs !== null) parts.push(`, ${duration(f.behindMs)} behind`);
  }
  if (f.lastBatch) {
    parts.push(' · last batch run ', h('time', { datetime: f.lastBatch.endedAt }, dateTime(f.lastBatch.endedAt)), ` (${f.lastBatch.mode}, ${f.lastBatch.ok ? 'ok' : 'with failures'})`);
  } else {
    parts.push(' · no batch run yet');
  }
  return parts;
}
