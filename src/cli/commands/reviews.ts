import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadOlist } from '../../data/index.js';
import type { Cause, Classification, Evaluation, ReviewLine, ReviewText } from '../../reviews/index.js';
import {
  CAUSES,
  DELAY_BUCKETS,
  delayShares,
  lowScoreReviews,
  reviewCauseRows,
  ReviewsError,
  classifyAllDelay,
  classifyByKeywords,
  classifyReview,
  evaluate,
  hasText,
  readLabels,
  readReviews,
  reviewsFileIn,
} from '../../reviews/index.js';
import type { CliIO } from '../output.js';
import { table, writeJson } from '../output.js';
import { formatMs, settingsFor } from './common.js';
import type { LlmFlags } from './reviews-llm.js';
import { addLlmOptions, describeLlmRun, llmClassifierFor } from './reviews-llm.js';

/** The review texts bundled with the repository. */
const DEFAULT_REVIEWS_DIR = 'data/olist-reviews-text';

interface ClassifyFlags extends LlmFlags {
  readonly reviews?: string;
  readonly data?: string;
  readonly json?: boolean;
}

interface EvalFlags extends LlmFlags {
  readonly labels: string;
  readonly reviews?: string;
  readonly json?: boolean;
}

/** The reviews file a command reads: `--reviews FILE`, else the one in `--data DIR`, else the bundled one. */
function reviewsPath(io: CliIO, flags: { readonly reviews?: string; readonly data?: string }): string {
  if (flags.reviews !== undefined && flags.data !== undefined) {
    throw new ReviewsError('OP_REVIEWS_CONFLICTING_INPUT', 'give either --reviews FILE or --data DIR, not both');
  }
  if (flags.reviews !== undefined) return resolve(io.cwd, flags.reviews);
  return reviewsFileIn(resolve(io.cwd, flags.data ?? DEFAULT_REVIEWS_DIR));
}

const percent = (x: number | null): string => (x === null ? '-' : x.toFixed(3));

function causeCounts(classified: readonly { readonly c: Classification }[]): { all: Record<Cause, number>; primary: Record<Cause, number> } {
  const zero = (): Record<Cause, number> => Object.fromEntries(CAUSES.map((c) => [c, 0])) as Record<Cause, number>;
  const all = zero();
  const primary = zero();
  for (const { c } of classified) {
    for (const cause of c.causes) all[cause]++;
    primary[c.primary]++;
  }
  return { all, primary };
}

async function classifyCommand(io: CliIO, command: Command, flags: ClassifyFlags): Promise<void> {
  const llm = llmClassifierFor(io, command, flags, flags.json === true);
  const path = reviewsPath(io, flags);
  const started = performance.now();
  const reviews = (await readReviews(path)).filter(hasText);
  const byLlm = llm === null ? null : await llm.classify(reviews);
  const classified = reviews.map((r, i) => ({ r, c: byLlm?.classifications[i] ?? classifyReview(r) }));
  const ms = performance.now() - started;
  if (flags.json === true) {
    for (const { r, c } of classified) {
      // With --llm-url each line says whether the model answered or the rules did, in its place.
      const source = byLlm === null || !('source' in c) ? {} : { source: c.source };
      writeJson(io, { review_id: r.reviewId, score: r.score, causes: c.causes, primary: c.primary, ...source });
    }
    return;
  }
  if (byLlm !== null) io.stdout.write(describeLlmRun(flags.llmModel ?? '', byLlm.stats));
  const low = classified.filter(({ r }) => r.score !== null && r.score <= 2);
  const lowCounts = causeCounts(low);
  const allCounts = causeCounts(classified);
  io.stdout.write(`${path}\n${reviews.length.toLocaleString('en-US')} reviews with text classified in ${formatMs(ms)} (read included); ${low.length.toLocaleString('en-US')} of them score 1-2\n\n`);
  io.stdout.write(
    `${table(
      ['cause', '1-2 stars: any', 'primary', 'share', 'all scores: any', 'primary'],
      CAUSES.map((cause) => [
        cause,
        lowCounts.all[cause],
        lowCounts.primary[cause],
        low.length === 0 ? '-' : `${((lowCounts.primary[cause] / low.length) * 100).toFixed(1)} %`,
        allCounts.all[cause],
        allCounts.primary[cause],
      ]),
    )}\n`,
  );
}

