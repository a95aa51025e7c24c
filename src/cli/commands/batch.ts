import type { Command } from 'commander';
import { Option } from 'commander';
import type { JobReport } from '../../batch/index.js';
import { BatchError, BatchScheduler, JOBS, batchStatus, runBatch, selectJobs } from '../../batch/index.js';
import { ConfigError, openRuntime } from '../../deploy/index.js';
import type { Lake } from '../../lake/index.js';
import type { CliIO } from '../output.js';
import { table, writeJson } from '../output.js';
import type { SetExitCode } from './index.js';
import { batchRunJson, describeBatchRun } from './batch-schedule.js';
import { METRICS_PORT_HELP, formatMs, parseMetricsPort, settingsFor, withMetricsPort } from './common.js';

interface RunFlags {
  readonly metricsPort?: number;
  readonly every?: string | true;
  readonly full?: boolean;
  readonly job?: string[];
  readonly json?: boolean;
}

/** The jobs named by --job; an unknown name is bad usage (exit 2). */
function jobsNamed(names: readonly string[] | undefined): ReturnType<typeof selectJobs> {
  try {
    return selectJobs(names);
  } catch (error) {
    if (error instanceof BatchError) throw new ConfigError(error.code, `--job: ${error.message}`, { cause: error });
    throw error;
  }
}

/** On a terminal, a line per job as it ends: a run of many jobs shows where it is. */
function jobProgress(io: CliIO, jobs: readonly { readonly name: string }[]): (report: JobReport) => void {
  const width = Math.max(...jobs.map((j) => j.name.length));
  return (r) => io.stderr.write(`${r.job.padEnd(width)}  ${r.outcome.padEnd(9)}  ${r.rowsWritten.toLocaleString('en-US').padStart(9)} rows  ${formatMs(r.ms).padStart(9)}\n`);
}

/**
 * `batch run --every`: the batch layer as a service of its own (so that a scraper finds it
 * running): a run at once, then one per interval, a line (or JSON line) per run, until SIGINT or
 * SIGTERM, which waits for the run in progress. A failed run is reported and the next one retries.
 */
async function runEvery(
  io: CliIO,
  lake: Lake,
  options: { readonly jobs: readonly { readonly name: string }[]; readonly full: boolean; readonly json: boolean; readonly intervalMs: number },
): Promise<void> {
  let stop = (): void => undefined;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const scheduler = new BatchScheduler(lake, {
    intervalMs: options.intervalMs,
    runAtStart: true,
    batch: { jobs: options.jobs.map((j) => j.name), ...(options.full ? { full: true } : {}) },
    ...(!options.json && io.stderr.isTTY === true ? { onJob: jobProgress(io, options.jobs) } : {}),
    onRun: (report) => io.stdout.write(options.json ? `${JSON.stringify(batchRunJson(report))}\n` : `${describeBatchRun(report)}\n`),
  });
  if (!options.json) io.stderr.write(`batch runs every ${formatMs(scheduler.intervalMs)} (Ctrl-C stops after the run in progress)\n`);
  try {
    scheduler.start();
    await stopped;
    if (!options.json) io.stderr.write('stopping after the run in progress\n');
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await scheduler.stop();
  }
}

export function registerBatch(program: Command, io: CliIO, _setExitCode: SetExitCode): void {
  const batch = program.command('batch').description('the batch layer: silver and gold Iceberg tables computed from bronze');
  batch
    .command('run')
    .description('run the batch jobs whose sources have new snapshots (each commits its result with the snapshots it read)')
    .option('--full', 'recompute every job, changed sources or not')
    .option('--job <name...>', `only these jobs (${JOBS.map((j) => j.name).join(', ')})`)
    .option(
      '--every [duration]',
      'keep running: a run now, then one every duration, until Ctrl-C (alone: the batchInterval setting) [env ORDERPULSE_BATCH_EVERY; default 5m]',
    )
    .option('--json', 'print the run as JSON (with --every: one line per run)')
    .addOption(new Option('--metrics-port <n>', METRICS_PORT_HELP).argParser(parseMetricsPort))
    .action(async (flags: RunFlags, command: Command) => {
      const jobs = jobsNamed(flags.job); // an unknown name fails before anything opens
      const settings = settingsFor(command, io, { batchInterval: typeof flags.every === 'string' ? flags.every : undefined }, { batchInterval: '--every' });
      await withMetricsPort(settings, 'batch', flags.metricsPort, async () => {
        const runtime = openRuntime(settings, { env: io.env });
        try {
          const lake = await runtime.lake();
          if (flags.every !== undefined) {
            await runEvery(io, lake, { jobs, full: flags.full === true, json: flags.json === true, intervalMs: settings.batchInterval });
            return;
          }
          const reports = await runBatch(lake, {
            ...(flags.full === true ? { full: true } : {}),
            jobs: jobs.map((j) => j.name),
            ...(flags.json !== true && io.stderr.isTTY === true ? { onJob: jobProgress(io, jobs) } : {}),
          });
          if (flags.json === true) {
            writeJson(io, { jobs: reports });
            return;
          }
          io.stdout.write(
            `${table(
              ['job', 'outcome', 'read', 'rows read', 'rows written', 'ms'],
              reports.map((r) => [r.job, r.outcome, r.mode ?? '-', r.rowsRead, r.rowsWritten, Math.round(r.ms)]),
            )}\n`,
          );
        } finally {
          await runtime.close();
        }
      });
    });
  batch
    .command('status')
    .description("per job: its table's last batch run (when, outcome, rows, rows read, duration) and the source snapshots it consumed")
    .option('--json', 'print as JSON')
    .action(async (flags: { json?: boolean }, command: Command) => {
      const runtime = openRuntime(settingsFor(command, io), { env: io.env });
      try {
        const status = await batchStatus(await runtime.lake());
        if (flags.json === true) {
          writeJson(io, { jobs: status });
          return;
        }
        // A run whose sources had not changed commits nothing, so the last run shown is the last that wrote.
        io.stdout.write(
          `${table(
            ['job', 'last run', 'outcome', 'rows', 'rows read', 'ms', 'sources consumed'],
            status.map((s) => [
              s.job,
              s.at ?? 'never',
              s.at === null ? '-' : s.lastRun === null ? 'written' : `written (${s.lastRun.mode})`,
              s.rows,
              s.lastRun === null ? '-' : s.lastRun.rowsRead,
              s.lastRun === null || s.lastRun.ms === null ? '-' : Math.round(s.lastRun.ms),
              s.sources === null ? '' : Object.entries(s.sources).map(([k, v]) => `${k}@${String(v)}`).join(' '),
            ]),
          )}\n`,
        );
      } finally {
        await runtime.close();
      }
    });
}
