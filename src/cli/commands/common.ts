import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Settings } from '../../deploy/index.js';
import { resolveSettings } from '../../deploy/index.js';
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
export function settingsFor(command: Command, io: CliIO, flags: Partial<Record<keyof Settings, unknown>> = {}): Settings {
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
