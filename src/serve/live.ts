import type { FastifyBaseLogger } from 'fastify';
import type { EventLog, LogRecord, TopicDescription } from '../log/index.js';
import { isLogError } from '../log/index.js';
import { STAGE_OF_RULE } from '../read/index.js';
import type { AlertChangeRow, Freshness, LiveMessage } from '../read/types.js';
import type { AlertCodec, PositionedChange } from '../stream/index.js';
import { ALERTS_TOPIC } from '../stream/index.js';
import type { Cursor } from './cursor.js';
import { formatCursor } from './cursor.js';

/** Where the live stream reads from: the event log and the codec of its alerts topic. */
export interface LiveSource {
  readonly log: EventLog;
  readonly alerts: Pick<AlertCodec, 'decode'>;
  /** The topics whose appends make the `rates` figure (default: orders and reviews, the marketplace's activity). */
  readonly rateTopics?: readonly string[];
}

/** How often the feed looks at the log, the watermark and the rates, and sends a heartbeat. */
export interface LiveTiming {
  readonly pollMs: number;
  readonly watermarkMs: number;
  readonly ratesMs: number;
  readonly heartbeatMs: number;
}
export const DEFAULT_LIVE_TIMING: LiveTiming = { pollMs: 50, watermarkMs: 1000, ratesMs: 2000, heartbeatMs: 15_000 };
const DEFAULT_RATE_TOPICS = ['orders', 'reviews'] as const;
const FETCH_MAX_RECORDS = 1000;

/** One connected client, as the feed sees it. */
export interface LiveSubscriber {
  /** Sends one message; alert messages carry the client's cursor after it. */
  send(message: LiveMessage, id?: string): void;
  heartbeat(): void;
  /** The server is closing: end the connection. */
  end(): void;
}

interface Member {
  readonly subscriber: LiveSubscriber;
  /** Next offset per partition of this client: it gets a record only at or after it, so never twice. */
  readonly positions: Map<number, number>;
}
interface Joining {
  readonly subscriber: LiveSubscriber;
  readonly cursor: Cursor | null;
  readonly accepted: () => void;
  readonly refused: (error: Error) => void;
}

/** An alert change as the live stream sends it; the log has no category, grade or customer state. */
export function alertChangeRowOf({ change }: PositionedChange): AlertChangeRow {
  const a = change.alert;
  const iso = (ms: number): string => new Date(ms).toISOString();
  return {
    change: change.kind,
    alertId: a.alertId,
    orderId: a.orderId,
    rule: a.rule,
    stage: STAGE_OF_RULE[a.rule],
    state: a.state,
    openedAt: iso(a.openedAt),
    updatedAt: iso(a.updatedAt),
    deadline: iso(a.deadline),
    overdueMs: a.overdueMs,
    daysLate: a.daysLate,
    priority: a.priority,
    orderValueCents: a.orderValueCents,
    level: a.level,
    reason: a.reason,
    sequence: a.sequence,
    probability: a.risk?.probability ?? null,
    expectedDeliveryAt: a.risk === undefined || a.risk === null ? null : iso(a.risk.expectedDeliveryAt),
    riskStage: a.risk?.stage ?? null,
    watermark: iso(change.watermark),
    category: null,
    grade: null,
    customerState: null,
  };
}

/** The topics that exist among `names` (the stream creates the alerts topic when it first runs). */
async function describeIfExists(log: EventLog, names: readonly string[]): Promise<readonly TopicDescription[]> {
  const found: TopicDescription[] = [];
  for (const name of names) {
    try {
      found.push(...(await log.describeTopics([name])));
    } catch (error) {
      if (!(isLogError(error) && error.code === 'OP_LOG_UNKNOWN_TOPIC')) throw error;
    }
  }
  return found;
}

/**
 * Follows the alerts topic on every partition and fans each change out to the connected clients;
 * also samples the watermark and the append rate. One loop does all the log reading, so a joining
 * client's catch-up (from its Last-Event-ID up to where the feed is) and the live records that
 * follow cannot overlap or leave a gap. The feed runs only while someone is connected; a client
 * without a cursor starts where the feed is when it joins: the live end.
 */
