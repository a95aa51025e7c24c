import { OrderPulseError } from '../errors.js';

/** Errors of the batch layer, with `OP_BATCH_*` codes. */
export class BatchError extends OrderPulseError {}
