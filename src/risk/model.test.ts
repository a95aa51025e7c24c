import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { convolve, histogramOf, quantile, survival } from './histogram.js';
import type { OrderPosition, StageDurations } from './model.js';
import { RiskModel } from './model.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2018, 0, 1);

/**
 * A route A→B on whole-day bins: approval and handoff take half a day each; transit takes 2.5 days
 * for one order and 6.5 for the other, so with each bin's mass spread over its day transit is
 * uniform on [2, 3) or [6, 7), half and half.
 */
const row = (sellerState: string, customerState: string, transitDays: number): StageDurations => ({
  sellerState,
  customerState,
  approvalDays: 0.5,
  handoffDays: 0.5,
  transitDays,
});
const model = RiskModel.build([row('A', 'B', 2.5), row('A', 'B', 6.5)], { minOrders: 2, widthDays: 1, maxDays: 10 });

const at = (stage: OrderPosition['stage'], elapsedDays: number, leftDays: number): OrderPosition => ({
  sellerState: 'A',
  customerState: 'B',
  stage,
  stageStartedAt: T0,
  at: T0 + elapsedDays * DAY,
  deadline: T0 + (elapsedDays + leftDays) * DAY,
});
const p = (position: OrderPosition): number => model.estimate(position).probability;
const close = (actual: number, expected: number, what: string): void => assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≠ ${expected}`);

describe('histograms', () => {
  it('spreads each bin evenly: survival, quantiles and the sum of two', () => {
    const h = histogramOf([2.5, 6.5, -1], 1, 10);
    close(survival(h, 0), 1, 'P(X ≥ 0)');
    close(survival(h, 0.5), 2 / 3 + 1 / 6, 'the negative duration counts as 0, spread over [0, 1)');
    close(survival(h, 2.5), 1 / 6 + 1 / 3, 'half of [2, 3) and all of [6, 7)');
    close(survival(h, 7), 0, 'nothing beyond 7');
    close(quantile(h, 0.5), 2.5, 'the median halves the [2, 3) bin');
    const sum = convolve(histogramOf([0.5], 1, 10), h);
    close(sum.mass.reduce((a, b) => a + b, 0), 1, 'the sum keeps all the mass');
    close(survival(sum, 3), 1 / 3 + 1 / 6, '0.5 + [2, 3) straddles 3: half of its third beyond, and all the long kind');
  });

  it('folds durations beyond the range into the last bin and refuses bad input', () => {
    const h = histogramOf([100], 1, 10);
    close(h.mass[9] ?? 0, 1, 'last bin');
    assert.throws(() => histogramOf([Number.NaN], 1, 10), /finite number of days/);
    assert.throws(() => histogramOf([1], 0, 10), /bin width/);
  });
});

describe('RiskModel', () => {
  it('in transit: the share of transit times at least the time left, among those longer than the time spent', () => {
    close(p(at('transit', 0, 4)), 0.5, 'only the 6.5-day kind takes 4 days or more');
    close(p(at('transit', 0, 2.5)), 0.75, 'half of [2, 3) and all of [6, 7)');
    close(p(at('transit', 0, 8)), 0, 'none takes 8 days');
    close(p(at('transit', 3, 1)), 1, 'three days in, it is the long kind: 3 more days at least');
    close(p(at('transit', 3, 3.75)), 0.25, 'the long kind, a quarter of which lasts past 6.75 days');
  });

  it('before the handoff and before approval: adds the later stages', () => {
    close(p(at('carrier_handoff', 0, 5)), 0.5, 'half a day to hand off, then 4.5 days left of transit');
    close(p(at('carrier_handoff', 0, 2)), 1, 'half a day, then at least 2 days of transit');
    close(p(at('approval', 0, 3.5)), 0.75, 'half a day of approval, then 0.5 + [2, 3) or [6, 7): P(≥ 3) = 3/4');
    close(p(at('approval', 0, 9)), 0, 'nothing takes 9 days in all');
    const e = model.estimate(at('approval', 0, 9));
    close(e.expectedRemainingDays, 0.5 + 0.5 + 4.5, 'expected remaining: the stages’ means');
  });

  it('is certain once the deadline has passed or the stage outlasted every one seen', () => {
    assert.equal(p(at('transit', 1, 0)), 1);
    assert.equal(p(at('transit', 1, -2)), 1);
    assert.equal(p(at('transit', 7.5, 5)), 1, 'no transit took 7.5 days');
  });

  it('falls back to the customer state, then the country, when a route has too few orders', () => {
    const rows = [row('A', 'B', 1.5), row('A', 'B', 1.5), row('C', 'B', 9.5), row('D', 'E', 5.5)];
    const m = RiskModel.build(rows, { minOrders: 2, widthDays: 1, maxDays: 10 });
    assert.deepEqual(m.scopes, ['*', '*→B', 'A→B']);
    assert.equal(m.normsFor('A', 'B').scope, 'A→B');
    assert.equal(m.normsFor('C', 'B').scope, '*→B', 'one order is too few for C→B');
    assert.equal(m.normsFor('D', 'E').scope, '*', 'and for E');
    assert.equal(m.normsFor('multi', 'ZZ').scope, '*');
    const e = m.estimate({ sellerState: 'C', customerState: 'B', stage: 'transit', stageStartedAt: T0, at: T0, deadline: T0 + 5 * DAY });
    assert.equal(e.scope, '*→B');
    close(e.probability, 1 / 3, 'one of the three orders to B took 5 days or more');
    close(m.normsFor('D', 'E').orders, 4, 'the country has all four');
  });

  it('refuses an empty training set and bad options', () => {
    assert.throws(() => RiskModel.build([]), /at least one delivered order/);
    assert.throws(() => RiskModel.build([row('A', 'B', 1)], { minOrders: 0 }), /minOrders/);
    assert.throws(() => RiskModel.build([row('A', 'B', 1)], { widthDays: 5, maxDays: 2 }), /widthDays < maxDays/);
  });
});
