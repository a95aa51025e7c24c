/** Sellers: the scorecards, sortable by their headers (sort and direction in the address), and one seller's page. */
import type { SellerDetail, SellerRow, SellerSort, Sellers } from '../../read/types.js';
import { h, orderLink, sellerLink, table } from '../dom.js';
import type { Column } from '../dom.js';
import { brl, date, dec1, int, pct } from '../format.js';
import { STATES, hasFilters, withQuery } from '../filters.js';
import { chartBox, grid, intParam, load, pageHeader, pager, panel } from '../page.js';
import type { PageDef } from '../page.js';
import { STAGE_LABEL, label } from './shared.js';

const PAGE = 50;
const DEFAULT_SORT: SellerSort = 'orders';

/** The change of on-time rate from the prior period to the recent one (what `sort=trend` orders by). */
function trend(s: SellerRow): number | null {
  return s.recentOnTimeRate === null || s.priorOnTimeRate === null ? null : s.recentOnTimeRate - s.priorOnTimeRate;
}

function trendCell(s: SellerRow): HTMLElement | string {
  const t = trend(s);
  if (t === null) return '—';
  const points = Math.round(t * 1000) / 10;
  const word = points > 0 ? 'better' : points < 0 ? 'worse' : 'same';
  return h('span', { class: `trend trend-${word}`, title: `Recent ${pct(s.recentOnTimeRate)}, before ${pct(s.priorOnTimeRate)}` }, `${points > 0 ? '▲ +' : points < 0 ? '▼ ' : ''}${dec1(points)} pp`);
}

/**
 * The scorecards cover each seller's whole history, so the global filters (purchase months, the
 * customer's state, category, grade) do not apply; the page filters by the seller's own state.
 */
export const sellersPage: PageDef = {
  title: 'Sellers',
  nav: '/sellers',
  filters: false,
  async render(ctx) {
    ctx.root.append(pageHeader('Sellers', 'Scorecards over each seller’s whole history: on-time handoffs to the carrier, late deliveries and reviews. Click a column header to sort; a seller opens their late orders and trend.'));
    const sellerState = ctx.query.get('sellerState') ?? '';
    ctx.root.append(sellerStateFilter(sellerState, (value) => ctx.navigate(withQuery({ sellerState: value, offset: null }))));
    if (hasFilters(ctx.filters)) {
      ctx.root.append(h('p', { class: 'note' }, 'The filters of the other pages (months, customer state, category, grade) do not apply to the scorecards; they stay in the address for when you go back.'));
    }
    const body = panel(ctx.root, 'Seller scorecards', { wide: true }).body;
    const sort = ctx.query.get('sort') ?? DEFAULT_SORT;
    const direction = ctx.query.get('direction') ?? 'desc';
    const offset = intParam(ctx.query, 'offset', 0);

    const sortHeader = (text: string, key: SellerSort) => (): Node => {
      const current = sort === key;
      const next = current && direction === 'desc' ? 'asc' : 'desc';
      return h('a', { id: `sort-${key}`, href: withQuery({ sort: key, direction: next, offset: null }), class: 'sort', title: `Sort by ${text.toLowerCase()}, ${next === 'asc' ? 'ascending' : 'descending'}` },
        text, current ? h('span', { 'aria-hidden': 'true' }, direction === 'asc' ? ' ▲' : ' ▼') : null);
    };
    const ariaSort = (key: SellerSort): 'ascending' | 'descending' | null => (sort === key ? (direction === 'asc' ? 'ascending' : 'descending') : null);
    const search = location.search;
    const columns: Column<SellerRow>[] = [
      { label: 'Seller', cell: (s) => sellerLink(s.sellerId, search) },
      { label: 'State', cell: (s) => s.sellerState },
      { label: 'Orders', cell: (s) => int(s.orders), numeric: true, header: sortHeader('Orders', 'orders'), sort: ariaSort('orders') },
      { label: 'Handoffs', cell: (s) => int(s.handoffs), numeric: true },
      { label: 'On time', cell: (s) => pct(s.onTimeRate), numeric: true, header: sortHeader('On time', 'onTimeRate'), sort: ariaSort('onTimeRate') },
      { label: 'Median slack (h)', cell: (s) => dec1(s.medianSlackHours), numeric: true },
      { label: 'Delivered', cell: (s) => int(s.deliveredOrders), numeric: true },
      { label: 'Late deliveries', cell: (s) => int(s.lateDeliveries), numeric: true, header: sortHeader('Late deliveries', 'lateDeliveries'), sort: ariaSort('lateDeliveries') },
      { label: 'Reviews', cell: (s) => int(s.reviews), numeric: true },
      { label: 'Mean review', cell: (s) => dec1(s.meanReviewScore), numeric: true, header: sortHeader('Mean review', 'meanReviewScore'), sort: ariaSort('meanReviewScore') },
      { label: 'Trend', cell: trendCell, numeric: true, header: sortHeader('Trend', 'trend'), sort: ariaSort('trend') },
    ];
    await load(ctx, body, async () => {
      const data = await ctx.get<Sellers>('/api/sellers', { sort, direction, state: sellerState, limit: PAGE, offset: ctx.query.get('offset') });
      body.replaceChildren(
        table(columns, data.sellers, { caption: 'Seller scorecards', empty: 'No sellers match.' }),
        pager(data.total, offset, PAGE, data.sellers.length) ?? '',
      );
    });
  },
};

