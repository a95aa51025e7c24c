import { OrderPulseError } from '../errors.js';

/**
 * Why a load was refused as a whole. A bad row is never an error: it goes to the quarantine.
 *
 * - `OP_DATA_NO_DIRECTORY`: the directory does not exist or is not a directory.
 * - `OP_DATA_MISSING_FILE`: a required Kaggle file is absent (all missing names are listed).
 * - `OP_DATA_AMBIGUOUS_FILE`: both `<name>.csv` and `<name>.csv.gz` are present, so which one to load is unclear.
 * - `OP_DATA_BAD_HEADER`: a file's header is not exactly the expected one (missing, renamed or reordered column).
 * - `OP_DATA_UNREADABLE_FILE`: a file cannot be read or decompressed (permissions, corrupt or truncated gzip).
 */
export type DataErrorCode =
  | 'OP_DATA_NO_DIRECTORY'
  | 'OP_DATA_MISSING_FILE'
  | 'OP_DATA_AMBIGUOUS_FILE'
  | 'OP_DATA_BAD_HEADER'
  | 'OP_DATA_UNREADABLE_FILE';

/** A fatal problem with the input data as a whole. Never retryable: the files must be fixed. */
export class DataError extends OrderPulseError {
  declare readonly code: DataErrorCode;

  constructor(code: DataErrorCode, message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(code, message, { ...options, retryable: false });
  }
}
