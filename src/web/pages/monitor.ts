/**
 * Delivery monitor: the two alert queues, patched live — what is overdue (highest priority first) and
 * what is likely to be late (`delivery_at_risk`, by value at stake × P(late)) — the orders waiting
 * per stage, lead times per stage by month, late rate by customer state on the map, the worst routes.
 */
import type { AlertRow, BacktestAnswer, BacktestRule, DeliveryPerformance, LeadTimes, OpenAlerts, OpenOrdersByStage } from '../../read/types.js';
import { loadBrazilMap } from '../charts.js';
import { gradeBadge, h, orderLink, table } from '../dom.js';
import { brl, date, daysFromMs, dateTime, dateTimeShort, dec1, tipText, int, pct } from '../format.js';
import { appliedNote, withQuery } from '../filters.js';
import { chartBox, grid, intParam, load, pageHeader, pager, panel } from '../page.js';
import type { PageContext, PageDef } from '../page.js';
import { RISK_STAGE_LABEL, RULE_LABEL, STAGE_LABEL, filterParams, label, tier } from './shared.js';

const QUEUE_PAGE = 25;
/** How long a row that just arrived stays highlighted. */
const FRESH_MS = 4000;

export const monitorPage: PageDef = {
  title: 'Delivery monitor',
  nav: '/monitor',
  filters: true,
  async render(ctx) {
    ctx.root.append(
      pageHeader(
        'Delivery monitor',
        'Open alerts ranked by priority, updated live as the stream raises and resolves them: the overdue ones (order value × grade weight × days overdue), and beside them the orders likely to be late (order value × grade weight × P(late)).',
      ),
    );
    const top = grid(ctx.root);
    const queue = panel(top, 'Overdue queue', { wide: true });
    const announcer = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
    queue.section.append(announcer);
    const risk = panel(top, 'At-risk queue: likely to be late', { wide: true });
    const riskAnnouncer = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
    risk.section.append(riskAnnouncer);
    const open = panel(top, 'Open orders by stage');
    const map = panel(top, 'Late deliveries by customer state');
    const lead = panel(top, 'Lead time per stage by month (days)', { wide: true });
    const routes = panel(top, 'Worst routes (seller state → customer state)', { wide: true });
    const tested = panel(top, 'The rules on history: what each would have caught', { wide: true });

    await Promise.all([
      alertQueue(ctx, queue.body, announcer, OVERDUE_QUEUE),
      alertQueue(ctx, risk.body, riskAnnouncer, RISK_QUEUE),
      load(ctx, open.body, async () => {
        const data = await ctx.get<OpenOrdersByStage>('/api/open-orders', filterParams(ctx.filters));
        open.body.replaceChildren(
          table([
            { label: 'Waiting for', cell: (s) => label(STAGE_LABEL, s.stage) },
            { label: 'Orders', cell: (s) => int(s.orders), numeric: true },
            { label: 'Value', cell: (s) => brl(s.valueCents), numeric: true },
            { label: 'Median age (d)', cell: (s) => dec1(s.medianAgeDays), numeric: true },
            { label: 'Oldest (d)', cell: (s) => dec1(s.maxAgeDays), numeric: true },
          ], data.stages, { caption: 'Open orders by the stage they wait for', empty: 'No open orders.' }),
          appliedNote(ctx.filters, data) ?? '',
        );
      }),
      deliveryPanels(ctx, map.body, routes.body),
      load(ctx, tested.body, async () => backtestPanel(tested.body, await ctx.get<BacktestAnswer>('/api/backtest', {}))),
      load(ctx, lead.body, async () => {
        const data = await ctx.get<LeadTimes>('/api/lead-times', filterParams(ctx.filters));
        const months = [...new Set(data.rows.map((r) => r.month))].sort();
        const stages = [...new Set(data.rows.map((r) => r.stage))];
        const box = chartBox();
        box.setAttribute('aria-label', `Mean days per stage (${stages.join(', ')}) by purchase month`);
        lead.body.replaceChildren(box);
        if (data.rows.length === 0) lead.body.append(h('p', { class: 'empty' }, 'No delivered orders yet.'));
        ctx.chart(box, {
          legend: { bottom: 0 },
          tooltip: { trigger: 'axis', valueFormatter: (v) => `${dec1(Number(v))} d` },
          xAxis: { type: 'category', data: months },
          yAxis: { type: 'value', name: 'days' },
          series: stages.map((stage) => {
            const byMonth = new Map(data.rows.filter((r) => r.stage === stage).map((r) => [r.month, r.meanDays]));
            return { type: 'line' as const, name: label(STAGE_LABEL, stage), data: months.map((m) => byMonth.get(m) ?? null), connectNulls: false, showSymbol: false };
          }),
        });
      }),
    ]);
  },
};

