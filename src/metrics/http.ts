import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Metrics } from './metrics.js';

export interface MetricsServer {
  /** `http://127.0.0.1:<port>/metrics`. */
  readonly url: string;
  close(): Promise<void>;
}

/** The error of a metrics port that is not a port, or that cannot be listened on; `what` names it (the flag). */
export class MetricsPortError extends Error {
  readonly code = 'OP_METRICS_PORT';
}

/**
 * A tiny HTTP server on 127.0.0.1:`port` serving only `GET /metrics`, for a process without the API
 * (`stream`, `replay`, `batch`). Loopback only: a scraper elsewhere reaches it through the host.
 * `what` names the setting in errors (e.g. `--metrics-port`).
 */
export async function serveMetrics(metrics: Metrics, port: number, what = 'metrics port'): Promise<MetricsServer> {
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new MetricsPortError(`${what} must be a whole number from 1 to 65535, got ${String(port)}`);
  }
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('only /metrics is served here\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('GET /metrics\n');
      return;
    }
    metrics.text().then(
      (text) => response.writeHead(200, { 'content-type': metrics.contentType }).end(request.method === 'HEAD' ? undefined : text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end(`metrics failed: ${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'EADDRINUSE' ? 'is taken by another process' : error.code === 'EACCES' ? 'needs privileges this process lacks' : `cannot be listened on (${error.message})`;
      reject(new MetricsPortError(`${what} ${port}: 127.0.0.1:${port} ${why}; choose another port`));
    });
    server.listen(port, '127.0.0.1', () => resolve());
  });
  // A scrape connection must not keep the process alive once its work is done.
  server.unref();
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
