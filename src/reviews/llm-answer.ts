/**
 * What is said to a chat-completions model and how its answer is read. The answer is checked strictly: a
 * review whose entry is missing, duplicated or names a cause outside the closed set is not taken from the
 * model (the caller gives it the rule classifier's answer instead).
 */
import type { Cause } from './causes.js';
import { CAUSES, isCause } from './causes.js';

/** One review as it is sent to the model. */
export interface LlmReview {
  readonly reviewId: string;
  readonly title: string;
  readonly message: string;
}

/** A model's verdict on one review, once checked. */
export interface LlmVerdict {
  readonly causes: readonly Cause[];
  readonly primary: Cause;
}

export const SYSTEM_PROMPT = [
  'You read low-score customer reviews of a Brazilian marketplace, written in Portuguese (often informal, misspelt, unaccented or in capitals).',
  'For each review give every cause the customer complains of, from this closed set only:',
  '- delay: late, not arrived yet, never arrived (lost, sent back). "Chegou antes do prazo" (arrived before the date) is NOT a delay.',
  '- wrong_or_missing: the wrong product, colour, size or model came; part of the order is missing.',
  '- product_quality: defective, broken, does not work, poor quality, not as described.',
  '- service: no answer from the seller, refund, exchange, return or cancellation trouble, billing and invoices.',
  '- other: no reason stated (use it alone).',
  'Also give the primary cause, one of the causes you gave: the problem with the goods (delay, wrong_or_missing, product_quality) the customer mentions first; service only when no such problem is stated.',
  'Answer with JSON only, no prose, exactly in this shape:',
  '{"reviews": [{"id": "<the review id>", "causes": ["delay", "service"], "primary": "delay"}]}',
  'with one entry for every review id you were given, each id once.',
].join('\n');

/** The user message: the reviews of one batch as JSON. */
export function userPrompt(batch: readonly LlmReview[]): string {
  return JSON.stringify({ reviews: batch.map((r) => ({ id: r.reviewId, title: r.title, message: r.message })) });
}

/**
 * The JSON object in a model's text: models often wrap it in a ``` fence or a sentence, so the text from the
 * first `{` to the last `}` is parsed. Null when there is no object to parse.
 */
function jsonObjectIn(text: string): Record<string, unknown> | null {
  const from = text.indexOf('{');
  const to = text.lastIndexOf('}');
  if (from < 0 || to < from) return null;
  try {
    const value: unknown = JSON.parse(text.slice(from, to + 1));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A checked entry, or null when it is not a valid verdict. */
function verdictOf(entry: Record<string, unknown>): LlmVerdict | null {
  const { causes, primary } = entry;
  if (!Array.isArray(causes) || causes.length === 0) return null;
  if (!(causes as unknown[]).every(isCause)) return null;
  if (!isCause(primary) || !(causes as Cause[]).includes(primary)) return null;
  const found = new Set(causes as Cause[]);
  return { causes: CAUSES.filter((c) => found.has(c)), primary };
}

/**
 * The verdicts in a model's answer text, by review id of the batch. `null` when the answer as a whole cannot
 * be read (no JSON object, no `reviews` array): the batch is then retried smaller. A review absent from the
 * map had no valid entry (missing, invalid, or given twice).
 */
export function readAnswer(text: string, batch: readonly LlmReview[]): Map<string, LlmVerdict> | null {
  const object = jsonObjectIn(text);
  if (object === null || !Array.isArray(object.reviews)) return null;
  const asked = new Set(batch.map((r) => r.reviewId));
  const verdicts = new Map<string, LlmVerdict | null>();
  for (const entry of object.reviews as unknown[]) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) continue;
    const record = entry as Record<string, unknown>;
    const id = record.id;
    if (typeof id !== 'string' || !asked.has(id)) continue;
    // An id answered twice is answered by neither entry: the model was confused about that review.
    verdicts.set(id, verdicts.has(id) ? null : verdictOf(record));
  }
  const valid = new Map<string, LlmVerdict>();
  for (const [id, verdict] of verdicts) if (verdict !== null) valid.set(id, verdict);
  return valid;
}
