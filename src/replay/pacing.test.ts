import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Schedule } from './index.js';

describe('Schedule', () => {
  it('replays short gaps at the given speed and shortens long ones to the maximum gap', () => {
    const s = new Schedule({ mode: 'speed', speed: 60, maxGapMs: 5 * 60_000 });
    assert.equal(s.next(0), 0);
    assert.equal(s.next(60_000), 1_000); // a 1-minute gap at 60x: 1 s
    assert.equal(s.next(60_000), 1_000); // same instant: no wait
    assert.equal(s.next(60_000 + 3 * 3_600_000), 1_000 + 5_000); // a 3-hour gap counts as 5 minutes
  });

  it('never goes backwards when event times do', () => {
    const s = new Schedule({ mode: 'speed', speed: 1, maxGapMs: 1_000 });
    s.next(10_000);
    assert.equal(s.next(5_000), 0);
    assert.equal(s.next(5_500), 500);
  });

  it('spaces events evenly at a fixed rate', () => {
    const s = new Schedule({ mode: 'rate', eventsPerSecond: 4 });
    assert.deepEqual([s.next(9), s.next(0), s.next(1e12)], [0, 250, 500]);
  });

  it('makes every event due at once at max speed', () => {
    const s = new Schedule({ mode: 'max' });
    assert.deepEqual([s.next(0), s.next(1e12)], [0, 0]);
  });

  it('refuses a speed, rate or gap that makes no sense', () => {
    assert.throws(() => new Schedule({ mode: 'speed', speed: 0, maxGapMs: 1 }), RangeError);
    assert.throws(() => new Schedule({ mode: 'rate', eventsPerSecond: -1 }), RangeError);
    assert.throws(() => new Schedule({ mode: 'speed', speed: 1, maxGapMs: -5 }), RangeError);
  });
});
