import type { EventCodec } from '../events/index.js';
import { TOPICS } from '../events/index.js';
import type { CreateTableOptions, IcebergTable, Lake } from '../lake/index.js';
import { LakeError } from '../lake/index.js';
import type { EventLog, TopicDescription } from '../log/index.js';
import { isLogError } from '../log/index.js';
import { StreamError } from './errors.js';
import type { InputRecord } from './merge.js';
import { LogMerger, NEED_FETCH, partitionKey } from './merge.js';
import { RecordRows, recordColumnDefinitions } from './tables.js';

/**
 * Reference data into bronze: every record of the `customers`, `sellers` and `products` topics
 * (CustomerUpserted, SellerUpserted, ProductUpserted) as one row of `bronze.reference_events`,
 * exactly once, for the batch layer to join orders with.
 *
 * These topics have no deadlines and no per-order state, so they take no part in the stream
 * processor's tasks: a pass reads them from where the table says it stopped to the end of the log
 * and appends them. Each commit records, in its snapshot summary, the log offsets its rows reach
 * (`orderpulse.log-offsets.reference`) and lands only while that property still holds the offsets
 * the pass started from. Rows and offsets are one commit, so a crash at any point leaves either
 * both or neither; and of two ingestors reading the same records (members of a consumer group,
 * each running passes), one commit lands and the other is refused, re-reads the offsets the winner
 * recorded and goes on from there. No record is written twice, none is skipped.
 */

export const REFERENCE_EVENTS_TABLE = 'bronze.reference_events';

/** The topics whose records go to `bronze.reference_events`. */
export const REFERENCE_TOPICS: readonly string[] = [TOPICS.customers, TOPICS.sellers, TOPICS.products];

/**
 * Summary property of `bronze.reference_events`: the next log offset to read per partition of the
 * reference topics, `{"customers/0": 812, "products/2": 95, ...}`.
 */
export const REFERENCE_OFFSETS_PROPERTY = 'orderpulse.log-offsets.reference';

// The columns `bronze.order_events` has before its processing columns, filled the same way
// (`RecordRows`), so the batch layer reads both tables alike. The tables are small (one row per
// customer, seller and product sent): unpartitioned.
export const REFERENCE_EVENTS: CreateTableOptions = {
  columns: recordColumnDefinitions('The partitioning key: customer_id, seller_id or product_id'),
};

export interface ReferenceIngestOptions {
  readonly log: EventLog;
  readonly codec: EventCodec;
  readonly lake: Lake;
  /** Rows per commit at most (default 10,000). */
  readonly maxRecords?: number;
  /** Stops the pass after the commit in flight; what was committed stays. */
  readonly signal?: AbortSignal;
}

export interface ReferenceIngestReport {
  /** Rows this pass appended. */
  readonly appended: number;
  /** The snapshot of this pass's last commit; null when it committed nothing. */
  readonly snapshotId: bigint | null;
}

const DEFAULT_MAX_RECORDS = 10_000;

/**
 * One pass: appends every reference record the table lacks, up to the end the log had when the
 * pass began (records appended meanwhile are the next pass's), in commits of up to `maxRecords`
 * rows. On a log without reference topics, or with nothing new, it touches nothing and returns 0;
 * the table is created with its first rows.
 */
