import type { Durability, SqliteDatabase } from '../store/index.js';
import { openEmbeddedStore } from '../store/index.js';
import { LogError } from './errors.js';
import { Partitioner } from './partitioner.js';
import { BATCH_LIMITS, decodeRecordBatch, encodeRecordBatch } from './record-batch.js';
import {
  DEFAULT_MAX_RECORDS,
  MAX_PARTITIONS,
  checkConsumerOptions,
  checkFetchRequests,
  checkOffset,
  checkPartition,
  checkPollTimeout,
  checkPositiveInt,
  checkRecord,
  checkGroup,
  checkTopicSpec,
  isArray,
} from './validation.js';
import { observedAppend, observedFetch, observedPartitionReads } from './channels.js';
import type {
  CommittedOffset,
  Consumer,
  ConsumerOptions,
  EventLog,
  FetchRequest,
  LogRecord,
  PartitionLag,
  PartitionRead,
  ProducerRecord,
  RecordPosition,
  TopicDescription,
  TopicSpec,
} from './types.js';

/**
 * The embedded event log: Kafka-shaped topics, partitions and offsets in SQLite tables (prefixed
 * `log_`) inside the embedded store. Several processes may open the same file: appends take the
 * write lock (`BEGIN IMMEDIATE`) and read each partition's end offset inside that transaction, so
 * offsets never collide; consumers re-read end offsets from the file while they wait, so they see
 * records appended by other processes.
 *
 * Layout (schema version 2), Kafka's record batches: an append's records for one partition are
 * packed into one BLOB (format in `record-batch.ts`) stored as one row of `log_batches` with the
 * batch's first and last offsets; a large slice is split into several rows at the batch limits
 * (`BATCH_LIMITS`: 256 KiB or 4096 records), so fetching a few records never decodes a huge BLOB. A fetch finds the
 * batch holding its offset (the greatest base_offset at or below it) and reads on from there by the
 * (topic_id, partition, base_offset) index. `log_batches` is a rowid table, not WITHOUT ROWID: its
 * rows are tens of KB, and a WITHOUT ROWID B-tree keeps such rows in its interior pages too (measured
 * with ~27 KB rows: appends twice and point fetches seven times slower). An append checks and places
 * every record first; then, in its write transaction, it reads each partition's end offset, encodes
 * and inserts the partition's batches, and moves the end offset, kept in `log_partitions` (Kafka's
 * log end offset survives even if records are one day deleted). Batches are encoded into one reused
 * buffer, each just before its insert: SQLite copies a bound BLOB, and a fresh buffer per batch
 * costs measurably in allocation and GC.
 *
 * better-sqlite3 is synchronous: every call runs on the calling thread and the promises it returns
 * are already settled work. A transaction that waits for another process's write lock blocks the
 * thread for up to the store's busy timeout.
 */

/** 2: record batches (`log_batches`). 1 stored one row per record (`log_records`); it is refused. */
export const LOG_SCHEMA_VERSION = 2;

export { MAX_PARTITIONS } from './validation.js';

const DEFAULT_POLL_INTERVAL_MS = 25;
/**
 * How much WAL the log lets build up before a checkpoint: ~40 MB, 10,000 pages of 4 KB (SQLite's
 * own default is 1000 pages). The threshold is set in pages, so it is scaled by the file's page size.
 */
export const DEFAULT_WAL_AUTOCHECKPOINT_BYTES = 10_000 * 4096;
const SQLITE_DEFAULT_WAL_AUTOCHECKPOINT = 1000;

