import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Settings } from '../../deploy/index.js';
import { openMetrics, resolveSettings } from '../../deploy/index.js';
import type { ProcessRole } from '../../metrics/index.js';
import { serveMetrics } from '../../metrics/index.js';
import type { CliIO } from '../output.js';

export interface GlobalFlags {
  readonly state?: string;
  readonly config?: string;
  readonly kafka?: string;
  readonly registry?: string;
  readonly warehouse?: string;
  readonly catalog?: string;
  readonly s3Endpoint?: string;
  readonly s3Region?: string;
}

/** The settings of a command: its own flags over the global ones, environment, config file, defaults. */
export function settingsFor(
  command: Command,
  io: CliIO,
  flags: Partial<Record<keyof Settings, unknown>> = {},
  flagNames: Partial<Record<keyof Settings, string>> = {},
): Settings {
  const globals = command.optsWithGlobals<GlobalFlags>();
  return resolveSettings({
    flags: {
      state: globals.state,
      kafka: globals.kafka,
      registry: globals.registry,
      warehouse: globals.warehouse,
      catalog: globals.catalog,
      s3Endpoint: globals.s3Endpoint,
      s3Region: globals.s3Region,
      ...flags,
    },
    flagNames,
    configFile: globals.config,
    env: io.env,
    cwd: io.cwd,
  }).settings;
}

/** Milliseconds as `1.23 s` or `456 ms`. */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

/** A TCP port flag: 0 to 65535, 0 meaning any free port. */
export function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(port) || port > 65_535) throw new InvalidArgumentError('--port takes a port number from 0 to 65535 (0: any free port).');
  return port;
}

/** `--metrics-port`: a port to serve `/metrics` on (127.0.0.1); 0 is refused (a scraper needs to know the port). */
export function parseMetricsPort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new InvalidArgumentError('--metrics-port takes a port number from 1 to 65535.');
  }
  return port;
}

export const METRICS_PORT_HELP = 'serve Prometheus metrics at http://127.0.0.1:<n>/metrics while this runs';

/**
 * Runs `body` with the process's metrics served on 127.0.0.1:`port` (`--metrics-port`); without a
 * port, no registry is made and no one listens to the rooms' channels (they then publish nothing).
 */
export async function withMetricsPort<T>(settings: Settings, role: ProcessRole, port: number | undefined, body: () => Promise<T>): Promise<T> {
  if (port === undefined) return body();
  const metrics = openMetrics(settings, role);
  try {
    const server = await serveMetrics(metrics, port, '--metrics-port');
    try {
      return await body();
    } finally {
      await server.close();
    }
  } finally {
    metrics.close();
  }
}
