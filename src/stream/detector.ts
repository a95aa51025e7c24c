import { hash } from 'node:crypto';
import type { EpochMillis } from '../data/index.js';
import { formatLocal } from '../data/index.js';
import type { MarketplaceEvent, OrderLifecycleEvent } from '../events/index.js';
import type { OrderState } from './order-state.js';
import {
  applyOrderEvent,
  finishedAt,
  newOrderState,
  orderFacts,
  overdueFrom,
  stageDeadline,
  stageSatisfiedAt,
} from './order-state.js';
import type { Timer } from './timers.js';
import { TIMER_KINDS, TimerQueue } from './timers.js';
import type { RiskNorms } from '../risk/index.js';
import { positionAt } from '../risk/index.js';
import type { Alert, AlertChange, AlertRisk, ChangeKind, GradeWeight, Rule, StageRule, StreamConfig } from './types.js';
import { ALERT_STATES, CHANGE_KINDS, DAY_MS, RISK_HYSTERESIS, RISK_STEP, RULE_NAMES, RULES, STAGE_RULES, streamConfig } from './types.js';
import { WatermarkTracker } from './watermark.js';
import type { DetectorSnapshot, OrderSnapshot } from './detector-snapshot.js';

/**
 * The pure core of the speed layer: order events in, alert changes out, in the manner of a Kafka
 * Streams processor with event-time punctuation. No I/O, no clock: the same events and watermark
 * calls always give the same changes.
 *
 * - Each event advances the watermark (newest event time − allowed lateness); timers due at or before
 *   it fire first, in due order, then the event is applied to its order's state.
 * - A stage's deadline passing without its awaited event OPENS an alert (`openedAt` = the instant it
 *   became overdue), so an order whose next event never comes is flagged when the deadline passes.
 *   An order's own event later than one of its deadlines proves that deadline passed too, so it opens
 *   the alert at once, even while the watermark lags by the allowed lateness.
 * - Overdue `stuckAfterMs`, it becomes STUCK (an `escalated` change to state `stuck`) and escalates
 *   no more. Priority's overdue factor stops growing after `overdueDaysCap` days.
 * - Overdue `escalateAfterMs`, and again each time the overdue time doubles (2×, 4×, ...), it
 *   ESCALATES (one change per punctuation, covering every
 *   step the watermark passed). The awaited event, or a later step, RESOLVES it; a cancellation
 *   resolves every open alert of the order. A delivery after the deadline also emits the final
 *   `delivered_late` record. One alert per (order, rule).
 * - Events before the watermark are late: they are still applied when their order is known (a late
 *   approval still resolves its alert) and always handed back through `drainLate()`.
 * - A finished order's state is dropped `stateRetentionMs` of watermark time after it finished.
 * - With a risk model (`options.risk`), an order on its way is priced at each of its steps and every
 *   `riskCheckEveryMs` of event time from its placement (risk timers): P(delivered after the
 *   estimated day) ≥ `riskThreshold` OPENS `delivery_at_risk`; a rise of `RISK_STEP` over its last
 *   version ESCALATES it; it RESOLVES on delivery, on cancellation, when P(late) falls below the
 *   threshold − `RISK_HYSTERESIS`, and when the estimated day ends (`delivery_overdue` then carries
 *   the order). It may open again later. Its priority: value at stake × grade weight × P(late).
 */

/** What `drainLate` hands back when no late event was seen: one frozen array, not a new one per call. */
const NO_LATE_EVENTS: readonly LateEvent[] = Object.freeze([]);

const LIFECYCLE_TYPES: ReadonlySet<string> = new Set([
  'OrderPlaced',
  'PaymentApproved',
  'OrderHandedToCarrier',
  'OrderDelivered',
  'OrderCanceled',
]);

function isLifecycle(event: MarketplaceEvent): event is OrderLifecycleEvent {
  return LIFECYCLE_TYPES.has(event.type);
}

/** The deterministic id of the alert of `rule` on `orderId`. */
export function alertIdOf(orderId: string, rule: Rule): string {
  return hash('sha256', `${orderId}:${rule}`, 'hex').slice(0, 32);
}

