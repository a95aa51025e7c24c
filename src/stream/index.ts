/**
 * The speed layer: the log loaded into the bronze Iceberg table exactly once, and the delay
 * detector (per-order state, event-time watermark, deadline timers, alert rules).
 */
export { loadBronze, BRONZE_EVENTS_TABLE, BRONZE_EVENTS, OFFSETS_PROPERTY } from './bronze.js';
export type { BronzeLoadResult } from './bronze.js';
export { DelayDetector, alertIdOf, localDaysBetween } from './detector.js';
export type { DelayDetectorOptions, DetectorStats, LateEvent } from './detector.js';
export { RULES, RULE_NAMES, STAGE_RULES, ALERT_STATES, CHANGE_KINDS, DEFAULT_STREAM_CONFIG, streamConfig } from './types.js';
export type { Alert, AlertChange, AlertState, ChangeKind, Rule, StageRule, StreamConfig, GradeWeight, OrderFacts } from './types.js';
export { TimerQueue } from './timers.js';
export { WatermarkTracker } from './watermark.js';
