import type { EpochMillis } from '../data/index.js';
import type { OrderPosition, RiskStage } from './model.js';

/** What is known of an order's steps at some instant (null: not happened, or not yet). */
export interface OrderSteps {
  readonly sellerState: string;
  readonly customerState: string;
  readonly placedAt: EpochMillis;
  readonly approvedAt: EpochMillis | null;
  readonly handedToCarrierAt: EpochMillis | null;
  readonly deadline: EpochMillis;
}

/**
 * Where an order stands at `at`, counting only the steps at or before it. A later step implies the
 * earlier ones (Olist records a few handoffs before the approval): handed to the carrier is in
 * transit, whatever the approval says.
 */
export function positionAt(steps: OrderSteps, at: EpochMillis): OrderPosition {
  const seen = (t: EpochMillis | null): t is EpochMillis => t !== null && t <= at;
  let stage: RiskStage;
  let stageStartedAt: EpochMillis;
  if (seen(steps.handedToCarrierAt)) {
    stage = 'transit';
    stageStartedAt = steps.handedToCarrierAt;
  } else if (seen(steps.approvedAt)) {
    stage = 'carrier_handoff';
    stageStartedAt = steps.approvedAt;
  } else {
    stage = 'approval';
    stageStartedAt = steps.placedAt;
  }
  return { sellerState: steps.sellerState, customerState: steps.customerState, stage, stageStartedAt, at, deadline: steps.deadline };
}

/**
 * The instants at which an order's risk is evaluated before `until` (its delivery, or the end of its
 * estimated day, whichever is first): each of its steps, and every `everyMs` from its placement, as a
 * timer would between steps. Sorted, without repeats.
 */
export function checkpoints(steps: OrderSteps, until: EpochMillis, everyMs: number): EpochMillis[] {
  if (!(everyMs > 0)) throw new RangeError(`risk check interval must be > 0 ms, got ${everyMs}`);
  const points = new Set<EpochMillis>();
  for (let t = steps.placedAt; t < until; t += everyMs) points.add(t);
  for (const t of [steps.approvedAt, steps.handedToCarrierAt]) if (t !== null && t >= steps.placedAt && t < until) points.add(t);
  return [...points].sort((a, b) => a - b);
}
