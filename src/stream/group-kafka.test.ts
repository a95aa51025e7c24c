import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { loadOlist } from '../data/index.js';
import type { MarketplaceEvent } from '../events/index.js';
import { EmbeddedSchemaRegistry, EventCodec, olistEvents } from '../events/index.js';
import { Lake } from '../lake/index.js';
import type { EventLog } from '../log/index.js';
import { KafkaEventLog, openSqliteEventLog, withTopicPrefix } from '../log/index.js';
import { replay } from '../replay/index.js';
import { openEmbeddedStore } from '../store/index.js';
import { sampleDir, tempDir } from '../testing/fixtures.js';
import { deleteTopicsWithPrefix, testKafkaBrokers } from '../testing/kafka.js';
import { AlertCodec, StreamProcessor, runInGroup } from './index.js';
import { readAlertsTopic } from './test-alerts.js';
import { speedLayerContents } from './test-contents.js';

/**
 * Stream processors sharing the work through a real Kafka consumer group (scripts/services start a
 * 3-node cluster and export ORDERPULSE_TEST_KAFKA_BROKERS). Skipped with the reason without it,
 * unless ORDERPULSE_REQUIRE_KAFKA=1 (as in CI). Each run uses its own topic prefix.
 */
const brokers = testKafkaBrokers();
const required = process.env['ORDERPULSE_REQUIRE_KAFKA'] === '1';
const skip =
  brokers.length > 0 || required
    ? false
    : 'ORDERPULSE_TEST_KAFKA_BROKERS not set: run `eval "$(scripts/services/up.sh kafka)"` to run the consumer-group tests of the stream processor';

const PARTITIONS = 3;

describe('stream processors in a Kafka consumer group', { skip }, () => {
  const dir = tempDir();
  const prefix = `test-${randomBytes(4).toString('hex')}.`;
  let events: readonly MarketplaceEvent[];
  let registry: EmbeddedSchemaRegistry;
  let codec: EventCodec;
  const logs: EventLog[] = [];
  const lakes: Lake[] = [];
  let reference: { bronze: string[]; alerts: string[] };

  const kafka = (): EventLog => {
    const log = withTopicPrefix(new KafkaEventLog({ brokers, clientId: `orderpulse-${prefix}`, replicationFactor: Math.min(3, brokers.length), sessionTimeoutMs: 6_000 }), prefix);
    logs.push(log);
    return log;
  };
  const lakeAt = async (name: string): Promise<Lake> => {
    const lake = await Lake.open({ catalogUri: join(dir.path, `${name}.db`), warehouse: join(dir.path, name), tempDir: join(dir.path, 'tmp') });
    lakes.push(lake);
    return lake;
  };
  const contents = speedLayerContents;
  const options = async (log: EventLog, lake: Lake) => ({
    log,
    codec,
    lake,
    alertCodec: await AlertCodec.open(registry, { registerSchemas: true }),
    idle: { afterMs: 0, advanceMs: 0 },
  });

  before(async () => {
    assert.ok(brokers.length > 0, 'ORDERPULSE_REQUIRE_KAFKA=1 but ORDERPULSE_TEST_KAFKA_BROKERS is not set');
    events = olistEvents(await loadOlist(sampleDir));
    const db = openEmbeddedStore(join(dir.path, 'registry.db'));
    registry = new EmbeddedSchemaRegistry(db);
    codec = await EventCodec.open(registry, { registerSchemas: true });
    // The embedded reference: the same events, the same partitions, one processor.
    const embedded = openSqliteEventLog(join(dir.path, 'embedded-log.db'));
    logs.push(embedded);
    await replay({ log: embedded, codec, events, pacing: { mode: 'max' }, partitions: PARTITIONS });
    const lake = await lakeAt('embedded');
    await (await StreamProcessor.open(await options(embedded, lake))).run({ untilIdle: true });
    reference = await contents(lake);
    await replay({ log: kafka(), codec, events, pacing: { mode: 'max' }, partitions: PARTITIONS });
  });
  after(async () => {
    for (const log of logs) await log.close().catch(() => undefined);
    await deleteTopicsWithPrefix(brokers, prefix).catch(() => undefined);
    for (const lake of lakes) await lake.close().catch(() => undefined);
    await registry.close();
    dir.remove();
  });

  it('two members split the tasks and together write exactly what one embedded processor writes', async () => {
    const lake = await lakeAt('two-members');
    const log = kafka();
    const group = 'stream-split';
    const seen: (readonly number[])[] = [];
    const [a, b] = await Promise.all([
      runInGroup({ ...(await options(kafka(), lake)), group, untilIdle: true, onAssignment: (t) => seen.push(t) }),
      runInGroup({ ...(await options(kafka(), lake)), group, untilIdle: true, onAssignment: (t) => seen.push(t) }),
    ]);
    // Records read count again when a rebalance moved their task before its commit (the commit is
    // then refused); what lands in the lake is each record once.
    assert.ok(a.records + b.records >= reference.bronze.length);
    assert.deepEqual(await contents(lake), reference);
    const published = await readAlertsTopic(log, registry);
    assert.equal(published.length, reference.alerts.length);
  });

  it('when a member leaves mid-run, the other takes over its tasks and nothing is lost or doubled', async () => {
    const lake = await lakeAt('takeover');
    const group = 'stream-takeover';
    const leave = new AbortController();
    const stop = new AbortController();
    let leaverBatches = 0;
    let stayerAssignments = 0;
    // The leaver leaves once it has done some work while the other member was in the group too.
    const leaver = runInGroup({
      ...(await options(kafka(), lake)),
      maxBatchEvents: 2_000,
      group,
      signal: leave.signal,
      onBatch: () => {
        if (++leaverBatches >= 3 && stayerAssignments > 0) leave.abort();
      },
    });
    // The staying member cannot know when the group's work is done: it is stopped once the lake
    // holds everything (or, as a guard against a hang, after five quiet minutes).
    const stayer = runInGroup({
      ...(await options(kafka(), lake)),
      maxBatchEvents: 2_000,
      group,
      signal: stop.signal,
      onAssignment: () => stayerAssignments++,
    });
    let quietSince = Date.now();
    let last = '';
    for (;;) {
      const now = await contents(lake);
      const state = `${now.bronze.length}/${now.alerts.length}`;
      if (now.bronze.length === reference.bronze.length && now.alerts.length === reference.alerts.length) break;
      if (state !== last) quietSince = Date.now();
      if (Date.now() - quietSince > 300_000) break;
      last = state;
      await sleep(500);
    }
    leave.abort();
    stop.abort();
    const [left, stayed] = await Promise.all([leaver, stayer]);
    assert.ok(left.records > 0 && left.records < reference.bronze.length, `the leaver did part of the work (${left.records} records) and left`);
    assert.ok(stayed.reassignments >= 2, `the staying member was reassigned (${stayed.reassignments} times)`);
    assert.deepEqual(await contents(lake), reference);
  });
});
