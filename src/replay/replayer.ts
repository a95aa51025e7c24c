import { channel } from 'node:diagnostics_channel';
import { createHash } from 'node:crypto';
import type { EventCodec, MarketplaceEvent, TopicName } from '../events/index.js';
import { TOPIC_NAMES, TOPIC_OF, eventKey } from '../events/index.js';
import type { EventLog, ProducerRecord } from '../log/index.js';
import { partitionFor } from '../log/index.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { ReplayError } from './errors.js';
import type { Pacing } from './pacing.js';
import { Schedule } from './pacing.js';

/** Each append call of the replay (one batch), published for whoever listens (the metrics room). */
export const appendChannel = channel('orderpulse:replay:append');

export interface ReplayAppendEvent {
  readonly eventsByTopic: Readonly<Record<string, number>>;
  readonly seconds: number;
  /** How far (wall seconds) the replay is behind the pace asked for; 0 unpaced. */
  readonly lagSeconds: number;
}

export const DEFAULT_PARTITIONS = 6;
export const DEFAULT_BATCH_SIZE = 5_000;

export interface ReplayOptions {
  readonly log: EventLog;
  readonly codec: EventCodec;
  /** The dataset's whole event sequence, in event-time order (see `olistEvents`). */
  readonly events: readonly MarketplaceEvent[];
  readonly pacing: Pacing;
  /** Replay events at or after this instant (reference data from before it is sent first). */
  readonly from?: number;
  /** Replay events before this instant. */
  readonly until?: number;
  /** Records per append at most. */
  readonly batchSize?: number;
  /** Partitions of each topic when the replay creates it. */
  readonly partitions?: number;
  readonly clock?: Clock;
  /** Stops the replay after the batch in flight; the log stays consistent and resumable. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: ReplayProgress) => void;
}

export interface ReplayProgress {
  /** Events of this replay's window. */
  readonly total: number;
  /** Of those, appended by this run. */
  readonly appended: number;
  /** Of those, already in the log from an earlier run. */
  readonly alreadyInLog: number;
  /** Event time of the newest appended event: the simulated clock. */
  readonly simulatedTime: number | null;
  readonly elapsedMs: number;
  readonly eventsPerSecond: number;
}

export interface ReplaySummary extends ReplayProgress {
  /** A fingerprint of the event sequence: the same dataset always gives the same one. */
  readonly dataset: string;
  readonly completed: boolean;
  readonly byTopic: Readonly<Record<TopicName, number>>;
  readonly byType: Readonly<Record<string, number>>;
  readonly firstEventTime: number | null;
  readonly lastEventTime: number | null;
}

/** A short fingerprint of an event sequence: the same dataset always gives the same one. */
export function datasetFingerprint(events: readonly MarketplaceEvent[]): string {
  const hash = createHash('sha256');
  // Ids go to the hash a thousand at a time: one update per id costs more than the hashing.
  for (let i = 0; i < events.length; i += 1000) {
    hash.update(
      events
        .slice(i, i + 1000)
        .map((e) => e.eventId)
        .join(''),
    );
  }
  return hash.digest('hex').slice(0, 16);
}

/** Reference data (the latest state of each entity) is what a replay from a date needs first. */
function isReferenceData(event: MarketplaceEvent): boolean {
  return event.type === 'ProductUpserted' || event.type === 'SellerUpserted' || event.type === 'CustomerUpserted';
}

const textEncoder = new TextEncoder();

interface ResumePoint {
  /** Highest position in the event sequence already in each partition, by `topic:partition`. */
  readonly maxSequence: ReadonlyMap<string, number>;
}

/**
 * What the log already holds of this event sequence. Within a partition records keep append order,
 * and the replay appends in sequence order, so the last record of each partition says how far that
 * partition got: its event id gives its position in the sequence. Skipping, per partition, every
 * event at or below that position makes a resumed replay write exactly what one uninterrupted
 * replay writes, even when a crash left some partitions further ahead than others. A last record
 * whose event is not in this sequence means the log holds another dataset: that is refused.
 */
async function findResumePoint(
  log: EventLog,
  codec: EventCodec,
  events: readonly MarketplaceEvent[],
  dataset: string,
): Promise<ResumePoint> {
  const maxSequence = new Map<string, number>();
  let positions: Map<string, number> | null = null;
  for (const topic of await log.describeTopics(TOPIC_NAMES)) {
    for (let partition = 0; partition < topic.partitions; partition++) {
      const end = topic.endOffsets[partition] ?? 0;
      const begin = topic.beginningOffsets[partition] ?? 0;
      if (end <= begin) continue;
      const [last] = await log.fetch({ topic: topic.name, partition, offset: end - 1, maxRecords: 1 });
      if (last === undefined) continue;
      const event = await codec.decode(last.value, last);
      positions ??= new Map(events.map((e, i) => [e.eventId, i]));
      const seq = positions.get(event.eventId);
      if (seq === undefined) {
        throw new ReplayError(
          'OP_REPLAY_OTHER_DATASET',
          `topic ${topic.name} partition ${partition} ends with event ${event.eventId} (${event.type}), which is not in this dataset (${dataset}); replay into a fresh state directory or fresh topics`,
          { details: { topic: topic.name, partition, offset: end - 1, eventId: event.eventId, dataset } },
        );
      }
      maxSequence.set(`${topic.name}:${partition}`, seq);
    }
  }
  return { maxSequence };
}

