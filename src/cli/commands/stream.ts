import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { formatLocal } from '../../data/index.js';
import type { Alert, EmittedChange, RunReport, StreamProcessor } from '../../stream/index.js';
import { ALERT_EVENTS_TABLE, ALERT_STATES, OPEN_ALERTS_TABLE, REFERENCE_EVENTS_TABLE, RULE_NAMES, ReferenceIngest, runInGroup } from '../../stream/index.js';
import type { CliIO } from '../output.js';
import { table, writeJson } from '../output.js';
import type { ProcessorHooks } from '../../deploy/index.js';
import { StreamBatch, boundHeapGrowth, openProcessor, openRuntime, processorOptions } from '../../deploy/index.js';
import type { SetExitCode } from './index.js';
import { METRICS_PORT_HELP, formatMs, parseMetricsPort, settingsFor, withMetricsPort } from './common.js';
import type { StreamBatchSummary } from './batch-schedule.js';
import { describeBatchRun, streamBatchSummary } from './batch-schedule.js';
import { positiveInt } from '../index.js';

interface StreamFlags {
  readonly metricsPort?: number;
  readonly untilIdle?: boolean;
  readonly approvalHours?: string;
  readonly allowedLateness?: string;
  readonly escalateAfter?: string;
  readonly stateRetention?: string;
  readonly stuckAfter?: string;
  readonly riskThreshold?: string;
  readonly maxBatch?: number;
  readonly idleAfter?: string;
  readonly checkpointEvery?: number;
  readonly idleAdvance?: string;
  readonly tasks?: readonly number[];
  readonly group?: string;
  readonly alerts?: boolean;
  readonly quiet?: boolean;
  readonly json?: boolean;
  /** A duration, or true when given alone (then the batchInterval setting). */
  readonly batchEvery?: string | true;
}

function parseTasks(text: string): number[] {
  const tasks = text.split(',').map((t) => Number(t.trim()));
  if (text.trim() === '' || tasks.some((t) => !Number.isInteger(t) || t < 0)) {
    throw new InvalidArgumentError('--tasks takes partition numbers separated by commas, e.g. 0,1,2.');
  }
  return tasks;
}

/** One alert change as a line: when (event time), what, which order, why. */
export function describeChange(change: EmittedChange['change']): string {
  const a = change.alert;
  const value = `R$ ${(a.orderValueCents / 100).toFixed(2)}`;
  return `${formatLocal(a.updatedAt)}  ${change.kind.padEnd(9)} ${a.rule.padEnd(16)} ${a.orderId}  ${value.padStart(11)}  priority ${a.priority.toFixed(0).padStart(6)}  ${a.reason}`;
}

export function openAlertsTable(alerts: readonly Alert[], limit: number): string {
  return table(
    ['rank', 'priority', 'rule', 'state', 'order', 'value R$', 'overdue', 'since'],
    alerts.slice(0, limit).map((a, i) => [
      i + 1,
      Math.round(a.priority),
      a.rule,
      a.state,
      a.orderId,
      (a.orderValueCents / 100).toFixed(2),
      `${(a.overdueMs / 86_400_000).toFixed(1)} d`,
      formatLocal(a.openedAt),
    ]),
  );
}

export interface StreamSummary {
  readonly records: number;
  readonly batches: number;
  readonly changes: number;
  readonly recovery: StreamProcessor['recovery'];
  readonly watermark: string | null;
  readonly stats: ReturnType<StreamProcessor['stats']>;
  readonly openAlerts: number;
  readonly elapsedMs: number;
  /** The process's peak resident memory so far (MiB): what a host must give a processor. */
  readonly peakRssMiB: number;
}

