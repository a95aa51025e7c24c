/**
 * Loads and validates an Olist directory (the nine Kaggle files, `.csv` or `.csv.gz`).
 *
 * Fatal (DataError): no directory, a missing required file (geolocation is optional), a file present both
 * compressed and not, a wrong header, an unreadable file. Everything else is per row: a row that is not
 * valid CSV, has a bad value, repeats a primary key or references a row that is not accepted goes to the
 * quarantine with its file, line and reason. Tables are read parents first (customers before orders, orders
 * before items…), so a reference is checked against the ACCEPTED rows of its parent: an order whose customer
 * was quarantined is quarantined too, and the reason says so.
 *
 * Known oddities of real Olist (delivered without delivery date, carrier date before approval, categories
 * missing from the translation table…) are accepted and counted in `report.observations`.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { CsvVisitor } from './csv.js';
import { readCsvFile } from './csv.js';
import { DataError } from './errors.js';
import type { TableSpec } from './olist-columns.js';
import {
  CATEGORIES,
  CUSTOMERS,
  FieldProblem,
  GEOLOCATION,
  headerDifference,
  ITEMS,
  ORDERS,
  PAYMENTS,
  PRODUCTS,
  REVIEWS,
  SELLERS,
  show,
} from './olist-columns.js';
import type {
  DataAnomalies,
  FileReport,
  LoadedOlist,
  OlistTable,
  OlistValidationReport,
  Order,
  QuarantinedRow,
} from './types.js';
import { OLIST_FILES } from './types.js';

export interface LoadOptions {
  /** Called every 25,000 rows of a file and once when a file is done (`rows` = rows read so far). */
  readonly onProgress?: (progress: { file: string; rows: number }) => void;
}

const PROGRESS_EVERY = 25_000;
const TABLES = Object.keys(OLIST_FILES) as OlistTable[];
const OPTIONAL: ReadonlySet<OlistTable> = new Set(['geolocation']);

interface Problem {
  readonly column: string | null;
  readonly reason: string;
}

/** The primary keys of a table: those accepted, and those of rows quarantined (for better child reasons). */
class Keys {
  readonly accepted = new Map<string, number>();
  readonly quarantined = new Map<string, number>();

  constructor(readonly file: string) {}

  /** A duplicate-key problem, or null (the key is then taken). */
  claim(key: string, line: number, describe: () => string): Problem | null {
    const first = this.accepted.get(key);
    if (first !== undefined) return { column: null, reason: `duplicate ${describe()} (first at line ${first})` };
    this.accepted.set(key, line);
    return null;
  }

  reject(key: string, line: number): void {
    if (!this.accepted.has(key) && !this.quarantined.has(key)) this.quarantined.set(key, line);
  }

  /** A problem if `value` (a reference from `column`) is not an accepted key of this table. */
  reference(column: string, value: string): Problem | null {
    if (this.accepted.has(value)) return null;
    const line = this.quarantined.get(value);
    return {
      column,
      reason:
        line === undefined
          ? `${column} ${show(value)} is not in ${this.file}`
          : `${column} ${show(value)} refers to a quarantined row (${this.file} line ${line})`,
    };
  }
}

/** How a table's converted rows are checked against keys; `check` takes the row's key when it passes. */
interface Rules<Row> {
  check(row: Row, line: number): Problem | null;
  /** A row of this table was quarantined: remember its key if it has a valid one. */
  rejected?(fields: readonly string[], line: number): void;
}

const ID = /^[0-9a-f]{32}$/;

/** Rules for a table keyed by one id column (the first), whose key children reference. */
function keyedBy<Row>(
  keys: Keys,
  column: string,
  keyOf: (row: Row) => string,
  references: (row: Row) => Problem | null = () => null,
): Rules<Row> {
  return {
    check(row, line) {
      const key = keyOf(row);
      const problem =
        references(row) ??
        (keys.accepted.has(key) ? { column, reason: `duplicate ${column} ${show(key)} (first at line ${keys.accepted.get(key)})` } : null);
      if (problem !== null) {
        keys.reject(key, line);
        return problem;
      }
      keys.accepted.set(key, line);
      return null;
    },
    rejected(fields, line) {
      const key = fields[0];
      if (key !== undefined && ID.test(key)) keys.reject(key, line);
    },
  };
}

function firstProblem(...problems: (Problem | null)[]): Problem | null {
  for (const problem of problems) if (problem !== null) return problem;
  return null;
}

