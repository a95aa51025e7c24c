import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { OlistDataset } from '../data/index.js';
import { loadOlist } from '../data/index.js';
import type { MarketplaceEvent } from '../events/index.js';
import { olistEvents } from '../events/index.js';
import type { Pacing, ReplayProgress, ReplaySummary } from '../replay/index.js';
import { replay } from '../replay/index.js';
import type { Runtime } from './deployment.js';
import { openRuntime } from './deployment.js';
import type { Settings } from './settings.js';

/** A dataset loaded for replay: its rows, its event sequence and where it was read. */
export interface ReplaySource {
  readonly dataDir: string;
  readonly dataset: OlistDataset;
  /** The whole event sequence, in event-time order. */
  readonly events: readonly MarketplaceEvent[];
}

export interface ReplayRun {
  readonly summary: ReplaySummary;
  readonly dataset: OlistDataset;
  /** Where the rows the loader quarantined were written; null when none were. */
  readonly quarantineFile: string | null;
}

export interface ReplayRunOptions {
  readonly pacing: Pacing;
  /** Replay events at or after this instant (the reference data from before it first). */
  readonly from?: number | undefined;
  /** Replay events before this instant. */
  readonly until?: number | undefined;
  /** Stops the replay after the batch in flight; run again to resume. */
  readonly signal?: AbortSignal | undefined;
  /** Resolves `settings.data` (default the process's working directory). */
  readonly cwd?: string | undefined;
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Replay into this runtime's log, left open; by default a runtime is opened for the replay and closed after it. */
  readonly runtime?: Runtime | undefined;
  /** The dataset, already loaded; by default `settings.data` is loaded. */
  readonly source?: ReplaySource | undefined;
  readonly onLoading?: ((dataDir: string) => void) | undefined;
  readonly onQuarantine?: ((rows: number, file: string) => void) | undefined;
  readonly onProgress?: ((progress: ReplayProgress) => void) | undefined;
}

/** Loads an Olist directory and turns it into its event sequence. */
export async function loadReplaySource(dataDir: string): Promise<ReplaySource> {
  const dataset = await loadOlist(dataDir);
  return { dataDir, dataset, events: olistEvents(dataset) };
}

/**
 * The rows the loader quarantined, one JSON object a line, in `<state>/quarantine.jsonl`, so a
 * replay that leaves rows out says which; null (and no file) when none were.
 */
export function writeReplayQuarantine(stateDir: string, dataset: OlistDataset): string | null {
  const rows = dataset.report.quarantine;
  if (rows.length === 0) return null;
  const file = join(stateDir, 'quarantine.jsonl');
  // In cluster mode nothing else may have created the state directory.
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(file, rows.map((q) => `${JSON.stringify(q)}\n`).join(''));
  return file;
}

/**
 * Loads a dataset (unless given) and replays it into the deployment's log with the settings' batch
 * size and partitions: what `replay`, `demo` and the live pipeline share.
 */
export async function runReplay(settings: Settings, options: ReplayRunOptions): Promise<ReplayRun> {
  let source = options.source;
  if (source === undefined) {
    const dataDir = resolve(options.cwd ?? process.cwd(), settings.data);
    options.onLoading?.(dataDir);
    source = await loadReplaySource(dataDir);
  }
  const runtime = options.runtime ?? openRuntime(settings, { env: options.env ?? process.env });
  try {
    const quarantineFile = writeReplayQuarantine(runtime.stateDir, source.dataset);
    if (quarantineFile !== null) options.onQuarantine?.(source.dataset.report.quarantine.length, quarantineFile);
    const summary = await replay({
      log: runtime.log,
      codec: await runtime.codec(),
      events: source.events,
      pacing: options.pacing,
      from: options.from,
      until: options.until,
      batchSize: settings.batchSize,
      partitions: settings.partitions,
      signal: options.signal,
      onProgress: options.onProgress,
    });
    return { summary, dataset: source.dataset, quarantineFile };
  } finally {
    if (options.runtime === undefined) await runtime.close();
  }
}
