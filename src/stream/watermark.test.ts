import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WatermarkTracker } from './watermark.js';

describe('WatermarkTracker', () => {
  it('is the newest event time minus the allowed lateness, and never goes back', () => {
    const w = new WatermarkTracker(100);
    assert.equal(w.current, -Infinity);
    assert.deepEqual(w.observe(1000), { late: false, advanced: true });
    assert.equal(w.current, 900);
    assert.deepEqual(w.observe(950), { late: false, advanced: false }, 'within the allowed lateness');
    assert.equal(w.current, 900);
    assert.deepEqual(w.observe(899), { late: true, advanced: false }, 'before the watermark: late');
    assert.equal(w.maxEventTime, 1000);
  });

  it('advances when idle, and events before it become late', () => {
    const w = new WatermarkTracker(100);
    w.observe(1000);
    assert.equal(w.advanceIdle(5000), true);
    assert.equal(w.current, 5000);
    assert.equal(w.advanceIdle(10), false);
    assert.equal(w.isLate(4999), true);
    w.observe(5050);
    assert.equal(w.current, 5000);
    w.observe(6000);
    assert.equal(w.current, 5900);
  });

  it('rejects a negative lateness', () => {
    assert.throws(() => new WatermarkTracker(-1), RangeError);
  });
});
