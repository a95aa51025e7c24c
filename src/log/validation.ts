/**
 * Argument checks shared by the event-log implementations, so the same bad call fails with the same
 * error code and message whichever log serves it.
 */
import { LogError } from './errors.js';
import type { ConsumerOptions, FetchRequest, ProducerRecord } from './types.js';

/** Most partitions one topic may have, in every implementation. */
export const MAX_PARTITIONS = 10_000;

/** Records a poll or fetch returns at most, unless the caller says. */
export const DEFAULT_MAX_RECORDS = 1000;

/** Kafka's rule for topic names; the embedded log follows it so a name is valid everywhere. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** `Array.isArray` without its narrowing of readonly arrays to `any[]`. */
export function isArray(value: unknown): boolean {
  return Array.isArray(value);
}

export function isValidTopicName(name: unknown): name is string {
  return typeof name === 'string' && TOPIC_NAME.test(name) && name !== '.' && name !== '..';
}

/** Checks a topic spec's name and partition count (OP_LOG_BAD_TOPIC otherwise). */
export function checkTopicSpec(spec: { readonly name?: unknown; readonly partitions?: unknown } | undefined): {
  name: string;
  partitions: number;
} {
  const name = spec?.name;
  if (!isValidTopicName(name)) {
    throw new LogError(
      'OP_LOG_BAD_TOPIC',
      `invalid topic name ${JSON.stringify(name)}: use 1-249 characters from [a-zA-Z0-9._-]`,
      {
        details: { topic: name },
      },
    );
  }
  const partitions = spec?.partitions;
  if (typeof partitions !== 'number' || !Number.isSafeInteger(partitions) || partitions < 1 || partitions > MAX_PARTITIONS) {
    throw new LogError(
      'OP_LOG_BAD_TOPIC',
      `topic "${name}" needs a partition count from 1 to ${MAX_PARTITIONS}, got ${String(partitions)}`,
      { details: { topic: name, partitions } },
    );
  }
  return { name, partitions };
}

/** Checks that `partition` is an integer in `[0, partitions)` of `topic` (OP_LOG_BAD_PARTITION otherwise). */
export function checkPartition(topic: string, partitions: number, partition: unknown): number {
  if (typeof partition !== 'number' || !Number.isInteger(partition) || partition < 0 || partition >= partitions) {
    throw new LogError(
      'OP_LOG_BAD_PARTITION',
      `partition ${String(partition)} is out of range for topic "${topic}" (partitions 0..${partitions - 1})`,
      { details: { topic, partition, partitions } },
    );
  }
  return partition;
}

function checkHeaders(headers: unknown, index: number): void {
  if (!isArray(headers)) {
    throw new LogError('OP_LOG_BAD_RECORD', `record ${index}: headers must be an array`, { details: { index } });
  }
  for (const header of headers as unknown[]) {
    const { key, value } = (header ?? {}) as { key?: unknown; value?: unknown };
    if (typeof key !== 'string' || !(value instanceof Uint8Array)) {
      throw new LogError('OP_LOG_BAD_RECORD', `record ${index}: a header needs a string key and a Uint8Array value`, {
        details: { index },
      });
    }
  }
}

/** Checks record `index` of an append: an object with a key, a value, a timestamp and headers of the right types. */
export function checkRecord(record: unknown, index: number): ProducerRecord {
  if (typeof record !== 'object' || record === null) {
    throw new LogError('OP_LOG_BAD_RECORD', `record ${index} is not an object`, { details: { index } });
  }
  const { key, value, timestamp, headers } = record as Partial<Record<keyof ProducerRecord, unknown>>;
  if (key !== null && !(key instanceof Uint8Array)) {
    throw new LogError('OP_LOG_BAD_RECORD', `record ${index}: key must be a Uint8Array or null`, { details: { index } });
  }
  if (!(value instanceof Uint8Array)) {
    throw new LogError('OP_LOG_BAD_RECORD', `record ${index}: value must be a Uint8Array`, { details: { index } });
  }
  if (!Number.isSafeInteger(timestamp)) {
    throw new LogError('OP_LOG_BAD_RECORD', `record ${index}: timestamp must be an integer (ms since the epoch)`, {
      details: { index, timestamp },
    });
  }
  if (headers !== undefined) checkHeaders(headers, index);
  return record as ProducerRecord;
}

export function checkOffset(offset: unknown, what: string): number {
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw new LogError('OP_LOG_BAD_OFFSET', `${what} must be a non-negative integer, got ${String(offset)}`, {
      details: { offset },
    });
  }
  return offset;
}

/** The list of a `fetchPartitions` call: an array of request objects (each one's fields are checked by the log). */
export function checkFetchRequests(requests: unknown): readonly FetchRequest[] {
  if (!isArray(requests)) throw new LogError('OP_LOG_BAD_REQUEST', `fetchPartitions takes an array of fetch requests, got ${typeof requests}`);
  (requests as readonly unknown[]).forEach((request, index) => {
    if (typeof request !== 'object' || request === null) {
      throw new LogError('OP_LOG_BAD_REQUEST', `fetch request ${index} must be an object with topic, partition and offset, got ${String(request)}`, {
        details: { index },
      });
    }
  });
  return requests as readonly FetchRequest[];
}

export function checkPositiveInt(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new LogError('OP_LOG_BAD_REQUEST', `${what} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

export function checkGroup(group: unknown): string {
  if (typeof group !== 'string' || group.length === 0) {
    throw new LogError('OP_LOG_BAD_REQUEST', 'a consumer group id must be a non-empty string');
  }
  return group;
}

export function checkPollTimeout(timeoutMs: unknown): number {
  if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) {
    throw new LogError('OP_LOG_BAD_REQUEST', `poll timeout must be a non-negative number of ms, got ${String(timeoutMs)}`);
  }
  return timeoutMs;
}

/** Checks a consumer's options; the topics come back without repeats. */
export function checkConsumerOptions(options: ConsumerOptions | undefined): {
  group: string;
  topics: string[];
  startFrom: 'earliest' | 'latest';
  maxRecords: number;
} {
  const group = checkGroup(options?.group);
  if (options === undefined || !isArray(options.topics) || options.topics.length === 0) {
    throw new LogError('OP_LOG_BAD_REQUEST', 'a consumer needs at least one topic');
  }
  const startFrom = options.startFrom ?? 'earliest';
  if (startFrom !== 'earliest' && startFrom !== 'latest') {
    throw new LogError('OP_LOG_BAD_REQUEST', `startFrom must be "earliest" or "latest", got ${String(startFrom)}`);
  }
  const maxRecords = options.maxRecords === undefined ? DEFAULT_MAX_RECORDS : checkPositiveInt(options.maxRecords, 'maxRecords');
  return { group, topics: [...new Set(options.topics)], startFrom, maxRecords };
}
