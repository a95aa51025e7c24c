import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { formatLocal } from '../../data/index.js';
import { TOPICS, eventKey } from '../../events/index.js';
import { partitionFor } from '../../log/index.js';
import { BRONZE_EVENTS_TABLE, StreamProcessor } from '../../stream/index.js';
import type { CliIO } from '../output.js';
import { writeJson } from '../output.js';
import { openRuntime } from '../runtime.js';
import type { SetExitCode } from './index.js';
import { settingsFor } from './common.js';
import { printSummary, runReplay } from './replay.js';

interface DemoFlags {
  readonly data?: string;
  readonly json?: boolean;
}

export function registerDemo(program: Command, io: CliIO, _setExitCode: SetExitCode): void {
  program
    .command('demo')
    .description('replay the bundled Olist sample into a fresh embedded log, load it into the bronze Iceberg table, and show what they hold')
    .option('--data <dir>', 'Olist directory to use instead of the bundled sample')
    .option('--json', 'print the summary as JSON')
    .action(async (flags: DemoFlags, command: Command) => {
      const base = settingsFor(command, io, { data: flags.data });
      // The demo always starts from nothing, in its own corner of the state directory.
      const state = join(resolve(io.cwd, base.state), 'demo');
      rmSync(state, { recursive: true, force: true });
      const settings = { ...base, state };
      const run = await runReplay(io, settings, { pacing: { mode: 'max' }, quiet: flags.json === true });

      // Follow one order through the log: the first late delivery of the dataset.
      const late = run.dataset.orders.find(
        (o) => o.deliveredToCustomerAt !== null && formatLocal(o.deliveredToCustomerAt).slice(0, 10) > o.estimatedDeliveryDate,
      );
      const journey: { type: string; time: string }[] = [];
      const runtime = openRuntime(settings);
      let bronze: { rows: number; snapshotId: number | null } = { rows: 0, snapshotId: null };
      try {
        const codec = await runtime.codec();
        // The log into the lake: the order and review events as a bronze Iceberg table.
        const processor = await StreamProcessor.open({ log: runtime.log, codec, lake: await runtime.lake(), idle: { afterMs: 0, advanceMs: 0 } });
        const run = await processor.run({ untilIdle: true });
        bronze = { rows: run.records, snapshotId: null };
        if (late !== undefined) {
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
      } finally {
        await runtime.close();
      }

      if (flags.json === true) {
        writeJson(io, {
          ...run.summary,
          state,
          quarantined: run.dataset.report.quarantine.length,
          bronze: { table: BRONZE_EVENTS_TABLE, ...bronze },
          example: late === undefined ? null : { orderId: late.orderId, estimatedDeliveryDate: late.estimatedDeliveryDate, journey },
        });
        return;
      }
      printSummary(io, run);
      if (late !== undefined) {
        io.stdout.write(`\none late order, as the log holds it (${late.orderId}, promised for ${late.estimatedDeliveryDate}):\n`);
        for (const step of journey) io.stdout.write(`  ${step.time}  ${step.type}\n`);
      }
      io.stdout.write(`\n${bronze.rows.toLocaleString('en-US')} order and review events written to the Iceberg table ${BRONZE_EVENTS_TABLE} (snapshot ${bronze.snapshotId ?? '-'})\n`);
      io.stdout.write(`\nthe log and the lake are in ${state}; try:\n`);
      io.stdout.write(`  npx orderpulse --state ${state} topics\n`);
      io.stdout.write(`  npx orderpulse --state ${state} tail orders --limit 2\n`);
      io.stdout.write(`  npx orderpulse --state ${state} tables\n`);
      io.stdout.write(`  npx orderpulse --state ${state} query "SELECT event_type, count(*) AS events FROM bronze_order_events GROUP BY ALL ORDER BY 2 DESC"\n`);
    });
}
