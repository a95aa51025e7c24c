import type { EpochMillis, LocalDate } from '../data/index.js';
import { DEFAULT_RISK_THRESHOLD } from '../risk/index.js';

/**
 * The vocabulary of the speed layer's delay detector: the rules it watches, the states of an alert and
 * its configuration. Everything here is plain data; the detector (`detector.ts`) is pure and
 * deterministic, driven only by events and an explicit watermark.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** The rules. The first three are stages awaiting an event; `delivered_late` is a final record. */
export const RULES = {
  /** Payment not approved within `approvalHours` of the purchase. */
  approvalOverdue: 'approval_overdue',
  /** The seller missed the earliest shipping_limit of the order's items (no carrier handoff by then). */
  handoffOverdue: 'handoff_overdue',
  /** The estimated delivery day is over and the order is not delivered. */
  deliveryOverdue: 'delivery_overdue',
  /** Final: the order was delivered on a later local day than estimated (with the days late). */
  deliveredLate: 'delivered_late',
  /**
   * Not late yet, but likely to be: P(delivered after the estimated day) ≥ `riskThreshold`, from the
   * batch layer's stage durations of the order's route (src/risk). Only with a risk model.
   */
  deliveryAtRisk: 'delivery_at_risk',
} as const;
export type Rule = (typeof RULES)[keyof typeof RULES];
export const RULE_NAMES: readonly Rule[] = Object.values(RULES);

/** The rules that wait for a stage event and can be open, escalated and resolved. */
export const STAGE_RULES = [RULES.approvalOverdue, RULES.handoffOverdue, RULES.deliveryOverdue] as const;
export type StageRule = (typeof STAGE_RULES)[number];

export const ALERT_STATES = {
  open: 'open',
  escalated: 'escalated',
  resolved: 'resolved',
  /**
   * Overdue `stuckAfterMs` with its awaited event still missing: out of the operators' queue (whatever
   * can still be saved) and onto a list of its own; it escalates no more, and resolves as any other
   * when its event or a cancellation finally comes.
   */
  stuck: 'stuck',
} as const;
export type AlertState = (typeof ALERT_STATES)[keyof typeof ALERT_STATES];

/** What happened to an alert in one change. `final` is the one-off `delivered_late` record. */
export const CHANGE_KINDS = {
  opened: 'opened',
  escalated: 'escalated',
  resolved: 'resolved',
  final: 'final',
} as const;
export type ChangeKind = (typeof CHANGE_KINDS)[keyof typeof CHANGE_KINDS];

/** What a `delivery_at_risk` alert says of the order's risk, at its version. */
export interface AlertRisk {
  /** P(delivered after the end of the estimated day). */
  readonly probability: number;
  /** When the order is expected to be delivered: the evaluation instant + the expected remaining time. */
  readonly expectedDeliveryAt: EpochMillis;
  /** The stage the order is in: `approval`, `carrier_handoff` or `transit` (the reason names whose durations priced it). */
  readonly stage: string;
}

export interface Alert {
  /** Deterministic: 32 hex of sha256(`orderId:rule`). One alert per (order, rule). */
  readonly alertId: string;
  readonly orderId: string;
  readonly rule: Rule;
  readonly state: AlertState;
  /** Event time at which the order became overdue (for `delivered_late`: the delivery time). */
  readonly openedAt: EpochMillis;
  /** Event time of this version: the watermark or the event that caused the change. */
  readonly updatedAt: EpochMillis;
  /** The stated deadline: purchase + approvalHours, earliest shipping limit, or end of the estimated local day. */
  readonly deadline: EpochMillis;
  /** How long overdue at `updatedAt` (for a resolved alert: at the awaited event, or at cancellation). */
  readonly overdueMs: number;
  /** `delivered_late` only: delivered local day − estimated local day, in calendar days; else null. */
  readonly daysLate: number | null;
  /**
   * Value at stake: order value (BRL) × product-grade weight × (1 + whole days overdue, at most
   * `overdueDaysCap`). `delivered_late`: × (1 + days late), uncapped: a record of the damage done.
   */
  readonly priority: number;
  /** Sum of the items' price + freight, in cents. */
  readonly orderValueCents: number;
  /** Number of escalations so far. */
  readonly level: number;
  readonly reason: string;
  /** Version of this alert, 1 for its first change, +1 per change: a sink can upsert idempotently. */
  readonly sequence: number;
  /** `delivery_at_risk` only: the risk at this version; absent (or null) for the other rules. */
  readonly risk?: AlertRisk | null;
}

