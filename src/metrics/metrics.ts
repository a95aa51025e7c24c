import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BatchRunEvent } from '../batch/index.js';
import type { CommitEvent, FileWrittenEvent } from '../lake/index.js';
import type { LogAppendEvent, LogFetchEvent } from '../log/index.js';
import type { ReplayAppendEvent } from '../replay/index.js';
import { ALERT_EVENTS_TABLE, BRONZE_EVENTS_TABLE, LATE_EVENTS_TABLE, OPEN_ALERTS_TABLE, RULE_NAMES } from '../stream/index.js';
import type { StreamBatchEvent, StreamFencingEvent, StreamRebuildEvent } from '../stream/index.js';
import type { ServeRequestEvent, ServeSseEvent } from '../serve/channels.js';

export type ProcessRole = 'server' | 'stream' | 'replay' | 'batch' | 'start';
export type DeploymentKind = 'embedded' | 'cluster';

export interface MetricsOptions {
  readonly role: ProcessRole;
  readonly deployment: DeploymentKind;
  readonly version: string;
  /** Node process metrics (CPU, memory, event loop); off only where two registries share a process (tests, benches). */
  readonly processMetrics?: boolean;
}

const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// Event to alert spans a whole micro-batch and its commits: seconds, up to minutes when behind.
const EVENT_TO_ALERT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
// The stream's own tables: a conflict on one of them is a stream commit retried.
const STREAM_TABLES: ReadonlySet<string> = new Set([BRONZE_EVENTS_TABLE, ALERT_EVENTS_TABLE, LATE_EVENTS_TABLE, OPEN_ALERTS_TABLE]);

