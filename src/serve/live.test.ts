import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AlertChangeRow, LiveMessage } from '../read/types.js';
import type { PositionedChange } from '../stream/index.js';
import { ALERTS_TOPIC } from '../stream/index.js';
import { tempDir } from '../testing/fixtures.js';
import type { FastifyBaseLogger } from 'fastify';
import { formatCursor, parseCursor } from './cursor.js';
import type { LiveSubscriber } from './live.js';
import { LiveFeed } from './live.js';
import type { RunningServer } from './server.js';
import { startServer } from './server.js';
import { FakeReadModel } from './test-read-model.js';
import type { TestLiveLog } from './test-live-source.js';
import { openTestLiveLog, testChange } from './test-live-source.js';
import { SseClient } from './test-sse-client.js';

const TIMING = { watermarkMs: 100, ratesMs: 100, heartbeatMs: 100 };
const T0 = Date.UTC(2018, 2, 1, 12, 0, 0);

/** 32 hex digits of order `n`: distinct orders spread over the partitions by their key. */
const orderId = (n: number): string => n.toString(16).padStart(8, '0').repeat(4);

/** The change as the live stream must send it, written out from the input alert. */
function expectedRow({ change }: PositionedChange): AlertChangeRow {
  const a = change.alert;
  const stages: Record<string, 'approval' | 'handoff' | 'delivery' | null> = {
    approval_overdue: 'approval',
    handoff_overdue: 'handoff',
    delivery_overdue: 'delivery',
    delivered_late: null,
    delivery_at_risk: null,
  };
  return {
    alertId: a.alertId,
    orderId: a.orderId,
    rule: a.rule,
    stage: stages[a.rule] ?? null,
    state: a.state,
    openedAt: new Date(a.openedAt).toISOString(),
    updatedAt: new Date(a.updatedAt).toISOString(),
    deadline: new Date(a.deadline).toISOString(),
    overdueMs: a.overdueMs,
    daysLate: a.daysLate,
    priority: a.priority,
    orderValueCents: a.orderValueCents,
    level: a.level,
    reason: a.reason,
    sequence: a.sequence,
    probability: a.risk?.probability ?? null,
    expectedDeliveryAt: a.risk === undefined || a.risk === null ? null : new Date(a.risk.expectedDeliveryAt).toISOString(),
    riskStage: a.risk?.stage ?? null,
    category: null,
    grade: null,
    customerState: null,
    change: change.kind,
    watermark: new Date(change.watermark).toISOString(),
  };
}

const messageOf = (data: string): LiveMessage => JSON.parse(data) as LiveMessage;
/** The alert changes a client received, as (alert id, sequence) keys, in order. */
const keysOf = (client: SseClient): string[] =>
  client.alerts.map((e) => {
    const m = messageOf(e.data);
    assert.equal(m.type, 'alert');
    return m.type === 'alert' ? `${m.change.alertId}#${m.change.sequence}` : '';
  });
const keyOf = ({ change }: PositionedChange): string => `${change.alert.alertId}#${change.alert.sequence}`;

