import type { BatchReport, EmittedChange, StreamProcessorOptions } from '../stream/index.js';
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
    },
    maxBatchEvents: settings.maxBatch,
    idle: { afterMs: settings.idleAfter, advanceMs: settings.idleAdvance },
    checkpoint: { ...DEFAULT_CHECKPOINT_POLICY, everyRecords: settings.checkpointEvery },
    ...(hooks.onAlerts === undefined ? {} : { onAlerts: hooks.onAlerts }),
    ...(hooks.onBatch === undefined ? {} : { onBatch: hooks.onBatch }),
    ...(hooks.tasks === undefined ? {} : { tasks: hooks.tasks }),
  };
}

/** Opens the processor over the runtime's log and lake (the input topics must exist). */
export async function openProcessor(runtime: Runtime, settings: Settings, hooks: ProcessorHooks = {}): Promise<StreamProcessor> {
  return StreamProcessor.open(await processorOptions(runtime, settings, hooks));
}
