import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { RULE_NAMES } from './types.js';
import type { Rule } from './types.js';

/**
 * The stream processor's Prometheus metrics, on a registry the caller owns (the HTTP server exposes
 * it; a test reads it). Times are in seconds, as Prometheus' conventions want.
 */
export class StreamMetrics {
  readonly registry: Registry;
  readonly eventsIn: Counter<'topic'>;
  readonly undecodable: Counter<'topic'>;
  readonly lateEvents: Counter;
  readonly duplicates: Counter;
  readonly batchEvents: Histogram;
  readonly batchSeconds: Histogram<'phase'>;
  readonly watermark: Gauge;
  readonly eventTimeLag: Gauge;
  readonly openAlerts: Gauge<'rule'>;
  readonly alertChanges: Counter<'rule' | 'change'>;
  readonly ordersInState: Gauge;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.eventsIn = new Counter({ name: 'orderpulse_stream_events_total', help: 'Records read from the log, per topic', labelNames: ['topic'], registers });
    this.undecodable = new Counter({
      name: 'orderpulse_stream_undecodable_records_total',
      help: 'Records that did not decode (kept in bronze with the error)',
      labelNames: ['topic'],
      registers,
    });
    this.lateEvents = new Counter({ name: 'orderpulse_stream_late_events_total', help: 'Order events that arrived behind the watermark', registers });
    this.duplicates = new Counter({ name: 'orderpulse_stream_duplicate_events_total', help: 'Order events seen before (same event id), ignored', registers });
    this.batchEvents = new Histogram({
      name: 'orderpulse_stream_batch_events',
      help: 'Records per micro-batch',
      buckets: [1, 10, 100, 1_000, 5_000, 10_000, 50_000, 100_000],
      registers,
    });
    this.batchSeconds = new Histogram({
      name: 'orderpulse_stream_batch_duration_seconds',
      help: 'Time spent per micro-batch, by phase (read, detect, bronze, publish, gold) and in total',
      labelNames: ['phase'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.watermark = new Gauge({ name: 'orderpulse_stream_watermark_seconds', help: 'Event-time watermark, seconds since the epoch', registers });
    this.eventTimeLag = new Gauge({
      name: 'orderpulse_stream_event_time_lag_seconds',
      help: 'Wall-clock time minus the newest event time processed (large for a replay of past data; watch its trend)',
      registers,
    });
    this.openAlerts = new Gauge({ name: 'orderpulse_stream_open_alerts', help: 'Open (or escalated) alerts, per rule', labelNames: ['rule'], registers });
    this.alertChanges = new Counter({
      name: 'orderpulse_stream_alert_changes_total',
      help: 'Alert changes emitted, per rule and change (opened, escalated, resolved, final)',
      labelNames: ['rule', 'change'],
      registers,
    });
    this.ordersInState = new Gauge({ name: 'orderpulse_stream_orders_in_state', help: 'Orders whose state the processor holds', registers });
    for (const rule of RULE_NAMES) this.openAlerts.set({ rule }, 0);
  }

  /** Sets the open-alert gauges from a count per rule (rules absent count 0). */
  setOpenAlerts(byRule: ReadonlyMap<Rule, number>): void {
    for (const rule of RULE_NAMES) this.openAlerts.set({ rule }, byRule.get(rule) ?? 0);
  }
}
