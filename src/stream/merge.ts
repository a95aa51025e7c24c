import type { EventCodec, MarketplaceEvent } from '../events/index.js';
import { isEventsError, wireSchemaId } from '../events/index.js';
import type { EventLog, FetchRequest, LogRecord, PartitionRead } from '../log/index.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { StreamError } from './errors.js';

const FETCH_ATTEMPTS = 20;

/**
 * The processor's input: the partitions of its topics merged into one sequence, as Kafka Streams
 * does for a task — each step takes the buffered head with the smallest (event time, topic,
 * partition, offset). A partition with nothing buffered is fetched before the merge goes on; one
 * that has nothing more in the log right now is left out until the next batch.
 *
 * So over a complete log the sequence depends only on the log, never on how it was cut into batches
 * or where a run stopped and resumed: a restart refetches from the offsets the lake recorded and
 * the merge continues exactly as it would have. That is what makes the alerts of a crashed and
 * resumed run equal to those of an uninterrupted one.
 */

/** One input record, decoded (or not: `event` null, `error` says why). */
export interface InputRecord {
  readonly record: LogRecord;
  readonly event: MarketplaceEvent | null;
  /** The record's event time, or its log timestamp when it did not decode. */
  readonly eventTime: number;
  /** The writer schema id of the wire header; -1 when the header is unreadable. */
  readonly schemaId: number;
  readonly error: string | null;
  /**
   * Wall ms the fetch that brought the record answered: where the processor's event-to-alert time
   * starts. A record's timestamp is its event time (years ago, in a replay), not when it arrived.
   */
  readonly fetchedAt: number;
}

interface PartitionCursor {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  /** Next offset to fetch. */
  fetchOffset: number;
  /** Next offset to hand out (the offset after the last record taken). */
  consumedOffset: number;
  buffer: InputRecord[];
  head: number;
  /** Fetched nothing in this round: left out of the merge until `newRound()`. */
  drained: boolean;
  /** The partition's end offset as this round's last read gave it; -1 before a read in this round. */
  endOffset: number;
}

export const NEED_FETCH = Symbol('need-fetch');

export function partitionKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

function before(a: InputRecord, b: InputRecord): boolean {
  if (a.eventTime !== b.eventTime) return a.eventTime < b.eventTime;
  const ra = a.record;
  const rb = b.record;
  if (ra.topic !== rb.topic) return ra.topic < rb.topic;
  if (ra.partition !== rb.partition) return ra.partition < rb.partition;
  return ra.offset < rb.offset;
}

/**
 * The end offsets of the input partitions as the mergers' reads last saw them (each read of the log
 * says its partition's end offset), until `forget()`: the processor shares one among its tasks and
 * forgets at each batch, and reports its lag behind the log from it.
 */
export class EndOffsets {
  readonly #known = new Map<string, number>();

  forget(): void {
    this.#known.clear();
  }

  /** The end offset last read for a partition, without asking the log; null when not known since `forget`. */
  known(topic: string, partition: number): number | null {
    return this.#known.get(partitionKey(topic, partition)) ?? null;
  }

  /** Records the end offset a read of the partition gave. */
  note(topic: string, partition: number, endOffset: number): void {
    this.#known.set(partitionKey(topic, partition), endOffset);
  }
}

export class LogMerger {
  readonly #log: EventLog;
  readonly #codec: EventCodec;
  readonly #cursors: PartitionCursor[];
  readonly #fetchSize: number;
  readonly #ends: EndOffsets;
  readonly #now: () => number;

