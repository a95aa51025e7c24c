import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkpointText, compressCheckpoint, readCheckpoint } from './checkpoint.js';
import { DelayDetector } from './detector.js';
import { H, T0, placed, step } from './test-events.js';
import type { AlertChange } from './types.js';
import { DAY_MS, streamConfig } from './types.js';

/**
 * The operators' queue: priority stops growing after `overdueDaysCap` days overdue, and an alert
 * overdue `stuckAfterMs` with its event still missing moves to the `stuck` state.
 */

// placed(): 170.00 BRL of items and freight; approval due 24 h after T0 here.
const approvalDeadline = T0 + 24 * H;
const approval = (changes: readonly AlertChange[]): AlertChange[] => changes.filter((c) => c.alert.rule === 'approval_overdue');

describe('the queue: bounded priority and stuck alerts', () => {
  it('counts at most overdueDaysCap whole days overdue in the priority', () => {
    const d = new DelayDetector({ approvalHours: 24, overdueDaysCap: 7, stuckAfterMs: 0 });
    d.process(placed('o1'));
    d.advanceWatermark(approvalDeadline + 1);
    const at4 = approval(d.advanceWatermark(approvalDeadline + 4 * DAY_MS + 1));
    assert.equal(at4[0]?.alert.priority, 170 * 5, 'four days overdue: 1 + 4');
    const at16 = approval(d.advanceWatermark(approvalDeadline + 16 * DAY_MS + 1));
    assert.equal(at16[0]?.alert.level, 5);
    assert.equal(at16[0]?.alert.priority, 170 * 8, 'sixteen days overdue: 1 + 7, not 1 + 16');
    const at500 = approval(d.advanceWatermark(approvalDeadline + 500 * DAY_MS));
    assert.equal(at500.at(-1)?.alert.priority, 170 * 8);
    assert.equal(d.openAlerts()[0]?.state, 'escalated', 'stuckAfterMs 0: never stuck');
  });

  it('moves an alert overdue stuckAfterMs to stuck, escalates it no more, and still resolves it on its event', () => {
    const d = new DelayDetector({ approvalHours: 24, stuckAfterMs: 30 * DAY_MS });
    d.process(placed('o1'));
    d.advanceWatermark(approvalDeadline + 1);
    assert.deepEqual(approval(d.advanceWatermark(approvalDeadline + 30 * DAY_MS - 1)).map((c) => c.alert.state), ['escalated'], 'the 16-day escalation');
    const stuck = approval(d.advanceWatermark(approvalDeadline + 30 * DAY_MS));
    assert.equal(stuck.length, 1);
    assert.equal(stuck[0]?.kind, 'escalated');
    assert.equal(stuck[0]?.alert.state, 'stuck');
    assert.equal(stuck[0]?.alert.overdueMs, 30 * DAY_MS);
    assert.equal(stuck[0]?.alert.level, 5, 'its level stays');
    assert.match(stuck[0]?.alert.reason ?? '', /stuck: overdue 720 h with no event/);
    assert.deepEqual(approval(d.advanceWatermark(approvalDeadline + 400 * DAY_MS)), [], 'no escalation at 32, 64 … days');
    assert.deepEqual(d.openAlerts().map((a) => [a.rule, a.state]).filter(([rule]) => rule === 'approval_overdue'), [['approval_overdue', 'stuck']]);
    const resolved = approval(d.process(step('PaymentApproved', 'o1', approvalDeadline + 401 * DAY_MS)));
    assert.deepEqual(resolved.map((c) => [c.kind, c.alert.state]), [['resolved', 'resolved']]);
  });

  it('a watermark jump past stuckAfterMs opens, escalates and sticks the alert in due order; its step then resolves it', () => {
    const d = new DelayDetector({ approvalHours: 24, stuckAfterMs: 2 * DAY_MS });
    d.process(placed('o1'));
    // The handoff 5 days after the approval deadline moves the watermark past every timer of the alert.
    const handed = approval(d.process(step('OrderHandedToCarrier', 'o1', approvalDeadline + 5 * DAY_MS)));
    assert.deepEqual(handed.map((c) => [c.kind, c.alert.state, c.alert.level]), [
      ['opened', 'open', 0],
      ['escalated', 'escalated', 3],
      ['escalated', 'stuck', 3],
      ['resolved', 'resolved', 3],
    ]);
    assert.deepEqual(approval(d.advanceWatermark(approvalDeadline + 10 * DAY_MS)), [], 'resolved: nothing more');
  });

  it('keeps its stuck timers and states through a checkpoint', async () => {
    const config = streamConfig({ approvalHours: 24, stuckAfterMs: 3 * DAY_MS });
    const where = { task: 0, position: { seq: 1, floor: null }, config, location: 'memory://checkpoint' };
    const straight = new DelayDetector(config);
    const cut = new DelayDetector(config);
    const run = (d: DelayDetector, from: number, to: number): AlertChange[] => {
      const out: AlertChange[] = [];
      for (let day = from; day < to; day++) out.push(...d.advanceWatermark(approvalDeadline + day * DAY_MS));
      return out;
    };
    for (const d of [straight, cut]) {
      d.process(placed('o1'));
      d.process(placed('o2', T0 + 2 * DAY_MS));
    }
    const before = run(straight, 0, 4);
    assert.deepEqual(run(cut, 0, 4), before);
    const restored = DelayDetector.restore(await readCheckpoint(await compressCheckpoint(checkpointText(0, where.position, cut.snapshot())), where));
    const after = run(straight, 4, 10);
    assert.ok(after.some((c) => c.alert.orderId === 'o2' && c.alert.state === 'stuck'), 'o2 goes stuck after the cut');
    assert.deepEqual(run(restored, 4, 10), after);
    assert.deepEqual(restored.openAlerts(), straight.openAlerts());
  });
});
