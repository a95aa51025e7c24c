import { resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { formatLocal, parseLocalDateTime } from '../../data/index.js';
import type { HistoryReport, LivePace, LiveStep, Runtime, Settings } from '../../deploy/index.js';
import type { RunningServer } from '../../serve/index.js';
import { DEFAULT_HOST, DEFAULT_PORT, serveRuntime } from '../../serve/index.js';
import { LIVE_DEFAULTS, LivePipeline, liveStateDir, openMetrics, resolveSettings } from '../../deploy/index.js';
import { ProgressReporter } from '../../replay/index.js';
import type { CliIO } from '../output.js';
import { writeJson } from '../output.js';
import type { SetExitCode } from './index.js';
import type { GlobalFlags } from './common.js';
import { formatMs, parsePort } from './common.js';
import { batchRunJson, describeBatchRun } from './batch-schedule.js';
import { parseDuration } from './durations.js';
import { parseInstant } from './replay.js';

/** Replay progress lines come at most this often (wall-clock ms). */
const PROGRESS_EVERY_MS = 5_000;

interface StartFlags {
  readonly historyUntil?: number;
  readonly dayEvery?: number;
  readonly max?: boolean;
  readonly data?: string;
  readonly batchEvery?: string;
  readonly resume?: boolean;
  readonly port: number;
  readonly host: string;
  readonly token?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
}


function parsePositiveDuration(name: string) {
  return (text: string): number => {
    const ms = parseDuration(text);
    if (!(ms > 0)) throw new InvalidArgumentError(`${name} must be longer than 0.`);
    return ms;
  };
}

/**
 * The settings, and the batch interval: the flag, ORDERPULSE_BATCH_EVERY or "batchInterval" in
 * the config file when given; otherwise the live pipeline's own default (30 s, not the 5 minutes
 * of a long-running stream process: the charts should move while one watches).
 */
function startSettings(command: Command, io: CliIO, flags: StartFlags): { settings: Settings; batchIntervalMs: number } {
  const globals = command.optsWithGlobals<GlobalFlags>();
  const resolved = resolveSettings({
    flags: { state: globals.state, data: flags.data, batchInterval: flags.batchEvery },
    configFile: globals.config,
    env: io.env,
    cwd: io.cwd,
  });
  const batchIntervalMs = resolved.sources.batchInterval === 'default' ? LIVE_DEFAULTS.batchIntervalMs : resolved.settings.batchInterval;
  return { settings: { ...resolved.settings, state: resolve(io.cwd, resolved.settings.state) }, batchIntervalMs };
}

/** A step as one NDJSON line: times as local date-times, a batch run as `batch run --json` reports one. */
function stepJson(step: LiveStep): Record<string, unknown> {
  switch (step.step) {
    case 'history-replayed':
      return { ...step, until: formatLocal(step.until), ms: Math.round(step.ms) };
    case 'stream-caught-up':
      return { ...step, watermark: step.watermark === null ? null : formatLocal(step.watermark), ms: Math.round(step.ms) };
    case 'history-batch':
      return { step: step.step, tablesWritten: step.tablesWritten, run: batchRunJson(step.report) };
    case 'live-started':
      return { ...step, from: formatLocal(step.from) };
    case 'replay-ended': {
      const s = step.summary;
      return { step: step.step, appended: s.appended, lastEventTime: s.lastEventTime === null ? null : formatLocal(s.lastEventTime), ms: Math.round(s.elapsedMs) };
    }
    case 'loaded':
      return { ...step, ms: Math.round(step.ms) };
    case 'stopped':
      return { ...step };
  }
}

/** A step as a line for people. */
function describeStep(step: LiveStep, pace: LivePace): string | null {
  const n = (x: number): string => x.toLocaleString('en-US');
  switch (step.step) {
    case 'loaded':
      return `loaded ${n(step.events)} events from ${step.dataDir} in ${formatMs(step.ms)}`;
    case 'history-replayed':
      return (
        `history: replayed ${n(step.appended)} events before ${formatLocal(step.until).slice(0, 10)} in ${formatMs(step.ms)}` +
        (step.alreadyInLog > 0 ? ` (${n(step.alreadyInLog)} already in the log)` : '')
      );
    case 'stream-caught-up':
      return step.phase === 'history'
        ? `stream: caught up, ${n(step.records)} order and review events in bronze, watermark ${step.watermark === null ? '-' : formatLocal(step.watermark)}, in ${formatMs(step.ms)}`
        : `stream: caught up with the end of the data, ${n(step.records)} order and review events in bronze`;
    case 'history-batch':
      return step.report.error === null
        ? `batch: wrote ${step.tablesWritten} tables in ${formatMs(step.report.ms)}`
        : `batch: ${describeBatchRun(step.report)} (the schedule tries again)`;
    case 'live-started':
      return (
        `live: replaying from ${formatLocal(step.from).slice(0, 10)} ` +
        (pace.mode === 'max' ? 'as fast as possible' : `a simulated day every ${formatMs(pace.dayEveryMs)}`) +
        `, batch every ${formatMs(step.batchIntervalMs)}`
      );
    case 'replay-ended':
      return `replay ended: the last event of the data is in the log (${n(step.summary.appended)} replayed live); the processor and the batch schedule keep running until Ctrl-C`;
    case 'stopped':
      return 'stopped';
  }
}

/** How to look at the data from a terminal while the pipeline runs. */
function printLookCommands(io: CliIO, stateDir: string): void {
  const state = JSON.stringify(stateDir);
  io.stdout.write(`the pipeline writes to ${stateDir}; the same data from a terminal, while it runs:\n`);
  io.stdout.write(`  npx orderpulse --state ${state} alerts --open --limit 10\n`);
  io.stdout.write(`  npx orderpulse --state ${state} tables\n`);
  io.stdout.write(`  npx orderpulse --state ${state} batch status\n`);
  io.stdout.write(`  npx orderpulse --state ${state} query "SELECT month, sum(revenue_cents) / 100 AS revenue FROM gold_sales_monthly GROUP BY ALL ORDER BY ALL"\n`);
  io.stdout.write(`  npx orderpulse --state ${state} tail alerts --limit 5\n\n`);
}

/**
 * `orderpulse start`: the live pipeline on the embedded state, in `<state>/live` (wiped at start
 * unless --resume), until Ctrl-C or SIGTERM, which stop every part cleanly and exit 0. The HTTP
 * server (API and dashboard) starts once the history is in every table, so every page has data.
 */
export function registerStart(program: Command, io: CliIO, _setExitCode: SetExitCode): void {
  program
    .command('start')
    .description(
      'run the whole pipeline on the bundled sample: the history replayed, streamed and batched at once, then the rest replayed at a live-looking pace ' +
        'with the stream processor, the batch schedule and the HTTP server (API and dashboard; its address is printed), until Ctrl-C ' +
          '(always embedded, in <state>/live, fresh at each start unless --resume)',
    )
    .addOption(
      new Option('--history-until <date>', `replay the history before this local date at once, the rest live [default ${LIVE_DEFAULTS.historyUntil}]`).argParser(
        parseInstant('--history-until'),
      ),
    )
    .addOption(
      new Option('--day-every <duration>', `live pace: a simulated day every duration [default ${LIVE_DEFAULTS.dayEveryMs / 1000}s]`)
        .argParser(parsePositiveDuration('--day-every'))
        .conflicts('max'),
    )
    .option('--max', 'replay the live part as fast as possible')
    .option('--data <dir>', 'Olist directory to use instead of the bundled sample [env ORDERPULSE_DATA]')
    .option('--batch-every <duration>', `time between two batch runs [env ORDERPULSE_BATCH_EVERY; default ${LIVE_DEFAULTS.batchIntervalMs / 1000}s]`)
    .option('--resume', 'continue from what <state>/live holds instead of starting afresh')
    .addOption(new Option('--port <n>', 'HTTP port (taken: a free one)').argParser(parsePort).default(DEFAULT_PORT))
    .addOption(new Option('--host <addr>', 'HTTP address to listen on (127.0.0.1: this machine only); any other needs a token').default(DEFAULT_HOST))
    .option('--token <t>', 'bearer token the HTTP API asks for [env ORDERPULSE_TOKEN]')
    .option('--json', 'progress as NDJSON lines on stdout')
    .option('--quiet', 'no progress output')
    .action(async (flags: StartFlags, command: Command) => {
      const { settings, batchIntervalMs } = startSettings(command, io, flags);
      const pace: LivePace = flags.max === true ? { mode: 'max' } : { mode: 'day-every', dayEveryMs: flags.dayEvery ?? LIVE_DEFAULTS.dayEveryMs };
      const historyUntil = flags.historyUntil ?? parseLocalDateTime(LIVE_DEFAULTS.historyUntil);
      const json = flags.json === true;
      const quiet = flags.quiet === true && !json;
      const say = (line: string): void => {
        if (!quiet && !json) io.stdout.write(`${line}\n`);
      };
      const emit = (value: Record<string, unknown>): void => {
        if (json) writeJson(io, value);
      };
      const reporter = new ProgressReporter(io.stderr, formatLocal);
      let lastProgress = -Infinity;

      // Ends the wait: a signal (exit 0) or a part that failed (exit 1).
      let finish: (failure: Error | null) => void = () => undefined;
      const ended = new Promise<Error | null>((done) => (finish = done));
      // Set by the hook below; a holder, since the assignment happens in a callback.
      const serving: { server: RunningServer | null } = { server: null };
      // Every part of the pipeline runs in this process: one registry sees them all, served at /metrics.
      const metrics = openMetrics(settings, 'start');
      const pipeline = new LivePipeline({
        settings,
        historyUntil,
        pace,
        batchIntervalMs,
        resume: flags.resume === true,
        cwd: io.cwd,
        onStep: (step) => {
          if (step.step === 'history-replayed' && !quiet && !json) reporter.finish();
          emit(stepJson(step));
          const line = describeStep(step, pace);
          if (line !== null) say(line);
        },
        onReplayProgress: (phase, progress) => {
          if (phase === 'history' && !quiet && !json) {
            reporter.update(progress);
            return;
          }
          // At most a line every PROGRESS_EVERY_MS, and the last one.
          // What the log held already (a resumed run; the reference data from before the cut) is not this run's to replay.
          const toReplay = progress.total - progress.alreadyInLog;
          const now = performance.now();
          if (now - lastProgress < PROGRESS_EVERY_MS && progress.appended < toReplay) return;
          lastProgress = now;
          const clock = progress.simulatedTime === null ? null : formatLocal(progress.simulatedTime);
          emit({ step: 'progress', phase, appended: progress.appended, toReplay, simulatedTime: clock, eventsPerSecond: Math.round(progress.eventsPerSecond) });
          say(`live: simulated clock ${clock ?? '-'}, ${progress.appended.toLocaleString('en-US')} of ${toReplay.toLocaleString('en-US')} events replayed live`);
        },
        onBatchRun: (report) => {
          // The history's run is reported as its step.
          if (pipeline.phase === 'history') return;
          const clock = pipeline.status().simulatedTime;
          emit({ step: 'batch-run', simulatedTime: clock === null ? null : formatLocal(clock), run: batchRunJson(report) });
          say(`${describeBatchRun(report)}; simulated clock ${clock === null ? '-' : formatLocal(clock)}`);
        },
        onFailure: (error) => finish(error),
        onHistoryReady: async (_history: HistoryReport, runtime: Runtime) => {
          // After the history phase, before the live phase: every page has data from its first load.
          const token = flags.token ?? (io.env.ORDERPULSE_TOKEN === '' ? undefined : io.env.ORDERPULSE_TOKEN);
          const server = await serveRuntime(runtime, {
            host: flags.host,
            port: flags.port,
            approvalHours: settings.approvalHours,
            metrics,
            backtestData: settings.data,
            ...(token === undefined ? {} : { token }),
          });
          serving.server = server;
          emit({ step: 'ready', state: liveStateDir(settings.state), url: server.url, portTaken: server.portTaken });
          if (server.portTaken !== null) say(`port ${server.portTaken} is taken: listening on ${server.port} instead`);
          say(`\nOrderPulse is at ${server.url}  (Ctrl-C stops everything)\n`);
          if (!quiet && !json) printLookCommands(io, liveStateDir(settings.state));
        },
      });
      const onSignal = (): void => {
        if (!quiet && !json) io.stderr.write('\nstopping: the replay, the processor after its batch in flight, the batch run in flight (Ctrl-C again to force)\n');
        finish(null);
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let failure: Error | null = null;
      try {
        say(`state ${liveStateDir(settings.state)} (${flags.resume === true ? 'resumed' : 'fresh'})`);
        // A signal during the history phase stops it: `start` then returns early. A failure of
        // `start` has stopped the pipeline already and goes to the command line's error report.
        let live = false;
        void ended.then(() => {
          if (!live) void pipeline.stop().catch(() => undefined);
        });
        const history = await pipeline.start();
        live = !history.stopped;
        // Once live, the server closes before the pipeline stops (below), so no request reads a closing lake.
        if (live) failure = await ended;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        try {
          await serving.server?.close();
        } finally {
          await pipeline.stop();
          metrics.close();
        }
      }
      // A part failed while running: everything is stopped, and the error is reported with exit 1.
      if (failure !== null) throw failure;
    });
}
