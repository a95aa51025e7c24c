import type { EpochMillis, LocalDate } from '../data/index.js';
import { endOfLocalDay } from '../data/index.js';
import type { OrderLifecycleEvent } from '../events/index.js';
import type { OrderFacts, StageRule } from './types.js';
import { HOUR_MS, RULES } from './types.js';

/**
 * What the speed layer remembers of one order, built from its lifecycle events in any arrival order.
 * Every step is recorded with its event time; a step's event arriving before an earlier step's (a
 * handoff before the approval, even a delivery before the placement) is fine. A repeated `eventId` is
 * a duplicate and changes nothing.
 */
export interface OrderState {
  readonly orderId: string;
  /** Event ids applied so far (at most one per step), for de-duplication. */
  readonly seenEventIds: Set<string>;
  /** Null until OrderPlaced has arrived. */
  placedAt: EpochMillis | null;
  orderValueCents: number;
  productIds: readonly string[];
  sellerIds: readonly string[];
  /** Earliest shipping_limit of the items; null without items. */
  shippingLimitAt: EpochMillis | null;
  estimatedDeliveryDate: LocalDate | null;
  /** The customer's state (from OrderPlaced): the destination of the order's route. */
  customerState: string | null;
  /** endOfLocalDay(estimatedDeliveryDate): delivered before it is on time. */
  deliveryDeadline: EpochMillis | null;
  approvedAt: EpochMillis | null;
  handedToCarrierAt: EpochMillis | null;
  deliveredAt: EpochMillis | null;
  canceledAt: EpochMillis | null;
  /** The first event time seen for the order. */
  firstSeenAt: EpochMillis;
}

export function newOrderState(orderId: string, firstSeenAt: EpochMillis): OrderState {
  return {
    orderId,
    seenEventIds: new Set(),
    placedAt: null,
    orderValueCents: 0,
    productIds: [],
    sellerIds: [],
    shippingLimitAt: null,
    estimatedDeliveryDate: null,
    customerState: null,
    deliveryDeadline: null,
    approvedAt: null,
    handedToCarrierAt: null,
    deliveredAt: null,
    canceledAt: null,
    firstSeenAt,
  };
}

function earliest(current: EpochMillis | null, at: EpochMillis): EpochMillis {
  return current === null || at < current ? at : current;
}

/** Applies one event. Returns false (and changes nothing) for a duplicate `eventId`. */
export function applyOrderEvent(state: OrderState, event: OrderLifecycleEvent): boolean {
  if (state.seenEventIds.has(event.eventId)) return false;
  state.seenEventIds.add(event.eventId);
  if (event.eventTime < state.firstSeenAt) state.firstSeenAt = event.eventTime;
  switch (event.type) {
    case 'OrderPlaced': {
      state.placedAt = earliest(state.placedAt, event.eventTime);
      let value = 0;
      let limit: EpochMillis | null = null;
      for (const item of event.items) {
        value += item.priceCents + item.freightCents;
        limit = earliest(limit, item.shippingLimitAt);
      }
      state.orderValueCents = value;
      state.shippingLimitAt = limit;
      state.productIds = [...new Set(event.items.map((i) => i.productId))];
      state.sellerIds = [...new Set(event.items.map((i) => i.sellerId))];
      state.estimatedDeliveryDate = event.estimatedDeliveryDate;
      state.customerState = event.customer.state;
      state.deliveryDeadline = endOfLocalDay(event.estimatedDeliveryDate);
      break;
    }
    case 'PaymentApproved':
      state.approvedAt = earliest(state.approvedAt, event.eventTime);
      break;
    case 'OrderHandedToCarrier':
      state.handedToCarrierAt = earliest(state.handedToCarrierAt, event.eventTime);
      break;
    case 'OrderDelivered':
      state.deliveredAt = earliest(state.deliveredAt, event.eventTime);
      break;
    case 'OrderCanceled':
      state.canceledAt = earliest(state.canceledAt, event.eventTime);
      break;
  }
  return true;
}

/** The stated deadline of a stage, or null when it has none (not placed yet; handoff of an order without items). */
export function stageDeadline(state: OrderState, rule: StageRule, approvalHours: number): EpochMillis | null {
  if (state.placedAt === null) return null;
  switch (rule) {
    case RULES.approvalOverdue:
      return state.placedAt + approvalHours * HOUR_MS;
    case RULES.handoffOverdue:
      return state.shippingLimitAt;
    case RULES.deliveryOverdue:
      return state.deliveryDeadline;
  }
}

/**
 * The first instant at which the stage counts as overdue. Approval and handoff are due "by" their
 * deadline (on it is on time); delivery's deadline is already the first instant of the next local day.
 */
export function overdueFrom(rule: StageRule, deadline: EpochMillis): EpochMillis {
  return rule === RULES.deliveryOverdue ? deadline : deadline + 1;
}

function minTime(...times: readonly (EpochMillis | null)[]): EpochMillis | null {
  let best: EpochMillis | null = null;
  for (const t of times) if (t !== null) best = earliest(best, t);
  return best;
}

/**
 * When the awaited step happened, or null while it has not. A later step implies the earlier ones:
 * goods handed to the carrier or delivered are past payment approval, whatever order the events came in.
 */
export function stageSatisfiedAt(state: OrderState, rule: StageRule): EpochMillis | null {
  switch (rule) {
    case RULES.approvalOverdue:
      return minTime(state.approvedAt, state.handedToCarrierAt, state.deliveredAt);
    case RULES.handoffOverdue:
      return minTime(state.handedToCarrierAt, state.deliveredAt);
    case RULES.deliveryOverdue:
      return state.deliveredAt;
  }
}

/** When the order finished (delivered or canceled, whichever came first), or null. */
export function finishedAt(state: OrderState): EpochMillis | null {
  return minTime(state.deliveredAt, state.canceledAt);
}

export function orderFacts(state: OrderState): OrderFacts {
  return {
    orderId: state.orderId,
    productIds: state.productIds,
    sellerIds: state.sellerIds,
    orderValueCents: state.orderValueCents,
    estimatedDeliveryDate: state.estimatedDeliveryDate ?? '',
  };
}
