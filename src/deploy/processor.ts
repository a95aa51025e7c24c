import type { BatchReport, EmittedChange, SnapshotExpiryPolicy, StreamProcessorOptions } from '../stream/index.js';
import { AlertCodec, DEFAULT_CHECKPOINT_POLICY, StreamProcessor } from '../stream/index.js';
import type { Runtime } from './deployment.js';
import type { Settings } from './settings.js';

/** What the caller of a processor follows, and which tasks it runs (all by default). */
export interface ProcessorHooks {
  readonly onAlerts?: ((changes: readonly EmittedChange[]) => void) | undefined;
  readonly onBatch?: ((batch: BatchReport) => void) | undefined;
  readonly tasks?: readonly number[] | undefined;
}

/**
 * Expiry while the processor runs: once a minute, snapshots older than ten minutes go, the newest
 * hundred of each table stay. Bronze commits about twice a second, so its metadata holds some
 * 1,200 snapshots at most instead of growing for as long as the processor runs; ten minutes is
 * twice the batch layer's default interval, so its incremental reads find the snapshot they start
 * from (`orderpulse maintain` expires further back with its own retention).
 */
export const STREAM_SNAPSHOT_EXPIRY: SnapshotExpiryPolicy = { everyMs: 60_000, retainLast: 100, olderThanMs: 10 * 60_000 };

/**
 * The stream processor's options from a runtime (its log, codec, lake and registry) and the
 * settings' stream configuration: one place for the wiring, whether the processor runs alone
 * (`openProcessor`) or in a consumer group (`runInGroup` takes these options).
 */
export async function processorOptions(runtime: Runtime, settings: Settings, hooks: ProcessorHooks = {}): Promise<StreamProcessorOptions> {
  const codec = await runtime.codec();
  return {
    log: runtime.log,
    codec,
    lake: await runtime.lake(),
    alertCodec: await AlertCodec.open(runtime.registry, { registerSchemas: runtime.registersSchemas }),
    config: {
      approvalHours: settings.approvalHours,
      allowedLatenessMs: settings.allowedLateness,
      escalateAfterMs: settings.escalateAfter,
      stateRetentionMs: settings.stateRetention,
      stuckAfterMs: settings.stuckAfter,
      riskThreshold: settings.riskThreshold,
    },
    maxBatchEvents: settings.maxBatch,
    idle: { afterMs: settings.idleAfter, advanceMs: settings.idleAdvance },
    checkpoint: { ...DEFAULT_CHECKPOINT_POLICY, everyRecords: settings.checkpointEvery },
    expiry: STREAM_SNAPSHOT_EXPIRY,
    ...(hooks.onAlerts === undefined ? {} : { onAlerts: hooks.onAlerts }),
    ...(hooks.onBatch === undefined ? {} : { onBatch: hooks.onBatch }),
    ...(hooks.tasks === undefined ? {} : { tasks: hooks.tasks }),
  };
}

/** Opens the processor over the runtime's log and lake (the input topics must exist). */
export async function openProcessor(runtime: Runtime, settings: Settings, hooks: ProcessorHooks = {}): Promise<StreamProcessor> {
  return StreamProcessor.open(await processorOptions(runtime, settings, hooks));
}