type QueueRow = AlertRow & { readonly rank: number };

interface Queue {
  readonly kind: 'overdue' | 'risk';
  /** The address parameter its pages go by. */
  readonly offsetParam: string;
  readonly columns: readonly Column[];
  readonly summary: (data: OpenAlerts) => string;
  readonly caption: string;
  readonly empty: string;
}

async function alertQueue(ctx: PageContext, body: HTMLElement, announcer: HTMLElement, queue: Queue): Promise<void> {
  const offset = intParam(ctx.query, queue.offsetParam, 0);
  let shown = new Set<string>();
  let first = true;
  const changed = new Set<string>();

  const refresh = (): Promise<void> =>
    load(ctx, body, async () => {
      const data = await ctx.get<OpenAlerts>('/api/alerts', {
        kind: queue.kind,
        customerState: ctx.filters.state,
        category: ctx.filters.category,
        grade: ctx.filters.grade,
        limit: QUEUE_PAGE,
        offset: ctx.query.get(queue.offsetParam),
      });
      const fresh = new Set(data.alerts.filter((a) => !first && (!shown.has(a.alertId) || changed.has(a.alertId))).map((a) => a.alertId));
      shown = new Set(data.alerts.map((a) => a.alertId));
      changed.clear();
      if (fresh.size > 0) announcer.textContent = `${fresh.size} alert${fresh.size === 1 ? '' : 's'} new or changed in the ${queue.kind === 'risk' ? 'at-risk' : 'overdue'} queue.`;
      first = false;
      body.replaceChildren(
        h('p', { class: 'summary' }, queue.summary(data)),
        table(queue.columns, data.alerts, {
          caption: queue.caption,
          empty: queue.empty,
          rowAttrs: (a) => ({ class: fresh.has(a.alertId) ? 'fresh' : null, 'data-alert': a.alertId }),
        }),
        pager(data.total, offset, QUEUE_PAGE, data.alerts.length, queue.offsetParam) ?? '',
        appliedNote(ctx.filters, data) ?? '',
      );
      if (fresh.size > 0) {
        window.setTimeout(() => {
          for (const row of body.querySelectorAll('tr.fresh')) row.classList.remove('fresh');
        }, FRESH_MS);
      }
    }, { quiet: !first });

  // Changes arrive in bursts: one refetch of the page of the queue per second at most.
  let pending: number | undefined;
  ctx.onLive('alert', (change) => {
    if ((change.rule === 'delivery_at_risk') !== (queue.kind === 'risk')) return;
    changed.add(change.alertId);
    if (pending !== undefined) return;
    pending = window.setTimeout(() => {
      pending = undefined;
      void refresh();
    }, 1000);
  });
  ctx.onLeave(() => window.clearTimeout(pending));
  await refresh();
}

type Column = { readonly label: string; readonly cell: (a: QueueRow) => Node | string; readonly numeric?: boolean };
const overdueColumns: readonly Column[] = [
  { label: 'Rank', cell: (a: QueueRow) => int(a.rank), numeric: true },
  { label: 'Tier', cell: (a: QueueRow) => { const t = tier(a.rank); return h('span', { class: `tier ${t.className}` }, t.name); } },
  { label: 'Order', cell: (a: QueueRow) => orderLink(a.orderId) },
  { label: 'Rule', cell: (a: QueueRow) => label(RULE_LABEL, a.rule) },
  { label: 'Stage', cell: (a: QueueRow) => label(STAGE_LABEL, a.stage) },
  { label: 'State', cell: (a: QueueRow) => (a.state === 'escalated' ? h('span', { class: 'escalated' }, 'escalated') : a.state) },
  { label: 'Days overdue', cell: (a: QueueRow) => daysFromMs(a.overdueMs), numeric: true },
  { label: 'Value', cell: (a: QueueRow) => brl(a.orderValueCents), numeric: true },
  { label: 'Grade', cell: (a: QueueRow) => gradeBadge(a.grade) },
  { label: 'Customer', cell: (a: QueueRow) => a.customerState ?? '—' },
  { label: 'Category', cell: (a: QueueRow) => a.category ?? '—' },
  { label: 'Opened', cell: (a: QueueRow) => h('time', { datetime: a.openedAt, title: dateTime(a.openedAt) }, dateTimeShort(a.openedAt)) },
];

