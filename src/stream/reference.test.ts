import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { parse } from 'csv-parse/sync';
import { loadOlist } from '../data/index.js';
import type { CustomerUpserted, MarketplaceEvent } from '../events/index.js';
import { EmbeddedSchemaRegistry, EventCodec, EventsError, TOPICS, olistEvents } from '../events/index.js';
import type { CommitEvent } from '../lake/index.js';
import { Lake, LakeError, commitChannel } from '../lake/index.js';
import type { EventLog } from '../log/index.js';
import { SqliteEventLog } from '../log/index.js';
import { replay } from '../replay/index.js';
import { openEmbeddedStore } from '../store/index.js';
import type { SqliteDatabase } from '../store/index.js';
import { DEFAULTS, openRuntime } from '../deploy/index.js';
import { sampleDir, tempDir } from '../testing/fixtures.js';
import { withOverrides } from '../testing/log-overrides.js';
import { T0 } from './test-events.js';
import type { ReferenceIngestReport } from './index.js';
import {
  REFERENCE_EVENTS_TABLE,
  REFERENCE_OFFSETS_PROPERTY,
  REFERENCE_TOPICS,
  ReferenceIngest,
  StreamError,
  UNDECODABLE_EVENT_TYPE,
  ingestReference,
} from './index.js';

type Rows = Record<string, unknown>[];

/** An embedded log and registry in a fresh directory, and lakes opened on catalogs of their own there. */
class Store {
  readonly dir = tempDir();
  readonly db: SqliteDatabase;
  readonly log: SqliteEventLog;
  readonly registry: EmbeddedSchemaRegistry;
  readonly #lakes: Lake[] = [];

  constructor() {
    this.db = openEmbeddedStore(join(this.dir.path, 'orderpulse.db'));
    this.log = new SqliteEventLog(this.db);
    this.registry = new EmbeddedSchemaRegistry(this.db);
  }

  codec(): Promise<EventCodec> {
    return EventCodec.open(this.registry, { registerSchemas: true });
  }

  /** A lake with its own catalog and warehouse under `name`; two calls with one name share them, as two processes would. */
  async lake(name: string): Promise<Lake> {
    const lake = await Lake.open({
      catalogUri: join(this.dir.path, `${name}.db`),
      warehouse: join(this.dir.path, name),
      tempDir: join(this.dir.path, `tmp-${this.#lakes.length}`),
    });
    this.#lakes.push(lake);
    return lake;
  }