/** Whole calendar days from local date `from` to local date `to` (both `YYYY-MM-DD`). */
export function localDaysBetween(from: string, to: string): number {
  const utc = (d: string): number => Date.UTC(Number(d.slice(0, 4)), Number(d.slice(5, 7)) - 1, Number(d.slice(8, 10)));
  return Math.round((utc(to) - utc(from)) / DAY_MS);
}

/**
 * Escalation backs off: level L is reached `after × 2^(L-1)` after the alert opened (1, 2, 4, 8 days
 * with the default), so a long-overdue order does not repeat itself daily. On the sample a daily step
 * made 109k escalations for 2.5k alerts; doubling makes about 10k.
 */
export function escalationDelay(level: number, afterMs: number): number {
  return afterMs * 2 ** (level - 1);
}

/** The level an alert open for `elapsedMs` has reached (0 before the first escalation). */
export function escalationLevel(elapsedMs: number, afterMs: number): number {
  let level = 0;
  while (elapsedMs >= escalationDelay(level + 1, afterMs)) level++;
  return level;
}

/** An event that arrived before the watermark. `applied`: it still updated its (known) order. */
export interface LateEvent {
  readonly event: MarketplaceEvent;
  readonly watermark: EpochMillis;
  readonly applied: boolean;
}

export interface DetectorStats {
  readonly watermark: EpochMillis;
  readonly eventsProcessed: number;
  /** Order events whose `eventId` the order had already seen. */
  readonly duplicates: number;
  /** Events before the watermark (order events only), applied or not. */
  readonly late: number;
  /** Late order events of an order not (or no longer) held: not applied. */
  readonly lateNotApplied: number;
  /** Reference-data and review events: they move the watermark, nothing else. */
  readonly otherEvents: number;
  /** Orders whose state is held now. */
  readonly ordersInState: number;
  /** Orders whose state was dropped after retention. */
  readonly ordersDropped: number;
  readonly timersPending: number;
  readonly openAlerts: number;
  readonly changes: { readonly [K in ChangeKind]: number };
  /** Alerts opened per rule (`delivered_late`: final records emitted). */
  readonly alertsByRule: { readonly [R in Rule]: number };
}

interface Entry {
  readonly state: OrderState;
  readonly alerts: Map<Rule, Alert>;
  deadlinesScheduled: boolean;
  retentionDue: EpochMillis | null;
  weight: number;
  /** The pending risk check's instant; null when none is scheduled. */
  riskDue: EpochMillis | null;
}

export interface DelayDetectorOptions {
  /** Product-grade weight of an order's priority; 1.0 for every order when absent. */
  readonly gradeWeight?: GradeWeight;
  /** Where the risk model of `delivery_at_risk` is found; the rule is off without one. */
  readonly risk?: RiskSource | null;
}

/**
 * The risk model in force, read at every check: the processor swaps it between batches when the
 * batch layer publishes new norms. Null: no model (yet); orders are then not priced, and an order
 * placed meanwhile is priced from its next step on.
 */
export interface RiskSource {
  readonly norms: RiskNorms | null;
}

const AWAITED: { readonly [R in StageRule]: string } = {
  approval_overdue: 'payment approved',
  handoff_overdue: 'handed to the carrier',
  delivery_overdue: 'delivered',
};

function hours(ms: number): string {
  return `${Math.round(ms / 360_000) / 10} h`;
}

export class DelayDetector {
  readonly config: StreamConfig;
  readonly #gradeWeight: GradeWeight | null;
  readonly #risk: RiskSource | null;
  readonly #watermark: WatermarkTracker;
  readonly #timers = new TimerQueue();
  readonly #orders = new Map<string, Entry>();
  readonly #open = new Map<string, Alert>();
  #late: LateEvent[] = [];
  #eventsProcessed = 0;
  #duplicates = 0;
  #lateCount = 0;
  #lateNotApplied = 0;
  #otherEvents = 0;
  #dropped = 0;
  readonly #changes: Record<ChangeKind, number> = { opened: 0, escalated: 0, resolved: 0, final: 0 };
  readonly #byRule = Object.fromEntries(RULE_NAMES.map((r) => [r, 0])) as Record<Rule, number>;

  constructor(config: Partial<StreamConfig> = {}, options: DelayDetectorOptions = {}) {
    this.config = streamConfig(config);
    this.#gradeWeight = options.gradeWeight ?? null;
    this.#risk = options.risk ?? null;
    this.#watermark = new WatermarkTracker(this.config.allowedLatenessMs);
  }

