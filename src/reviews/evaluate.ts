/** Measuring a classifier against labelled reviews: per-cause precision, recall and F1, and the primary causes' confusion. */
import type { Cause } from './causes.js';
import { CAUSES } from './causes.js';

export interface Judged {
  readonly labels: readonly Cause[];
  readonly primary: Cause;
}

export interface CauseScore {
  readonly cause: Cause;
  /** Reviews labelled with the cause. */
  readonly support: number;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
  /** 0 when nothing was predicted (and something was labelled); null when the cause is neither labelled nor predicted. */
  readonly precision: number | null;
  readonly recall: number | null;
  readonly f1: number | null;
}

export interface Evaluation {
  readonly reviews: number;
  readonly causes: readonly CauseScore[];
  /** The mean F1 of the causes that are labelled or predicted at least once. */
  readonly macroF1: number;
  /** Share of reviews whose predicted primary cause is the labelled one. */
  readonly primaryAccuracy: number;
  /** `confusion[labelled][predicted]`: reviews by labelled and predicted primary cause. */
  readonly confusion: Readonly<Record<Cause, Readonly<Record<Cause, number>>>>;
}

/** Compares predictions with labels, pair by pair (the two lists in the same order). */
export function evaluate(pairs: readonly { readonly labelled: Judged; readonly predicted: Judged }[]): Evaluation {
  const zeroRow = (): Record<Cause, number> => Object.fromEntries(CAUSES.map((c) => [c, 0])) as Record<Cause, number>;
  const confusion = Object.fromEntries(CAUSES.map((c) => [c, zeroRow()])) as Record<Cause, Record<Cause, number>>;
  const tp = zeroRow();
  const fp = zeroRow();
  const fn = zeroRow();
  let primaryRight = 0;
  for (const { labelled, predicted } of pairs) {
    for (const cause of CAUSES) {
      const isLabelled = labelled.labels.includes(cause);
      const isPredicted = predicted.labels.includes(cause);
      if (isLabelled && isPredicted) tp[cause]++;
      else if (isPredicted) fp[cause]++;
      else if (isLabelled) fn[cause]++;
    }
    confusion[labelled.primary][predicted.primary]++;
    if (labelled.primary === predicted.primary) primaryRight++;
  }
  const causes = CAUSES.map((cause): CauseScore => {
    const t = tp[cause];
    const seen = t + fp[cause] + fn[cause] > 0;
    const precision = !seen ? null : t + fp[cause] === 0 ? 0 : t / (t + fp[cause]);
    const recall = !seen ? null : t + fn[cause] === 0 ? 0 : t / (t + fn[cause]);
    const f1 = precision === null || recall === null ? null : precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { cause, support: t + fn[cause], truePositives: t, falsePositives: fp[cause], falseNegatives: fn[cause], precision, recall, f1 };
  });
  const f1s = causes.map((c) => c.f1).filter((f): f is number => f !== null);
  return {
    reviews: pairs.length,
    causes,
    macroF1: f1s.length === 0 ? 0 : f1s.reduce((s, f) => s + f, 0) / f1s.length,
    primaryAccuracy: pairs.length === 0 ? 0 : primaryRight / pairs.length,
    confusion,
  };
}
