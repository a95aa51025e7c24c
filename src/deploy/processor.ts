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
 * Expiry while the processor runs: snapshots older than twice the batch interval go, the newest
 * hundred of each table stay; it runs every quarter of that age, at least every minute.
 *
 * The age is what the batch layer needs: an incremental run starts from the snapshot the run before
 * consumed, one interval ago, and reads everything again when that snapshot is gone. Any shorter and
 * the batch runs in full; any longer and the metadata only grows. For it grows with the rate of
 * commits, not of events: a live processor commits as soon as its last commit is done, whatever
 * arrived meanwhile, 15–20 times a second on the sample's live pace, and every commit rewrites a
 * metadata file that holds every snapshot kept (about 1 KB each). Kept ten minutes there, bronze held
 * over 5,000 snapshots and a commit took twice as long as at the start (docs/benchmarks.md, Soak).
 * The 5-minute default keeps ten minutes, as before; `start`, which batches every 30 seconds, one.
 * (`orderpulse maintain` expires further back with its own retention.)
 */
export function streamSnapshotExpiry(batchIntervalMs: number): SnapshotExpiryPolicy {
  const olderThanMs = 2 * batchIntervalMs;
  return { everyMs: Math.min(60_000, Math.max(1_000, olderThanMs / 4)), retainLast: 100, olderThanMs };
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
      riskThreshold: settings.riskThreshold,
    },
    maxBatchEvents: settings.maxBatch,
    idle: { afterMs: settings.idleAfter, advanceMs: settings.idleAdvance },
    checkpoint: { ...DEFAULT_CHECKPOINT_POLICY, everyRecords: settings.checkpointEvery },
    expiry: streamSnapshotExpiry(settings.batchInterval),
    ...(hooks.onAlerts === undefined ? {} : { onAlerts: hooks.onAlerts }),
    ...(hooks.onBatch === undefined ? {} : { onBatch: hooks.onBatch }),
    ...(hooks.tasks === undefined ? {} : { tasks: hooks.tasks }),
  };
}

/** Opens the processor over the runtime's log and lake (the input topics must exist). */
export async function openProcessor(runtime: Runtime, settings: Settings, hooks: ProcessorHooks = {}): Promise<StreamProcessor> {
  return StreamProcessor.open(await processorOptions(runtime, settings, hooks));
}