/** The labelled reviews with their text, in the labels' order; a labelled id missing from the reviews file is refused. */
function labelledTexts(labelsPath: string, labels: ReturnType<typeof readLabels>, reviews: readonly ReviewLine[]): ReviewText[] {
  const byId = new Map(reviews.map((r) => [r.reviewId, r]));
  return labels.map((label) => {
    const review = byId.get(label.reviewId);
    if (review === undefined) {
      throw new ReviewsError('OP_REVIEWS_UNKNOWN_REVIEW', `${labelsPath}:${label.line}: review ${label.reviewId} is not in the reviews file`, {
        details: { path: labelsPath, line: label.line, reviewId: label.reviewId },
      });
    }
    return review;
  });
}

const CLASSIFIERS = [
  { name: 'rules', classify: classifyReview },
  { name: 'keywords (no negation)', classify: classifyByKeywords },
  { name: 'every review is delay', classify: classifyAllDelay },
] as const;

/** Per-cause figures and the primary causes' confusion of one classifier. */
function printScores(io: CliIO, e: Evaluation): void {
  io.stdout.write(
    `${table(
      ['cause', 'labelled', 'predicted', 'precision', 'recall', 'F1'],
      e.causes.map((c) => [c.cause, c.support, c.truePositives + c.falsePositives, percent(c.precision), percent(c.recall), percent(c.f1)]),
    )}\n`,
  );
  io.stdout.write(`macro-F1 ${e.macroF1.toFixed(3)}, primary cause right ${(e.primaryAccuracy * 100).toFixed(1)} %\n`);
  io.stdout.write(`\nprimary causes (rows: labelled, columns: predicted):\n`);
  io.stdout.write(`${table(['labelled \\ predicted', ...CAUSES], CAUSES.map((l) => [l, ...CAUSES.map((p) => e.confusion[l][p])]))}\n`);
}

function printEvaluation(io: CliIO, labelsPath: string, results: readonly { readonly name: string; readonly evaluation: Evaluation }[], llm: { readonly name: string; readonly run: string } | null): void {
  const [rules] = results;
  if (rules === undefined) return;
  io.stdout.write(`${labelsPath}: ${rules.evaluation.reviews.toLocaleString('en-US')} labelled reviews\n\nthe rule classifier, per cause:\n`);
  printScores(io, rules.evaluation);
  const byLlm = llm === null ? undefined : results.find((r) => r.name === llm.name);
  if (llm !== null && byLlm !== undefined) {
    io.stdout.write(`\n${llm.run}\nthe ${llm.name}, per cause (a review that fell back is counted with the rules' answer):\n`);
    printScores(io, byLlm.evaluation);
  }
  io.stdout.write(`\nbeside the baselines, measured the same way:\n`);
  io.stdout.write(
    `${table(
      ['classifier', 'macro-F1', 'delay P', 'delay R', 'delay F1', 'primary right'],
      results.map(({ name, evaluation }) => {
        const delay = evaluation.causes.find((c) => c.cause === 'delay');
        return [name, evaluation.macroF1.toFixed(3), percent(delay?.precision ?? null), percent(delay?.recall ?? null), percent(delay?.f1 ?? null), `${(evaluation.primaryAccuracy * 100).toFixed(1)} %`];
      }),
    )}\n`,
  );
}

async function evalCommand(io: CliIO, command: Command, flags: EvalFlags): Promise<void> {
  const llm = llmClassifierFor(io, command, flags, flags.json === true);
  const labelsPath = resolve(io.cwd, flags.labels);
  const labels = readLabels(labelsPath);
  const texts = labelledTexts(labelsPath, labels, await readReviews(reviewsPath(io, flags)));
  const measure = (name: string, classifications: readonly Classification[]): { name: string; evaluation: Evaluation } => ({
    name,
    evaluation: evaluate(labels.map((label, i) => ({ labelled: label, predicted: { labels: classifications[i]?.causes ?? [], primary: classifications[i]?.primary ?? 'other' } }))),
  });
  const results = CLASSIFIERS.map(({ name, classify }) => measure(name, texts.map((t) => classify(t))));
  const byLlm = llm === null ? null : await llm.classify(labels.map((label, i) => ({ ...(texts[i] as ReviewText), reviewId: label.reviewId })));
  const fellBack = byLlm === null ? 0 : byLlm.stats.fellBackEndpoint + byLlm.stats.fellBackAnswer;
  const llmName = `llm ${flags.llmModel ?? ''}${fellBack > 0 ? ` (${fellBack} by the rules)` : ''}`;
  // The model's figures go second, beside the rules', in the same comparison table.
  if (byLlm !== null) results.splice(1, 0, measure(llmName, byLlm.classifications));
  if (flags.json === true) writeJson(io, { labels: labelsPath, results, ...(byLlm === null ? {} : { llm: { model: flags.llmModel, ...byLlm.stats } }) });
  else printEvaluation(io, flags.labels, results, byLlm === null ? null : { name: llmName, run: describeLlmRun(flags.llmModel ?? '', byLlm.stats) });
}

