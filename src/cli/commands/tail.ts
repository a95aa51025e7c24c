import type { Command } from 'commander';
import { Option } from 'commander';
import type { EventCodec } from '../../events/index.js';
import { decodeWireFormat } from '../../events/index.js';
import type { LogRecord } from '../../log/index.js';
import { ALERTS_TOPIC, AlertCodec } from '../../stream/index.js';
import type { CliIO } from '../output.js';
import { EXIT, describeError } from '../output.js';
import { openRuntime } from '../../deploy/index.js';
import type { SetExitCode } from './index.js';
import { settingsFor } from './common.js';
import { positiveInt } from '../index.js';

interface TailFlags {
  readonly partition?: number;
  readonly offset?: number;
  readonly fromBeginning?: boolean;
  readonly limit: number;
  readonly follow?: boolean;
  readonly json?: boolean;
}

const nonNegativeInt = (name: string) => (text: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, 0 or more.`);
  return n;
};

type Decode = (record: LogRecord) => Promise<unknown>;

/** One decoded record as a JSON line: where it is in the log, then the event (or alert change). */
async function line(decode: Decode, record: LogRecord): Promise<string> {
  const event = await decode(record);
  return JSON.stringify({
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key === null ? null : Buffer.from(record.key).toString('utf8'),
    timestamp: new Date(record.timestamp).toISOString(),
    schemaId: decodeWireFormat(record.value).schemaId,
    event,
  });
}

export function registerTail(program: Command, io: CliIO, setExitCode: SetExitCode): void {
  program
    .command('tail')
    .description('print the decoded events of a topic as JSON lines (the newest by default)')
    .argument('<topic>', `topic name: orders, reviews, products, sellers, customers or ${ALERTS_TOPIC}`)
    .addOption(new Option('--partition <n>', 'only this partition').argParser(nonNegativeInt('--partition')))
    .addOption(new Option('--offset <n>', 'start at this offset in each partition').argParser(nonNegativeInt('--offset')))
    .option('--from-beginning', 'start at the first record of each partition')
    .addOption(
      new Option('--limit <n>', 'print at most n records per partition').argParser(positiveInt('--limit')).default(10),
    )
    .option('--follow', 'keep printing new records as they arrive (Ctrl-C to stop)')
    .option('--json', 'JSON lines (the only output format; accepted for symmetry with the other commands)')
    .action(async (topic: string, flags: TailFlags, command: Command) => {
      const runtime = openRuntime(settingsFor(command, io), { env: io.env });
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      try {
        const description = (await runtime.log.describeTopics()).find((t) => t.name === topic);
        if (description === undefined) {
          throw new Error(`topic ${topic} does not exist in ${runtime.logLocation}; see \`orderpulse topics\``);
        }
        const partitions =
          flags.partition !== undefined ? [flags.partition] : Array.from({ length: description.partitions }, (_, p) => p);
        for (const p of partitions) {
          if (p >= description.partitions) throw new Error(`topic ${topic} has no partition ${p} (it has ${description.partitions})`);
        }
        let decode: Decode;
        if (topic === ALERTS_TOPIC) {
          const alerts = await AlertCodec.open(runtime.registry, { registerSchemas: runtime.registersSchemas });
          decode = async (record) => {
            const { change, position } = await alerts.decode(record.value, record);
            return { change: change.kind, ...change.alert, watermark: change.watermark, position };
          };
        } else {
          const codec: EventCodec = await runtime.codec();
          decode = (record) => codec.decode(record.value, record);
        }
        const position = new Map<number, number>();
        for (const p of partitions) {
          const begin = description.beginningOffsets[p] ?? 0;
          const end = description.endOffsets[p] ?? 0;
          const newest = Math.max(begin, end - flags.limit);
          position.set(p, flags.offset ?? (flags.fromBeginning === true ? begin : newest));
        }
        let failures = 0;
        const printFrom = async (limit: number): Promise<number> => {
          let printed = 0;
          for (const p of partitions) {
            const records = await runtime.log.fetch({ topic, partition: p, offset: position.get(p) ?? 0, maxRecords: limit });
            for (const record of records) {
              try {
                io.stdout.write(`${await line(decode, record)}\n`);
              } catch (error) {
                failures++;
                io.stderr.write(`${JSON.stringify(describeError(error).json)}\n`);
              }
              position.set(p, record.offset + 1);
              printed++;
            }
          }
          return printed;
        };
        await printFrom(flags.limit);
        while (flags.follow === true && !stop.signal.aborted) {
          if ((await printFrom(1000)) === 0) await new Promise((r) => setTimeout(r, 200));
        }
        if (failures > 0) setExitCode(EXIT.failed);
      } finally {
        process.off('SIGINT', onSignal);
        await runtime.close();
      }
    });
}
