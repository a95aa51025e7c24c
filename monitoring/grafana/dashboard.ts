/**
 * OrderPulse's Grafana dashboard, built typed against `@grafana/schema`'s `Dashboard`: a field Grafana
 * does not know, or a value of the wrong kind, fails the build. `monitoring/grafana/orderpulse.json` is
 * what `write-dashboard.ts` writes from it (`npm run monitoring:dashboard`), and `npm run build` runs
 * `write-dashboard.js --check`, which fails when the JSON differs from this build: the file Grafana
 * loads cannot drift from the typed one. (Importing the JSON with `satisfies Dashboard` cannot do it:
 * TypeScript widens a JSON file's strings, and `type: 'row'` or a variable's type become `string`.)
 *
 * Every panel's queries use the metric names of the metrics contract (and monitoring/kafka/
 * jmx-exporter.yml for the brokers); the batch metrics' `job` label is `batch_job` once scraped
 * (monitoring/prometheus.yml renames it).
 */
import type { Dashboard, DataSourceRef, Panel, RowPanel } from '@grafana/schema';

/** The Prometheus data source, chosen in the dashboard's `datasource` variable. */
const PROMETHEUS: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

type Unit = 'short' | 'ops' | 's' | 'ms' | 'bytes' | 'Bps' | 'percentunit' | 'dateTimeAsIso' | 'currencyBRL' | 'none';

interface Query {
  /** PromQL. */
  readonly expr: string;
  /** The series' name in the legend (Grafana's `{{label}}` templates). */
  readonly legend: string;
}

interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly unit: Unit;
  readonly queries: readonly Query[];
  /** `stat` for a single figure, `timeseries` otherwise. */
  readonly kind?: 'timeseries' | 'stat';
  /** Width in grid columns (24 a row); 8 by default. */
  readonly width?: number;
}

interface RowSpec {
  readonly title: string;
  readonly panels: readonly PanelSpec[];
}

const rate = (metric: string, by: string, window = '1m'): string => `sum by (${by}) (rate(${metric}[${window}]))`;
const quantile = (q: number, histogram: string, by: string, window = '5m'): string =>
  `histogram_quantile(${q}, sum by (${by}) (rate(${histogram}_bucket[${window}])))`;

