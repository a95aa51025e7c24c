import type { EpochMillis, OlistDataset } from '../data/index.js';
import { endOfLocalDay } from '../data/index.js';
import type { MarketplaceEvent } from '../events/index.js';
import { olistEvents } from '../events/index.js';
import type { RiskModelOptions, StageDurations } from '../risk/index.js';
import { DEFAULT_RISK_THRESHOLD, RiskModel, checkpoints, positionAt } from '../risk/index.js';
import type { StageRule, StreamConfig } from '../stream/index.js';
import { CHANGE_KINDS, DelayDetector, STAGE_RULES } from '../stream/index.js';
import type { Outcome, RuleOutcome } from './measures.js';
import { DAY_MS, rocAuc, ruleOutcome } from './measures.js';

/**
 * A backtest of the alert rules on history. The risk model learns from the orders delivered before
 * the training cut only (what was known then: an order placed before the cut but delivered after it
 * is not used). The test period's orders — placed in [testFrom, testUntil) — go through the stream's
 * `DelayDetector` (the deadline rules, event by event, as the speed layer runs them) and through the
 * risk evaluation at each of their steps and every `checkEveryMs` between them. The rules are judged
 * on the test orders whose outcome is known (delivered): late means delivered at or after the end
 * of the estimated local day.
 */

export interface BacktestOptions {
  readonly trainUntil: EpochMillis;
  /** Default: the training cut. */
  readonly testFrom?: EpochMillis;
  /** Default: no end. */
  readonly testUntil?: EpochMillis;
  /** Thresholds of P(late) swept for the risk rule. Default 0.1, 0.2 … 0.9. */
  readonly thresholds?: readonly number[];
  /** The threshold reported as the risk rule. Default `DEFAULT_RISK_THRESHOLD`. */
  readonly riskThreshold?: number;
  /** How often risk is evaluated between an order's steps. Default 6 hours. */
  readonly checkEveryMs?: number;
  /** An alert at least this many days before the end of the estimated day counts as early. Default 2. */
  readonly earlyDays?: number;
  /** The deadline rules' settings (approval hours, allowed lateness, escalation step). */
  readonly stream?: Partial<StreamConfig>;
  readonly model?: Partial<RiskModelOptions>;
}

export const DEFAULT_THRESHOLDS: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
export const DEFAULT_CHECK_EVERY_MS = 6 * 3_600_000;

export interface AucAt {
  /** Test orders (delivered) that reached the step before the end of their estimated day. */
  readonly orders: number;
  readonly late: number;
  /** ROC AUC of P(late) at the step; null when one class is empty. */
  readonly auc: number | null;
}

export interface BacktestReport {
  readonly trainUntil: EpochMillis;
  readonly testFrom: EpochMillis;
  readonly testUntil: EpochMillis | null;
  /** Delivered orders the model learned from, and the scopes with their own distributions. */
  readonly trainingOrders: number;
  readonly scopes: number;
  /** Orders placed in the test period; of them, delivered (judged) and late. */
  readonly testOrders: number;
  readonly judgedOrders: number;
  readonly lateOrders: number;
  /** lateOrders / judgedOrders. */
  readonly baseLateRate: number | null;
  readonly earlyDays: number;
  readonly riskThreshold: number;
  /** The deadline rules one by one, all together, the handoff baseline, and the risk rule at its threshold. */
  readonly rules: readonly RuleOutcome[];
  /** The risk rule at each threshold. */
  readonly sweep: readonly (RuleOutcome & { readonly threshold: number })[];
  readonly aucAtApproval: AucAt;
  readonly aucAtHandoff: AucAt;
  /** AUC of the handoff baseline (late handoff or not) on the orders handed over before their deadline. */
  readonly handoffBaselineAuc: number | null;
}

interface TestOrder {
  readonly orderId: string;
  readonly sellerState: string;
  readonly customerState: string;
  readonly placedAt: EpochMillis;
  readonly approvedAt: EpochMillis | null;
  readonly handedToCarrierAt: EpochMillis | null;
  readonly deliveredAt: EpochMillis | null;
  readonly deadline: EpochMillis;
  readonly shippingLimitAt: EpochMillis | null;
}

const LIFECYCLE: ReadonlySet<string> = new Set(['OrderPlaced', 'PaymentApproved', 'OrderHandedToCarrier', 'OrderDelivered', 'OrderCanceled']);
const RISK_RULE = 'delivery_at_risk';
const DEADLINE_RULES = 'deadline rules (any)';
const HANDOFF_BASELINE = 'baseline: late seller handoff';

function checkThreshold(name: string, value: number): void {
  if (!(value > 0 && value < 1)) throw new RangeError(`${name} must be a probability strictly between 0 and 1, got ${value}`);
}

