import { OrderPulseError } from '../errors.js';

/**
 * A setting that is missing, malformed or inconsistent, with `OP_CONFIG_*` codes. The codes predate
 * this room and are kept: scripts and tests match on them, and the CLI maps this class to its usage
 * exit code.
 */
export class ConfigError extends OrderPulseError {}
