/**
 * The optional LLM path: reviews classified by any OpenAI-compatible chat-completions endpoint, in batches,
 * a few requests at a time, with retries; whatever the endpoint cannot answer gets the rule classifier's
 * answer, marked as such.
 */
import type { Classification } from './classify.js';
import { classifyReview } from './classify.js';
import type { LlmReview, LlmVerdict } from './llm-answer.js';
import { SYSTEM_PROMPT, readAnswer, userPrompt } from './llm-answer.js';
import type { LlmCache } from './llm-cache.js';

/** Where a review's causes came from: the model (now or from the cache) or, as fallback, the rules. */
export type ClassificationSource = 'llm' | 'rules';

export interface SourcedClassification extends Classification {
  readonly source: ClassificationSource;
}

export interface LlmOptions {
  /** The endpoint: a base such as `http://host:8000/v1` (`/chat/completions` is added) or the full path. */
  readonly url: string;
  readonly model: string;
  /** Sent as `Authorization: Bearer <key>` when given. */
  readonly apiKey?: string;
  /** Reviews per request at first; halved each time an answer comes back cut off or unreadable. Default 20. */
  readonly batchSize?: number;
  /** Requests in flight at most. Default 4. */
  readonly concurrency?: number;
  /** Retries of a request after a network error, a timeout, a 429 or a 5xx. Default 4. */
  readonly retries?: number;
  /** The first backoff; each retry doubles it, with jitter (half to the full amount). Default 1,000 ms. */
  readonly backoffMs?: number;
  /** No backoff, nor Retry-After, waits longer than this. Default 60,000 ms. */
  readonly maxBackoffMs?: number;
  /** A request not answered in this time is abandoned and counts as a failure to retry. Default 120,000 ms. */
  readonly timeoutMs?: number;
  /**
   * After this many batches in a row failed every retry, the endpoint is taken to be down: the reviews not
   * yet sent get the rules' answer without being sent. Default 3.
   */
  readonly giveUpAfter?: number;
  /** Seed of the backoff jitter. */
  readonly seed?: number;
  readonly cache?: LlmCache | null;
  /** Called after each batch with the reviews done so far. */
  readonly onProgress?: (progress: LlmProgress) => void;
}

export interface LlmProgress {
  readonly done: number;
  readonly total: number;
  readonly requests: number;
}

export interface LlmStats {
  readonly reviews: number;
  /** Answered by the model in this run. */
  readonly fromModel: number;
  /** Answered by the model in an earlier run, read from the cache. */
  readonly fromCache: number;
  /** Given the rules' answer because the endpoint failed for their batch after every retry. */
  readonly fellBackEndpoint: number;
  /** Given the rules' answer because the model's entry for them was missing, invalid or duplicated. */
  readonly fellBackAnswer: number;
  readonly requests: number;
  readonly retries: number;
  /** Batches split in two because the answer was cut off or could not be read. */
  readonly splits: number;
  /** The batch size the run ended with. */
  readonly finalBatchSize: number;
  readonly seed: number;
  /** The last failure of the endpoint, as a short message (never holding the key). */
  readonly lastError: string | null;
  /** Whether the endpoint was given up on (`giveUpAfter` batches in a row failed). */
  readonly gaveUp: boolean;
}

/** A small seeded generator (mulberry32): the jitter of a run can be replayed from its seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** The full chat-completions address of `--llm-url`. */
export function completionsUrl(url: string): string {
  const parsed = new URL(url);
  if (!parsed.pathname.endsWith('/chat/completions')) parsed.pathname = `${parsed.pathname.replace(/\/+$/, '')}/chat/completions`;
  return parsed.toString();
}

