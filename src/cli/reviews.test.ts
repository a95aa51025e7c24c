import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadOlist } from '../data/index.js';
import { writeLabels, writeReviewsCsv } from '../testing/review-files.js';
import { repoRoot, sampleDir, tempDir } from '../testing/fixtures.js';
import type { CliRun } from './run-for-test.js';
import { runCli } from './run-for-test.js';

const run = (args: string[]): Promise<CliRun> => runCli(args, { cwd: repoRoot });
const dir = tempDir('orderpulse-reviews-cli-');
after(() => dir.remove());

/** Four reviews whose causes are plain to read, and one with no text. */
const reviewsCsv = join(dir.path, 'olist_order_reviews_dataset.csv.gz');
writeReviewsCsv(reviewsCsv);
/** The labels a reader gives them, except r4, labelled delay: the classifier cannot know it. */
const labels = join(dir.path, 'labels.jsonl');
writeLabels(labels, [
  { review_id: 'r1', labels: ['delay'], primary: 'delay' },
  { review_id: 'r2', labels: ['product_quality'], primary: 'product_quality' },
  { review_id: 'r3', labels: ['wrong_or_missing'], primary: 'wrong_or_missing' },
  { review_id: 'r4', labels: ['delay'], primary: 'delay' },
]);

interface Score {
  cause: string;
  precision: number | null;
  recall: number | null;
  f1: number | null;
}
interface EvalJson {
  results: { name: string; evaluation: { reviews: number; macroF1: number; primaryAccuracy: number; causes: Score[]; confusion: Record<string, Record<string, number>> } }[];
}

const close = (actual: number | null, expected: number | null, what: string): void => {
  if (expected === null) assert.equal(actual, null, what);
  else assert.ok(actual !== null && Math.abs(actual - expected) < 1e-9, `${what}: ${actual} != ${expected}`);
};

describe('orderpulse reviews classify', () => {
  it('prints one JSON line per review with text', async () => {
    const { code, out } = await run(['reviews', 'classify', '--data', dir.path, '--json']);
    assert.equal(code, 0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { review_id: string; score: number; causes: string[]; primary: string });
    assert.deepEqual(lines, [
      { review_id: 'r1', score: 1, causes: ['delay'], primary: 'delay' },
      { review_id: 'r2', score: 2, causes: ['product_quality'], primary: 'product_quality' },
      { review_id: 'r3', score: 1, causes: ['wrong_or_missing', 'service'], primary: 'wrong_or_missing' },
      { review_id: 'r4', score: 1, causes: ['other'], primary: 'other' },
    ]);
  });

  it('prints the causes of the low-score reviews as a table', async () => {
    const { code, out } = await run(['reviews', 'classify', '--reviews', reviewsCsv]);
    assert.equal(code, 0);
    assert.match(out, /4 reviews with text classified .*; 4 of them score 1-2/);
    assert.match(out, /^delay\s+1\s+1\s+25\.0 %/m);
  });

  it('refuses a missing file, a directory without the reviews file, and two inputs at once, with exit 2', async () => {
    const missing = await run(['reviews', 'classify', '--reviews', join(dir.path, 'nope.csv')]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /no reviews file .*nope\.csv \[OP_REVIEWS_NO_FILE\]/);
    const empty = await run(['reviews', 'classify', '--data', join(dir.path, '..')]);
    assert.equal(empty.code, 2);
    assert.match(empty.err, /holds no olist_order_reviews_dataset\.csv or \.csv\.gz/);
    const both = await run(['reviews', 'classify', '--data', dir.path, '--reviews', reviewsCsv, '--json']);
    assert.equal(both.code, 2);
    assert.equal((JSON.parse(both.out) as { error: { code: string } }).error.code, 'OP_REVIEWS_CONFLICTING_INPUT');
  });
});

