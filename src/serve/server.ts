import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { ServerOptions } from './app.js';
import { createServer } from './app.js';
import { SERVE_ERROR_CODES, ServeError } from './errors.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8321;

export interface StartOptions extends ServerOptions {
  /** The address to listen on (default 127.0.0.1). Any other than a loopback one needs a token. */
  readonly host?: string;
  /** Default 8321; when it is taken, a free port is used instead and the result says so. */
  readonly port?: number;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  /** The port asked for, when it was taken and another one is used instead; else null. */
  readonly portTaken: number | null;
  readonly app: FastifyInstance;
  /** Stops listening, ending open live streams. */
  close(): Promise<void>;
}

/** Whether only this machine can reach `host`. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

function isAddressInUse(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'EADDRINUSE';
}

/** Builds the server and listens. */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? DEFAULT_PORT;
  if (!isLoopback(host) && (options.token === undefined || options.token === '')) {
    throw new ServeError(
      SERVE_ERROR_CODES.tokenRequired,
      `refusing to listen on ${host} without a token: other machines could read the API; set a token or listen on ${DEFAULT_HOST}`,
      { details: { host } },
    );
  }
  let app = createServer(options);
  let portTaken: number | null = null;
  try {
    await app.listen({ host, port });
  } catch (error) {
    if (!isAddressInUse(error) || port === 0) {
      await app.close();
      throw error;
    }
    // The port is taken (another instance, another program): a free one will do, and the result says so.
    await app.close();
    portTaken = port;
    app = createServer(options);
    await app.listen({ host, port: 0 });
  }
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address !== null ? address.port : port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const running = app;
  return {
    url: `http://${shownHost}:${actualPort}`,
    port: actualPort,
    portTaken,
    app: running,
    close: () => running.close(),
  };
}
