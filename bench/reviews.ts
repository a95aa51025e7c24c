/**
 * `npm run bench:reviews`: how long the rule classifier takes over the bundled review texts.
 *
 * The 2,562 reviews of data/olist-reviews-text that have a message (with their titles) are read once (not
 * timed). Then, in alternating rounds so that a drift of the machine hits both sides: the floor, every text
 * only tokenised (lower case, accents, abbreviations: what any classifier on these words must pay), and the
 * classifier, every text tokenised and matched against every cue. The figure is the median of the rounds.
 * Goal: classifying all of them under 1 s. Options: --rounds N (default 7).
 * Prints a table, then one JSON line with every figure.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Cause } from '../src/reviews/index.js';
import { classifyReview, readReviews, reviewTokens } from '../src/reviews/index.js';
import { printTable } from './report.js';

const GOAL_SECONDS = 1;
const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '7' } } });
const ROUNDS = Number(args.rounds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`--rounds must be a whole number from 1, not ${args.rounds}`);

const root = fileURLToPath(new URL('../../', import.meta.url));
const file = join(root, 'data', 'olist-reviews-text', 'olist_order_reviews_dataset.csv.gz');
const texts = (await readReviews(file)).filter((r) => r.message.trim() !== '');

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/** Keeps a result alive so that no work is optimised away. */
let sink = 0;
const floor: number[] = [];
const classify: number[] = [];
const primaries = new Map<Cause, number>();
for (let round = 0; round < ROUNDS; round++) {
  let start = process.hrtime.bigint();
  for (const review of texts) sink += reviewTokens(review).length;
  floor.push(seconds(start));
  start = process.hrtime.bigint();
  for (const review of texts) {
    const { primary } = classifyReview(review);
    if (round === 0) primaries.set(primary, (primaries.get(primary) ?? 0) + 1);
    sink += primary.length;
  }
  classify.push(seconds(start));
}

const floorS = median(floor);
const classifyS = median(classify);
printTable([
  ['step', 'median s', 'min s', 'reviews/s'],
  ['tokenise only (floor)', floorS.toFixed(4), Math.min(...floor).toFixed(4), Math.round(texts.length / floorS).toLocaleString('en-US')],
  ['classify (rules)', classifyS.toFixed(4), Math.min(...classify).toFixed(4), Math.round(texts.length / classifyS).toLocaleString('en-US')],
]);
console.log(
  `\n${texts.length.toLocaleString('en-US')} texts, ${ROUNDS} rounds; classify is ${(classifyS / floorS).toFixed(1)}x the floor; goal < ${GOAL_SECONDS} s: ${classifyS < GOAL_SECONDS ? 'met' : 'NOT met'}`,
);
console.log(
  JSON.stringify({
    bench: 'reviews',
    texts: texts.length,
    rounds: ROUNDS,
    floorSeconds: floorS,
    classifySeconds: classifyS,
    ratioToFloor: classifyS / floorS,
    goalSeconds: GOAL_SECONDS,
    goalMet: classifyS < GOAL_SECONDS,
    primaries: Object.fromEntries(primaries),
    sink: sink > 0,
  }),
);