  get watermark(): EpochMillis {
    return this.#watermark.current;
  }

  /** The newest event time seen; -Infinity before the first event. */
  get maxEventTime(): EpochMillis {
    return this.#watermark.maxEventTime;
  }

  /** The watermark imposed by `advanceWatermark` (the idle policy); null when none. */
  get watermarkFloor(): EpochMillis | null {
    const floor = this.#watermark.floor;
    return floor === -Infinity ? null : floor;
  }

  /** Processes one event; returns the alert changes it caused (timers it let fire first, then its own). */
  process(event: MarketplaceEvent): AlertChange[] {
    const changes: AlertChange[] = [];
    const lifecycle = isLifecycle(event);
    let entry = lifecycle ? this.#orders.get(event.orderId) : undefined;
    if (lifecycle && entry !== undefined && entry.state.seenEventIds.has(event.eventId)) {
      this.#duplicates++;
      return changes;
    }
    this.#eventsProcessed++;
    const before = this.#watermark.current;
    const { late } = this.#watermark.observe(event.eventTime);
    this.#fire(changes);
    if (!lifecycle) {
      this.#otherEvents++;
      return changes;
    }
    if (late) this.#lateCount++;
    if (entry === undefined) {
      if (late) {
        // Its order is unknown or already dropped: a late event cannot be placed in time any more.
        this.#lateNotApplied++;
        this.#late.push({ event, watermark: before, applied: false });
        return changes;
      }
      entry = {
        state: newOrderState(event.orderId, event.eventTime),
        alerts: new Map(),
        deadlinesScheduled: false,
        retentionDue: null,
        weight: 1,
        riskDue: null,
      };
      this.#orders.set(event.orderId, entry);
    }
    applyOrderEvent(entry.state, event);
    if (late) this.#late.push({ event, watermark: before, applied: true });
    this.#reconcile(entry, event.eventTime, changes);
    return changes;
  }

  /**
   * Moves the watermark to `ms` (if later) when the input is quiet, and fires the timers it passes.
   * The caller asserts that no event before `ms` is still to come (later ones count as late).
   */
  advanceWatermark(ms: EpochMillis): AlertChange[] {
    if (!Number.isFinite(ms)) throw new RangeError(`watermark must be finite, got ${ms}`);
    const changes: AlertChange[] = [];
    this.#watermark.advanceIdle(ms);
    this.#fire(changes);
    return changes;
  }