/**
 * Replays a dataset's events into the event log in event-time order, paced, in batches. Stop it
 * (abort signal, Ctrl-C, even kill -9) and run it again with the same dataset: it continues where
 * it stopped and the log ends up holding exactly what an uninterrupted replay writes.
 */
export async function replay(options: ReplayOptions): Promise<ReplaySummary> {
  const { log, codec, events } = options;
  const clock = options.clock ?? systemClock;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const partitions = options.partitions ?? DEFAULT_PARTITIONS;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  const from = options.from ?? -Infinity;
  const until = options.until ?? Infinity;
  const dataset = datasetFingerprint(events);

  for (const topic of TOPIC_NAMES) await log.createTopic({ name: topic, partitions });
  const partitionCount = new Map((await log.describeTopics(TOPIC_NAMES)).map((t) => [t.name, t.partitions]));
  const resume = await findResumePoint(log, codec, events, dataset);

  const selected: number[] = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as MarketplaceEvent;
    if (e.eventTime >= until) break;
    if (e.eventTime >= from || isReferenceData(e)) selected.push(i);
  }

  const byTopic = Object.fromEntries(TOPIC_NAMES.map((t) => [t, 0])) as Record<TopicName, number>;
  const byType: Record<string, number> = {};
  const schedule = new Schedule(options.pacing);

  const start = clock.now();
  let appended = 0;
  let alreadyInLog = 0;
  let simulatedTime: number | null = null;
  let firstEventTime: number | null = null;
  let batch: ProducerRecord[] = [];
  let batchTypes: MarketplaceEvent[] = [];

  const progress = (): ReplayProgress => {
    const elapsedMs = clock.now() - start;
    return {
      total: selected.length,
      appended,
      alreadyInLog,
      simulatedTime,
      elapsedMs,
      eventsPerSecond: elapsedMs > 0 ? (appended * 1000) / elapsedMs : 0,
    };
  };

  // How far behind its pace the replay is (wall ms), as of the newest event taken: 0 unpaced.
  let behindMs = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const appending = performance.now();
    await log.append(batch);
    if (appendChannel.hasSubscribers) {
      const topics: Record<string, number> = {};
      for (const e of batchTypes) topics[TOPIC_OF[e.type]] = (topics[TOPIC_OF[e.type]] ?? 0) + 1;
      appendChannel.publish({ eventsByTopic: topics, seconds: (performance.now() - appending) / 1000, lagSeconds: behindMs / 1000 } satisfies ReplayAppendEvent);
    }
    for (const e of batchTypes) {
      byTopic[TOPIC_OF[e.type]]++;
      byType[e.type] = (byType[e.type] ?? 0) + 1;
    }
    appended += batch.length;
    const last = batchTypes[batchTypes.length - 1];
    if (last !== undefined) simulatedTime = last.eventTime;
    firstEventTime ??= batchTypes[0]?.eventTime ?? null;
    batch = [];
    batchTypes = [];
    options.onProgress?.(progress());
  };

  const needsSkipCheck = resume.maxSequence.size > 0;
  const paced = options.pacing.mode !== 'max';
  const stopped = (): boolean => options.signal?.aborted === true;
  for (const seq of selected) {
    if (stopped()) break;
    const event = events[seq] as MarketplaceEvent;
    if (needsSkipCheck) {
      const topic = TOPIC_OF[event.type];
      const partition = partitionFor(textEncoder.encode(eventKey(event)), partitionCount.get(topic) ?? partitions);
      const done = resume.maxSequence.get(`${topic}:${partition}`);
      if (done !== undefined && seq <= done) {
        alreadyInLog++;
        continue;
      }
    }
    if (paced) {
      const due = schedule.next(event.eventTime);
      behindMs = Math.max(0, clock.now() - (start + due));
      // Sleep only for a millisecond or more; closer events join the batch in hand.
      if (start + due - clock.now() >= 1) {
        await flush();
        await clock.sleep(start + due - clock.now(), options.signal);
        if (stopped()) break;
      }
    }
    batch.push(codec.encode(event));
    batchTypes.push(event);
    if (batch.length >= batchSize) await flush();
  }
  await flush();

  const done = progress();
  return {
    ...done,
    dataset,
    completed: done.appended + done.alreadyInLog === selected.length,
    byTopic,
    byType,
    firstEventTime,
    lastEventTime: simulatedTime,
  };
}
