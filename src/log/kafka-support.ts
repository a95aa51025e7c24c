/** What the Kafka log's parts share: topic metadata, keys, small helpers and how client errors are read. */
import { Base, IS_CONTROL } from '@platformatic/kafka';
import type { Consumer as KafkaClient, RecordsBatch } from '@platformatic/kafka';
import type { LogRecord, RecordHeader } from './types.js';

/** A waiting poll asks the brokers at most this long at a time, then looks at the group again. */
export const MAX_FETCH_WAIT_MS = 200;

export interface TopicMeta {
  readonly name: string;
  /** Kafka's topic id, which Fetch requests name topics by. */
  readonly id: string;
  readonly partitions: number;
  /** The broker leading each partition (-1 while it has none). */
  readonly leaders: readonly number[];
}

export const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export const highWatermarkKey = (topic: TopicMeta, partition: number): string => `${topic.id}\u0000${partition}`;

export const byTopicThenPartition = <T extends { topic: string; partition: number }>(a: T, b: T): number =>
  a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Closes a group client's connections without leaving the group: for a client whose coordinator is
 * gone, where leaving would fail and leave the client open. The group drops the member when its
 * session times out.
 */
export async function closeWithoutLeaving(client: KafkaClient): Promise<void> {
  await Base.prototype.close.call(client).catch(() => undefined);
}

/** The Kafka error names (`TOPIC_ALREADY_EXISTS`, ...) found in a client error and its nested errors. */
export function kafkaErrorIds(error: unknown, into: Set<string> = new Set(), depth = 0): Set<string> {
  if (typeof error !== 'object' || error === null || depth > 5) return into;
  const { apiId, errors, cause } = error as { apiId?: unknown; errors?: unknown; cause?: unknown };
  if (typeof apiId === 'string') into.add(apiId);
  if (Array.isArray(errors)) for (const nested of errors as unknown[]) kafkaErrorIds(nested, into, depth + 1);
  if (cause !== undefined) kafkaErrorIds(cause, into, depth + 1);
  return into;
}

/** True when a client error says a topic does not exist. */
export function isUnknownTopic(error: unknown): boolean {
  const ids = kafkaErrorIds(error);
  if (ids.has('UNKNOWN_TOPIC_OR_PARTITION') || ids.has('UNKNOWN_TOPIC_ID')) return true;
  // The library reports a metadata request for a missing topic as a UserError with this message.
  return error instanceof Error && /^Unknown topic /.test(error.message);
}

/** True when a client error is about reaching a broker rather than the request itself. */
export function isUnreachable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, errors, cause } = error as { code?: unknown; errors?: unknown; cause?: unknown };
  if (code === 'PLT_KFK_NETWORK' || code === 'PLT_KFK_TIMEOUT' || code === 'ECONNREFUSED' || code === 'ECONNRESET') return true;
  if (Array.isArray(errors) && (errors as unknown[]).some(isUnreachable)) return true;
  return cause !== undefined && cause !== error && isUnreachable(cause);
}

/** True when a client error says the broker asked is not (or no longer) the group's coordinator. */
export function coordinatorMoved(error: unknown): boolean {
  const ids = kafkaErrorIds(error);
  return ids.has('NOT_COORDINATOR') || ids.has('COORDINATOR_NOT_AVAILABLE');
}

/** The deepest message of a client error, which names what the broker said. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const ids = [...kafkaErrorIds(error)];
  const nested = (error as { errors?: unknown }).errors;
  const inner = Array.isArray(nested) && nested[0] instanceof Error ? describeError(nested[0]) : undefined;
  const message = inner !== undefined && !inner.includes(error.message) ? `${error.message}: ${inner}` : error.message;
  return ids.length > 0 && !message.includes(ids[0]!) ? `${message} [${ids.join(', ')}]` : message;
}

/**
 * The records of fetched batches from `fromOffset` on, `limit` at most, in offset order, without
 * control records. Only those are turned into LogRecords: the rest of the answer is dropped as it is.
 */
export function decodeBatches(topic: string, partition: number, batches: readonly RecordsBatch[], fromOffset: number, limit: number): LogRecord[] {
  const out: LogRecord[] = [];
  for (const batch of batches) {
    if (out.length >= limit) break;
    if ((batch.attributes & IS_CONTROL) !== 0) continue;
    // Attribute bit 3: the broker stamped the batch (LogAppendTime); every record has its max timestamp.
    const logAppendTime = (batch.attributes & 0b1000) !== 0;
    for (const record of batch.records) {
      const offset = Number(batch.firstOffset) + record.offsetDelta;
      if (offset < fromOffset) continue;
      if (out.length >= limit) break;
      const headers: RecordHeader[] = record.headers.map(([key, value]) => ({
        key: key === null ? '' : key.toString('utf8'),
        value: value ?? new Uint8Array(0),
      }));
      out.push({
        topic,
        partition,
        offset,
        key: record.key,
        value: record.value ?? new Uint8Array(0),
        timestamp: Number(logAppendTime ? batch.maxTimestamp : batch.firstTimestamp + record.timestampDelta),
        headers,
      });
    }
  }
  return out;
}

/** What one fetch brought back for one partition. */
export interface PartitionFetch {
  /** The records of the answer (from the target's offset on and at most its `maxRecords`, when it gives them). */
  readonly records: LogRecord[];
  /** Bytes of the whole batches in the answer, and the records they hold (all of them, kept or not). */
  readonly batchBytes: number;
  readonly batchRecords: number;
  /** The largest batch of the answer, in bytes. */
  readonly largestBatch: number;
  /** The high watermark: the offset after the last record every in-sync replica holds. */
  readonly highWatermark: number;
  /** The broker's error for this partition (e.g. `OFFSET_OUT_OF_RANGE`), or null. */
  readonly error: string | null;
}