  /**
   * The detector's whole state, between two events (late events not yet drained are not part of
   * it). It shares the live objects: serialise it before the detector processes anything else.
   */
  snapshot(): DetectorSnapshot {
    if (this.#late.length > 0) throw new Error('drain the late events before taking a snapshot');
    const orders: OrderSnapshot[] = [];
    for (const entry of this.#orders.values()) {
      orders.push({
        state: entry.state,
        alerts: [...entry.alerts.values()],
        deadlinesScheduled: entry.deadlinesScheduled,
        retentionDue: entry.retentionDue,
        weight: entry.weight,
        riskDue: entry.riskDue,
      });
    }
    return {
      config: this.config,
      maxEventTime: this.#watermark.maxEventTime,
      floor: this.#watermark.floor,
      timers: this.#timers.pending(),
      orders,
      open: [...this.#open.keys()],
      counters: {
        eventsProcessed: this.#eventsProcessed,
        duplicates: this.#duplicates,
        late: this.#lateCount,
        lateNotApplied: this.#lateNotApplied,
        otherEvents: this.#otherEvents,
        ordersDropped: this.#dropped,
        changes: { ...this.#changes },
        alertsByRule: { ...this.#byRule },
      },
    };
  }

  /**
   * A detector continuing from `snapshot`. Its configuration must be the snapshot's: the timers and
   * alerts in it were computed with those deadlines and that lateness. The grade weight applies to
   * orders placed from now on; held orders keep the weight they were given.
   */
  static restore(snapshot: DetectorSnapshot, options: DelayDetectorOptions = {}): DelayDetector {
    const detector = new DelayDetector(snapshot.config, options);
    detector.#watermark.restore(snapshot.maxEventTime, snapshot.floor);
    for (const timer of snapshot.timers) detector.#timers.schedule(timer);
    const alerts = new Map<string, Alert>();
    for (const order of snapshot.orders) {
      const entry: Entry = {
        state: order.state,
        alerts: new Map(order.alerts.map((a) => [a.rule, a])),
        deadlinesScheduled: order.deadlinesScheduled,
        retentionDue: order.retentionDue,
        weight: order.weight,
        riskDue: order.riskDue,
      };
      detector.#orders.set(order.state.orderId, entry);
      for (const alert of order.alerts) alerts.set(alert.alertId, alert);
    }
    for (const id of snapshot.open) {
      const alert = alerts.get(id);
      if (alert === undefined) throw new RangeError(`open alert ${id} belongs to no held order`);
      detector.#open.set(id, alert);
    }
    const c = snapshot.counters;
    detector.#eventsProcessed = c.eventsProcessed;
    detector.#duplicates = c.duplicates;
    detector.#lateCount = c.late;
    detector.#lateNotApplied = c.lateNotApplied;
    detector.#otherEvents = c.otherEvents;
    detector.#dropped = c.ordersDropped;
    Object.assign(detector.#changes, c.changes);
    Object.assign(detector.#byRule, c.alertsByRule);
    return detector;
  }

  /** The alerts not resolved (open, escalated and stuck), highest priority first (then oldest, then by id). */
  openAlerts(): Alert[] {
    return [...this.#open.values()].sort(
      (a, b) => b.priority - a.priority || a.openedAt - b.openedAt || (a.alertId < b.alertId ? -1 : a.alertId > b.alertId ? 1 : 0),
    );
  }

  /** The current version of an order's alert of `rule`, while the order is held. */
  alert(orderId: string, rule: Rule): Alert | null {
    return this.#orders.get(orderId)?.alerts.get(rule) ?? null;
  }

  /** Hands back (and forgets) the late events seen since the last call. */
  drainLate(): readonly LateEvent[] {
    // Asked after every event: with none seen (nearly always), no new array.
    if (this.#late.length === 0) return NO_LATE_EVENTS;
    const late = this.#late;
    this.#late = [];
    return late;
  }

  stats(): DetectorStats {
    return {
      watermark: this.#watermark.current,
      eventsProcessed: this.#eventsProcessed,
      duplicates: this.#duplicates,
      late: this.#lateCount,
      lateNotApplied: this.#lateNotApplied,
      otherEvents: this.#otherEvents,
      ordersInState: this.#orders.size,
      ordersDropped: this.#dropped,
      timersPending: this.#timers.size,
      openAlerts: this.#open.size,
      changes: { ...this.#changes },
      alertsByRule: { ...this.#byRule },
    };
  }

  #fire(changes: AlertChange[]): void {
    const watermark = this.#watermark.current;
    this.#timers.fireDue(watermark, (timer) => this.#onTimer(timer, watermark, changes));
  }

  #onTimer(timer: Timer, watermark: EpochMillis, changes: AlertChange[]): void {
    const entry = this.#orders.get(timer.orderId);
    if (entry === undefined) return;
    const state = entry.state;
    if (timer.kind === TIMER_KINDS.retention) {
      if (entry.retentionDue !== timer.due) return;
      entry.retentionDue = null;
      const finished = finishedAt(state);
      // Finished orders go; so do orders whose placement never came (orphans of a lost OrderPlaced).
      if (finished !== null || state.placedAt === null) {
        for (const alert of entry.alerts.values()) this.#open.delete(alert.alertId);
        this.#orders.delete(timer.orderId);
        this.#dropped++;
      }
      return;
    }
    if (timer.kind === TIMER_KINDS.risk) {
      if (entry.riskDue !== timer.due) return;
      entry.riskDue = null;
      this.#assessRisk(entry, timer.due, watermark, changes);
      return;
    }
    const rule = timer.rule;
    if (rule === null) return;
    const existing = entry.alerts.get(rule);
    if (timer.kind === TIMER_KINDS.deadline) {
      if (existing !== undefined || stageSatisfiedAt(state, rule) !== null || state.canceledAt !== null) return;
      this.#openAlert(entry, rule, watermark, watermark, changes);
      return;
    }
    if (timer.kind === TIMER_KINDS.stuck) {
      if (existing === undefined || existing.state === ALERT_STATES.resolved || existing.state === ALERT_STATES.stuck) return;
      const overdueMs = Math.max(0, watermark - existing.deadline);
      this.#emit(entry, CHANGE_KINDS.escalated, {
        ...existing,
        state: ALERT_STATES.stuck,
        updatedAt: watermark,
        overdueMs,
        priority: this.#priority(entry, overdueMs),
        reason: `${this.#openReason(entry, rule, existing.deadline)}; stuck: overdue ${hours(overdueMs)} with no event`,
      }, watermark, changes);
      return;
    }
    // Escalation (a stuck alert escalates no more).
    if (existing === undefined || existing.state === ALERT_STATES.resolved || existing.state === ALERT_STATES.stuck || existing.level >= timer.level) return;
    const level = Math.max(timer.level, escalationLevel(watermark - existing.openedAt, this.config.escalateAfterMs));
    const overdueMs = Math.max(0, watermark - existing.deadline);
    this.#emit(entry, CHANGE_KINDS.escalated, {
      ...existing,
      state: ALERT_STATES.escalated,
      updatedAt: watermark,
      overdueMs,
      level,
      priority: this.#priority(entry, overdueMs),
      reason: `${this.#openReason(entry, rule, existing.deadline)}; overdue ${hours(overdueMs)}, level ${level}`,
    }, watermark, changes);
    this.#timers.schedule({ due: existing.openedAt + escalationDelay(level + 1, this.config.escalateAfterMs), orderId: state.orderId, kind: TIMER_KINDS.escalation, rule, level: level + 1 });
  }

  /** Brings an order's alerts in line with its state after an event at `at`. */
  #reconcile(entry: Entry, at: EpochMillis, changes: AlertChange[]): void {
    const state = entry.state;
    const watermark = this.#watermark.current;
    if (state.placedAt !== null && !entry.deadlinesScheduled) {
      entry.deadlinesScheduled = true;
      const weight = this.#gradeWeight === null ? 1 : this.#gradeWeight(orderFacts(state));
      entry.weight = Number.isFinite(weight) && weight >= 0 ? weight : 1;
      for (const rule of STAGE_RULES) {
        const deadline = stageDeadline(state, rule, this.config.approvalHours);
        if (deadline === null) continue;
        this.#timers.schedule({ due: overdueFrom(rule, deadline), orderId: state.orderId, kind: TIMER_KINDS.deadline, rule, level: 0 });
      }
    }
    for (const rule of STAGE_RULES) {
      const deadline = stageDeadline(state, rule, this.config.approvalHours);
      if (deadline === null) continue;
      const from = overdueFrom(rule, deadline);
      const satisfied = stageSatisfiedAt(state, rule);
      const closedAt = satisfied ?? state.canceledAt;
      let alert = entry.alerts.get(rule);
      if (closedAt !== null) {
        // Closed by its awaited step (or a later one) or by cancellation. If that came after the
        // deadline and the alert was never raised (the watermark lagged), it was overdue all the same.
        if (alert === undefined && closedAt >= from) alert = this.#openAlert(entry, rule, from, watermark, changes);
        if (alert !== undefined && alert.state !== ALERT_STATES.resolved) {
          const overdueMs = Math.max(0, closedAt - alert.deadline);
          const reason =
            satisfied !== null
              ? `${AWAITED[rule]} at ${formatLocal(satisfied)}, ${hours(overdueMs)} after the deadline`
              : `order canceled at ${formatLocal(closedAt)}`;
          this.#emit(entry, CHANGE_KINDS.resolved, {
            ...alert,
            state: ALERT_STATES.resolved,
            updatedAt: Math.max(alert.updatedAt, closedAt),
            overdueMs,
            priority: this.#priority(entry, overdueMs),
            reason,
          }, watermark, changes);
        }
        continue;
      }
      // The order's own event beyond a deadline proves that deadline has passed.
      if (alert === undefined && at >= from) this.#openAlert(entry, rule, at, watermark, changes);
    }
    this.#finalDeliveredLate(entry, watermark, changes);
    this.#assessRisk(entry, at, watermark, changes);
    this.#scheduleRetention(entry);
  }

