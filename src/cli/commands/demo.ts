import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import { runBatch } from '../../batch/index.js';
import { formatLocal } from '../../data/index.js';
import { TOPICS, eventKey } from '../../events/index.js';
import { partitionFor } from '../../log/index.js';
import type { Pacing } from '../../replay/index.js';
import type { EmittedChange } from '../../stream/index.js';
import { ALERT_EVENTS_TABLE, ALERTS_TOPIC, BRONZE_EVENTS_TABLE, OPEN_ALERTS_TABLE, REFERENCE_EVENTS_TABLE, ReferenceIngest } from '../../stream/index.js';
import type { CliIO } from '../output.js';
import { writeJson } from '../output.js';
import { LakeReadModel } from '../../read/index.js';
import { openProcessor, openRuntime } from '../../deploy/index.js';
import type { SetExitCode } from './index.js';
import { settingsFor } from './common.js';
import { parsePositiveNumber } from './durations.js';
import { printSummary, replayWithProgress } from './replay.js';
import { describeChange, printStreamSummary, queueOrder, streamSummary } from './stream.js';
import { goldFigures, printGoldFigures } from './gold-figures.js';

interface DemoFlags {
  readonly data?: string;
  readonly rate?: number;
  readonly json?: boolean;
}

/** Alert lines shown per batch at most: the demo shows the stream, not all of it. */
const LINES_PER_BATCH = 4;

