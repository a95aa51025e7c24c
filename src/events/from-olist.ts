import { hash } from 'node:crypto';
import type { OlistDataset, Order } from '../data/index.js';
import type {
  CustomerUpserted,
  EventType,
  MarketplaceEvent,
  OrderCanceled,
  OrderLine,
  OrderPaymentLine,
  OrderPlaced,
  ProductUpserted,
  SellerUpserted,
} from './model.js';
import { eventKey } from './model.js';

/**
 * Olist records no time for a cancellation. OrderPulse places it one second after the latest time
 * the order does record (purchase, approval, carrier handoff or delivery): the cancellation cannot
 * have come before a recorded step, and placing it as early as the data allows never invents
 * an overdue stage the data does not show.
 */
export const INFERRED_CANCEL_DELAY_MS = 1_000;

/**
 * Within one instant, events go in the order a marketplace would emit them: reference data first,
 * then the order's steps in their natural sequence, reviews last.
 */
const RANK: { readonly [T in EventType]: number } = {
  CustomerUpserted: 0,
  SellerUpserted: 1,
  ProductUpserted: 2,
  OrderPlaced: 3,
  PaymentApproved: 4,
  OrderHandedToCarrier: 5,
  OrderDelivered: 6,
  OrderCanceled: 7,
  ReviewAnswered: 8,
};

/** Deterministic event id: the same event of the same dataset always gets the same 32-hex id. */
export function eventIdOf(type: EventType, ...naturalKey: readonly string[]): string {
  return hash('sha256', `${type}:${naturalKey.join(':')}`, 'hex').slice(0, 32);
}

/** A tie-break that makes the event order total, hence the replay deterministic. */
function tieBreak(event: MarketplaceEvent): string {
  return event.type === 'ReviewAnswered' ? `${event.orderId}:${event.reviewId}` : eventKey(event);
}

