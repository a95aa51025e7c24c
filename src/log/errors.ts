import { OrderPulseError } from '../errors.js';

/** Stable codes of the errors the event log throws. */
export const LOG_ERROR_CODES = [
  /** A topic named in a call does not exist. */
  'OP_LOG_UNKNOWN_TOPIC',
  /** A partition number is not an integer in `[0, partitions)` for its topic. */
  'OP_LOG_BAD_PARTITION',
  /** `createTopic` for a name that exists with a different partition count. */
  'OP_LOG_TOPIC_EXISTS',
  /** A topic spec is invalid (name or partition count). */
  'OP_LOG_BAD_TOPIC',
  /** An offset is negative or not an integer. */
  'OP_LOG_BAD_OFFSET',
  /** A record (or request) is malformed: value not bytes, timestamp not an integer, and so on. */
  'OP_LOG_BAD_RECORD',
  /** A call's arguments are invalid (group id, maxRecords, timeout, ...). */
  'OP_LOG_BAD_REQUEST',
  /** The log was closed. */
  'OP_LOG_CLOSED',
  /** The consumer was closed. */
  'OP_LOG_CONSUMER_CLOSED',
  /**
   * The group has an active member that holds what was asked for: the embedded log allows one member
   * per group; Kafka refuses a commit from outside a group that has members.
   */
  'OP_LOG_GROUP_ACTIVE',
  /** A consumer was asked about a partition it is not assigned. */
  'OP_LOG_NOT_ASSIGNED',
  /** Another process held the store's write lock for longer than the busy timeout. Retryable. */
  'OP_LOG_BUSY',
  /** The store failed in some other way (disk full, corrupt file, a broker refusing a write, ...). */
  'OP_LOG_STORAGE',
  /** The Kafka cluster (or the broker leading a partition) could not be reached or did not answer in time. Retryable. */
  'OP_LOG_UNAVAILABLE',
  /**
   * The consumer's group rebalanced since it last polled, so Kafka refused its commit: poll again (the
   * member rejoins) and commit what it reads then. Retryable.
   */
  'OP_LOG_REBALANCED',
] as const;
export type LogErrorCode = (typeof LOG_ERROR_CODES)[number];

export class LogError extends OrderPulseError {
  declare readonly code: LogErrorCode;

  constructor(
    code: LogErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(code, message, options);
  }
}

export function isLogError(value: unknown, code?: LogErrorCode): value is LogError {
  return value instanceof LogError && (code === undefined || value.code === code);
}
