import type { BrazilState, LocalDate, PaymentType } from '../data/index.js';
import type { MarketplaceEvent, OrderLine as MarketplaceItem, OrderPaymentLine as MarketplacePayment, TopicName } from './model.js';
import { EVENT_TYPES, TOPIC_OF } from './model.js';

/**
 * Conversion between OrderPulse's typed events and the Avro records of `schemas/*.avsc`.
 * Unions are wrapped (avsc `wrapUnions: true`): a union value is `{ "<full type name>": value }`
 * or null. That keeps the payload union of several record types unambiguous.
 */

const NS = 'orderpulse.events.';
/** Union branch name (full or short) → event type, so decoding never slices a string. */
const BRANCH_TYPES: ReadonlyMap<string, string> = new Map(EVENT_TYPES.flatMap((t) => [[`${NS}${t}`, t] as const, [t, t] as const]));
const DAY_MS = 86_400_000;

/** Avro `date`: days since 1970-01-01. */
const dayCache = new Map<LocalDate, number>();
export function localDateToDays(date: LocalDate): number {
  let days = dayCache.get(date);
  if (days === undefined) {
    days = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / DAY_MS;
    // A few thousand distinct dates cover the whole dataset.
    if (dayCache.size < 100_000) dayCache.set(date, days);
  }
  return days;
}

const dateCache = new Map<number, LocalDate>();
export function daysToLocalDate(days: number): LocalDate {
  let date = dateCache.get(days);
  if (date === undefined) {
    date = new Date(days * DAY_MS).toISOString().slice(0, 10);
    if (dateCache.size < 100_000) dateCache.set(days, date);
  }
  return date;
}

type Wrapped = Record<string, unknown> | null;
const optString = (v: string | null): Wrapped => (v === null ? null : { string: v });
const optInt = (v: number | null): Wrapped => (v === null ? null : { int: v });

function unwrap<T>(value: unknown): T | null {
  if (value === null || value === undefined) return null;
  const wrapped = value as Record<string, T>;
  for (const key in wrapped) return wrapped[key] ?? null;
  return null;
}

// Branch names of the payload unions, built once: this runs for every event encoded.
const BRANCH = {
  OrderPlaced: `${NS}OrderPlaced`,
  PaymentApproved: `${NS}PaymentApproved`,
  OrderHandedToCarrier: `${NS}OrderHandedToCarrier`,
  OrderDelivered: `${NS}OrderDelivered`,
  OrderCanceled: `${NS}OrderCanceled`,
  ReviewAnswered: `${NS}ReviewAnswered`,
  ProductUpserted: `${NS}ProductUpserted`,
  SellerUpserted: `${NS}SellerUpserted`,
  CustomerUpserted: `${NS}CustomerUpserted`,
} as const;

const EMPTY = Object.freeze({});

function branch(name: string, value: unknown): Record<string, unknown> {
  const wrapped: Record<string, unknown> = {};
  wrapped[name] = value;
  return wrapped;
}

