import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ChatEndpoint } from '../testing/chat-endpoint.js';
import { startChatEndpoint } from '../testing/chat-endpoint.js';
import { writeLabels, writeReviewsCsv } from '../testing/review-files.js';
import { repoRoot, tempDir } from '../testing/fixtures.js';
import type { CliRun } from './run-for-test.js';
import { runCli } from './run-for-test.js';

const KEY = 'sk-secret-test-key-3141';
const SEED = 11;
console.log(`backoff jitter seed ${SEED}`);

const dir = tempDir('orderpulse-reviews-llm-cli-');
const run = (args: string[]): Promise<CliRun> => runCli(['--state', join(dir.path, 'state'), ...args], { cwd: repoRoot, env: { ORDERPULSE_LLM_API_KEY: KEY } });

const reviewsCsv = join(dir.path, 'olist_order_reviews_dataset.csv');
writeReviewsCsv(reviewsCsv);
/**
 * Labels that agree with the endpoint double's rule ("prazo" is delay, "quebr" product_quality, the rest
 * other) on every review: measured against them, the model is right on all four.
 */
const labels = join(dir.path, 'labels.jsonl');
writeLabels(labels, [
  { review_id: 'r1', labels: ['other'], primary: 'other' },
  { review_id: 'r2', labels: ['delay'], primary: 'delay' },
  { review_id: 'r3', labels: ['other'], primary: 'other' },
  { review_id: 'r4', labels: ['other'], primary: 'other' },
]);

let endpoint: ChatEndpoint;
let failing: ChatEndpoint;
before(async () => {
  endpoint = await startChatEndpoint();
  failing = await startChatEndpoint(() => ({ status: 503, body: '{"error":{"message":"overloaded"}}' }));
});
after(async () => {
  await endpoint.close();
  await failing.close();
  dir.remove();
});

interface ClassifyLine {
  review_id: string;
  causes: string[];
  primary: string;
  source: string;
}
interface EvalJson {
  results: { name: string; evaluation: { macroF1: number; primaryAccuracy: number } }[];
  llm: { model: string; fromModel: number; fromCache: number; fellBackEndpoint: number; fellBackAnswer: number };
}

