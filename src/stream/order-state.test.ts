import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endOfLocalDay } from '../data/index.js';
import { H, T0, placed, step } from './test-events.js';
import { applyOrderEvent, finishedAt, newOrderState, stageDeadline, stageSatisfiedAt } from './order-state.js';

describe('order state', () => {
  it('takes value, earliest shipping limit and the delivery deadline from the placement', () => {
    const s = newOrderState('o1', T0);
    assert.equal(applyOrderEvent(s, placed('o1')), true);
    assert.equal(s.orderValueCents, 17_000);
    assert.equal(stageDeadline(s, 'handoff_overdue', 96), T0 + 48 * H);
    assert.equal(stageDeadline(s, 'approval_overdue', 96), T0 + 96 * H);
    assert.equal(stageDeadline(s, 'delivery_overdue', 96), endOfLocalDay('2018-01-20'));
    assert.deepEqual(s.sellerIds, ['s1']);
  });

  it('ignores duplicates and accepts steps in any arrival order', () => {
    const s = newOrderState('o1', T0 + 30 * H);
    applyOrderEvent(s, step('OrderHandedToCarrier', 'o1', T0 + 30 * H));
    assert.equal(stageDeadline(s, 'approval_overdue', 96), null, 'no deadlines before the placement');
    assert.equal(stageSatisfiedAt(s, 'approval_overdue'), T0 + 30 * H, 'a handoff implies the approval');
    applyOrderEvent(s, placed('o1'));
    applyOrderEvent(s, step('PaymentApproved', 'o1', T0 + 2 * H));
    assert.equal(applyOrderEvent(s, step('PaymentApproved', 'o1', T0 + 2 * H)), false);
    assert.equal(s.firstSeenAt, T0);
    assert.equal(stageSatisfiedAt(s, 'approval_overdue'), T0 + 2 * H);
    assert.equal(stageSatisfiedAt(s, 'delivery_overdue'), null);
    assert.equal(finishedAt(s), null);
    applyOrderEvent(s, step('OrderDelivered', 'o1', T0 + 100 * H));
    assert.equal(finishedAt(s), T0 + 100 * H);
  });
});
