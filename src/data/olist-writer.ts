/**
 * Writes a dataset back as an Olist directory: the nine Kaggle file names, headers and CSV conventions
 * (gzip-compressed), so that `loadOlist` — or any tool made for the Kaggle files — reads it. Used for
 * synthetic scale-ups.
 */
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { CATEGORIES, CUSTOMERS, GEOLOCATION, ITEMS, ORDERS, PAYMENTS, PRODUCTS, REVIEWS, SELLERS } from './olist-columns.js';
import { formatLocal } from './time.js';
import type { OlistDataset, OlistTable } from './types.js';
import { OLIST_FILES } from './types.js';

export interface WrittenFile {
  readonly table: OlistTable;
  readonly file: string;
  readonly rows: number;
}

export interface WriteOptions {
  /** Written to `SYNTHETIC.md` beside the files when given: what this data is. */
  readonly note?: string;
}

type Field = string | number | null;

/** Kaggle's export quotes a field only when it must, or when it starts with a digit. */
function csvField(value: Field): string {
  if (value === null) return '';
  const text = String(value);
  if (text === '') return '';
  if (/[",\n\r]/.test(text) || /^[0-9]/.test(text)) return `"${text.replace(/"/g, '""')}"`;
  return text;
}

const money = (cents: number): string => (cents / 100).toFixed(2);
const time = (ms: number | null): string | null => (ms === null ? null : formatLocal(ms));
const day = (date: string): string => `${date} 00:00:00`;

function* lines(header: readonly string[], rows: Iterable<readonly Field[]>): Generator<string> {
  yield `${header.map((h) => `"${h}"`).join(',')}\n`;
  let chunk = '';
  for (const row of rows) {
    chunk += `${row.map(csvField).join(',')}\n`;
    if (chunk.length > 1 << 16) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

export async function writeOlist(dataset: OlistDataset, dir: string, options: WriteOptions = {}): Promise<WrittenFile[]> {
  mkdirSync(dir, { recursive: true });
  const tables: [OlistTable, readonly string[], readonly (readonly Field[])[]][] = [
    [
      'orders',
      ORDERS.columns,
      dataset.orders.map((o) => [
        o.orderId,
        o.customerId,
        o.status,
        formatLocal(o.purchasedAt),
        time(o.approvedAt),
        time(o.deliveredToCarrierAt),
        time(o.deliveredToCustomerAt),
        day(o.estimatedDeliveryDate),
      ]),
    ],
    [
      'items',
      ITEMS.columns,
      dataset.items.map((i) => [
        i.orderId,
        i.orderItemId,
        i.productId,
        i.sellerId,
        formatLocal(i.shippingLimitAt),
        money(i.priceCents),
        money(i.freightCents),
      ]),
    ],
    [
      'payments',
      PAYMENTS.columns,
      dataset.payments.map((p) => [p.orderId, p.paymentSequential, p.paymentType, p.paymentInstallments, money(p.paymentValueCents)]),
    ],
    [
      'customers',
      CUSTOMERS.columns,
      dataset.customers.map((c) => [c.customerId, c.customerUniqueId, c.zipCodePrefix, c.city, c.state]),
    ],
    [
      'reviews',
      REVIEWS.columns,
      dataset.reviews.map((r) => [
        r.reviewId,
        r.orderId,
        r.score,
        r.commentTitle,
        r.commentMessage,
        day(r.createdDate),
        formatLocal(r.answeredAt),
      ]),
    ],
    [
      'products',
      PRODUCTS.columns,
      dataset.products.map((p) => [
        p.productId,
        p.categoryName,
        p.nameLength,
        p.descriptionLength,
        p.photosQty,
        p.weightG,
        p.lengthCm,
        p.heightCm,
        p.widthCm,
      ]),
    ],
    ['sellers', SELLERS.columns, dataset.sellers.map((s) => [s.sellerId, s.zipCodePrefix, s.city, s.state])],
    ['categories', CATEGORIES.columns, dataset.categories.map((c) => [c.categoryName, c.categoryNameEnglish])],
  ];
  if (dataset.geolocation !== null) {
    tables.push([
      'geolocation',
      GEOLOCATION.columns,
      dataset.geolocation.map((g) => [g.zipCodePrefix, g.lat, g.lng, g.city, g.state]),
    ]);
  }
  const written: WrittenFile[] = [];
  for (const [table, header, rows] of tables) {
    const file = `${OLIST_FILES[table]}.csv.gz`;
    await pipeline(Readable.from(lines(header, rows)), createGzip({ level: 1 }), createWriteStream(join(dir, file)));
    written.push({ table, file, rows: rows.length });
  }
  if (options.note !== undefined) writeFileSync(join(dir, 'SYNTHETIC.md'), `# SYNTHETIC DATA\n\n${options.note}\n`);
  return written;
}
