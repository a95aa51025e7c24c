import { RULE_NAMES } from '../stream/index.js';
import type { LakeSource } from './source.js';
import { snapshotsOf } from './source.js';
import type { FilterName } from './types.js';
import type { AlertChangeRow, AlertChanges, AlertChangesQuery, AlertKind, AlertRow, AlertStateName, OpenAlerts, OpenAlertsQuery, RuleName, StageName } from './types.js';
import { Params, badArgument, checkGrade, checkPage, gradeOrNull, iso, num, numOrNull, query, str, strOrNull, tablesOf, whereClause } from './sql.js';

/**
 * The alerts the stream keeps (`gold.open_alerts`, `gold.alert_events`), each with what the batch
 * layer knows of its order: the category and grade of its most valuable item (the highest price, the
 * lowest item number on a tie, as the gold tables pick an order's main category) and the customer's
 * state. Until the batch layer has seen the order these are null.
 */

export const STAGE_OF_RULE: Readonly<Record<RuleName, StageName | null>> = {
  approval_overdue: 'approval',
  handoff_overdue: 'handoff',
  delivery_overdue: 'delivery',
  delivered_late: null,
  // Not overdue: a forecast about the delivery, with a queue of its own.
  delivery_at_risk: null,
};
const STAGES: readonly StageName[] = ['approval', 'handoff', 'delivery'];
const ALERT_STATES: readonly AlertStateName[] = ['open', 'escalated', 'resolved', 'stuck'];
export const ALERT_KINDS: readonly AlertKind[] = ['overdue', 'risk'];
const RISK_RULE: RuleName = 'delivery_at_risk';
/**
 * Stuck alerts (overdue so long with no event that nothing is left to save) rank after every other
 * open alert, whatever their value: the head of the queue is what an operator can still act on.
 */
const STUCK: AlertStateName = 'stuck';

const STAGE_SQL = `CASE a.rule ${Object.entries(STAGE_OF_RULE)
  .filter(([, stage]) => stage !== null)
  .map(([rule, stage]) => `WHEN '${rule}' THEN '${stage as string}'`)
  .join(' ')} END`;

/**
 * The alerts of CTE `a` with their order's category, grade and customer state (the views `items`,
 * `grades` and `orders`): the body of a CTE `e`.
 */
export const ENRICHED = `
  main AS (
    SELECT order_id, first(product_id ORDER BY price_cents DESC, order_item_id) AS product_id,
      first(category ORDER BY price_cents DESC, order_item_id) AS category
    FROM items WHERE order_id IN (SELECT order_id FROM a) GROUP BY order_id),
  e AS (
    SELECT a.*, ${STAGE_SQL} AS stage, m.category, g.grade, o.customer_state
    FROM a LEFT JOIN main m ON m.order_id = a.order_id
      LEFT JOIN grades g ON g.product_id = m.product_id
      LEFT JOIN orders o ON o.order_id = a.order_id)`;

export function alertRow(r: Record<string, unknown>): AlertRow {
  return {
    alertId: str(r.alert_id),
    orderId: str(r.order_id),
    rule: str(r.rule) as RuleName,
    stage: strOrNull(r.stage) as StageName | null,
    state: str(r.state) as AlertStateName,
    openedAt: iso(r.opened_at),
    updatedAt: iso(r.updated_at),
    deadline: iso(r.deadline),
    overdueMs: num(r.overdue_ms),
    daysLate: numOrNull(r.days_late),
    priority: num(r.priority),
    orderValueCents: num(r.order_value_cents),
    level: num(r.level),
    reason: str(r.reason),
    sequence: num(r.sequence),
    probability: numOrNull(r.probability),
    expectedDeliveryAt: r.expected_delivery_at === null || r.expected_delivery_at === undefined ? null : iso(r.expected_delivery_at),
    riskStage: strOrNull(r.risk_stage),
    category: strOrNull(r.category),
    grade: gradeOrNull(r.grade),
    customerState: strOrNull(r.customer_state),
  };
}

export function alertChangeRow(r: Record<string, unknown>): AlertChangeRow {
  return { ...alertRow(r), change: str(r.change) as AlertChangeRow['change'], watermark: iso(r.watermark) };
}

function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw badArgument(name, value, `one of ${allowed.join(', ')}`);
  return value as T;
}

