import { OrderPulseError } from '../errors.js';

/**
 * Why review input was refused.
 *
 * - `OP_REVIEWS_NO_FILE`: the reviews file or the labels file does not exist.
 * - `OP_REVIEWS_BAD_HEADER`: the reviews file lacks a column the reader needs.
 * - `OP_REVIEWS_BAD_LABEL`: a labels line is not a valid label (file and line in the message and details).
 * - `OP_REVIEWS_UNKNOWN_REVIEW`: a labelled review id is not in the reviews file.
 * - `OP_REVIEWS_CONFLICTING_INPUT`: two inputs were given where one is read (`--reviews` and `--data`).
 * - `OP_REVIEWS_BAD_LLM_OPTION`: the LLM options do not go together (a model without an endpoint, or the reverse).
 */
export type ReviewsErrorCode =
  | 'OP_REVIEWS_NO_FILE'
  | 'OP_REVIEWS_BAD_HEADER'
  | 'OP_REVIEWS_BAD_LABEL'
  | 'OP_REVIEWS_UNKNOWN_REVIEW'
  | 'OP_REVIEWS_CONFLICTING_INPUT'
  | 'OP_REVIEWS_BAD_LLM_OPTION';

/** Bad review input: never retryable, the file must be fixed. */
export class ReviewsError extends OrderPulseError {
  declare readonly code: ReviewsErrorCode;

  constructor(code: ReviewsErrorCode, message: string, options: { details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(code, message, { ...options, retryable: false });
  }
}