/** Each order's sellers' state (`multi` for several, `unknown` when a seller is not known) and its earliest shipping limit. */
function orderFacts(dataset: OlistDataset): Map<string, { sellerState: string; shippingLimitAt: EpochMillis | null }> {
  const sellerState = new Map(dataset.sellers.map((s) => [s.sellerId, s.state as string]));
  const facts = new Map<string, { states: Set<string>; shippingLimitAt: EpochMillis | null }>();
  for (const item of dataset.items) {
    let f = facts.get(item.orderId);
    if (f === undefined) facts.set(item.orderId, (f = { states: new Set(), shippingLimitAt: null }));
    f.states.add(sellerState.get(item.sellerId) ?? 'unknown');
    if (f.shippingLimitAt === null || item.shippingLimitAt < f.shippingLimitAt) f.shippingLimitAt = item.shippingLimitAt;
  }
  const out = new Map<string, { sellerState: string; shippingLimitAt: EpochMillis | null }>();
  for (const [orderId, f] of facts) {
    const state = f.states.has('unknown') ? 'unknown' : f.states.size > 1 ? 'multi' : ([...f.states][0] as string);
    out.set(orderId, { sellerState: state, shippingLimitAt: f.shippingLimitAt });
  }
  return out;
}

/** The stage durations of the orders delivered before `until`, each stage recorded. */
export function trainingDeliveries(dataset: OlistDataset, until: EpochMillis): StageDurations[] {
  const facts = orderFacts(dataset);
  const customerState = new Map(dataset.customers.map((c) => [c.customerId, c.state as string]));
  const rows: StageDurations[] = [];
  for (const o of dataset.orders) {
    if (o.status !== 'delivered' || o.approvedAt === null || o.deliveredToCarrierAt === null || o.deliveredToCustomerAt === null) continue;
    if (o.deliveredToCustomerAt >= until) continue;
    rows.push({
      sellerState: facts.get(o.orderId)?.sellerState ?? 'unknown',
      customerState: customerState.get(o.customerId) ?? 'unknown',
      approvalDays: (o.approvedAt - o.purchasedAt) / DAY_MS,
      handoffDays: (o.deliveredToCarrierAt - o.approvedAt) / DAY_MS,
      transitDays: (o.deliveredToCustomerAt - o.deliveredToCarrierAt) / DAY_MS,
    });
  }
  return rows;
}

/** The deadline rules' first alert per order, from the stream's detector run over the test orders' events. */
function deadlineAlerts(events: readonly MarketplaceEvent[], stream: Partial<StreamConfig>): Map<string, Map<StageRule, EpochMillis>> {
  const detector = new DelayDetector(stream);
  const first = new Map<string, Map<StageRule, EpochMillis>>();
  const note = (changes: ReturnType<DelayDetector['process']>): void => {
    for (const change of changes) {
      if (change.kind !== CHANGE_KINDS.opened) continue;
      const rule = change.alert.rule as StageRule;
      let rules = first.get(change.alert.orderId);
      if (rules === undefined) first.set(change.alert.orderId, (rules = new Map<StageRule, EpochMillis>()));
      if (!rules.has(rule)) rules.set(rule, change.alert.openedAt);
    }
  };
  let last = -Infinity;
  for (const event of events) {
    note(detector.process(event));
    last = Math.max(last, event.eventTime);
  }
  if (Number.isFinite(last)) note(detector.advanceWatermark(last));
  return first;
}

