import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { CliIO } from './output.js';
import { EXIT, describeError, writeJson } from './output.js';
import { ConfigError } from '../deploy/index.js';
import { ReviewsError } from '../reviews/index.js';
import { registerCommands } from './commands/index.js';

export type { CliIO } from './output.js';

/** Parses a positive whole number option, naming the option on error. */
export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive whole number.`);
    return n;
  };
}

/**
 * Runs the `orderpulse` command line and resolves to the process exit code. Everything a command
 * needs from the process (streams, environment, working directory) comes through `io`, so tests
 * run commands in-process.
 */
export async function main(argv: readonly string[], io: Partial<CliIO> = {}): Promise<number> {
  const cli: CliIO = {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
  };
  let exitCode: number = EXIT.ok;
  const program = new Command()
    .name('orderpulse')
    .description('Real-time delivery-delay alerts and sales intelligence on the Olist marketplace dataset.')
    .version('0.1.0')
    .addOption(new Option('--state <dir>', 'state directory: the embedded store, local caches and scratch space [env ORDERPULSE_STATE]'))
    .addOption(new Option('--config <file>', 'JSON config file [env ORDERPULSE_CONFIG; default ./orderpulse.config.json]'))
    .addOption(new Option('--kafka <brokers>', 'cluster mode: Kafka bootstrap brokers host:port,host:port [env ORDERPULSE_KAFKA; default: the embedded log]'))
    .addOption(new Option('--registry <url>', 'cluster mode: Confluent-compatible schema registry URL [env ORDERPULSE_REGISTRY; default: the embedded registry]'))
    .addOption(new Option('--warehouse <dir|s3://bucket/prefix>', 'where the Iceberg tables live [env ORDERPULSE_WAREHOUSE; default <state>/warehouse]'))
    .addOption(new Option('--catalog <sqlite file|postgres://...>', 'the Iceberg catalog [env ORDERPULSE_CATALOG; default: the embedded store]'))
    .addOption(new Option('--s3-endpoint <url>', 'S3-compatible endpoint for an s3:// warehouse [env ORDERPULSE_S3_ENDPOINT; default AWS]'))
    .addOption(new Option('--s3-region <region>', 'S3 region [env ORDERPULSE_S3_REGION; default us-east-1]'))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => cli.stdout.write(s),
      writeErr: (s) => cli.stderr.write(s),
    });
  registerCommands(program, cli, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const json = argv.includes('--json');
    const { line, json: body } = describeError(error);
    if (json) writeJson(cli, body);
    else cli.stderr.write(`${line}\n`);
    // Bad settings and bad review or label files are the caller's to mend: usage errors, like Commander's.
    return error instanceof ConfigError || error instanceof ReviewsError ? EXIT.usage : EXIT.failed;
  }
  return exitCode;
}
