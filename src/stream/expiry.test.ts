import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULTS, openRuntime } from '../deploy/index.js';
import type { Runtime } from '../deploy/index.js';
import { loadOlist } from '../data/index.js';
import { TOPICS, olistEvents } from '../events/index.js';
import { replay } from '../replay/index.js';
import { sampleDir, tempDir } from '../testing/fixtures.js';
import { ALERT_EVENTS_TABLE, AlertCodec, BRONZE_EVENTS_TABLE, ExpirySchedule, OPEN_ALERTS_TABLE, StreamError, StreamProcessor, offsetsProperty } from './index.js';

describe('ExpirySchedule', () => {
  it('is due every N commits, or once the interval has passed, whichever comes first', () => {
    let now = 0;
    const byCount = new ExpirySchedule({ everyCommits: 3, retainLast: 1, olderThanMs: 0 }, () => now);
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(() => byCount.committed()), [false, false, true, false, false, true, false]);
    const both = new ExpirySchedule({ everyCommits: 100, everyMs: 60_000, retainLast: 1, olderThanMs: 0 }, () => now);
    now = 59_999;
    assert.equal(both.committed(), false);
    now = 60_000;
    assert.equal(both.committed(), true);
    now = 60_001;
    assert.equal(both.committed(), false, 'the interval restarts at each run');
  });

  it('refuses a policy that would never run or keeps nothing, saying which value', () => {
    const refused = (policy: ConstructorParameters<typeof ExpirySchedule>[0], pattern: RegExp): void => {
      assert.throws(() => new ExpirySchedule(policy, Date.now), (e: unknown) => e instanceof StreamError && e.code === 'OP_STREAM_BAD_OPTION' && pattern.test(e.message));
    };
    refused({ retainLast: 1, olderThanMs: 0 }, /everyCommits, everyMs or both/);
    refused({ everyCommits: 0, retainLast: 1, olderThanMs: 0 }, /everyCommits must be a positive number, got 0/);
    refused({ everyMs: Number.NaN, retainLast: 1, olderThanMs: 0 }, /everyMs must be a positive number/);
    refused({ everyCommits: 5, retainLast: 0, olderThanMs: 0 }, /retainLast must be a whole number, 1 or more, got 0/);
    refused({ everyCommits: 5, retainLast: 1, olderThanMs: -1 }, /olderThanMs must be 0 or more, got -1/);
  });
});

describe('StreamProcessor with scheduled snapshot expiry', () => {
  const dir = tempDir();
  let runtime: Runtime;
  let records = 0;
  const open = async (): Promise<StreamProcessor> =>
    StreamProcessor.open({
      log: runtime.log,
      codec: await runtime.codec(),
      lake: await runtime.lake(),
      alertCodec: await AlertCodec.open(runtime.registry, { registerSchemas: true }),
      idle: { afterMs: 0, advanceMs: 0 },
      maxBatchEvents: 5_000,
      expiry: { everyCommits: 2, retainLast: 2, olderThanMs: 0 },
    });

  before(async () => {
    runtime = openRuntime({ ...DEFAULTS, state: dir.path });
    await replay({ log: runtime.log, codec: await runtime.codec(), events: olistEvents(await loadOlist(sampleDir)), pacing: { mode: 'max' }, partitions: 3 });
    for (const d of await runtime.log.describeTopics([TOPICS.orders, TOPICS.reviews])) records += d.endOffsets.reduce((a, b) => a + b, 0);
  });
  after(async () => {
    await runtime.close();
    dir.remove();
  });

  it('keeps few snapshots, every record in bronze once, and each task\'s offsets, across a restart', async () => {
    const first = await open();
    const run = await first.run({ untilIdle: true });
    assert.ok(run.batches >= 8, `many commits (${run.batches})`);
    const lake = await runtime.lake();
    const bronze = await lake.table(BRONZE_EVENTS_TABLE);
    // Expiry runs after every second commit and keeps two snapshots (plus the commits since, and a
    // snapshot carrying the tasks' progress when the one that held it went).
    assert.ok(bronze.snapshots().length <= 5, `bronze keeps ${bronze.snapshots().length} snapshots of ${run.batches} commits`);
    assert.ok((await lake.table(OPEN_ALERTS_TABLE)).snapshots().length <= 5);
    for (const d of await runtime.log.describeTopics([TOPICS.orders, TOPICS.reviews])) {
      d.endOffsets.forEach((end, p) => {
        const offsets = JSON.parse(bronze.lastSummaryValue(offsetsProperty(p)) ?? '{}') as Record<string, number>;
        assert.equal(offsets[`${d.name}/${p}`], end, `${d.name}/${p} after expiry`);
      });
    }
    const count = async (table: string, sql: string): Promise<number> => Number((await (await (await lake.table(table)).scan()).query(sql)).rows[0]?.n);
    const distinct = 'SELECT count(DISTINCT (topic, log_partition, log_offset)) AS n FROM t';
    assert.equal(await count(BRONZE_EVENTS_TABLE, 'SELECT count(*) AS n FROM t'), records);
    assert.equal(await count(BRONZE_EVENTS_TABLE, distinct), records);
    const alertRows = await count(ALERT_EVENTS_TABLE, 'SELECT count(*) AS n FROM t');

    // A restart resumes from the offsets the expiry kept: nothing is read or written again.
    const second = await open();
    const again = await second.run({ untilIdle: true });
    assert.equal(again.records, 0);
    assert.equal(await count(BRONZE_EVENTS_TABLE, 'SELECT count(*) AS n FROM t'), records);
    assert.equal(await count(ALERT_EVENTS_TABLE, 'SELECT count(*) AS n FROM t'), alertRows);
  });
});
