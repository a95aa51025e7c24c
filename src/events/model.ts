import type {
  BrazilState,
  EpochMillis,
  LocalDate,
  PaymentType,
} from '../data/index.js';

/**
 * The events a live marketplace emits, as OrderPulse's code sees them (camelCase, typed). The Avro
 * records on the wire (`schemas/*.avsc`, snake_case) are converted to and from these in `codec.ts`.
 *
 * Every event has a deterministic `eventId` (the same dataset always yields the same ids, so a
 * downstream consumer can drop duplicates), a `key` that places it on a partition (the order id for
 * every order event) and an `eventTime`, the instant it happened.
 */

export const TOPICS = {
  orders: 'orders',
  reviews: 'reviews',
  products: 'products',
  sellers: 'sellers',
  customers: 'customers',
} as const;
export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];
export const TOPIC_NAMES: readonly TopicName[] = Object.values(TOPICS);

export const EVENT_TYPES = [
  'OrderPlaced',
  'PaymentApproved',
  'OrderHandedToCarrier',
  'OrderDelivered',
  'OrderCanceled',
  'ReviewAnswered',
  'ProductUpserted',
  'SellerUpserted',
  'CustomerUpserted',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

interface EventBase {
  readonly eventId: string;
  readonly eventTime: EpochMillis;
}

export interface OrderLine {
  readonly orderItemId: number;
  readonly productId: string;
  readonly sellerId: string;
  readonly shippingLimitAt: EpochMillis;
  readonly priceCents: number;
  readonly freightCents: number;
}

export interface OrderPaymentLine {
  readonly paymentSequential: number;
  readonly paymentType: PaymentType;
  readonly paymentInstallments: number;
  readonly paymentValueCents: number;
}

export interface OrderCustomer {
  readonly customerId: string;
  readonly customerUniqueId: string;
  readonly zipCodePrefix: string;
  readonly city: string;
  readonly state: BrazilState;
}

export interface OrderPlaced extends EventBase {
  readonly type: 'OrderPlaced';
  readonly orderId: string;
  readonly customer: OrderCustomer;
  readonly items: readonly OrderLine[];
  readonly payments: readonly OrderPaymentLine[];
  readonly estimatedDeliveryDate: LocalDate;
}

export interface PaymentApproved extends EventBase {
  readonly type: 'PaymentApproved';
  readonly orderId: string;
}

export interface OrderHandedToCarrier extends EventBase {
  readonly type: 'OrderHandedToCarrier';
  readonly orderId: string;
}

export interface OrderDelivered extends EventBase {
  readonly type: 'OrderDelivered';
  readonly orderId: string;
}

export const CANCEL_REASONS = ['canceled', 'unavailable'] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];

export interface OrderCanceled extends EventBase {
  readonly type: 'OrderCanceled';
  readonly orderId: string;
  readonly reason: CancelReason;
  /** Olist has no cancellation time; true when `eventTime` comes from OrderPulse's inference rule. */
  readonly timeInferred: boolean;
}

export interface ReviewAnswered extends EventBase {
  readonly type: 'ReviewAnswered';
  readonly orderId: string;
  readonly reviewId: string;
  readonly score: number;
  readonly commentTitle: string | null;
  readonly commentMessage: string | null;
  readonly createdDate: LocalDate;
}

export interface ProductUpserted extends EventBase {
  readonly type: 'ProductUpserted';
  readonly productId: string;
  readonly categoryName: string | null;
  readonly categoryNameEnglish: string | null;
  readonly nameLength: number | null;
  readonly descriptionLength: number | null;
  readonly photosQty: number | null;
  readonly weightG: number | null;
  readonly lengthCm: number | null;
  readonly heightCm: number | null;
  readonly widthCm: number | null;
}

export interface SellerUpserted extends EventBase {
  readonly type: 'SellerUpserted';
  readonly sellerId: string;
  readonly zipCodePrefix: string;
  readonly city: string;
  readonly state: string;
}

export interface CustomerUpserted extends EventBase {
  readonly type: 'CustomerUpserted';
  readonly customerId: string;
  readonly customerUniqueId: string;
  readonly zipCodePrefix: string;
  readonly city: string;
  readonly state: string;
}

export type OrderLifecycleEvent =
  | OrderPlaced
  | PaymentApproved
  | OrderHandedToCarrier
  | OrderDelivered
  | OrderCanceled;

export type MarketplaceEvent =
  | OrderLifecycleEvent
  | ReviewAnswered
  | ProductUpserted
  | SellerUpserted
  | CustomerUpserted;

/** Which topic carries an event type. */
export const TOPIC_OF: { readonly [T in EventType]: TopicName } = {
  OrderPlaced: 'orders',
  PaymentApproved: 'orders',
  OrderHandedToCarrier: 'orders',
  OrderDelivered: 'orders',
  OrderCanceled: 'orders',
  ReviewAnswered: 'reviews',
  ProductUpserted: 'products',
  SellerUpserted: 'sellers',
  CustomerUpserted: 'customers',
};

/** The partitioning key of an event: the order for order events, the entity for reference data. */
export function eventKey(event: MarketplaceEvent): string {
  switch (event.type) {
    case 'ProductUpserted':
      return event.productId;
    case 'SellerUpserted':
      return event.sellerId;
    case 'CustomerUpserted':
      return event.customerId;
    default:
      return event.orderId;
  }
}