/** The dashboard's rows, top to bottom. */
export const ROWS: readonly RowSpec[] = [
  {
    title: 'Pipeline throughput',
    panels: [
      {
        title: 'Events replayed per second',
        description: 'Events the replay appends to the log, by topic.',
        unit: 'ops',
        queries: [{ expr: rate('orderpulse_replay_events_appended_total', 'topic'), legend: '{{topic}}' }],
      },
      {
        title: 'Records processed per second',
        description: 'Records the stream processor handled, by topic.',
        unit: 'ops',
        queries: [{ expr: rate('orderpulse_stream_records_processed_total', 'topic'), legend: '{{topic}}' }],
      },
      {
        title: 'Log records appended and fetched per second',
        description: 'Every writer and reader of the event log, by topic.',
        unit: 'ops',
        queries: [
          { expr: rate('orderpulse_log_records_appended_total', 'topic'), legend: 'appended {{topic}}' },
          { expr: rate('orderpulse_log_records_fetched_total', 'topic'), legend: 'fetched {{topic}}' },
        ],
      },
    ],
  },
  {
    title: 'Latency',
    panels: [
      {
        title: 'Event to alert latency',
        description: 'Wall time from the processor’s fetch of an event to its alert change published (time waiting in the log shows as consumer lag). Goal: p99 under 0.5 s.',
        unit: 's',
        queries: [
          { expr: quantile(0.5, 'orderpulse_stream_event_to_alert_seconds', 'le'), legend: 'p50' },
          { expr: quantile(0.99, 'orderpulse_stream_event_to_alert_seconds', 'le'), legend: 'p99' },
        ],
      },
      {
        title: 'Micro-batch duration p99 by phase',
        description: 'Read, detect, bronze, publish and total time of the stream processor\'s micro-batches.',
        unit: 's',
        queries: [{ expr: quantile(0.99, 'orderpulse_stream_batch_duration_seconds', 'le, phase'), legend: '{{phase}}' }],
      },
      {
        title: 'Log append and fetch p99',
        description: 'The replay\'s append calls and every fetch call of the log.',
        unit: 's',
        queries: [
          { expr: quantile(0.99, 'orderpulse_replay_append_duration_seconds', 'le'), legend: 'replay append' },
          { expr: quantile(0.99, 'orderpulse_log_fetch_duration_seconds', 'le'), legend: 'fetch' },
        ],
      },
    ],
  },
  {
    title: 'Lag and watermark',
    panels: [
      {
        title: 'Consumer lag per partition',
        description: 'Records in the log not yet processed, per consumer group, topic and partition.',
        unit: 'short',
        queries: [{ expr: 'sum by (group, topic, partition) (orderpulse_log_consumer_lag_records)', legend: '{{group}} {{topic}}/{{partition}}' }],
      },
      {
        title: 'Watermark per task',
        description: 'Each stream task\'s event-time watermark (the simulated clock delay rules run on).',
        unit: 'dateTimeAsIso',
        queries: [{ expr: 'max by (task) (orderpulse_stream_watermark_seconds) * 1000', legend: 'task {{task}}' }],
      },
      {
        title: 'Watermark lag and replay lag',
        description: 'Newest event time seen minus the watermark, per task; and how far the replay is behind its pace.',
        unit: 's',
        queries: [
          { expr: 'max by (task) (orderpulse_stream_watermark_lag_seconds)', legend: 'watermark lag task {{task}}' },
          { expr: 'max(orderpulse_replay_lag_seconds)', legend: 'replay behind pace' },
        ],
      },
    ],
  },
  {
    title: 'Alerts',
    panels: [
      {
        title: 'Alert changes per second by rule',
        description: 'Alerts opened, escalated, resolved and made final, by delay rule.',
        unit: 'ops',
        queries: [{ expr: rate('orderpulse_stream_alert_changes_total', 'rule, change', '5m'), legend: '{{rule}} {{change}}' }],
      },
      {
        title: 'Open alerts by rule',
        description: 'Alerts open now, by delay rule.',
        unit: 'short',
        queries: [{ expr: 'sum by (rule) (orderpulse_stream_open_alerts)', legend: '{{rule}}' }],
      },
      {
        title: 'Value at risk (BRL)',
        description: 'Order value (items and freight) of the orders with open alerts, by rule: the same figure as the API’s value at risk.',
        unit: 'currencyBRL',
        queries: [{ expr: 'sum by (rule) (orderpulse_stream_open_alert_value_brl)', legend: '{{rule}}' }],
      },
      {
        title: 'Commit retries, fencing refusals and rebuilds',
        description: 'Bronze/alert commits retried after a conflict, refused because another processor owns the task, and task state rebuilds.',
        unit: 'ops',
        width: 24,
        queries: [
          { expr: 'sum(rate(orderpulse_stream_commit_retries_total[5m]))', legend: 'commit retries' },
          { expr: 'sum(rate(orderpulse_stream_fencing_refusals_total[5m]))', legend: 'fencing refusals' },
          { expr: 'sum(rate(orderpulse_stream_rebuild_duration_seconds_count[5m]))', legend: 'state rebuilds' },
        ],
      },
    ],
  },
  {
    title: 'Batch and lake',
    panels: [
      {
        title: 'Batch runs by job and outcome (last hour)',
        description: 'Runs written, unchanged, without source, failed.',
        unit: 'short',
        queries: [{ expr: 'sum by (batch_job, outcome) (increase(orderpulse_batch_runs_total[1h]))', legend: '{{batch_job}} {{outcome}}' }],
      },
      {
        title: 'Batch run duration p99',
        description: 'Each job\'s run time.',
        unit: 's',
        queries: [{ expr: quantile(0.99, 'orderpulse_batch_run_duration_seconds', 'le, batch_job', '1h'), legend: '{{batch_job}}' }],
      },
      {
        title: 'Since last successful batch run',
        description: 'Wall time since each job last ran successfully (written or unchanged).',
        unit: 's',
        queries: [{ expr: 'time() - max by (batch_job) (orderpulse_batch_last_success_timestamp_seconds)', legend: '{{batch_job}}' }],
      },
      {
        title: 'Batch rows read and written per second',
        description: 'Rows read and written by the batch runs.',
        unit: 'ops',
        queries: [
          { expr: rate('orderpulse_batch_rows_read_total', 'batch_job', '5m'), legend: 'read {{batch_job}}' },
          { expr: rate('orderpulse_batch_rows_written_total', 'batch_job', '5m'), legend: 'written {{batch_job}}' },
        ],
      },
      {
        title: 'Lake commits by table and outcome',
        description: 'Commit attempts: committed, conflict, failed, unknown.',
        unit: 'ops',
        queries: [{ expr: rate('orderpulse_lake_commits_total', 'table, outcome', '5m'), legend: '{{table}} {{outcome}}' }],
      },
      {
        title: 'Lake commit duration p99 and bytes written',
        description: 'Time from a commit\'s first attempt to its swap, by table; data bytes written per second.',
        unit: 's',
        queries: [
          { expr: quantile(0.99, 'orderpulse_lake_commit_duration_seconds', 'le, table'), legend: 'p99 {{table}}' },
          { expr: 'sum(rate(orderpulse_lake_bytes_written_total[5m]))', legend: 'bytes/s written' },
          { expr: 'sum(rate(orderpulse_lake_files_written_total[5m]))', legend: 'files/s written' },
        ],
      },
    ],
  },
  {
    title: 'HTTP',
    panels: [
      {
        title: 'Requests per second by route and status',
        description: 'The API\'s requests, by route template and status code.',
        unit: 'ops',
        queries: [{ expr: rate('orderpulse_serve_request_duration_seconds_count', 'route, status'), legend: '{{route}} {{status}}' }],
      },
      {
        title: 'Request duration p99 by route',
        description: 'Server-side time per request.',
        unit: 's',
        queries: [{ expr: quantile(0.99, 'orderpulse_serve_request_duration_seconds', 'le, route'), legend: '{{route}}' }],
      },
      {
        title: '5xx share and live-push clients',
        description: 'The share of server errors (the HttpErrorRateHigh alert fires over 5 %), and connected live-push clients.',
        unit: 'percentunit',
        queries: [
          {
            expr:
              '(sum(rate(orderpulse_serve_request_duration_seconds_count{status=~"5.."}[5m])) or vector(0)) / sum(rate(orderpulse_serve_request_duration_seconds_count[5m]))',
            legend: '5xx share',
          },
          { expr: 'sum(orderpulse_serve_sse_clients)', legend: 'live-push clients' },
        ],
      },
    ],
  },
  {
    title: 'Processes',
    panels: [
      {
        title: 'Targets up',
        description: 'Each scrape target of the OrderPulse jobs (1 up, 0 down).',
        unit: 'none',
        queries: [{ expr: 'up{job=~"orderpulse-.+"}', legend: '{{job}} {{instance}}' }],
      },
      {
        title: 'Resident memory',
        description: 'Each OrderPulse process\'s resident memory.',
        unit: 'bytes',
        queries: [{ expr: 'process_resident_memory_bytes{job=~"orderpulse-.+"}', legend: '{{job}} {{instance}}' }],
      },
      {
        title: 'Event loop lag',
        description: 'Node\'s event loop lag per process: a busy loop delays every request and batch.',
        unit: 's',
        queries: [{ expr: 'nodejs_eventloop_lag_seconds{job=~"orderpulse-.+"}', legend: '{{job}} {{instance}}' }],
      },
    ],
  },
  {
    title: 'Kafka brokers',
    panels: [
      {
        title: 'Messages in per second by topic',
        description: 'Messages appended to each topic\'s partitions, over all brokers.',
        unit: 'ops',
        queries: [{ expr: rate('kafka_server_brokertopicmetrics_messagesin_total', 'topic'), legend: '{{topic}}' }],
      },
      {
        title: 'Bytes in and out per second by topic',
        description: 'Bytes produced to and fetched from each topic (consumers and follower replicas).',
        unit: 'Bps',
        queries: [
          { expr: rate('kafka_server_brokertopicmetrics_bytesin_total', 'topic'), legend: 'in {{topic}}' },
          { expr: rate('kafka_server_brokertopicmetrics_bytesout_total', 'topic'), legend: 'out {{topic}}' },
        ],
      },
      {
        title: 'Request time p99 (ms)',
        description: 'The brokers\' 99th percentile of total request time, for produce, fetch and metadata requests.',
        unit: 'ms',
        queries: [
          {
            expr: 'max by (request) (kafka_network_requestmetrics_totaltimems{quantile="0.99",request=~"Produce|Fetch|Metadata"})',
            legend: '{{request}}',
          },
        ],
      },
      {
        title: 'Brokers up',
        description: 'Brokers whose exporter answers.',
        unit: 'none',
        kind: 'stat',
        queries: [{ expr: 'sum(up{job="kafka"})', legend: 'up' }],
      },
      {
        title: 'Under-replicated and offline partitions',
        description: 'Partitions with a replica out of sync, per leader broker; partitions without a leader.',
        unit: 'short',
        kind: 'stat',
        queries: [
          { expr: 'sum by (instance) (kafka_server_replicamanager_underreplicatedpartitions)', legend: 'under-replicated {{instance}}' },
          { expr: 'sum(kafka_controller_kafkacontroller_offlinepartitionscount)', legend: 'offline' },
        ],
      },
      {
        title: 'Partitions and leaders per broker',
        description: 'Replicas each broker holds, and how many it leads.',
        unit: 'short',
        queries: [
          { expr: 'sum by (instance) (kafka_server_replicamanager_partitioncount)', legend: 'partitions {{instance}}' },
          { expr: 'sum by (instance) (kafka_server_replicamanager_leadercount)', legend: 'leaders {{instance}}' },
        ],
      },
    ],
  },
];