export function backtest(dataset: OlistDataset, options: BacktestOptions): BacktestReport {
  const trainUntil = options.trainUntil;
  const testFrom = options.testFrom ?? trainUntil;
  const testUntil = options.testUntil ?? null;
  if (testFrom < trainUntil) throw new RangeError('the test period must start at or after the training cut (a test order must not be one the model learned from)');
  if (testUntil !== null && testUntil <= testFrom) throw new RangeError('the test period must end after it starts');
  const thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;
  for (const t of thresholds) checkThreshold('a threshold', t);
  const riskThreshold = options.riskThreshold ?? DEFAULT_RISK_THRESHOLD;
  checkThreshold('the risk threshold', riskThreshold);
  const checkEveryMs = options.checkEveryMs ?? DEFAULT_CHECK_EVERY_MS;
  const earlyDays = options.earlyDays ?? 2;

  const training = trainingDeliveries(dataset, trainUntil);
  if (training.length === 0) throw new RangeError('no order was delivered before the training cut: nothing to learn from');
  const model = RiskModel.build(training, options.model ?? {});

  const facts = orderFacts(dataset);
  const customerState = new Map(dataset.customers.map((c) => [c.customerId, c.state as string]));
  const inTest = (t: EpochMillis): boolean => t >= testFrom && (testUntil === null || t < testUntil);
  const tests: TestOrder[] = [];
  for (const o of dataset.orders) {
    if (!inTest(o.purchasedAt)) continue;
    const f = facts.get(o.orderId);
    tests.push({
      orderId: o.orderId,
      sellerState: f?.sellerState ?? 'unknown',
      customerState: customerState.get(o.customerId) ?? 'unknown',
      placedAt: o.purchasedAt,
      approvedAt: o.approvedAt,
      handedToCarrierAt: o.deliveredToCarrierAt,
      // An order canceled after its delivery was not delivered (as the gold tables count it).
      deliveredAt: o.status === 'delivered' ? o.deliveredToCustomerAt : null,
      deadline: endOfLocalDay(o.estimatedDeliveryDate),
      shippingLimitAt: f?.shippingLimitAt ?? null,
    });
  }
  const testIds = new Set(tests.map((t) => t.orderId));
  const events = olistEvents(dataset)
    .map((event, index) => ({ event, index }))
    .filter(({ event }) => LIFECYCLE.has(event.type) && 'orderId' in event && testIds.has(event.orderId))
    .sort((a, b) => a.event.eventTime - b.event.eventTime || a.index - b.index)
    .map(({ event }) => event);
  const alerts = deadlineAlerts(events, options.stream ?? {});

  const judged = tests.filter((t): t is TestOrder & { deliveredAt: EpochMillis } => t.deliveredAt !== null);
  const lateOf = (t: TestOrder & { deliveredAt: EpochMillis }): boolean => t.deliveredAt >= t.deadline;

  const rules: RuleOutcome[] = [];
  for (const rule of STAGE_RULES) {
    rules.push(ruleOutcome(rule, judged.map((t) => ({ late: lateOf(t), deadline: t.deadline, alertAt: alerts.get(t.orderId)?.get(rule) ?? null })), earlyDays));
  }
  rules.push(
    ruleOutcome(
      DEADLINE_RULES,
      judged.map((t) => {
        const times = [...(alerts.get(t.orderId)?.values() ?? [])];
        return { late: lateOf(t), deadline: t.deadline, alertAt: times.length === 0 ? null : Math.min(...times) };
      }),
      earlyDays,
    ),
  );
  // The naive predictor: the seller missed the shipping limit, known once it passed.
  const handoffLate = (t: TestOrder & { deliveredAt: EpochMillis }): boolean =>
    t.shippingLimitAt !== null && (t.handedToCarrierAt ?? t.deliveredAt) > t.shippingLimitAt;
  rules.push(
    ruleOutcome(HANDOFF_BASELINE, judged.map((t) => ({ late: lateOf(t), deadline: t.deadline, alertAt: handoffLate(t) ? (t.shippingLimitAt as EpochMillis) : null })), earlyDays),
  );

  // The risk rule: P(late) at each checkpoint before delivery or the deadline.
  const curves = judged.map((t) => {
    const until = Math.min(t.deliveredAt, t.deadline);
    const points = checkpoints(t, until, checkEveryMs).map((at) => ({ at, p: model.estimate(positionAt(t, at)).probability }));
    return { order: t, late: lateOf(t), points };
  });
  const riskAt = (threshold: number): Outcome[] =>
    curves.map((c) => ({ late: c.late, deadline: c.order.deadline, alertAt: c.points.find((pt) => pt.p >= threshold)?.at ?? null }));
  const sweep = [...new Set([...thresholds, riskThreshold])].sort((a, b) => a - b).map((threshold) => ({ threshold, ...ruleOutcome(RISK_RULE, riskAt(threshold), earlyDays) }));
  rules.push(ruleOutcome(RISK_RULE, riskAt(riskThreshold), earlyDays));

  const aucAt = (step: (t: TestOrder) => EpochMillis | null): AucAt => {
    const scored: { score: number; late: boolean }[] = [];
    for (const c of curves) {
      const at = step(c.order);
      if (at === null || at >= c.order.deadline || at >= c.order.deliveredAt) continue;
      scored.push({ score: model.estimate(positionAt(c.order, at)).probability, late: c.late });
    }
    return { orders: scored.length, late: scored.filter((s) => s.late).length, auc: rocAuc(scored) };
  };
  const handedInTime = judged.filter((t) => t.handedToCarrierAt !== null && t.handedToCarrierAt < t.deadline && t.handedToCarrierAt < t.deliveredAt);
  const late = judged.filter(lateOf).length;
  return {
    trainUntil,
    testFrom,
    testUntil,
    trainingOrders: training.length,
    scopes: model.scopes.length,
    testOrders: tests.length,
    judgedOrders: judged.length,
    lateOrders: late,
    baseLateRate: judged.length === 0 ? null : late / judged.length,
    earlyDays,
    riskThreshold,
    rules,
    sweep,
    aucAtApproval: aucAt((t) => t.approvedAt),
    aucAtHandoff: aucAt((t) => t.handedToCarrierAt),
    handoffBaselineAuc: rocAuc(handedInTime.map((t) => ({ score: handoffLate(t) ? 1 : 0, late: lateOf(t) }))),
  };
}
