/** The `--llm-*` options of `orderpulse reviews classify` and `eval`: the optional LLM path. */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import type { LlmStats } from '../../reviews/index.js';
import { LlmCache, LlmClassifier, ReviewsError } from '../../reviews/index.js';
import type { CliIO } from '../output.js';
import { positiveInt } from '../index.js';
import { settingsFor } from './common.js';
import { parsePositiveNumber } from './durations.js';

/** The environment variable holding the endpoint's API key (sent as a bearer token, never printed). */
export const LLM_KEY_ENV = 'ORDERPULSE_LLM_API_KEY';

export interface LlmFlags {
  readonly llmUrl?: string;
  readonly llmModel?: string;
  readonly llmBatch?: number;
  readonly llmConcurrency?: number;
  readonly llmTimeout?: number;
  readonly llmRetries?: number;
  readonly llmCache?: string;
  readonly llmSeed?: number;
}

function parseEndpoint(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError(`--llm-url takes an http:// or https:// URL such as http://localhost:8000/v1, not "${text}".`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError(`--llm-url takes an http:// or https:// URL, not a ${url.protocol} one.`);
  return text;
}

/** A whole number from 0, naming the option on error. */
function wholeNumber(name: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${name} must be a whole number from 0.`);
    return n;
  };
}

/** Adds the `--llm-*` options to a command. */
export function addLlmOptions(command: Command): Command {
  return command
    .addOption(new Option('--llm-url <url>', `classify with an OpenAI-compatible chat-completions endpoint, e.g. http://localhost:8000/v1 (key from env ${LLM_KEY_ENV})`).argParser(parseEndpoint))
    .addOption(new Option('--llm-model <name>', 'the model to ask (needed with --llm-url)'))
    .addOption(new Option('--llm-batch <n>', 'reviews per request at first; halved when an answer comes back cut off').argParser(positiveInt('--llm-batch')).default(20))
    .addOption(new Option('--llm-concurrency <k>', 'requests in flight at most').argParser(positiveInt('--llm-concurrency')).default(4))
    .addOption(new Option('--llm-timeout <seconds>', 'a request unanswered this long is retried').argParser(parsePositiveNumber('--llm-timeout')).default(120))
    .addOption(new Option('--llm-retries <n>', 'retries of a request after a network error, a timeout, a 429 or a 5xx, with exponential backoff from 1 s').argParser(wholeNumber('--llm-retries')).default(4))
    .addOption(new Option('--llm-cache <file>', "the model's answers by model and review id, JSON Lines [default <state>/reviews/llm-cache.jsonl]"))
    .addOption(new Option('--llm-seed <n>', 'seed of the retry backoff jitter [default: random, printed]').argParser(wholeNumber('--llm-seed')));
}

/**
 * The LLM classifier the flags ask for, or null without `--llm-url`. Progress (reviews done of those sent)
 * goes to stderr unless `quiet`.
 */
export function llmClassifierFor(io: CliIO, command: Command, flags: LlmFlags, quiet: boolean): LlmClassifier | null {
  if (flags.llmUrl === undefined) {
    const stray = (['llmModel', 'llmCache', 'llmSeed'] as const).find((k) => flags[k] !== undefined);
    if (stray !== undefined) {
      const name = `--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      throw new ReviewsError('OP_REVIEWS_BAD_LLM_OPTION', `${name} is used with --llm-url; give the endpoint too`, { details: { option: name } });
    }
    return null;
  }
  if (flags.llmModel === undefined || flags.llmModel.trim() === '') {
    throw new ReviewsError('OP_REVIEWS_BAD_LLM_OPTION', '--llm-url needs --llm-model NAME: the model the endpoint is to run', { details: { option: '--llm-model' } });
  }
  const cachePath = flags.llmCache !== undefined ? resolve(io.cwd, flags.llmCache) : join(resolve(io.cwd, settingsFor(command, io).state), 'reviews', 'llm-cache.jsonl');
  const key = io.env[LLM_KEY_ENV];
  return new LlmClassifier({
    url: flags.llmUrl,
    model: flags.llmModel,
    ...(key === undefined || key === '' ? {} : { apiKey: key }),
    batchSize: flags.llmBatch ?? 20,
    concurrency: flags.llmConcurrency ?? 4,
    timeoutMs: (flags.llmTimeout ?? 120) * 1000,
    retries: flags.llmRetries ?? 4,
    ...(flags.llmSeed === undefined ? {} : { seed: flags.llmSeed }),
    cache: new LlmCache(cachePath),
    onProgress: quiet ? undefined : (p) => io.stderr.write(`llm: ${p.done.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')} reviews done (${p.requests} requests)\n`),
  });
}

/** What the LLM run came to, in a sentence or two. */
export function describeLlmRun(model: string, stats: LlmStats): string {
  const fellBack = stats.fellBackEndpoint + stats.fellBackAnswer;
  const lines = [
    `llm ${model}: ${stats.fromModel + stats.fromCache} of ${stats.reviews} reviews answered by the model (${stats.fromCache} from the cache), ` +
      `${fellBack} fell back to the rules (endpoint failed: ${stats.fellBackEndpoint}, answer missing or invalid: ${stats.fellBackAnswer}); ` +
      `${stats.requests} requests, ${stats.retries} retries, ${stats.splits} batches split, last batch size ${stats.finalBatchSize}, backoff seed ${stats.seed}`,
  ];
  if (stats.gaveUp) lines.push('the endpoint failed for several batches in a row: the reviews left were not sent');
  if (stats.lastError !== null) lines.push(`last endpoint error: ${stats.lastError}`);
  return `${lines.join('\n')}\n`;
}
