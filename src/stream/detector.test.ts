import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endOfLocalDay } from '../data/index.js';
import type { OrderCanceled, ProductUpserted } from '../events/index.js';
import { DelayDetector, alertIdOf } from './detector.js';
import { H, T0, placed, step } from './test-events.js';
import type { AlertChange } from './types.js';
import { DAY_MS } from './types.js';

const brief = (changes: readonly AlertChange[]): string[] => changes.map((c) => `${c.kind}:${c.alert.orderId}:${c.alert.rule}`);

function canceled(orderId: string, at: number): OrderCanceled {
  return { type: 'OrderCanceled', eventId: `${orderId}-cancel`, eventTime: at, orderId, reason: 'canceled', timeInferred: true };
}

describe('DelayDetector', () => {
  it('opens an alert when the watermark passes a deadline, then resolves it on the awaited event', () => {
    const d = new DelayDetector({ approvalHours: 24, allowedLatenessMs: H });
    assert.deepEqual(d.process(placed('o1')), []);
    assert.deepEqual(d.advanceWatermark(T0 + 24 * H), [], 'due by the deadline: not yet overdue');
    const opened = d.advanceWatermark(T0 + 25 * H);
    assert.deepEqual(brief(opened), ['opened:o1:approval_overdue']);
    const alert = opened[0]?.alert;
    assert.ok(alert !== undefined);
    assert.equal(alert.alertId, alertIdOf('o1', 'approval_overdue'));
    assert.equal(alert.openedAt, T0 + 24 * H + 1);
    assert.equal(alert.priority, 170);
    assert.equal(alert.sequence, 1);
    assert.deepEqual(d.openAlerts().map((a) => a.orderId), ['o1']);
    const resolved = d.process(step('PaymentApproved', 'o1', T0 + 30 * H));
    assert.deepEqual(brief(resolved), ['resolved:o1:approval_overdue']);
    assert.equal(resolved[0]?.alert.sequence, 2);
    assert.equal(resolved[0]?.alert.overdueMs, 6 * H);
    assert.deepEqual(d.openAlerts(), []);
  });

  it('does not open when the awaited event came in time, even out of order', () => {
    const d = new DelayDetector({ approvalHours: 24 });
    d.process(placed('o1'));
    d.process(step('OrderHandedToCarrier', 'o1', T0 + 10 * H));
    d.process(step('PaymentApproved', 'o1', T0 + 9 * H));
    assert.deepEqual(d.advanceWatermark(T0 + 100 * H), []);
    assert.equal(d.stats().late, 0);
  });

  it('ignores duplicates', () => {
    const d = new DelayDetector({ approvalHours: 24 });
    d.process(placed('o1'));
    d.advanceWatermark(T0 + 25 * H);
    assert.equal(d.process(step('PaymentApproved', 'o1', T0 + 26 * H)).length, 1);
    assert.deepEqual(d.process(step('PaymentApproved', 'o1', T0 + 26 * H)), []);
    assert.deepEqual(d.process(placed('o1')), []);
    assert.equal(d.stats().duplicates, 2);
    assert.equal(d.stats().alertsByRule.approval_overdue, 1, 'one alert per (order, rule)');
  });

  it('escalates after escalateAfterMs and each time the overdue time doubles, raising the priority', () => {
    const d = new DelayDetector({ approvalHours: 24, escalateAfterMs: DAY_MS });
    d.process(placed('o1'));
    d.advanceWatermark(T0 + 25 * H);
    const approval = (cs: AlertChange[]): AlertChange[] => cs.filter((c) => c.alert.rule === 'approval_overdue');
    const first = approval(d.advanceWatermark(T0 + 24 * H + DAY_MS + 1));
    assert.deepEqual(brief(first), ['escalated:o1:approval_overdue']);
    assert.equal(first[0]?.alert.state, 'escalated');
    assert.equal(first[0]?.alert.level, 1);
    assert.equal(first[0]?.alert.priority, 340);
    // Three days at once (past the 2- and 4-day steps): one change, coalesced to level 3.
    const jump = approval(d.advanceWatermark(T0 + 24 * H + 4 * DAY_MS + 1));
    assert.deepEqual(brief(jump), ['escalated:o1:approval_overdue']);
    assert.equal(jump[0]?.alert.level, 3);
    assert.equal(jump[0]?.alert.priority, 170 * 5);
    // Nothing more until 8 days after it opened (it opened 1 ms after the deadline).
    assert.deepEqual(approval(d.advanceWatermark(T0 + 24 * H + 8 * DAY_MS)), []);
    assert.equal(approval(d.advanceWatermark(T0 + 24 * H + 8 * DAY_MS + 1))[0]?.alert.level, 4);
  });

  it('ranks open alerts by priority and applies the grade weight', () => {
    const d = new DelayDetector({ approvalHours: 24 }, { gradeWeight: (o) => (o.orderId === 'cheap' ? 10 : 1) });
    d.process(placed('cheap'));
    d.process(placed('big'));
    d.advanceWatermark(T0 + 25 * H);
    assert.deepEqual(d.openAlerts().map((a) => [a.orderId, a.priority]), [['cheap', 1700], ['big', 170]]);
  });

  it('flags an undelivered order when its estimated day ends, resolves and reports delivered_late on delivery', () => {
    const d = new DelayDetector();
    d.process(placed('o1'));
    d.process(step('PaymentApproved', 'o1', T0 + H));
    d.process(step('OrderHandedToCarrier', 'o1', T0 + 20 * H));
    const deadline = endOfLocalDay('2018-01-20');
    assert.deepEqual(d.advanceWatermark(deadline - 1), []);
    const opened = d.advanceWatermark(deadline);
    assert.deepEqual(brief(opened), ['opened:o1:delivery_overdue']);
    assert.equal(opened[0]?.alert.openedAt, deadline);
    const delivered = d.process(step('OrderDelivered', 'o1', deadline + 2 * DAY_MS + 5 * H));
    assert.deepEqual(brief(delivered), ['escalated:o1:delivery_overdue', 'resolved:o1:delivery_overdue', 'final:o1:delivered_late']);
    const final = delivered[2]?.alert;
    assert.equal(final?.daysLate, 3, 'delivered on the 23rd, estimated the 20th');
    assert.equal(final?.state, 'resolved');
  });

  it("opens from the order's own late step even while the watermark lags", () => {
    const d = new DelayDetector({ allowedLatenessMs: 6 * H });
    d.process(placed('o1'));
    d.process(step('PaymentApproved', 'o1', T0 + H));
    d.process(step('OrderHandedToCarrier', 'o1', T0 + 20 * H));
    const deadline = endOfLocalDay('2018-01-20');
    const changes = d.process(step('OrderDelivered', 'o1', deadline + H));
    assert.deepEqual(brief(changes), ['opened:o1:delivery_overdue', 'resolved:o1:delivery_overdue', 'final:o1:delivered_late']);
    assert.equal(changes[0]?.alert.openedAt, deadline);
    assert.equal(changes[2]?.alert.daysLate, 1);
  });

  it('a delivery on the estimated day is on time', () => {
    const d = new DelayDetector();
    d.process(placed('o1'));
    d.process(step('OrderDelivered', 'o1', endOfLocalDay('2018-01-20') - 1));
    assert.deepEqual(d.advanceWatermark(T0 + 100 * DAY_MS), []);
  });

  it('resolves every open alert of a canceled order', () => {
    const d = new DelayDetector({ approvalHours: 24 });
    d.process(placed('o1'));
    d.advanceWatermark(T0 + 49 * H);
    assert.equal(d.openAlerts().length, 2, 'approval and handoff');
    const changes = d.process(canceled('o1', T0 + 50 * H));
    assert.deepEqual(brief(changes).sort(), ['resolved:o1:approval_overdue', 'resolved:o1:handoff_overdue']);
    assert.ok(changes.every((c) => c.alert.reason.startsWith('order canceled')));
    assert.deepEqual(d.advanceWatermark(T0 + 100 * DAY_MS), [], 'no delivery alert after a cancellation');
  });

  it('hands back late events, still applying those of known orders', () => {
    const d = new DelayDetector({ approvalHours: 24, allowedLatenessMs: H });
    d.process(placed('o1'));
    const other: ProductUpserted = {
      type: 'ProductUpserted', eventId: 'p', eventTime: T0 + 30 * H, productId: 'p', categoryName: null, categoryNameEnglish: null,
      nameLength: null, descriptionLength: null, photosQty: null, weightG: null, lengthCm: null, heightCm: null, widthCm: null,
    };
    assert.deepEqual(brief(d.process(other)), ['opened:o1:approval_overdue']);
    const changes = d.process(step('PaymentApproved', 'o1', T0 + 20 * H));
    assert.deepEqual(brief(changes), ['resolved:o1:approval_overdue']);
    assert.equal(d.process(step('PaymentApproved', 'ghost', T0)).length, 0);
    const late = d.drainLate();
    assert.deepEqual(late.map((l) => [l.event.eventId, l.applied]), [['o1-PaymentApproved', true], ['ghost-PaymentApproved', false]]);
    assert.deepEqual(d.drainLate(), []);
    assert.equal(d.stats().lateNotApplied, 1);
    assert.equal(d.stats().ordersInState, 1);
  });

  it('drops finished orders after the retention, in watermark time', () => {
    const d = new DelayDetector({ stateRetentionMs: 10 * DAY_MS });
    d.process(placed('done'));
    d.process(placed('open', T0, '2030-01-01'));
    d.process(step('OrderDelivered', 'done', T0 + 5 * DAY_MS));
    d.advanceWatermark(T0 + 15 * DAY_MS - 1);
    assert.equal(d.stats().ordersInState, 2);
    d.advanceWatermark(T0 + 15 * DAY_MS);
    assert.equal(d.stats().ordersInState, 1);
    assert.equal(d.stats().ordersDropped, 1);
    assert.equal(d.alert('done', 'delivery_overdue'), null);
    assert.notEqual(d.alert('open', 'approval_overdue'), null, 'the unfinished order and its alerts stay');
  });
});
