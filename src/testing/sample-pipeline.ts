import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadOlist, writeOlist } from '../data/index.js';
import type { MarketplaceEvent } from '../events/index.js';
import { EmbeddedSchemaRegistry, EventCodec, olistEvents } from '../events/index.js';
import { Lake } from '../lake/index.js';
import { SqliteEventLog } from '../log/index.js';
import { replay, scaleDataset } from '../replay/index.js';
import { AlertCodec, StreamProcessor, ingestReference } from '../stream/index.js';
import { openEmbeddedStore } from '../store/index.js';
import { sampleDir } from './fixtures.js';
import { runBatch } from '../batch/index.js';

/** An embedded pipeline up to bronze, for the batch layer's tests and benchmarks. */
export interface SamplePipeline {
  readonly state: string;
  readonly lake: Lake;
  /**
   * Replays the events before `until` (all: undefined) into the log, runs the stream processor
   * until it is idle (the idle policy at once, to the newest event) and ingests the reference events.
   */
  feed(until?: number): Promise<void>;
  /** The stream processor, once the first `feed` opened it. */
  readonly processor: StreamProcessor | null;
  close(): Promise<void>;
}

/** The bundled sample's events. */
export async function sampleEvents(): Promise<readonly MarketplaceEvent[]> {
  return olistEvents(await loadOlist(sampleDir));
}

/**
 * The sample scaled up `scale` times (SYNTHETIC data, for benchmarks), as events: written as Olist
 * files under `workDir` and loaded back, as `orderpulse synth` then `replay` would, then removed.
 */
export async function scaledSampleEvents(scale: number, workDir: string): Promise<MarketplaceEvent[]> {
  const dir = join(workDir, `olist-x${scale}`);
  await writeOlist(scaleDataset(await loadOlist(sampleDir), scale), dir, { note: `SYNTHETIC benchmark data (scale ${scale}).` });
  try {
    return olistEvents(await loadOlist(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A pipeline in `state`, laid out as the command line lays it out (the embedded store
 * `orderpulse.db`, the warehouse and the lake's temporary files beside it), so the command line can
 * open the same state. Topics get 3 partitions unless `partitions` says otherwise.
 */
export async function openSamplePipeline(
  state: string,
  events: readonly MarketplaceEvent[],
  options: {
    readonly partitions?: number;
    /** How often the processor looks for new grades and risk norms, wall-clock ms (default the processor's). */
    readonly checkEveryMs?: number;
  } = {},
): Promise<SamplePipeline> {
  const db = openEmbeddedStore(join(state, 'orderpulse.db'));
  const log = new SqliteEventLog(db);
  const registry = new EmbeddedSchemaRegistry(db);
  const codec = await EventCodec.open(registry, { registerSchemas: true });
  const lake = await Lake.open({ catalogUri: join(state, 'orderpulse.db'), warehouse: join(state, 'warehouse'), tempDir: join(state, 'tmp') });
  const alertCodec = await AlertCodec.open(registry, { registerSchemas: true });
  let processor: StreamProcessor | null = null;
  return {
    state,
    lake,
    get processor() {
      return processor;
    },
    async feed(until) {
      await replay({ log, codec, events, pacing: { mode: 'max' }, partitions: options.partitions ?? 3, ...(until === undefined ? {} : { until }) });
      // Opened once the topics exist: the first replay creates them.
      processor ??= await StreamProcessor.open({
        log,
        codec,
        lake,
        alertCodec,
        idle: { afterMs: 0, advanceMs: 0 },
        ...(options.checkEveryMs === undefined ? {} : { gradesCheckEveryMs: options.checkEveryMs }),
      });
      await processor.run({ untilIdle: true });
      await ingestReference({ log, codec, lake });
    },
    async close() {
      await lake.close();
      await log.close();
      await registry.close();
      db.close();
    },
  };
}

/**
 * A state directory as `orderpulse serve` finds it after a whole run: `events` replayed, streamed
 * and batch-processed once, then everything closed, so a runtime can open it.
 */
export async function writeSampleState(state: string, events: readonly MarketplaceEvent[], options: { readonly partitions?: number } = {}): Promise<void> {
  const pipeline = await openSamplePipeline(state, events, options);
  try {
    await pipeline.feed();
    await runBatch(pipeline.lake);
  } finally {
    await pipeline.close();
  }
}
