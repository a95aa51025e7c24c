import { OrderPulseError } from '../errors.js';

/** Errors of the read model, with `OP_READ_*` codes (a bad query argument: `OP_READ_BAD_ARGUMENT`). */
export class ReadError extends OrderPulseError {}
