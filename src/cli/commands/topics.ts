import type { Command } from 'commander';
import type { TopicDescription } from '../../log/index.js';
import type { CliIO } from '../output.js';
import { table, writeJson } from '../output.js';
import { openRuntime } from '../../deploy/index.js';
import type { SetExitCode } from './index.js';
import { settingsFor } from './common.js';

/** Records a topic still holds: end minus beginning offset, over its partitions. */
function recordsHeld(t: TopicDescription): number {
  return t.endOffsets.reduce((sum, end, p) => sum + end - (t.beginningOffsets[p] ?? 0), 0);
}

interface TopicsFlags {
  readonly group?: string;
  readonly json?: boolean;
}

export function registerTopics(program: Command, io: CliIO, _setExitCode: SetExitCode): void {
  program
    .command('topics')
    .description('list topics with their partitions and end offsets, and the consumer groups with their lag')
    .option('--group <name>', 'show only this consumer group')
    .option('--json', 'print as JSON')
    .action(async (flags: TopicsFlags, command: Command) => {
      const runtime = openRuntime(settingsFor(command, io), { env: io.env });
      try {
        const topics = await runtime.log.describeTopics();
        const groups = flags.group !== undefined ? [flags.group] : await runtime.log.listGroups();
        const lags = await Promise.all(groups.map(async (group) => ({ group, partitions: await runtime.log.lag(group) })));
        if (flags.json === true) {
          writeJson(io, {
            log: runtime.log.kind,
            topics: topics.map((t) => ({
              ...t,
              records: recordsHeld(t),
            })),
            groups: lags.map((g) => ({ ...g, lag: g.partitions.reduce((sum, p) => sum + p.lag, 0) })),
          });
          return;
        }
        if (topics.length === 0) {
          io.stdout.write(`no topics yet in ${runtime.logLocation} (run \`orderpulse replay\`)\n`);
          return;
        }
        io.stdout.write(
          `${table(
            ['topic', 'partitions', 'records', 'end offsets by partition'],
            topics.map((t) => [
              t.name,
              t.partitions,
              recordsHeld(t),
              t.endOffsets.join(' '),
            ]),
          )}\n`,
        );
        for (const { group, partitions } of lags) {
          io.stdout.write(`\nconsumer group ${group}: lag ${partitions.reduce((s, p) => s + p.lag, 0).toLocaleString('en-US')}\n`);
          io.stdout.write(
            `${table(
              ['topic', 'partition', 'committed', 'end', 'lag'],
              partitions.map((p) => [p.topic, p.partition, p.committed ?? '-', p.endOffset, p.lag]),
            )}\n`,
          );
        }
      } finally {
        await runtime.close();
      }
    });
}
