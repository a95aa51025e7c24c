import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { STORE_FILE, openMetrics, openRuntime } from '../../deploy/index.js';
import { DEFAULT_HOST, DEFAULT_PORT, serveRuntime } from '../../serve/index.js';
import type { CliIO } from '../output.js';
import { writeJson } from '../output.js';
import type { SetExitCode } from './index.js';
import { parsePort, settingsFor } from './common.js';

interface ServeFlags {
  readonly port: number;
  readonly host: string;
  readonly token?: string;
  readonly json?: boolean;
}

/**
 * `orderpulse serve`: the HTTP API and the dashboard over a deployment that runs elsewhere (the
 * embedded state directory a `stream` or `start` process writes, or the cluster's log and lake),
 * replaying nothing, until Ctrl-C or SIGTERM.
 */
export function registerServe(program: Command, io: CliIO, setExitCode: SetExitCode): void {
  program
    .command('serve')
    .description('serve the HTTP API and the dashboard over an existing state directory or a cluster deployment, without replaying anything, until Ctrl-C')
    .addOption(new Option('--port <n>', 'HTTP port (taken: a free one)').argParser(parsePort).default(DEFAULT_PORT))
    .addOption(new Option('--host <addr>', 'address to listen on; any other than a loopback one needs a token').default(DEFAULT_HOST))
    .option('--token <t>', 'bearer token the API asks for [env ORDERPULSE_TOKEN]')
    .option('--json', 'print where it listens as one JSON line')
    .action(async (flags: ServeFlags, command: Command) => {
      const settings = settingsFor(command, io);
      // An embedded state directory that does not exist has nothing to serve (opening it would create an empty one).
      const storePath = join(resolve(io.cwd, settings.state), STORE_FILE);
      if (settings.kafka.length === 0 && settings.catalog === '' && !existsSync(storePath)) {
        io.stderr.write(`nothing to serve: there is no embedded state at ${dirname(storePath)}; run \`orderpulse start\`, \`orderpulse demo\` or \`orderpulse stream\` first, or pass --state\n`);
        setExitCode(1);
        return;
      }
      const runtime = openRuntime(settings, { env: io.env });
      const metrics = openMetrics(settings, 'server');
      try {
        const envToken = io.env.ORDERPULSE_TOKEN;
        const token = flags.token ?? (envToken === undefined || envToken === '' ? undefined : envToken);
        const server = await serveRuntime(runtime, {
            host: flags.host,
            port: flags.port,
            approvalHours: settings.approvalHours,
            metrics,
            backtestData: settings.data,
            ...(token === undefined ? {} : { token }),
          });
        if (flags.json === true) writeJson(io, { url: server.url, port: server.port, portTaken: server.portTaken, state: runtime.stateDir });
        else {
          if (server.portTaken !== null) io.stdout.write(`port ${server.portTaken} is taken: listening on ${server.port} instead\n`);
          io.stdout.write(`OrderPulse is at ${server.url}  (serving ${runtime.logLocation}; Ctrl-C stops)\n`);
        }
        await new Promise<void>((done) => {
          const stop = (): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            done();
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
        await server.close();
      } finally {
        metrics.close();
        await runtime.close();
      }
    });
}
