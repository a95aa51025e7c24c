import { channel } from 'node:diagnostics_channel';
import type { FetchRequest, LogRecord, PartitionRead, ProducerRecord, RecordPosition } from './types.js';

/** Records appended to the log (any writer), published per append call for whoever listens. */
export const logAppendChannel = channel('orderpulse:log:append');
/** Each fetch call on the log, with the records it returned (a `fetchPartitions` call: one per partition read). */
export const logFetchChannel = channel('orderpulse:log:fetch');

export interface LogAppendEvent {
  readonly recordsByTopic: Readonly<Record<string, number>>;
}

export interface LogFetchEvent {
  readonly topic: string;
  readonly records: number;
  readonly seconds: number;
}

/** Publishes a landed append (nothing when no one listens, or when it failed). */
export async function observedAppend(records: readonly ProducerRecord[], appending: Promise<readonly RecordPosition[]>): Promise<readonly RecordPosition[]> {
  const positions = await appending;
  if (logAppendChannel.hasSubscribers) {
    const byTopic: Record<string, number> = {};
    for (const r of records) byTopic[r.topic] = (byTopic[r.topic] ?? 0) + 1;
    logAppendChannel.publish({ recordsByTopic: byTopic } satisfies LogAppendEvent);
  }
  return positions;
}

/** Publishes a fetch's records and duration (nothing when no one listens, or when it failed). */
export async function observedFetch(request: FetchRequest, started: number, fetching: Promise<readonly LogRecord[]>): Promise<readonly LogRecord[]> {
  const records = await fetching;
  if (logFetchChannel.hasSubscribers) {
    logFetchChannel.publish({ topic: String(request.topic), records: records.length, seconds: (performance.now() - started) / 1000 } satisfies LogFetchEvent);
  }
  return records;
}

/** Publishes each partition read of a `fetchPartitions` call, with the call's duration. */
export async function observedPartitionReads(started: number, fetching: Promise<readonly PartitionRead[]>): Promise<readonly PartitionRead[]> {
  const reads = await fetching;
  if (logFetchChannel.hasSubscribers) {
    const seconds = (performance.now() - started) / 1000;
    for (const read of reads) logFetchChannel.publish({ topic: read.topic, records: read.records.length, seconds } satisfies LogFetchEvent);
  }
  return reads;
}
