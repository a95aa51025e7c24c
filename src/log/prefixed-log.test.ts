import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { tempDir } from '../testing/fixtures.js';
import { eventLogContract } from './event-log-contract.js';
import { withTopicPrefix } from './prefixed-log.js';
import { openSqliteEventLog } from './sqlite-log.js';

const dir = tempDir('orderpulse-prefixed-log-');
after(() => dir.remove());
let n = 0;
const freshPath = (): string => join(dir.path, `log-${n++}.db`);

// The prefixed view must honour the whole contract, over a log that holds other topics too.
eventLogContract(
  'prefixed (over the embedded log)',
  async () => {
    const path = freshPath();
    const plain = openSqliteEventLog(path);
    await plain.createTopic({ name: 'orders', partitions: 2 });
    await plain.append([{ topic: 'orders', key: Buffer.from('k'), value: Buffer.from('not ours'), timestamp: 1 }]);
    await plain.close();
    return {
      log: withTopicPrefix(openSqliteEventLog(path), 'acme.'),
      reopen: () => Promise.resolve(withTopicPrefix(openSqliteEventLog(path), 'acme.')),
      cleanup: () => Promise.resolve(),
    };
  },
  { capabilities: { atomicAppend: true, sharedGroups: false } },
);

describe('withTopicPrefix', () => {
  it('keeps its topics under the prefix in the underlying log and shows only those, by their plain names', async () => {
    const path = freshPath();
    const plain = openSqliteEventLog(path);
    const prefixed = withTopicPrefix(plain, 'acme.');
    await plain.createTopic({ name: 'orders', partitions: 1 });
    await prefixed.createTopic({ name: 'orders', partitions: 3 });
    const [position] = await prefixed.append([{ topic: 'orders', key: Buffer.from('o1'), value: Buffer.from('v'), timestamp: 5 }]);
    assert.equal(position?.topic, 'orders');
    assert.deepEqual((await plain.describeTopics()).map((t) => [t.name, t.partitions]).sort(), [['acme.orders', 3], ['orders', 1]]);
    assert.deepEqual((await prefixed.describeTopics()).map((t) => [t.name, t.partitions]), [['orders', 3]]);
    const [record] = await prefixed.fetch({ topic: 'orders', partition: position?.partition ?? 0, offset: 0 });
    assert.equal(record?.topic, 'orders');
    await prefixed.commitOffsets('dashboard', [{ topic: 'orders', partition: 0, offset: 1 }]);
    assert.deepEqual(await plain.listGroups(), ['acme.dashboard']);
    assert.deepEqual(await prefixed.listGroups(), ['dashboard']);
    await plain.close();
  });
});
