/** The measures a backtest reports: precision and recall of a rule, warning times, ROC AUC. */

export const DAY_MS = 86_400_000;

/** One order of the test period, as a rule saw it. */
export interface Outcome {
  readonly late: boolean;
  /** When the rule first alerted on the order; null: never. */
  readonly alertAt: number | null;
  /** The end of the estimated delivery day. */
  readonly deadline: number;
}

export interface RuleOutcome {
  readonly rule: string;
  /** Orders of the test period the rule alerted on. */
  readonly alerts: number;
  /** Alerted and delivered late. */
  readonly truePositives: number;
  /** Alerted and delivered on time. */
  readonly falsePositives: number;
  /** truePositives / alerts; null without alerts. */
  readonly precision: number | null;
  /** truePositives / late orders; null without late orders. */
  readonly recall: number | null;
  /** Late orders alerted at least `earlyDays` before the end of the estimated day. */
  readonly caughtEarly: number;
  /** caughtEarly / late orders. */
  readonly recallEarly: number | null;
  /** Of the true positives: days from the alert to the end of the estimated day (negative: after it). */
  readonly warningMedianDays: number | null;
  readonly warningP10Days: number | null;
}

/** The q-quantile of `values` (linear between order statistics, as DuckDB's quantile_cont); null when empty. */
export function quantileOf(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function ruleOutcome(rule: string, outcomes: readonly Outcome[], earlyDays: number): RuleOutcome {
  let alerts = 0;
  let tp = 0;
  let late = 0;
  let early = 0;
  const warnings: number[] = [];
  for (const o of outcomes) {
    if (o.late) late++;
    if (o.alertAt === null) continue;
    alerts++;
    if (!o.late) continue;
    tp++;
    const warning = (o.deadline - o.alertAt) / DAY_MS;
    warnings.push(warning);
    if (warning >= earlyDays) early++;
  }
  return {
    rule,
    alerts,
    truePositives: tp,
    falsePositives: alerts - tp,
    precision: alerts === 0 ? null : tp / alerts,
    recall: late === 0 ? null : tp / late,
    caughtEarly: early,
    recallEarly: late === 0 ? null : early / late,
    warningMedianDays: quantileOf(warnings, 0.5),
    warningP10Days: quantileOf(warnings, 0.1),
  };
}

/**
 * The ROC AUC of `score` for telling late (positive) from on-time orders: the probability that a
 * late order scores above an on-time one, ties counting half (Mann–Whitney U with mid-ranks).
 * Null when either class is empty.
 */
export function rocAuc(scored: readonly { readonly score: number; readonly late: boolean }[]): number | null {
  const positives = scored.filter((s) => s.late).length;
  const negatives = scored.length - positives;
  if (positives === 0 || negatives === 0) return null;
  const sorted = [...scored].sort((a, b) => a.score - b.score);
  let rankSum = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j]!.score === sorted[i]!.score) j++;
    const midRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (sorted[k]!.late) rankSum += midRank;
    i = j;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
