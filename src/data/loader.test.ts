import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { sampleDir, tempDir } from '../testing/fixtures.js';
import { DataError } from './errors.js';
import type { LoadedOlist, OlistTable, OlistValidationReport, QuarantinedRow } from './index.js';
import { loadOlist, OLIST_FILES, validateOlist } from './index.js';

// ---------------------------------------------------------------------------------------------------------
// A tiny valid Olist directory, written as the Kaggle export writes it: a string is quoted only if it starts
// with a digit or contains a comma, quote or line break.

/** A 32-hex-digit id: `id('a', 1)` = 'a000…0001'. Prefixes: a order, b product, c customer, d review, e seller. */
const id = (prefix: string, n: number): string => `${prefix}${String(n).padStart(31, '0')}`;

const HEADERS: Record<OlistTable, readonly string[]> = {
  orders: [
    'order_id',
    'customer_id',
    'order_status',
    'order_purchase_timestamp',
    'order_approved_at',
    'order_delivered_carrier_date',
    'order_delivered_customer_date',
    'order_estimated_delivery_date',
  ],
  items: ['order_id', 'order_item_id', 'product_id', 'seller_id', 'shipping_limit_date', 'price', 'freight_value'],
  payments: ['order_id', 'payment_sequential', 'payment_type', 'payment_installments', 'payment_value'],
  customers: ['customer_id', 'customer_unique_id', 'customer_zip_code_prefix', 'customer_city', 'customer_state'],
  reviews: [
    'review_id',
    'order_id',
    'review_score',
    'review_comment_title',
    'review_comment_message',
    'review_creation_date',
    'review_answer_timestamp',
  ],
  products: [
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
  sellers: ['seller_id', 'seller_zip_code_prefix', 'seller_city', 'seller_state'],
  categories: ['product_category_name', 'product_category_name_english'],
  geolocation: [
    'geolocation_zip_code_prefix',
    'geolocation_lat',
    'geolocation_lng',
    'geolocation_city',
    'geolocation_state',
  ],
};

/** Per table: the header, then rows (arrays of fields) or raw lines (strings written verbatim). */
type Tables = Record<OlistTable, (readonly string[] | string)[]>;

function tinyOlist(): Tables {
  return {
    categories: [HEADERS.categories, ['beleza_saude', 'health_beauty'], ['perfumaria', 'perfumery']],
    customers: [
      HEADERS.customers,
      [id('c', 1), id('f', 1), '01037', 'sao paulo', 'SP'],
      [id('c', 2), id('f', 2), '22041', 'rio de janeiro', 'RJ'],
      [id('c', 3), id('f', 1), '30130', 'belo horizonte', 'MG'],
    ],
    sellers: [HEADERS.sellers, [id('e', 1), '13023', 'campinas', 'SP'], [id('e', 2), '88010', 'florianopolis', 'SC']],
    products: [
      HEADERS.products,
      [id('b', 1), 'perfumaria', '40', '287', '1', '225', '16', '10', '14'],
      [id('b', 2), '', '', '', '', '', '', '', ''],
      [id('b', 3), 'pc_gamer', '50', '1000', '3', '1500', '40', '10', '30'],
    ],
    orders: [
      HEADERS.orders,
      [
        id('a', 1),
        id('c', 1),
        'delivered',
        '2017-10-02 10:56:33',
        '2017-10-02 11:07:15',
        '2017-10-04 19:55:00',
        '2017-10-10 21:25:13',
        '2017-10-18 00:00:00',
      ],
      [id('a', 2), id('c', 2), 'shipped', '2018-01-10 12:00:00', '2018-01-10 12:30:00', '2018-01-11 09:00:00', '', '2018-02-01 00:00:00'],
      [id('a', 3), id('c', 3), 'canceled', '2018-02-17 23:30:00', '', '', '', '2018-03-05 00:00:00'],
    ],
    items: [
      HEADERS.items,
      [id('a', 1), '1', id('b', 1), id('e', 1), '2017-10-06 11:07:15', '19.99', '8.72'],
      [id('a', 1), '2', id('b', 2), id('e', 2), '2017-10-06 11:07:15', '1234567.89', '0.1'],
      [id('a', 2), '1', id('b', 3), id('e', 1), '2018-01-15 12:30:00', '12.5', '0'],
    ],
    payments: [
      HEADERS.payments,
      [id('a', 1), '1', 'credit_card', '3', '1262.70'],
      [id('a', 2), '1', 'boleto', '1', '12.50'],
      [id('a', 3), '1', 'voucher', '0', '0.00'],
    ],
    reviews: [
      HEADERS.reviews,
      [id('d', 1), id('a', 1), '5', '', '', '2017-10-11 00:00:00', '2017-10-12 03:43:48'],
      // The same review id on another order is legal in Olist.
      [id('d', 1), id('a', 2), '4', 'Recomendo', 'Chegou antes do prazo, "perfeito".\r\nObrigado!', '2018-01-20', '2018-01-21 10:00:00'],
      [id('d', 2), id('a', 3), '1', '', 'Não recebi', '2018-03-01 00:00:00', '2018-03-02 08:00:00'],
    ],
    geolocation: [],
  };
}

function csvField(value: string): string {
  return /^[0-9]|[,"\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function csvText(rows: Tables[OlistTable], eol = '\n'): string {
  return rows.map((row) => (typeof row === 'string' ? row : row.map(csvField).join(','))).join(eol) + eol;
}

/**
 * Writes `tables` into `dir` (replacing it). Tables with no rows are not written. The translation file is
 * written like Kaggle's: BOM, CRLF, no final newline.
 */
function writeOlist(dir: string, tables: Tables, options: { gzip?: boolean | ((table: OlistTable) => boolean) } = {}): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const table of Object.keys(OLIST_FILES) as OlistTable[]) {
    const rows = tables[table];
    if (rows.length === 0) continue;
    const text = table === 'categories' ? `\uFEFF${csvText(rows, '\r\n').slice(0, -2)}` : csvText(rows);
    const gzip = typeof options.gzip === 'function' ? options.gzip(table) : (options.gzip ?? true);
    const name = `${OLIST_FILES[table]}.csv${gzip ? '.gz' : ''}`;
    writeFileSync(join(dir, name), gzip ? gzipSync(text) : text);
  }
}

