import { OrderPulseError } from '../errors.js';

/** The codes of the API's error answers (`{ code, message }`) and of the server's own failures. */
export const SERVE_ERROR_CODES = {
  badRequest: 'OP_BAD_REQUEST',
  unauthorized: 'OP_UNAUTHORIZED',
  notFound: 'OP_NOT_FOUND',
  payloadTooLarge: 'OP_PAYLOAD_TOO_LARGE',
  rateLimited: 'OP_RATE_LIMITED',
  internal: 'OP_INTERNAL',
  tokenRequired: 'OP_SERVE_TOKEN_REQUIRED',
} as const;

/** Status of each code the API answers with. */
export const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  OP_BAD_REQUEST: 400,
  OP_UNAUTHORIZED: 401,
  OP_NOT_FOUND: 404,
  OP_PAYLOAD_TOO_LARGE: 413,
  OP_RATE_LIMITED: 429,
  OP_INTERNAL: 500,
};

/**
 * An error whose message is meant for the client (a bad parameter, an unknown order): the error
 * handler answers it with its status and message as they are. Any other error is a 500 with a
 * generic message.
 */
export class ServeError extends OrderPulseError {
  readonly statusCode: number;

  constructor(code: string, message: string, options: { details?: Record<string, unknown>; statusCode?: number } = {}) {
    super(code, message, options.details === undefined ? {} : { details: options.details });
    this.statusCode = options.statusCode ?? STATUS_OF_CODE[code] ?? 500;
  }
}

export function badRequest(message: string): ServeError {
  return new ServeError(SERVE_ERROR_CODES.badRequest, message);
}

export function notFound(message: string): ServeError {
  return new ServeError(SERVE_ERROR_CODES.notFound, message);
}
