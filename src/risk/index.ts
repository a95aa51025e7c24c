/** The risk room: how likely an open order is to be delivered late, from its route's stage durations. Pure. */
export type { DurationHistogram } from './histogram.js';
export { convolve, histogramOf, quantile, survival, zeroHistogram } from './histogram.js';
export type { OrderPosition, RiskEstimate, RiskEstimator, RiskModelOptions, RiskStage, ScopeNorms, StageDurations } from './model.js';
export {
  COUNTRY_SCOPE,
  DEFAULT_RISK_MODEL_OPTIONS,
  DEFAULT_RISK_THRESHOLD,
  RISK_STAGES,
  RiskModel,
  customerStateScope,
  estimateWith,
  routeScope,
} from './model.js';
export type { OrderSteps } from './position.js';
export { checkpoints, positionAt } from './position.js';
export { MULTI_STATE, RiskNorms, UNKNOWN_STATE } from './norms.js';
