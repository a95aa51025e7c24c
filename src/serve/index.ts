/**
 * The serving room: the HTTP API over the read model (JSON, schemas on every route, OpenAPI at
 * /api/openapi.json), the live stream of alert changes over the event log (Server-Sent Events,
 * resumable with Last-Event-ID), and the web app's files.
 */
export { createServer, BODY_LIMIT_BYTES } from './app.js';
export type { ServerOptions } from './app.js';
export { startServer, isLoopback, DEFAULT_HOST, DEFAULT_PORT } from './server.js';
export type { StartOptions, RunningServer } from './server.js';
export { LiveFeed, DEFAULT_LIVE_TIMING, alertChangeRowOf } from './live.js';
export type { LiveSource, LiveTiming, LiveSubscriber } from './live.js';
export { formatCursor, parseCursor } from './cursor.js';
export type { Cursor } from './cursor.js';
export { ServeError, SERVE_ERROR_CODES } from './errors.js';
export { serveRuntime, WEB_ROOT } from './runtime.js';
export { BACKTEST_TEST_MONTHS, olistBacktest, trainingCut } from './backtest.js';
export type { BacktestSource } from './backtest.js';
export type { ServeRuntimeOptions } from './runtime.js';
export { requestChannel, sseChannel } from './channels.js';
export type { ServeRequestEvent, ServeSseEvent, MetricsSource } from './channels.js';
