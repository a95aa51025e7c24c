import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { openEmbeddedStore } from '../store/index.js';
import { tempDir } from '../testing/fixtures.js';
import { eventLogContract } from './event-log-contract.js';
import { LogError } from './errors.js';
import { partitionFor } from './partitioner.js';
import { BATCH_LIMITS } from './record-batch.js';
import { DEFAULT_WAL_AUTOCHECKPOINT_BYTES, openSqliteEventLog, SqliteEventLog } from './sqlite-log.js';
import type { EventLog, LogRecord, ProducerRecord } from './types.js';

const dir = tempDir('orderpulse-log-');
after(() => dir.remove());
let files = 0;
const freshPath = (): string => join(dir.path, `store-${++files}.db`);

eventLogContract(
  'embedded (SQLite)',
  () => {
    const path = freshPath();
    return Promise.resolve({
      log: openSqliteEventLog(path),
      reopen: () => Promise.resolve(openSqliteEventLog(path)),
      cleanup: () => Promise.resolve(),
    });
  },
  // One SQLite transaction per append; one member per group.
  { capabilities: { atomicAppend: true, sharedGroups: false } },
);

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString('utf8'));

function rejectsWith(code: string): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof LogError, `expected a LogError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  };
}

function onPartition(topic: string, partition: number, count: number, prefix = 'v'): ProducerRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    topic,
    key: null,
    value: bytes(`${prefix}${i}`),
    timestamp: i,
    partition,
  }));
}

async function readAll(log: EventLog, topic: string, partition: number): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for (;;) {
    const batch = await log.fetch({ topic, partition, offset: out.length, maxRecords: 5000 });
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}

function countBy<T>(items: readonly T[], key: (item: T) => number): number[] {
  const counts: number[] = [];
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return Array.from(counts, (c) => c ?? 0);
}

void describe('SqliteEventLog', () => {
  void it("is the 'embedded' log and keeps its tables under the log_ prefix", async () => {
    const path = freshPath();
    const log = openSqliteEventLog(path);
    assert.equal(log.kind, 'embedded');
    await log.close();
    const db = openEmbeddedStore(path);
    const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all();
    db.close();
    assert.deepEqual(tables, [
      'log_batches',
      'log_group_offsets',
      'log_group_topics',
      'log_meta',
      'log_partitions',
      'log_topics',
    ]);
  });

  void it("raises the connection's WAL auto-checkpoint threshold from SQLite's default only", async () => {
    const path = freshPath();
    const threshold = (db: ReturnType<typeof openEmbeddedStore>): unknown => db.pragma('wal_autocheckpoint', { simple: true });
    const plain = openEmbeddedStore(path);
    assert.equal(threshold(plain), 1000);
    await new SqliteEventLog(plain).close();
    assert.equal(threshold(plain), Math.ceil(DEFAULT_WAL_AUTOCHECKPOINT_BYTES / (plain.pragma('page_size', { simple: true }) as number)));
    const tuned = openEmbeddedStore(path);
    tuned.pragma('wal_autocheckpoint = 500');
    await new SqliteEventLog(tuned).close();
    assert.equal(threshold(tuned), 500);
    await new SqliteEventLog(tuned, { walAutocheckpointPages: 2000 }).close();
    assert.equal(threshold(tuned), 2000);
    const untouched = openEmbeddedStore(path);
    await new SqliteEventLog(untouched, { walAutocheckpointPages: null }).close();
    assert.equal(threshold(untouched), 1000);
    for (const db of [plain, tuned, untouched]) db.close();
  });

  void it('stores one batch row per partition an append touches, splitting slices at the batch limits', async () => {
    const db = openEmbeddedStore(freshPath());
    const log = new SqliteEventLog(db);
    await log.createTopic({ name: 't', partitions: 3 });
    const batches = (): [number, number, number][] =>
      db.prepare('SELECT "partition", base_offset, last_offset FROM log_batches ORDER BY "partition", base_offset').raw().all() as [
        number,
        number,
        number,
      ][];
    await log.append([...onPartition('t', 0, 3, 'a'), ...onPartition('t', 2, 2, 'a'), ...onPartition('t', 0, 1, 'b')]);
    assert.deepEqual(batches(), [
      [0, 0, 3],
      [2, 0, 1],
    ]);
    await log.append(onPartition('t', 0, 2, 'c'));
    assert.deepEqual(batches(), [
      [0, 0, 3],
      [0, 4, 5],
      [2, 0, 1],
    ]);
    // More than BATCH_LIMITS.maxRecords records, then more than BATCH_LIMITS.maxBytes: several rows each.
    await log.append(onPartition('t', 1, BATCH_LIMITS.maxRecords + 10, 'many-'));
    const big = Array.from({ length: 3 }, (_, i) => ({
      topic: 't',
      key: null,
      value: new Uint8Array(BATCH_LIMITS.maxBytes / 2).fill(i),
      timestamp: i,
      partition: 1,
    }));
    await log.append(big);
    const n = BATCH_LIMITS.maxRecords + 10;
    assert.deepEqual(
      batches().filter(([p]) => p === 1),
      [
        [1, 0, BATCH_LIMITS.maxRecords - 1],
        [1, BATCH_LIMITS.maxRecords, n - 1],
        [1, n, n],
        [1, n + 1, n + 1],
        [1, n + 2, n + 2],
      ],
    );
    assert.deepEqual((await log.describeTopics(['t']))[0]?.endOffsets, [6, n + 3, 2]);
    // Fetches start inside a batch, cross batches and stop at maxRecords or the end.
    const offsets = async (partition: number, offset: number, maxRecords: number): Promise<number[]> =>
      (await log.fetch({ topic: 't', partition, offset, maxRecords })).map((r) => r.offset);
    assert.deepEqual(await offsets(0, 2, 3), [2, 3, 4]);
    assert.deepEqual(await offsets(0, 3, 100), [3, 4, 5]);
    assert.deepEqual(await offsets(0, 6, 100), []);
    assert.deepEqual(await offsets(0, 60, 100), []);
    const m = BATCH_LIMITS.maxRecords;
    assert.deepEqual(await offsets(1, m - 2, 4), [m - 2, m - 1, m, m + 1]);
    assert.deepEqual(await offsets(1, n - 1, 10), [n - 1, n, n + 1, n + 2]);
    const [second] = await log.fetch({ topic: 't', partition: 1, offset: n + 1, maxRecords: 1 });
    assert.deepEqual([second?.value.length, second?.value[0], second?.timestamp], [BATCH_LIMITS.maxBytes / 2, 1, 1]);
    assert.deepEqual(
      (await log.fetch({ topic: 't', partition: 0, offset: 0 })).map((r) => `${str(r.value)}@${r.timestamp}`),
      ['a0@0', 'a1@1', 'a2@2', 'b0@0', 'c0@0', 'c1@1'],
    );
    await log.close();
    assert.ok(db.open, 'a log built on a caller’s database leaves it open');
    db.close();
  });

  void it('reports a damaged batch in the store as OP_LOG_STORAGE naming topic, partition and offset', async () => {
    const db = openEmbeddedStore(freshPath());
    const log = new SqliteEventLog(db);
    await log.createTopic({ name: 't', partitions: 1 });
    await log.append(onPartition('t', 0, 10, 'first-'));
    await log.append(onPartition('t', 0, 10, 'second-'));
    db.prepare('UPDATE log_batches SET records = substr(records, 1, length(records) - 3) WHERE base_offset = 10').run();
    assert.equal((await log.fetch({ topic: 't', partition: 0, offset: 0, maxRecords: 15 })).length, 15);
    await assert.rejects(log.fetch({ topic: 't', partition: 0, offset: 5 }), (error: unknown) => {
      assert.ok(error instanceof LogError && error.code === 'OP_LOG_STORAGE', String(error));
      assert.match(error.message, /corrupt record batch in topic "t" partition 0 at offset 19 \(batch of offsets 10\.\.19\)/);
      return true;
    });
    const consumer = await log.consumer({ group: 'g', topics: ['t'], maxRecords: 100 });
    await assert.rejects(consumer.poll(), rejectsWith('OP_LOG_STORAGE'));
    await log.close();
    db.close();
  });

  void it('refuses records that are not bytes or have no integer timestamp, appending nothing', async () => {
    const log = openSqliteEventLog(freshPath());
    await log.createTopic({ name: 't', partitions: 1 });
    const good = { topic: 't', key: null, value: bytes('ok'), timestamp: 1 };
    const bad = [
      { ...good, value: 'text' },
      { ...good, key: 'text' },
      { ...good, timestamp: 1.5 },
      { ...good, timestamp: Number.NaN },
      { ...good, headers: [{ key: 1, value: bytes('x') }] },
    ] as unknown as ProducerRecord[];
    for (const record of bad) await assert.rejects(log.append([good, record]), rejectsWith('OP_LOG_BAD_RECORD'));
    assert.deepEqual((await log.describeTopics(['t']))[0]?.endOffsets, [0]);
    await log.close();
  });

  void it('shares maxRecords evenly among partitions that have records, rotating the remainder', async () => {
    const log = openSqliteEventLog(freshPath());
    await log.createTopic({ name: 'even', partitions: 4 });
    for (let p = 0; p < 4; p++) await log.append(onPartition('even', p, 100));
    const even = await log.consumer({ group: 'even', topics: ['even'], maxRecords: 40 });
    assert.deepEqual(countBy(await even.poll(), (r) => r.partition), [10, 10, 10, 10]);
    await even.close();

    await log.createTopic({ name: 'backlog', partitions: 3 });
    await log.append(onPartition('backlog', 0, 100));
    await log.append(onPartition('backlog', 2, 1));
    const backlog = await log.consumer({ group: 'backlog', topics: ['backlog'], maxRecords: 20 });
    assert.deepEqual(countBy(await backlog.poll(), (r) => r.partition), [19, 0, 1]);
    assert.deepEqual(countBy(await backlog.poll(), (r) => r.partition), [20]);
    await backlog.close();

    await log.createTopic({ name: 'rotate', partitions: 3 });
    for (let p = 0; p < 3; p++) await log.append(onPartition('rotate', p, 100));
    const rotate = await log.consumer({ group: 'rotate', topics: ['rotate'], maxRecords: 10 });
    const polls = [await rotate.poll(), await rotate.poll(), await rotate.poll()];
    for (const poll of polls) assert.equal(poll.length, 10);
    assert.deepEqual(countBy(polls.flat(), (r) => r.partition), [10, 10, 10]);
    await rotate.close();
    await log.close();
  });

  void it('has one member per group, and checks seek', async () => {
    const log = openSqliteEventLog(freshPath());
    await log.createTopic({ name: 't', partitions: 2 });
    const first = await log.consumer({ group: 'g', topics: ['t'] });
    await assert.rejects(log.consumer({ group: 'g', topics: ['t'] }), rejectsWith('OP_LOG_GROUP_ACTIVE'));
    assert.throws(() => first.seek('t', 2, 0), rejectsWith('OP_LOG_NOT_ASSIGNED'));
    assert.throws(() => first.seek('other', 0, 0), rejectsWith('OP_LOG_NOT_ASSIGNED'));
    assert.throws(() => first.seek('t', 0, -1), rejectsWith('OP_LOG_BAD_OFFSET'));
    await first.close();
    await assert.rejects(first.poll(), rejectsWith('OP_LOG_CONSUMER_CLOSED'));
    const second = await log.consumer({ group: 'g', topics: ['t'] });
    assert.deepEqual(second.assignment(), [
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    assert.deepEqual(await log.listGroups(), ['g']);
    assert.deepEqual(await log.lag('g'), [
      { topic: 't', partition: 0, committed: null, endOffset: 0, lag: 0 },
      { topic: 't', partition: 1, committed: null, endOffset: 0, lag: 0 },
    ]);
    await log.close();
    await assert.rejects(second.poll(), rejectsWith('OP_LOG_CONSUMER_CLOSED'));
  });

  void it('releases a waiting poll when its consumer closes, and refuses a second concurrent poll', async () => {
    const log = openSqliteEventLog(freshPath(), { pollIntervalMs: 5 });
    await log.createTopic({ name: 't', partitions: 1 });
    const consumer = await log.consumer({ group: 'g', topics: ['t'] });
    const waiting = consumer.poll(3_600_000);
    await assert.rejects(consumer.poll(0), rejectsWith('OP_LOG_BAD_REQUEST'));
    await consumer.close();
    assert.deepEqual(await waiting, []);
    await log.close();
  });

  void it('reports a store locked by another connection as a retryable OP_LOG_BUSY, and appends nothing', async () => {
    const path = freshPath();
    const db = openEmbeddedStore(path);
    db.pragma('busy_timeout = 20');
    const log = new SqliteEventLog(db);
    await log.createTopic({ name: 't', partitions: 1 });
    const other = openEmbeddedStore(path);
    other.prepare('BEGIN IMMEDIATE').run();
    await assert.rejects(log.append(onPartition('t', 0, 3)), (error: unknown) => {
      assert.ok(error instanceof LogError && error.code === 'OP_LOG_BUSY', String(error));
      assert.equal(error.retryable, true);
      return true;
    });
    other.prepare('ROLLBACK').run();
    other.close();
    assert.deepEqual((await log.append(onPartition('t', 0, 3))).map((p) => p.offset), [0, 1, 2]);
    await log.close();
    db.close();
  });

  void it('refuses a store of schema version 1 (one row per record), saying what to do, and leaves it as it was', () => {
    const path = freshPath();
    const db = openEmbeddedStore(path);
    db.exec(`
      CREATE TABLE log_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      INSERT INTO log_meta VALUES ('schema_version', '1');
      CREATE TABLE log_records (topic_id INTEGER, "partition" INTEGER, "offset" INTEGER, timestamp INTEGER,
        key BLOB, value BLOB NOT NULL, headers BLOB, PRIMARY KEY (topic_id, "partition", "offset")) WITHOUT ROWID;
      INSERT INTO log_records VALUES (1, 0, 0, 0, NULL, x'00', NULL);
    `);
    const schema = (): unknown => db.prepare('SELECT type, name FROM sqlite_master ORDER BY name').raw().all();
    const before = schema();
    assert.throws(
      () => new SqliteEventLog(db),
      (error: unknown) => {
        assert.ok(error instanceof LogError && error.code === 'OP_LOG_STORAGE', String(error));
        assert.match(error.message, /schema version 1\b.*schema version 2.*Remove the store \(the state directory\)/s);
        assert.ok(error.message.includes(path), error.message);
        return true;
      },
    );
    assert.throws(() => openSqliteEventLog(path), rejectsWith('OP_LOG_STORAGE'));
    assert.deepEqual(schema(), before);
    db.close();
  });

  void it('refuses a store whose event-log schema is newer than this build', async () => {
    const path = freshPath();
    await openSqliteEventLog(path).close();
    const db = openEmbeddedStore(path);
    db.prepare(`UPDATE log_meta SET value = '99' WHERE key = 'schema_version'`).run();
    assert.throws(() => new SqliteEventLog(db), rejectsWith('OP_LOG_STORAGE'));
    db.close();
  });

  void it('keeps offsets dense when two log objects (one connection, or two) append to the same topic', async () => {
    const path = freshPath();
    const db = openEmbeddedStore(path);
    const sameConnection = [new SqliteEventLog(db), new SqliteEventLog(db)];
    const otherConnection = openSqliteEventLog(path);
    const logs = [...sameConnection, otherConnection];
    await logs[0]!.createTopic({ name: 't', partitions: 2 });
    const consumer = await otherConnection.consumer({ group: 'g', topics: ['t'] });
    const firstPoll = consumer.poll(3_600_000);
    for (let round = 0; round < 30; round++) {
      const log = logs[round % 3]!;
      await log.append(Array.from({ length: 7 }, (_, i) => ({ topic: 't', key: bytes(`k${i}`), value: bytes(`${round}-${i}`), timestamp: round })));
    }
    // The consumer waits on the third log object; the first appends come through the other two.
    assert.ok((await firstPoll).length > 0);
    const records = [...(await readAll(otherConnection, 't', 0)), ...(await readAll(otherConnection, 't', 1))];
    assert.equal(records.length, 210);
    for (const p of [0, 1]) {
      const offsets = records.filter((r) => r.partition === p).map((r) => r.offset);
      assert.deepEqual(offsets, offsets.map((_, i) => i));
    }
    assert.equal(new Set(records.map((r) => str(r.value))).size, 210);
    await consumer.close();
    for (const log of logs) await log.close();
    db.close();
  });
});

// ---- other processes ----

/** A child that appends batches of `batchSize` records and prints each acknowledged batch's positions. */
const APPENDER = `
const [indexUrl, path, topic, tag, mode, batchSizeArg, batchesArg] = process.argv.slice(2);
const { openSqliteEventLog } = await import(indexUrl);
const log = openSqliteEventLog(path);
await log.createTopic({ name: topic, partitions: 3 });
const enc = new TextEncoder();
const batchSize = Number(batchSizeArg);
const batches = batchesArg === 'forever' ? Infinity : Number(batchesArg);
if (mode === 'wait-go') {
  process.stdout.write('ready\\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.destroy();
}
for (let b = 0; b < batches; b++) {
  const records = [];
  for (let i = 0; i < batchSize; i++) {
    records.push({ topic, key: enc.encode(tag + '-k' + (i % 17)), value: enc.encode(tag + ':' + b + ':' + i), timestamp: Date.now() });
  }
  const positions = await log.append(records);
  process.stdout.write(JSON.stringify({ b, p: positions.map((x) => [x.partition, x.offset]) }) + '\\n');
}
await log.close();
`;
const appenderScript = join(dir.path, 'appender.mjs');
writeFileSync(appenderScript, APPENDER);
const indexUrl = new URL('./index.js', import.meta.url).href;

interface Ack {
  readonly b: number;
  readonly p: [number, number][];
}

interface Appender {
  readonly acks: Ack[];
  readonly ready: Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  go(): void;
  kill(): void;
}

function startAppender(
  args: { path: string; topic: string; tag: string; waitForGo: boolean; batchSize: number; batches: number | 'forever' },
  onAck?: (acks: number) => void,
): Appender {
  const child = spawn(
    process.execPath,
    [
      appenderScript,
      indexUrl,
      args.path,
      args.topic,
      args.tag,
      args.waitForGo ? 'wait-go' : 'run',
      String(args.batchSize),
      String(args.batches),
    ],
    { stdio: [args.waitForGo ? 'pipe' : 'ignore', 'pipe', 'inherit'] },
  );
  const acks: Ack[] = [];
  let readyResolve = (): void => {};
  const ready = new Promise<void>((resolve) => (readyResolve = resolve));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line === 'ready') return readyResolve();
    acks.push(JSON.parse(line) as Ack);
    onAck?.(acks.length);
  });
  return {
    acks,
    ready,
    exited,
    go: () => child.stdin?.end('go\n'),
    kill: () => child.kill('SIGKILL'),
  };
}

/** Asserts what every run of appenders must leave: dense offsets, each acknowledged record where its ack said. */
async function checkAppended(
  log: EventLog,
  topic: string,
  runs: { tag: string; acks: readonly Ack[]; batchSize: number }[],
): Promise<Map<string, number>> {
  const [description] = await log.describeTopics([topic]);
  const byPosition = new Map<string, LogRecord>();
  const values = new Set<string>();
  for (let p = 0; p < 3; p++) {
    const records = await readAll(log, topic, p);
    assert.equal(records.length, description!.endOffsets[p], `partition ${p}: end offset = record count`);
    records.forEach((r, i) => {
      assert.equal(r.offset, i, `partition ${p}: dense offsets`);
      const value = str(r.value)!;
      assert.ok(!values.has(value), `${value} stored twice`);
      values.add(value);
      assert.equal(partitionFor(r.key!, 3), p, `${value} on the key's partition`);
      byPosition.set(`${p}/${r.offset}`, r);
    });
  }
  for (const { tag, acks } of runs) {
    for (const ack of acks) {
      ack.p.forEach(([partition, offset], i) => {
        const stored = byPosition.get(`${partition}/${offset}`);
        assert.ok(stored !== undefined, `${tag}:${ack.b}:${i} acknowledged at ${partition}/${offset} but missing`);
        assert.equal(str(stored.value), `${tag}:${ack.b}:${i}`);
        assert.equal(str(stored.key), `${tag}-k${i % 17}`);
      });
    }
  }
  // Batches are atomic: every batch found is complete, and batches are a prefix of each run.
  const perBatch = new Map<string, number>();
  for (const value of values) {
    const [tag, b] = value.split(':');
    perBatch.set(`${tag}:${b}`, (perBatch.get(`${tag}:${b}`) ?? 0) + 1);
  }
  const batchesPerRun = new Map<string, number>();
  for (const { tag, batchSize } of runs) {
    let count = 0;
    while (perBatch.has(`${tag}:${count}`)) {
      assert.equal(perBatch.get(`${tag}:${count}`), batchSize, `batch ${tag}:${count} is complete`);
      count++;
    }
    batchesPerRun.set(tag, count);
  }
  const found = [...batchesPerRun.values()].reduce((a, b) => a + b, 0);
  assert.equal(perBatch.size, found, 'no batch outside a contiguous prefix');
  return batchesPerRun;
}