/** The local (Brazil) day of an instant. */
const dateOf = (iso: string | null): Node | string => (iso === null ? '—' : h('time', { datetime: iso, title: dateTime(iso) }, date(iso)));
/** The estimated day itself: the deadline is the first instant after it. */
const estimatedDay = (deadline: string): Node | string => dateOf(new Date(Date.parse(deadline) - 1).toISOString());

const riskColumns: readonly Column[] = [
  { label: 'Rank', cell: (a: QueueRow) => int(a.rank), numeric: true },
  { label: 'Order', cell: (a: QueueRow) => orderLink(a.orderId) },
  { label: 'P(late)', cell: (a: QueueRow) => (a.probability === null ? '—' : pct(a.probability)), numeric: true },
  { label: 'Now', cell: (a: QueueRow) => label(RISK_STAGE_LABEL, a.riskStage) },
  { label: 'Expected', cell: (a: QueueRow) => dateOf(a.expectedDeliveryAt) },
  { label: 'Estimated day', cell: (a: QueueRow) => estimatedDay(a.deadline) },
  { label: 'Value', cell: (a: QueueRow) => brl(a.orderValueCents), numeric: true },
  { label: 'Grade', cell: (a: QueueRow) => gradeBadge(a.grade) },
  { label: 'Customer', cell: (a: QueueRow) => a.customerState ?? '—' },
  { label: 'Flagged', cell: (a: QueueRow) => h('time', { datetime: a.openedAt, title: dateTime(a.openedAt) }, dateTimeShort(a.openedAt)) },
];

const OVERDUE_QUEUE: Queue = {
  kind: 'overdue',
  offsetParam: 'offset',
  columns: overdueColumns,
  summary: (data) => `${int(data.total)} open alerts, ${brl(data.valueAtRiskCents)} of order value at risk.`,
  caption: 'Open overdue alerts, highest priority first',
  empty: 'No open alerts match the filters.',
};

const RISK_QUEUE: Queue = {
  kind: 'risk',
  offsetParam: 'riskOffset',
  columns: riskColumns,
  summary: (data) => `${int(data.total)} orders on their way likely to be late, ${brl(data.valueAtRiskCents)} of order value; what can still be saved.`,
  caption: 'Orders likely to be late, highest value at stake × P(late) first',
  empty: 'No order on its way is at risk (the risk rule learns from the batch layer: none before its first run).',
};

async function deliveryPanels(ctx: PageContext, mapBody: HTMLElement, routesBody: HTMLElement): Promise<void> {
  let data: DeliveryPerformance | null = null;
  const fetched = ctx.get<DeliveryPerformance>('/api/delivery', filterParams(ctx.filters)).then((d) => (data = d));
  await Promise.all([
    load(ctx, mapBody, async () => {
      await Promise.all([loadBrazilMap(), fetched]);
      if (!data) return;
      const states = data.states;
      const box = chartBox('map');
      box.setAttribute('aria-label', 'Map of Brazil: share of late deliveries per customer state');
      const max = Math.max(0.01, ...states.map((s) => s.lateRate));
      mapBody.replaceChildren(box, h('p', { class: 'note' }, `Click a state to filter by it. Overall: ${pct(data.totals.lateRate)} late of ${int(data.totals.deliveredOrders)} delivered.`));
      const chart = ctx.chart(box, {
        tooltip: {
          trigger: 'item',
          formatter: (p) => {
            const item = Array.isArray(p) ? p[0] : p;
            const name = String(item?.name ?? '');
            const s = states.find((x) => x.state === name);
            return s ? `${tipText(name)}: ${pct(s.lateRate)} late\n${int(s.lateOrders)} of ${int(s.deliveredOrders)} delivered` : `${tipText(name)}: no deliveries`;
          },
        },
        visualMap: { type: 'continuous', min: 0, max, left: 0, bottom: 0, text: [pct(max), pct(0)], calculable: false, formatter: (value: unknown) => pct(Number(value)), inRange: { color: ['#fff5eb', '#fd8d3c', '#a63603'] } },
        series: [{
          type: 'map',
          map: 'BR',
          roam: false,
          selectedMode: false,
          emphasis: { label: { show: true } },
          data: states.map((s) => ({ name: s.state, value: s.lateRate })),
        }],
      });
      chart.on('click', (params) => {
        if (typeof params.name === 'string' && params.name) ctx.navigate(withQuery({ state: params.name, offset: null }));
      });
    }),
    load(ctx, routesBody, async () => {
      await fetched;
      if (!data) return;
      routesBody.replaceChildren(
        table([
          { label: 'Seller state', cell: (r) => r.sellerState },
          { label: 'Customer state', cell: (r) => r.customerState },
          { label: 'Delivered', cell: (r) => int(r.deliveredOrders), numeric: true },
          { label: 'Late', cell: (r) => int(r.lateOrders), numeric: true },
          { label: 'Late rate', cell: (r) => pct(r.lateRate), numeric: true },
          { label: 'Mean days late', cell: (r) => dec1(r.meanDaysLate), numeric: true },
        ], data.routes.slice(0, 15), { caption: 'Routes with the most late deliveries', empty: 'No late deliveries.' }),
        appliedNote(ctx.filters, data) ?? '',
      );
    }),
  ]);
}

