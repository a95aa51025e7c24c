/**
 * How fast a replay goes. Each mode maps the i-th event (with its event time) to the wall-clock
 * offset, from the start of the replay, at which it is due.
 */
export type Pacing =
  /** As fast as the log accepts. */
  | { readonly mode: 'max' }
  /** A fixed number of events per second. */
  | { readonly mode: 'rate'; readonly eventsPerSecond: number }
  /**
   * Event time scaled: `speed` simulated milliseconds per wall millisecond. A quiet stretch longer
   * than `maxGapMs` of event time counts as `maxGapMs`, so nights and the dataset's empty weeks do
   * not stall the replay while the minute-to-minute rhythm stays real.
   */
  | { readonly mode: 'speed'; readonly speed: number; readonly maxGapMs: number };

/** 5 minutes: in the Olist stream 90% of the gaps between status events are shorter (median 39 s). */
export const DEFAULT_MAX_GAP_MS = 5 * 60_000;

/** Turns event times into due offsets, one event at a time, in replay order. */
export class Schedule {
  private readonly pacing: Pacing;
  private count = 0;
  private lastEventTime: number | null = null;
  private simulatedMs = 0;

  constructor(pacing: Pacing) {
    if (pacing.mode === 'rate' && !(pacing.eventsPerSecond > 0)) throw new RangeError('rate must be positive');
    if (pacing.mode === 'speed' && !(pacing.speed > 0)) throw new RangeError('speed must be positive');
    if (pacing.mode === 'speed' && !(pacing.maxGapMs >= 0)) throw new RangeError('max gap must not be negative');
    this.pacing = pacing;
  }

  /** The wall-clock offset (ms since the replay started) at which the next event is due. */
  next(eventTime: number): number {
    const index = this.count++;
    switch (this.pacing.mode) {
      case 'max':
        return 0;
      case 'rate':
        return (index * 1000) / this.pacing.eventsPerSecond;
      case 'speed': {
        if (this.lastEventTime !== null) {
          // Events are replayed in event-time order; a gap is never negative.
          const gap = Math.max(0, eventTime - this.lastEventTime);
          this.simulatedMs += Math.min(gap, this.pacing.maxGapMs);
        }
        this.lastEventTime = eventTime;
        return this.simulatedMs / this.pacing.speed;
      }
    }
  }
}
