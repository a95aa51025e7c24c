import { channel } from 'node:diagnostics_channel';
import type { ChangeKind, Rule } from './types.js';

/**
 * What the processor tells whoever listens (the metrics room) after each micro-batch. Published only
 * when the channel has subscribers, so a processor no one watches pays nothing for it.
 */
export const batchChannel = channel('orderpulse:stream:batch');
/** A commit refused because another processor advanced one of the tasks (fencing). */
export const fencingChannel = channel('orderpulse:stream:fencing');
/** A task's state rebuilt from bronze (start or rebalance). */
export const rebuildChannel = channel('orderpulse:stream:rebuild');

export interface StreamAlertEvent {
  readonly rule: Rule;
  readonly change: ChangeKind;
  /**
   * Wall ms the fetch that brought the causing record answered; null for idle-policy changes. Record
   * timestamps are event times, so the time a record waited in the log is seen as consumer lag instead.
   */
  readonly fetchedAt: number | null;
  /** Wall ms the change was published (durable, handed to the sinks). */
  readonly publishedAt: number;
}

export interface StreamTaskState {
  readonly task: number;
  /** Event-time watermark, epoch ms (not finite before the first event). */
  readonly watermark: number;
  /** Newest event time seen, epoch ms (not finite before the first event). */
  readonly newestEventTime: number;
}

export interface StreamBatchEvent {
  readonly idle: boolean;
  /** Records handled, per topic. */
  readonly recordsByTopic: Readonly<Record<string, number>>;
  /** Wall ms per phase. */
  readonly timings: { readonly read: number; readonly detect: number; readonly bronze: number; readonly outputs: number; readonly total: number };
  readonly alerts: readonly StreamAlertEvent[];
  /** Current gauges after the batch: per rule, open alerts and their orders' value (items + freight, BRL). */
  readonly openAlerts: readonly { readonly rule: Rule; readonly count: number; readonly valueBrl: number }[];
  readonly tasks: readonly StreamTaskState[];
  /**
   * Per partition read, the records between the processor's position and the end offset last
   * read from the log (partitions whose end is not known at this batch are left out).
   */
  readonly lag: readonly { readonly topic: string; readonly partition: number; readonly records: number }[];
}

export interface StreamFencingEvent {
  readonly task: number;
  readonly table: string;
}

export interface StreamRebuildEvent {
  readonly replayed: number;
  readonly ms: number;
}