const META_SCHEMA = `
CREATE TABLE IF NOT EXISTS log_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
`;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS log_topics (
  topic_id   INTEGER PRIMARY KEY,
  name       TEXT NOT NULL UNIQUE,
  partitions INTEGER NOT NULL CHECK (partitions > 0),
  created_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS log_partitions (
  topic_id     INTEGER NOT NULL REFERENCES log_topics (topic_id),
  "partition"  INTEGER NOT NULL,
  start_offset INTEGER NOT NULL,
  end_offset   INTEGER NOT NULL,
  PRIMARY KEY (topic_id, "partition")
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS log_batches (
  batch_id    INTEGER PRIMARY KEY,
  topic_id    INTEGER NOT NULL,
  "partition" INTEGER NOT NULL,
  base_offset INTEGER NOT NULL,
  last_offset INTEGER NOT NULL,
  records     BLOB NOT NULL
);

CREATE UNIQUE INDEX IF NOT EXISTS log_batches_by_offset ON log_batches (topic_id, "partition", base_offset);

CREATE TABLE IF NOT EXISTS log_group_offsets (
  group_id     TEXT NOT NULL,
  topic_id     INTEGER NOT NULL REFERENCES log_topics (topic_id),
  "partition"  INTEGER NOT NULL,
  "offset"     INTEGER NOT NULL,
  committed_at INTEGER NOT NULL,
  PRIMARY KEY (group_id, topic_id, "partition")
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS log_group_topics (
  group_id TEXT NOT NULL,
  topic_id INTEGER NOT NULL REFERENCES log_topics (topic_id),
  PRIMARY KEY (group_id, topic_id)
) WITHOUT ROWID;
`;

export interface SqliteEventLogOptions {
  /** Close the database when the log closes (`openSqliteEventLog` sets this). Default false. */
  readonly ownsDatabase?: boolean;
  /**
   * How often a waiting `poll` re-reads end offsets from the file to notice records appended by
   * other processes (default 25 ms). Appends through this same log object wake it at once.
   */
  readonly pollIntervalMs?: number;
  /**
   * The connection's WAL auto-checkpoint threshold (`PRAGMA wal_autocheckpoint`, in pages). When
   * undefined, a connection still at SQLite's default (1000 pages, ~4 MB) is raised to
   * {@link DEFAULT_WAL_AUTOCHECKPOINT_BYTES} worth of pages; an explicit setting is left alone. `null` leaves the
   * connection alone whatever it holds. Fewer, larger checkpoints (each one an fsync of the main file)
   * make bulk appends much faster; the cost is a WAL file of up to ~40 MB.
   */
  readonly walAutocheckpointPages?: number | null;
}

export interface OpenSqliteEventLogOptions extends Omit<SqliteEventLogOptions, 'ownsDatabase'> {
  readonly durability?: Durability;
}

/** Opens (creating when needed) the embedded store at `path` and the event log inside it. */
export function openSqliteEventLog(path: string, options: OpenSqliteEventLogOptions = {}): SqliteEventLog {
  const db = openEmbeddedStore(path, options.durability === undefined ? {} : { durability: options.durability });
  try {
    return new SqliteEventLog(db, { ...options, ownsDatabase: true });
  } catch (error) {
    db.close();
    throw error;
  }
}

interface TopicMeta {
  readonly id: number;
  readonly name: string;
  readonly partitions: number;
}

/** The records of one append that go to one partition, and their indexes in the input. */
interface PartitionSlice {
  readonly meta: TopicMeta;
  readonly partition: number;
  readonly records: ProducerRecord[];
  readonly indexes: number[];
  /** The offset of the slice's first record, set inside the transaction. */
  baseOffset: number;
}

/** A stored batch as `raw()` returns it: base offset, last offset, records. */
type BatchRow = [number, number, Buffer];

function rejected(error: unknown): Promise<never> {
  return Promise.reject(error instanceof Error ? error : new Error(String(error)));
}

function isSqliteError(error: unknown): error is Error & { code: string } {
  if (!(error instanceof Error)) return false;
  const code: unknown = (error as Error & { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_');
}

/** Turns SQLite failures into log errors; lets log errors through. */
function storageError(error: unknown, action: string): unknown {
  if (error instanceof LogError || !isSqliteError(error)) return error;
  if (error.code === 'SQLITE_BUSY' || error.code.startsWith('SQLITE_BUSY_')) {
    return new LogError('OP_LOG_BUSY', `${action}: the store is locked by another process (${error.message})`, {
      retryable: true,
      cause: error,
      details: { sqliteCode: error.code },
    });
  }
  return new LogError('OP_LOG_STORAGE', `${action}: ${error.message}`, {
    cause: error,
    details: { sqliteCode: error.code },
  });
}

export class SqliteEventLog implements EventLog {
  readonly kind = 'embedded';

  private readonly db: SqliteDatabase;
  private readonly ownsDatabase: boolean;
  private readonly pollIntervalMs: number;
  private readonly partitioner = new Partitioner();
  private readonly topics = new Map<string, TopicMeta>();
  private readonly topicsById = new Map<number, TopicMeta>();
  /** Resolvers of polls waiting for records; an append through this object wakes them. */
  private readonly waiters = new Set<() => void>();
  private readonly activeGroups = new Map<string, SqliteConsumer>();
  private closed = false;
  /** Where appends encode batches (BATCH_LIMITS.maxBytes; a larger single record gets its own buffer). */
  private scratch: Buffer | undefined;

  private readonly stmt: ReturnType<SqliteEventLog['prepareStatements']>;
  private readonly appendTx: { immediate: (slices: Iterable<PartitionSlice>) => void };

  constructor(db: SqliteDatabase, options: SqliteEventLogOptions = {}) {
    this.db = db;
    this.ownsDatabase = options.ownsDatabase ?? false;
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    if (!(this.pollIntervalMs > 0)) throw new LogError('OP_LOG_BAD_REQUEST', 'pollIntervalMs must be positive');
    try {
      const pages = options.walAutocheckpointPages;
      if (pages === undefined) {
        if (db.pragma('wal_autocheckpoint', { simple: true }) === SQLITE_DEFAULT_WAL_AUTOCHECKPOINT) {
          const pageSize = db.pragma('page_size', { simple: true }) as number;
          db.pragma(`wal_autocheckpoint = ${Math.ceil(DEFAULT_WAL_AUTOCHECKPOINT_BYTES / pageSize)}`);
        }
      } else if (pages !== null) {
        db.pragma(`wal_autocheckpoint = ${checkPositiveInt(pages, 'walAutocheckpointPages')}`);
      }
      this.migrate();
      this.stmt = this.prepareStatements();
      this.appendTx = db.transaction((slices: Iterable<PartitionSlice>) => this.appendInTransaction(slices));
      this.loadTopics();
    } catch (error) {
      throw storageError(error, 'cannot open the embedded event log');
    }
  }

  /**
   * Creates the log's tables in a store without them; refuses a store written in another schema
   * version, touching nothing (the check and the creation are one transaction).
   */
  private migrate(): void {
    this.db.transaction(() => {
      this.db.exec(META_SCHEMA);
      const row = this.db.prepare(`SELECT value FROM log_meta WHERE key = 'schema_version'`).get() as
        | { value: string }
        | undefined;
      if (row === undefined) {
        this.db.prepare(`INSERT INTO log_meta (key, value) VALUES ('schema_version', ?)`).run(String(LOG_SCHEMA_VERSION));
      } else if (Number(row.value) > LOG_SCHEMA_VERSION) {
        throw new LogError(
          'OP_LOG_STORAGE',
          `the store holds event-log schema version ${row.value}; this build understands up to ${LOG_SCHEMA_VERSION}`,
          { details: { schemaVersion: row.value, supported: LOG_SCHEMA_VERSION } },
        );
      } else if (Number(row.value) !== LOG_SCHEMA_VERSION) {
        const path = this.db.name;
        throw new LogError(
          'OP_LOG_STORAGE',
          `the store ${JSON.stringify(path)} holds an event log in schema version ${row.value}` +
            `${row.value === '1' ? ' (one row per record)' : ''}, ` +
            `which this build does not read: it keeps records in batches (schema version ${LOG_SCHEMA_VERSION}). ` +
            'Remove the store (the state directory) and replay the data again.',
          { details: { schemaVersion: row.value, supported: LOG_SCHEMA_VERSION, path } },
        );
      }
      this.db.exec(SCHEMA);
    }).immediate();
  }

  private prepareStatements() {
    const db = this.db;
    return {
      allTopics: db.prepare('SELECT topic_id, name, partitions FROM log_topics'),
      topicByName: db.prepare('SELECT topic_id, name, partitions FROM log_topics WHERE name = ?'),
      insertTopic: db.prepare('INSERT INTO log_topics (name, partitions, created_at) VALUES (?, ?, ?)'),
      insertPartition: db.prepare(
        'INSERT INTO log_partitions (topic_id, "partition", start_offset, end_offset) VALUES (?, ?, 0, 0)',
      ),
      partitionsOf: db
        .prepare('SELECT "partition", start_offset, end_offset FROM log_partitions WHERE topic_id = ? ORDER BY "partition"')
        .raw(),
      endOffset: db.prepare('SELECT end_offset FROM log_partitions WHERE topic_id = ? AND "partition" = ?').pluck(),
      setEndOffset: db.prepare('UPDATE log_partitions SET end_offset = ? WHERE topic_id = ? AND "partition" = ?'),
      insertBatch: db.prepare(
        'INSERT INTO log_batches (topic_id, "partition", base_offset, last_offset, records) VALUES (?, ?, ?, ?, ?)',
      ),
      // Parameters: topic, partition, topic, partition, from, to. The batches that may hold offsets
      // from..to-1: the one holding `from` (the greatest base offset at or below it; it ends before
      // `from` when `from` is past the end) and those after it that start below `to`.
      fetchBatches: db
        .prepare(
          'SELECT base_offset, last_offset, records FROM log_batches ' +
            'WHERE topic_id = ? AND "partition" = ? AND base_offset >= ifnull((' +
            'SELECT base_offset FROM log_batches WHERE topic_id = ? AND "partition" = ? AND base_offset <= ? ' +
            'ORDER BY base_offset DESC LIMIT 1), 0) AND base_offset < ? ORDER BY base_offset',
        )
        .raw(),
      upsertOffset: db.prepare(
        'INSERT INTO log_group_offsets (group_id, topic_id, "partition", "offset", committed_at) VALUES (?, ?, ?, ?, ?) ' +
          'ON CONFLICT (group_id, topic_id, "partition") DO UPDATE SET "offset" = excluded."offset", committed_at = excluded.committed_at',
      ),
      groupOffsets: db
        .prepare('SELECT topic_id, "partition", "offset" FROM log_group_offsets WHERE group_id = ?')
        .raw(),
      subscribe: db.prepare('INSERT OR IGNORE INTO log_group_topics (group_id, topic_id) VALUES (?, ?)'),
      groupTopicIds: db
        .prepare(
          'SELECT topic_id FROM log_group_topics WHERE group_id = ? UNION SELECT topic_id FROM log_group_offsets WHERE group_id = ?',
        )
        .pluck(),
      groups: db
        .prepare('SELECT group_id FROM log_group_topics UNION SELECT group_id FROM log_group_offsets ORDER BY 1')
        .pluck(),
    };
  }

  private loadTopics(): void {
    for (const row of this.stmt.allTopics.all() as { topic_id: number; name: string; partitions: number }[]) {
      this.remember(row);
    }
  }

  private remember(row: { topic_id: number; name: string; partitions: number }): TopicMeta {
    const meta: TopicMeta = { id: row.topic_id, name: row.name, partitions: row.partitions };
    this.topics.set(meta.name, meta);
    this.topicsById.set(meta.id, meta);
    return meta;
  }

  /** The topic's metadata; asks the file when this object has not seen the topic (another process may have made it). */
  private topic(name: string): TopicMeta {
    const cached = this.topics.get(name);
    if (cached !== undefined) return cached;
    const row = this.stmt.topicByName.get(name) as { topic_id: number; name: string; partitions: number } | undefined;
    if (row === undefined) {
      throw new LogError('OP_LOG_UNKNOWN_TOPIC', `unknown topic "${String(name)}"`, { details: { topic: name } });
    }
    return this.remember(row);
  }

  private topicById(id: number): TopicMeta {
    const cached = this.topicsById.get(id);
    if (cached !== undefined) return cached;
    this.loadTopics();
    const meta = this.topicsById.get(id);
    if (meta === undefined) throw new LogError('OP_LOG_STORAGE', `the store names a topic id ${id} that does not exist`);
    return meta;
  }

  private checkPartition(meta: TopicMeta, partition: unknown): number {
    return checkPartition(meta.name, meta.partitions, partition);
  }

  private assertOpen(): void {
    if (this.closed) throw new LogError('OP_LOG_CLOSED', 'the event log is closed');
  }

  /** Runs `fn` on an open log, turning SQLite failures into log errors. */
  private run<T>(action: string, fn: () => T): T {
    this.assertOpen();
    try {
      return fn();
    } catch (error) {
      throw storageError(error, action);
    }
  }

  /** {@link run} for the async API: the work is synchronous, its outcome a settled promise. */
  private settle<T>(action: string, fn: () => T): Promise<T> {
    try {
      return Promise.resolve(this.run(action, fn));
    } catch (error) {
      return rejected(error);
    }
  }

  createTopic(spec: TopicSpec): Promise<void> {
    return this.settle('cannot create a topic', () => {
      const { name, partitions } = checkTopicSpec(spec);
      const meta = this.db
        .transaction(() => {
          const existing = this.stmt.topicByName.get(name) as
            | { topic_id: number; name: string; partitions: number }
            | undefined;
          if (existing !== undefined) return existing;
          const id = Number(this.stmt.insertTopic.run(name, partitions, Date.now()).lastInsertRowid);
          for (let p = 0; p < partitions; p++) this.stmt.insertPartition.run(id, p);
          return { topic_id: id, name, partitions };
        })
        .immediate();
      this.remember(meta);
      if (meta.partitions !== partitions) {
        throw new LogError(
          'OP_LOG_TOPIC_EXISTS',
          `topic "${name}" exists with ${meta.partitions} partitions, not ${partitions}`,
          { details: { topic: name, partitions: meta.partitions, requested: partitions } },
        );
      }
    });
  }

  describeTopics(names?: readonly string[]): Promise<readonly TopicDescription[]> {
    return this.settle('cannot describe topics', () =>
      this.db
        .transaction(() => {
          let metas: TopicMeta[];
          if (names === undefined) {
            this.loadTopics();
            metas = [...this.topics.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
          } else {
            metas = names.map((name) => this.topic(name));
          }
          return metas.map((meta): TopicDescription => {
            const rows = this.stmt.partitionsOf.all(meta.id) as [number, number, number][];
            return {
              name: meta.name,
              partitions: meta.partitions,
              beginningOffsets: rows.map((row) => row[1]),
              endOffsets: rows.map((row) => row[2]),
            };
          });
        })
        .deferred(),
    );
  }

  append(records: readonly ProducerRecord[]): Promise<readonly RecordPosition[]> {
    return observedAppend(records, this.appendRecords(records));
  }

  private appendRecords(records: readonly ProducerRecord[]): Promise<readonly RecordPosition[]> {
    return this.settle('cannot append', () => {
      if (!isArray(records)) throw new LogError('OP_LOG_BAD_RECORD', 'append takes an array of records');
      const count = records.length;
      if (count === 0) return [];
      // Validate and place every record before writing anything, so a bad record appends nothing.
      const slices = new Map<number, PartitionSlice>();
      let lastMeta: TopicMeta | undefined;
      for (let i = 0; i < count; i++) {
        const record = checkRecord(records[i], i);
        const meta = lastMeta !== undefined && lastMeta.name === record.topic ? lastMeta : this.topic(record.topic);
        lastMeta = meta;
        const key = record.key;
        const partition =
          record.partition === undefined
            ? this.partitioner.partition(meta.name, key, meta.partitions)
            : this.checkPartition(meta, record.partition);
        const sliceKey = meta.id * MAX_PARTITIONS + partition;
        let slice = slices.get(sliceKey);
        if (slice === undefined) {
          slice = { meta, partition, records: [], indexes: [], baseOffset: 0 };
          slices.set(sliceKey, slice);
        }
        slice.records.push(record);
        slice.indexes.push(i);
      }
      this.appendTx.immediate(slices.values());
      const positions = new Array<RecordPosition>(count);
      for (const { meta, partition, indexes, baseOffset } of slices.values()) {
        const topic = meta.name;
        for (let j = 0; j < indexes.length; j++) positions[indexes[j]!] = { topic, partition, offset: baseOffset + j };
      }
      this.wake();
      return positions;
    });
  }

  /**
   * Inside the write transaction: reads each partition's end offset from the file (another process
   * may have appended since this one last looked), encodes and inserts the slice's batches from there
   * and moves the end offset past them.
   */
  private appendInTransaction(slices: Iterable<PartitionSlice>): void {
    const { endOffset, insertBatch, setEndOffset } = this.stmt;
    const scratch = (this.scratch ??= Buffer.allocUnsafeSlow(BATCH_LIMITS.maxBytes));
    for (const slice of slices) {
      const { meta, partition, records } = slice;
      let offset = endOffset.get(meta.id, partition) as number;
      slice.baseOffset = offset;
      for (let start = 0; start < records.length; ) {
        const { blob, count } = encodeRecordBatch(records, start, BATCH_LIMITS, scratch);
        insertBatch.run(meta.id, partition, offset, offset + count - 1, blob);
        offset += count;
        start += count;
      }
      setEndOffset.run(offset, meta.id, partition);
    }
  }

  fetch(request: FetchRequest): Promise<readonly LogRecord[]> {
    return observedFetch(request, performance.now(), this.fetchRecords(request));
  }

  private fetchRecords(request: FetchRequest): Promise<readonly LogRecord[]> {
    return this.settle('cannot fetch', () => {
      const meta = this.topic(request?.topic);
      const partition = this.checkPartition(meta, request.partition);
      const offset = checkOffset(request.offset, 'a fetch offset');
      const maxRecords =
        request.maxRecords === undefined ? DEFAULT_MAX_RECORDS : checkPositiveInt(request.maxRecords, 'maxRecords');
      return this.readRecords(meta, partition, offset, maxRecords);
    });
  }

  fetchPartitions(requests: readonly FetchRequest[]): Promise<readonly PartitionRead[]> {
    return observedPartitionReads(performance.now(), this.readPartitions(requests));
  }

  /** Every request checked first, then all read in one transaction: one consistent view of the log. */
  private readPartitions(requests: readonly FetchRequest[]): Promise<readonly PartitionRead[]> {
    return this.settle('cannot fetch', () => {
      const checked = checkFetchRequests(requests).map((request) => {
        const meta = this.topic(request.topic);
        const partition = this.checkPartition(meta, request.partition);
        const offset = checkOffset(request.offset, 'a fetch offset');
        const maxRecords =
          request.maxRecords === undefined ? DEFAULT_MAX_RECORDS : checkPositiveInt(request.maxRecords, 'maxRecords');
        return { meta, partition, offset, maxRecords };
      });
      return this.db
        .transaction(() =>
          checked.map(({ meta, partition, offset, maxRecords }): PartitionRead => ({
            topic: meta.name,
            partition,
            records: this.readRecords(meta, partition, offset, maxRecords),
            endOffset: this.stmt.endOffset.get(meta.id, partition) as number,
          })),
        )
        .deferred();
    });
  }

  private readRecords(meta: TopicMeta, partition: number, offset: number, limit: number): LogRecord[] {
    const end = Math.min(offset + limit, Number.MAX_SAFE_INTEGER);
    const rows = this.stmt.fetchBatches.all(meta.id, partition, meta.id, partition, offset, end) as BatchRow[];
    const records: LogRecord[] = [];
    for (const [baseOffset, lastOffset, blob] of rows) {
      decodeRecordBatch(blob, { topic: meta.name, partition, baseOffset, lastOffset }, offset, limit - records.length, records);
      if (records.length === limit) break;
    }
    return records;
  }

  commitOffsets(group: string, offsets: readonly CommittedOffset[]): Promise<void> {
    return this.settle('cannot commit offsets', () => {
      checkGroup(group);
      const rows = offsets.map((o) => {
        const meta = this.topic(o.topic);
        return [meta.id, this.checkPartition(meta, o.partition), checkOffset(o.offset, 'a committed offset')] as const;
      });
      if (rows.length === 0) return;
      const now = Date.now();
      this.db
        .transaction(() => {
          for (const [topicId, partition, offset] of rows) this.stmt.upsertOffset.run(group, topicId, partition, offset, now);
        })
        .immediate();
    });
  }

  committedOffsets(group: string): Promise<readonly CommittedOffset[]> {
    return this.settle('cannot read committed offsets', () => this.readCommitted(checkGroup(group)));
  }

  private readCommitted(group: string): CommittedOffset[] {
    const rows = this.stmt.groupOffsets.all(group) as [number, number, number][];
    return rows
      .map(([topicId, partition, offset]) => ({ topic: this.topicById(topicId).name, partition, offset }))
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  }

  listGroups(): Promise<readonly string[]> {
    return this.settle('cannot list groups', () => this.stmt.groups.all() as string[]);
  }

  lag(group: string): Promise<readonly PartitionLag[]> {
    return this.settle('cannot compute lag', () => {
      checkGroup(group);
      return this.db
        .transaction(() => {
          const committed = new Map<string, number>();
          for (const c of this.readCommitted(group)) committed.set(`${c.topic}\u0000${c.partition}`, c.offset);
          const metas = (this.stmt.groupTopicIds.all(group, group) as number[])
            .map((id) => this.topicById(id))
            .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
          const lags: PartitionLag[] = [];
          for (const meta of metas) {
            for (const [partition, start, end] of this.stmt.partitionsOf.all(meta.id) as [number, number, number][]) {
              const at = committed.get(`${meta.name}\u0000${partition}`) ?? null;
              lags.push({
                topic: meta.name,
                partition,
                committed: at,
                endOffset: end,
                lag: Math.max(0, end - (at ?? start)),
              });
            }
          }
          return lags;
        })
        .deferred();
    });
  }

  consumer(options: ConsumerOptions): Promise<Consumer> {
    return this.settle('cannot create a consumer', () => {
      const { group, topics, startFrom, maxRecords } = checkConsumerOptions(options);
      const metas = topics.map((name) => this.topic(name));
      if (this.activeGroups.has(group)) {
        throw new LogError(
          'OP_LOG_GROUP_ACTIVE',
          `consumer group "${group}" already has a member on this log; the embedded log allows one member per group`,
          { details: { group } },
        );
      }
      const partitions = this.db
        .transaction(() => {
          for (const meta of metas) this.stmt.subscribe.run(group, meta.id);
          const committed = new Map<string, number>();
          for (const c of this.readCommitted(group)) committed.set(`${c.topic}\u0000${c.partition}`, c.offset);
          const states: PartitionState[] = [];
          for (const meta of metas) {
            for (const [partition, start, end] of this.stmt.partitionsOf.all(meta.id) as [number, number, number][]) {
              const position = committed.get(`${meta.name}\u0000${partition}`) ?? (startFrom === 'earliest' ? start : end);
              states.push({ meta, partition, position });
            }
          }
          return states;
        })
        .immediate();
      const consumer = new SqliteConsumer(this, group, partitions, maxRecords);
      this.activeGroups.set(group, consumer);
      return consumer;
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    for (const consumer of [...this.activeGroups.values()]) consumer.markClosed();
    this.activeGroups.clear();
    this.closed = true;
    this.wake();
    try {
      if (this.ownsDatabase) this.db.close();
    } catch (error) {
      return rejected(storageError(error, 'cannot close the event log'));
    }
    return Promise.resolve();
  }

  // ---- for SqliteConsumer ----

  /** @internal */
  releaseGroup(group: string, consumer: SqliteConsumer): void {
    if (this.activeGroups.get(group) === consumer) this.activeGroups.delete(group);
  }

  /** @internal Reads the next records for a consumer, sharing `maxRecords` fairly among partitions with data. */
  readForConsumer(partitions: PartitionState[], rotation: number, maxRecords: number): LogRecord[] {
    return this.run('cannot poll', () =>
      this.db
        .transaction(() => {
          // End offsets come from the file, not from memory: other processes append too.
          const ends = new Map<number, [number, number, number][]>();
          const count = partitions.length;
          const available = new Array<number>(count);
          const active: number[] = [];
          for (let j = 0; j < count; j++) {
            const i = (rotation + j) % count;
            const state = partitions[i]!;
            let rows = ends.get(state.meta.id);
            if (rows === undefined) {
              rows = this.stmt.partitionsOf.all(state.meta.id) as [number, number, number][];
              ends.set(state.meta.id, rows);
            }
            const end = rows[state.partition]![2];
            available[i] = Math.max(0, end - state.position);
            if (end > state.position) active.push(i);
          }
          if (active.length === 0) return [];
          const take = shareFairly(available, active, maxRecords);
          const out: LogRecord[] = [];
          for (const i of active) {
            const n = take[i]!;
            if (n === 0) continue;
            const state = partitions[i]!;
            const records = this.readRecords(state.meta, state.partition, state.position, n);
            if (records.length > 0) {
              state.position = records[records.length - 1]!.offset + 1;
              for (const record of records) out.push(record);
            }
          }
          return out;
        })
        .deferred(),
    );
  }

  /** @internal Resolves after an append through this log, the log closing, or `ms`. */
  waitForRecords(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  /** @internal */
  get pollInterval(): number {
    return this.pollIntervalMs;
  }

  /** @internal */
  get isClosed(): boolean {
    return this.closed;
  }

  /** @internal */
  wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/**
 * Shares `max` records among the partitions in `active` (in that order, which rotates from poll to
 * poll): each round gives every partition that still has records an equal share, so a partition
 * with a deep backlog cannot starve the others.
 */
function shareFairly(available: readonly number[], active: readonly number[], max: number): number[] {
  const take = new Array<number>(available.length).fill(0);
  let open = [...active];
  let remaining = max;
  while (remaining > 0 && open.length > 0) {
    const share = Math.max(1, Math.floor(remaining / open.length));
    const next: number[] = [];
    for (const i of open) {
      if (remaining === 0) break;
      const n = Math.min(share, available[i]! - take[i]!, remaining);
      take[i]! += n;
      remaining -= n;
      if (take[i]! < available[i]!) next.push(i);
    }
    open = next;
  }
  return take;
}

interface PartitionState {
  readonly meta: TopicMeta;
  readonly partition: number;
  /** The offset of the next record to return. */
  position: number;
}

class SqliteConsumer implements Consumer {
  private closed = false;
  private polling = false;
  private rotation = 0;

  constructor(
    private readonly log: SqliteEventLog,
    private readonly group: string,
    private readonly partitions: PartitionState[],
    private readonly maxRecords: number,
  ) {}

  assignment(): readonly { topic: string; partition: number }[] {
    return this.partitions.map((p) => ({ topic: p.meta.name, partition: p.partition }));
  }

  async poll(timeoutMs = 0): Promise<readonly LogRecord[]> {
    this.assertOpen();
    checkPollTimeout(timeoutMs);
    if (this.polling) throw new LogError('OP_LOG_BAD_REQUEST', 'poll called while another poll of this consumer is pending');
    this.polling = true;
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (this.closed || this.log.isClosed) return [];
        const records = this.log.readForConsumer(this.partitions, this.rotation, this.maxRecords);
        this.rotation = (this.rotation + 1) % this.partitions.length;
        if (records.length > 0) return records;
        const remaining = deadline - Date.now();
        if (remaining <= 0) return [];
        await this.log.waitForRecords(Math.min(remaining, this.log.pollInterval));
      }
    } finally {
      this.polling = false;
    }
  }

  seek(topic: string, partition: number, offset: number): void {
    this.assertOpen();
    const state = this.partitions.find((p) => p.meta.name === topic && p.partition === partition);
    if (state === undefined) {
      throw new LogError('OP_LOG_NOT_ASSIGNED', `partition ${topic}/${partition} is not assigned to this consumer`, {
        details: { topic, partition },
      });
    }
    state.position = checkOffset(offset, 'a seek offset');
  }

  async commit(offsets: readonly CommittedOffset[]): Promise<void> {
    this.assertOpen();
    await this.log.commitOffsets(this.group, offsets);
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.markClosed();
      this.log.releaseGroup(this.group, this);
      this.log.wake();
    }
    return Promise.resolve();
  }

  /** @internal */
  markClosed(): void {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new LogError('OP_LOG_CONSUMER_CLOSED', `the consumer of group "${this.group}" is closed`);
  }
}