  /**
   * Prices the order's risk at `at` (a step's event time, or a risk check's instant) and opens,
   * escalates or resolves its `delivery_at_risk` alert. Keeps one risk check pending while the order
   * is on its way, on the grid of `riskCheckEveryMs` from its placement (as the backtest checks).
   */
  #assessRisk(entry: Entry, at: EpochMillis, watermark: EpochMillis, changes: AlertChange[]): void {
    const state = entry.state;
    const rule = RULES.deliveryAtRisk;
    const existing = entry.alerts.get(rule);
    const open = existing !== undefined && existing.state !== ALERT_STATES.resolved;
    const deadline = state.deliveryDeadline;
    const finished = finishedAt(state);
    if (open && (finished !== null || (deadline !== null && at >= deadline))) {
      const reason =
        state.deliveredAt !== null
          ? `delivered at ${formatLocal(state.deliveredAt)}`
          : state.canceledAt !== null
            ? `order canceled at ${formatLocal(state.canceledAt)}`
            : `the estimated day ${state.estimatedDeliveryDate ?? '?'} is over: delivery_overdue carries the order`;
      this.#emit(entry, CHANGE_KINDS.resolved, { ...existing, state: ALERT_STATES.resolved, updatedAt: Math.max(existing.updatedAt, finished ?? at), reason }, watermark, changes);
      return;
    }
    const norms = this.#risk?.norms ?? null;
    const placedAt = state.placedAt;
    if (norms === null || placedAt === null || deadline === null || finished !== null || at >= deadline || at < placedAt) return;
    if (entry.riskDue === null) {
      // The next point of the grid, or the end of the estimated day, where an open alert resolves.
      const every = this.config.riskCheckEveryMs;
      const next = Math.min(deadline, placedAt + (Math.floor((at - placedAt) / every) + 1) * every);
      entry.riskDue = next;
      this.#timers.schedule({ due: next, orderId: state.orderId, kind: TIMER_KINDS.risk, rule: null, level: 0 });
    }
    const estimate = norms.estimate(
      positionAt(
        {
          sellerState: norms.sellerStateOf(state.sellerIds),
          customerState: state.customerState ?? 'unknown',
          placedAt,
          approvedAt: state.approvedAt,
          handedToCarrierAt: state.handedToCarrierAt,
          deadline,
        },
        at,
      ),
    );
    const p = estimate.probability;
    const threshold = this.config.riskThreshold;
    // Most checks change nothing: the alert's version is made only for a change.
    const opens = !open && p >= threshold;
    const resolves = open && p < threshold - RISK_HYSTERESIS;
    const rises = open && !resolves && p >= (existing.risk?.probability ?? threshold) + RISK_STEP;
    if (!opens && !resolves && !rises) return;
    const risk: AlertRisk = { probability: p, expectedDeliveryAt: Math.round(at + estimate.expectedRemainingDays * DAY_MS), stage: estimate.stage };
    const priced = {
      updatedAt: at,
      priority: (state.orderValueCents / 100) * entry.weight * p,
      reason: `P(late) ${p.toFixed(2)} in ${estimate.stage.replace('_', ' ')} (durations of ${estimate.scope}); expected ${formatLocal(risk.expectedDeliveryAt).slice(0, 10)}, estimated ${state.estimatedDeliveryDate ?? '?'}`,
      risk,
    };
    if (opens) {
      this.#emit(entry, CHANGE_KINDS.opened, {
        alertId: alertIdOf(state.orderId, rule),
        orderId: state.orderId,
        rule,
        state: ALERT_STATES.open,
        openedAt: at,
        deadline,
        overdueMs: 0,
        daysLate: null,
        orderValueCents: state.orderValueCents,
        level: 0,
        sequence: 0,
        ...priced,
      }, watermark, changes);
    } else if (open && resolves) {
      this.#emit(entry, CHANGE_KINDS.resolved, { ...existing, ...priced, state: ALERT_STATES.resolved, reason: `the risk fell: ${priced.reason}` }, watermark, changes);
    } else if (open) {
      this.#emit(entry, CHANGE_KINDS.escalated, { ...existing, ...priced, state: ALERT_STATES.escalated, level: existing.level + 1 }, watermark, changes);
    }
  }

  #finalDeliveredLate(entry: Entry, watermark: EpochMillis, changes: AlertChange[]): void {
    const state = entry.state;
    const delivered = state.deliveredAt;
    const deadline = state.deliveryDeadline;
    const estimated = state.estimatedDeliveryDate;
    if (delivered === null || deadline === null || estimated === null || delivered < deadline) return;
    if (entry.alerts.has(RULES.deliveredLate)) return;
    const deliveredDay = formatLocal(delivered).slice(0, 10);
    const daysLate = localDaysBetween(estimated, deliveredDay);
    const overdueMs = delivered - deadline;
    this.#emit(entry, CHANGE_KINDS.final, {
      alertId: alertIdOf(state.orderId, RULES.deliveredLate),
      orderId: state.orderId,
      rule: RULES.deliveredLate,
      state: ALERT_STATES.resolved,
      openedAt: delivered,
      updatedAt: delivered,
      deadline,
      overdueMs,
      daysLate,
      priority: (state.orderValueCents / 100) * entry.weight * (1 + daysLate),
      orderValueCents: state.orderValueCents,
      level: 0,
      reason: `delivered ${deliveredDay}, ${daysLate} day${daysLate === 1 ? '' : 's'} after the estimated ${estimated}`,
      sequence: 0,
    }, watermark, changes);
  }

  #scheduleRetention(entry: Entry): void {
    const state = entry.state;
    const finished = finishedAt(state);
    const base = finished ?? (state.placedAt === null ? state.firstSeenAt : null);
    if (base === null) return;
    const due = base + this.config.stateRetentionMs;
    if (entry.retentionDue === due) return;
    entry.retentionDue = due;
    this.#timers.schedule({ due, orderId: state.orderId, kind: TIMER_KINDS.retention, rule: null, level: 0 });
  }

  #openReason(entry: Entry, rule: StageRule, deadline: EpochMillis): string {
    switch (rule) {
      case RULES.approvalOverdue:
        return `payment not approved within ${this.config.approvalHours} h of the purchase (due ${formatLocal(deadline)})`;
      case RULES.handoffOverdue:
        return `seller has not handed the order to the carrier by the shipping limit ${formatLocal(deadline)}`;
      case RULES.deliveryOverdue:
        return `not delivered by the estimated day ${entry.state.estimatedDeliveryDate ?? '?'}`;
    }
  }

  #openAlert(entry: Entry, rule: StageRule, updatedAt: EpochMillis, watermark: EpochMillis, changes: AlertChange[]): Alert {
    const state = entry.state;
    const deadline = stageDeadline(state, rule, this.config.approvalHours) as EpochMillis;
    const from = overdueFrom(rule, deadline);
    const overdueMs = Math.max(0, updatedAt - deadline);
    const alert = this.#emit(entry, CHANGE_KINDS.opened, {
      alertId: alertIdOf(state.orderId, rule),
      orderId: state.orderId,
      rule,
      state: ALERT_STATES.open,
      openedAt: from,
      updatedAt: Math.max(from, updatedAt),
      deadline,
      overdueMs,
      daysLate: null,
      priority: this.#priority(entry, overdueMs),
      orderValueCents: state.orderValueCents,
      level: 0,
      reason: this.#openReason(entry, rule, deadline),
      sequence: 0,
    }, watermark, changes);
    this.#timers.schedule({ due: from + escalationDelay(1, this.config.escalateAfterMs), orderId: state.orderId, kind: TIMER_KINDS.escalation, rule, level: 1 });
    if (this.config.stuckAfterMs > 0) {
      this.#timers.schedule({ due: Math.max(from, deadline + this.config.stuckAfterMs), orderId: state.orderId, kind: TIMER_KINDS.stuck, rule, level: 0 });
    }
    return alert;
  }

  #priority(entry: Entry, overdueMs: number): number {
    return (entry.state.orderValueCents / 100) * entry.weight * (1 + Math.min(Math.floor(overdueMs / DAY_MS), this.config.overdueDaysCap));
  }

  #emit(entry: Entry, kind: ChangeKind, next: Alert, watermark: EpochMillis, changes: AlertChange[]): Alert {
    const previous = entry.alerts.get(next.rule);
    const alert: Alert = { ...next, sequence: (previous?.sequence ?? 0) + 1 };
    entry.alerts.set(alert.rule, alert);
    if (alert.state === ALERT_STATES.resolved) this.#open.delete(alert.alertId);
    else this.#open.set(alert.alertId, alert);
    this.#changes[kind]++;
    if (kind === CHANGE_KINDS.opened || kind === CHANGE_KINDS.final) this.#byRule[alert.rule]++;
    changes.push({ kind, alert, watermark });
    return alert;
  }
}
