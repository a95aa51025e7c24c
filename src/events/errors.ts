import { OrderPulseError } from '../errors.js';

/**
 * The codes the events room throws. The schema registries, the compatibility checker and the wire
 * format use the named ones below; the event model may add its own `OP_EVENTS_*` codes.
 */
export const EVENTS_ERROR_CODES = {
  /** A schema breaks its subject's compatibility level. details: subject, level, messages. */
  INCOMPATIBLE_SCHEMA: 'OP_EVENTS_INCOMPATIBLE_SCHEMA',
  /** No schema has this global id. details: id. */
  UNKNOWN_SCHEMA_ID: 'OP_EVENTS_UNKNOWN_SCHEMA_ID',
  /** The schema text is not JSON or not a valid Avro schema. details: reason (and subject). */
  INVALID_SCHEMA: 'OP_EVENTS_INVALID_SCHEMA',
  /** The subject has no versions. details: subject. */
  UNKNOWN_SUBJECT: 'OP_EVENTS_UNKNOWN_SUBJECT',
  /** The subject has no such version. details: subject, version. */
  UNKNOWN_VERSION: 'OP_EVENTS_UNKNOWN_VERSION',
  /** A subject name the registries refuse (empty, or with control characters). details: subject. */
  INVALID_SUBJECT: 'OP_EVENTS_INVALID_SUBJECT',
  /** Not one of the compatibility levels. details: level. */
  INVALID_COMPATIBILITY_LEVEL: 'OP_EVENTS_INVALID_COMPATIBILITY_LEVEL',
  /** Not the Confluent wire format: too short or not magic byte 0. details: length, magicByte. */
  BAD_WIRE_FORMAT: 'OP_EVENTS_BAD_WIRE_FORMAT',
  /** The Avro body does not decode with the writer's schema, or has trailing bytes. */
  CORRUPT_VALUE: 'OP_EVENTS_CORRUPT_VALUE',
  /** A value does not match the schema it is encoded with. */
  INVALID_VALUE: 'OP_EVENTS_INVALID_VALUE',
  /** The registry cannot be reached, timed out, answered 5xx/429, or its store is busy. Retryable. */
  REGISTRY_UNAVAILABLE: 'OP_EVENTS_REGISTRY_UNAVAILABLE',
  /** The registry refused a request (4xx) for a reason not mapped to a code above. */
  REGISTRY_REQUEST_FAILED: 'OP_EVENTS_REGISTRY_REQUEST_FAILED',
  /** The registry object was used after close(). */
  REGISTRY_CLOSED: 'OP_EVENTS_REGISTRY_CLOSED',
} as const;

export type EventsErrorCode = `OP_EVENTS_${string}`;

export class EventsError extends OrderPulseError {
  declare readonly code: EventsErrorCode;

  constructor(
    code: EventsErrorCode,
    message: string,
    options: { details?: Record<string, unknown>; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(code, message, options);
  }
}

export function isEventsError(value: unknown, code?: EventsErrorCode): value is EventsError {
  return value instanceof EventsError && (code === undefined || value.code === code);
}

/** The message of an unknown thrown value, for error messages and details. */
export function describeCause(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return String(cause);
}

export function incompatibleSchemaError(
  subject: string,
  level: string | null,
  messages: readonly string[],
  where = 'the schema registry',
): EventsError {
  const shown = messages.length > 0 ? `: ${messages.join('; ')}` : '';
  return new EventsError(
    EVENTS_ERROR_CODES.INCOMPATIBLE_SCHEMA,
    `schema refused for subject "${subject}" by ${where}: it breaks compatibility level ${level ?? '(unknown)'}${shown}`,
    { details: { subject, level, messages: [...messages] } },
  );
}

export function unknownSchemaIdError(id: number, where = 'the schema registry'): EventsError {
  return new EventsError(EVENTS_ERROR_CODES.UNKNOWN_SCHEMA_ID, `no schema with id ${id} in ${where}`, {
    details: { id },
  });
}

export function invalidSchemaError(reason: string, subject?: string): EventsError {
  const forSubject = subject === undefined ? '' : ` for subject "${subject}"`;
  return new EventsError(EVENTS_ERROR_CODES.INVALID_SCHEMA, `invalid Avro schema${forSubject}: ${reason}`, {
    details: subject === undefined ? { reason } : { reason, subject },
  });
}

export function unknownSubjectError(subject: string, where = 'the schema registry'): EventsError {
  return new EventsError(EVENTS_ERROR_CODES.UNKNOWN_SUBJECT, `subject "${subject}" has no versions in ${where}`, {
    details: { subject },
  });
}