/**
 * The process's Prometheus registry, kept up to date from the rooms' diagnostics channels. The rooms
 * publish what happened (with the current value for a gauge); this object only counts, so it holds
 * no state but the metrics themselves. `close()` stops listening.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #subscriptions: { readonly name: string; readonly listener: (message: unknown, name: string | symbol) => void }[] = [];

  readonly replayEventsAppended: Counter<'topic'>;
  readonly replayAppendDuration: Histogram;
  readonly replayLag: Gauge;
  readonly logRecordsAppended: Counter<'topic'>;
  readonly logRecordsFetched: Counter<'topic'>;
  readonly logFetchDuration: Histogram;
  readonly logConsumerLag: Gauge<'group' | 'topic' | 'partition'>;
  readonly streamRecordsProcessed: Counter<'topic'>;
  readonly streamBatchDuration: Histogram<'phase'>;
  readonly streamWatermark: Gauge<'task'>;
  readonly streamWatermarkLag: Gauge<'task'>;
  readonly streamEventToAlert: Histogram<'rule'>;
  readonly streamAlertChanges: Counter<'rule' | 'change'>;
  readonly streamOpenAlerts: Gauge<'rule'>;
  readonly streamOpenAlertValue: Gauge<'rule'>;
  readonly streamCommitRetries: Counter;
  readonly streamFencingRefusals: Counter;
  readonly streamRebuildDuration: Histogram;
  readonly lakeCommits: Counter<'table' | 'outcome'>;
  readonly lakeCommitDuration: Histogram<'table'>;
  readonly lakeFilesWritten: Counter<'table'>;
  readonly lakeBytesWritten: Counter<'table'>;
  readonly batchRuns: Counter<'job' | 'outcome'>;
  readonly batchRunDuration: Histogram<'job'>;
  readonly batchRowsRead: Counter<'job'>;
  readonly batchRowsWritten: Counter<'job'>;
  readonly batchLastSuccess: Gauge<'job'>;
  readonly serveRequestDuration: Histogram<'route' | 'method' | 'status'>;
  readonly serveSseClients: Gauge;

  constructor(options: MetricsOptions) {
    const registers = [this.registry];
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    new Gauge({ name: 'orderpulse_build_info', help: 'Always 1: the version and deployment of this process', labelNames: ['version', 'deployment'], registers }).set(
      { version: options.version, deployment: options.deployment },
      1,
    );
    new Gauge({ name: 'orderpulse_process_role_info', help: 'Always 1: what this process does', labelNames: ['role'], registers }).set({ role: options.role }, 1);

    this.replayEventsAppended = new Counter({ name: 'orderpulse_replay_events_appended_total', help: 'Events the replay appended, per topic', labelNames: ['topic'], registers });
    this.replayAppendDuration = new Histogram({ name: 'orderpulse_replay_append_duration_seconds', help: 'Each append call of the replay (one batch)', buckets: LATENCY_BUCKETS, registers });
    this.replayLag = new Gauge({ name: 'orderpulse_replay_lag_seconds', help: 'How far (wall seconds) the replay is behind its pace (0 with --max)', registers });
    this.logRecordsAppended = new Counter({ name: 'orderpulse_log_records_appended_total', help: 'Records appended to the log, per topic', labelNames: ['topic'], registers });
    this.logRecordsFetched = new Counter({ name: 'orderpulse_log_records_fetched_total', help: 'Records fetched from the log, per topic', labelNames: ['topic'], registers });
    this.logFetchDuration = new Histogram({ name: 'orderpulse_log_fetch_duration_seconds', help: 'Each fetch call on the log', buckets: LATENCY_BUCKETS, registers });
    this.logConsumerLag = new Gauge({
      name: 'orderpulse_log_consumer_lag_records',
      help: 'End offset minus the position processed, per partition a processor reads',
      labelNames: ['group', 'topic', 'partition'],
      registers,
    });
    this.streamRecordsProcessed = new Counter({ name: 'orderpulse_stream_records_processed_total', help: 'Records the processor handled, per topic', labelNames: ['topic'], registers });
    this.streamBatchDuration = new Histogram({
      name: 'orderpulse_stream_batch_duration_seconds',
      help: 'Time per micro-batch, by phase (read, detect, bronze, publish) and in total',
      labelNames: ['phase'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.streamWatermark = new Gauge({ name: 'orderpulse_stream_watermark_seconds', help: "The task's event-time watermark, seconds since the epoch", labelNames: ['task'], registers });
    this.streamWatermarkLag = new Gauge({ name: 'orderpulse_stream_watermark_lag_seconds', help: 'Newest event time seen by the task minus its watermark', labelNames: ['task'], registers });
    this.streamEventToAlert = new Histogram({
      name: 'orderpulse_stream_event_to_alert_seconds',
      help: "Wall time from the processor's fetch of the causing event to the alert change published",
      labelNames: ['rule'],
      buckets: EVENT_TO_ALERT_BUCKETS,
      registers,
    });
    this.streamAlertChanges = new Counter({ name: 'orderpulse_stream_alert_changes_total', help: 'Alert changes, per rule and change (opened, escalated, resolved, final)', labelNames: ['rule', 'change'], registers });
    this.streamOpenAlerts = new Gauge({ name: 'orderpulse_stream_open_alerts', help: 'Open alerts now, per rule', labelNames: ['rule'], registers });
    this.streamOpenAlertValue = new Gauge({ name: 'orderpulse_stream_open_alert_value_brl', help: 'Order value (items + freight, BRL) of the open alerts, per rule', labelNames: ['rule'], registers });
    this.streamCommitRetries = new Counter({ name: 'orderpulse_stream_commit_retries_total', help: 'Stream table commits retried after a conflict', registers });
    this.streamFencingRefusals = new Counter({ name: 'orderpulse_stream_fencing_refusals_total', help: 'Commits refused because another processor owns the task', registers });
    this.streamRebuildDuration = new Histogram({ name: 'orderpulse_stream_rebuild_duration_seconds', help: "Tasks' state rebuilt on start or rebalance", buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 300], registers });
    this.lakeCommits = new Counter({ name: 'orderpulse_lake_commits_total', help: "Each commit attempt's outcome, per table", labelNames: ['table', 'outcome'], registers });
    this.lakeCommitDuration = new Histogram({ name: 'orderpulse_lake_commit_duration_seconds', help: 'Each landed commit, first attempt to swap', labelNames: ['table'], buckets: LATENCY_BUCKETS, registers });
    this.lakeFilesWritten = new Counter({ name: 'orderpulse_lake_files_written_total', help: 'Data files written, per table', labelNames: ['table'], registers });
    this.lakeBytesWritten = new Counter({ name: 'orderpulse_lake_bytes_written_total', help: 'Bytes of data files written, per table', labelNames: ['table'], registers });
    this.batchRuns = new Counter({ name: 'orderpulse_batch_runs_total', help: 'Job runs, per job and outcome (written, unchanged, no-source, failed)', labelNames: ['job', 'outcome'], registers });
    this.batchRunDuration = new Histogram({ name: 'orderpulse_batch_run_duration_seconds', help: 'Each job run', labelNames: ['job'], buckets: [0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300], registers });
    this.batchRowsRead = new Counter({ name: 'orderpulse_batch_rows_read_total', help: 'Rows read by job runs', labelNames: ['job'], registers });
    this.batchRowsWritten = new Counter({ name: 'orderpulse_batch_rows_written_total', help: 'Rows written by job runs', labelNames: ['job'], registers });
    this.batchLastSuccess = new Gauge({ name: 'orderpulse_batch_last_success_timestamp_seconds', help: "Wall time of the job's last successful run", labelNames: ['job'], registers });
    this.serveRequestDuration = new Histogram({
      name: 'orderpulse_serve_request_duration_seconds',
      help: 'Each HTTP request, by route template, method and status',
      labelNames: ['route', 'method', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.serveSseClients = new Gauge({ name: 'orderpulse_serve_sse_clients', help: 'Live-push clients connected', registers });
    for (const rule of RULE_NAMES) {
      this.streamOpenAlerts.set({ rule }, 0);
      this.streamOpenAlertValue.set({ rule }, 0);
    }

    this.#on<ReplayAppendEvent>('orderpulse:replay:append', (e) => {
      for (const [topic, n] of Object.entries(e.eventsByTopic)) this.replayEventsAppended.inc({ topic }, n);
      this.replayAppendDuration.observe(e.seconds);
      this.replayLag.set(e.lagSeconds);
    });
    this.#on<LogAppendEvent>('orderpulse:log:append', (e) => {
      for (const [topic, n] of Object.entries(e.recordsByTopic)) this.logRecordsAppended.inc({ topic }, n);
    });
    this.#on<LogFetchEvent>('orderpulse:log:fetch', (e) => {
      if (e.records > 0) this.logRecordsFetched.inc({ topic: e.topic }, e.records);
      this.logFetchDuration.observe(e.seconds);
    });
    this.#on<CommitEvent>('orderpulse:lake:commit', (e) => this.#lakeCommit(e));
    this.#on<FileWrittenEvent>('orderpulse:lake:file', (e) => {
      this.lakeFilesWritten.inc({ table: e.table });
      this.lakeBytesWritten.inc({ table: e.table }, e.bytes);
    });
    this.#on<StreamBatchEvent>('orderpulse:stream:batch', (e) => this.#streamBatch(e));
    this.#on<StreamFencingEvent>('orderpulse:stream:fencing', () => this.streamFencingRefusals.inc());
    this.#on<StreamRebuildEvent>('orderpulse:stream:rebuild', (e) => this.streamRebuildDuration.observe(e.ms / 1000));
    this.#on<ServeRequestEvent>('orderpulse:serve:request', (e) => this.serveRequestDuration.observe({ route: e.route, method: e.method, status: String(e.status) }, e.seconds));
    this.#on<BatchRunEvent>('orderpulse:batch:run', (e) => this.#batchRun(e));
    this.#on<ServeSseEvent>('orderpulse:serve:sse', (e) => this.serveSseClients.set(e.clients));
  }

  /** The exposition text (Prometheus text format). */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** The diagnostics channels this registry listens to (none once closed). */
  get channels(): readonly string[] {
    return this.#subscriptions.map((s) => s.name);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    for (const { name, listener } of this.#subscriptions.splice(0)) unsubscribe(name, listener);
  }

  // A channel message is `unknown` to diagnostics_channel; each room types its events, and only that
  // room publishes on its namespace, so the cast names the room's own type.
  #on<E>(name: string, handle: (event: E) => void): void {
    const listener = (message: unknown): void => handle(message as E);
    subscribe(name, listener);
    this.#subscriptions.push({ name, listener });
  }

  #lakeCommit(e: CommitEvent): void {
    this.lakeCommits.inc({ table: e.table, outcome: e.outcome });
    if (e.outcome === 'committed' && e.durationSeconds !== undefined) this.lakeCommitDuration.observe({ table: e.table }, e.durationSeconds);
    if (e.outcome === 'conflict' && STREAM_TABLES.has(e.table)) this.streamCommitRetries.inc();
  }

  #batchRun(e: BatchRunEvent): void {
    const job = e.job;
    this.batchRuns.inc({ job, outcome: e.outcome });
    this.batchRunDuration.observe({ job }, e.seconds);
    this.batchRowsRead.inc({ job }, e.rowsRead);
    this.batchRowsWritten.inc({ job }, e.rowsWritten);
    if (e.outcome === 'written' || e.outcome === 'unchanged') this.batchLastSuccess.set({ job }, e.finishedAt / 1000);
  }

  #streamBatch(e: StreamBatchEvent): void {
    for (const [topic, n] of Object.entries(e.recordsByTopic)) this.streamRecordsProcessed.inc({ topic }, n);
    if (!e.idle) {
      this.streamBatchDuration.observe({ phase: 'read' }, e.timings.read / 1000);
      this.streamBatchDuration.observe({ phase: 'bronze' }, e.timings.bronze / 1000);
    }
    this.streamBatchDuration.observe({ phase: 'detect' }, e.timings.detect / 1000);
    this.streamBatchDuration.observe({ phase: 'publish' }, e.timings.outputs / 1000);
    this.streamBatchDuration.observe({ phase: 'total' }, e.timings.total / 1000);
    for (const alert of e.alerts) {
      this.streamAlertChanges.inc({ rule: alert.rule, change: alert.change });
      if (alert.fetchedAt !== null) this.streamEventToAlert.observe({ rule: alert.rule }, Math.max(0, alert.publishedAt - alert.fetchedAt) / 1000);
    }
    for (const { rule, count, valueBrl } of e.openAlerts) {
      this.streamOpenAlerts.set({ rule }, count);
      this.streamOpenAlertValue.set({ rule }, valueBrl);
    }
    // The stream processor keeps its positions in bronze, not in a Kafka consumer group: its lag is
    // reported under the group name `stream`.
    for (const { topic, partition, records } of e.lag) this.logConsumerLag.set({ group: 'stream', topic, partition: String(partition) }, records);
    for (const t of e.tasks) {
      if (!Number.isFinite(t.watermark)) continue;
      const task = String(t.task);
      this.streamWatermark.set({ task }, t.watermark / 1000);
      if (Number.isFinite(t.newestEventTime)) this.streamWatermarkLag.set({ task }, Math.max(0, t.newestEventTime - t.watermark) / 1000);
    }
  }
}
