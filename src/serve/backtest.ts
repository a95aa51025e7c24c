import type { FastifyInstance } from 'fastify';
import { existsSync } from 'node:fs';
import type { BacktestReport } from '../backtest/index.js';
import { backtest } from '../backtest/index.js';
import type { EpochMillis } from '../data/index.js';
import { formatLocal, loadOlist, parseLocalDateTime } from '../data/index.js';
import type { BacktestAnswer } from '../read/types.js';
import { arrayOf, errorResponses, int, nullableNum, nullableStr, num, object, str } from './schemas-common.js';

/** Where `/api/backtest` gets its answer. */
export interface BacktestSource {
  answer(): Promise<BacktestAnswer>;
}

/** How far before the data's newest purchase the training cut lies, in months (the sample: 2018-03-01). */
export const BACKTEST_TEST_MONTHS = 6;

/** The first day of the month `months` before the month of `newest` (São Paulo time). */
export function trainingCut(newest: EpochMillis, months: number = BACKTEST_TEST_MONTHS): EpochMillis {
  const [year, month] = formatLocal(newest).slice(0, 7).split('-').map(Number) as [number, number];
  const index = year * 12 + (month - 1) - months;
  return parseLocalDateTime(`${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}-01`);
}

function answerOf(report: BacktestReport): BacktestAnswer {
  const iso = (ms: EpochMillis): string => new Date(ms).toISOString();
  return {
    available: true,
    trainUntil: iso(report.trainUntil),
    testFrom: iso(report.testFrom),
    testUntil: report.testUntil === null ? null : iso(report.testUntil),
    trainingOrders: report.trainingOrders,
    testOrders: report.testOrders,
    judgedOrders: report.judgedOrders,
    lateOrders: report.lateOrders,
    baseLateRate: report.baseLateRate,
    earlyDays: report.earlyDays,
    riskThreshold: report.riskThreshold,
    rules: report.rules,
    sweep: report.sweep,
    aucAtApproval: report.aucAtApproval.auc,
    aucAtHandoff: report.aucAtHandoff.auc,
    handoffBaselineAuc: report.handoffBaselineAuc,
  };
}

/**
 * The backtest of the Olist files in `dir`, computed at the first request (a few seconds on the
 * sample) and kept: the files are history, they do not change while the server runs. Trained before
 * the first day of the month `BACKTEST_TEST_MONTHS` before the newest purchase, tested after it.
 */
export function olistBacktest(dir: string): BacktestSource {
  let answer: Promise<BacktestAnswer> | null = null;
  const compute = async (): Promise<BacktestAnswer> => {
    if (!existsSync(dir)) return { available: false, reason: `no Olist files at ${dir} (the --data setting) to replay` };
    const dataset = await loadOlist(dir);
    const newest = Math.max(...dataset.orders.map((o) => o.purchasedAt));
    return answerOf(backtest(dataset, { trainUntil: trainingCut(newest) }));
  };
  return {
    answer: () =>
      (answer ??= compute().catch((error: unknown) => {
        answer = null;
        throw error;
      })),
  };
}

const rule = {
  rule: str,
  alerts: int,
  truePositives: int,
  falsePositives: int,
  precision: nullableNum,
  recall: nullableNum,
  caughtEarly: int,
  recallEarly: nullableNum,
  warningMedianDays: nullableNum,
  warningP10Days: nullableNum,
} as const;

export const backtestSchema = {
  summary: 'Every alert rule replayed on the history of the served data, measured against what happened',
  tags: ['alerts'],
  response: {
    200: {
      type: 'object',
      properties: {
        available: { type: 'boolean' },
        reason: str,
        trainUntil: str,
        testFrom: str,
        testUntil: nullableStr,
        trainingOrders: int,
        testOrders: int,
        judgedOrders: int,
        lateOrders: int,
        baseLateRate: nullableNum,
        earlyDays: num,
        riskThreshold: num,
        rules: arrayOf(object(rule)),
        sweep: arrayOf(object({ ...rule, threshold: num })),
        aucAtApproval: nullableNum,
        aucAtHandoff: nullableNum,
        handoffBaselineAuc: nullableNum,
      },
      required: ['available'],
      additionalProperties: false,
    },
    ...errorResponses,
  },
} as const;

/** /api/backtest: the source's answer, or why there is none. */
export function registerBacktestRoute(api: FastifyInstance, source: BacktestSource | undefined): void {
  api.get('/api/backtest', { schema: backtestSchema }, async (): Promise<BacktestAnswer> =>
    source === undefined ? { available: false, reason: 'this server was started without Olist files to replay' } : source.answer(),
  );
}
