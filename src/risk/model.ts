import type { EpochMillis } from '../data/index.js';
import type { DurationHistogram } from './histogram.js';
import { convolve, firstAtOrAfter, histogramOf, meanOf, occupiedBins, survival, zeroHistogram } from './histogram.js';

/**
 * The delay-risk model: for an order still on its way, the probability that it is delivered after
 * the end of its estimated delivery day, from how long each remaining stage took on its route.
 *
 * - Stages: `approval` (purchase → payment approved), `carrier_handoff` (approval → handed to the
 *   carrier), `transit` (carrier → delivered), as in `gold.route_norms`.
 * - Each stage's duration on a scope is an empirical histogram of delivered orders (bins of
 *   `widthDays`, up to `maxDays`, the last bin holding the longer ones).
 * - Scope: the route (seller state → customer state) when it has at least `minOrders` delivered
 *   orders; else every seller to that customer state; else the whole country.
 * - The order is in the stage whose event it awaits, `elapsed` into it. Its remaining time is the rest
 *   of the current stage, drawn from that stage's durations longer than `elapsed` (the survival
 *   condition), plus the later stages, taken as independent of it and of each other.
 * - P(late) = P(remaining ≥ time left until the deadline). With no time left it is 1; so it is when
 *   the current stage has already lasted longer than any the scope saw.
 */

export const RISK_STAGES = ['approval', 'carrier_handoff', 'transit'] as const;
export type RiskStage = (typeof RISK_STAGES)[number];

export const DAY_MS = 86_400_000;

/** The P(late) at which an order counts as at risk, chosen from the backtest on the sample (README). */
export const DEFAULT_RISK_THRESHOLD = 0.6;

/** One delivered order of the training period: where it went and what each stage took, in days. */
export interface StageDurations {
  /** The sellers' state (`multi` for several, as the gold tables say). */
  readonly sellerState: string;
  readonly customerState: string;
  readonly approvalDays: number;
  readonly handoffDays: number;
  readonly transitDays: number;
}

export interface RiskModelOptions {
  /** Fewest delivered orders a route (or a customer state) needs to have its own distributions. Default 30. */
  readonly minOrders: number;
  /** Histogram bin width in days. Default 0.25 (6 hours). */
  readonly widthDays: number;
  /** Durations from this many days on share the last bin. Default 90. */
  readonly maxDays: number;
}

export const DEFAULT_RISK_MODEL_OPTIONS: RiskModelOptions = { minOrders: 30, widthDays: 0.25, maxDays: 90 };

/** The distributions of one scope. */
export interface ScopeNorms {
  /** `SP→RJ` (a route), `*→RJ` (a customer state) or `*` (the country). */
  readonly scope: string;
  readonly orders: number;
  readonly stages: Readonly<Record<RiskStage, DurationHistogram>>;
  /** The sum of the stages after each one (a point mass at 0 after transit). */
  readonly after: Readonly<Record<RiskStage, DurationHistogram>>;
}

/** Where an open order stands. */
export interface OrderPosition {
  readonly sellerState: string;
  readonly customerState: string;
  /** The stage whose event the order awaits. */
  readonly stage: RiskStage;
  /** When that stage began (placement, approval or handoff). */
  readonly stageStartedAt: EpochMillis;
  /** The instant of the evaluation. */
  readonly at: EpochMillis;
  /** The end of the estimated delivery day: delivered at or after it is late. */
  readonly deadline: EpochMillis;
}

export interface RiskEstimate {
  /** P(delivered at or after the deadline). */
  readonly probability: number;
  /** The scope whose distributions were used. */
  readonly scope: string;
  readonly stage: RiskStage;
  /** Expected remaining time to delivery, in days (stages beyond the last bin counted at its end). */
  readonly expectedRemainingDays: number;
}


function scopeNorms(scope: string, rows: readonly StageDurations[], o: RiskModelOptions): ScopeNorms {
  const bins = Math.ceil(o.maxDays / o.widthDays);
  const approval = histogramOf(rows.map((r) => r.approvalDays), o.widthDays, bins);
  const handoff = histogramOf(rows.map((r) => r.handoffDays), o.widthDays, bins);
  const transit = histogramOf(rows.map((r) => r.transitDays), o.widthDays, bins);
  const none = zeroHistogram(o.widthDays, bins);
  return {
    scope,
    orders: rows.length,
    stages: { approval, carrier_handoff: handoff, transit },
    after: { approval: convolve(handoff, transit), carrier_handoff: transit, transit: none },
  };
}

export const COUNTRY_SCOPE = '*';
export const routeScope = (sellerState: string, customerState: string): string => `${sellerState}→${customerState}`;
export const customerStateScope = (customerState: string): string => `*→${customerState}`;

/** Anything that gives an open order's P(late) at its position (a `RiskModel`, or a test's own). */
export interface RiskEstimator {
  estimate(position: OrderPosition): RiskEstimate;
}

export class RiskModel implements RiskEstimator {
  readonly options: RiskModelOptions;
  readonly #scopes: ReadonlyMap<string, ScopeNorms>;

