import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventLogContract } from '../log/event-log-contract.js';
import type { FetchRequest, LogRecord } from '../log/index.js';
import { openSqliteEventLog } from '../log/index.js';
import { tempDir } from './fixtures.js';
import { withOverrides } from './log-overrides.js';

const dir = tempDir('orderpulse-log-overrides-');
after(() => dir.remove());
let n = 0;

// A log whose fetch is replaced (as tests that time or break fetches replace it) still honours the
// whole contract: its fetchPartitions reads through that fetch.
eventLogContract(
  'with fetch overridden (over the embedded log)',
  () => {
    const path = join(dir.path, `log-${n++}.db`);
    const open = () => {
      const log = openSqliteEventLog(path);
      return withOverrides(log, { fetch: (request) => log.fetch(request) });
    };
    return Promise.resolve({ log: open(), reopen: () => Promise.resolve(open()), cleanup: () => Promise.resolve() });
  },
  { capabilities: { atomicAppend: true, sharedGroups: false } },
);

describe('withOverrides', () => {
  it('reads fetchPartitions through an overridden fetch, with the end offsets of the log', async () => {
    const log = openSqliteEventLog(join(dir.path, `log-${n++}.db`));
    await log.createTopic({ name: 'orders', partitions: 2 });
    await log.append(Array.from({ length: 4 }, (_, i) => ({ topic: 'orders', key: null, value: Buffer.from(`v${i}`), timestamp: i, partition: 1 })));
    const asked: string[] = [];
    // Answers nothing for partition 1, as a Kafka leader moving may.
    const fetch = async (request: FetchRequest): Promise<readonly LogRecord[]> => {
      asked.push(`${request.topic}/${request.partition}@${request.offset}`);
      return request.partition === 1 ? [] : log.fetch(request);
    };
    const faulty = withOverrides(log, { fetch });
    const reads = await faulty.fetchPartitions([
      { topic: 'orders', partition: 0, offset: 0 },
      { topic: 'orders', partition: 1, offset: 1 },
    ]);
    assert.deepEqual(asked, ['orders/0@0', 'orders/1@1']);
    assert.deepEqual(
      reads.map((r) => [r.partition, r.records.length, r.endOffset]),
      [
        [0, 0, 0],
        [1, 0, 4],
      ],
    );
    await log.close();
  });
});
