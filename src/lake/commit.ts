import { channel } from 'node:diagnostics_channel';
import { LakeError } from './errors.js';

/**
 * The commit path, as a small explicit state machine: refresh the table, apply the change on that
 * base (write manifests, the manifest list and the next metadata file), then swap the catalog
 * pointer. One of three outcomes ends an attempt:
 * - conflict: the table moved on; clean up this attempt's files, back off, go round again;
 * - failed: the change cannot land; clean up everything it wrote;
 * - unknown: the swap may or may not have landed; stop, keep every file, let the caller reconcile.
 * Attempts are bounded. Each outcome is published on the `orderpulse:lake:commit` channel.
 */
export const commitChannel = channel('orderpulse:lake:commit');
/** Each data file written (before its commit: a file of a failed commit counts, as its bytes were written). */
export const fileWrittenChannel = channel('orderpulse:lake:file');

export interface FileWrittenEvent {
  readonly table: string;
  readonly bytes: number;
}

export interface CommitRetryPolicy {
  /** Attempts in all, the first included (Iceberg's commit.retry.num-retries + 1). */
  readonly attempts: number;
  readonly minWaitMs: number;
  readonly maxWaitMs: number;
}

// Ten attempts with backoff ride out several writers committing to one table every few hundred
// milliseconds (stream processors sharing tasks), at a cost of about ten seconds in the worst case.
export const DEFAULT_COMMIT_RETRY: CommitRetryPolicy = { attempts: 10, minWaitMs: 50, maxWaitMs: 2_000 };

/** What one attempt wrote, so a failed or conflicting attempt can remove it. */
export interface AttemptFiles {
  readonly locations: readonly string[];
}

export interface CommitAttempt<T> {
  /** The result when the swap lands, and the files this attempt wrote. */
  readonly result: T;
  readonly files: AttemptFiles;
  /** Points the catalog at the new metadata; throws OP_LAKE_COMMIT_CONFLICT when the base is stale. */
  swap(): Promise<void>;
}

export interface CommitEvent {
  readonly table: string;
  readonly attempt: number;
  readonly outcome: 'committed' | 'conflict' | 'failed' | 'unknown';
  readonly error?: string;
  /** Committed only: wall seconds from the first attempt's start to the landed swap. */
  readonly durationSeconds?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `prepare` (refresh + apply, on the latest base) and the swap until one lands, retrying only
 * on conflicts. `cleanup` deletes files; it is never called for an unknown outcome.
 */
export async function commitWithRetry<T>(options: {
  readonly table: string;
  readonly policy?: CommitRetryPolicy;
  readonly prepare: (attempt: number) => Promise<CommitAttempt<T>>;
  readonly cleanup: (locations: readonly string[]) => Promise<void>;
}): Promise<T> {
  const policy = options.policy ?? DEFAULT_COMMIT_RETRY;
  let lastConflict: unknown = null;
  const started = performance.now();
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    let prepared: CommitAttempt<T> | null = null;
    try {
      prepared = await options.prepare(attempt);
      await prepared.swap();
      commitChannel.publish({ table: options.table, attempt, outcome: 'committed', durationSeconds: (performance.now() - started) / 1000 } satisfies CommitEvent);
      return prepared.result;
    } catch (error) {
      const code = error instanceof LakeError ? error.code : null;
      if (code === 'OP_LAKE_COMMIT_STATE_UNKNOWN') {
        commitChannel.publish({ table: options.table, attempt, outcome: 'unknown', error: String(error) } satisfies CommitEvent);
        throw error;
      }
      if (prepared !== null) await options.cleanup(prepared.files.locations).catch(() => undefined);
      if (code !== 'OP_LAKE_COMMIT_CONFLICT') {
        commitChannel.publish({ table: options.table, attempt, outcome: 'failed', error: String(error) } satisfies CommitEvent);
        throw error;
      }
      commitChannel.publish({ table: options.table, attempt, outcome: 'conflict' } satisfies CommitEvent);
      lastConflict = error;
      const wait = Math.min(policy.maxWaitMs, policy.minWaitMs * 2 ** (attempt - 1));
      await sleep(wait * (0.5 + Math.random() / 2));
    }
  }
  throw new LakeError(
    'OP_LAKE_COMMIT_CONFLICT',
    `commit to ${options.table} lost to concurrent commits ${policy.attempts} times in a row; nothing was committed`,
    { details: { table: options.table, attempts: policy.attempts }, cause: lastConflict, retryable: true },
  );
}
