import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import type { BacktestReport, RuleOutcome } from '../../backtest/index.js';
import { DEFAULT_THRESHOLDS, backtest } from '../../backtest/index.js';
import { formatLocal, loadOlist, parseLocalDateTime } from '../../data/index.js';
import { DEFAULT_RISK_MODEL_OPTIONS, DEFAULT_RISK_THRESHOLD } from '../../risk/index.js';
import { DEFAULT_STREAM_CONFIG } from '../../stream/index.js';
import type { CliIO } from '../output.js';
import { table, writeJson } from '../output.js';
import { positiveInt } from '../index.js';
import type { SetExitCode } from './index.js';
import { settingsFor } from './common.js';

interface BacktestFlags {
  readonly data?: string;
  readonly trainUntil: number;
  readonly testFrom?: number;
  readonly testUntil?: number;
  readonly threshold?: number[];
  readonly riskThreshold: number;
  readonly approvalHours: number;
  readonly minRouteOrders: number;
  readonly json?: boolean;
}

function localDate(flag: string) {
  return (text: string): number => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) throw new InvalidArgumentError(`${flag} takes a local date, YYYY-MM-DD.`);
    try {
      return parseLocalDateTime(text);
    } catch {
      throw new InvalidArgumentError(`${flag} takes a real local date, YYYY-MM-DD; got ${text}.`);
    }
  };
}

function probability(flag: string) {
  return (text: string, previous: number[] | number | undefined): number[] => {
    const p = Number(text);
    if (text.trim() === '' || !(p > 0 && p < 1)) throw new InvalidArgumentError(`${flag} takes probabilities strictly between 0 and 1; got ${text}.`);
    return [...(Array.isArray(previous) ? previous : []), p];
  };
}

function oneProbability(flag: string) {
  return (text: string): number => {
    const p = Number(text);
    if (text.trim() === '' || !(p > 0 && p < 1)) throw new InvalidArgumentError(`${flag} takes a probability strictly between 0 and 1; got ${text}.`);
    return p;
  };
}

function nonNegative(flag: string) {
  return (text: string): number => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${flag} takes a number >= 0; got ${text}.`);
    return n;
  };
}

const pct = (x: number | null): string => (x === null ? '–' : `${(x * 100).toFixed(1)}%`);
const days = (x: number | null): string => (x === null ? '–' : `${x.toFixed(1)} d`);

function ruleRows(rules: readonly RuleOutcome[]): string[][] {
  return rules.map((r) => [r.rule, String(r.alerts), String(r.truePositives), String(r.falsePositives), pct(r.precision), pct(r.recall), pct(r.recallEarly), days(r.warningMedianDays), days(r.warningP10Days)]);
}

function print(io: CliIO, r: BacktestReport): void {
  const day = (ms: number): string => formatLocal(ms).slice(0, 10);
  io.stdout.write(
    `trained on ${r.trainingOrders} orders delivered before ${day(r.trainUntil)} (${r.scopes} scopes with their own distributions)\n` +
      `tested on ${r.testOrders} orders placed from ${day(r.testFrom)}${r.testUntil === null ? '' : ` until ${day(r.testUntil)}`}: ` +
      `${r.judgedOrders} delivered, ${r.lateOrders} late (${pct(r.baseLateRate)})\n\n`,
  );
  const header = ['rule', 'alerts', 'TP', 'FP', 'precision', 'recall', `recall ≥${r.earlyDays} d early`, 'warning p50', 'warning p10'];
  io.stdout.write(`${table(header, ruleRows(r.rules))}\n\n`);
  io.stdout.write(`delivery_at_risk by threshold of P(late) (default ${r.riskThreshold}):\n`);
  io.stdout.write(`${table(['threshold', ...header.slice(1)], r.sweep.map((s) => [String(s.threshold), ...ruleRows([s])[0]!.slice(1)]))}\n\n`);
  const auc = (x: number | null): string => (x === null ? '–' : x.toFixed(3));
  io.stdout.write(
    `ROC AUC of P(late) at approval: ${auc(r.aucAtApproval.auc)} (${r.aucAtApproval.orders} orders, ${r.aucAtApproval.late} late); ` +
      `at carrier handoff: ${auc(r.aucAtHandoff.auc)} (${r.aucAtHandoff.orders} orders, ${r.aucAtHandoff.late} late); ` +
      `late seller handoff as the predictor: ${auc(r.handoffBaselineAuc)}\n`,
  );
}

export function registerBacktest(program: Command, io: CliIO, _setExitCode: SetExitCode): void {
  program
    .command('backtest')
    .description('replay history through the alert rules and the delay-risk model learned before a cut, and measure each rule against what happened')
    .option('--data <dir>', 'Olist directory of .csv or .csv.gz files [env ORDERPULSE_DATA; default data/olist-sample]')
    .requiredOption('--train-until <date>', 'the model learns from orders delivered before this local day (YYYY-MM-DD)', localDate('--train-until'))
    .option('--test-from <date>', 'test on orders placed from this local day (default: the training cut)', localDate('--test-from'))
    .option('--test-until <date>', 'and before this local day (default: all later orders)', localDate('--test-until'))
    .option('--threshold <p...>', `thresholds of P(late) to sweep (default ${DEFAULT_THRESHOLDS.join(' ')})`, probability('--threshold'))
    .addOption(new Option('--risk-threshold <p>', 'the threshold reported as the delivery_at_risk rule').argParser(oneProbability('--risk-threshold')).default(DEFAULT_RISK_THRESHOLD))
    .addOption(new Option('--approval-hours <h>', 'what if: the approval deadline, hours after the purchase').argParser(nonNegative('--approval-hours')).default(DEFAULT_STREAM_CONFIG.approvalHours))
    .addOption(
      new Option('--min-route-orders <n>', 'delivered orders a route needs to have its own distributions (else its customer state, else the country)')
        .argParser(positiveInt('--min-route-orders'))
        .default(DEFAULT_RISK_MODEL_OPTIONS.minOrders),
    )
    .option('--json', 'print the report as JSON')
    .action(async (flags: BacktestFlags, command: Command) => {
      const settings = settingsFor(command, io, { data: flags.data });
      const dataset = await loadOlist(resolve(io.cwd, settings.data));
      const report = backtest(dataset, {
        trainUntil: flags.trainUntil,
        ...(flags.testFrom === undefined ? {} : { testFrom: flags.testFrom }),
        ...(flags.testUntil === undefined ? {} : { testUntil: flags.testUntil }),
        ...(flags.threshold === undefined ? {} : { thresholds: flags.threshold }),
        riskThreshold: flags.riskThreshold,
        stream: { approvalHours: flags.approvalHours },
        model: { minOrders: flags.minRouteOrders },
      });
      if (flags.json === true) writeJson(io, report);
      else print(io, report);
    });
}
