import { JOBS } from '../batch/index.js';
import type { ColumnDefinition, QueryParam } from '../lake/index.js';
import { ALERT_EVENTS, ALERT_EVENTS_TABLE, BRONZE_EVENTS, BRONZE_EVENTS_TABLE, OPEN_ALERTS, OPEN_ALERTS_TABLE } from '../stream/index.js';
import { ReadError } from './errors.js';
import type { LakeSource, TableState } from './source.js';
import type { FilterName, Filters, GradeName } from './types.js';

/** The tables the reads use, and where their columns are defined (for the empty view of a table not written yet). */
export const TABLES = {
  bronze: BRONZE_EVENTS_TABLE,
  openAlerts: OPEN_ALERTS_TABLE,
  alertEvents: ALERT_EVENTS_TABLE,
  orders: 'silver.orders',
  items: 'silver.order_items',
  reviews: 'silver.reviews',
  sales: 'gold.sales_monthly',
  productSales: 'gold.product_sales_monthly',
  portfolio: 'gold.product_portfolio',
  grades: 'gold.product_grades',
  leadTimes: 'gold.lead_times',
  delivery: 'gold.delivery_performance',
  sellers: 'gold.seller_scorecard',
  reviewImpact: 'gold.review_impact',
  reviewCausesMonthly: 'gold.review_causes_monthly',
} as const;
export type TableKey = keyof typeof TABLES;

const STREAM_COLUMNS: Readonly<Record<string, readonly ColumnDefinition[]>> = {
  [BRONZE_EVENTS_TABLE]: BRONZE_EVENTS.columns,
  [OPEN_ALERTS_TABLE]: OPEN_ALERTS.columns,
  [ALERT_EVENTS_TABLE]: ALERT_EVENTS.columns,
};

export function columnsOf(name: string): readonly ColumnDefinition[] {
  const columns = STREAM_COLUMNS[name] ?? JOBS.find((j) => j.name === name)?.table.columns;
  if (columns === undefined) throw new ReadError('OP_READ_UNKNOWN_TABLE', `the read model does not know table ${name}`, { details: { table: name } });
  return columns;
}

/** The states of the named tables, in the order given. */
export async function tablesOf<K extends TableKey>(source: LakeSource, keys: readonly K[]): Promise<Record<K, TableState>> {
  const states = await Promise.all(keys.map((k) => source.table(TABLES[k], columnsOf(TABLES[k]))));
  return Object.fromEntries(keys.map((k, i) => [k, states[i]])) as Record<K, TableState>;
}

/** Runs a read over table states, each the view named by its key. */
export async function query(source: LakeSource, tables: Readonly<Record<string, TableState>>, sql: string, params: readonly QueryParam[] = []): Promise<Record<string, unknown>[]> {
  const views = Object.fromEntries(Object.entries(tables).map(([alias, t]) => [alias, t.view]));
  return (await source.lake.query(views, sql, params.length === 0 ? undefined : params)).rows;
}

/** A query's bound parameters: `p(value)` adds one and gives its placeholder ($1, $2, …). */
export class Params {
  readonly values: QueryParam[] = [];
  p(value: QueryParam): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** The SQL expressions of a table's filter dimensions (absent: the table lacks it). */
export interface Dimensions {
  readonly month?: string;
  readonly state?: string;
  readonly category?: string;
  readonly grade?: string;
}

/** The WHERE conditions of the filters a table has the dimensions for, and which those are. */
export function filterWhere(filters: Filters, dims: Dimensions, params: Params): { readonly conditions: string[]; readonly applied: FilterName[] } {
  const conditions: string[] = [];
  const applied: FilterName[] = [];
  if (dims.month !== undefined) {
    if (filters.from !== undefined) {
      conditions.push(`${dims.month} >= ${params.p(filters.from)}`);
      applied.push('from');
    }
    if (filters.to !== undefined) {
      conditions.push(`${dims.month} <= ${params.p(filters.to)}`);
      applied.push('to');
    }
  }
  const simple = [
    ['state', dims.state],
    ['category', dims.category],
    ['grade', dims.grade],
  ] as const;
  for (const [name, expression] of simple) {
    const value = filters[name];
    if (expression === undefined || value === undefined) continue;
    conditions.push(`${expression} = ${params.p(value)}`);
    applied.push(name);
  }
  return { conditions, applied };
}

export function whereClause(conditions: readonly string[]): string {
  return conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const GRADES: readonly string[] = ['A', 'B', 'C', 'D', 'E'];

/** Checks the filters' forms; a bad one is refused naming the filter and the value. */
export function checkFilters(filters: Filters): Filters {
  for (const name of ['from', 'to'] as const) {
    const value = filters[name];
    if (value !== undefined && !MONTH.test(value)) throw badArgument(name, value, 'a month YYYY-MM');
  }
  if (filters.grade !== undefined) checkGrade('grade', filters.grade);
  for (const name of ['state', 'category'] as const) {
    const value = filters[name];
    if (value !== undefined && typeof value !== 'string') throw badArgument(name, value, 'a string');
  }
  return filters;
}

export function checkGrade(name: string, value: unknown): GradeName {
  if (typeof value !== 'string' || !GRADES.includes(value)) throw badArgument(name, value, `one of ${GRADES.join(', ')}`);
  return value as GradeName;
}

/** limit 1–1000, offset ≥ 0. */
export function checkPage(page: { readonly limit: number; readonly offset?: number }): void {
  if (!Number.isSafeInteger(page.limit) || page.limit < 1 || page.limit > 1000) throw badArgument('limit', page.limit, 'an integer from 1 to 1000');
  if (page.offset !== undefined && (!Number.isSafeInteger(page.offset) || page.offset < 0)) throw badArgument('offset', page.offset, 'an integer >= 0');
}

export function badArgument(name: string, value: unknown, expected: string): ReadError {
  return new ReadError('OP_READ_BAD_ARGUMENT', `${name} must be ${expected}, got ${JSON.stringify(value)}`, { details: { argument: name, value } });
}

// --------------------------------------------------------------------------------------- row values

export function num(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'string') return Number(value);
  return 0;
}

export function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : num(value);
}

export function str(value: unknown): string {
  return typeof value === 'string' ? value : String(value);
}

export function strOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : str(value);
}

/** An epoch-millisecond timestamp as an ISO instant. */
export function iso(value: unknown): string {
  return new Date(num(value)).toISOString();
}

export function isoOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : iso(value);
}

export function gradeOrNull(value: unknown): GradeName | null {
  return typeof value === 'string' && GRADES.includes(value) ? (value as GradeName) : null;
}

/** late / delivered, null without deliveries. */
export function rate(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}