/** Retry-After as milliseconds: delay-seconds or an HTTP date; null when absent or unreadable. */
function retryAfterMs(header: string | null): number | null {
  if (header === null || header.trim() === '') return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

/** What one request came to. */
type Outcome =
  | { readonly kind: 'answered'; readonly verdicts: Map<string, LlmVerdict> }
  /** The answer was cut off (finish_reason "length") or held no readable JSON: try fewer reviews. */
  | { readonly kind: 'unreadable' }
  | { readonly kind: 'failed' };

/** One try: retry (after `waitMs` at least, when the endpoint said so) or a final outcome. */
type Attempt = { readonly retry: true; readonly waitMs: number | null; readonly error: string } | { readonly retry: false; readonly outcome: Outcome; readonly error?: string };

export class LlmClassifier {
  private readonly endpoint: string;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly timeoutMs: number;
  private readonly giveUpAfter: number;
  readonly seed: number;

  constructor(private readonly options: LlmOptions) {
    this.endpoint = completionsUrl(options.url);
    this.batchSize = options.batchSize ?? 20;
    this.concurrency = options.concurrency ?? 4;
    this.retries = options.retries ?? 4;
    this.backoffMs = options.backoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.giveUpAfter = options.giveUpAfter ?? 3;
    this.seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
    for (const [name, value] of Object.entries({ batchSize: this.batchSize, concurrency: this.concurrency })) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive whole number, not ${value}`);
    }
  }

  /** A message with the key taken out, should an endpoint echo it back in an error. */
  private redacted(message: string): string {
    const key = this.options.apiKey;
    return key === undefined || key === '' ? message : message.split(key).join('<key>');
  }

  /**
   * The causes of every review, in the order given. Cached reviews are not sent; the others go in batches
   * taken from one queue by `concurrency` workers, so at most that many requests are in flight. A batch
   * whose answer is cut off goes back to the front of the queue and every batch from then on is half as
   * large: the size settles where the endpoint's answers fit.
   */
  async classify(reviews: readonly LlmReview[]): Promise<{ classifications: SourcedClassification[]; stats: LlmStats }> {
    const { model, cache } = this.options;
    const random = seededRandom(this.seed);
    const byId = new Map<string, SourcedClassification>();
    const counts = { fromModel: 0, fromCache: 0, fellBackEndpoint: 0, fellBackAnswer: 0, requests: 0, retries: 0, splits: 0 };
    let lastError: string | null = null;
    let size = this.batchSize;
    let failedInARow = 0;
    let gaveUp = false;

    const queue: LlmReview[] = [];
    const queued = new Set<string>();
    for (const review of reviews) {
      if (byId.has(review.reviewId) || queued.has(review.reviewId)) continue;
      const cached = cache?.get(model, review.reviewId);
      if (cached !== undefined) {
        byId.set(review.reviewId, { ...cached, evidence: {}, source: 'llm' });
        counts.fromCache++;
      } else {
        queue.push(review);
        queued.add(review.reviewId);
      }
    }
    const total = queued.size;
    let done = 0;

    const fallBack = (batch: readonly LlmReview[]): void => {
      for (const review of batch) byId.set(review.reviewId, { ...classifyReview(review), source: 'rules' });
    };

    const attempt = async (batch: readonly LlmReview[]): Promise<Attempt> => {
      counts.requests++;
      let response: Response;
      let body: string;
      try {
        response = await fetch(this.endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(this.options.apiKey === undefined ? {} : { authorization: `Bearer ${this.options.apiKey}` }) },
          body: JSON.stringify({
            model,
            temperature: 0,
            messages: [
              { role: 'system', content: SYSTEM_PROMPT },
              { role: 'user', content: userPrompt(batch) },
            ],
          }),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        body = await response.text();
      } catch (error) {
        const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
        return { retry: true, waitMs: null, error: timedOut ? `no answer within ${this.timeoutMs} ms` : `network error: ${error instanceof Error ? error.message : String(error)}` };
      }
      if (response.status === 429 || response.status >= 500) {
        return { retry: true, waitMs: retryAfterMs(response.headers.get('retry-after')), error: `HTTP ${response.status}` };
      }
      if (!response.ok) return { retry: false, outcome: { kind: 'failed' }, error: `HTTP ${response.status}: ${body.slice(0, 200)}` };
      const choice = readChoice(body);
      // A body that is no chat completion at all will not be one for fewer reviews either.
      if (choice === null) return { retry: false, outcome: { kind: 'failed' }, error: `not a chat-completions answer: ${body.slice(0, 200)}` };
      if (choice.finishReason === 'length') return { retry: false, outcome: { kind: 'unreadable' } };
      const verdicts = readAnswer(choice.content, batch);
      return { retry: false, outcome: verdicts === null ? { kind: 'unreadable' } : { kind: 'answered', verdicts } };
    };

    const send = async (batch: readonly LlmReview[]): Promise<Outcome> => {
      for (let tries = 0; ; tries++) {
        const result = await attempt(batch);
        if (result.error !== undefined) lastError = this.redacted(result.error);
        if (!result.retry) return result.outcome;
        if (tries >= this.retries) return { kind: 'failed' };
        counts.retries++;
        const backoff = this.backoffMs * 2 ** tries * (0.5 + random() / 2);
        await sleep(Math.min(this.maxBackoffMs, Math.max(backoff, result.waitMs ?? 0)));
      }
    };

    const worker = async (): Promise<void> => {
      for (let batch = queue.splice(0, size); batch.length > 0; batch = queue.splice(0, size)) {
        const outcome = await send(batch);
        if (outcome.kind === 'unreadable' && batch.length > 1) {
          counts.splits++;
          size = Math.max(1, Math.min(size, Math.ceil(batch.length / 2)));
          queue.unshift(...batch);
          continue;
        }
        failedInARow = outcome.kind === 'failed' ? failedInARow + 1 : 0;
        if (outcome.kind === 'answered') {
          const answered: { reviewId: string; verdict: LlmVerdict }[] = [];
          for (const review of batch) {
            const verdict = outcome.verdicts.get(review.reviewId);
            if (verdict === undefined) {
              fallBack([review]);
              counts.fellBackAnswer++;
            } else {
              byId.set(review.reviewId, { ...verdict, evidence: {}, source: 'llm' });
              answered.push({ reviewId: review.reviewId, verdict });
            }
          }
          counts.fromModel += answered.length;
          cache?.put(model, answered);
        } else {
          // Failed after every retry, or a single review whose answer cannot be read.
          fallBack(batch);
          if (outcome.kind === 'failed') counts.fellBackEndpoint += batch.length;
          else counts.fellBackAnswer += batch.length;
        }
        done += batch.length;
        if (failedInARow >= this.giveUpAfter && queue.length > 0) {
          gaveUp = true;
          const rest = queue.splice(0);
          fallBack(rest);
          counts.fellBackEndpoint += rest.length;
          done += rest.length;
        }
        this.options.onProgress?.({ done, total, requests: counts.requests });
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, worker));

    const classifications = reviews.map((r) => byId.get(r.reviewId) ?? { ...classifyReview(r), source: 'rules' as const });
    return { classifications, stats: { reviews: reviews.length, ...counts, finalBatchSize: size, seed: this.seed, lastError, gaveUp } };
  }
}

/** The first choice of a chat-completions answer, or null when the body is not one. */
function readChoice(body: string): { content: string; finishReason: string | null } | null {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const choices = (value as Record<string, unknown>).choices;
  if (!Array.isArray(choices) || choices.length === 0) return null;
  const choice: unknown = choices[0];
  if (typeof choice !== 'object' || choice === null) return null;
  const { message, finish_reason: finishReason } = choice as Record<string, unknown>;
  if (typeof message !== 'object' || message === null) return null;
  const content = (message as Record<string, unknown>).content;
  if (typeof content !== 'string') return null;
  return { content, finishReason: typeof finishReason === 'string' ? finishReason : null };
}
