import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endOfLocalDay } from '../data/index.js';
import type { OrderPosition, RiskEstimate } from '../risk/index.js';
import { RiskNorms } from '../risk/index.js';
import { checkpointText, compressCheckpoint, readCheckpoint } from './checkpoint.js';
import { DelayDetector } from './detector.js';
import { H, T0, placed, step } from './test-events.js';
import type { AlertChange } from './types.js';
import { RULES } from './types.js';

/** A hand-made model: P(late) is whatever `curve` says at the instant, and every check is recorded. */
function model(curve: (position: OrderPosition) => number, sellerStates: ReadonlyMap<string, string> = new Map([['s1', 'MG']])) {
  const seen: OrderPosition[] = [];
  const norms = new RiskNorms(
    {
      estimate: (position: OrderPosition): RiskEstimate => {
        seen.push(position);
        return { probability: curve(position), scope: 'MG→SP', stage: position.stage, expectedRemainingDays: 2 };
      },
    },
    sellerStates,
  );
  return { source: { norms }, seen };
}

const atRisk = (changes: readonly AlertChange[]): string[] =>
  changes.filter((c) => c.alert.rule === RULES.deliveryAtRisk).map((c) => `${c.kind}@${(c.alert.updatedAt - T0) / H}h:${c.alert.risk?.probability ?? '-'}`);

// Estimated 2018-01-20 (local): the day ends at 2018-01-21 03:00 UTC, 252 h after T0 (2018-01-10 12:00 UTC).
const END = endOfLocalDay('2018-01-20');

