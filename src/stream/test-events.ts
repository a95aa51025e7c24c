import type { OrderLifecycleEvent, OrderPlaced } from '../events/index.js';

/** Small hand-made order events for the speed layer's tests. */
export const H = 3_600_000;
export const T0 = Date.UTC(2018, 0, 10, 12);

export function placed(orderId: string, at = T0, estimated = '2018-01-20'): OrderPlaced {
  return {
    type: 'OrderPlaced',
    eventId: `${orderId}-placed`,
    eventTime: at,
    orderId,
    customer: { customerId: 'c', customerUniqueId: 'u', zipCodePrefix: '01000', city: 'sao paulo', state: 'SP' },
    items: [
      { orderItemId: 1, productId: 'p1', sellerId: 's1', shippingLimitAt: at + 72 * H, priceCents: 10_000, freightCents: 1_500 },
      { orderItemId: 2, productId: 'p2', sellerId: 's1', shippingLimitAt: at + 48 * H, priceCents: 5_000, freightCents: 500 },
    ],
    payments: [],
    estimatedDeliveryDate: estimated,
  };
}

export function step(
  type: 'PaymentApproved' | 'OrderHandedToCarrier' | 'OrderDelivered',
  orderId: string,
  at: number,
): OrderLifecycleEvent {
  return { type, eventId: `${orderId}-${type}`, eventTime: at, orderId };
}
