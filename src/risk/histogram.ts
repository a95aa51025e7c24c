/**
 * Empirical duration distributions as fixed-width histograms over [0, bins × width) days, the last
 * bin holding everything longer. A bin's mass is taken as spread evenly over it, so survival
 * functions are piecewise linear and a probability changes smoothly with the time left (a step
 * function would tie many orders at the same value and blunt the ranking).
 */

export interface DurationHistogram {
  /** Width of a bin, in days. */
  readonly widthDays: number;
  /** Probability mass per bin, summing to 1 (all zero for an empty histogram). */
  readonly mass: readonly number[];
  /** Observations it was built from. */
  readonly count: number;
  /** tail[b] = mass of bins b and above (tail[bins] = 0): survival in constant time. */
  readonly tail: readonly number[];
  /** True for the exact point mass at 0 (nothing remains), which bins cannot express. */
  readonly atZero?: true;
}

function withTail(widthDays: number, mass: readonly number[], count: number): DurationHistogram {
  const tail = new Array<number>(mass.length + 1).fill(0);
  for (let b = mass.length - 1; b >= 0; b--) tail[b] = tail[b + 1]! + mass[b]!;
  return { widthDays, mass, tail, count };
}

/** A histogram of `days` (negative durations count as 0: Olist records a few steps out of order). */
export function histogramOf(days: readonly number[], widthDays: number, bins: number): DurationHistogram {
  if (!(widthDays > 0) || !Number.isFinite(widthDays)) throw new RangeError(`histogram bin width must be a positive number of days, got ${widthDays}`);
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`histogram bins must be a positive integer, got ${bins}`);
  const mass = new Array<number>(bins).fill(0);
  let count = 0;
  for (const d of days) {
    if (!Number.isFinite(d)) throw new RangeError(`duration must be a finite number of days, got ${d}`);
    mass[Math.min(bins - 1, Math.floor(Math.max(0, d) / widthDays))]! += 1;
    count++;
  }
  return withTail(widthDays, count === 0 ? mass : mass.map((m) => m / count), count);
}

/** A point mass at 0: what remains after the last stage. */
export function zeroHistogram(widthDays: number, bins: number): DurationHistogram {
  const mass = new Array<number>(bins).fill(0);
  mass[0] = 1;
  return { ...withTail(widthDays, mass, 0), atZero: true };
}

function isPointAtZero(h: DurationHistogram): boolean {
  return h.atZero === true;
}

/**
 * P(X ≥ x) with each bin's mass spread evenly over it. The point mass at zero is exact: P(0 ≥ x) is
 * 1 for x ≤ 0, else 0.
 */
export function survival(h: DurationHistogram, x: number): number {
  if (x <= 0) return 1;
  if (isPointAtZero(h)) return 0;
  const w = h.widthDays;
  const at = Math.floor(x / w);
  if (at >= h.mass.length) return 0;
  const above = h.tail[at + 1]!;
  const partial = h.mass[at]! * ((at + 1) * w - x) / w;
  return Math.min(1, above + partial);
}

/**
 * The distribution of the sum of two independent durations, on the same bins (mass beyond the last
 * bin folds into it). Each bin is taken at its midpoint, so the sum of bins i and j is i + j + 1 bin
 * widths: the edge between bins i + j and i + j + 1, split evenly between them, which keeps the mean.
 */
export function convolve(a: DurationHistogram, b: DurationHistogram): DurationHistogram {
  if (a.widthDays !== b.widthDays || a.mass.length !== b.mass.length) throw new RangeError('histograms to add must share their bins');
  if (isPointAtZero(a)) return b;
  if (isPointAtZero(b)) return a;
  const n = a.mass.length;
  const mass = new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    const ma = a.mass[i]!;
    if (ma === 0) continue;
    for (let j = 0; j < n; j++) {
      const mb = b.mass[j]!;
      if (mb === 0) continue;
      mass[Math.min(n - 1, i + j)]! += (ma * mb) / 2;
      mass[Math.min(n - 1, i + j + 1)]! += (ma * mb) / 2;
    }
  }
  return withTail(a.widthDays, mass, Math.min(a.count, b.count));
}

/** The q-quantile (0 ≤ q ≤ 1), interpolated within its bin. */
export function quantile(h: DurationHistogram, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
  if (isPointAtZero(h)) return 0;
  let below = 0;
  for (let b = 0; b < h.mass.length; b++) {
    const m = h.mass[b]!;
    if (m > 0 && below + m >= q) return (b + (q - below) / m) * h.widthDays;
    below += m;
  }
  return h.mass.length * h.widthDays;
}

// A histogram's bins with mass, and its mean, computed once per histogram: the stream prices every
// open order every few hours, and most of the 360 bins of a stage are empty.
const occupied = new WeakMap<DurationHistogram, Int32Array>();
const means = new WeakMap<DurationHistogram, number>();

/** The indexes of the bins with mass, ascending. */
export function occupiedBins(h: DurationHistogram): Int32Array {
  let bins = occupied.get(h);
  if (bins === undefined) {
    const found: number[] = [];
    for (let b = 0; b < h.mass.length; b++) if (h.mass[b]! > 0) found.push(b);
    bins = Int32Array.from(found);
    occupied.set(h, bins);
  }
  return bins;
}

/** The first position in `bins` (ascending) holding a bin ≥ `from`. */
export function firstAtOrAfter(bins: Int32Array, from: number): number {
  let lo = 0;
  let hi = bins.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bins[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The mean, each bin taken at its midpoint (0 for the point mass at 0). */
export function meanOf(h: DurationHistogram): number {
  let m = means.get(h);
  if (m === undefined) {
    m = 0;
    if (h.atZero !== true) for (let b = 0; b < h.mass.length; b++) m += h.mass[b]! * (b + 0.5) * h.widthDays;
    means.set(h, m);
  }
  return m;
}