export async function ingestReference(options: ReferenceIngestOptions): Promise<ReferenceIngestReport> {
  const { log, codec, lake, signal } = options;
  const maxRecords = options.maxRecords ?? DEFAULT_MAX_RECORDS;
  if (!Number.isSafeInteger(maxRecords) || maxRecords < 1) {
    throw new StreamError('OP_STREAM_BAD_OPTION', `maxRecords must be a positive integer, got ${String(maxRecords)}`, { details: { maxRecords } });
  }
  let appended = 0;
  let snapshotId: bigint | null = null;
  let table: IcebergTable | null = null;
  const report = (): ReferenceIngestReport => ({ appended, snapshotId });
  const stopped = (): boolean => signal?.aborted === true;

  // One round per start from the recorded offsets: a lost race starts a new round from the winner's.
  while (!stopped()) {
    const topics = await referenceTopics(log);
    const ends = new Map<string, number>();
    const beginnings = new Map<string, number>();
    for (const topic of topics) {
      for (let partition = 0; partition < topic.partitions; partition++) {
        ends.set(partitionKey(topic.name, partition), topic.endOffsets[partition] ?? 0);
        beginnings.set(partitionKey(topic.name, partition), topic.beginningOffsets[partition] ?? 0);
      }
    }
    // A log that has never held a reference record creates no table: the batch layer then sees
    // no source yet rather than an empty one.
    if (table === null && [...ends].every(([key, end]) => end <= (beginnings.get(key) ?? 0))) return report();

    table ??= await lake.ensureTable(REFERENCE_EVENTS_TABLE, REFERENCE_EVENTS);
    await table.refresh();
    let recordedText = table.lastSummaryValue(REFERENCE_OFFSETS_PROPERTY);
    let recorded = parseOffsets(recordedText);
    const startOf = (key: string): number => Math.max(recorded[key] ?? 0, beginnings.get(key) ?? 0);
    if ([...ends].every(([key, end]) => startOf(key) >= end)) return report();

    const merger = new LogMerger({
      log,
      codec,
      partitions: topics.flatMap((topic) =>
        Array.from({ length: topic.partitions }, (_, partition) => ({ topic: topic.name, partition, offset: startOf(partitionKey(topic.name, partition)) })),
      ),
    });
    let lost = false;
    while (!stopped()) {
      const inputs = await take(merger, maxRecords);
      if (inputs.length === 0) return report();
      const offsets = sortedOffsets({ ...recorded, ...merger.consumedOffsets() });
      const offsetsText = JSON.stringify(offsets);
      const summary = { [REFERENCE_OFFSETS_PROPERTY]: offsetsText };
      const ingestTime = Date.now();
      const rows = new RecordRows();
      for (const input of inputs) rows.add(input, ingestTime);
      try {
        const commit = await table.append(rows.columns(), { summary, expect: { [REFERENCE_OFFSETS_PROPERTY]: recordedText } });
        snapshotId = commit.snapshotId;
      } catch (error) {
        if (!(error instanceof LakeError && error.code === 'OP_LAKE_PRECONDITION_FAILED')) throw error;
        // Another ingestor committed records of this range first (nothing of this commit landed).
        lost = true;
        break;
      }
      appended += rows.rowCount;
      recordedText = offsetsText;
      recorded = offsets;
      if ([...ends].every(([key, end]) => (recorded[key] ?? 0) >= end)) return report();
    }
    if (!lost) break;
  }
  return report();
}

/** Up to `max` records of the merged reference partitions; fewer at the end of the log. */
async function take(merger: LogMerger, max: number): Promise<InputRecord[]> {
  const inputs: InputRecord[] = [];
  while (inputs.length < max) {
    const next = merger.take();
    if (next === NEED_FETCH) {
      await merger.fetch();
      continue;
    }
    if (next === null) break;
    inputs.push(next);
  }
  return inputs;
}

/** The reference topics the log has (a replay creates them with its first reference event). */
async function referenceTopics(log: EventLog): Promise<readonly TopicDescription[]> {
  try {
    return await log.describeTopics(REFERENCE_TOPICS);
  } catch (error) {
    if (!isLogError(error, 'OP_LOG_UNKNOWN_TOPIC')) throw error;
  }
  // Some are missing: ask for each alone, leaving out the ones that do not exist yet. (Listing every
  // topic instead would describe every topic of a shared Kafka cluster.)
  const found: TopicDescription[] = [];
  for (const name of REFERENCE_TOPICS) {
    try {
      found.push(...(await log.describeTopics([name])));
    } catch (error) {
      if (!isLogError(error, 'OP_LOG_UNKNOWN_TOPIC')) throw error;
    }
  }
  return found;
}

/** Reads the recorded offsets; checked, not trusted: a malformed value must not skip or repeat records. */
function parseOffsets(text: string | null): Record<string, number> {
  if (text === null) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = null;
  }
  const valid =
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((offset) => typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0);
  if (!valid) {
    throw new StreamError('OP_STREAM_BAD_OFFSETS', `${REFERENCE_EVENTS_TABLE}: ${REFERENCE_OFFSETS_PROPERTY} is not a map of log offsets: ${text}`, {
      details: { table: REFERENCE_EVENTS_TABLE, property: REFERENCE_OFFSETS_PROPERTY },
    });
  }
  return { ...(value as Record<string, number>) };
}

/** Offsets in key order, so equal positions give equal summary text. */
function sortedOffsets(offsets: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(offsets).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
