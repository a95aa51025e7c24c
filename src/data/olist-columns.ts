/**
 * The nine Kaggle files: the exact header each must have and how one row's text becomes a typed row.
 * A converter throws a FieldProblem naming the first column at fault; keys across rows and tables are the
 * loader's business.
 */
import { parseLocalDate, parseLocalTimestamp } from './time.js';
import type {
  BrazilState,
  CategoryTranslation,
  Customer,
  EpochMillis,
  Geolocation,
  LocalDate,
  OlistTable,
  Order,
  OrderItem,
  OrderPayment,
  OrderReview,
  OrderStatus,
  PaymentType,
  Product,
  Seller,
} from './types.js';
import { BRAZIL_STATES, ORDER_STATUSES, PAYMENT_TYPES } from './types.js';

/** Why a row was refused, and the column at fault. */
export class FieldProblem extends Error {
  constructor(
    readonly column: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export interface TableSpec<Row> {
  readonly table: OlistTable;
  /** The header, exactly as Kaggle publishes it (including its typos: `product_name_lenght`). */
  readonly columns: readonly string[];
  /** Converts a row with exactly `columns.length` fields; throws FieldProblem. */
  readonly convert: (fields: readonly string[]) => Row;
}

/** The value as it appears in a reason: quoted, escaped, shortened when long. */
export function show(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}

/** `fields[index]`, known to exist because the CSV reader checks the field count. */
function at(fields: readonly string[], index: number): string {
  return fields[index] as string;
}

const ID = /^[0-9a-f]{32}$/;

function id(column: string, value: string): string {
  if (value.length === 32 && ID.test(value)) return value;
  throw new FieldProblem(
    column,
    value === '' ? `${column} is empty` : `${column} ${show(value)} is not an id (32 lowercase hex characters)`,
  );
}

function text(column: string, value: string): string {
  if (value === '') throw new FieldProblem(column, `${column} is empty`);
  return value;
}

function optionalText(value: string): string | null {
  return value === '' ? null : value;
}

function timestamp(column: string, value: string): EpochMillis {
  const ms = parseLocalTimestamp(value);
  if (ms !== null) return ms;
  throw new FieldProblem(
    column,
    value === ''
      ? `${column} is empty`
      : `${column} ${show(value)} is not a valid timestamp (YYYY-MM-DD HH:MM:SS, a real date and time)`,
  );
}

function optionalTimestamp(column: string, value: string): EpochMillis | null {
  return value === '' ? null : timestamp(column, value);
}

function date(column: string, value: string): LocalDate {
  const day = parseLocalDate(value);
  if (day !== null) return day;
  if (value === '') throw new FieldProblem(column, `${column} is empty`);
  if (parseLocalTimestamp(value) !== null) {
    throw new FieldProblem(column, `${column} ${show(value)} has a time of day; a date is expected (time 00:00:00)`);
  }
  throw new FieldProblem(column, `${column} ${show(value)} is not a valid date (YYYY-MM-DD, optionally with 00:00:00)`);
}

const MONEY = /^(\d{1,13})(?:\.(\d{1,2}))?$/;

/** A non-negative amount with at most two decimals, in integer cents, by string arithmetic (no float drift). */
export function parseCents(value: string): number | null {
  const match = MONEY.exec(value);
  if (match === null) return null;
  const fraction = match[2] ?? '';
  return Number(match[1]) * 100 + (fraction === '' ? 0 : Number(fraction.padEnd(2, '0')));
}

function cents(column: string, value: string): number {
  const amount = parseCents(value);
  if (amount !== null) return amount;
  throw new FieldProblem(
    column,
    value === '' ? `${column} is empty` : `${column} ${show(value)} is not an amount (digits with at most 2 decimals)`,
  );
}

/** Whole numbers; a `.0` tail (as written by tools that store integers as floats) is accepted. */
const INTEGER = /^(\d{1,9})(?:\.0+)?$/;

function integer(column: string, value: string, min: number, max: number): number {
  const match = INTEGER.exec(value);
  const n = match === null ? NaN : Number(match[1]);
  if (n >= min && n <= max) return n;
  throw new FieldProblem(
    column,
    value === ''
      ? `${column} is empty`
      : match === null
        ? `${column} ${show(value)} is not a whole number`
        : `${column} ${show(value)} is out of range (${min}..${max === Number.MAX_SAFE_INTEGER ? '' : max})`,
  );
}

function optionalInteger(column: string, value: string): number | null {
  return value === '' ? null : integer(column, value, 0, Number.MAX_SAFE_INTEGER);
}

function oneOf<T extends string>(column: string, value: string, allowed: ReadonlySet<string>, list: readonly T[]): T {
  if (allowed.has(value)) return value as T;
  throw new FieldProblem(
    column,
    value === '' ? `${column} is empty` : `${column} ${show(value)} is not one of ${list.join(', ')}`,
  );
}

const STATUS_SET: ReadonlySet<string> = new Set(ORDER_STATUSES);
const PAYMENT_SET: ReadonlySet<string> = new Set(PAYMENT_TYPES);
const STATE_SET: ReadonlySet<string> = new Set(BRAZIL_STATES);

function state(column: string, value: string): BrazilState {
  return oneOf<BrazilState>(column, value, STATE_SET, BRAZIL_STATES);
}

const ZIP = /^\d{4,5}$/;

/**
 * A CEP prefix: five digits, leading zeros kept. Four digits are accepted and padded, because tools that read
 * the column as a number (spreadsheets, pandas) drop the leading zero of São Paulo's 0xxxx prefixes.
 */
function zip(column: string, value: string): string {
  if (ZIP.test(value)) return value.length === 5 ? value : `0${value}`;
  throw new FieldProblem(
    column,
    value === '' ? `${column} is empty` : `${column} ${show(value)} is not a zip code prefix (5 digits)`,
  );
}

const COORDINATE = /^-?\d{1,3}(?:\.\d+)?$/;

function coordinate(column: string, value: string, limit: number): number {
  const n = COORDINATE.test(value) ? Number(value) : NaN;
  if (n >= -limit && n <= limit) return n;
  throw new FieldProblem(
    column,
    value === '' ? `${column} is empty` : `${column} ${show(value)} is not a coordinate (decimal degrees, ±${limit})`,
  );
}

export const ORDERS: TableSpec<Order> = {
  table: 'orders',
  columns: [
    'order_id',
    'customer_id',
    'order_status',
    'order_purchase_timestamp',
    'order_approved_at',
    'order_delivered_carrier_date',
    'order_delivered_customer_date',
    'order_estimated_delivery_date',
  ],
  convert: (f) => ({
    orderId: id('order_id', at(f, 0)),
    customerId: id('customer_id', at(f, 1)),
    status: oneOf<OrderStatus>('order_status', at(f, 2), STATUS_SET, ORDER_STATUSES),
    purchasedAt: timestamp('order_purchase_timestamp', at(f, 3)),
    approvedAt: optionalTimestamp('order_approved_at', at(f, 4)),
    deliveredToCarrierAt: optionalTimestamp('order_delivered_carrier_date', at(f, 5)),
    deliveredToCustomerAt: optionalTimestamp('order_delivered_customer_date', at(f, 6)),
    estimatedDeliveryDate: date('order_estimated_delivery_date', at(f, 7)),
  }),
};

export const ITEMS: TableSpec<OrderItem> = {
  table: 'items',
  columns: ['order_id', 'order_item_id', 'product_id', 'seller_id', 'shipping_limit_date', 'price', 'freight_value'],
  convert: (f) => ({
    orderId: id('order_id', at(f, 0)),
    orderItemId: integer('order_item_id', at(f, 1), 1, 10_000),
    productId: id('product_id', at(f, 2)),
    sellerId: id('seller_id', at(f, 3)),
    shippingLimitAt: timestamp('shipping_limit_date', at(f, 4)),
    priceCents: cents('price', at(f, 5)),
    freightCents: cents('freight_value', at(f, 6)),
  }),
};

export const PAYMENTS: TableSpec<OrderPayment> = {
  table: 'payments',
  columns: ['order_id', 'payment_sequential', 'payment_type', 'payment_installments', 'payment_value'],
  convert: (f) => ({
    orderId: id('order_id', at(f, 0)),
    paymentSequential: integer('payment_sequential', at(f, 1), 1, 10_000),
    paymentType: oneOf<PaymentType>('payment_type', at(f, 2), PAYMENT_SET, PAYMENT_TYPES),
    // 0 installments occurs in real Olist credit-card payments.
    paymentInstallments: integer('payment_installments', at(f, 3), 0, 1_000),
    paymentValueCents: cents('payment_value', at(f, 4)),
  }),
};

export const CUSTOMERS: TableSpec<Customer> = {
  table: 'customers',
  columns: ['customer_id', 'customer_unique_id', 'customer_zip_code_prefix', 'customer_city', 'customer_state'],
  convert: (f) => ({
    customerId: id('customer_id', at(f, 0)),
    customerUniqueId: id('customer_unique_id', at(f, 1)),
    zipCodePrefix: zip('customer_zip_code_prefix', at(f, 2)),
    city: text('customer_city', at(f, 3)),
    state: state('customer_state', at(f, 4)),
  }),
};

export const REVIEWS: TableSpec<OrderReview> = {
  table: 'reviews',
  columns: [
    'review_id',
    'order_id',
    'review_score',
    'review_comment_title',
    'review_comment_message',
    'review_creation_date',
    'review_answer_timestamp',
  ],
  convert: (f) => ({
    reviewId: id('review_id', at(f, 0)),
    orderId: id('order_id', at(f, 1)),
    score: integer('review_score', at(f, 2), 1, 5) as OrderReview['score'],
    commentTitle: optionalText(at(f, 3)),
    commentMessage: optionalText(at(f, 4)),
    createdDate: date('review_creation_date', at(f, 5)),
    answeredAt: timestamp('review_answer_timestamp', at(f, 6)),
  }),
};

export const PRODUCTS: TableSpec<Product> = {
  table: 'products',
  columns: [
    'product_id',
    'product_category_name',
    'product_name_lenght',
    'product_description_lenght',
    'product_photos_qty',
    'product_weight_g',
    'product_length_cm',
    'product_height_cm',
    'product_width_cm',
  ],
  convert: (f) => ({
    productId: id('product_id', at(f, 0)),
    categoryName: optionalText(at(f, 1)),
    nameLength: optionalInteger('product_name_lenght', at(f, 2)),
    descriptionLength: optionalInteger('product_description_lenght', at(f, 3)),
    photosQty: optionalInteger('product_photos_qty', at(f, 4)),
    weightG: optionalInteger('product_weight_g', at(f, 5)),
    lengthCm: optionalInteger('product_length_cm', at(f, 6)),
    heightCm: optionalInteger('product_height_cm', at(f, 7)),
    widthCm: optionalInteger('product_width_cm', at(f, 8)),
  }),
};

export const SELLERS: TableSpec<Seller> = {
  table: 'sellers',
  columns: ['seller_id', 'seller_zip_code_prefix', 'seller_city', 'seller_state'],
  convert: (f) => ({
    sellerId: id('seller_id', at(f, 0)),
    zipCodePrefix: zip('seller_zip_code_prefix', at(f, 1)),
    city: text('seller_city', at(f, 2)),
    state: state('seller_state', at(f, 3)),
  }),
};

export const CATEGORIES: TableSpec<CategoryTranslation> = {
  table: 'categories',
  columns: ['product_category_name', 'product_category_name_english'],
  convert: (f) => ({
    categoryName: text('product_category_name', at(f, 0)),
    categoryNameEnglish: text('product_category_name_english', at(f, 1)),
  }),
};

export const GEOLOCATION: TableSpec<Geolocation> = {
  table: 'geolocation',
  columns: [
    'geolocation_zip_code_prefix',
    'geolocation_lat',
    'geolocation_lng',
    'geolocation_city',
    'geolocation_state',
  ],
  convert: (f) => ({
    zipCodePrefix: zip('geolocation_zip_code_prefix', at(f, 0)),
    lat: coordinate('geolocation_lat', at(f, 1), 90),
    lng: coordinate('geolocation_lng', at(f, 2), 180),
    city: text('geolocation_city', at(f, 3)),
    state: state('geolocation_state', at(f, 4)),
  }),
};

/**
 * Describes how `found` differs from `expected` (for OP_DATA_BAD_HEADER), or returns null if they are equal.
 */
export function headerDifference(expected: readonly string[], found: readonly string[]): string | null {
  if (expected.length === found.length && expected.every((name, i) => found[i] === name)) return null;
  if (found.length === 0) return 'the file is empty';
  const missing = expected.filter((name) => !found.includes(name));
  const unexpected = found.filter((name) => !expected.includes(name));
  const parts: string[] = [];
  if (missing.length > 0) parts.push(`missing ${missing.map(show).join(', ')}`);
  if (unexpected.length > 0) parts.push(`unexpected ${unexpected.map(show).join(', ')}`);
  if (parts.length === 0) {
    const duplicates = found.filter((name, i) => found.indexOf(name) !== i);
    parts.push(duplicates.length > 0 ? `duplicated ${duplicates.map(show).join(', ')}` : 'the columns are in a different order');
  }
  return parts.join('; ');
}
