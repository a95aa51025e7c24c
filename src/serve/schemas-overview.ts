import {
  arrayOf,
  bool,
  errorResponses,
  filtersQuerystring,
  int,
  nullableInt,
  nullableNum,
  nullableStr,
  object,
  querystring,
  str,
  withProvenance,
} from './schemas-common.js';

/** /api/health, /api/kpis, /api/freshness, /api/pipeline. */

const none = querystring({});

export const healthSchema = {
  summary: 'Liveness: answers without reading the lake',
  tags: ['pipeline'],
  querystring: none,
  response: { 200: object({ ok: { type: 'boolean', enum: [true] } }), ...errorResponses },
} as const;

const freshness = object({
  completeUpTo: nullableStr,
  streamCommittedAt: nullableStr,
  behindMs: nullableNum,
  lastBatch: { type: ['object', 'null'], required: ['endedAt', 'mode', 'ok'], properties: { endedAt: str, mode: str, ok: bool } },
});

export const freshnessSchema = {
  summary: 'How fresh the answers are: the stream watermark and the last batch run',
  tags: ['pipeline'],
  querystring: none,
  response: { 200: freshness, ...errorResponses },
} as const;

export const kpisSchema = {
  summary: 'The headline figures of the overview',
  tags: ['overview'],
  querystring: filtersQuerystring,
  response: {
    200: withProvenance({
      orders: int,
      revenueCents: int,
      lateRate: nullableNum,
      openAlerts: int,
      valueAtRiskCents: int,
      freshness,
    }),
    ...errorResponses,
  },
} as const;

export const pipelineSchema = {
  summary: 'Topics and lag, stream tasks, batch runs and tables',
  tags: ['pipeline'],
  querystring: none,
  response: {
    200: object({
      topics: arrayOf(
        object({
          topic: str,
          partitions: arrayOf(object({ partition: int, endOffset: int, processedOffset: nullableInt, lag: nullableInt })),
        }),
      ),
      tasks: arrayOf(object({ task: int, watermark: nullableStr, processedSeq: int })),
      batchRuns: arrayOf(object({ table: str, snapshotId: str, at: str, mode: str, rowsRead: nullableInt })),
      tables: arrayOf(object({ table: str, snapshotId: nullableStr, snapshots: int, rows: nullableInt, committedAt: nullableStr })),
    }),
    ...errorResponses,
  },
} as const;

export const liveSchema = {
  summary: 'Server-Sent Events: alert (with a resumable id), watermark and rates',
  description:
    'A text/event-stream of LiveMessage: `event: alert` with `id:` a cursor to send back as Last-Event-ID, `event: watermark`, `event: rates`.',
  tags: ['live'],
  querystring: querystring({ token: { type: 'string', maxLength: 512 } }),
  headers: { type: 'object', properties: { 'last-event-id': { type: 'string', maxLength: 4096 } } },
  response: { 200: { description: 'text/event-stream', type: 'string' }, ...errorResponses },
} as const;