/** The Avro record of an event (the value written to its topic). */
export function toAvroRecord(event: MarketplaceEvent): Record<string, unknown> {
  switch (event.type) {
    case 'OrderPlaced': {
      const items = new Array<unknown>(event.items.length);
      for (let k = 0; k < event.items.length; k++) {
        const i = event.items[k] as MarketplaceItem;
        items[k] = {
          order_item_id: i.orderItemId,
          product_id: i.productId,
          seller_id: i.sellerId,
          shipping_limit_time: i.shippingLimitAt,
          price_cents: i.priceCents,
          freight_cents: i.freightCents,
        };
      }
      const payments = new Array<unknown>(event.payments.length);
      for (let k = 0; k < event.payments.length; k++) {
        const p = event.payments[k] as MarketplacePayment;
        payments[k] = {
          payment_sequential: p.paymentSequential,
          payment_type: p.paymentType,
          payment_installments: p.paymentInstallments,
          payment_value_cents: p.paymentValueCents,
        };
      }
      const c = event.customer;
      return {
        event_id: event.eventId,
        order_id: event.orderId,
        event_time: event.eventTime,
        payload: branch(BRANCH.OrderPlaced, {
          customer: {
            customer_id: c.customerId,
            customer_unique_id: c.customerUniqueId,
            zip_code_prefix: c.zipCodePrefix,
            city: c.city,
            state: c.state,
          },
          items,
          payments,
          estimated_delivery_date: localDateToDays(event.estimatedDeliveryDate),
        }),
      };
    }
    case 'PaymentApproved':
    case 'OrderHandedToCarrier':
    case 'OrderDelivered':
      return {
        event_id: event.eventId,
        order_id: event.orderId,
        event_time: event.eventTime,
        payload: branch(BRANCH[event.type], EMPTY),
      };
    case 'OrderCanceled':
      return {
        event_id: event.eventId,
        order_id: event.orderId,
        event_time: event.eventTime,
        payload: branch(BRANCH.OrderCanceled, { reason: event.reason, time_inferred: event.timeInferred }),
      };
    case 'ReviewAnswered':
      return {
        event_id: event.eventId,
        order_id: event.orderId,
        event_time: event.eventTime,
        payload: branch(BRANCH.ReviewAnswered, {
          review_id: event.reviewId,
          score: event.score,
          comment_title: optString(event.commentTitle),
          comment_message: optString(event.commentMessage),
          created_date: localDateToDays(event.createdDate),
        }),
      };
    case 'ProductUpserted':
      return {
        event_id: event.eventId,
        product_id: event.productId,
        event_time: event.eventTime,
        payload: branch(BRANCH.ProductUpserted, {
          category_name: optString(event.categoryName),
          category_name_english: optString(event.categoryNameEnglish),
          name_length: optInt(event.nameLength),
          description_length: optInt(event.descriptionLength),
          photos_qty: optInt(event.photosQty),
          weight_g: optInt(event.weightG),
          length_cm: optInt(event.lengthCm),
          height_cm: optInt(event.heightCm),
          width_cm: optInt(event.widthCm),
        }),
      };
    case 'SellerUpserted':
      return {
        event_id: event.eventId,
        seller_id: event.sellerId,
        event_time: event.eventTime,
        payload: branch(BRANCH.SellerUpserted, { zip_code_prefix: event.zipCodePrefix, city: event.city, state: event.state }),
      };
    case 'CustomerUpserted':
      return {
        event_id: event.eventId,
        customer_id: event.customerId,
        event_time: event.eventTime,
        payload: branch(BRANCH.CustomerUpserted, {
          customer_unique_id: event.customerUniqueId,
          zip_code_prefix: event.zipCodePrefix,
          city: event.city,
          state: event.state,
        }),
      };
  }
}

interface AvroEnvelope {
  readonly event_id: string;
  readonly event_time: number;
  readonly order_id?: string;
  readonly product_id?: string;
  readonly seller_id?: string;
  readonly customer_id?: string;
  readonly payload: Record<string, Record<string, unknown>>;
}

interface AvroOrderLine {
  readonly order_item_id: number;
  readonly product_id: string;
  readonly seller_id: string;
  readonly shipping_limit_time: number;
  readonly price_cents: number;
  readonly freight_cents: number;
}

interface AvroPaymentLine {
  readonly payment_sequential: number;
  readonly payment_type: string;
  readonly payment_installments: number;
  readonly payment_value_cents: number;
}

/** Thrown when a decoded record is not an event OrderPulse knows: the codec turns it into a clear error. */
export class UnknownEventTypeError extends Error {}