const PANEL_HEIGHT = 8;

function panelOf(spec: PanelSpec, id: number, x: number, y: number): Panel {
  const kind = spec.kind ?? 'timeseries';
  return {
    id,
    type: kind,
    title: spec.title,
    description: spec.description,
    datasource: PROMETHEUS,
    gridPos: { h: PANEL_HEIGHT, w: spec.width ?? 8, x, y },
    fieldConfig: { defaults: { unit: spec.unit }, overrides: [] },
    options: kind === 'stat' ? { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: 'value' } : { legend: { displayMode: 'list', placement: 'bottom', showLegend: true } },
    targets: spec.queries.map((q, i) => ({ refId: String.fromCharCode(65 + i), datasource: PROMETHEUS, expr: q.expr, legendFormat: q.legend })),
  };
}

/** The dashboard, laid out: each row a full-width row panel, its panels below it, three to a line. */
export function buildDashboard(): Dashboard {
  const panels: (Panel | RowPanel)[] = [];
  let id = 1;
  let y = 0;
  for (const row of ROWS) {
    panels.push({ id: id++, type: 'row', title: row.title, collapsed: false, panels: [], gridPos: { h: 1, w: 24, x: 0, y } });
    y += 1;
    let x = 0;
    for (const spec of row.panels) {
      const width = spec.width ?? 8;
      if (x + width > 24) {
        x = 0;
        y += PANEL_HEIGHT;
      }
      panels.push(panelOf(spec, id++, x, y));
      x += width;
    }
    y += PANEL_HEIGHT;
  }
  return {
    uid: 'orderpulse',
    title: 'OrderPulse',
    description: 'The OrderPulse pipeline: replay, stream, batch, lake, HTTP API and the Kafka brokers.',
    tags: ['orderpulse'],
    schemaVersion: 39,
    editable: true,
    refresh: '10s',
    time: { from: 'now-1h', to: 'now' },
    timezone: 'browser',
    templating: {
      list: [{ name: 'datasource', label: 'Prometheus', type: 'datasource', query: 'prometheus' }],
    },
    panels,
  };
}

/** Every PromQL expression of a dashboard's panels, with the panel's title. */
export function panelExpressions(dashboard: Dashboard): { readonly panel: string; readonly expr: string }[] {
  const out: { panel: string; expr: string }[] = [];
  for (const panel of dashboard.panels ?? []) {
    if (panel.type === 'row') continue;
    for (const target of (panel as Panel).targets ?? []) {
      const expr = target['expr'];
      if (typeof expr === 'string') out.push({ panel: panel.title ?? '', expr });
    }
  }
  return out;
}

/** A query of the Kafka panels: it reads the brokers' exporters, which only a cluster has. */
export function isKafkaExpression(expr: string): boolean {
  return expr.includes('kafka_') || expr.includes('job="kafka"');
}
