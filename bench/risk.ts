/**
 * `npm run bench:risk`: what the `delivery_at_risk` rule costs the stream's detector.
 *
 * The bundled sample's events (88k) go through a `DelayDetector` in event-time order, then its
 * watermark is moved past every deadline: once without a risk model (the floor: the deadline rules
 * alone, as the stream runs before the batch layer has norms) and once with the model trained on the
 * orders delivered before 2018-03-01, in alternating rounds so that a drift of the machine hits both
 * sides. Reports the median of the rounds, the risk checks made (each order priced at its steps and
 * every 6 hours of event time) and the cost of one check. Options: --rounds N (default 5).
 * Prints a table, then one JSON line with every figure.
 */
import { parseArgs } from 'node:util';
import { trainingDeliveries } from '../src/backtest/index.js';
import { loadOlist, parseLocalDateTime } from '../src/data/index.js';
import { olistEvents } from '../src/events/index.js';
import type { OrderPosition } from '../src/risk/index.js';
import { RiskModel, RiskNorms } from '../src/risk/index.js';
import { DelayDetector } from '../src/stream/index.js';
import { sampleDir } from '../src/testing/fixtures.js';
import { printTable } from './report.js';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const ROUNDS = Number(args.rounds);
if (!Number.isInteger(ROUNDS) || ROUNDS < 1) throw new Error(`--rounds must be a whole number from 1, not ${args.rounds}`);

const dataset = await loadOlist(sampleDir);
const events = olistEvents(dataset);
const model = RiskModel.build(trainingDeliveries(dataset, parseLocalDateTime('2018-03-01')));
const sellerStates = new Map(dataset.sellers.map((s) => [s.sellerId, s.state as string]));
let checks = 0;
// Counts the checks; the model answers as it would in the stream.
const norms = new RiskNorms({ estimate: (p: OrderPosition) => (checks++, model.estimate(p)) }, sellerStates);

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

function run(withRisk: boolean): { seconds: number; changes: number; atRisk: number } {
  const detector = new DelayDetector({}, withRisk ? { risk: { norms } } : {});
  const start = process.hrtime.bigint();
  let changes = 0;
  for (const event of events) changes += detector.process(event).length;
  changes += detector.advanceWatermark(Date.UTC(2030, 0, 1)).length;
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, changes, atRisk: detector.stats().alertsByRule.delivery_at_risk };
}

const floor: number[] = [];
const withRisk: number[] = [];
let last = { off: run(false), on: run(true) };
checks = 0;
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? [false, true] : [true, false];
  for (const on of order) {
    const result = run(on);
    (on ? withRisk : floor).push(result.seconds);
    last = on ? { ...last, on: result } : { ...last, off: result };
  }
}
const checksPerRun = checks / ROUNDS;
const floorS = median(floor);
const riskS = median(withRisk);
const perCheckUs = ((riskS - floorS) / checksPerRun) * 1e6;
printTable([
  ['detector', 'median s', 'events/s', 'alert changes', 'delivery_at_risk opened'],
  ['deadline rules only (floor)', floorS.toFixed(3), Math.round(events.length / floorS).toLocaleString('en-US'), String(last.off.changes), '0'],
  ['with delivery_at_risk', riskS.toFixed(3), Math.round(events.length / riskS).toLocaleString('en-US'), String(last.on.changes), String(last.on.atRisk)],
]);
console.log(
  `\n${events.length.toLocaleString('en-US')} events, ${ROUNDS} rounds; ${Math.round(checksPerRun).toLocaleString('en-US')} risk checks a run, ` +
    `${perCheckUs.toFixed(2)} µs each; with the rule the detector takes ${(riskS / floorS).toFixed(1)}x the floor`,
);
console.log(
  JSON.stringify({
    bench: 'risk',
    events: events.length,
    rounds: ROUNDS,
    floorSeconds: floorS,
    riskSeconds: riskS,
    ratioToFloor: riskS / floorS,
    checksPerRun,
    microsecondsPerCheck: perCheckUs,
    alertChanges: { floor: last.off.changes, risk: last.on.changes },
    atRiskOpened: last.on.atRisk,
  }),
);
