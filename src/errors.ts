/**
 * The base of every error OrderPulse throws. Each room defines its own subclasses with stable
 * `OP_<ROOM>_<REASON>` codes. Fields are enumerable own properties so they survive JSON logging,
 * and `retryable` is decided where the error is thrown: retry loops read only that flag.
 */
export class OrderPulseError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: string,
    message: string,
    options: { details?: Record<string, unknown>; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, retryable: this.retryable, ...this.details };
  }
}

export function isOrderPulseError(value: unknown): value is OrderPulseError {
  return value instanceof OrderPulseError;
}