export function registerDemo(program: Command, io: CliIO, _setExitCode: SetExitCode): void {
  program
    .command('demo')
    .description(
      'replay the bundled Olist sample into a fresh embedded log while the stream processor watches it: alerts as they open, ' +
        'then a summary of late orders ranked by the value at stake (always embedded, in <state>/demo: cluster settings are ignored)',
    )
    .option('--data <dir>', 'Olist directory to use instead of the bundled sample')
    .addOption(new Option('--rate <n>', 'replay at n events per second (default: as fast as possible)').argParser(parsePositiveNumber('--rate')))
    .option('--json', 'print the summary as JSON')
    .action(async (flags: DemoFlags, command: Command) => {
      const base = settingsFor(command, io, { data: flags.data });
      // The demo always starts from nothing, in its own corner of the state directory.
      const state = join(resolve(io.cwd, base.state), 'demo');
      rmSync(state, { recursive: true, force: true });
      // A short idle wait: the replay is the only producer, and its end is the end of the input. The
      // demo stays embedded whatever cluster settings are given: it must not write into shared ones.
      const settings = { ...base, state, idleAfter: 200, kafka: [], registry: '', warehouse: '', catalog: '' };
      const quiet = flags.json === true;
      const pacing: Pacing = flags.rate === undefined ? { mode: 'max' } : { mode: 'rate', eventsPerSecond: flags.rate };

      const runtime = openRuntime(settings, { env: io.env });
      let reference: ReferenceIngest | null = null;
      try {
        // The topics exist before the processor starts; the replay then appends while it reads.
        for (const topic of [TOPICS.orders, TOPICS.reviews]) await runtime.log.createTopic({ name: topic, partitions: settings.partitions });
        const showAlerts = (changes: readonly EmittedChange[]): void => {
          const shown = changes.filter((c) => c.change.kind === 'opened' || c.change.kind === 'final');
          for (const { change } of shown.slice(0, LINES_PER_BATCH)) io.stdout.write(`${describeChange(change)}\n`);
          if (shown.length > LINES_PER_BATCH) io.stdout.write(`  … and ${(shown.length - LINES_PER_BATCH).toLocaleString('en-US')} more\n`);
        };
        const started = performance.now();
        // Customers, sellers and products go to bronze beside the processor, as `stream` does.
        const ingest = await ReferenceIngest.start(runtime);
        reference = ingest;
        const processor = await openProcessor(runtime, settings, {
          ...(quiet ? {} : { onAlerts: showAlerts }),
          onBatch: (b) => {
            if (b.idle) ingest.nudge();
          },
        });
        const stopLive = new AbortController();
        const live = processor.run({ signal: AbortSignal.any([stopLive.signal, ingest.failed]) });
        const replayed = await replayWithProgress(io, settings, { pacing, quiet: true }).finally(() => stopLive.abort());
        const first = await live;
        const rest = await processor.run({ untilIdle: true, signal: ingest.failed });
        const referenceEvents = await ingest.finish();
        const run = { batches: first.batches + rest.batches, records: first.records + rest.records, changes: first.changes + rest.changes, stopped: rest.stopped };
        const summary = streamSummary(processor, run, performance.now() - started);

        // The batch layer once over what the stream wrote, then a few of its gold figures.
        const batchStarted = performance.now();
        const batch = await runBatch(await runtime.lake());
        const batchMs = performance.now() - batchStarted;
        const gold = await goldFigures(await runtime.lake());

        // Follow one order through the log: the first late delivery of the dataset.
        const late = replayed.dataset.orders.find(
          (o) => o.deliveredToCustomerAt !== null && formatLocal(o.deliveredToCustomerAt).slice(0, 10) > o.estimatedDeliveryDate,
        );
        const journey: { type: string; time: string }[] = [];
        if (late !== undefined) {
          const codec = await runtime.codec();
          const [orders] = await runtime.log.describeTopics([TOPICS.orders]);
          const partition = partitionFor(Buffer.from(late.orderId), orders?.partitions ?? 1);
          for (let offset = 0; ; ) {
            const records = await runtime.log.fetch({ topic: TOPICS.orders, partition, offset, maxRecords: 5000 });
            if (records.length === 0) break;
            for (const record of records) {
              if (Buffer.from(record.key ?? new Uint8Array()).toString() !== late.orderId) continue;
              const event = await codec.decode(record.value, record);
              if (eventKey(event) === late.orderId) journey.push({ type: event.type, time: formatLocal(event.eventTime) });
            }
            offset = (records[records.length - 1]?.offset ?? offset) + 1;
          }
        }
        // Its alerts, from the gold table (the processor has long dropped the finished order's state).
        const alerts: { change: string; rule: string; at: string; reason: string }[] = [];
        if (late !== undefined) {
          const read = new LakeReadModel({ lake: await runtime.lake(), refreshMs: 0 });
          const changes = await read.alertChanges({ orderId: late.orderId, limit: 100 });
          for (const c of changes.alerts) alerts.push({ change: c.change, rule: c.rule, at: formatLocal(Date.parse(c.updatedAt)), reason: c.reason });
        }

        if (quiet) {
          writeJson(io, {
            ...replayed.summary,
            state,
            quarantined: replayed.dataset.report.quarantine.length,
            bronze: { table: BRONZE_EVENTS_TABLE, rows: processor.processed },
            reference: { table: REFERENCE_EVENTS_TABLE, rows: referenceEvents },
            stream: summary,
            topOpenAlerts: queueOrder(processor.openAlerts()).slice(0, 10),
            batch: { ms: Math.round(batchMs), jobs: batch },
            gold,
            example: late === undefined ? null : { orderId: late.orderId, estimatedDeliveryDate: late.estimatedDeliveryDate, journey, alerts },
          });
          return;
        }
        io.stdout.write('\n');
        printSummary(io, replayed);
        printStreamSummary(io, summary, processor.openAlerts());
        printGoldFigures(io, batch, batchMs, gold);
        if (late !== undefined) {
          io.stdout.write(`\none late order, as the log holds it (${late.orderId}, promised for ${late.estimatedDeliveryDate}):\n`);
          for (const step of journey) io.stdout.write(`  ${step.time}  ${step.type}\n`);
          io.stdout.write('and the alerts it raised:\n');
          for (const a of alerts) io.stdout.write(`  ${a.at}  ${a.change} ${a.rule}: ${a.reason}\n`);
        }
        io.stdout.write(
          `\n${processor.processed.toLocaleString('en-US')} order and review events are in ${BRONZE_EVENTS_TABLE}, ` +
            `${referenceEvents.toLocaleString('en-US')} customer, seller and product events in ${REFERENCE_EVENTS_TABLE}; alerts in ${ALERT_EVENTS_TABLE}, ${OPEN_ALERTS_TABLE} and on the topic ${ALERTS_TOPIC}\n`,
        );
        io.stdout.write(`\nthe log and the lake are in ${state}; try:\n`);
        io.stdout.write(`  npx orderpulse --state ${state} alerts --open --limit 10\n`);
        io.stdout.write(`  npx orderpulse --state ${state} alerts --order ${late?.orderId ?? '<order id>'}\n`);
        io.stdout.write(`  npx orderpulse --state ${state} tables\n`);
        io.stdout.write(`  npx orderpulse --state ${state} query "SELECT rule, change, count(*) AS n FROM gold_alert_events GROUP BY ALL ORDER BY ALL"\n`);
        io.stdout.write(`  npx orderpulse --state ${state} tail alerts --limit 2\n`);
      } finally {
        await reference?.close();
        await runtime.close();
      }
    });
}