const RULE_NAME: Readonly<Record<string, string>> = {
  ...RULE_LABEL,
  'deadline rules (any)': 'Deadline rules (any)',
  'baseline: late seller handoff': 'Baseline: late seller handoff',
};
const days = (d: number | null): string => (d === null ? '—' : `${dec1(d)} d`);
const threeDecimals = new Intl.NumberFormat('pt-BR', { minimumFractionDigits: 3, maximumFractionDigits: 3 });
const auc = (x: number | null): string => (x === null ? '—' : threeDecimals.format(x));

/** The backtest: every rule replayed on the data's history, and the risk rule's threshold sweep. */
function backtestPanel(body: HTMLElement, data: BacktestAnswer): void {
  if (!data.available) {
    body.replaceChildren(h('p', { class: 'empty' }, `No backtest: ${data.reason}.`));
    return;
  }
  const early = `Caught ≥ ${data.earlyDays} d early`;
  const ruleColumns = [
    { label: 'Rule', cell: (r: BacktestRule) => RULE_NAME[r.rule] ?? r.rule },
    { label: 'Alerts', cell: (r: BacktestRule) => int(r.alerts), numeric: true },
    { label: 'Precision', cell: (r: BacktestRule) => pct(r.precision), numeric: true },
    { label: 'Recall', cell: (r: BacktestRule) => pct(r.recall), numeric: true },
    { label: early, cell: (r: BacktestRule) => pct(r.recallEarly), numeric: true },
    { label: 'Warning p50', cell: (r: BacktestRule) => days(r.warningMedianDays), numeric: true },
    { label: 'Warning p10', cell: (r: BacktestRule) => days(r.warningP10Days), numeric: true },
  ];
  type Swept = BacktestRule & { readonly threshold: number };
  const sweepColumns = [
    { label: 'P(late) ≥', cell: (r: Swept) => (r.threshold === data.riskThreshold ? h('strong', null, dec1(r.threshold * 100) + ' %') : `${dec1(r.threshold * 100)} %`), numeric: true },
    { label: 'Alerts', cell: (r: Swept) => int(r.alerts), numeric: true },
    { label: 'Precision', cell: (r: Swept) => pct(r.precision), numeric: true },
    { label: early, cell: (r: Swept) => pct(r.recallEarly), numeric: true },
    { label: 'Warning p50', cell: (r: Swept) => days(r.warningMedianDays), numeric: true },
  ];
  body.replaceChildren(
    h(
      'p',
      { class: 'summary' },
      `Trained on ${int(data.trainingOrders)} orders delivered before ${date(data.trainUntil)}; tested on the ${int(data.testOrders)} placed from then on: ` +
        `${int(data.judgedOrders)} delivered, ${int(data.lateOrders)} late (${pct(data.baseLateRate)}).`,
    ),
    table(ruleColumns, data.rules, { caption: 'Each rule judged on the delivered orders of the test period', empty: 'No rule to judge.' }),
    h('p', { class: 'note' }, `ROC AUC of P(late): ${auc(data.aucAtApproval)} at approval, ${auc(data.aucAtHandoff)} at carrier handoff; a late seller handoff as the only predictor: ${auc(data.handoffBaselineAuc)}.`),
    table(sweepColumns, data.sweep, { caption: 'delivery_at_risk by threshold (the stream runs the one in bold)', empty: 'No threshold swept.' }),
  );
}
