import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Timer } from './timers.js';
import { TimerQueue } from './timers.js';

const t = (due: number, orderId = 'o', level = 0): Timer => ({ due, orderId, kind: 'deadline', rule: 'approval_overdue', level });

describe('TimerQueue', () => {
  it('pops in due order, ties by order id', () => {
    const q = new TimerQueue();
    const dues = [5, 3, 9, 1, 7, 3, 2, 8, 6, 4, 0];
    dues.forEach((d, i) => q.schedule(t(d, `o${i % 3}`)));
    const out: Timer[] = [];
    for (let x = q.pop(); x !== null; x = q.pop()) out.push(x);
    assert.deepEqual(out.map((x) => x.due), [...dues].sort((a, b) => a - b));
    const threes = out.filter((x) => x.due === 3).map((x) => x.orderId);
    assert.deepEqual(threes, [...threes].sort());
    assert.equal(q.size, 0);
  });

  it('fires only timers due at or before the watermark, including ones scheduled while firing', () => {
    const q = new TimerQueue();
    q.schedule(t(10));
    q.schedule(t(30));
    q.schedule(t(20));
    const fired: number[] = [];
    const n = q.fireDue(20, (timer) => {
      fired.push(timer.due);
      if (timer.due === 10) q.schedule(t(15));
    });
    assert.equal(n, 3);
    assert.deepEqual(fired, [10, 15, 20]);
    assert.equal(q.peek()?.due, 30);
  });

  it('keeps heap order over many random timers', () => {
    const q = new TimerQueue();
    let seed = 7;
    const dues: number[] = [];
    for (let i = 0; i < 1000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      dues.push(seed % 500);
      q.schedule(t(seed % 500, `o${i}`));
    }
    let last = -1;
    for (let x = q.pop(); x !== null; x = q.pop()) {
      assert.ok(x.due >= last);
      last = x.due;
    }
  });
});
