import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { sampleDir } from './fixtures.js';

/**
 * The tests' oracle: the bundled sample's figures computed straight from the Olist CSV files,
 * sharing no code with the data room, the events, the stream, the batch jobs or the read model —
 * what the gold tables, the read model and the API are checked against.
 */

export type CsvRow = Record<string, string>;

export function csv(file: string): CsvRow[] {
  return parse<CsvRow>(gunzipSync(readFileSync(join(sampleDir, file))), { columns: true, skip_empty_lines: true, bom: true });
}

export function field(row: CsvRow, column: string): string {
  const value = row[column];
  if (value === undefined) throw new Error(`no column ${column}`);
  return value;
}

/** '12.34' → 1234, exactly. */
export function cents(text: string): number {
  const [whole = '0', frac = ''] = text.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0').slice(0, 2));
}

/** Brazil's daylight-saving periods around the data, as local dates (forward at 00:00 of the first, back at 00:00 of the second). */
const DST = [
  ['2015-10-18', '2016-02-21'],
  ['2016-10-16', '2017-02-19'],
  ['2017-10-15', '2018-02-18'],
  ['2018-11-04', '2019-02-17'],
] as const;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/**
 * An Olist local time ('YYYY-MM-DD hh:mm:ss', São Paulo) as epoch milliseconds. UTC−2 inside a
 * daylight-saving period, else UTC−3. The skipped hour (00:xx on the first day) reads as UTC−3,
 * which is the time moved forward by the gap; the repeated hour (23:xx before the second day)
 * reads as UTC−2, the earlier of its two instants.
 */
export function instant(local: string): number {
  const wall = Date.parse(`${local.replace(' ', 'T')}Z`);
  if (Number.isNaN(wall)) throw new Error(`not a local time: ${local}`);
  const dst = DST.some(([from, to]) => wall >= Date.parse(`${from}T01:00:00Z`) && wall < Date.parse(`${to}T00:00:00Z`));
  return wall + (dst ? 2 : 3) * HOUR;
}

export interface Order {
  readonly id: string;
  readonly status: string;
  readonly customerState: string;
  readonly purchase: string;
  readonly approved: string;
  readonly carrier: string;
  readonly delivered: string;
  readonly estimated: string;
}

export interface Item {
  readonly order: Order;
  readonly itemId: number;
  readonly productId: string;
  readonly sellerId: string;
  readonly sellerState: string;
  readonly category: string;
  readonly limit: string;
  readonly price: number;
  readonly freight: number;
}

export interface Review {
  readonly orderId: string;
  readonly score: number;
  readonly answered: string;
}

export interface Oracle {
  readonly orders: readonly Order[];
  readonly byId: ReadonlyMap<string, Order>;
  readonly items: readonly Item[];
  readonly itemsOf: ReadonlyMap<string, readonly Item[]>;
  /** One per (review, order). */
  readonly reviews: readonly Review[];
  /** Review scores by order, one per (review, order). */
  readonly scoresOf: ReadonlyMap<string, readonly number[]>;
}

export function oracle(): Oracle {
  const states = new Map(csv('olist_customers_dataset.csv.gz').map((c) => [field(c, 'customer_id'), field(c, 'customer_state')]));
  const sellerStates = new Map(csv('olist_sellers_dataset.csv.gz').map((s) => [field(s, 'seller_id'), field(s, 'seller_state')]));
  const english = new Map(csv('product_category_name_translation.csv.gz').map((t) => [field(t, 'product_category_name'), field(t, 'product_category_name_english')]));
  const categories = new Map(
    csv('olist_products_dataset.csv.gz').map((p) => {
      const pt = field(p, 'product_category_name');
      return [field(p, 'product_id'), pt === '' ? 'unknown' : (english.get(pt) ?? pt)];
    }),
  );
  const orders = csv('olist_orders_dataset.csv.gz').map(
    (o): Order => ({
      id: field(o, 'order_id'),
      status: field(o, 'order_status'),
      customerState: states.get(field(o, 'customer_id')) ?? 'unknown',
      purchase: field(o, 'order_purchase_timestamp'),
      approved: field(o, 'order_approved_at'),
      carrier: field(o, 'order_delivered_carrier_date'),
      delivered: field(o, 'order_delivered_customer_date'),
      estimated: field(o, 'order_estimated_delivery_date'),
    }),
  );
  const byId = new Map(orders.map((o) => [o.id, o]));
  const items = csv('olist_order_items_dataset.csv.gz').map((i): Item => {
    const order = byId.get(field(i, 'order_id'));
    if (order === undefined) throw new Error(`item of unknown order ${field(i, 'order_id')}`);
    return {
      order,
      itemId: Number(field(i, 'order_item_id')),
      productId: field(i, 'product_id'),
      sellerId: field(i, 'seller_id'),
      sellerState: sellerStates.get(field(i, 'seller_id')) ?? 'unknown',
      // A product without a category is `unknown`; a Portuguese name the translation lacks stays as it is.
      category: categories.get(field(i, 'product_id')) ?? 'unknown',
      limit: field(i, 'shipping_limit_date'),
      price: cents(field(i, 'price')),
      freight: cents(field(i, 'freight_value')),
    };
  });
  const itemsOf = new Map<string, Item[]>();
  for (const item of items) itemsOf.set(item.order.id, [...(itemsOf.get(item.order.id) ?? []), item]);
  const seen = new Set<string>();
  const reviews: Review[] = [];
  const scoresOf = new Map<string, number[]>();
  for (const r of csv('olist_order_reviews_dataset.csv.gz')) {
    const key = `${field(r, 'review_id')}/${field(r, 'order_id')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    reviews.push({ orderId: field(r, 'order_id'), score: Number(field(r, 'review_score')), answered: field(r, 'review_answer_timestamp') });
    scoresOf.set(field(r, 'order_id'), [...(scoresOf.get(field(r, 'order_id')) ?? []), Number(field(r, 'review_score'))]);
  }
  return { orders, byId, items, itemsOf, reviews, scoresOf };
}

/** An order sells unless canceled or unavailable. */
export const sells = (o: Order): boolean => o.status !== 'canceled' && o.status !== 'unavailable';
/** Delivered: selling, with a delivery recorded. */
export const isDelivered = (o: Order): boolean => sells(o) && o.delivered !== '';
/** Olist's times are local: the month is the text's prefix. */
export const monthOf = (local: string): string => local.slice(0, 7);
export const isLate = (o: Order): boolean => o.delivered.slice(0, 10) > o.estimated.slice(0, 10);

/** The order's most valuable item: the highest price, the lowest item number on a tie. */
export function mainItem(items: readonly Item[]): Item | undefined {
  return [...items].sort((a, b) => b.price - a.price || a.itemId - b.itemId)[0];
}

/** The local day after `date` (YYYY-MM-DD) at 00:00, as local text: the end of the day. */
export function nextDayStart(date: string): string {
  const next = new Date(Date.parse(`${date}T00:00:00Z`) + DAY).toISOString().slice(0, 10);
  return `${next} 00:00:00`;
}