/** The typed event of a decoded Avro record (already resolved to the current schema). */
export function fromAvroRecord(topic: TopicName, record: unknown): MarketplaceEvent {
  // The hot path of every consumer: no spreads, no entry arrays, interned type names.
  const envelope = record as AvroEnvelope;
  let branch: string | undefined;
  for (const key in envelope.payload) {
    branch = key;
    break;
  }
  const p = branch === undefined ? undefined : envelope.payload[branch];
  if (branch === undefined || p === undefined) throw new UnknownEventTypeError(`${topic}: record has no payload`);
  const type = BRANCH_TYPES.get(branch) ?? branch;
  const eventId = envelope.event_id;
  const eventTime = envelope.event_time;
  const orderId = envelope.order_id ?? '';
  const event = ((): MarketplaceEvent => {
    switch (type) {
      case 'OrderPlaced': {
        const c = p.customer as Record<string, string>;
        return {
          type,
          eventId,
          eventTime,
          orderId,
          customer: {
            customerId: c.customer_id ?? '',
            customerUniqueId: c.customer_unique_id ?? '',
            zipCodePrefix: c.zip_code_prefix ?? '',
            city: c.city ?? '',
            state: (c.state ?? '') as BrazilState,
          },
          items: (p.items as AvroOrderLine[]).map((i) => ({
            orderItemId: i.order_item_id,
            productId: i.product_id,
            sellerId: i.seller_id,
            shippingLimitAt: i.shipping_limit_time,
            priceCents: i.price_cents,
            freightCents: i.freight_cents,
          })),
          payments: (p.payments as AvroPaymentLine[]).map((x) => ({
            paymentSequential: x.payment_sequential,
            paymentType: x.payment_type as PaymentType,
            paymentInstallments: x.payment_installments,
            paymentValueCents: x.payment_value_cents,
          })),
          estimatedDeliveryDate: daysToLocalDate(p.estimated_delivery_date as number),
        };
      }
      case 'PaymentApproved':
      case 'OrderHandedToCarrier':
      case 'OrderDelivered':
        return { type, eventId, eventTime, orderId };
      case 'OrderCanceled':
        return {
          type,
          eventId,
          eventTime,
          orderId,
          reason: p.reason === 'unavailable' ? 'unavailable' : 'canceled',
          timeInferred: p.time_inferred === true,
        };
      case 'ReviewAnswered':
        return {
          type,
          eventId,
          eventTime,
          orderId,
          reviewId: p.review_id as string,
          score: p.score as number,
          commentTitle: unwrap<string>(p.comment_title),
          commentMessage: unwrap<string>(p.comment_message),
          createdDate: daysToLocalDate(p.created_date as number),
        };
      case 'ProductUpserted':
        return {
          type,
          eventId,
          eventTime,
          productId: envelope.product_id ?? '',
          categoryName: unwrap<string>(p.category_name),
          categoryNameEnglish: unwrap<string>(p.category_name_english),
          nameLength: unwrap<number>(p.name_length),
          descriptionLength: unwrap<number>(p.description_length),
          photosQty: unwrap<number>(p.photos_qty),
          weightG: unwrap<number>(p.weight_g),
          lengthCm: unwrap<number>(p.length_cm),
          heightCm: unwrap<number>(p.height_cm),
          widthCm: unwrap<number>(p.width_cm),
        };
      case 'SellerUpserted':
        return {
          type,
          eventId,
          eventTime,
          sellerId: envelope.seller_id ?? '',
          zipCodePrefix: p.zip_code_prefix as string,
          city: p.city as string,
          state: p.state as string,
        };
      case 'CustomerUpserted':
        return {
          type,
          eventId,
          eventTime,
          customerId: envelope.customer_id ?? '',
          customerUniqueId: p.customer_unique_id as string,
          zipCodePrefix: p.zip_code_prefix as string,
          city: p.city as string,
          state: p.state as string,
        };
      default:
        throw new UnknownEventTypeError(`${topic}: unknown event type ${branch}`);
    }
  })();
  if (TOPIC_OF[event.type] !== topic) {
    throw new UnknownEventTypeError(`${topic}: event type ${event.type} belongs on topic ${TOPIC_OF[event.type]}`);
  }
  return event;
}
