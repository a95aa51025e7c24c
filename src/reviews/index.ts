/**
 * The reviews room: what low-score reviews complain about, read from their Portuguese text by rules
 * (normalisation, cue phrases per cause, negation), and the measure of those rules against labels.
 */
export type { Cause } from './causes.js';
export { CAUSES, ROOT_CAUSES, isCause } from './causes.js';
export { normalise, tokenise } from './normalise.js';
export type { Classification, ReviewText } from './classify.js';
export { classifyReview, reviewTokens } from './classify.js';
export { BASELINE_KEYWORDS, classifyAllDelay, classifyByKeywords } from './baselines.js';
export type { CauseScore, Evaluation, Judged } from './evaluate.js';
export { evaluate } from './evaluate.js';
export type { ReviewLabel, ReviewLine } from './reader.js';
export { hasText, readLabels, readReviews, reviewsFileIn } from './reader.js';
export type { ReviewsErrorCode } from './errors.js';
export { ReviewsError } from './errors.js';
export type { DelayBucket, DelayShare, LowScoreReview, ReviewCauseRow } from './impact.js';
export { DELAY_BUCKETS, delayShares, lowScoreReviews, reviewCauseRows } from './impact.js';
export type { LlmReview, LlmVerdict } from './llm-answer.js';
export { SYSTEM_PROMPT, readAnswer } from './llm-answer.js';
export { LlmCache } from './llm-cache.js';
export type { ClassificationSource, LlmOptions, LlmProgress, LlmStats, SourcedClassification } from './llm.js';
export { LlmClassifier, completionsUrl } from './llm.js';