describe('DelayDetector: delivery_at_risk', () => {
  it('prices an order at its steps and every riskCheckEveryMs from its placement, with its route', () => {
    const { source, seen } = model(() => 0.1);
    const d = new DelayDetector({ riskCheckEveryMs: 6 * H, allowedLatenessMs: 0 }, { risk: source });
    d.process(placed('o1'));
    d.process(step('PaymentApproved', 'o1', T0 + 8 * H));
    d.advanceWatermark(T0 + 13 * H);
    assert.deepEqual(
      seen.map((p) => [(p.at - T0) / H, p.stage, (p.stageStartedAt - T0) / H]),
      [
        [0, 'approval', 0],
        [6, 'approval', 0],
        [8, 'carrier_handoff', 8],
        [12, 'carrier_handoff', 8],
      ],
    );
    assert.ok(seen.every((p) => p.sellerState === 'MG' && p.customerState === 'SP' && p.deadline === END));
  });

  it('opens at the threshold, escalates on a rise of 0.1, and resolves only below threshold − 0.1', () => {
    // P(late) by hours since placement, as the checks come every 6 h.
    const curve = new Map([[0, 0.3], [6, 0.65], [12, 0.7], [18, 0.78], [24, 0.55], [30, 0.49], [36, 0.9]]);
    const { source } = model((p) => curve.get((p.at - T0) / H) ?? 0.9);
    const d = new DelayDetector({ riskThreshold: 0.6, riskCheckEveryMs: 6 * H, allowedLatenessMs: 0 }, { risk: source });
    const changes = [...d.process(placed('o1')), ...d.advanceWatermark(T0 + 36 * H)];
    assert.deepEqual(atRisk(changes), ['opened@6h:0.65', 'escalated@18h:0.78', 'resolved@30h:0.49', 'opened@36h:0.9']);
    const opened = changes.find((c) => c.kind === 'opened')?.alert;
    assert.ok(opened !== undefined && opened.risk);
    // Value 170 BRL × weight 1 × P(late).
    assert.equal(opened.priority, 170 * 0.65);
    assert.equal(opened.deadline, END);
    assert.equal(opened.overdueMs, 0);
    assert.equal(opened.risk.expectedDeliveryAt, T0 + 6 * H + 2 * 86_400_000);
    assert.equal(opened.risk.stage, 'approval');
    assert.match(opened.reason, /P\(late\) 0\.65 in approval \(durations of MG→SP\)/);
    assert.equal(d.stats().alertsByRule.delivery_at_risk, 2, 'opened twice');
  });

  it('resolves on delivery, on cancellation and when the estimated day ends', () => {
    const { source } = model(() => 0.8);
    const d = new DelayDetector({ riskCheckEveryMs: 6 * H, allowedLatenessMs: 0 }, { risk: source });
    const changes = [...d.process(placed('delivered')), ...d.process(placed('canceled')), ...d.process(placed('late'))];
    changes.push(...d.process(step('OrderDelivered', 'delivered', T0 + 50 * H)));
    changes.push(...d.process({ type: 'OrderCanceled', eventId: 'c', eventTime: T0 + 60 * H, orderId: 'canceled', reason: 'canceled', timeInferred: false }));
    changes.push(...d.advanceWatermark(END + H));
    const byOrder = (id: string): string[] => changes.filter((c) => c.alert.orderId === id && c.alert.rule === RULES.deliveryAtRisk).map((c) => c.kind);
    assert.deepEqual(byOrder('delivered'), ['opened', 'resolved']);
    assert.deepEqual(byOrder('canceled'), ['opened', 'resolved']);
    assert.deepEqual(byOrder('late'), ['opened', 'resolved']);
    const ended = changes.filter((c) => c.alert.orderId === 'late' && c.alert.rule === RULES.deliveryAtRisk).at(-1)?.alert;
    assert.equal(ended?.updatedAt, END);
    assert.match(ended?.reason ?? '', /estimated day 2018-01-20 is over/);
    assert.ok(changes.some((c) => c.alert.orderId === 'late' && c.alert.rule === RULES.deliveryOverdue && c.kind === 'opened'), 'delivery_overdue carries it on');
    assert.equal(d.openAlerts().filter((a) => a.rule === RULES.deliveryAtRisk).length, 0);
  });

  it('takes a seller it does not know, or sellers in several states, as the norms name them', () => {
    const { source, seen } = model(() => 0.1, new Map([['s1', 'MG'], ['s2', 'RJ']]));
    const d = new DelayDetector({}, { risk: source });
    d.process(placed('o1'));
    const other = placed('o2');
    d.process({ ...other, items: [...other.items, { ...other.items[0]!, orderItemId: 3, sellerId: 's2' }] });
    d.process({ ...placed('o3'), items: [{ ...other.items[0]!, sellerId: 'new-seller' }] });
    assert.deepEqual(seen.map((p) => p.sellerState), ['MG', 'multi', 'unknown']);
  });

  it('is off without a model, and prices nothing until the source has one', () => {
    const source: { norms: RiskNorms | null } = { norms: null };
    const d = new DelayDetector({ allowedLatenessMs: 0 }, { risk: source });
    d.process(placed('o1'));
    assert.equal(d.stats().timersPending, 3, 'the three deadlines, no risk check');
    source.norms = model(() => 0.9).source.norms;
    const changes = d.process(step('PaymentApproved', 'o1', T0 + 2 * H));
    assert.deepEqual(atRisk(changes), ['opened@2h:0.9'], 'priced from its next step on');
  });

  it('keeps its risk checks and at-risk alerts across a checkpoint', async () => {
    const curve = (p: OrderPosition): number => ((p.at - T0) / H >= 12 ? 0.95 : (p.at - T0) / H >= 6 ? 0.7 : 0.3);
    const run = (d: DelayDetector, until: number): AlertChange[] => d.advanceWatermark(until);
    const straight = new DelayDetector({ riskCheckEveryMs: 6 * H, allowedLatenessMs: 0 }, { risk: model(curve).source });
    const first = [...straight.process(placed('o1')), ...run(straight, T0 + 7 * H)];
    const text = checkpointText(0, { seq: 1, floor: null }, straight.snapshot());
    const snapshot = await readCheckpoint(await compressCheckpoint(text), { task: 0, position: { seq: 1, floor: null }, config: straight.config, location: 'memory://t' });
    const restored = DelayDetector.restore(snapshot, { risk: model(curve).source });
    assert.deepEqual(atRisk(first), ['opened@6h:0.7']);
    assert.deepEqual(restored.openAlerts(), straight.openAlerts(), 'the at-risk alert and its risk come back');
    const after = atRisk(run(restored, T0 + 13 * H));
    assert.deepEqual(after, ['escalated@12h:0.95'], 'the pending check fires after the restore');
    assert.deepEqual(after, atRisk(run(straight, T0 + 13 * H)));
    assert.equal(restored.stats().timersPending, straight.stats().timersPending);
  });
});
