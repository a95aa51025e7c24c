import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../testing/fixtures.js';
import { openRuntime } from './deployment.js';
import { processorOptions, streamSnapshotExpiry } from './processor.js';
import { DEFAULTS } from './settings.js';

describe('streamSnapshotExpiry', () => {
  it('keeps snapshots for twice the batch interval, runs every quarter of that (at most a minute apart), and always keeps the newest hundred', () => {
    // The default interval (5 minutes): ten minutes kept, a run every minute.
    assert.deepEqual(streamSnapshotExpiry(5 * 60_000), { everyMs: 60_000, retainLast: 100, olderThanMs: 600_000 });
    // `start`'s 30 seconds: one minute kept, a run every 15 seconds.
    assert.deepEqual(streamSnapshotExpiry(30_000), { everyMs: 15_000, retainLast: 100, olderThanMs: 60_000 });
    // An hour: two hours kept, still a run every minute.
    assert.deepEqual(streamSnapshotExpiry(3_600_000), { everyMs: 60_000, retainLast: 100, olderThanMs: 7_200_000 });
    // A second: two seconds kept, a run every second at most.
    assert.deepEqual(streamSnapshotExpiry(1_000), { everyMs: 1_000, retainLast: 100, olderThanMs: 2_000 });
  });

  it("is what the deployment's processor gets, from the settings' batch interval", async () => {
    const dir = tempDir();
    const runtime = openRuntime({ ...DEFAULTS, state: join(dir.path, 'state') });
    try {
      const fast = await processorOptions(runtime, { ...DEFAULTS, state: join(dir.path, 'state'), batchInterval: 45_000 });
      assert.deepEqual(fast.expiry, { everyMs: 22_500, retainLast: 100, olderThanMs: 90_000 });
      const byDefault = await processorOptions(runtime, { ...DEFAULTS, state: join(dir.path, 'state') });
      assert.equal(byDefault.expiry?.olderThanMs, 600_000);
    } finally {
      await runtime.close();
      dir.remove();
    }
  });
});
