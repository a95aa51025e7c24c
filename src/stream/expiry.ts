import type { IcebergTable } from '../lake/index.js';
import { StreamError } from './errors.js';

/**
 * Snapshot expiry while the processor runs. Every bronze batch is a commit, and `gold.open_alerts`
 * is rewritten every second or so: without expiry a processor left running for weeks keeps every
 * snapshot in its tables' metadata, every manifest list and every replaced file. The lake's expiry
 * keeps the newest `orderpulse.*` summary values (each task's offsets and positions), so expiring
 * never costs the processor its progress.
 */
export interface SnapshotExpiryPolicy {
  /** Run after this many bronze commits since the last run... */
  readonly everyCommits?: number;
  /** ...or once this long (ms, by the processor's clock) has passed since the last run, whichever comes first. */
  readonly everyMs?: number;
  /** The newest snapshots of each table always kept, whatever their age (1 or more). */
  readonly retainLast: number;
  /**
   * Only snapshots older than this (ms) are expired. Keep it above the batch layer's interval: an
   * incremental batch run whose last snapshot is gone reads its sources in full instead.
   */
  readonly olderThanMs: number;
}

export interface ExpiryRun {
  readonly expiredSnapshots: number;
  readonly deletedFiles: number;
  readonly ms: number;
}

/** When expiry is due, counting commits and time; `run` expires the tables given. */
export class ExpirySchedule {
  readonly policy: SnapshotExpiryPolicy;
  readonly #now: () => number;
  #commits = 0;
  #lastRun: number;

  constructor(policy: SnapshotExpiryPolicy, now: () => number) {
    const bad = (what: string, value: unknown): never => {
      throw new StreamError('OP_STREAM_BAD_OPTION', `snapshot expiry: ${what}, got ${JSON.stringify(value)}`, { details: { option: 'expiry', value } });
    };
    const positive = (name: keyof SnapshotExpiryPolicy, value: number | undefined): void => {
      if (value !== undefined && !(Number.isFinite(value) && value > 0)) bad(`${name} must be a positive number`, value);
    };
    positive('everyCommits', policy.everyCommits);
    positive('everyMs', policy.everyMs);
    if (policy.everyCommits === undefined && policy.everyMs === undefined) bad('give everyCommits, everyMs or both', policy);
    if (!Number.isInteger(policy.retainLast) || policy.retainLast < 1) bad('retainLast must be a whole number, 1 or more', policy.retainLast);
    if (!(Number.isFinite(policy.olderThanMs) && policy.olderThanMs >= 0)) bad('olderThanMs must be 0 or more', policy.olderThanMs);
    this.policy = policy;
    this.#now = now;
    this.#lastRun = now();
  }

  /** Counts one commit; true when a run is due (the count and the time restart then). */
  committed(): boolean {
    this.#commits++;
    const { everyCommits, everyMs } = this.policy;
    const due = (everyCommits !== undefined && this.#commits >= everyCommits) || (everyMs !== undefined && this.#now() - this.#lastRun >= everyMs);
    if (due) {
      this.#commits = 0;
      this.#lastRun = this.#now();
    }
    return due;
  }

  /** Expires each table in turn by the policy's retention. */
  async run(tables: readonly IcebergTable[]): Promise<ExpiryRun> {
    const started = performance.now();
    let expiredSnapshots = 0;
    let deletedFiles = 0;
    const olderThanMs = this.#now() - this.policy.olderThanMs;
    for (const table of tables) {
      const result = await table.expireSnapshots({ olderThanMs, retainLast: this.policy.retainLast });
      expiredSnapshots += result.expiredSnapshots;
      deletedFiles += result.deletedFiles;
    }
    return { expiredSnapshots, deletedFiles, ms: performance.now() - started };
  }
}
