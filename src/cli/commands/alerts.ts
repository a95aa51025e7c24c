import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { formatLocal } from '../../data/index.js';
import { ALERT_EVENTS_TABLE, OPEN_ALERTS_TABLE, RULE_NAMES } from '../../stream/index.js';
import type { AlertRow, GradeName, RuleName, StageName } from '../../read/index.js';
import { LakeReadModel } from '../../read/index.js';
import type { CliIO } from '../output.js';
import { table, writeJson } from '../output.js';
import { openRuntime } from '../../deploy/index.js';
import type { SetExitCode } from './index.js';
import { settingsFor } from './common.js';
import { positiveInt } from '../index.js';

interface AlertsFlags {
  readonly open?: boolean;
  readonly stuck?: boolean;
  readonly rule?: RuleName;
  readonly order?: string;
  readonly stage?: StageName;
  readonly category?: string;
  readonly grade?: GradeName;
  readonly limit: number;
  readonly json?: boolean;
}

const STAGES: readonly StageName[] = ['approval', 'handoff', 'delivery'];
const GRADES: readonly GradeName[] = ['A', 'B', 'C', 'D', 'E'];

function oneOf<T extends string>(flag: string, allowed: readonly T[]) {
  return (text: string): T => {
    if (!(allowed as readonly string[]).includes(text)) throw new InvalidArgumentError(`${flag} must be one of ${allowed.join(', ')}.`);
    return text as T;
  };
}

const time = (iso: string): string => formatLocal(Date.parse(iso));

/** An alert as the tables name its columns (the JSON output keeps the tables' names). */
function snakeCased(row: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), value]));
}

export function registerAlerts(program: Command, io: CliIO, setExitCode: SetExitCode): void {
  program
    .command('alerts')
    .description(`the alerts the stream processor emitted: the newest changes (${ALERT_EVENTS_TABLE}), or with --open the open ones by priority (${OPEN_ALERTS_TABLE})`)
    .option('--open', 'the alerts open now, highest priority first; the stuck ones (see --stuck) after all the others')
    .option('--stuck', 'the alerts overdue so long with no event (stuckAfter, default 30 days) that they left the queue, highest priority first')
    .addOption(new Option('--rule <rule>', `only this rule (${RULE_NAMES.join(', ')})`).argParser(oneOf('--rule', RULE_NAMES)))
    .option('--order <id>', "only this order's alerts (every change, oldest first)")
    .addOption(new Option('--stage <stage>', `with --open: only alerts awaiting this stage (${STAGES.join(', ')})`).argParser(oneOf('--stage', STAGES)))
    .option('--category <category>', "with --open: only orders whose most valuable item is of this category (English name)")
    .addOption(new Option('--grade <grade>', `with --open: only orders whose most valuable item has this grade (${GRADES.join(', ')})`).argParser(oneOf('--grade', GRADES)))
    .addOption(new Option('--limit <n>', 'rows at most').argParser(positiveInt('--limit')).default(20))
    .option('--json', 'print as JSON')
    .action(async (given: AlertsFlags, command: Command) => {
      // The stuck list is read from the open alerts, as the queue is.
      const flags: AlertsFlags = given.stuck === true ? { ...given, open: true } : given;
      if (flags.open !== true && (flags.stage !== undefined || flags.category !== undefined || flags.grade !== undefined)) {
        io.stderr.write('--stage, --category and --grade select open alerts: add --open (or --stuck)\n');
        setExitCode(2);
        return;
      }
      const runtime = openRuntime(settingsFor(command, io), { env: io.env });
      try {
        const reads = new LakeReadModel({ lake: await runtime.lake(), refreshMs: 0 });
        const name = flags.open === true ? OPEN_ALERTS_TABLE : ALERT_EVENTS_TABLE;
        let snapshotId: string | null;
        let rows: (AlertRow & { readonly rank?: number; readonly change?: string })[];
        if (flags.open === true) {
          const query = {
            ...(flags.stuck === true ? { state: 'stuck' as const } : {}),
            ...(flags.rule === undefined ? {} : { rule: flags.rule }),
            ...(flags.stage === undefined ? {} : { stage: flags.stage }),
            ...(flags.category === undefined ? {} : { category: flags.category }),
            ...(flags.grade === undefined ? {} : { grade: flags.grade }),
          };
          if (flags.order === undefined) {
            const open = await reads.openAlerts({ ...query, limit: Math.min(flags.limit, 1000), offset: 0 });
            snapshotId = open.snapshots[name] ?? null;
            rows = [...open.alerts];
          } else {
            // One order's open alerts: few, found by going through the ranking a page at a time.
            rows = [];
            let offset = 0;
            for (;;) {
              const page = await reads.openAlerts({ ...query, limit: 1000, offset });
              snapshotId = page.snapshots[name] ?? null;
              rows.push(...page.alerts.filter((a) => a.orderId === flags.order));
              offset += page.alerts.length;
              if (page.alerts.length === 0 || offset >= page.total) break;
            }
            rows = rows.slice(0, flags.limit);
          }
        } else {
          const changes = await reads.alertChanges({
            ...(flags.rule === undefined ? {} : { rule: flags.rule }),
            ...(flags.order === undefined ? {} : { orderId: flags.order }),
            limit: Math.min(flags.limit, 1000),
          });
          snapshotId = changes.snapshots[name] ?? null;
          rows = [...changes.alerts];
        }
        if (snapshotId === null) {
          io.stderr.write(`no alerts yet: ${name} does not exist; run \`orderpulse stream\` (or the demo) first\n`);
          setExitCode(1);
          return;
        }
        if (flags.json === true) {
          writeJson(io, { table: name, snapshotId, alerts: rows.map(snakeCased) });
          return;
        }
        if (rows.length === 0) {
          io.stdout.write(flags.stuck === true ? 'no stuck alerts\n' : flags.open === true ? 'no open alerts\n' : 'no alert changes match\n');
          return;
        }
        io.stdout.write(
          `${
            flags.open === true
              ? table(
                  ['rank', 'priority', 'rule', 'state', 'order', 'value R$', 'overdue or P(late)', 'since', 'level'],
                  rows.map((r) => [
                    r.rank ?? 0,
                    Math.round(r.priority),
                    r.rule,
                    r.state,
                    r.orderId,
                    (r.orderValueCents / 100).toFixed(2),
                    // An at-risk order is not overdue: what it has is a probability.
                    r.probability === null ? `${(r.overdueMs / 86_400_000).toFixed(1)} d` : `P ${r.probability.toFixed(2)}`,
                    time(r.openedAt),
                    r.level,
                  ]),
                )
              : table(
                  ['at', 'change', 'rule', 'order', 'priority', 'reason'],
                  rows.map((r) => [time(r.updatedAt), r.change ?? '', r.rule, r.orderId, Math.round(r.priority), r.reason]),
                )
          }\n`,
        );
      } finally {
        await runtime.close();
      }
    });
}
