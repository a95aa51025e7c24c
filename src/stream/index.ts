/**
 * The speed layer: the stream processor (the log → bronze exactly once → the delay detector → alerts
 * on a topic and in gold tables), the reference events into bronze exactly once, and the pure core
 * (per-order state, event-time watermark, deadline timers, alert rules).
 */
export { StreamProcessor, DEFAULT_IDLE_POLICY } from './processor.js';
export { DEFAULT_CHECKPOINT_POLICY, checkpointProperty, checkpointText } from './checkpoint.js';
export type { CheckpointPolicy } from './checkpoint.js';
export { runInGroup } from './group.js';
export { ExpirySchedule } from './expiry.js';
export type { SnapshotExpiryPolicy, ExpiryRun } from './expiry.js';
export type { GroupRunOptions, GroupRunReport } from './group.js';
export type { StreamProcessorOptions, IdlePolicy, BatchReport, RecoveryReport, RunOptions, RunReport, EmittedChange } from './processor.js';
export {
  BRONZE_EVENTS_TABLE,
  LATE_EVENTS_TABLE,
  ALERT_EVENTS_TABLE,
  OPEN_ALERTS_TABLE,
  BRONZE_EVENTS,
  ALERT_EVENTS,
  OPEN_ALERTS,
  offsetsProperty,
  positionProperty,
  watermarkProperty,
  UNDECODABLE_EVENT_TYPE,
} from './tables.js';
export type { StreamPosition, PositionedChange, TaskId } from './tables.js';
export { REFERENCE_EVENTS_TABLE, REFERENCE_EVENTS, REFERENCE_TOPICS, REFERENCE_OFFSETS_PROPERTY, ingestReference } from './reference.js';
export type { ReferenceIngestOptions, ReferenceIngestReport } from './reference.js';
export { ReferenceIngest } from './reference-ingest.js';
export type { ReferenceSources } from './reference-ingest.js';
export { AlertCodec, ALERTS_TOPIC, ALERTS_SCHEMA_FILE } from './alert-codec.js';
export { batchChannel, fencingChannel, rebuildChannel } from './channels.js';
export type { StreamBatchEvent, StreamAlertEvent, StreamTaskState, StreamFencingEvent, StreamRebuildEvent } from './channels.js';
export { StreamError } from './errors.js';
export { PRODUCT_GRADES_TABLE, GRADES, GRADE_WEIGHTS, DEFAULT_GRADE_WEIGHT, GRADES_CHECK_EVERY_MS, ProductGrades, gradeWeightFrom } from './grades.js';
export type { Grade } from './grades.js';
export { DelayDetector, alertIdOf, localDaysBetween } from './detector.js';
export type { DelayDetectorOptions, DetectorStats, LateEvent, RiskSource } from './detector.js';
export { RISK_CHECK_EVERY_MS, RISK_NORMS_PROPERTY, RISK_TRIGGER_TABLE, RiskFollower, formatRiskPin, parseRiskPin, readRiskNorms } from './risk-follower.js';
export type { RiskFollowerOptions, RiskPin } from './risk-follower.js';
export { RULES, RULE_NAMES, STAGE_RULES, ALERT_STATES, CHANGE_KINDS, DEFAULT_STREAM_CONFIG, RISK_HYSTERESIS, RISK_STEP, streamConfig } from './types.js';
export type { Alert, AlertChange, AlertRisk, AlertState, ChangeKind, Rule, StageRule, StreamConfig, GradeWeight, OrderFacts } from './types.js';
export { newOrderState, applyOrderEvent, stageDeadline, stageSatisfiedAt, overdueFrom } from './order-state.js';
export type { OrderState } from './order-state.js';
export { TimerQueue } from './timers.js';
export { WatermarkTracker } from './watermark.js';
export type { DetectorSnapshot, OrderSnapshot, DetectorCounters } from './detector-snapshot.js';
