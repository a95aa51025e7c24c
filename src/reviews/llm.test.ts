import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ChatEndpoint, EndpointCall, EndpointReply } from '../testing/chat-endpoint.js';
import { endpointRule, startChatEndpoint } from '../testing/chat-endpoint.js';
import { tempDir } from '../testing/fixtures.js';
import type { LlmOptions, LlmReview } from './index.js';
import { LlmCache, LlmClassifier, classifyReview, completionsUrl, readAnswer } from './index.js';

/** The seed of the backoff jitter in every test here. */
const SEED = 20_180_901;
console.log(`backoff jitter seed ${SEED}`);

const dir = tempDir('orderpulse-reviews-llm-');
after(() => dir.remove());

const TEXTS = ['Passou do prazo e nada', 'Veio quebrado', 'Não gostei', 'PRAZO ESTOURADO, produto quebrado'];
/** `n` reviews cycling through TEXTS, ids r001, r002, … */
const reviewsOf = (n: number): LlmReview[] =>
  Array.from({ length: n }, (_, i) => ({ reviewId: `r${String(i + 1).padStart(3, '0')}`, title: '', message: TEXTS[i % TEXTS.length] as string }));

/** Runs the classifier against a fresh endpoint double; small backoffs so a test waits little. */
async function withEndpoint(
  reply: ((call: EndpointCall) => EndpointReply | undefined) | undefined,
  body: (endpoint: ChatEndpoint, options: LlmOptions) => Promise<void>,
): Promise<void> {
  const endpoint = await startChatEndpoint(reply);
  try {
    await body(endpoint, { url: endpoint.url, model: 'test-model', backoffMs: 1, maxBackoffMs: 5_000, seed: SEED, concurrency: 1 });
  } finally {
    await endpoint.close();
  }
}

/** The answers the double's rule gives, for comparing with what the classifier returned. */
const expected = (reviews: readonly LlmReview[]): { causes: string[]; primary: string }[] => reviews.map((r) => endpointRule(r.title, r.message));
const verdicts = (cs: readonly { causes: readonly string[]; primary: string }[]): { causes: string[]; primary: string }[] => cs.map((c) => ({ causes: [...c.causes], primary: c.primary }));