export async function openAlerts(source: LakeSource, q: OpenAlertsQuery): Promise<OpenAlerts> {
  checkPage(q);
  checkOneOf('rule', q.rule, RULE_NAMES);
  checkOneOf('stage', q.stage, STAGES);
  checkOneOf('state', q.state, ALERT_STATES);
  checkOneOf('kind', q.kind, ALERT_KINDS);
  if (q.grade !== undefined) checkGrade('grade', q.grade);
  if (q.withoutStuck !== undefined && typeof q.withoutStuck !== 'boolean') throw badArgument('withoutStuck', q.withoutStuck, 'true or false');
  const t = await tablesOf(source, ['openAlerts', 'items', 'grades', 'orders']);
  const all = [t.openAlerts, t.items, t.grades, t.orders];
  const filters = { rule: q.rule, stage: q.stage, state: q.state, category: q.category, grade: q.grade, customerState: q.customerState, kind: q.kind };
  const withoutStuck = q.withoutStuck === true;
  // The whole match, ranked, once per filter and snapshots; pages are cut from it.
  const matched = await source.memo(`openAlerts:${JSON.stringify(filters)}:${withoutStuck}`, all, async () => {
    const params = new Params();
    const conditions: string[] = withoutStuck ? [`state <> ${params.p('stuck')}`] : [];
    if (filters.kind !== undefined) conditions.push(`rule ${filters.kind === 'risk' ? '=' : '<>'} ${params.p(RISK_RULE)}`);
    const columns = { rule: 'rule', stage: 'stage', state: 'state', category: 'category', grade: 'grade', customerState: 'customer_state' } as const;
    for (const [name, column] of Object.entries(columns) as [keyof typeof columns, string][]) {
      const value = filters[name];
      if (value !== undefined) conditions.push(`${column} = ${params.p(value)}`);
    }
    const rows = await query(
      source,
      { open_alerts: t.openAlerts, items: t.items, grades: t.grades, orders: t.orders },
      `WITH a AS (SELECT * FROM open_alerts), ${ENRICHED}
       SELECT * FROM e ${whereClause(conditions)} ORDER BY state = '${STUCK}', priority DESC, opened_at, alert_id`,
      params.values,
    );
    return { snapshots: snapshotsOf(all), alerts: rows.map(alertRow) };
  });
  const applied: FilterName[] = [];
  if (q.category !== undefined) applied.push('category');
  if (q.grade !== undefined) applied.push('grade');
  if (q.customerState !== undefined) applied.push('state');
  return {
    // The snapshots the match was read from (an answer served while a newer one is read says so).
    snapshots: matched.snapshots,
    applied,
    total: matched.alerts.length,
    valueAtRiskCents: matched.alerts.reduce((sum, a) => sum + a.orderValueCents, 0),
    alerts: matched.alerts.slice(q.offset, q.offset + q.limit).map((a, i) => ({ ...a, rank: q.offset + i + 1 })),
  };
}

export async function alertChanges(source: LakeSource, q: AlertChangesQuery): Promise<AlertChanges> {
  checkPage(q);
  checkOneOf('rule', q.rule, RULE_NAMES);
  if (q.orderId !== undefined && typeof q.orderId !== 'string') throw badArgument('orderId', q.orderId, 'a string');
  const t = await tablesOf(source, ['alertEvents', 'items', 'grades', 'orders']);
  const all = [t.alertEvents, t.items, t.grades, t.orders];
  return source.memo(`alertChanges:${JSON.stringify([q.rule, q.orderId, q.limit])}`, all, async () => {
    const params = new Params();
    const conditions: string[] = [];
    if (q.rule !== undefined) conditions.push(`rule = ${params.p(q.rule)}`);
    if (q.orderId !== undefined) conditions.push(`order_id = ${params.p(q.orderId)}`);
    // An order's changes oldest first, in its task's processing order; else the newest first.
    const order = q.orderId !== undefined ? 'processed_seq, sequence' : 'updated_at DESC, processed_seq DESC, sequence DESC';
    const rows = await query(
      source,
      { alert_events: t.alertEvents, items: t.items, grades: t.grades, orders: t.orders },
      `WITH a AS (SELECT * FROM alert_events ${whereClause(conditions)} ORDER BY ${order} LIMIT ${params.p(q.limit)}), ${ENRICHED}
       SELECT * FROM e ORDER BY ${order}`,
      params.values,
    );
    return { snapshots: snapshotsOf(all), applied: [], alerts: rows.map(alertChangeRow) };
  });
}
