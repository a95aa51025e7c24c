import type { EpochMillis } from '../data/index.js';
import type { StageRule } from './types.js';

/**
 * Event-time timers, as in Kafka Streams' punctuation by stream time: a binary min-heap ordered by due
 * time, then order id, then kind and rule, so that timers due at the same instant fire in a deterministic
 * order. Timers are never removed early; the detector checks on firing whether a timer still applies
 * (lazy deletion), which keeps scheduling O(log n) and the heap free of back-references.
 */

export const TIMER_KINDS = {
  /** A stage's deadline: open the alert if the awaited event has not come. */
  deadline: 'deadline',
  /** Raise an open alert by one or more levels. */
  escalation: 'escalation',
  /** Drop a finished order's state. */
  retention: 'retention',
  /** Move an alert still overdue to the `stuck` state. */
  stuck: 'stuck',
  /** Evaluate an open order's delivery risk again (last here: checkpoints number the kinds in this order). */
  risk: 'risk',
} as const;
export type TimerKind = (typeof TIMER_KINDS)[keyof typeof TIMER_KINDS];

export interface Timer {
  readonly due: EpochMillis;
  readonly orderId: string;
  readonly kind: TimerKind;
  /** The rule the timer is for (deadline, escalation, stuck); null for retention and risk. */
  readonly rule: StageRule | null;
  /** Escalation: the level this timer raises the alert to. Otherwise 0. */
  readonly level: number;
}

// A risk check comes after the deadlines and escalations of its instant, and before retention drops an order.
const KIND_RANK: { readonly [K in TimerKind]: number } = { deadline: 0, escalation: 1, stuck: 2, risk: 3, retention: 4 };

export function compareTimers(a: Timer, b: Timer): number {
  if (a.due !== b.due) return a.due - b.due;
  if (a.orderId !== b.orderId) return a.orderId < b.orderId ? -1 : 1;
  if (a.kind !== b.kind) return KIND_RANK[a.kind] - KIND_RANK[b.kind];
  const ra = a.rule ?? '';
  const rb = b.rule ?? '';
  if (ra !== rb) return ra < rb ? -1 : 1;
  return a.level - b.level;
}

export class TimerQueue {
  readonly #heap: Timer[] = [];

  get size(): number {
    return this.#heap.length;
  }

  /**
   * Every pending timer, in heap order: scheduling them in this order into an empty queue rebuilds
   * the same heap in linear time (each lands below its parent at once), so a checkpoint keeps it.
   */
  pending(): readonly Timer[] {
    return [...this.#heap];
  }

  /** The earliest timer, or null. */
  peek(): Timer | null {
    return this.#heap[0] ?? null;
  }

  schedule(timer: Timer): void {
    const heap = this.#heap;
    heap.push(timer);
    let at = heap.length - 1;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      const p = heap[parent] as Timer;
      if (compareTimers(p, timer) <= 0) break;
      heap[at] = p;
      at = parent;
    }
    heap[at] = timer;
  }

  /** Removes and returns the earliest timer, or null when empty. */
  pop(): Timer | null {
    const heap = this.#heap;
    const top = heap[0];
    if (top === undefined) return null;
    const last = heap.pop() as Timer;
    if (heap.length > 0) {
      let at = 0;
      for (;;) {
        const left = 2 * at + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        let child = left;
        if (right < heap.length && compareTimers(heap[right] as Timer, heap[left] as Timer) < 0) child = right;
        const c = heap[child] as Timer;
        if (compareTimers(last, c) <= 0) break;
        heap[at] = c;
        at = child;
      }
      heap[at] = last;
    }
    return top;
  }

  /** Removes and returns the earliest timer if it is due at or before `watermark`. */
  popDue(watermark: EpochMillis): Timer | null {
    const top = this.#heap[0];
    return top !== undefined && top.due <= watermark ? this.pop() : null;
  }

  /**
   * Fires every timer due at or before `watermark`, in due order. `fire` may schedule new timers; those
   * due at or before `watermark` fire in the same call. Returns how many fired.
   */
  fireDue(watermark: EpochMillis, fire: (timer: Timer) => void): number {
    let fired = 0;
    for (let timer = this.popDue(watermark); timer !== null; timer = this.popDue(watermark)) {
      fire(timer);
      fired++;
    }
    return fired;
  }
}