export const sellerPage: PageDef = {
  title: 'Seller',
  nav: '/sellers',
  filters: false,
  async render(ctx) {
    const sellerId = ctx.params.sellerId ?? '';
    document.title = `Seller ${sellerId} · OrderPulse`;
    ctx.root.append(
      h('p', { class: 'crumbs' }, h('a', { href: `/sellers${location.search}` }, '← All sellers')),
      pageHeader(`Seller ${sellerId}`),
    );
    const g = grid(ctx.root);
    const card = panel(g, 'Scorecard');
    const trendPanel = panel(g, 'Handoffs and on-time rate by month');
    const late = panel(g, 'Late orders', { wide: true });
    trendPanel.body.append(h('p', { class: 'loading' }, 'Loading…'));
    late.body.append(h('p', { class: 'loading' }, 'Loading…'));
    await load(ctx, card.body, async () => {
      const data = await ctx.get<SellerDetail>(`/api/sellers/${encodeURIComponent(sellerId)}`);
      const s = data.seller;
      card.body.replaceChildren(h('dl', { class: 'facts' },
        fact('State', s.sellerState), fact('Orders', int(s.orders)), fact('Handoffs', int(s.handoffs)),
        fact('On time', pct(s.onTimeRate)), fact('Median slack', `${dec1(s.medianSlackHours)} h`),
        fact('Delivered', int(s.deliveredOrders)), fact('Late deliveries', int(s.lateDeliveries)),
        fact('Reviews', int(s.reviews)), fact('Mean review', dec1(s.meanReviewScore)),
        fact('On time, recent / before', `${pct(s.recentOnTimeRate)} / ${pct(s.priorOnTimeRate)}`)));
      const box = chartBox();
      box.setAttribute('aria-label', 'Handoffs per month and the share on time');
      trendPanel.body.replaceChildren(box);
      ctx.chart(box, {
        legend: { bottom: 0 },
        tooltip: { trigger: 'axis' },
        xAxis: { type: 'category', data: data.trend.map((t) => t.month) },
        yAxis: [{ type: 'value', name: 'Handoffs' }, { type: 'value', name: 'On time', min: 0, max: 1, splitLine: { show: false }, axisLabel: { formatter: (v: number) => pct(v) } }],
        series: [
          { type: 'bar', name: 'Handoffs', data: data.trend.map((t) => t.handoffs) },
          { type: 'bar', name: 'Late deliveries', data: data.trend.map((t) => t.lateDeliveries) },
          { type: 'line', name: 'On time', yAxisIndex: 1, data: data.trend.map((t) => t.onTimeRate), tooltip: { valueFormatter: (v) => pct(v === null || v === undefined ? null : Number(v)) } },
        ],
      });
      late.body.replaceChildren(table([
        { label: 'Order', cell: (o) => orderLink(o.orderId) },
        { label: 'Purchased', cell: (o) => h('time', { datetime: o.purchasedAt }, date(o.purchasedAt)) },
        { label: 'Late at', cell: (o) => label(STAGE_LABEL, o.stage) },
        { label: 'Days late', cell: (o) => dec1(o.daysLate), numeric: true },
        { label: 'Value', cell: (o) => brl(o.valueCents), numeric: true },
      ], data.lateOrders, { caption: 'The seller’s late orders, newest first', empty: 'No late orders.' }));
    });
    // One request fills the three panels: when it fails, the scorecard says why and the others stand down.
    if (card.body.querySelector('.error')) {
      trendPanel.section.remove();
      late.section.remove();
    }
  },
};

function fact(term: string, value: string): HTMLElement[] {
  return [h('dt', null, term), h('dd', null, value)];
}

function sellerStateFilter(current: string, apply: (value: string | null) => void): HTMLElement {
  const options = [h('option', { value: '' }, 'All'), ...STATES.map((uf) => h('option', { value: uf }, uf))];
  if (current !== '' && !(STATES as readonly string[]).includes(current)) options.push(h('option', { value: current }, `${current} (not valid)`));
  const select = h('select', { id: 'seller-state', name: 'sellerState' }, options);
  select.value = current;
  select.addEventListener('change', () => apply(select.value || null));
  return h('div', { class: 'page-filters field' }, h('label', { for: select.id }, 'Seller state'), select);
}