export function compareEvents(a: MarketplaceEvent, b: MarketplaceEvent): number {
  if (a.eventTime !== b.eventTime) return a.eventTime - b.eventTime;
  const rank = RANK[a.type] - RANK[b.type];
  if (rank !== 0) return rank;
  const ka = tieBreak(a);
  const kb = tieBreak(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function inferredCancelTime(order: Order): number {
  let latest = order.purchasedAt;
  for (const t of [order.approvedAt, order.deliveredToCarrierAt, order.deliveredToCustomerAt]) {
    if (t !== null && t > latest) latest = t;
  }
  return latest + INFERRED_CANCEL_DELAY_MS;
}

/**
 * Turns the Olist tables into the stream a live marketplace would have emitted, in event-time order:
 * - the order's customer, and each seller and product the first time an order names them, at that
 *   order's purchase time (reference data arrives just before the order that needs it);
 * - OrderPlaced at purchase, with its items (and their seller deadlines), payments and the
 *   estimated delivery date; PaymentApproved, OrderHandedToCarrier and OrderDelivered at their
 *   recorded times, when recorded;
 * - OrderCanceled for canceled and unavailable orders, at the inferred time above;
 * - ReviewAnswered at the review's answer time.
 */
export function olistEvents(dataset: OlistDataset): MarketplaceEvent[] {
  const customers = new Map(dataset.customers.map((c) => [c.customerId, c]));
  const products = new Map(dataset.products.map((p) => [p.productId, p]));
  const sellers = new Map(dataset.sellers.map((s) => [s.sellerId, s]));
  const english = new Map(dataset.categories.map((c) => [c.categoryName, c.categoryNameEnglish]));

  const linesByOrder = new Map<string, OrderLine[]>();
  for (const item of dataset.items) {
    let lines = linesByOrder.get(item.orderId);
    if (lines === undefined) linesByOrder.set(item.orderId, (lines = []));
    lines.push({
      orderItemId: item.orderItemId,
      productId: item.productId,
      sellerId: item.sellerId,
      shippingLimitAt: item.shippingLimitAt,
      priceCents: item.priceCents,
      freightCents: item.freightCents,
    });
  }
  const paymentsByOrder = new Map<string, OrderPaymentLine[]>();
  for (const payment of dataset.payments) {
    let lines = paymentsByOrder.get(payment.orderId);
    if (lines === undefined) paymentsByOrder.set(payment.orderId, (lines = []));
    lines.push({
      paymentSequential: payment.paymentSequential,
      paymentType: payment.paymentType,
      paymentInstallments: payment.paymentInstallments,
      paymentValueCents: payment.paymentValueCents,
    });
  }

  // First reference of each product and seller, by the order that references it first.
  const firstUse = new Map<string, number>();
  const noteFirstUse = (id: string, at: number): void => {
    const seen = firstUse.get(id);
    if (seen === undefined || at < seen) firstUse.set(id, at);
  };

  const events: MarketplaceEvent[] = [];
  const customersSent = new Set<string>();
  for (const order of dataset.orders) {
    const customer = customers.get(order.customerId);
    // The loader quarantines orders whose customer is unknown, so this holds for a loaded dataset.
    if (customer === undefined) throw new Error(`order ${order.orderId} names unknown customer ${order.customerId}`);
    const items = (linesByOrder.get(order.orderId) ?? []).sort((a, b) => a.orderItemId - b.orderItemId);
    const payments = (paymentsByOrder.get(order.orderId) ?? []).sort(
      (a, b) => a.paymentSequential - b.paymentSequential,
    );
    for (const item of items) {
      noteFirstUse(`p:${item.productId}`, order.purchasedAt);
      noteFirstUse(`s:${item.sellerId}`, order.purchasedAt);
    }
    const customerEvent: CustomerUpserted = {
      type: 'CustomerUpserted',
      eventId: eventIdOf('CustomerUpserted', customer.customerId),
      eventTime: order.purchasedAt,
      customerId: customer.customerId,
      customerUniqueId: customer.customerUniqueId,
      zipCodePrefix: customer.zipCodePrefix,
      city: customer.city,
      state: customer.state,
    };
    const placed: OrderPlaced = {
      type: 'OrderPlaced',
      eventId: eventIdOf('OrderPlaced', order.orderId),
      eventTime: order.purchasedAt,
      orderId: order.orderId,
      customer: {
        customerId: customer.customerId,
        customerUniqueId: customer.customerUniqueId,
        zipCodePrefix: customer.zipCodePrefix,
        city: customer.city,
        state: customer.state,
      },
      items,
      payments,
      estimatedDeliveryDate: order.estimatedDeliveryDate,
    };
    // Olist gives each order its own customer_id; a dataset that reuses one sends it once.
    if (!customersSent.has(customer.customerId)) {
      customersSent.add(customer.customerId);
      events.push(customerEvent);
    }
    events.push(placed);
    const orderId = order.orderId;
    if (order.approvedAt !== null) {
      events.push({ type: 'PaymentApproved', eventId: eventIdOf('PaymentApproved', orderId), eventTime: order.approvedAt, orderId });
    }
    if (order.deliveredToCarrierAt !== null) {
      events.push({
        type: 'OrderHandedToCarrier',
        eventId: eventIdOf('OrderHandedToCarrier', orderId),
        eventTime: order.deliveredToCarrierAt,
        orderId,
      });
    }
    if (order.deliveredToCustomerAt !== null) {
      events.push({
        type: 'OrderDelivered',
        eventId: eventIdOf('OrderDelivered', orderId),
        eventTime: order.deliveredToCustomerAt,
        orderId,
      });
    }
    if (order.status === 'canceled' || order.status === 'unavailable') {
      const canceled: OrderCanceled = {
        type: 'OrderCanceled',
        eventId: eventIdOf('OrderCanceled', orderId),
        eventTime: inferredCancelTime(order),
        orderId,
        reason: order.status,
        timeInferred: true,
      };
      events.push(canceled);
    }
  }

  for (const [ref, at] of firstUse) {
    const id = ref.slice(2);
    if (ref.startsWith('p:')) {
      const product = products.get(id);
      if (product === undefined) continue;
      const upsert: ProductUpserted = {
        type: 'ProductUpserted',
        eventId: eventIdOf('ProductUpserted', id),
        eventTime: at,
        productId: id,
        categoryName: product.categoryName,
        categoryNameEnglish:
          product.categoryName === null ? null : (english.get(product.categoryName) ?? product.categoryName),
        nameLength: product.nameLength,
        descriptionLength: product.descriptionLength,
        photosQty: product.photosQty,
        weightG: product.weightG,
        lengthCm: product.lengthCm,
        heightCm: product.heightCm,
        widthCm: product.widthCm,
      };
      events.push(upsert);
    } else {
      const seller = sellers.get(id);
      if (seller === undefined) continue;
      const upsert: SellerUpserted = {
        type: 'SellerUpserted',
        eventId: eventIdOf('SellerUpserted', id),
        eventTime: at,
        sellerId: id,
        zipCodePrefix: seller.zipCodePrefix,
        city: seller.city,
        state: seller.state,
      };
      events.push(upsert);
    }
  }

  for (const review of dataset.reviews) {
    events.push({
      type: 'ReviewAnswered',
      eventId: eventIdOf('ReviewAnswered', review.reviewId, review.orderId),
      eventTime: review.answeredAt,
      orderId: review.orderId,
      reviewId: review.reviewId,
      score: review.score,
      commentTitle: review.commentTitle,
      commentMessage: review.commentMessage,
      createdDate: review.createdDate,
    });
  }

  return events.sort(compareEvents);
}
