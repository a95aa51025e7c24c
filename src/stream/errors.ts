import { OrderPulseError } from '../errors.js';

/** Errors of the speed layer, with `OP_STREAM_*` codes. */
export class StreamError extends OrderPulseError {}
