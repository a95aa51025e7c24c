/** One order: its items, the three deadlines (done or late), every event in time order and its alerts. */
import type { OrderTimeline } from '../../read/types.js';
import { gradeBadge, h, sellerLink, table } from '../dom.js';
import { brl, dateTime, daysFromMs, int } from '../format.js';
import { grid, load, pageHeader, panel } from '../page.js';
import type { PageDef } from '../page.js';
import { RULE_LABEL, STAGE_LABEL, label } from './shared.js';

export const orderPage: PageDef = {
  title: 'Order',
  nav: null,
  filters: false,
  async render(ctx) {
    const orderId = ctx.params.orderId ?? '';
    document.title = `Order ${orderId} · OrderPulse`;
    ctx.root.append(pageHeader(`Order ${orderId}`));
    const content = h('div');
    ctx.root.append(content);
    await load(ctx, content, async () => {
      const order = await ctx.get<OrderTimeline>(`/api/orders/${encodeURIComponent(orderId)}`);
      content.replaceChildren();
      content.append(h('dl', { class: 'facts inline' },
        h('dt', null, 'Status'), h('dd', null, order.status ?? '—'),
        h('dt', null, 'Customer state'), h('dd', null, order.customerState ?? '—'),
        h('dt', null, 'Order value'), h('dd', null, brl(order.orderValueCents)),
        h('dt', null, 'Events'), h('dd', null, int(order.events.length))));

      content.append(h('ol', { class: 'deadlines', 'aria-label': 'Deadlines' }, order.deadlines.map((d) => {
        const status = d.doneAt !== null ? (d.late ? 'Done late' : 'Done on time') : d.late ? 'Overdue' : d.due === null ? 'No deadline yet' : 'Pending';
        const cls = d.late ? 'late' : d.doneAt !== null ? 'done' : 'pending';
        return h('li', { class: `deadline ${cls}` },
          h('p', { class: 'deadline-stage' }, label(STAGE_LABEL, d.stage)),
          h('p', { class: 'deadline-status' }, status),
          h('p', null, 'Due ', d.due ? h('time', { datetime: d.due }, dateTime(d.due)) : '—'),
          h('p', null, 'Done ', d.doneAt ? h('time', { datetime: d.doneAt }, dateTime(d.doneAt)) : '—'));
      })));

      const g = grid(content);
      const events = panel(g, 'Timeline');
      events.body.append(order.events.length === 0
        ? h('p', { class: 'empty' }, 'No events of this order in the log yet.')
        : h('ol', { class: 'timeline' }, order.events.map((e) =>
          h('li', null,
            h('time', { datetime: e.eventTime }, dateTime(e.eventTime)),
            h('span', { class: 'event-type' }, e.type),
            h('span', { class: 'event-topic' }, e.topic),
            h('details', { class: 'event-payload' }, h('summary', null, 'Event as logged'), h('pre', null, JSON.stringify(e.payload, null, 2)))))));

      const items = panel(g, 'Items');
      items.body.append(table([
        { label: 'Product', cell: (i) => h('span', { class: 'id', title: i.productId }, `${i.productId.slice(0, 8)}…`) },
        { label: 'Seller', cell: (i) => sellerLink(i.sellerId) },
        { label: 'Category', cell: (i) => i.category ?? '—' },
        { label: 'Grade', cell: (i) => gradeBadge(i.grade) },
        { label: 'Price', cell: (i) => brl(i.priceCents), numeric: true },
        { label: 'Freight', cell: (i) => brl(i.freightCents), numeric: true },
      ], order.items, { caption: 'Items of the order', empty: 'No items known yet.' }));

      const alerts = panel(g, 'Alerts', { wide: true });
      alerts.body.append(table([
        { label: 'Change', cell: (a) => a.change },
        { label: 'When', cell: (a) => h('time', { datetime: a.updatedAt }, dateTime(a.updatedAt)) },
        { label: 'Rule', cell: (a) => label(RULE_LABEL, a.rule) },
        { label: 'Stage', cell: (a) => label(STAGE_LABEL, a.stage) },
        { label: 'State', cell: (a) => a.state },
        { label: 'Days overdue', cell: (a) => daysFromMs(a.overdueMs), numeric: true },
        { label: 'Priority', cell: (a) => int(a.priority), numeric: true },
        { label: 'Reason', cell: (a) => a.reason },
      ], order.alerts, { caption: 'Alert changes of the order, oldest first', empty: 'No alerts for this order.' }));
    });
  },
};