export interface AlertChange {
  readonly kind: ChangeKind;
  readonly alert: Alert;
  /** The watermark when the change was emitted. */
  readonly watermark: EpochMillis;
}

/** What a product-grade lookup sees of an order. */
export interface OrderFacts {
  readonly orderId: string;
  readonly productIds: readonly string[];
  readonly sellerIds: readonly string[];
  readonly orderValueCents: number;
  readonly estimatedDeliveryDate: LocalDate;
}

/** A weight for an order's priority (1.0 = neutral). The batch layer's product grades plug in here. */
export type GradeWeight = (order: OrderFacts) => number;

export interface StreamConfig {
  /**
   * Hours after the purchase by which the payment should be approved. Default 96, measured on the
   * bundled sample (13,070 approved of 13,092 orders; purchase → approval): median 0.35 h, p90 34.8 h,
   * p95 48.1 h, p99 91.2 h, max 742 h. Boleto payments take up to about three business days to clear,
   * which makes the long tail; 24 h would flag 2,325 orders (18%), 48 h 663 (5%). The p99 rounded up
   * to whole days is 96 h (4 days): 113 orders (0.9%) were approved later than that. On the sample the
   * detector opens 76 approval alerts: a handoff or delivery recorded before the approval counts as past it.
   */
  readonly approvalHours: number;
  /** How far behind the newest event time an event may still arrive on time. Default 1 hour. */
  readonly allowedLatenessMs: number;
  /**
   * An open alert escalates once it has been open this long, then each time that time doubles
   * (default 1 day: escalations at 1, 2, 4, 8, ... days). A daily step repeats itself too often: on
   * the sample it made 109k escalations for 2.5k alerts.
   */
  readonly escalateAfterMs: number;
  /** A finished (delivered or canceled) order's state is dropped this long after it finished, in watermark time. Default 30 days. */
  readonly stateRetentionMs: number;
  /**
   * An alert overdue this long (watermark − deadline) moves to the `stuck` state. Default 30 days; 0:
   * never. On the sample the head of the open queue was orders more than 500 days overdue, never
   * delivered nor canceled: nothing an operator can still save, and they hid the ones that can be.
   */
  readonly stuckAfterMs: number;
  /**
   * Priority's overdue factor counts at most this many whole days (default 14: 1 + 14 = 15× the value
   * at stake; two weeks overdue is as urgent as overdue gets, and at 30 days an alert is stuck).
   * Unbounded, a long-forgotten order outranked every order still in time to be saved.
   */
  readonly overdueDaysCap: number;
  /**
   * P(late) at which `delivery_at_risk` opens (default 0.6, chosen from the backtest on the sample:
   * 78.9% of late deliveries flagged at least 2 days ahead, at 6.4× the base rate's precision). It
   * resolves when P(late) falls below this − `RISK_HYSTERESIS`.
   */
  readonly riskThreshold: number;
  /** How often (event time) an open order's risk is evaluated between its steps. Default 6 hours. */
  readonly riskCheckEveryMs: number;
}

/** How far P(late) must fall below the threshold before an at-risk alert resolves (so it does not flap). */
export const RISK_HYSTERESIS = 0.1;
/** How far P(late) must rise above an at-risk alert's last version before a new one is emitted. */
export const RISK_STEP = 0.1;

export const DEFAULT_STREAM_CONFIG: StreamConfig = {
  approvalHours: 96,
  allowedLatenessMs: HOUR_MS,
  escalateAfterMs: DAY_MS,
  stateRetentionMs: 30 * DAY_MS,
  stuckAfterMs: 30 * DAY_MS,
  overdueDaysCap: 14,
  riskThreshold: DEFAULT_RISK_THRESHOLD,
  riskCheckEveryMs: 6 * HOUR_MS,
};

/** The defaults with `overrides` applied; throws a RangeError for a negative or non-finite setting. */
export function streamConfig(overrides: Partial<StreamConfig> = {}): StreamConfig {
  const config: StreamConfig = { ...DEFAULT_STREAM_CONFIG, ...overrides };
  for (const [name, value] of Object.entries(config)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`stream config ${name} must be a finite number >= 0, got ${String(value)}`);
    }
  }
  if (config.escalateAfterMs === 0) throw new RangeError('stream config escalateAfterMs must be > 0');
  if (!(config.riskThreshold > 0 && config.riskThreshold <= 1)) throw new RangeError(`stream config riskThreshold must be in (0, 1], got ${config.riskThreshold}`);
  if (config.riskCheckEveryMs === 0) throw new RangeError('stream config riskCheckEveryMs must be > 0');
  return config;
}
