import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { EpochMillis, OlistDataset } from '../data/index.js';
import { endOfLocalDay, loadOlist } from '../data/index.js';
import type { MarketplaceEvent } from '../events/index.js';
import { olistEvents } from '../events/index.js';
import type { OrderPosition } from '../risk/index.js';
import { DEFAULT_RISK_THRESHOLD, RiskModel, RiskNorms } from '../risk/index.js';
import type { AlertChange } from '../stream/index.js';
import { DelayDetector, RISK_HYSTERESIS, RULES } from '../stream/index.js';
import { sampleDir } from '../testing/fixtures.js';
import { trainingDeliveries } from './backtest.js';

/**
 * Acceptance of the stream's risk rule: the sample replayed through the detector with a model
 * trained before 2018-03-01 opens `delivery_at_risk` exactly where an independent walk of each
 * order's events says P(late) first crossed the threshold (and again after falling below threshold −
 * hysteresis). The walk prices an order at each of its steps and every 6 h from its placement, up
 * to the end of its estimated day, with the same model; it does not use the detector's code.
 */

const CUT = Date.UTC(2018, 2, 1, 3);
const EVERY = 6 * 3_600_000;

interface Steps {
  placedAt: EpochMillis | null;
  approvedAt: EpochMillis | null;
  handedAt: EpochMillis | null;
  finished: boolean;
}

describe('delivery_at_risk on the Olist sample', () => {
  let dataset: OlistDataset;
  let events: MarketplaceEvent[];
  let norms: RiskNorms;
  const changes: AlertChange[] = [];

  before(async () => {
    dataset = await loadOlist(sampleDir);
    events = olistEvents(dataset);
    norms = new RiskNorms(RiskModel.build(trainingDeliveries(dataset, CUT)), new Map(dataset.sellers.map((s) => [s.sellerId, s.state as string])));
    const detector = new DelayDetector({ allowedLatenessMs: 0 }, { risk: { norms } });
    for (const event of events) changes.push(...detector.process(event));
    changes.push(...detector.advanceWatermark(Date.UTC(2030, 0, 1)));
  });

  it('opens an at-risk alert exactly where an independent walk of the orders says so', () => {
    // The sellers' state of each order, from the CSVs.
    const sellerState = new Map(dataset.sellers.map((s) => [s.sellerId, s.state as string]));
    const routeOf = new Map<string, string>();
    for (const o of dataset.orders) {
      const states = new Set(dataset.items.filter((i) => i.orderId === o.orderId).map((i) => sellerState.get(i.sellerId) ?? 'unknown'));
      routeOf.set(o.orderId, states.has('unknown') || states.size === 0 ? 'unknown' : states.size > 1 ? 'multi' : [...states][0]!);
    }
    const byOrder = new Map<string, MarketplaceEvent[]>();
    for (const e of events) {
      if (!('orderId' in e) || e.type === 'ReviewAnswered') continue;
      const list = byOrder.get(e.orderId) ?? [];
      list.push(e);
      byOrder.set(e.orderId, list);
    }
    const expected = new Map<string, number>();
    for (const [orderId, list] of byOrder) {
      const placedEvent = list.find((e) => e.type === 'OrderPlaced');
      if (placedEvent === undefined || placedEvent.type !== 'OrderPlaced') continue;
      const deadline = endOfLocalDay(placedEvent.estimatedDeliveryDate);
      const steps: Steps = { placedAt: null, approvedAt: null, handedAt: null, finished: false };
      let open = false;
      let opens = 0;
      let done = false;
      const price = (at: EpochMillis): void => {
        if (done || steps.placedAt === null) return;
        if (steps.finished || at >= deadline) {
          done = true;
          return;
        }
        if (at < steps.placedAt) return;
        // Where the order stands: the latest step known (a handoff counts as past the approval).
        const stage = steps.handedAt !== null && steps.handedAt <= at ? 'transit' : steps.approvedAt !== null && steps.approvedAt <= at ? 'carrier_handoff' : 'approval';
        const startedAt = stage === 'transit' ? steps.handedAt! : stage === 'carrier_handoff' ? steps.approvedAt! : steps.placedAt;
        const position: OrderPosition = { sellerState: routeOf.get(orderId) ?? 'unknown', customerState: placedEvent.customer.state, stage, stageStartedAt: startedAt, at, deadline };
        const p = norms.estimate(position).probability;
        if (!open && p >= DEFAULT_RISK_THRESHOLD) {
          open = true;
          opens++;
        } else if (open && p < DEFAULT_RISK_THRESHOLD - RISK_HYSTERESIS) open = false;
      };
      // Checks every 6 h from the placement fire before any event at or after their instant.
      let nextCheck = Infinity;
      for (const e of list) {
        while (nextCheck <= e.eventTime && !done) {
          price(nextCheck);
          nextCheck = Math.min(deadline, nextCheck + EVERY);
        }
        if (e.type === 'OrderPlaced') {
          steps.placedAt ??= e.eventTime;
          nextCheck = Math.min(deadline, e.eventTime + EVERY);
        } else if (e.type === 'PaymentApproved') steps.approvedAt ??= e.eventTime;
        else if (e.type === 'OrderHandedToCarrier') steps.handedAt ??= e.eventTime;
        else if (e.type === 'OrderDelivered' || e.type === 'OrderCanceled') steps.finished = true;
        price(e.eventTime);
      }
      while (!done && Number.isFinite(nextCheck)) {
        price(nextCheck);
        nextCheck = nextCheck >= deadline ? Infinity : Math.min(deadline, nextCheck + EVERY);
      }
      if (opens > 0) expected.set(orderId, opens);
    }

    const opened = new Map<string, number>();
    for (const c of changes) if (c.alert.rule === RULES.deliveryAtRisk && c.kind === 'opened') opened.set(c.alert.orderId, (opened.get(c.alert.orderId) ?? 0) + 1);
    assert.ok(expected.size > 500, `a few hundred orders at risk at some point (${expected.size})`);
    assert.deepEqual([...opened].sort(), [...expected].sort());
  });

  it('leaves no at-risk alert open once every estimated day has passed, each resolved after it opened', () => {
    const last = new Map<string, AlertChange>();
    for (const c of changes) if (c.alert.rule === RULES.deliveryAtRisk) last.set(c.alert.orderId, c);
    assert.ok(last.size > 0);
    for (const [orderId, c] of last) {
      assert.equal(c.kind, 'resolved', orderId);
      assert.ok(c.alert.updatedAt >= c.alert.openedAt, orderId);
      assert.ok(c.alert.risk !== undefined && c.alert.risk !== null && c.alert.risk.probability >= 0 && c.alert.risk.probability <= 1, orderId);
    }
  });
});