describe('orderpulse reviews with --llm-url', () => {
  it('classifies with the endpoint, sends the key as a bearer token and prints it nowhere', async () => {
    const cache = join(dir.path, 'classify-cache.jsonl');
    const args = ['reviews', 'classify', '--reviews', reviewsCsv, '--llm-url', endpoint.url, '--llm-model', 'm1', '--llm-cache', cache, '--llm-seed', String(SEED)];
    const { code, out, err } = await run([...args, '--json']);
    assert.equal(code, 0, err);
    assert.equal(err, '', 'quiet with --json');
    assert.deepEqual(
      out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as ClassifyLine)
        .map(({ review_id, causes, primary, source }) => ({ review_id, causes, primary, source })),
      [
        { review_id: 'r1', causes: ['other'], primary: 'other', source: 'llm' },
        { review_id: 'r2', causes: ['delay'], primary: 'delay', source: 'llm' },
        { review_id: 'r3', causes: ['other'], primary: 'other', source: 'llm' },
        { review_id: 'r4', causes: ['other'], primary: 'other', source: 'llm' },
      ],
    );
    assert.equal(endpoint.calls.length, 1);
    assert.equal(endpoint.calls[0]?.headers.authorization, `Bearer ${KEY}`);
    assert.ok(!out.includes(KEY) && !err.includes(KEY));

    // The rerun finds every answer in the cache: nothing is sent.
    const again = await run(args);
    assert.equal(again.code, 0, again.err);
    assert.equal(endpoint.calls.length, 1);
    assert.match(again.out, /llm m1: 4 of 4 reviews answered by the model \(4 from the cache\), 0 fell back/);
    assert.ok(!again.out.includes(KEY) && !again.err.includes(KEY));
  });

  it('prints progress on stderr without --json', async () => {
    const { code, out, err } = await run(['reviews', 'classify', '--reviews', reviewsCsv, '--llm-url', endpoint.url, '--llm-model', 'm2', '--llm-batch', '3', '--llm-concurrency', '1', '--llm-cache', join(dir.path, 'progress.jsonl')]);
    assert.equal(code, 0, err);
    assert.match(err, /llm: 3 of 4 reviews done \(1 requests\)\nllm: 4 of 4 reviews done \(2 requests\)\n/);
    assert.match(out, /4 reviews with text classified/);
  });

  it('eval prints the model beside the rules and the baselines', async () => {
    const { code, out, err } = await run(['reviews', 'eval', '--labels', labels, '--reviews', reviewsCsv, '--llm-url', endpoint.url, '--llm-model', 'm3', '--llm-cache', join(dir.path, 'eval.jsonl')]);
    assert.equal(code, 0, err);
    assert.match(out, /^llm m3\s+1\.000\s+1\.000\s+1\.000\s+1\.000\s+100\.0 %$/m);
    assert.match(out, /^rules\s/m);
    assert.match(out, /^keywords \(no negation\)\s/m);
    assert.match(out, /^every review is delay\s/m);
    const json = JSON.parse((await run(['reviews', 'eval', '--labels', labels, '--reviews', reviewsCsv, '--llm-url', endpoint.url, '--llm-model', 'm3', '--llm-cache', join(dir.path, 'eval.jsonl'), '--json'])).out) as EvalJson;
    const llm = json.results.find((r) => r.name === 'llm m3');
    assert.equal(llm?.evaluation.macroF1, 1);
    assert.equal(json.llm.fromCache, 4);
  });

  it('eval against a failing endpoint falls back to the rules, exits 0 and says how many fell back', async () => {
    const args = ['reviews', 'eval', '--labels', labels, '--reviews', reviewsCsv, '--llm-url', failing.url, '--llm-model', 'm4', '--llm-retries', '1', '--llm-cache', join(dir.path, 'failing.jsonl')];
    const { code, out, err } = await run(args);
    assert.equal(code, 0, err);
    assert.match(out, /4 fell back to the rules \(endpoint failed: 4, answer missing or invalid: 0\)/);
    assert.match(out, /last endpoint error: HTTP 503/);
    assert.match(out, /^llm m4 \(4 by the rules\)\s/m);
    const json = JSON.parse((await run([...args, '--json'])).out) as EvalJson;
    assert.equal(json.llm.fellBackEndpoint, 4);
    const rules = json.results.find((r) => r.name === 'rules');
    const llm = json.results.find((r) => r.name === 'llm m4 (4 by the rules)');
    assert.deepEqual(llm?.evaluation, rules?.evaluation);
    assert.equal(failing.calls.length, 2 * 2, 'one request and one retry, twice');
  });

  it('refuses bad LLM options with exit 2, naming the option', async () => {
    const cases: [string[], RegExp][] = [
      [['--llm-url', 'localhost:8000', '--llm-model', 'm'], /--llm-url takes an http:\/\/ or https:\/\/ URL/],
      [['--llm-url', 'not a url', '--llm-model', 'm'], /--llm-url takes an http:\/\/ or https:\/\/ URL/],
      [['--llm-url', endpoint.url], /--llm-url needs --llm-model/],
      [['--llm-model', 'm'], /--llm-model is used with --llm-url/],
      [['--llm-url', endpoint.url, '--llm-model', 'm', '--llm-batch', '0'], /--llm-batch must be a positive whole number/],
      [['--llm-url', endpoint.url, '--llm-model', 'm', '--llm-concurrency', 'four'], /--llm-concurrency must be a positive whole number/],
      [['--llm-url', endpoint.url, '--llm-model', 'm', '--llm-timeout', '-1'], /--llm-timeout must be a positive number/],
      [['--llm-url', endpoint.url, '--llm-model', 'm', '--llm-retries', '1.5'], /--llm-retries must be a whole number/],
    ];
    const before = endpoint.calls.length;
    for (const [flags, message] of cases) {
      for (const command of ['classify', 'eval']) {
        const extra = command === 'eval' ? ['--labels', labels] : [];
        const { code, err } = await run(['reviews', command, '--reviews', reviewsCsv, ...extra, ...flags]);
        assert.equal(code, 2, `${command} ${flags.join(' ')}`);
        assert.match(err, message, `${command} ${flags.join(' ')}`);
      }
    }
    assert.equal(endpoint.calls.length, before, 'nothing was sent');
  });
});
