/**
 * The metrics room: the process's Prometheus registry (prom-client), fed by the rooms'
 * diagnostics channels, and the small HTTP server that exposes it for processes without the API.
 */
export { Metrics } from './metrics.js';
export type { MetricsOptions, ProcessRole, DeploymentKind } from './metrics.js';
export { serveMetrics, MetricsPortError } from './http.js';
export type { MetricsServer } from './http.js';