export function streamSummary(processor: StreamProcessor, run: RunReport, elapsedMs: number): StreamSummary {
  const stats = processor.stats();
  return {
    records: run.records,
    batches: run.batches,
    changes: run.changes,
    recovery: processor.recovery,
    watermark: Number.isFinite(stats.watermark) ? formatLocal(stats.watermark) : null,
    stats,
    openAlerts: stats.openAlerts,
    elapsedMs,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

/** The open alerts as the queue ranks them: the stuck ones after all the others, each part by priority. */
export function queueOrder(open: readonly Alert[]): Alert[] {
  return [...open.filter((a) => a.state !== ALERT_STATES.stuck), ...open.filter((a) => a.state === ALERT_STATES.stuck)];
}

export function printStreamSummary(io: CliIO, summary: StreamSummary, open: readonly Alert[]): void {
  const s = summary.stats;
  io.stdout.write(
    `\nprocessed ${summary.records.toLocaleString('en-US')} records in ${summary.batches} batches (${formatMs(summary.elapsedMs)}); watermark ${summary.watermark ?? '-'}; peak memory ${summary.peakRssMiB} MiB\n`,
  );
  io.stdout.write(
    `alert changes: ${s.changes.opened} opened, ${s.changes.escalated} escalated, ${s.changes.resolved} resolved, ${s.changes.final} delivered late` +
      ` · late events ${s.late} · duplicates ${s.duplicates}\n\n`,
  );
  io.stdout.write(`${table(['rule', 'alerts', 'open now'], RULE_NAMES.map((r) => [r, s.alertsByRule[r], open.filter((a) => a.rule === r).length]))}\n`);
  const stuck = open.filter((a) => a.state === ALERT_STATES.stuck).length;
  if (stuck > 0) io.stdout.write(`${stuck} of them stuck: overdue too long with no event (alerts --stuck), ranked after the others\n`);
  if (open.length > 0) io.stdout.write(`\nopen alerts by priority (top ${Math.min(10, open.length)} of ${open.length}):\n${openAlertsTable(queueOrder(open), 10)}\n`);
}

export function registerStream(program: Command, io: CliIO, setExitCode: SetExitCode): void {
  program
    .command('stream')
    .description(
      'run the stream processor: read the order and review topics, write bronze exactly once, detect late orders and emit alerts ' +
        `(alerts topic, ${ALERT_EVENTS_TABLE}, ${OPEN_ALERTS_TABLE}); resumes where it stopped`,
    )
    .option('--until-idle', 'stop once the log is read to its end and the idle policy has moved the watermark')
    .option('--approval-hours <n>', 'payment approval deadline after the purchase [env ORDERPULSE_APPROVAL_HOURS; default 96]')
    .option('--allowed-lateness <duration>', 'how late an event may arrive and still count [default 1h]')
    .option('--escalate-after <duration>', 'an open alert escalates after this, then each time it doubles [default 1d]')
    .option('--state-retention <duration>', "how long a finished order's state is kept (event time) [default 30d]")
    .option('--stuck-after <duration>', 'an alert overdue this long with no event leaves the queue for the stuck list (alerts --stuck); 0: never [default 30d]')
    .option('--risk-threshold <p>', 'P(late) at which an order on its way gets a delivery_at_risk alert [env ORDERPULSE_RISK_THRESHOLD; default 0.6]')
    .addOption(new Option('--max-batch <n>', 'records per micro-batch at most [default 10000]').argParser(positiveInt('--max-batch')))
    .option('--idle-after <duration>', 'quiet time before the idle policy moves the watermark [default 1s]')
    .addOption(
      new Option('--checkpoint-every <n>', "checkpoint a task's state after this many of its records: a restart replays at most about this many [default 100000]").argParser(
        positiveInt('--checkpoint-every'),
      ),
    )
    .option('--idle-advance <duration>', "the idle policy moves a quiet task's watermark to the newest event time of the whole input plus this [default 0]")
    .addOption(
      new Option('--tasks <list>', 'run only these tasks (input partition numbers, e.g. 0,1,2), to share the work among processes [default: all]').argParser(parseTasks),
    )
    .addOption(
      new Option('--group <name>', 'share the tasks with the other processes of this consumer group, following its rebalances').conflicts('tasks'),
    )
    .option(
      '--batch-every [duration]',
      'also run the batch jobs in this process, every duration (alone: the batchInterval setting) [env ORDERPULSE_BATCH_EVERY; default 5m]',
    )
    .option('--alerts', 'print every alert change as it is emitted (NDJSON with --json)')
    .option('--quiet', 'no progress output')
    .option('--json', 'print the summary as JSON (last line)')
    .addOption(new Option('--metrics-port <n>', METRICS_PORT_HELP).argParser(parseMetricsPort))
    .action(async (flags: StreamFlags, command: Command) => {
      const settings = settingsFor(command, io, {
        approvalHours: flags.approvalHours,
        allowedLateness: flags.allowedLateness,
        escalateAfter: flags.escalateAfter,
        stateRetention: flags.stateRetention,
        stuckAfter: flags.stuckAfter,
        riskThreshold: flags.riskThreshold,
        maxBatch: flags.maxBatch,
        idleAfter: flags.idleAfter,
        checkpointEvery: flags.checkpointEvery,
        idleAdvance: flags.idleAdvance,
        batchInterval: typeof flags.batchEvery === 'string' ? flags.batchEvery : undefined,
      });
      await withMetricsPort(settings, 'stream', flags.metricsPort, async () => {
        boundHeapGrowth();
        const runtime = openRuntime(settings, { env: io.env, writerThread: true });
        const abort = new AbortController();
        const onSignal = (): void => {
          if (flags.quiet !== true) io.stderr.write('\nstopping after the batch in flight\n');
          abort.abort();
        };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        let batch: StreamBatch | null = null;
        let reference: ReferenceIngest | null = null;
        // Ends the batch with the processor: with --until-idle one last run reads all the stream wrote.
        const endBatch = async (): Promise<{ batch?: StreamBatchSummary }> => {
          if (batch === null) return {};
          const last = await batch.finish(flags.untilIdle === true && !abort.signal.aborted);
          if (last !== null && last.error !== null) setExitCode(1);
          return { batch: streamBatchSummary(batch) };
        };
        try {
          if (flags.batchEvery !== undefined) {
            const quietBatch = flags.quiet === true || flags.json === true;
            batch = StreamBatch.start(await runtime.lake(), {
              intervalMs: settings.batchInterval,
              ...(quietBatch ? {} : { onRun: (report) => io.stderr.write(`${describeBatchRun(report)}\n`) }),
            });
          }
          const started = performance.now();
          const progress = flags.quiet !== true && flags.json !== true;
          const ingest = await ReferenceIngest.start(runtime, {
            signal: abort.signal,
            ...(progress ? { onAppended: (rows: number) => io.stderr.write(`reference ${rows.toLocaleString('en-US').padStart(7)} records  into ${REFERENCE_EVENTS_TABLE}\n`) } : {}),
          });
          reference = ingest;
          // The processor stops on Ctrl-C, and on a failed reference pass (whose error `finish` throws).
          const stop = AbortSignal.any([abort.signal, ingest.failed]);
          const hooks: ProcessorHooks = {
            ...(flags.tasks === undefined ? {} : { tasks: flags.tasks }),
            onAlerts:
              flags.alerts === true
                ? (changes) => {
                    for (const { change } of changes) {
                      io.stdout.write(flags.json === true ? `${JSON.stringify({ change: change.kind, ...change.alert })}\n` : `${describeChange(change)}\n`);
                    }
                  }
                : undefined,
            onBatch: (b) => {
              if (b.idle) ingest.nudge();
              if (!progress) return;
              io.stderr.write(
                `${b.idle ? 'idle    ' : 'batch   '} ${b.records.toLocaleString('en-US').padStart(7)} records  ${String(b.changes).padStart(6)} alert changes  ` +
                  `watermark ${Number.isFinite(b.watermark) ? formatLocal(b.watermark) : '-'}  ${formatMs(b.timings.total)}\n`,
              );
            },
          };
          if (flags.group !== undefined) {
            const report = await runInGroup({
              ...(await processorOptions(runtime, settings, hooks)),
              group: flags.group,
              signal: stop,
              untilIdle: flags.untilIdle === true,
              onAssignment: (tasks) => {
                if (flags.quiet !== true && flags.json !== true) io.stderr.write(`group ${flags.group ?? ''}: running tasks ${tasks.length === 0 ? 'none' : tasks.join(', ')}\n`);
              },
            });
            const referenceEvents = await ingest.finish();
            const batchSummary = await endBatch();
            if (report.processor === null) {
              if (flags.json === true) writeJson(io, { group: flags.group, tasks: [], records: report.records, referenceEvents, ...batchSummary });
              else if (flags.quiet !== true) io.stdout.write(`the group gave this process no tasks\n`);
              return;
            }
            const summary = { ...streamSummary(report.processor, report, performance.now() - started), group: flags.group, tasks: report.tasks, reassignments: report.reassignments, referenceEvents, ...batchSummary };
            if (flags.json === true) writeJson(io, summary);
            else if (flags.quiet !== true) printStreamSummary(io, summary, report.processor.openAlerts());
            return;
          }
          const processor = await openProcessor(runtime, settings, hooks);
          const r = processor.recovery;
          // Said even with --json: a restart that could not use its checkpoint is slower, and why matters.
          for (const [task, { fallback }] of Object.entries(r.checkpoints)) {
            if (fallback !== null && flags.quiet !== true) io.stderr.write(`task ${task}: checkpoint not used, state rebuilt from all of bronze: ${fallback}\n`);
          }
          if (flags.quiet !== true && flags.json !== true && r.replayed > 0) {
            io.stderr.write(
              `resumed: state rebuilt from ${Object.values(r.checkpoints).some((c) => c.restoredAt !== null) ? 'checkpoints and ' : ''}${r.replayed.toLocaleString('en-US')} bronze rows in ${formatMs(r.ms)}` +
                (r.caughtUp.alertEvents + r.caughtUp.lateEvents + r.caughtUp.published > 0
                  ? `; wrote what the last run left unwritten (${r.caughtUp.alertEvents} alert events, ${r.caughtUp.lateEvents} late events, ${r.caughtUp.published} published)`
                  : '') +
                '\n',
            );
          }
          const run = await processor.run({ untilIdle: flags.untilIdle === true, signal: stop });
          const referenceEvents = await ingest.finish();
          const summary = { ...streamSummary(processor, run, performance.now() - started), referenceEvents, ...(await endBatch()) };
          if (flags.json === true) writeJson(io, summary);
          else if (flags.quiet !== true) printStreamSummary(io, summary, processor.openAlerts());
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          // A failure elsewhere: the run in progress ends before the lake closes under it.
          await batch?.finish(false);
          await reference?.close();
          await runtime.close();
        }
      });
    });
}