describe('the live stream over an embedded log', () => {
  const dir = tempDir('orderpulse-live-');
  const read = new FakeReadModel();
  let log: TestLiveLog;
  let server: RunningServer;
  const clients: SseClient[] = [];
  let sequence = 0;
  /** Changes of distinct orders, so that they land on every partition. */
  const changes = (count: number): PositionedChange[] =>
    Array.from({ length: count }, () => {
      sequence++;
      return testChange(orderId(sequence), sequence, T0 + sequence * 60_000, sequence % 3 === 0 ? 'escalated' : 'opened');
    });
  /**
   * Appends one change on every partition and waits until the client has them: by then it has
   * everything appended before (a partition is read in order), so its list can be compared whole.
   */
  const settle = async (client: SseClient): Promise<string[]> => {
    const [topic] = await log.log.describeTopics([ALERTS_TOPIC]);
    const sentinels = changes(topic!.partitions);
    await log.log.append(sentinels.map((c, partition) => ({ ...log.codec.encode(c), partition })));
    const keys = sentinels.map(keyOf);
    await client.until(() => keys.every((k) => keysOf(client).includes(k)));
    return keys;
  };
  const connect = async (headers: Record<string, string> = {}, path = '/api/live'): Promise<SseClient> => {
    const client = await SseClient.open(`${server.url}${path}`, headers);
    clients.push(client);
    return client;
  };

  before(async () => {
    log = await openTestLiveLog(dir.path, { partitions: 3 });
    server = await startServer({ read, live: log.source, port: 0, logger: false, liveTiming: TIMING });
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.close();
    await log.close();
    dir.remove();
  });

  it('a new client gets the changes appended after it joined, each once, as the alert rows, with a cursor', async () => {
    const history = changes(2);
    await log.appendChanges(history);
    const client = await connect();
    assert.equal(client.status, 200);
    assert.match(String(client.headers['content-type']), /^text\/event-stream/);
    const fresh = changes(9);
    const positions = await log.appendChanges(fresh);
    assert.ok(new Set(positions.map((p) => p.partition)).size >= 2, 'the changes are on more than one partition');
    await client.until(() => client.alerts.length >= fresh.length);
    const sentinels = await settle(client);
    assert.deepEqual(keysOf(client).sort(), [...fresh.map(keyOf), ...sentinels].sort(), 'the new changes, each once, none of the history');
    const byKey = new Map(fresh.map((c) => [keyOf(c), expectedRow(c)]));
    for (const event of client.alerts.slice(0, fresh.length)) {
      const message = messageOf(event.data);
      assert.equal(message.type, 'alert');
      if (message.type === 'alert') assert.deepEqual(message.change, byKey.get(`${message.change.alertId}#${message.change.sequence}`));
      assert.match(event.id ?? '', /^0:\d+,1:\d+,2:\d+$/);
    }
    // The last cursor is the end of the topic: every record is behind it.
    const [topic] = await log.log.describeTopics([ALERTS_TOPIC]);
    assert.equal(client.lastEventId, topic!.endOffsets.map((end, p) => `${p}:${end}`).join(','));
    client.close();
  });

  it('a client that comes back with Last-Event-ID gets exactly the changes it missed, then the live ones', async () => {
    const first = await connect();
    const batch = changes(9);
    await log.appendChanges(batch);
    await first.until(() => first.alerts.length === batch.length);
    // It saw four, then went away; five more were appended while it was away.
    const seen = keysOf(first).slice(0, 4);
    const cursor = first.alerts[3]!.id!;
    first.close();
    await first.ended;
    const whileAway = changes(5);
    await log.appendChanges(whileAway);

    const back = await connect({ 'last-event-id': cursor });
    assert.equal(back.status, 200);
    const missed = [...batch.map(keyOf).filter((k) => !seen.includes(k)), ...whileAway.map(keyOf)];
    await back.until(() => back.alerts.length >= missed.length);
    const live = await settle(back);
    assert.deepEqual(keysOf(back).sort(), [...missed, ...live].sort(), 'exactly the missed and the live ones, none twice');
  });

  it('a cursor from before a restart of the server resumes from the log', async () => {
    const client = await connect();
    const before = changes(4);
    await log.appendChanges(before);
    await client.until(() => client.alerts.length === before.length);
    const cursor = client.lastEventId!;
    // Closing the server ends the open stream.
    await server.close();
    await client.ended;
    const whileDown = changes(6);
    await log.appendChanges(whileDown);
    server = await startServer({ read, live: log.source, port: 0, logger: false, liveTiming: TIMING });
    const back = await connect({ 'last-event-id': cursor });
    await back.until(() => back.alerts.length >= whileDown.length);
    const live = await settle(back);
    assert.deepEqual(keysOf(back).sort(), [...whileDown.map(keyOf), ...live].sort());
  });

  it('a record that does not decode is skipped and the stream goes on', async () => {
    const client = await connect();
    await log.log.append([{ topic: ALERTS_TOPIC, key: Buffer.from(orderId(1)), value: Buffer.from('not an alert'), timestamp: T0 }]);
    const after = await settle(client);
    assert.deepEqual(keysOf(client).sort(), [...after].sort());
  });

  it('sends the watermark when it changes, the append rate and heartbeats', async () => {
    await log.log.createTopic({ name: 'orders', partitions: 3 });
    const client = await connect();
    await client.until(() => client.events.some((e) => e.event === 'watermark'));
    const watermarks = (): LiveMessage[] => client.events.filter((e) => e.event === 'watermark').map((e) => messageOf(e.data));
    assert.deepEqual(watermarks()[0], { type: 'watermark', completeUpTo: read.freshnessAnswer.completeUpTo, behindMs: read.freshnessAnswer.behindMs });
    read.freshnessAnswer = { ...read.freshnessAnswer, completeUpTo: '2018-09-01T00:00:00.000Z', behindMs: 40 };
    await client.until(() => watermarks().some((m) => m.type === 'watermark' && m.completeUpTo === '2018-09-01T00:00:00.000Z'));
    assert.deepEqual(watermarks().at(-1), { type: 'watermark', completeUpTo: '2018-09-01T00:00:00.000Z', behindMs: 40 });

    const rates = (): LiveMessage[] => client.events.filter((e) => e.event === 'rates').map((e) => messageOf(e.data));
    await log.log.append(Array.from({ length: 50 }, (_, i) => ({ topic: 'orders', key: Buffer.from(orderId(i)), value: Buffer.from('x'), timestamp: T0 })));
    await client.until(() => rates().some((m) => m.type === 'rates' && m.eventsPerSecond > 0));
    for (const m of rates()) {
      assert.equal(m.type, 'rates');
      if (m.type === 'rates') assert.ok(Number.isFinite(m.eventsPerSecond) && m.eventsPerSecond >= 0 && !Number.isNaN(Date.parse(m.at)));
    }
    await client.until(() => client.comments.includes('heartbeat'));
  });

  it('a Last-Event-ID that is not a cursor is a 400 naming it', async () => {
    for (const bad of ['garbage', '0:12,0:13', '1:-4', '0:1;DROP']) {
      const client = await connect({ 'last-event-id': bad });
      await client.ended;
      assert.equal(client.status, 400, bad);
      assert.equal((JSON.parse(client.body) as { code: string }).code, 'OP_BAD_REQUEST');
      assert.match(client.body, /Last-Event-ID/);
    }
  });
});