  private constructor(options: RiskModelOptions, scopes: ReadonlyMap<string, ScopeNorms>) {
    this.options = options;
    this.#scopes = scopes;
  }

  /** The model of `deliveries` (throws a RangeError when there are none or an option is invalid). */
  static build(deliveries: readonly StageDurations[], options: Partial<RiskModelOptions> = {}): RiskModel {
    const o: RiskModelOptions = { ...DEFAULT_RISK_MODEL_OPTIONS, ...options };
    if (!Number.isInteger(o.minOrders) || o.minOrders < 1) throw new RangeError(`risk model minOrders must be a positive integer, got ${o.minOrders}`);
    if (!(o.widthDays > 0) || !(o.maxDays > o.widthDays)) throw new RangeError(`risk model needs 0 < widthDays < maxDays, got ${o.widthDays} and ${o.maxDays}`);
    if (deliveries.length === 0) throw new RangeError('risk model needs at least one delivered order to learn from');
    const groups = new Map<string, StageDurations[]>();
    const add = (key: string, row: StageDurations): void => {
      let rows = groups.get(key);
      if (rows === undefined) groups.set(key, (rows = []));
      rows.push(row);
    };
    for (const row of deliveries) {
      add(routeScope(row.sellerState, row.customerState), row);
      add(customerStateScope(row.customerState), row);
      add(COUNTRY_SCOPE, row);
    }
    const scopes = new Map<string, ScopeNorms>();
    for (const [scope, rows] of groups) {
      if (scope === COUNTRY_SCOPE || rows.length >= o.minOrders) scopes.set(scope, scopeNorms(scope, rows, o));
    }
    return new RiskModel(o, scopes);
  }

  /** The scopes with their own distributions, by name. */
  get scopes(): readonly string[] {
    return [...this.#scopes.keys()].sort();
  }

  /** The distributions for a route: its own, else its customer state's, else the country's. */
  normsFor(sellerState: string, customerState: string): ScopeNorms {
    return (
      this.#scopes.get(routeScope(sellerState, customerState)) ??
      this.#scopes.get(customerStateScope(customerState)) ??
      (this.#scopes.get(COUNTRY_SCOPE) as ScopeNorms)
    );
  }

  estimate(position: OrderPosition): RiskEstimate {
    const norms = this.normsFor(position.sellerState, position.customerState);
    return estimateWith(norms, position);
  }
}

function conditionalMeanRemaining(h: DurationHistogram, elapsed: number): number {
  const w = h.widthDays;
  let weight = 0;
  let sum = 0;
  // Only the bins with mass: an empty one adds nothing.
  const bins = occupiedBins(h);
  for (let i = firstAtOrAfter(bins, Math.floor(elapsed / w)); i < bins.length; i++) {
    const b = bins[i]!;
    const from = Math.max(b * w, elapsed);
    const m = (h.mass[b]! * (b * w + w - from)) / w;
    if (m <= 0) continue;
    weight += m;
    sum += m * ((from + b * w + w) / 2 - elapsed);
  }
  return weight === 0 ? 0 : sum / weight;
}

/** P(late) of `position` from one scope's distributions (see the model at the top of this file). */
export function estimateWith(norms: ScopeNorms, position: OrderPosition): RiskEstimate {
  const { stage } = position;
  const current = norms.stages[stage];
  const rest = norms.after[stage];
  const elapsed = Math.max(0, (position.at - position.stageStartedAt) / DAY_MS);
  const left = (position.deadline - position.at) / DAY_MS;
  const restMean = meanOf(rest);
  if (rest.atZero === true) {
    // The last stage: P(D ≥ elapsed + left | D > elapsed), exact for mass spread evenly over bins.
    const alive = survival(current, elapsed);
    const expected = conditionalMeanRemaining(current, elapsed);
    if (alive <= 0) return { probability: 1, scope: norms.scope, stage, expectedRemainingDays: 0 };
    const probability = left <= 0 ? 1 : Math.min(1, survival(current, elapsed + left) / alive);
    return { probability, scope: norms.scope, stage, expectedRemainingDays: expected };
  }
  const w = current.widthDays;
  let weight = 0;
  let lateWeight = 0;
  let remainingSum = 0;
  const bins = occupiedBins(current);
  for (let i = firstAtOrAfter(bins, Math.floor(elapsed / w)); i < bins.length; i++) {
    const b = bins[i]!;
    const lo = b * w;
    const hi = lo + w;
    // The part of the bin beyond `elapsed`, with its mass spread evenly over the bin.
    const from = Math.max(lo, elapsed);
    const m = (current.mass[b]! * (hi - from)) / w;
    if (m <= 0) continue;
    const remainingHere = (from + hi) / 2 - elapsed;
    weight += m;
    lateWeight += m * survival(rest, left - remainingHere);
    remainingSum += m * remainingHere;
  }
  if (weight === 0) return { probability: 1, scope: norms.scope, stage, expectedRemainingDays: restMean };
  const probability = left <= 0 ? 1 : Math.min(1, lateWeight / weight);
  return { probability, scope: norms.scope, stage, expectedRemainingDays: remainingSum / weight + restMean };
}