async function findFiles(dir: string): Promise<Map<OlistTable, string>> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (cause) {
    throw new DataError('OP_DATA_NO_DIRECTORY', `no Olist directory at ${dir}: ${(cause as Error).message}`, {
      details: { directory: dir },
      cause,
    });
  }
  if (!isDirectory) {
    throw new DataError('OP_DATA_NO_DIRECTORY', `${dir} is not a directory`, { details: { directory: dir } });
  }
  const names = new Set(await readdir(dir));
  const found = new Map<OlistTable, string>();
  const missing: string[] = [];
  for (const table of TABLES) {
    const base = OLIST_FILES[table];
    const present = [`${base}.csv`, `${base}.csv.gz`].filter((name) => names.has(name));
    if (present.length > 1) {
      throw new DataError(
        'OP_DATA_AMBIGUOUS_FILE',
        `${dir} has both ${present.join(' and ')}: keep only one of them`,
        { details: { directory: dir, files: present } },
      );
    }
    const [name] = present;
    if (name !== undefined) found.set(table, join(dir, name));
    else if (!OPTIONAL.has(table)) missing.push(`${base}.csv(.gz)`);
  }
  if (missing.length > 0) {
    throw new DataError(
      'OP_DATA_MISSING_FILE',
      `${dir} lacks ${missing.length === 1 ? 'a required Olist file' : `${missing.length} required Olist files`}: ${missing.join(', ')}`,
      { details: { directory: dir, missing } },
    );
  }
  return found;
}

class Load {
  readonly quarantine: QuarantinedRow[] = [];
  readonly reports = new Map<OlistTable, FileReport>();

  constructor(
    private readonly paths: ReadonlyMap<OlistTable, string>,
    private readonly options: LoadOptions,
  ) {}

  fileOf(table: OlistTable): string {
    const path = this.paths.get(table);
    return path === undefined ? `${OLIST_FILES[table]}.csv` : basename(path);
  }

  /** Reads one file: every row is accepted (returned) or quarantined. Null if the (optional) file is absent. */
  async read<Row>(spec: TableSpec<Row>, rules: Rules<Row>): Promise<Row[] | null> {
    const path = this.paths.get(spec.table);
    if (path === undefined) return null;
    const { table, columns } = spec;
    const file = basename(path);
    const rows: Row[] = [];
    const onProgress = this.options.onProgress;
    let rowsRead = 0;
    let quarantined = 0;
    const quarantine = (line: number, problem: Problem, raw: QuarantinedRow['raw']): void => {
      quarantined++;
      this.quarantine.push({ table, file, line, column: problem.column, reason: problem.reason, raw });
    };
    const fieldsByName = (fields: readonly string[]): Record<string, string> =>
      Object.fromEntries(columns.map((name, i) => [name, fields[i] ?? '']));
    const visitor: CsvVisitor = {
      header(fields, problem) {
        const difference = problem === null ? headerDifference(columns, fields) : `the header line is not valid CSV: ${problem}`;
        if (difference === null) return;
        throw new DataError(
          'OP_DATA_BAD_HEADER',
          `${file} has a wrong header (${difference}). Expected: ${columns.join(',')}. Found: ${fields.join(',')}`,
          { details: { file, path, expected: [...columns], found: [...fields] } },
        );
      },
      record(fields, line) {
        rowsRead++;
        if (onProgress !== undefined && rowsRead % PROGRESS_EVERY === 0) onProgress({ file, rows: rowsRead });
        let row: Row;
        try {
          row = spec.convert(fields);
        } catch (err) {
          if (!(err instanceof FieldProblem)) throw err;
          rules.rejected?.(fields, line);
          quarantine(line, err, fieldsByName(fields));
          return;
        }
        const problem = rules.check(row, line);
        if (problem === null) rows.push(row);
        else quarantine(line, problem, fieldsByName(fields));
      },
      malformed(line, reason, raw) {
        rowsRead++;
        quarantine(line, { column: null, reason }, raw);
      },
    };
    await readCsvFile(path, visitor);
    this.reports.set(table, { table, file, rowsRead, accepted: rows.length, quarantined });
    onProgress?.({ file, rows: rowsRead });
    return rows;
  }
}

