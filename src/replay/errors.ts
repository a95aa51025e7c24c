import { OrderPulseError } from '../errors.js';

/** Codes: OP_REPLAY_OTHER_DATASET (the log holds another dataset's replay), OP_REPLAY_BAD_OPTION. */
export class ReplayError extends OrderPulseError {}
