import { OrderPulseError } from '../errors.js';

/**
 * Errors of the lake room. Codes:
 * - OP_LAKE_FILE_NOT_FOUND, OP_LAKE_FILE_EXISTS, OP_LAKE_IO (retryable when the store may recover)
 * - OP_LAKE_CORRUPT_FILE: a metadata, manifest list or manifest file that does not parse; names the file
 * - OP_LAKE_NO_SUCH_TABLE, OP_LAKE_TABLE_EXISTS, OP_LAKE_NO_SUCH_NAMESPACE
 * - OP_LAKE_COMMIT_CONFLICT (retryable): the table moved on since the commit's base
 * - OP_LAKE_COMMIT_FAILED: the commit did not land; its new files may be cleaned up
 * - OP_LAKE_COMMIT_STATE_UNKNOWN: it may or may not have landed; nothing is cleaned up
 * - OP_LAKE_PRECONDITION_FAILED: a commit's expected summary property (`expect`) had changed; nothing was committed
 * - OP_LAKE_SCHEMA_MISMATCH: rows that do not fit the table's schema; names the row and column
 * - OP_LAKE_NO_SUCH_SNAPSHOT, OP_LAKE_INVALID_ARGUMENT
 * - OP_LAKE_NOT_INCREMENTAL: an incremental read over snapshots that removed rows; read in full
 * - OP_LAKE_WRITER_FAILED: the Parquet writer thread stopped (crashed, out of memory) before the file was written
 * - OP_LAKE_UNSUPPORTED: the table holds something OrderPulse cannot rewrite faithfully; it was left as it is
 */
export class LakeError extends OrderPulseError {}
