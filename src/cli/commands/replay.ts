import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { formatLocal, parseLocalDateTime } from '../../data/index.js';
import type { Pacing, ReplayProgress } from '../../replay/index.js';
import { DEFAULT_MAX_GAP_MS, ProgressReporter } from '../../replay/index.js';
import type { ReplayRun, Settings } from '../../deploy/index.js';
import { runReplay } from '../../deploy/index.js';
import type { CliIO } from '../output.js';
import { table, writeJson } from '../output.js';
import type { SetExitCode } from './index.js';
import { METRICS_PORT_HELP, formatMs, parseMetricsPort, settingsFor, withMetricsPort } from './common.js';
import { parseDuration, parsePositiveNumber } from './durations.js';
import { positiveInt } from '../index.js';

interface ReplayFlags {
  readonly metricsPort?: number;
  readonly data?: string;
  readonly speed?: number;
  readonly rate?: number;
  readonly max?: boolean;
  readonly maxGap: number;
  readonly from?: number;
  readonly until?: number;
  readonly batchSize?: number;
  readonly partitions?: number;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

export function parseInstant(name: string) {
  return (text: string): number => {
    try {
      return parseLocalDateTime(text);
    } catch {
      throw new InvalidArgumentError(`${name} takes a Brazilian local date or time: YYYY-MM-DD or "YYYY-MM-DD HH:MM:SS".`);
    }
  };
}

/** Replays a dataset with progress on stderr, stopping on Ctrl-C after the batch in flight: `replay` and `demo`. */
export async function replayWithProgress(
  io: CliIO,
  settings: Settings,
  options: { pacing: Pacing; from?: number; until?: number; quiet: boolean },
): Promise<ReplayRun> {
  const reporter = new ProgressReporter(io.stderr, formatLocal);
  const abort = new AbortController();
  const onSignal = (): void => {
    io.stderr.write('\nstopping after the batch in flight; run the same command again to resume\n');
    abort.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const run = await runReplay(settings, {
      pacing: options.pacing,
      from: options.from,
      until: options.until,
      signal: abort.signal,
      cwd: io.cwd,
      env: io.env,
      ...(options.quiet ? {} : { onLoading: (dataDir: string) => io.stderr.write(`loading ${dataDir}\n`), onProgress: (p: ReplayProgress) => reporter.update(p) }),
      onQuarantine: (rows, file) => io.stderr.write(`${rows} rows quarantined, written to ${file}\n`),
    });
    reporter.finish();
    return run;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function printSummary(io: CliIO, run: ReplayRun): void {
  const s = run.summary;
  const status = s.completed ? 'complete' : 'stopped early (run again to resume)';
  io.stdout.write(
    `replay ${status}: ${s.appended.toLocaleString('en-US')} events appended` +
      (s.alreadyInLog > 0 ? `, ${s.alreadyInLog.toLocaleString('en-US')} already in the log` : '') +
      ` in ${formatMs(s.elapsedMs)} (${Math.round(s.eventsPerSecond).toLocaleString('en-US')} events/s)\n`,
  );
  if (s.firstEventTime !== null && s.lastEventTime !== null) {
    io.stdout.write(`event time ${formatLocal(s.firstEventTime)} … ${formatLocal(s.lastEventTime)} (America/Sao_Paulo)\n`);
  }
  io.stdout.write(`\n${table(['topic', 'events'], Object.entries(s.byTopic))}\n\n`);
  io.stdout.write(`${table(['event type', 'events'], Object.entries(s.byType))}\n`);
}

export function registerReplay(program: Command, io: CliIO, _setExitCode: SetExitCode): void {
  program
    .command('replay')
    .description('replay an Olist dataset into the event log in event-time order (resumable: run again to continue)')
    .option('--data <dir>', 'Olist directory of .csv or .csv.gz files [env ORDERPULSE_DATA; default data/olist-sample]')
    .addOption(
      new Option('--speed <n>', 'replay at n times real time (event time)')
        .argParser(parsePositiveNumber('--speed'))
        .conflicts(['rate', 'max']),
    )
    .addOption(
      new Option('--rate <n>', 'replay at n events per second').argParser(parsePositiveNumber('--rate')).conflicts(['max']),
    )
    .addOption(new Option('--max', 'replay as fast as the log accepts (the default)'))
    .addOption(
      new Option('--max-gap <duration>', 'with --speed, quiet stretches longer than this count as this long')
        .argParser(parseDuration)
        .default(DEFAULT_MAX_GAP_MS, '5m'),
    )
    .addOption(new Option('--from <date>', 'start at this local date or time').argParser(parseInstant('--from')))
    .addOption(new Option('--until <date>', 'stop before this local date or time').argParser(parseInstant('--until')))
    .addOption(new Option('--batch-size <n>', 'records per append [default 5000]').argParser(positiveInt('--batch-size')))
    .addOption(
      new Option('--partitions <n>', 'partitions per topic when creating topics [default 6]').argParser(
        positiveInt('--partitions'),
      ),
    )
    .option('--quiet', 'no progress output')
    .option('--json', 'print the summary as JSON')
    .addOption(new Option('--metrics-port <n>', METRICS_PORT_HELP).argParser(parseMetricsPort))
    .action(async (flags: ReplayFlags, command: Command) => {
      const settings = settingsFor(command, io, {
        data: flags.data,
        batchSize: flags.batchSize,
        partitions: flags.partitions,
      });
      await withMetricsPort(settings, 'replay', flags.metricsPort, async () => {
        const pacing: Pacing =
          flags.speed !== undefined
            ? { mode: 'speed', speed: flags.speed, maxGapMs: flags.maxGap }
            : flags.rate !== undefined
              ? { mode: 'rate', eventsPerSecond: flags.rate }
              : { mode: 'max' };
        const run = await replayWithProgress(io, settings, {
          pacing,
          from: flags.from,
          until: flags.until,
          quiet: flags.quiet === true || flags.json === true,
        });
        if (flags.json === true) {
          writeJson(io, {
            ...run.summary,
            data: resolve(io.cwd, settings.data),
            state: resolve(io.cwd, settings.state),
            pacing,
            quarantined: run.dataset.report.quarantine.length,
            quarantineFile: run.quarantineFile,
          });
        } else {
          printSummary(io, run);
        }
      });
    });
}