describe('the LLM classifier against a chat-completions endpoint', () => {
  it('sends the reviews in batches of the given size and takes the answers', async () => {
    await withEndpoint(undefined, async (endpoint, options) => {
      const reviews = reviewsOf(45);
      const { classifications, stats } = await new LlmClassifier({ ...options, batchSize: 20 }).classify(reviews);
      assert.deepEqual(
        endpoint.calls.map((c) => c.ids.length),
        [20, 20, 5],
      );
      assert.deepEqual(endpoint.calls.flatMap((c) => c.ids), reviews.map((r) => r.reviewId));
      assert.equal(endpoint.calls[0]?.model, 'test-model');
      assert.deepEqual(verdicts(classifications), expected(reviews));
      assert.ok(classifications.every((c) => c.source === 'llm'));
      assert.equal(stats.fromModel, 45);
      assert.equal(stats.requests, 3);
    });
  });

  it('never has more requests in flight than the concurrency', async () => {
    await withEndpoint(
      () => ({ delayMs: 40 }),
      async (endpoint, options) => {
        const { stats } = await new LlmClassifier({ ...options, batchSize: 5, concurrency: 3 }).classify(reviewsOf(60));
        assert.equal(endpoint.calls.length, 12);
        assert.equal(stats.fromModel, 60);
        assert.ok(endpoint.maxInFlight() <= 3, `at most 3 in flight, saw ${endpoint.maxInFlight()}`);
        assert.ok(endpoint.maxInFlight() >= 2, `requests ran side by side, saw ${endpoint.maxInFlight()}`);
      },
    );
  });

  it('waits as long as Retry-After says after a 429, then takes the answer', async () => {
    await withEndpoint(
      (call) => (call.n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : undefined),
      async (endpoint, options) => {
        const reviews = reviewsOf(3);
        const { classifications, stats } = await new LlmClassifier(options).classify(reviews);
        assert.equal(endpoint.calls.length, 2);
        const [first, second] = endpoint.calls;
        assert.ok(first !== undefined && second !== undefined && second.at - first.at >= 950, 'the retry came a second later at least');
        assert.deepEqual(verdicts(classifications), expected(reviews));
        assert.equal(stats.retries, 1);
        assert.equal(stats.fellBackEndpoint, 0);
      },
    );
  });

  it('retries after a 500 and takes the answer', async () => {
    await withEndpoint(
      (call) => (call.n === 1 ? { status: 500 } : undefined),
      async (endpoint, options) => {
        const reviews = reviewsOf(4);
        const { classifications, stats } = await new LlmClassifier(options).classify(reviews);
        assert.equal(endpoint.calls.length, 2);
        assert.deepEqual(verdicts(classifications), expected(reviews));
        assert.ok(classifications.every((c) => c.source === 'llm'));
        assert.equal(stats.retries, 1);
      },
    );
  });

  it('gives every review the rules’ answer when the endpoint always fails', async () => {
    await withEndpoint(
      () => ({ status: 503 }),
      async (endpoint, options) => {
        const reviews = reviewsOf(7);
        const { classifications, stats } = await new LlmClassifier({ ...options, batchSize: 4, retries: 2 }).classify(reviews);
        assert.equal(endpoint.calls.length, 2 * 3, 'two batches, each tried three times');
        assert.equal(stats.gaveUp, false);
        assert.ok(classifications.every((c) => c.source === 'rules'));
        assert.deepEqual(verdicts(classifications), verdicts(reviews.map((r) => classifyReview(r))));
        assert.equal(stats.fellBackEndpoint, 7);
        assert.equal(stats.fromModel, 0);
        assert.equal(stats.lastError, 'HTTP 503');
      },
    );
  });

  it('gives up on an endpoint after batches in a row failed, without sending the rest', async () => {
    await withEndpoint(
      () => ({ status: 502 }),
      async (endpoint, options) => {
        const { classifications, stats } = await new LlmClassifier({ ...options, batchSize: 2, retries: 1, giveUpAfter: 2 }).classify(reviewsOf(10));
        assert.equal(endpoint.calls.length, 2 * 2, 'two batches, each tried twice');
        assert.ok(stats.gaveUp);
        assert.equal(stats.fellBackEndpoint, 10);
        assert.ok(classifications.every((c) => c.source === 'rules'));
      },
    );
  });

  it('does not retry a 400, and falls back', async () => {
    await withEndpoint(
      () => ({ status: 400, body: '{"error":{"message":"bad model"}}' }),
      async (endpoint, options) => {
        const { classifications, stats } = await new LlmClassifier(options).classify(reviewsOf(2));
        assert.equal(endpoint.calls.length, 1);
        assert.ok(classifications.every((c) => c.source === 'rules'));
        assert.match(stats.lastError ?? '', /HTTP 400.*bad model/);
      },
    );
  });

  it('does not split a batch whose answer is no chat completion at all, and falls back', async () => {
    await withEndpoint(
      () => ({ status: 200, body: '<html>proxy login</html>' }),
      async (endpoint, options) => {
        const { classifications, stats } = await new LlmClassifier({ ...options, batchSize: 4 }).classify(reviewsOf(4));
        assert.equal(endpoint.calls.length, 1);
        assert.ok(classifications.every((c) => c.source === 'rules'));
        assert.equal(stats.fellBackEndpoint, 4);
        assert.match(stats.lastError ?? '', /not a chat-completions answer: <html>/);
      },
    );
  });

  it('takes the key out of an error the endpoint echoes it in', async () => {
    await withEndpoint(
      (call) => ({ status: 401, body: `{"error":{"message":"invalid key ${String(call.headers.authorization)}"}}` }),
      async (_endpoint, options) => {
        const { stats } = await new LlmClassifier({ ...options, apiKey: 'sk-echoed-key' }).classify(reviewsOf(1));
        assert.match(stats.lastError ?? '', /HTTP 401.*invalid key Bearer <key>/);
        assert.ok(!(stats.lastError ?? '').includes('sk-echoed-key'));
      },
    );
  });

  it('retries when nothing listens at the address, then falls back', async () => {
    const gone = await startChatEndpoint();
    await gone.close();
    const { classifications, stats } = await new LlmClassifier({ url: gone.url, model: 'm', backoffMs: 1, seed: SEED, retries: 2 }).classify(reviewsOf(2));
    assert.equal(stats.requests, 3);
    assert.equal(stats.retries, 2);
    assert.ok(classifications.every((c) => c.source === 'rules'));
    assert.match(stats.lastError ?? '', /^network error/);
  });

  it('abandons an answer slower than the timeout, retries, then falls back', async () => {
    await withEndpoint(
      () => ({ delayMs: 400 }),
      async (endpoint, options) => {
        const { classifications, stats } = await new LlmClassifier({ ...options, timeoutMs: 50, retries: 1 }).classify(reviewsOf(3));
        assert.equal(endpoint.calls.length, 2);
        assert.ok(classifications.every((c) => c.source === 'rules'));
        assert.equal(stats.fellBackEndpoint, 3);
        assert.match(stats.lastError ?? '', /no answer within 50 ms/);
      },
    );
  });

  it('takes the answer of a slow endpoint within the timeout', async () => {
    await withEndpoint(
      (call) => (call.n === 1 ? { delayMs: 400 } : undefined),
      async (endpoint, options) => {
        const reviews = reviewsOf(8);
        const { classifications } = await new LlmClassifier({ ...options, timeoutMs: 50, retries: 2, batchSize: 4 }).classify(reviews);
        assert.equal(endpoint.calls.length, 3, 'the first batch was retried once');
        assert.deepEqual(verdicts(classifications), expected(reviews));
      },
    );
  });

  it('splits a batch whose answer is cut off, and keeps the smaller size', async () => {
    // The endpoint's answers hold four reviews at most: a longer one is cut off at half its length.
    await withEndpoint(
      (call) => (call.ids.length > 4 ? { content: call.answer.slice(0, call.answer.length / 2), finishReason: 'length' } : undefined),
      async (endpoint, options) => {
        const reviews = reviewsOf(10);
        const { classifications, stats } = await new LlmClassifier({ ...options, batchSize: 10 }).classify(reviews);
        assert.deepEqual(
          endpoint.calls.map((c) => c.ids.length),
          [10, 5, 3, 3, 3, 1],
        );
        assert.deepEqual(verdicts(classifications), expected(reviews));
        assert.equal(stats.splits, 2);
        assert.equal(stats.finalBatchSize, 3);
      },
    );
  });

  it('splits down to single reviews when answers cannot be read, and those fall back', async () => {
    await withEndpoint(
      () => ({ content: 'Desculpe, não posso ajudar com isso.' }),
      async (endpoint, options) => {
        const reviews = reviewsOf(4);
        const { classifications, stats } = await new LlmClassifier({ ...options, batchSize: 4 }).classify(reviews);
        assert.deepEqual(
          endpoint.calls.map((c) => c.ids.length),
          [4, 2, 1, 1, 1, 1],
        );
        assert.ok(classifications.every((c) => c.source === 'rules'));
        assert.equal(stats.fellBackAnswer, 4);
      },
    );
  });

  it('gives the rules’ answer to a review whose entry is missing, duplicated or names an unknown cause', async () => {
    const answer = {
      reviews: [
        { id: 'r001', causes: ['late'], primary: 'late' },
        { id: 'r003', causes: ['other'], primary: 'other' },
        { id: 'r003', causes: ['other'], primary: 'other' },
        { id: 'r004', causes: ['delay', 'product_quality'], primary: 'delay' },
        { id: 'r005', causes: ['delay'], primary: 'service' },
        { id: 'r006', causes: ['product_quality'], primary: 'product_quality' },
        { id: 'r999', causes: ['delay'], primary: 'delay' },
      ],
    };
    await withEndpoint(
      () => ({ content: `Aqui está:\n\`\`\`json\n${JSON.stringify(answer)}\n\`\`\`` }),
      async (_endpoint, options) => {
        const reviews = reviewsOf(6);
        const { classifications, stats } = await new LlmClassifier(options).classify(reviews);
        assert.deepEqual(
          classifications.map((c) => c.source),
          ['rules', 'rules', 'rules', 'llm', 'rules', 'llm'],
        );
        assert.deepEqual(verdicts(classifications.slice(3, 4)), [{ causes: ['delay', 'product_quality'], primary: 'delay' }]);
        assert.equal(stats.fellBackAnswer, 4);
        assert.equal(stats.fromModel, 2);
      },
    );
  });

  it('sends nothing for reviews in the cache on a rerun, and keeps models apart', async () => {
    const path = join(dir.path, 'cache', 'llm.jsonl');
    await withEndpoint(undefined, async (endpoint, options) => {
      const reviews = reviewsOf(9);
      const first = await new LlmClassifier({ ...options, cache: new LlmCache(path) }).classify(reviews);
      assert.equal(endpoint.calls.length, 1);
      assert.equal(readFileSync(path, 'utf8').trim().split('\n').length, 9);
      const again = await new LlmClassifier({ ...options, cache: new LlmCache(path) }).classify(reviews);
      assert.equal(endpoint.calls.length, 1, 'the rerun sent nothing');
      assert.equal(again.stats.fromCache, 9);
      assert.deepEqual(verdicts(again.classifications), verdicts(first.classifications));
      assert.ok(again.classifications.every((c) => c.source === 'llm'));
      await new LlmClassifier({ ...options, model: 'another-model', cache: new LlmCache(path) }).classify(reviews);
      assert.equal(endpoint.calls.length, 2, 'another model is asked again');
    });
  });

  it('does not cache a fallback, and skips an unreadable cache line', async () => {
    const path = join(dir.path, 'fallback-cache.jsonl');
    await withEndpoint(
      (call) => (call.n === 1 ? { status: 400 } : undefined),
      async (endpoint, options) => {
        await new LlmClassifier({ ...options, cache: new LlmCache(path) }).classify(reviewsOf(2));
        const { stats } = await new LlmClassifier({ ...options, cache: new LlmCache(path) }).classify(reviewsOf(2));
        assert.equal(endpoint.calls.length, 2);
        assert.equal(stats.fromModel, 2);
      },
    );
    appendFileSync(path, '{"model":"test-model","review_id":"r0');
    const cache = new LlmCache(path);
    assert.equal(cache.unreadableLines, 1);
    assert.deepEqual(cache.get('test-model', 'r002'), endpointRule('', TEXTS[1] as string));
    // The next answer kept starts on a line of its own.
    cache.put('test-model', [{ reviewId: 'r777', verdict: { causes: ['service'], primary: 'service' } }]);
    const reread = new LlmCache(path);
    assert.equal(reread.unreadableLines, 1);
    assert.deepEqual(reread.get('test-model', 'r777'), { causes: ['service'], primary: 'service' });
  });

  it('sends the key as a bearer token', async () => {
    await withEndpoint(undefined, async (endpoint, options) => {
      await new LlmClassifier({ ...options, apiKey: 'sk-test-key' }).classify(reviewsOf(1));
      assert.equal(endpoint.calls[0]?.headers.authorization, 'Bearer sk-test-key');
      await new LlmClassifier(options).classify(reviewsOf(1).map((r) => ({ ...r, reviewId: 'other' })));
      assert.equal(endpoint.calls[1]?.headers.authorization, undefined);
    });
  });

  it('reports progress after each batch', async () => {
    await withEndpoint(undefined, async (_endpoint, options) => {
      const seen: string[] = [];
      await new LlmClassifier({ ...options, batchSize: 4, onProgress: (p) => seen.push(`${p.done}/${p.total}`) }).classify(reviewsOf(10));
      assert.deepEqual(seen, ['4/10', '8/10', '10/10']);
    });
  });
});

describe('reading a model’s answer', () => {
  const batch = reviewsOf(2);
  it('refuses an answer with no JSON object or no reviews array', () => {
    assert.equal(readAnswer('no', batch), null);
    assert.equal(readAnswer('{"answers": []}', batch), null);
    assert.equal(readAnswer('{"reviews": [', batch), null);
  });
  it('orders the causes as the closed set does and drops repeats', () => {
    const verdict = readAnswer('{"reviews":[{"id":"r001","causes":["service","delay","delay"],"primary":"delay"}]}', batch)?.get('r001');
    assert.deepEqual(verdict, { causes: ['delay', 'service'], primary: 'delay' });
  });
  it('takes the endpoint as a base or the full path', () => {
    assert.equal(completionsUrl('http://localhost:8000/v1'), 'http://localhost:8000/v1/chat/completions');
    assert.equal(completionsUrl('http://localhost:8000/v1/'), 'http://localhost:8000/v1/chat/completions');
    assert.equal(completionsUrl('https://x.example/openai/v1/chat/completions'), 'https://x.example/openai/v1/chat/completions');
  });
});