export class LiveFeed {
  readonly #source: LiveSource;
  readonly #freshness: () => Promise<Freshness>;
  readonly #timing: LiveTiming;
  readonly #log: FastifyBaseLogger;
  readonly #members = new Set<Member>();
  #joining: Joining[] = [];
  /** Clients gone while they were joining (their catch-up may be under way). */
  readonly #left = new WeakSet<LiveSubscriber>();
  /** The feed's next offset per partition; null while stopped. */
  #positions: Map<number, number> | null = null;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  #timers: NodeJS.Timeout[] = [];
  #lastWatermark: LiveMessage | null = null;
  #lastRates: LiveMessage | null = null;
  #rateSample: { total: number; at: number } | null = null;
  #closed = false;

  constructor(options: { source: LiveSource; freshness: () => Promise<Freshness>; timing?: Partial<LiveTiming>; log: FastifyBaseLogger }) {
    this.#source = options.source;
    this.#freshness = options.freshness;
    this.#timing = { ...DEFAULT_LIVE_TIMING, ...options.timing };
    this.#log = options.log;
  }

  get clients(): number {
    return this.#members.size;
  }

  /**
   * Joins a client. Resolves once its starting point is fixed: from then on every change after it
   * reaches the client. `cursor`: resume after it (from Last-Event-ID); null: from the live end.
   */
  subscribe(subscriber: LiveSubscriber, cursor: Cursor | null): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the server is closing'));
    return new Promise((accepted, refused) => {
      this.#joining.push({ subscriber, cursor, accepted, refused });
      this.#start();
      this.#wake?.();
    });
  }

  unsubscribe(subscriber: LiveSubscriber): void {
    this.#left.add(subscriber);
    for (const member of this.#members) if (member.subscriber === subscriber) this.#members.delete(member);
    for (const j of this.#joining) if (j.subscriber === subscriber) j.refused(new Error('the client left'));
    this.#joining = this.#joining.filter((j) => j.subscriber !== subscriber);
  }

  /** Ends every connection and stops; resolves when the loop has stopped. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const j of this.#joining) j.refused(new Error('the server is closing'));
    this.#joining = [];
    for (const m of this.#members) m.subscriber.end();
    this.#members.clear();
    this.#wake?.();
    await this.#loop;
  }

  #start(): void {
    if (this.#loop !== null) return;
    const t = this.#timing;
    this.#timers = [
      setInterval(() => void this.#sampleWatermark(), t.watermarkMs),
      setInterval(() => void this.#sampleRates(), t.ratesMs),
      setInterval(() => this.#members.forEach((m) => m.subscriber.heartbeat()), t.heartbeatMs),
    ];
    void this.#sampleWatermark();
    void this.#sampleRates();
    this.#loop = this.#run().finally(() => {
      this.#timers.forEach(clearInterval);
      this.#timers = [];
      this.#loop = null;
      this.#positions = null;
      this.#rateSample = null;
      // A client may have joined while the loop was ending.
      if (!this.#closed && this.#joining.length > 0) this.#start();
    });
  }

  async #run(): Promise<void> {
    while (!this.#closed && (this.#members.size > 0 || this.#joining.length > 0)) {
      try {
        await this.#tick();
      } catch (error) {
        // A log that fails now may answer at the next poll; the clients keep their place.
        this.#log.error({ err: error }, 'live feed: reading the alerts topic failed');
      }
      if (this.#closed) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#timing.pollMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  async #tick(): Promise<void> {
    const [topic] = await describeIfExists(this.#source.log, [ALERTS_TOPIC]);
    const beginning = (p: number): number => topic?.beginningOffsets[p] ?? 0;
    if (this.#positions === null) {
      // Started: the live end of each partition (none while the topic does not exist yet).
      this.#positions = new Map((topic?.endOffsets ?? []).map((end, p) => [p, end]));
    }
    const feed = this.#positions;
    // A partition the feed has not seen appeared after it started: all of it is new.
    for (let p = 0; p < (topic?.partitions ?? 0); p++) if (!feed.has(p)) feed.set(p, beginning(p));

    const joining = this.#joining;
    this.#joining = [];
    for (const [i, j] of joining.entries()) {
      if (this.#closed) {
        j.refused(new Error('the server is closing'));
        continue;
      }
      if (this.#left.has(j.subscriber)) continue;
      const member: Member = { subscriber: j.subscriber, positions: new Map(feed) };
      if (j.cursor !== null) {
        // A partition the cursor does not name is read from its beginning; an offset the log no longer holds, from the oldest it holds.
        for (const p of feed.keys()) member.positions.set(p, Math.max(j.cursor.get(p) ?? beginning(p), beginning(p)));
        try {
          await this.#catchUp(member, feed);
        } catch (error) {
          // This client reconnects and tries again; the others wait for the next poll.
          j.refused(error as Error);
          this.#joining.unshift(...joining.slice(i + 1));
          throw error;
        }
      }
      if (this.#closed || this.#left.has(j.subscriber)) {
        j.refused(new Error('the client left or the server is closing'));
        continue;
      }
      this.#members.add(member);
      j.accepted();
      if (this.#lastWatermark !== null) member.subscriber.send(this.#lastWatermark);
      if (this.#lastRates !== null) member.subscriber.send(this.#lastRates);
    }

    for (const [p, from] of feed) {
      const records = await this.#source.log.fetch({ topic: ALERTS_TOPIC, partition: p, offset: from, maxRecords: FETCH_MAX_RECORDS });
      for (const record of records) {
        const message = await this.#decode(record);
        for (const member of this.#members) this.#deliver(member, record, message);
        feed.set(p, record.offset + 1);
      }
    }
  }

  /** Sends a joining client the records between its cursor and the feed's position. */
  async #catchUp(member: Member, feed: ReadonlyMap<number, number>): Promise<void> {
    for (const [p, until] of feed) {
      while ((member.positions.get(p) ?? 0) < until) {
        const from = member.positions.get(p) ?? 0;
        const records = await this.#source.log.fetch({ topic: ALERTS_TOPIC, partition: p, offset: from, maxRecords: Math.min(FETCH_MAX_RECORDS, until - from) });
        if (records.length === 0) break;
        for (const record of records) {
          if (record.offset >= until) break;
          this.#deliver(member, record, await this.#decode(record));
        }
      }
    }
  }

  #deliver(member: Member, record: LogRecord, message: LiveMessage | null): void {
    if (record.offset < (member.positions.get(record.partition) ?? 0)) return;
    member.positions.set(record.partition, record.offset + 1);
    if (message !== null) member.subscriber.send(message, formatCursor(member.positions));
  }

  async #decode(record: LogRecord): Promise<LiveMessage | null> {
    try {
      return { type: 'alert', change: alertChangeRowOf(await this.#source.alerts.decode(record.value, record)) };
    } catch (error) {
      // One undecodable record must not stop the stream; it is skipped and said.
      this.#log.warn({ err: error, partition: record.partition, offset: record.offset }, 'live feed: an alerts record did not decode; skipped');
      return null;
    }
  }

  async #sampleWatermark(): Promise<void> {
    try {
      const f = await this.#freshness();
      const message: LiveMessage = { type: 'watermark', completeUpTo: f.completeUpTo, behindMs: f.behindMs };
      if (JSON.stringify(message) === JSON.stringify(this.#lastWatermark)) return;
      this.#lastWatermark = message;
      this.#members.forEach((m) => m.subscriber.send(message));
    } catch (error) {
      this.#log.error({ err: error }, 'live feed: reading the freshness failed');
    }
  }

  async #sampleRates(): Promise<void> {
    try {
      const topics = this.#source.rateTopics ?? DEFAULT_RATE_TOPICS;
      const described = await describeIfExists(this.#source.log, topics);
      const total = described.reduce((sum, t) => sum + t.endOffsets.reduce((a, b) => a + b, 0), 0);
      const at = Date.now();
      const previous = this.#rateSample;
      this.#rateSample = { total, at };
      if (previous === null || at <= previous.at) return;
      const eventsPerSecond = Math.round(((total - previous.total) * 10_000) / (at - previous.at)) / 10;
      const message: LiveMessage = { type: 'rates', eventsPerSecond, at: new Date(at).toISOString() };
      this.#lastRates = message;
      this.#members.forEach((m) => m.subscriber.send(message));
    } catch (error) {
      this.#log.error({ err: error }, 'live feed: reading the end offsets failed');
    }
  }
}
