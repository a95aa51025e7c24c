import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { before, describe, it } from 'node:test';
import { loadOlist } from '../data/index.js';
import type { MarketplaceEvent } from '../events/index.js';
import { olistEvents } from '../events/index.js';
import { sampleDir } from '../testing/fixtures.js';
import { CHECKPOINT_FORMAT, checkpointText, compressCheckpoint, parsePointer, readCheckpoint } from './checkpoint.js';
import { DelayDetector } from './detector.js';
import { StreamError } from './errors.js';
import type { DelayDetectorOptions } from './detector.js';
import type { AlertChange } from './types.js';
import { DEFAULT_STREAM_CONFIG, streamConfig } from './types.js';

/**
 * A detector restored from a checkpoint continues exactly as the one it was taken from: fed the
 * same events afterwards, both emit the same changes and end in the same state. A damaged or
 * foreign checkpoint is refused with an error that says what is wrong.
 */

const where = { task: 0, position: { seq: 10, floor: null }, config: streamConfig(), location: 'memory://checkpoint' };

function describeChanges(changes: readonly AlertChange[]): string[] {
  return changes.map((c) => `${c.kind} ${c.alert.alertId} ${c.alert.sequence} ${c.alert.level} ${c.alert.priority} ${c.watermark} ${c.alert.reason}`);
}

async function roundTrip(detector: DelayDetector, options: DelayDetectorOptions = {}): Promise<DelayDetector> {
  const bytes = await compressCheckpoint(checkpointText(0, where.position, detector.snapshot()));
  return DelayDetector.restore(await readCheckpoint(bytes, where), options);
}

describe('task-state checkpoints', () => {
  let events: MarketplaceEvent[];

  before(async () => {
    events = olistEvents(await loadOlist(sampleDir));
  });

  it('a detector restored at any of several points of the sample continues exactly as the uninterrupted one', async () => {
    const weight = (order: { readonly orderValueCents: number }): number => (order.orderValueCents % 3) / 2 + 0.5;
    const straight = new DelayDetector({}, { gradeWeight: weight });
    const straightChanges: AlertChange[] = [];
    let resumed = new DelayDetector({}, { gradeWeight: weight });
    const resumedChanges: AlertChange[] = [];
    const cuts = new Set([1, 997, Math.floor(events.length / 3), Math.floor(events.length / 2), events.length - 5]);
    let checked = 0;
    for (let i = 0; i < events.length; i++) {
      const event = events[i] as MarketplaceEvent;
      straightChanges.push(...straight.process(event));
      resumedChanges.push(...resumed.process(event));
      straight.drainLate();
      resumed.drainLate();
      if (cuts.has(i)) {
        const text = checkpointText(0, where.position, resumed.snapshot());
        resumed = await roundTrip(resumed, { gradeWeight: weight });
        // The restored state, written again, is the same checkpoint.
        assert.equal(checkpointText(0, where.position, resumed.snapshot()), text, `state at event ${i}`);
        checked++;
      }
    }
    const end = Date.UTC(2030, 0, 1);
    straightChanges.push(...straight.advanceWatermark(end));
    resumedChanges.push(...resumed.advanceWatermark(end));
    assert.equal(checked, cuts.size);
    assert.ok(straightChanges.length > 5_000, `${straightChanges.length} changes`);
    assert.deepEqual(describeChanges(resumedChanges), describeChanges(straightChanges));
    assert.deepEqual(resumed.stats(), straight.stats());
    assert.deepEqual(resumed.openAlerts(), straight.openAlerts());
    assert.equal(checkpointText(0, where.position, resumed.snapshot()), checkpointText(0, where.position, straight.snapshot()));
  });

  it('keeps the watermark, its idle floor and the pending timers', async () => {
    const detector = new DelayDetector();
    for (const event of events.slice(0, 2_000)) detector.process(event);
    detector.drainLate();
    detector.advanceWatermark(detector.maxEventTime + 3_600_000);
    const restored = await roundTrip(detector);
    assert.equal(restored.watermark, detector.watermark);
    assert.equal(restored.watermarkFloor, detector.watermarkFloor);
    assert.equal(restored.maxEventTime, detector.maxEventTime);
    assert.equal(restored.stats().timersPending, detector.stats().timersPending);
    assert.ok(detector.stats().timersPending > 100);
    // A fresh detector has no event time yet: -Infinity goes through as well.
    const fresh = await roundTrip(new DelayDetector());
    assert.equal(fresh.watermark, -Infinity);
    assert.equal(fresh.watermarkFloor, null);
  });

  it('refuses a damaged file, another task, another position or another configuration, saying which', async () => {
    const detector = new DelayDetector();
    for (const event of events.slice(0, 500)) detector.process(event);
    detector.drainLate();
    const text = checkpointText(0, where.position, detector.snapshot());
    const bytes = await compressCheckpoint(text);
    const refused = async (data: Uint8Array, expected: typeof where, pattern: RegExp): Promise<void> => {
      await assert.rejects(readCheckpoint(data, expected), (error: unknown) => {
        assert.ok(error instanceof StreamError);
        assert.equal(error.code, 'OP_STREAM_BAD_CHECKPOINT');
        assert.match(error.message, /memory:\/\/checkpoint/);
        assert.match(error.message, pattern);
        return true;
      });
    };
    const damaged = Uint8Array.from(bytes);
    const middle = Math.floor(damaged.length / 2);
    damaged[middle] = (damaged[middle] ?? 0) ^ 0xff;
    await refused(damaged, where, /not a readable gzip file/);
    await refused(bytes.subarray(0, bytes.length - 10), where, /not a readable gzip file/);
    await refused(gzipSync('{"kind":'), where, /not JSON/);
    await refused(gzipSync('{"kind":"something else"}'), where, /not a stream checkpoint/);
    await refused(gzipSync(text.replace(`"format":${CHECKPOINT_FORMAT}`, '"format":99')), where, /format 99/);
    await refused(bytes, { ...where, task: 1 }, /holds task 0, not 1/);
    await refused(bytes, { ...where, position: { seq: 11, floor: null } }, /holds position/);
    await refused(bytes, { ...where, config: streamConfig({ allowedLatenessMs: 2 * DEFAULT_STREAM_CONFIG.allowedLatenessMs }) }, /allowedLatenessMs/);
    await refused(gzipSync(text.replace(/"orders":\[\["/, '"orders":[[7,"')), where, /orders\[0\]/);
    await refused(gzipSync(text.replace(/"timers":\[\[[^,]*,/, '"timers":[["soon",')), where, /timers\[0\]\.due is not an integer/);
  });

  it('reads a recorded pointer, and refuses a malformed one naming it', () => {
    assert.deepEqual(parsePointer('{"position":{"seq":5,"floor":null},"location":"/x/y.json.gz"}', 'bronze task 0'), {
      position: { seq: 5, floor: null },
      location: '/x/y.json.gz',
    });
    for (const [text, pattern] of [
      ['nope', /not JSON/],
      ['{"position":{"seq":5,"floor":null}}', /no location/],
      ['{"position":{"seq":-1,"floor":null},"location":"/x"}', /no valid position/],
      ['{"location":"/x"}', /no valid position/],
    ] as const) {
      assert.throws(
        () => parsePointer(text, 'bronze task 0'),
        (error: unknown) => error instanceof StreamError && error.code === 'OP_STREAM_BAD_CHECKPOINT' && pattern.test(error.message) && /bronze task 0/.test(error.message),
      );
    }
  });
});