void describe('SqliteEventLog across processes', () => {
  void it('keeps every acknowledged record, densely, when the appending process is killed (SIGKILL)', async (t) => {
    // Small batches killed after many acknowledgments, and large ones (a long transaction) after a few.
    for (const { batchSize, killAfter } of [
      { batchSize: 200, killAfter: 40 },
      { batchSize: 5000, killAfter: 3 },
    ]) {
      const path = freshPath();
      const topic = 'orders';
      const holder: { appender?: Appender } = {};
      const appender = startAppender({ path, topic, tag: 'A', waitForGo: false, batchSize, batches: 'forever' }, (acks) => {
        if (acks === killAfter) holder.appender?.kill();
      });
      holder.appender = appender;
      const { signal } = await appender.exited;
      assert.equal(signal, 'SIGKILL');
      const acked = appender.acks;
      assert.ok(acked.length >= killAfter);

      const log = openSqliteEventLog(path);
      const batches = await checkAppended(log, topic, [{ tag: 'A', acks: acked, batchSize }]);
      const stored = batches.get('A')!;
      assert.ok(stored >= acked.length && stored <= acked.length + 1, `${stored} batches stored, ${acked.length} acknowledged`);
      t.diagnostic(`batches of ${batchSize}: ${acked.length} acknowledged before the kill, ${stored} stored`);
      // The log takes appends after the crash, continuing the offsets.
      const [next] = await log.append([{ topic, key: bytes('A-k0'), value: bytes('after'), timestamp: 0 }]);
      const [description] = await log.describeTopics([topic]);
      assert.equal(next!.offset, description!.endOffsets[next!.partition]! - 1);
      await log.close();
    }
  });

  void it('gives two processes appending to the same topic at once distinct, dense offsets', async (t) => {
    const path = freshPath();
    const topic = 'orders';
    const batchSize = 250;
    const batches = 40;
    // Create the store first so the children do not race to create the schema.
    const setup = openSqliteEventLog(path);
    await setup.createTopic({ name: topic, partitions: 3 });
    await setup.close();
    const a = startAppender({ path, topic, tag: 'A', waitForGo: true, batchSize, batches });
    const b = startAppender({ path, topic, tag: 'B', waitForGo: true, batchSize, batches });
    await Promise.all([a.ready, b.ready]);
    a.go();
    b.go();
    const [exitA, exitB] = await Promise.all([a.exited, b.exited]);
    assert.deepEqual(exitA, { code: 0, signal: null });
    assert.deepEqual(exitB, { code: 0, signal: null });
    assert.equal(a.acks.length, batches);
    assert.equal(b.acks.length, batches);

    const log = openSqliteEventLog(path);
    const stored = await checkAppended(log, topic, [
      { tag: 'A', acks: a.acks, batchSize },
      { tag: 'B', acks: b.acks, batchSize },
    ]);
    assert.deepEqual([...stored.entries()].sort(), [
      ['A', batches],
      ['B', batches],
    ]);
    const p0 = await readAll(log, topic, 0);
    let switches = 0;
    for (let i = 1; i < p0.length; i++) if (str(p0[i]!.value)![0] !== str(p0[i - 1]!.value)![0]) switches++;
    t.diagnostic(`partition 0 switches between the two writers ${switches} times`);
    await log.close();
  });

  void it('wakes a waiting consumer for records another process appends', async () => {
    const path = freshPath();
    const log = openSqliteEventLog(path);
    await log.createTopic({ name: 'orders', partitions: 3 });
    const consumer = await log.consumer({ group: 'g', topics: ['orders'] });
    const received: LogRecord[] = [];
    const polling = (async () => {
      let emptyPolls = 0;
      while (received.length < 5) {
        const batch = await consumer.poll(1000);
        if (batch.length === 0) emptyPolls++;
        assert.ok(emptyPolls < 120, 'the other process’s records never arrived');
        received.push(...batch);
      }
    })();
    const appender = startAppender({ path, topic: 'orders', tag: 'C', waitForGo: false, batchSize: 5, batches: 1 });
    assert.deepEqual(await appender.exited, { code: 0, signal: null });
    await polling;
    assert.deepEqual(received.map((r) => str(r.value)).sort(), ['C:0:0', 'C:0:1', 'C:0:2', 'C:0:3', 'C:0:4']);
    await consumer.close();
    await log.close();
  });
});