describe('orderpulse reviews eval', () => {
  it('gives the figures a hand count gives, for the rules and both baselines', async () => {
    const { code, out } = await run(['reviews', 'eval', '--labels', labels, '--reviews', reviewsCsv, '--json']);
    assert.equal(code, 0, out);
    const results = new Map((JSON.parse(out) as EvalJson).results.map((r) => [r.name, r.evaluation]));
    // Rules: r1 delay, r2 quality, r3 wrong + service, r4 other. delay: tp 1 (r1), fn 1 (r4): P 1, R 1/2, F1 2/3.
    // wrong and quality: right. service and other: one false positive each, nothing labelled: P = R = F1 = 0.
    const rules = results.get('rules');
    assert.ok(rules !== undefined);
    const expected: Record<string, [number, number, number]> = {
      delay: [1, 0.5, 2 / 3],
      wrong_or_missing: [1, 1, 1],
      product_quality: [1, 1, 1],
      service: [0, 0, 0],
      other: [0, 0, 0],
    };
    for (const c of rules.causes) {
      const [p, r, f] = expected[c.cause] as [number, number, number];
      close(c.precision, p, `rules ${c.cause} precision`);
      close(c.recall, r, `rules ${c.cause} recall`);
      close(c.f1, f, `rules ${c.cause} F1`);
    }
    close(rules.macroF1, (2 / 3 + 1 + 1) / 5, 'rules macro-F1');
    close(rules.primaryAccuracy, 3 / 4, 'rules primary');
    assert.equal(rules.confusion.delay?.other, 1);
    assert.equal(rules.confusion.delay?.delay, 1);
    // Keywords: r1 delay ("recebi"); r2 delay ("chegou", "prazo") and quality ("quebrado"); r3 wrong ("errado"); r4 other.
    // delay: tp 1, fp 1 (r2), fn 1 (r4): P = R = F1 = 1/2. service: neither labelled nor predicted, left out of the mean.
    const keywords = results.get('keywords (no negation)');
    assert.ok(keywords !== undefined);
    close(keywords.causes.find((c) => c.cause === 'delay')?.f1 ?? null, 0.5, 'keywords delay F1');
    close(keywords.causes.find((c) => c.cause === 'service')?.f1 ?? null, null, 'keywords service F1');
    close(keywords.macroF1, (0.5 + 1 + 1 + 0) / 4, 'keywords macro-F1');
    close(keywords.primaryAccuracy, 2 / 4, 'keywords primary');
    // Every review is delay: delay P 2/4, R 1, F1 2/3; wrong and quality F1 0; service and other left out.
    const delay = results.get('every review is delay');
    assert.ok(delay !== undefined);
    close(delay.macroF1, 2 / 3 / 3, 'all-delay macro-F1');
    close(delay.primaryAccuracy, 2 / 4, 'all-delay primary');
  });

  it('prints per-cause figures, the confusion table and the baselines', async () => {
    const { code, out } = await run(['reviews', 'eval', '--labels', labels, '--reviews', reviewsCsv]);
    assert.equal(code, 0);
    assert.match(out, /^delay\s+2\s+1\s+1\.000\s+0\.500\s+0\.667$/m);
    assert.match(out, /macro-F1 0\.533, primary cause right 75\.0 %/);
    assert.match(out, /^every review is delay\s+0\.222\s+0\.500\s+1\.000/m);
  });

  it('refuses a bad labels line naming the file and line, an unknown cause, an unknown review, a missing file', async () => {
    const bad = join(dir.path, 'bad.jsonl');
    writeFileSync(bad, '{"review_id":"r1","labels":["delay"],"primary":"delay"}\nnot json\n');
    const badLine = await run(['reviews', 'eval', '--labels', bad, '--reviews', reviewsCsv]);
    assert.equal(badLine.code, 2);
    assert.match(badLine.err, /bad\.jsonl:2: not a JSON object \[OP_REVIEWS_BAD_LABEL\]/);
    writeFileSync(bad, '{"review_id":"r1","labels":["late"],"primary":"late"}\n');
    const unknownCause = await run(['reviews', 'eval', '--labels', bad, '--reviews', reviewsCsv]);
    assert.equal(unknownCause.code, 2);
    assert.match(unknownCause.err, /bad\.jsonl:1: unknown cause "late"/);
    writeFileSync(bad, '{"review_id":"r9","labels":["delay"],"primary":"delay"}\n');
    const unknownReview = await run(['reviews', 'eval', '--labels', bad, '--reviews', reviewsCsv]);
    assert.equal(unknownReview.code, 2);
    assert.match(unknownReview.err, /bad\.jsonl:1: review r9 is not in the reviews file \[OP_REVIEWS_UNKNOWN_REVIEW\]/);
    const missing = await run(['reviews', 'eval', '--labels', join(dir.path, 'none.jsonl')]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /no labels file .*none\.jsonl/);
    const noLabels = await run(['reviews', 'eval']);
    assert.equal(noLabels.code, 2);
    assert.match(noLabels.err, /--labels/);
  });

  it('measures the bundled development labels against the bundled texts', async () => {
    const { code, out } = await run(['reviews', 'eval', '--labels', 'data/reviews/dev-labels.jsonl', '--json']);
    assert.equal(code, 0);
    const [rules] = (JSON.parse(out) as EvalJson).results;
    assert.equal(rules?.evaluation.reviews, 330);
  });
});

describe('orderpulse reviews impact', () => {
  it('puts every low-score review of the sample in one delay group', async () => {
    const { code, out } = await run(['reviews', 'impact', '--json']);
    assert.equal(code, 0);
    const { headline } = JSON.parse(out) as { headline: { group: string; lowScoreReviews: number; withText: number; delay: number }[] };
    const dataset = await loadOlist(sampleDir);
    const orders = new Set(dataset.orders.map((o) => o.orderId));
    const low = dataset.reviews.filter((r) => r.score <= 2 && orders.has(r.orderId));
    assert.equal(headline.reduce((s, g) => s + g.lowScoreReviews, 0), low.length);
    const withText = low.filter((r) => (r.commentTitle ?? '').trim() !== '' || (r.commentMessage ?? '').trim() !== '').length;
    assert.equal(headline.reduce((s, g) => s + g.withText, 0), withText);
    const notDelivered = new Set(dataset.orders.filter((o) => o.deliveredToCustomerAt === null).map((o) => o.orderId));
    assert.equal(headline.find((g) => g.group === 'not_delivered')?.lowScoreReviews, low.filter((r) => notDelivered.has(r.orderId)).length);
  });

  it('fails clearly on a directory that does not exist', async () => {
    const { code, err } = await run(['reviews', 'impact', '--data', join(dir.path, 'nowhere')]);
    assert.equal(code, 1);
    assert.match(err, /nowhere.*OP_DATA_NO_DIRECTORY/);
  });
});
