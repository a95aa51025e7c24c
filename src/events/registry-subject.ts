import { EVENTS_ERROR_CODES, EventsError } from './errors.js';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Refuses subject names that no registry should hold: not a string, empty, or with control
 * characters (Confluent refuses those too). Any other text is a subject; the REST client
 * URL-encodes it.
 */
export function assertSubject(subject: unknown): asserts subject is string {
  if (typeof subject !== 'string' || subject.length === 0 || CONTROL_CHARACTERS.test(subject)) {
    throw new EventsError(
      EVENTS_ERROR_CODES.INVALID_SUBJECT,
      `invalid subject ${JSON.stringify(subject)}: a subject is a non-empty name without control characters`,
      { details: { subject } },
    );
  }
}
