/** The backtest room: every alert rule replayed on history, judged against what happened. */
export type { AucAt, BacktestOptions, BacktestReport } from './backtest.js';
export { DEFAULT_CHECK_EVERY_MS, DEFAULT_THRESHOLDS, backtest, trainingDeliveries } from './backtest.js';
export type { Outcome, RuleOutcome } from './measures.js';
export { quantileOf, rocAuc, ruleOutcome } from './measures.js';
