import type { Command } from 'commander';
import { Option } from 'commander';
import type { JobReport } from '../../batch/index.js';
import { BatchError, JOBS, batchStatus, runBatch, selectJobs } from '../../batch/index.js';
import { ConfigError, openRuntime } from '../../deploy/index.js';
import type { CliIO } from '../output.js';
import { table, writeJson } from '../output.js';
import type { SetExitCode } from './index.js';
import { METRICS_PORT_HELP, formatMs, parseMetricsPort, settingsFor, withMetricsPort } from './common.js';

interface RunFlags {
  readonly metricsPort?: number;
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

export function registerBatch(program: Command, io: CliIO, _setExitCode: SetExitCode): void {
  const batch = program.command('batch').description('the batch layer: silver and gold Iceberg tables computed from bronze');
  batch
    .command('run')
    .description('run the batch jobs whose sources have new snapshots (each commits its result with the snapshots it read)')
    .option('--full', 'recompute every job, changed sources or not')
    .option('--job <name...>', `only these jobs (${JOBS.map((j) => j.name).join(', ')})`)
    .option('--json', 'print the run as JSON')
    .addOption(new Option('--metrics-port <n>', METRICS_PORT_HELP).argParser(parseMetricsPort))
    .action(async (flags: RunFlags, command: Command) =>
      withMetricsPort(settingsFor(command, io), 'batch', flags.metricsPort, async () => {
      const jobs = jobsNamed(flags.job); // an unknown name fails before anything opens
      const runtime = openRuntime(settingsFor(command, io), { env: io.env });
      try {
        const lake = await runtime.lake();
        // On a terminal, a line per job as it ends: a run of many jobs shows where it is.
        const progress = flags.json !== true && io.stderr.isTTY === true;
        const width = Math.max(...jobs.map((j) => j.name.length));
        const reports = await runBatch(lake, {
          ...(flags.full === true ? { full: true } : {}),
          jobs: jobs.map((j) => j.name),
          ...(progress
            ? {
                onJob: (r: JobReport) =>
                  io.stderr.write(`${r.job.padEnd(width)}  ${r.outcome.padEnd(9)}  ${r.rowsWritten.toLocaleString('en-US').padStart(9)} rows  ${formatMs(r.ms).padStart(9)}\n`),
              }
            : {}),
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
    }));
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