  constructor(options: {
    readonly log: EventLog;
    readonly codec: EventCodec;
    /** Every partition to read, with the offset to start from. */
    readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly offset: number }[];
    readonly fetchSize?: number;
    /** Shared with other mergers of the same log (default: one of its own). */
    readonly endOffsets?: EndOffsets;
    /** The wall clock that stamps `fetchedAt` (default `Date.now`). */
    readonly now?: () => number;
  }) {
    this.#log = options.log;
    this.#codec = options.codec;
    this.#ends = options.endOffsets ?? new EndOffsets();
    this.#fetchSize = options.fetchSize ?? 2_000;
    this.#now = options.now ?? Date.now;
    this.#cursors = options.partitions.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      key: partitionKey(p.topic, p.partition),
      fetchOffset: p.offset,
      consumedOffset: p.offset,
      buffer: [],
      head: 0,
      drained: false,
      endOffset: -1,
    }));
  }

  /** Lets partitions that had nothing take part again (the log may have grown). */
  newRound(): void {
    for (const c of this.#cursors) {
      c.drained = false;
      c.endOffset = -1;
    }
  }

  /**
   * The next record of the merge; `NEED_FETCH` when a partition must be fetched first (call
   * `fetch()`), null when every partition is drained for this round.
   */
  take(): InputRecord | typeof NEED_FETCH | null {
    let best: PartitionCursor | null = null;
    let bestRecord: InputRecord | null = null;
    for (const c of this.#cursors) {
      if (c.drained) continue;
      const head = c.buffer[c.head];
      if (head === undefined) {
        // Read up to the end the last read saw: nothing more this round, without asking again.
        if (c.fetchOffset >= c.endOffset && c.endOffset >= 0) {
          c.drained = true;
          continue;
        }
        return NEED_FETCH;
      }
      if (bestRecord === null || before(head, bestRecord)) {
        best = c;
        bestRecord = head;
      }
    }
    if (best === null || bestRecord === null) return null;
    best.head++;
    best.consumedOffset = bestRecord.record.offset + 1;
    return bestRecord;
  }

  /**
   * Fetches and decodes the next records of every partition whose buffer is used up, in one read of
   * the log (one request per Kafka broker). A partition can come back empty before its end (a Kafka
   * leader moving, a request that timed out): leaving it out of the merge then would change the
   * order of the events. Each read says the partition's end offset, so an empty one at its end is
   * drained for this round, and one before it is asked again, a few times, before the processor
   * gives up with an error.
   */
  async fetch(): Promise<void> {
    let wanted = this.#wanted();
    for (let attempt = 1; wanted.length > 0; attempt++) {
      const reads = await this.#log.fetchPartitions(wanted.map((c) => this.#request(c)));
      const empty: { readonly cursor: PartitionCursor; readonly end: number }[] = [];
      for (let i = 0; i < wanted.length; i++) {
        const c = wanted[i] as PartitionCursor;
        const read = reads[i] as PartitionRead;
        await this.#accept(c, read);
        if (read.records.length === 0) empty.push({ cursor: c, end: read.endOffset });
      }
      wanted = [];
      for (const { cursor: c, end } of empty) {
        if (c.fetchOffset >= end) {
          c.drained = true;
          continue;
        }
        if (attempt >= FETCH_ATTEMPTS) {
          throw new StreamError(
            'OP_STREAM_FETCH_EMPTY',
            `${c.topic}/${c.partition}: the log holds records up to offset ${end} but returned none from offset ${c.fetchOffset}, ${FETCH_ATTEMPTS} times`,
            { details: { topic: c.topic, partition: c.partition, offset: c.fetchOffset, end }, retryable: true },
          );
        }
        wanted.push(c);
      }
      if (wanted.length > 0) await sleep(50 * attempt);
    }
  }

  /**
   * Reads, for several mergers of one log, every partition each would fetch next, in one read of the
   * log (one request per Kafka broker for all of them) instead of one read per merger. A partition
   * that comes back empty before its end is left for its merger's own `fetch` to ask again.
   */
  static async fetchTogether(mergers: readonly LogMerger[]): Promise<void> {
    const first = mergers[0];
    if (first === undefined) return;
    const log = first.#log;
    const wanted = mergers.flatMap((m) => (m.#log === log ? m.#wanted().map((c) => ({ merger: m, cursor: c })) : []));
    if (wanted.length === 0) return;
    const reads = await log.fetchPartitions(wanted.map(({ merger, cursor }) => merger.#request(cursor)));
    for (let i = 0; i < wanted.length; i++) {
      const { merger, cursor } = wanted[i]!;
      const read = reads[i] as PartitionRead;
      await merger.#accept(cursor, read);
      if (read.records.length === 0 && cursor.fetchOffset >= read.endOffset) cursor.drained = true;
    }
  }

  /** The partitions to read before the merge can go on: taking part, with their buffer used up. */
  #wanted(): PartitionCursor[] {
    return this.#cursors.filter((c) => !c.drained && c.head >= c.buffer.length);
  }

  #request(c: PartitionCursor): FetchRequest {
    return { topic: c.topic, partition: c.partition, offset: c.fetchOffset, maxRecords: this.#fetchSize };
  }

  /** Takes a read of one of the merger's partitions: its end offset, and its records decoded into the buffer. */
  async #accept(c: PartitionCursor, read: PartitionRead): Promise<void> {
    this.#ends.note(c.topic, c.partition, read.endOffset);
    c.endOffset = read.endOffset;
    c.buffer = [];
    c.head = 0;
    const { records } = read;
    if (records.length === 0) return;
    const fetchedAt = this.#now();
    for (const record of records) c.buffer.push(this.#decode(record, fetchedAt) ?? (await this.#decodeFetching(record, fetchedAt)));
    c.fetchOffset = (records[records.length - 1]?.offset ?? c.fetchOffset) + 1;
  }

  /** Each partition's next offset to hand out. */
  consumedPositions(): readonly { readonly topic: string; readonly partition: number; readonly offset: number }[] {
    return this.#cursors.map((c) => ({ topic: c.topic, partition: c.partition, offset: c.consumedOffset }));
  }

  consumedOffsets(): Record<string, number> {
    return Object.fromEntries(this.#cursors.map((c) => [c.key, c.consumedOffset]));
  }

  /**
   * The input record of `record`: decoded at once when its writer schema is known (nearly always:
   * no promise per record), null when the codec must ask the registry first (`#decodeFetching`).
   */
  #decode(record: LogRecord, fetchedAt: number): InputRecord | null {
    const schemaId = wireSchemaId(record.value) ?? -1;
    try {
      const event = this.#codec.decodeKnown(record.value, record);
      return event === undefined ? null : decoded(record, event, schemaId, fetchedAt);
    } catch (error) {
      return undecodable(record, schemaId, error, fetchedAt);
    }
  }

  async #decodeFetching(record: LogRecord, fetchedAt: number): Promise<InputRecord> {
    const schemaId = wireSchemaId(record.value) ?? -1;
    try {
      return decoded(record, await this.#codec.decode(record.value, record), schemaId, fetchedAt);
    } catch (error) {
      return undecodable(record, schemaId, error, fetchedAt);
    }
  }
}

function decoded(record: LogRecord, event: MarketplaceEvent, schemaId: number, fetchedAt: number): InputRecord {
  return { record, event, eventTime: event.eventTime, schemaId, error: null, fetchedAt };
}

/**
 * A record whose value cannot be read is the record's fault: it is set aside with the reason. A
 * registry that cannot be reached is not, and stops the batch (it is retried as a whole): that
 * error, and any other, is thrown again.
 */
function undecodable(record: LogRecord, schemaId: number, error: unknown, fetchedAt: number): InputRecord {
  if (!isEventsError(error) || error.retryable || error.code === 'OP_EVENTS_REGISTRY_UNAVAILABLE') throw error;
  return { record, event: null, eventTime: record.timestamp, schemaId, error: error.message, fetchedAt };
}