  async close(): Promise<void> {
    for (const lake of this.#lakes) await lake.close();
    await this.log.close();
    await this.registry.close();
    this.db.close();
    this.dir.remove();
  }
}

async function rowsOf(lake: Lake, sql: string): Promise<Rows> {
  return (await (await (await lake.table(REFERENCE_EVENTS_TABLE)).scan()).query(sql)).rows;
}

/** Row count and distinct log positions: equal when no record was written twice. */
async function counts(lake: Lake): Promise<{ rows: number; distinct: number }> {
  const [row] = await rowsOf(lake, 'SELECT count(*) AS n, count(DISTINCT (topic, log_partition, log_offset)) AS d FROM t');
  return { rows: Number(row?.n), distinct: Number(row?.d) };
}

/** A CSV of the sample, straight from its file. */
function csv(name: string): Record<string, string>[] {
  return parse<Record<string, string>>(gunzipSync(readFileSync(join(sampleDir, `olist_${name}_dataset.csv.gz`))), { columns: true, skip_empty_lines: true });
}

/** Every record of the reference topics, read from the log and decoded: the oracle. */
async function referenceRecords(log: EventLog, codec: EventCodec): Promise<Map<string, MarketplaceEvent>> {
  const out = new Map<string, MarketplaceEvent>();
  for (const topic of await log.describeTopics(REFERENCE_TOPICS)) {
    for (let partition = 0; partition < topic.partitions; partition++) {
      for (let offset = 0; ; ) {
        const records = await log.fetch({ topic: topic.name, partition, offset, maxRecords: 5_000 });
        if (records.length === 0) break;
        for (const r of records) out.set(`${r.topic}/${r.partition}/${r.offset}`, await codec.decode(r.value, r));
        offset = (records[records.length - 1]?.offset ?? offset) + 1;
      }
    }
  }
  return out;
}

/** The outcomes of commits to the reference table while `body` runs. */
async function commitsDuring<T>(body: () => Promise<T>): Promise<{ result: T; events: CommitEvent[] }> {
  const events: CommitEvent[] = [];
  const listen = (message: unknown): void => {
    const event = message as CommitEvent;
    if (event.table === REFERENCE_EVENTS_TABLE) events.push(event);
  };
  commitChannel.subscribe(listen);
  try {
    return { result: await body(), events };
  } finally {
    commitChannel.unsubscribe(listen);
  }
}

describe('ingestReference on the Olist sample', () => {
  const store = new Store();
  let codec: EventCodec;
  let expected: Map<string, MarketplaceEvent>;

  before(async () => {
    codec = await store.codec();
    await replay({ log: store.log, codec, events: olistEvents(await loadOlist(sampleDir)), pacing: { mode: 'max' }, partitions: 3 });
    expected = await referenceRecords(store.log, codec);
  });
  after(() => store.close());

  it('writes every customer, seller and product record once, as the event JSON, with the log offsets it reached', async () => {
    const lake = await store.lake('single');
    const report = await ingestReference({ log: store.log, codec, lake, maxRecords: 4_000 });

    // The sample's own files: every order has its own customer; products and sellers are those its items name.
    const items = csv('order_items');
    const byType = (type: string): number => [...expected.values()].filter((e) => e.type === type).length;
    assert.deepEqual(
      [byType('CustomerUpserted'), byType('SellerUpserted'), byType('ProductUpserted')],
      [csv('orders').length, new Set(items.map((i) => i.seller_id)).size, new Set(items.map((i) => i.product_id)).size],
    );
    assert.equal(report.appended, expected.size);
    assert.notEqual(report.snapshotId, null);
    assert.deepEqual(await counts(lake), { rows: expected.size, distinct: expected.size });

    const rows = await rowsOf(lake, 'SELECT topic, log_partition, log_offset, event_id, event_type, key, epoch_ms(event_time) AS at, payload FROM t');
    for (const row of rows) {
      const where = `${String(row.topic)}/${String(row.log_partition)}/${String(row.log_offset)}`;
      const event = expected.get(where);
      assert.ok(event !== undefined, `${where} is a record of the log`);
      assert.equal(row.payload, JSON.stringify(event), where);
      assert.deepEqual([row.event_id, row.event_type, Number(row.at)], [event.eventId, event.type, event.eventTime], where);
    }
    const customer = rows.find((r) => r.event_type === 'CustomerUpserted');
    assert.equal(customer?.key, (JSON.parse(String(customer?.payload)) as CustomerUpserted).customerId);

    const table = await lake.table(REFERENCE_EVENTS_TABLE);
    assert.ok(table.snapshots().length >= 2, 'several commits of at most maxRecords rows');
    const offsets = JSON.parse(table.lastSummaryValue(REFERENCE_OFFSETS_PROPERTY) ?? '{}') as Record<string, number>;
    for (const topic of await store.log.describeTopics(REFERENCE_TOPICS)) {
      topic.endOffsets.forEach((end, p) => assert.equal(offsets[`${topic.name}/${p}`], end, `${topic.name}/${p}`));
    }
  });

  it('appends nothing and makes no snapshot when run again', async () => {
    const lake = await store.lake('single');
    const table = await lake.table(REFERENCE_EVENTS_TABLE);
    const snapshots = table.snapshots().length;
    assert.deepEqual(await ingestReference({ log: store.log, codec, lake }), { appended: 0, snapshotId: null });
    await table.refresh();
    assert.equal(table.snapshots().length, snapshots);
  });

  it('two ingestors racing write each record once: the loser goes on from the offsets the winner recorded', async () => {
    // Both read the recorded offsets before either fetches, so both hold the same first records.
    let arrived = 0;
    let release = (): void => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const gated = (): EventLog => {
      let first = true;
      return withOverrides(store.log, {
        fetch: async (request) => {
          if (first) {
            first = false;
            if (++arrived === 2) release();
            await gate;
          }
          return store.log.fetch(request);
        },
      });
    };
    const [one, two] = [await store.lake('race'), await store.lake('race')];
    const { result, events } = await commitsDuring(() =>
      Promise.all([
        ingestReference({ log: gated(), codec, lake: one, maxRecords: 1_500 }),
        ingestReference({ log: gated(), codec, lake: two, maxRecords: 1_000 }),
      ]),
    );
    const refused = events.filter((e) => e.outcome === 'failed' && /summary property orderpulse\.log-offsets\.reference/.test(e.error ?? ''));
    assert.ok(refused.length >= 1, 'the second commit of the first records was refused');
    assert.equal(result.reduce((n, r: ReferenceIngestReport) => n + r.appended, 0), expected.size);
    assert.deepEqual(await counts(one), { rows: expected.size, distinct: expected.size });
  });

  it('a commit that landed though its ingestor never heard so is not written again', async () => {
    const lake = await store.lake('unknown');
    const catalog = lake.catalog;
    const swap = catalog.swapMetadataLocation.bind(catalog);
    let lostAnswers = 1;
    catalog.swapMetadataLocation = async (table, expectedLocation, next) => {
      await swap(table, expectedLocation, next);
      if (lostAnswers-- > 0) throw new LakeError('OP_LAKE_COMMIT_STATE_UNKNOWN', 'the answer to the swap was lost');
    };
    await assert.rejects(ingestReference({ log: store.log, codec, lake, maxRecords: 2_000 }), (error: unknown) => {
      assert.ok(error instanceof LakeError);
      assert.equal(error.code, 'OP_LAKE_COMMIT_STATE_UNKNOWN');
      return true;
    });
    assert.deepEqual(await counts(lake), { rows: 2_000, distinct: 2_000 }, 'the first commit landed');
    const report = await ingestReference({ log: store.log, codec, lake, maxRecords: 2_000 });
    assert.equal(report.appended, expected.size - 2_000);
    assert.deepEqual(await counts(lake), { rows: expected.size, distinct: expected.size });
  });

  it('stopped after a commit, the next pass goes on from the offsets that commit recorded', async () => {
    const lake = await store.lake('stopped');
    // Stopped the moment its first commit lands, as a kill right after it would.
    const stop = new AbortController();
    const listen = (message: unknown): void => {
      if ((message as CommitEvent).outcome === 'committed') stop.abort();
    };
    commitChannel.subscribe(listen);
    const first = await ingestReference({ log: store.log, codec, lake, maxRecords: 3_000, signal: stop.signal }).finally(() => commitChannel.unsubscribe(listen));
    assert.equal(first.appended, 3_000);
    const second = await ingestReference({ log: store.log, codec, lake, maxRecords: 3_000 });
    assert.equal(first.appended + second.appended, expected.size);
    assert.deepEqual(await counts(lake), { rows: expected.size, distinct: expected.size });
  });
});

describe('ingestReference on a small log', () => {
  const stores: Store[] = [];
  after(async () => {
    for (const store of stores) await store.close();
  });
  const fresh = (): Store => {
    const store = new Store();
    stores.push(store);
    return store;
  };
  const customer = (id: string, at: number): CustomerUpserted => ({
    type: 'CustomerUpserted',
    eventId: `${id}-upserted`,
    eventTime: at,
    customerId: id,
    customerUniqueId: `${id}-person`,
    zipCodePrefix: '01000',
    city: 'sao paulo',
    state: 'SP',
  });

  it('keeps a record that does not decode, with the reason, where it was and its bytes', async () => {
    const store = fresh();
    const codec = await store.codec();
    await store.log.createTopic({ name: TOPICS.customers, partitions: 1 });
    await store.log.append([codec.encode(customer('c1', T0))]);
    await store.log.append([{ topic: TOPICS.customers, key: Buffer.from('c2'), value: Buffer.from('not avro'), timestamp: T0 + 1 }]);
    await store.log.append([codec.encode(customer('c3', T0 + 2))]);
    const lake = await store.lake('lake');
    assert.equal((await ingestReference({ log: store.log, codec, lake })).appended, 3);
    const rows = await rowsOf(lake, 'SELECT event_id, event_type, key, epoch_ms(event_time) AS at, schema_id, payload FROM t ORDER BY log_offset');
    assert.deepEqual(rows.map((r) => r.event_type), ['CustomerUpserted', UNDECODABLE_EVENT_TYPE, 'CustomerUpserted']);
    const bad = rows[1];
    assert.deepEqual([bad?.event_id, bad?.key, Number(bad?.at), bad?.schema_id], ['undecodable:customers/0/1', 'c2', T0 + 1, -1]);
    const payload = JSON.parse(String(bad?.payload)) as { error: string; value: string };
    assert.match(payload.error, /topic customers partition 0 offset 1/);
    assert.equal(Buffer.from(payload.value, 'base64').toString(), 'not avro');
  });

  it('stops on a registry outage and writes nothing, instead of setting the records aside as undecodable', async () => {
    const store = fresh();
    const codec = await store.codec();
    await store.log.createTopic({ name: TOPICS.customers, partitions: 1 });
    await store.log.append([codec.encode(customer('c1', T0))]);
    // A value whose writer schema the codec has not read yet, with the registry down.
    const unreachable = Object.assign(Object.create(codec) as EventCodec, {
      decodeKnown: (): undefined => undefined,
      decode: (): Promise<MarketplaceEvent> =>
        Promise.reject(new EventsError('OP_EVENTS_REGISTRY_UNAVAILABLE', 'the schema registry does not answer', { retryable: true })),
    });
    const lake = await store.lake('lake');
    await assert.rejects(ingestReference({ log: store.log, codec: unreachable, lake }), (error: unknown) => {
      assert.ok(error instanceof EventsError);
      assert.equal(error.code, 'OP_EVENTS_REGISTRY_UNAVAILABLE');
      return true;
    });
    const table = await lake.table(REFERENCE_EVENTS_TABLE);
    assert.equal(table.currentSnapshot(), null, 'nothing committed');
    // Once the registry answers, the record goes in.
    assert.equal((await ingestReference({ log: store.log, codec, lake })).appended, 1);
  });

  it('on a log without reference topics returns 0 and creates no table; topics without records neither', async () => {
    const store = fresh();
    const codec = await store.codec();
    await store.log.createTopic({ name: TOPICS.orders, partitions: 2 });
    const lake = await store.lake('lake');
    assert.deepEqual(await ingestReference({ log: store.log, codec, lake }), { appended: 0, snapshotId: null });
    await store.log.createTopic({ name: TOPICS.sellers, partitions: 2 });
    assert.deepEqual(await ingestReference({ log: store.log, codec, lake }), { appended: 0, snapshotId: null });
    assert.deepEqual(await lake.listTables(), []);
    // The first reference record creates the table.
    await store.log.createTopic({ name: TOPICS.customers, partitions: 1 });
    await store.log.append([codec.encode(customer('c1', T0))]);
    assert.equal((await ingestReference({ log: store.log, codec, lake })).appended, 1);
    assert.deepEqual(await lake.listTables(), [REFERENCE_EVENTS_TABLE]);
  });

  it('refuses a commit size that is not a positive integer', async () => {
    const store = fresh();
    const codec = await store.codec();
    const lake = await store.lake('lake');
    await assert.rejects(ingestReference({ log: store.log, codec, lake, maxRecords: 0 }), (error: unknown) => {
      assert.ok(error instanceof StreamError);
      assert.equal(error.code, 'OP_STREAM_BAD_OPTION');
      return true;
    });
  });
});

describe('reference events beside the stream command (ReferenceIngest)', () => {
  const dir = tempDir();
  const runtime = openRuntime({ ...DEFAULTS, state: dir.path });
  after(async () => {
    await runtime.close();
    dir.remove();
  });
  const customer = (id: string): CustomerUpserted => ({
    type: 'CustomerUpserted',
    eventId: `${id}-upserted`,
    eventTime: T0,
    customerId: id,
    customerUniqueId: `${id}-person`,
    zipCodePrefix: '01000',
    city: 'sao paulo',
    state: 'SP',
  });

  it('takes new records when nudged, the rest when finished, and stops the command on a failed pass', async () => {
    const codec = await runtime.codec();
    await runtime.log.createTopic({ name: TOPICS.customers, partitions: 2 });
    await runtime.log.append([codec.encode(customer('c1'))]);
    const passes: number[] = [];
    let next = (): void => undefined;
    const reference = await ReferenceIngest.start(runtime, {
      onAppended: (rows) => {
        passes.push(rows);
        next();
      },
    });
    assert.deepEqual(passes, [1], 'a pass before anything else');

    await runtime.log.append([codec.encode(customer('c2')), codec.encode(customer('c3'))]);
    const appended = new Promise<void>((resolve) => (next = resolve));
    reference.nudge();
    await appended;
    assert.deepEqual(passes, [1, 2]);

    await runtime.log.append([codec.encode(customer('c4'))]);
    assert.equal(await reference.finish(), 4);
    const lake = await runtime.lake();
    assert.deepEqual(await counts(lake), { rows: 4, distinct: 4 });

    // Offsets no writer could have recorded: the next pass refuses them, and the command stops.
    const failing = await ReferenceIngest.start(runtime);
    await (await lake.table(REFERENCE_EVENTS_TABLE)).append([], { summary: { [REFERENCE_OFFSETS_PROPERTY]: 'not offsets' } });
    await runtime.log.append([codec.encode(customer('c5'))]);
    const failed = new Promise<void>((resolve) => failing.failed.addEventListener('abort', () => resolve()));
    failing.nudge();
    await failed;
    await assert.rejects(failing.finish(), (error: unknown) => {
      assert.ok(error instanceof StreamError);
      assert.equal(error.code, 'OP_STREAM_BAD_OFFSETS');
      return true;
    });
  });
});