interface ImpactFlags {
  readonly data?: string;
  readonly json?: boolean;
}

const share = (part: number, whole: number): string => (whole === 0 ? '-' : `${((part / whole) * 100).toFixed(1)} %`);

async function impactCommand(io: CliIO, dir: string, flags: ImpactFlags): Promise<void> {
  const reviews = lowScoreReviews(await loadOlist(dir));
  const shares = delayShares(reviews);
  const rows = reviewCauseRows(reviews);
  if (flags.json === true) {
    writeJson(io, { data: dir, headline: shares, rows });
    return;
  }
  io.stdout.write(`${dir}: ${reviews.length.toLocaleString('en-US')} low-score (1-2 star) reviews of its orders\n\n`);
  io.stdout.write(`the share of low-score reviews with text that complain of delay:\n`);
  io.stdout.write(
    `${table(
      ['orders', 'low-score reviews', 'with text', 'delay', 'delay share'],
      shares.map((s) => [s.group, s.lowScoreReviews, s.withText, s.delay, s.delayShare === null ? '-' : `${(s.delayShare * 100).toFixed(1)} %`]),
    )}\n`,
  );
  // The causes by delay bucket: the rows summed over month, category and seller, each review once.
  io.stdout.write(`\ncauses of low-score reviews with text, by delay bucket (a review may have several):\n`);
  io.stdout.write(
    `${table(
      ['delay', 'with text', ...CAUSES],
      DELAY_BUCKETS.map((bucket) => {
        const members = reviews.filter((r) => r.delayBucket === bucket && r.causes !== null);
        return [bucket, members.length, ...CAUSES.map((c) => share(members.filter((r) => r.causes?.includes(c) === true).length, members.length))];
      }),
    )}\n`,
  );
  io.stdout.write(`\n${rows.length.toLocaleString('en-US')} rows by month, category, seller and delay bucket (--json prints them)\n`);
}

export function registerReviews(program: Command, io: CliIO): void {
  const reviews = program.command('reviews').description('what low-score reviews complain about, read from their Portuguese text');
  const classify = reviews
    .command('classify')
    .description('classify every review with a title or message into causes (delay, wrong_or_missing, product_quality, service, other)')
    .option('--reviews <file>', 'an olist_order_reviews_dataset .csv or .csv.gz file')
    .option('--data <dir>', `an Olist directory holding the reviews file [default ${DEFAULT_REVIEWS_DIR}]`)
    .option('--json', 'one JSON line per review: {"review_id", "score", "causes", "primary"} (with --llm-url also "source": llm or rules)');
  addLlmOptions(classify).action(async (flags: ClassifyFlags, command: Command) =>
    classifyCommand(io, command, flags),
  );
  const evaluation = reviews
    .command('eval')
    .description('measure the classifier against labelled reviews: per-cause precision, recall and F1, macro-F1, primary causes confused, and two baselines')
    .requiredOption('--labels <file>', 'JSON Lines of {"review_id", "labels": [causes], "primary"} (e.g. data/reviews/dev-labels.jsonl)')
    .option('--reviews <file>', `the reviews file holding the labelled texts [default the one in ${DEFAULT_REVIEWS_DIR}]`)
    .option('--json', 'print every figure as one JSON object');
  addLlmOptions(evaluation).action(async (flags: EvalFlags, command: Command) =>
    evalCommand(io, command, flags),
  );
  reviews
    .command('impact')
    .description('the causes of low-score reviews by purchase month, category, seller and delay bucket, and the share of delay for late and on-time orders')
    .option('--data <dir>', 'Olist directory of .csv or .csv.gz files [env ORDERPULSE_DATA; default data/olist-sample]')
    .option('--json', 'print the headline and every row as one JSON object')
    .action(async (flags: ImpactFlags, command: Command) => {
      const settings = settingsFor(command, io, { data: flags.data });
      await impactCommand(io, resolve(io.cwd, settings.data), flags);
    });
}