async function load(directory: string, options: LoadOptions): Promise<LoadedOlist> {
  const dir = resolve(directory);
  const paths = await findFiles(dir);
  const run = new Load(paths, options);
  const file = (table: OlistTable): string => run.fileOf(table);

  const categoryNames = new Set<string>();
  const categories =
    (await run.read(CATEGORIES, {
      check: (row) => {
        if (categoryNames.has(row.categoryName)) {
          return { column: 'product_category_name', reason: `duplicate product_category_name ${show(row.categoryName)}` };
        }
        categoryNames.add(row.categoryName);
        return null;
      },
    })) ?? [];

  const customerKeys = new Keys(file('customers'));
  const customers = (await run.read(CUSTOMERS, keyedBy(customerKeys, 'customer_id', (c) => c.customerId))) ?? [];

  const sellerKeys = new Keys(file('sellers'));
  const sellers = (await run.read(SELLERS, keyedBy(sellerKeys, 'seller_id', (s) => s.sellerId))) ?? [];

  const productKeys = new Keys(file('products'));
  const products = (await run.read(PRODUCTS, keyedBy(productKeys, 'product_id', (p) => p.productId))) ?? [];
  const untranslated = new Map<string, number>();
  for (const { categoryName } of products) {
    if (categoryName !== null && !categoryNames.has(categoryName)) {
      untranslated.set(categoryName, (untranslated.get(categoryName) ?? 0) + 1);
    }
  }

  const orderKeys = new Keys(file('orders'));
  const orders =
    (await run.read(
      ORDERS,
      keyedBy(orderKeys, 'order_id', (o) => o.orderId, (o) => customerKeys.reference('customer_id', o.customerId)),
    )) ?? [];

  const itemKeys = new Keys(file('items'));
  const items =
    (await run.read(ITEMS, {
      check: (row, line) =>
        firstProblem(
          orderKeys.reference('order_id', row.orderId),
          productKeys.reference('product_id', row.productId),
          sellerKeys.reference('seller_id', row.sellerId),
        ) ??
        itemKeys.claim(
          `${row.orderId}|${row.orderItemId}`,
          line,
          () => `(order_id, order_item_id) (${show(row.orderId)}, ${row.orderItemId})`,
        ),
    })) ?? [];

  const paymentKeys = new Keys(file('payments'));
  const payments =
    (await run.read(PAYMENTS, {
      check: (row, line) =>
        orderKeys.reference('order_id', row.orderId) ??
        paymentKeys.claim(
          `${row.orderId}|${row.paymentSequential}`,
          line,
          () => `(order_id, payment_sequential) (${show(row.orderId)}, ${row.paymentSequential})`,
        ),
    })) ?? [];

  const reviewKeys = new Keys(file('reviews'));
  const reviews =
    (await run.read(REVIEWS, {
      check: (row, line) =>
        orderKeys.reference('order_id', row.orderId) ??
        reviewKeys.claim(
          `${row.reviewId}|${row.orderId}`,
          line,
          () => `(review_id, order_id) (${show(row.reviewId)}, ${show(row.orderId)})`,
        ),
    })) ?? [];

  const geolocation = await run.read(GEOLOCATION, { check: () => null });

  // The quarantine in file order (as the report lists files), then by line.
  const rank = new Map(TABLES.map((table, i) => [table, i]));
  const quarantine = run.quarantine.sort(
    (a, b) => (rank.get(a.table) ?? 0) - (rank.get(b.table) ?? 0) || a.line - b.line,
  );
  const report: OlistValidationReport = {
    directory: dir,
    files: TABLES.flatMap((table) => {
      const fileReport = run.reports.get(table);
      return fileReport === undefined ? [] : [fileReport];
    }),
    quarantine,
    observations: {
      untranslatedCategories: [...untranslated]
        .map(([categoryName, count]) => ({ categoryName, products: count }))
        .sort((a, b) => b.products - a.products || a.categoryName.localeCompare(b.categoryName)),
      anomalies: anomaliesOf(orders, new Set(items.map((item) => item.orderId))),
    },
  };
  return { orders, items, payments, customers, reviews, products, sellers, categories, geolocation, report };
}

function anomaliesOf(orders: readonly Order[], ordersWithItems: ReadonlySet<string>): DataAnomalies {
  let deliveredWithoutDeliveryDate = 0;
  let deliveryDateOnUndeliveredOrder = 0;
  let carrierBeforeApproval = 0;
  let deliveredBeforeCarrier = 0;
  let ordersWithoutItems = 0;
  for (const o of orders) {
    const delivered = o.deliveredToCustomerAt;
    const carrier = o.deliveredToCarrierAt;
    if (o.status === 'delivered' && delivered === null) deliveredWithoutDeliveryDate++;
    if (o.status !== 'delivered' && delivered !== null) deliveryDateOnUndeliveredOrder++;
    if (carrier !== null && o.approvedAt !== null && carrier < o.approvedAt) carrierBeforeApproval++;
    if (carrier !== null && delivered !== null && delivered < carrier) deliveredBeforeCarrier++;
    if (!ordersWithItems.has(o.orderId)) ordersWithoutItems++;
  }
  return {
    deliveredWithoutDeliveryDate,
    deliveryDateOnUndeliveredOrder,
    carrierBeforeApproval,
    deliveredBeforeCarrier,
    ordersWithoutItems,
  };
}

/**
 * Loads the Olist files in `dir`, validating every row (see the top of this file). Rejects with a DataError
 * (OP_DATA_NO_DIRECTORY, OP_DATA_MISSING_FILE, OP_DATA_AMBIGUOUS_FILE, OP_DATA_BAD_HEADER,
 * OP_DATA_UNREADABLE_FILE); bad rows never reject, they are in `report.quarantine`.
 */
export function loadOlist(dir: string, options: LoadOptions = {}): Promise<LoadedOlist> {
  return load(dir, options);
}

/** The same checks as `loadOlist`, returning only the report. */
export async function validateOlist(dir: string, options: LoadOptions = {}): Promise<OlistValidationReport> {
  return (await load(dir, options)).report;
}