describe('the live stream before the stream has created the alerts topic', () => {
  it('a client waiting for the topic gets its first changes from the beginning', async () => {
    const dir = tempDir('orderpulse-live-');
    const log = await openTestLiveLog(dir.path, { createTopic: false });
    const server = await startServer({ read: new FakeReadModel(), live: log.source, port: 0, logger: false, liveTiming: TIMING });
    try {
      const client = await SseClient.open(`${server.url}/api/live`);
      await client.until(() => client.comments.includes('heartbeat'));
      await log.log.createTopic({ name: ALERTS_TOPIC, partitions: 2 });
      const first = [testChange(orderId(1), 1, T0), testChange(orderId(2), 2, T0)];
      await log.appendChanges(first);
      await client.until(() => client.alerts.length === 2);
      assert.deepEqual(keysOf(client).sort(), first.map(keyOf).sort());
      client.close();
    } finally {
      await server.close();
      await log.close();
      dir.remove();
    }
  });
});

describe('the live stream with a token', () => {
  it('takes the token in the query (an EventSource cannot send headers) or in the header', async () => {
    const dir = tempDir('orderpulse-live-');
    const log = await openTestLiveLog(dir.path);
    const token = 'live-token';
    const server = await startServer({ read: new FakeReadModel(), live: log.source, port: 0, logger: false, liveTiming: TIMING, token });
    try {
      const none = await SseClient.open(`${server.url}/api/live`);
      await none.ended;
      assert.equal(none.status, 401);
      assert.equal((JSON.parse(none.body) as { code: string }).code, 'OP_UNAUTHORIZED');
      const wrong = await SseClient.open(`${server.url}/api/live?token=nope`);
      await wrong.ended;
      assert.equal(wrong.status, 401);
      const byQuery = await SseClient.open(`${server.url}/api/live?token=${token}`);
      const byHeader = await SseClient.open(`${server.url}/api/live`, { authorization: `Bearer ${token}` });
      for (const [n, client] of [byQuery, byHeader].entries()) {
        assert.equal(client.status, 200);
        const change = testChange(orderId(70 + n), 70 + n, T0);
        await log.appendChanges([change]);
        await client.until(() => keysOf(client).includes(keyOf(change)));
        client.close();
      }
    } finally {
      await server.close();
      await log.close();
      dir.remove();
    }
  });
});

describe('the live feed', () => {
  const quiet = { level: 'silent', fatal() {}, error() {}, warn() {}, info() {}, debug() {}, trace() {}, silent() {}, child: () => quiet } as unknown as FastifyBaseLogger;
  class Recorder implements LiveSubscriber {
    readonly messages: { message: LiveMessage; id: string | undefined }[] = [];
    ended = false;
    send(message: LiveMessage, id?: string): void {
      this.messages.push({ message, id });
    }
    heartbeat(): void {}
    end(): void {
      this.ended = true;
    }
  }

  it('a client that leaves before it has joined is refused and not kept; close ends the joined ones', async () => {
    const dir = tempDir('orderpulse-live-');
    const log = await openTestLiveLog(dir.path);
    const feed = new LiveFeed({ source: log.source, freshness: () => new FakeReadModel().freshness(), log: quiet });
    try {
      await log.appendChanges([testChange(orderId(1), 1, T0), testChange(orderId(2), 2, T0)]);
      const leaving = new Recorder();
      const joining = feed.subscribe(leaving, parseCursor('0:0,1:0,2:0'));
      feed.unsubscribe(leaving);
      await assert.rejects(joining, /the client left/);
      const staying = new Recorder();
      await feed.subscribe(staying, parseCursor('0:0,1:0,2:0'));
      assert.equal(feed.clients, 1);
      assert.deepEqual(staying.messages.filter((m) => m.message.type === 'alert').length, 2, 'the catch-up from the cursor');
      assert.deepEqual(leaving.messages, []);
      await feed.close();
      assert.equal(staying.ended, true);
      assert.equal(feed.clients, 0);
      await assert.rejects(feed.subscribe(new Recorder(), null), /closing/);
    } finally {
      await feed.close();
      await log.close();
      dir.remove();
    }
  });

  it('reads and writes cursors, refusing what is not one', () => {
    assert.deepEqual(parseCursor('0:120,1:98,2:77'), new Map([[0, 120], [1, 98], [2, 77]]));
    assert.equal(formatCursor(new Map([[2, 77], [0, 120], [1, 98]])), '0:120,1:98,2:77');
    for (const bad of ['', '0:1,', '0:1,0:2', 'a:1', '0:1.5', '0:-1', '0 :1', '99999999:1', '0:99999999999999999']) assert.equal(parseCursor(bad), null, bad);
  });
});
