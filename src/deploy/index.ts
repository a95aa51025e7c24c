/**
 * The deploy room, the composition root: the settings of a deployment (defaults, environment,
 * config file and flags, each value validated once and reported with its source), the runtime that
 * opens one (the embedded store, or Kafka and a shared registry; the codec; the lake), the
 * schemas it registers before anything writes, and the parts run on a runtime: the stream
 * processor, the batch schedule beside it, a dataset's replay, and the live pipeline that runs them
 * all (`orderpulse start`). The CLI, a server, tests and benchmarks wire the parts through this room
 * and nowhere else.
 */
export { ConfigError } from './errors.js';
export { DEFAULTS, DEFAULT_CONFIG_FILE, durationMs, resolveSettings } from './settings.js';
export type { ResolveInput, ResolvedSettings, SettingSource, Settings } from './settings.js';
export { KAFKA_CLIENT_ID, STORE_FILE, openRuntime } from './deployment.js';
export type { Runtime, RuntimeOptions } from './deployment.js';
export { registerTopicSchemas, schemasToRegister } from './schemas.js';
export type { RegisteredSubject, SchemaToRegister } from './schemas.js';
export { openProcessor, processorOptions, streamSnapshotExpiry } from './processor.js';
export type { ProcessorHooks } from './processor.js';
export { StreamBatch } from './batch-schedule.js';
export type { StreamBatchOptions } from './batch-schedule.js';
export { loadReplaySource, runReplay, writeReplayQuarantine } from './replay.js';
export type { ReplayRun, ReplayRunOptions, ReplaySource } from './replay.js';
export { LIVE_DEFAULTS, LIVE_DIR, LivePipeline, livePacing, liveStateDir } from './live.js';
export type { HistoryReport, LiveOptions, LivePace, LivePhase, LiveStatus, LiveStep } from './live.js';
export { openMetrics } from './metrics.js';
export { boundHeapGrowth, PROCESSOR_HEAP_GROWING_PERCENT } from './heap.js';
