import type { OrderLifecycleEvent } from '../events/index.js';
import type { StageRule } from '../stream/index.js';
import { DEFAULT_STREAM_CONFIG, applyOrderEvent, newOrderState, overdueFrom, stageDeadline, stageSatisfiedAt } from '../stream/index.js';
import { alertChangeRow, ENRICHED } from './alerts.js';
import type { LakeSource } from './source.js';
import { snapshotsOf } from './source.js';
import { badArgument, gradeOrNull, iso, num, query, str, strOrNull, tablesOf } from './sql.js';
import { completeUpTo, taskProgress } from './status.js';
import type { OrderDeadline, OrderEvent, OrderTimeline, StageName } from './types.js';

/**
 * One order's timeline: its events as bronze holds them, its three deadlines as the stream's
 * detector computes them (the same pure helpers, fed the same events), its alert changes and its
 * items. The deadlines come from the events alone, so they exist before the batch layer has run.
 */

const LIFECYCLE: ReadonlySet<string> = new Set(['OrderPlaced', 'PaymentApproved', 'OrderHandedToCarrier', 'OrderDelivered', 'OrderCanceled']);

const STAGE_RULES: readonly (readonly [StageName, StageRule])[] = [
  ['approval', 'approval_overdue'],
  ['handoff', 'handoff_overdue'],
  ['delivery', 'delivery_overdue'],
];

/** The deadlines of an order from its lifecycle events, judged against the stream's watermark. */
export function deadlinesOf(events: readonly OrderLifecycleEvent[], approvalHours: number, watermark: number | null): OrderDeadline[] {
  const first = events[0];
  const state = newOrderState(first?.orderId ?? '', first?.eventTime ?? 0);
  for (const event of events) applyOrderEvent(state, event);
  return STAGE_RULES.map(([stage, rule]) => {
    const due = stageDeadline(state, rule, approvalHours);
    const done = stageSatisfiedAt(state, rule);
    let late = false;
    if (due !== null) {
      const overdue = overdueFrom(rule, due);
      if (done !== null) late = done >= overdue;
      // Not done: late once the watermark has passed the deadline, unless the order was canceled before it.
      else late = watermark !== null && watermark >= overdue && !(state.canceledAt !== null && state.canceledAt < overdue);
    }
    return { stage, due: due === null ? null : new Date(due).toISOString(), doneAt: done === null ? null : new Date(done).toISOString(), late };
  });
}

function parsePayload(text: unknown): unknown {
  try {
    return JSON.parse(str(text)) as unknown;
  } catch {
    return text;
  }
}

function isLifecycleEvent(payload: unknown): payload is OrderLifecycleEvent {
  return typeof payload === 'object' && payload !== null && LIFECYCLE.has(String((payload as { type?: unknown }).type)) && typeof (payload as { eventTime?: unknown }).eventTime === 'number';
}

export async function orderTimeline(source: LakeSource, orderId: string, approvalHours = DEFAULT_STREAM_CONFIG.approvalHours): Promise<OrderTimeline | null> {
  if (typeof orderId !== 'string' || orderId === '') throw badArgument('orderId', orderId, 'a non-empty string');
  const t = await tablesOf(source, ['bronze', 'alertEvents', 'openAlerts', 'orders', 'items', 'grades']);
  const all = [t.bronze, t.alertEvents, t.orders, t.items, t.grades];
  return source.memo(`order:${orderId}:${approvalHours}`, [...all, t.openAlerts], async () => {
    const [eventRows, orderRows, itemRows, alertRows] = await Promise.all([
      query(source, { bronze: t.bronze }, `SELECT event_id, event_type, event_time, topic, payload FROM bronze WHERE key = $1 ORDER BY event_time, task, processed_seq`, [orderId]),
      query(source, { orders: t.orders }, 'SELECT status, customer_state FROM orders WHERE order_id = $1', [orderId]),
      query(
        source,
        { items: t.items, grades: t.grades },
        `SELECT i.product_id, i.seller_id, i.category, g.grade, i.price_cents, i.freight_cents
         FROM items i LEFT JOIN grades g USING (product_id) WHERE i.order_id = $1 ORDER BY i.order_item_id`,
        [orderId],
      ),
      query(
        source,
        { alert_events: t.alertEvents, items: t.items, grades: t.grades, orders: t.orders },
        `WITH a AS (SELECT * FROM alert_events WHERE order_id = $1), ${ENRICHED}
         SELECT * FROM e ORDER BY processed_seq, sequence`,
        [orderId],
      ),
    ]);
    if (eventRows.length === 0 && orderRows.length === 0) return null;
    const events: OrderEvent[] = eventRows.map((r) => ({ eventId: str(r.event_id), type: str(r.event_type), eventTime: iso(r.event_time), topic: str(r.topic), payload: parsePayload(r.payload) }));
    const lifecycle = events.map((e) => e.payload).filter(isLifecycleEvent);
    const placed = [...lifecycle].reverse().find((e) => e.type === 'OrderPlaced');
    const watermark = completeUpTo(taskProgress(t.bronze, t.openAlerts, t.alertEvents));
    const order = orderRows[0];
    const items =
      itemRows.length > 0
        ? itemRows.map((r) => ({ productId: str(r.product_id), sellerId: str(r.seller_id), category: strOrNull(r.category), grade: gradeOrNull(r.grade), priceCents: num(r.price_cents), freightCents: num(r.freight_cents) }))
        : (placed?.type === 'OrderPlaced' ? placed.items : []).map((i) => ({ productId: i.productId, sellerId: i.sellerId, category: null, grade: null, priceCents: i.priceCents, freightCents: i.freightCents }));
    const statusFromEvents = (): string | null => {
      if (lifecycle.length === 0) return null;
      const has = (type: string): boolean => lifecycle.some((e) => e.type === type);
      if (has('OrderCanceled')) return 'canceled';
      if (has('OrderDelivered')) return 'delivered';
      if (has('OrderHandedToCarrier')) return 'shipped';
      if (has('PaymentApproved')) return 'approved';
      return 'created';
    };
    return {
      snapshots: snapshotsOf(all),
      applied: [],
      orderId,
      status: order === undefined ? statusFromEvents() : strOrNull(order.status),
      customerState: order === undefined ? (placed?.type === 'OrderPlaced' ? placed.customer.state : null) : strOrNull(order.customer_state),
      orderValueCents: placed?.type === 'OrderPlaced' ? placed.items.reduce((s, i) => s + i.priceCents + i.freightCents, 0) : items.length > 0 ? items.reduce((s, i) => s + i.priceCents + i.freightCents, 0) : null,
      items,
      events,
      deadlines: deadlinesOf(lifecycle, approvalHours, watermark),
      alerts: alertRows.map(alertChangeRow),
    };
  });
}
