import type { EpochMillis } from '../data/index.js';

/**
 * Event-time progress. The watermark is the newest event time seen minus the allowed lateness, or a
 * time the caller asserts when the input is quiet (`advanceIdle`); it never goes back. An event whose
 * time is before the watermark is LATE: decisions up to the watermark have already been taken without
 * it. The tracker reports it; the caller keeps it aside (it is never dropped silently).
 */
export class WatermarkTracker {
  readonly allowedLatenessMs: number;
  #maxEventTime = -Infinity;
  #floor = -Infinity;

  constructor(allowedLatenessMs: number) {
    if (!Number.isFinite(allowedLatenessMs) || allowedLatenessMs < 0) {
      throw new RangeError(`allowedLatenessMs must be a finite number >= 0, got ${allowedLatenessMs}`);
    }
    this.allowedLatenessMs = allowedLatenessMs;
  }

  /** The current watermark; -Infinity before the first event. */
  get current(): EpochMillis {
    return Math.max(this.#maxEventTime - this.allowedLatenessMs, this.#floor);
  }

  /** The newest event time observed; -Infinity before the first event. */
  get maxEventTime(): EpochMillis {
    return this.#maxEventTime;
  }

  /** The watermark imposed by `advanceIdle`; -Infinity when none. */
  get floor(): EpochMillis {
    return this.#floor;
  }

  /** Whether an event at `eventTime` would be late now. */
  isLate(eventTime: EpochMillis): boolean {
    return eventTime < this.current;
  }

  /**
   * Observes an event time: says whether it was late (before the watermark as it stood), then advances
   * the newest event time. Returns the lateness check and whether the watermark moved.
   */
  observe(eventTime: EpochMillis): { readonly late: boolean; readonly advanced: boolean } {
    const before = this.current;
    const late = eventTime < before;
    if (eventTime > this.#maxEventTime) this.#maxEventTime = eventTime;
    return { late, advanced: this.current > before };
  }

  /**
   * Puts the tracker back where a checkpoint saw it (`-Infinity` for either: not yet). Only for a
   * tracker that has observed nothing: a restored watermark never goes back.
   */
  restore(maxEventTime: EpochMillis, floor: EpochMillis): void {
    if (this.#maxEventTime !== -Infinity || this.#floor !== -Infinity) throw new Error('a watermark is restored only before it has moved');
    this.#maxEventTime = maxEventTime;
    this.#floor = floor;
  }

  /**
   * For when the input is quiet: moves the watermark itself to `toTime` (if that is later), asserting
   * that no event before `toTime` is still expected. Returns whether it moved.
   */
  advanceIdle(toTime: EpochMillis): boolean {
    const before = this.current;
    if (toTime > this.#floor) this.#floor = toTime;
    return this.current > before;
  }
}