function only<T>(values: readonly T[]): T {
  assert.equal(values.length, 1, `expected exactly one, got ${values.length}`);
  return values[0] as T;
}

function fileReport(report: OlistValidationReport, table: OlistTable) {
  const found = report.files.find((f) => f.table === table);
  assert.ok(found, `no file report for ${table}`);
  return found;
}

async function rejectsWith(promise: Promise<unknown>, code: string, ...patterns: RegExp[]): Promise<DataError> {
  let caught: unknown;
  await assert.rejects(promise, (err: unknown) => {
    caught = err;
    return true;
  });
  assert.ok(caught instanceof DataError, `expected a DataError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const pattern of patterns) assert.match(caught.message, pattern);
  return caught;
}

// ---------------------------------------------------------------------------------------------------------

describe('loadOlist on the real sample', () => {
  let data: LoadedOlist;

  before(async () => {
    data = await loadOlist(sampleDir);
  });

  it('accepts every row of every file, with the row counts of SOURCE.md', () => {
    const expected: Partial<Record<OlistTable, number>> = {
      orders: 13_092,
      items: 14_852,
      payments: 13_677,
      customers: 13_092,
      reviews: 13_052,
      products: 32_951,
      sellers: 3_095,
      categories: 71,
    };
    assert.deepEqual(data.report.quarantine, []);
    assert.deepEqual(
      data.report.files.map((f) => [f.table, f.file, f.rowsRead, f.accepted, f.quarantined]),
      Object.entries(expected).map(([table, rows]) => [
        table,
        `${OLIST_FILES[table as OlistTable]}.csv.gz`,
        rows,
        rows,
        0,
      ]),
    );
    assert.equal(data.orders.length, 13_092);
    assert.equal(data.items.length, 14_852);
    assert.equal(data.payments.length, 13_677);
    assert.equal(data.customers.length, 13_092);
    assert.equal(data.reviews.length, 13_052);
    assert.equal(data.products.length, 32_951);
    assert.equal(data.sellers.length, 3_095);
    assert.equal(data.categories.length, 71);
    assert.equal(data.geolocation, null);
    assert.equal(data.report.directory, sampleDir.replace(/\/$/, ''));
  });

  it('converts the first order of the file', () => {
    assert.deepEqual(data.orders[0], {
      orderId: 'e481f51cbdc54678b7cc49136f2d6af7',
      customerId: '9ef432eb6251297304e76186b10a928d',
      status: 'delivered',
      purchasedAt: Date.parse('2017-10-02T13:56:33Z'),
      approvedAt: Date.parse('2017-10-02T14:07:15Z'),
      deliveredToCarrierAt: Date.parse('2017-10-04T22:55:00Z'),
      deliveredToCustomerAt: Date.parse('2017-10-11T00:25:13Z'), // daylight time began 2017-10-15: still UTC-3
      estimatedDeliveryDate: '2017-10-18',
    });
    assert.deepEqual(data.items[0], {
      orderId: '0005a1a1728c9d785b8e2b08b904576c',
      orderItemId: 1,
      productId: '310ae3c140ff94b03219ad0adc3c778f',
      sellerId: 'a416b6a846a11724393025641d4edd5e',
      shippingLimitAt: Date.parse('2018-03-26T21:31:29Z'),
      priceCents: 14_595,
      freightCents: 1_165,
    });
    assert.equal(data.customers[0]?.zipCodePrefix, '03052');
  });

  it('matches the facts measured in SOURCE.md', () => {
    const byStatus = new Map<string, number>();
    for (const o of data.orders) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(byStatus), {
      delivered: 12_725,
      shipped: 141,
      canceled: 73,
      unavailable: 66,
      processing: 48,
      invoiced: 39,
    });
    // Review texts: empty → null; multi-line messages (CRLF inside quotes) kept as written.
    assert.equal(data.reviews.filter((r) => r.commentMessage !== null).length, 336);
    assert.equal(data.reviews.filter((r) => r.commentTitle !== null).length, 93);
    assert.equal(data.reviews.filter((r) => r.commentMessage?.includes('\r\n') === true).length, 30);
  });

  it('counts the Olist oddities instead of rejecting them', () => {
    assert.deepEqual(data.report.observations, {
      untranslatedCategories: [
        { categoryName: 'portateis_cozinha_e_preparadores_de_alimentos', products: 10 },
        { categoryName: 'pc_gamer', products: 3 },
      ],
      anomalies: {
        deliveredWithoutDeliveryDate: 3,
        deliveryDateOnUndeliveredOrder: 3,
        carrierBeforeApproval: 193,
        deliveredBeforeCarrier: 2,
        ordersWithoutItems: 89,
      },
    });
  });

  it('keeps review_id non-unique on its own', () => {
    const ids = new Set(data.reviews.map((r) => r.reviewId));
    assert.ok(ids.size < data.reviews.length);
  });

});

describe('loadOlist on small directories', () => {
  let tmp: { path: string; remove: () => void };
  let dir: string;

  before(() => {
    tmp = tempDir();
    dir = join(tmp.path, 'olist');
  });
  after(() => tmp.remove());

  /** Writes the tiny directory after `change` and loads it. */
  async function loadWith(change: (t: Tables) => void = () => undefined, gzip = true): Promise<LoadedOlist> {
    const tables = tinyOlist();
    change(tables);
    writeOlist(dir, tables, { gzip });
    return loadOlist(dir);
  }

  function quarantined(data: LoadedOlist, table: OlistTable): QuarantinedRow[] {
    return data.report.quarantine.filter((q) => q.table === table);
  }

  it('loads a valid directory: nullable columns, exact cents, BOM/CRLF translation file, multi-line review', async () => {
    const data = await loadWith();
    assert.deepEqual(data.report.quarantine, []);
    assert.deepEqual(
      data.report.files.map((f) => [f.file, f.rowsRead, f.accepted]),
      [
        ['olist_orders_dataset.csv.gz', 3, 3],
        ['olist_order_items_dataset.csv.gz', 3, 3],
        ['olist_order_payments_dataset.csv.gz', 3, 3],
        ['olist_customers_dataset.csv.gz', 3, 3],
        ['olist_order_reviews_dataset.csv.gz', 3, 3],
        ['olist_products_dataset.csv.gz', 3, 3],
        ['olist_sellers_dataset.csv.gz', 2, 2],
        ['product_category_name_translation.csv.gz', 2, 2],
      ],
    );
    assert.deepEqual(
      data.items.map((i) => [i.priceCents, i.freightCents]),
      [
        [1999, 872],
        [123_456_789, 10],
        [1250, 0],
      ],
    );
    assert.equal(data.orders[1]?.deliveredToCustomerAt, null);
    assert.equal(data.orders[2]?.approvedAt, null);
    assert.equal(data.orders[2]?.purchasedAt, Date.parse('2018-02-18T01:30:00Z')); // ambiguous hour: earlier instant
    assert.deepEqual(data.products[1], {
      productId: id('b', 2),
      categoryName: null,
      nameLength: null,
      descriptionLength: null,
      photosQty: null,
      weightG: null,
      lengthCm: null,
      heightCm: null,
      widthCm: null,
    });
    assert.deepEqual(data.categories[1], { categoryName: 'perfumaria', categoryNameEnglish: 'perfumery' });
    assert.equal(data.reviews[0]?.commentTitle, null);
    assert.equal(data.reviews[1]?.commentMessage, 'Chegou antes do prazo, "perfeito".\r\nObrigado!');
    assert.equal(data.reviews[1]?.createdDate, '2018-01-20');
    assert.equal(data.payments[2]?.paymentInstallments, 0);
    assert.equal(data.customers[0]?.zipCodePrefix, '01037');
    assert.deepEqual(data.report.observations.untranslatedCategories, [{ categoryName: 'pc_gamer', products: 1 }]);
  });

  it('reads plain .csv files (also mixed with .csv.gz) exactly like .csv.gz', async () => {
    const gz = await loadWith();
    const plain = await loadWith(undefined, false);
    assert.deepEqual({ ...plain, report: null }, { ...gz, report: null });
    assert.deepEqual(
      plain.report.files.map((f) => f.file),
      gz.report.files.map((f) => f.file.replace(/\.gz$/, '')),
    );
    writeOlist(dir, tinyOlist(), { gzip: (table) => table === 'orders' || table === 'categories' });
    const mixed = await loadOlist(dir);
    assert.deepEqual({ ...mixed, report: null }, { ...gz, report: null });
  });

  it('quarantines a malformed CSV line with its line and reason, and accepts the rows around it', async () => {
    const data = await loadWith((t) => {
      t.customers.splice(2, 0, `${id('c', 9)},${id('f', 9)},"12345",campinas,SP,extra`);
      t.customers.splice(3, 0, `${id('c', 8)},${id('f', 8)},"1234"5",campinas,SP`);
    });
    const rows = quarantined(data, 'customers');
    assert.deepEqual(
      rows.map((q) => [q.file, q.line, q.column]),
      [
        ['olist_customers_dataset.csv.gz', 3, null],
        ['olist_customers_dataset.csv.gz', 4, null],
      ],
    );
    assert.equal(rows[0]?.reason, 'malformed CSV: 6 fields, expected 5');
    assert.equal(rows[0]?.raw, `${id('c', 9)},${id('f', 9)},"12345",campinas,SP,extra`);
    assert.match(rows[1]?.reason ?? '', /^malformed CSV: a quoted field is not closed properly/);
    assert.deepEqual(fileReport(data.report, 'customers'), {
      table: 'customers',
      file: 'olist_customers_dataset.csv.gz',
      rowsRead: 5,
      accepted: 3,
      quarantined: 2,
    });
    assert.deepEqual(
      data.customers.map((c) => c.customerId),
      [id('c', 1), id('c', 2), id('c', 3)],
    );
    assert.equal(data.orders.length, 3);
  });

  it('quarantines a bad timestamp, naming the column and the value, and cascades to the rows that reference it', async () => {
    const data = await loadWith((t) => {
      (t.orders[2] as string[])[3] = '2017-13-45 10:00:00';
    });
    const order = only(quarantined(data, 'orders'));
    assert.equal(order.file, 'olist_orders_dataset.csv.gz');
    assert.equal(order.line, 3);
    assert.equal(order.column, 'order_purchase_timestamp');
    assert.match(order.reason, /^order_purchase_timestamp "2017-13-45 10:00:00" is not a valid timestamp/);
    const fields = [...(tinyOlist().orders[2] as string[])];
    fields[3] = '2017-13-45 10:00:00';
    assert.deepEqual(order.raw, Object.fromEntries(HEADERS.orders.map((name, i) => [name, fields[i]])));
    assert.deepEqual(
      data.orders.map((o) => o.orderId),
      [id('a', 1), id('a', 3)],
    );
    // Its item, payment and review point at a quarantined order: quarantined too, with the reason.
    for (const table of ['items', 'payments', 'reviews'] as const) {
      const child = only(quarantined(data, table));
      assert.equal(child.column, 'order_id');
      assert.equal(
        child.reason,
        `order_id "${id('a', 2)}" refers to a quarantined row (olist_orders_dataset.csv.gz line 3)`,
      );
    }
    assert.equal(data.items.length, 2);
  });

  it('quarantines rows whose foreign key is unknown', async () => {
    const data = await loadWith((t) => {
      (t.orders[1] as string[])[1] = id('c', 99);
      (t.items[3] as string[])[2] = id('b', 99);
      t.payments.push([id('a', 77), '1', 'boleto', '1', '10.00']);
    });
    const order = only(quarantined(data, 'orders'));
    assert.equal(order.line, 2);
    assert.equal(order.column, 'customer_id');
    assert.equal(order.reason, `customer_id "${id('c', 99)}" is not in olist_customers_dataset.csv.gz`);
    const items = quarantined(data, 'items');
    assert.deepEqual(
      items.map((q) => [q.line, q.column, q.reason]),
      [
        [2, 'order_id', `order_id "${id('a', 1)}" refers to a quarantined row (olist_orders_dataset.csv.gz line 2)`],
        [3, 'order_id', `order_id "${id('a', 1)}" refers to a quarantined row (olist_orders_dataset.csv.gz line 2)`],
        [4, 'product_id', `product_id "${id('b', 99)}" is not in olist_products_dataset.csv.gz`],
      ],
    );
    const payments = quarantined(data, 'payments');
    assert.deepEqual(
      payments.map((q) => [q.line, q.reason]),
      [
        [2, `order_id "${id('a', 1)}" refers to a quarantined row (olist_orders_dataset.csv.gz line 2)`],
        [5, `order_id "${id('a', 77)}" is not in olist_orders_dataset.csv.gz`],
      ],
    );
    assert.deepEqual(
      data.payments.map((p) => p.orderId),
      [id('a', 2), id('a', 3)],
    );
  });

  it('quarantines duplicate primary keys (the first row wins), with (review_id, order_id) as the review key', async () => {
    const data = await loadWith((t) => {
      t.orders.push([...(t.orders[1] as string[])]);
      t.items.push([id('a', 1), '2', id('b', 1), id('e', 1), '2017-10-06 11:07:15', '5.00', '1.00']);
      t.payments.push([id('a', 1), '2', 'voucher', '1', '5.00']);
      t.reviews.push([id('d', 1), id('a', 1), '3', '', '', '2017-10-11', '2017-10-12 00:00:00']);
      t.reviews.push([id('d', 2), id('a', 1), '3', '', '', '2017-10-11', '2017-10-12 00:00:00']);
      t.products.push([id('b', 1), 'artes', '1', '1', '1', '1', '1', '1', '1']);
      t.categories.push(['perfumaria', 'perfume']);
    });
    assert.deepEqual(
      data.report.quarantine.map((q) => [q.table, q.line, q.column, q.reason]),
      [
        ['orders', 5, 'order_id', `duplicate order_id "${id('a', 1)}" (first at line 2)`],
        ['items', 5, null, `duplicate (order_id, order_item_id) ("${id('a', 1)}", 2) (first at line 3)`],
        ['reviews', 6, null, `duplicate (review_id, order_id) ("${id('d', 1)}", "${id('a', 1)}") (first at line 2)`],
        ['products', 5, 'product_id', `duplicate product_id "${id('b', 1)}" (first at line 2)`],
        ['categories', 4, 'product_category_name', 'duplicate product_category_name "perfumaria"'],
      ],
    );
    assert.equal(data.payments.length, 4); // (order, 2) is a new payment
    assert.equal(data.reviews.length, 4); // d2 on a1 is a new review
    assert.equal(data.products.find((p) => p.productId === id('b', 1))?.categoryName, 'perfumaria');
  });

  it('quarantines values outside their enums and ranges, and bad ids, amounts, zips and dates', async () => {
    const data = await loadWith((t) => {
      (t.orders[3] as string[])[2] = 'lost';
      (t.payments[2] as string[])[2] = 'pix';
      (t.customers[2] as string[])[4] = 'XX';
      (t.reviews[1] as string[])[2] = '6';
      (t.items[3] as string[])[5] = '1.005';
      (t.sellers[2] as string[])[1] = '880A0';
      (t.products[3] as string[])[0] = 'B3';
      (t.reviews[3] as string[])[5] = '2018-03-01 10:00:00';
    });
    assert.deepEqual(
      data.report.quarantine.map((q) => [q.table, q.line, q.column, q.reason]),
      [
        ['orders', 3, 'customer_id', `customer_id "${id('c', 2)}" refers to a quarantined row (olist_customers_dataset.csv.gz line 3)`],
        ['orders', 4, 'order_status', 'order_status "lost" is not one of created, approved, invoiced, processing, shipped, delivered, canceled, unavailable'],
        ['items', 3, 'seller_id', `seller_id "${id('e', 2)}" refers to a quarantined row (olist_sellers_dataset.csv.gz line 3)`],
        ['items', 4, 'price', 'price "1.005" is not an amount (digits with at most 2 decimals)'],
        ['payments', 3, 'payment_type', 'payment_type "pix" is not one of credit_card, boleto, voucher, debit_card, not_defined'],
        ['payments', 4, 'order_id', `order_id "${id('a', 3)}" refers to a quarantined row (olist_orders_dataset.csv.gz line 4)`],
        ['customers', 3, 'customer_state', `customer_state "XX" is not one of ${['AC', 'AL', 'AM', 'AP', 'BA', 'CE', 'DF', 'ES', 'GO', 'MA', 'MG', 'MS', 'MT', 'PA', 'PB', 'PE', 'PI', 'PR', 'RJ', 'RN', 'RO', 'RR', 'RS', 'SC', 'SE', 'SP', 'TO'].join(', ')}`],
        ['reviews', 2, 'review_score', 'review_score "6" is out of range (1..5)'],
        ['reviews', 3, 'order_id', `order_id "${id('a', 2)}" refers to a quarantined row (olist_orders_dataset.csv.gz line 3)`],
        ['reviews', 5, 'review_creation_date', 'review_creation_date "2018-03-01 10:00:00" has a time of day; a date is expected (time 00:00:00)'],
        ['products', 4, 'product_id', 'product_id "B3" is not an id (32 lowercase hex characters)'],
        ['sellers', 3, 'seller_zip_code_prefix', 'seller_zip_code_prefix "880A0" is not a zip code prefix (5 digits)'],
      ],
    );
    const amounts = await loadWith((t) => {
      (t.items[1] as string[])[5] = '1.005';
      (t.items[2] as string[])[6] = '-1.00';
      (t.customers[1] as string[])[2] = '1037';
    });
    assert.deepEqual(
      amounts.report.quarantine.map((q) => [q.table, q.line, q.reason]),
      [
        ['items', 2, 'price "1.005" is not an amount (digits with at most 2 decimals)'],
        ['items', 3, 'freight_value "-1.00" is not an amount (digits with at most 2 decimals)'],
      ],
    );
    assert.equal(amounts.customers[0]?.zipCodePrefix, '01037'); // a dropped leading zero is restored
  });

  it('rejects a wrong header with OP_DATA_BAD_HEADER naming the file, the expected and the found columns', async () => {
    const renamed = HEADERS.orders.map((h) => (h === 'order_status' ? 'status' : h));
    let err = await rejectsWith(
      loadWith((t) => {
        t.orders[0] = renamed;
      }),
      'OP_DATA_BAD_HEADER',
      /olist_orders_dataset\.csv\.gz/,
      /missing "order_status"; unexpected "status"/,
      new RegExp(`Expected: ${HEADERS.orders.join(',')}\\.`),
      new RegExp(`Found: ${renamed.join(',')}$`),
    );
    assert.deepEqual(err.details['found'], renamed);
    assert.deepEqual(err.details['expected'], HEADERS.orders);

    const swapped = ['order_item_id', 'order_id', ...HEADERS.items.slice(2)];
    await rejectsWith(
      loadWith((t) => {
        t.items[0] = swapped;
      }),
      'OP_DATA_BAD_HEADER',
      /olist_order_items_dataset\.csv\.gz has a wrong header \(the columns are in a different order\)/,
    );
    err = await rejectsWith(
      loadWith((t) => {
        t.sellers[0] = HEADERS.sellers.slice(0, 3);
      }),
      'OP_DATA_BAD_HEADER',
      /missing "seller_state"/,
    );
    assert.equal(err.details['file'], 'olist_sellers_dataset.csv.gz');
    await rejectsWith(
      loadWith((t) => {
        t.payments.splice(0, t.payments.length);
        t.payments.push('');
      }),
      'OP_DATA_BAD_HEADER',
      /olist_order_payments_dataset\.csv\.gz has a wrong header/,
    );
  });

  it('rejects a missing required file with OP_DATA_MISSING_FILE naming the directory and every missing file', async () => {
    const err = await rejectsWith(
      loadWith((t) => {
        t.sellers = [];
        t.categories = [];
      }),
      'OP_DATA_MISSING_FILE',
      new RegExp(dir.replaceAll('/', '\\/')),
      /olist_sellers_dataset\.csv\(\.gz\), product_category_name_translation\.csv\(\.gz\)/,
    );
    assert.deepEqual(err.details['missing'], ['olist_sellers_dataset.csv(.gz)', 'product_category_name_translation.csv(.gz)']);
  });

  it('rejects a directory that does not exist, or a file given as the directory, with OP_DATA_NO_DIRECTORY', async () => {
    await rejectsWith(loadOlist(join(tmp.path, 'nowhere')), 'OP_DATA_NO_DIRECTORY', /nowhere/);
    const notDir = join(tmp.path, 'a-file');
    writeFileSync(notDir, 'x');
    await rejectsWith(validateOlist(notDir), 'OP_DATA_NO_DIRECTORY', /is not a directory/);
  });

  it('rejects a directory holding both name.csv and name.csv.gz with OP_DATA_AMBIGUOUS_FILE', async () => {
    writeOlist(dir, tinyOlist());
    writeFileSync(join(dir, 'olist_orders_dataset.csv'), csvText(tinyOlist().orders));
    await rejectsWith(
      loadOlist(dir),
      'OP_DATA_AMBIGUOUS_FILE',
      /olist_orders_dataset\.csv and olist_orders_dataset\.csv\.gz/,
    );
  });

  it('rejects a corrupt gzip with OP_DATA_UNREADABLE_FILE naming the file', async () => {
    writeOlist(dir, tinyOlist());
    writeFileSync(join(dir, 'olist_order_reviews_dataset.csv.gz'), 'not gzip');
    const err = await rejectsWith(loadOlist(dir), 'OP_DATA_UNREADABLE_FILE', /olist_order_reviews_dataset\.csv\.gz/);
    assert.equal(err.details['file'], 'olist_order_reviews_dataset.csv.gz');
    // A truncated copy of a real file.
    writeOlist(dir, tinyOlist());
    const real = readFileSync(join(sampleDir, 'olist_order_reviews_dataset.csv.gz'));
    writeFileSync(join(dir, 'olist_order_reviews_dataset.csv.gz'), real.subarray(0, 5_000));
    await rejectsWith(loadOlist(dir), 'OP_DATA_UNREADABLE_FILE', /olist_order_reviews_dataset\.csv\.gz: not a valid gzip file/);
  });

  it('loads an optional geolocation file', async () => {
    const data = await loadWith((t) => {
      t.geolocation = [
        HEADERS.geolocation,
        ['01037', '-23.54562128115268', '-46.63929204800168', 'sao paulo', 'SP'],
        ['1046', '-23.546081', '-46.64482029837157', 'são paulo', 'SP'],
        ['01046', '-123.5', '-46.6', 'sao paulo', 'SP'],
      ];
    });
    assert.deepEqual(data.geolocation?.[0], {
      zipCodePrefix: '01037',
      lat: -23.54562128115268,
      lng: -46.63929204800168,
      city: 'sao paulo',
      state: 'SP',
    });
    assert.equal(data.geolocation?.[1]?.zipCodePrefix, '01046');
    const bad = only(quarantined(data, 'geolocation'));
    assert.equal(bad.line, 4);
    assert.equal(bad.reason, 'geolocation_lat "-123.5" is not a coordinate (decimal degrees, ±90)');
    assert.equal(fileReport(data.report, 'geolocation').file, 'olist_geolocation_dataset.csv.gz');
  });

  it('reports progress per file, and validateOlist gives the same report', async () => {
    writeOlist(dir, tinyOlist());
    const progress: { file: string; rows: number }[] = [];
    const data = await loadOlist(dir, { onProgress: (p) => progress.push(p) });
    assert.deepEqual(
      progress.map((p) => p.file).sort(),
      data.report.files.map((f) => f.file).sort(),
    );
    for (const f of data.report.files) assert.equal(progress.findLast((p) => p.file === f.file)?.rows, f.rowsRead);
    assert.deepEqual(await validateOlist(dir), data.report);
  });
});
