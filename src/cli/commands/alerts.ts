import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { formatLocal } from '../../data/index.js';
import { ALERT_EVENTS_TABLE, OPEN_ALERTS_TABLE, RULE_NAMES } from '../../stream/index.js';
import type { CliIO } from '../output.js';
import { table, writeJson } from '../output.js';
import { openRuntime } from '../../deploy/index.js';
import type { SetExitCode } from './index.js';
import { settingsFor } from './common.js';
import { positiveInt } from '../index.js';

interface AlertsFlags {
  readonly open?: boolean;
  readonly rule?: string;
  readonly order?: string;
  readonly limit: number;
  readonly json?: boolean;
}

const sqlString = (text: string): string => `'${text.replace(/'/g, "''")}'`;

function parseRule(text: string): string {
  if (!(RULE_NAMES as readonly string[]).includes(text)) throw new InvalidArgumentError(`--rule must be one of ${RULE_NAMES.join(', ')}.`);
  return text;
}

const time = (v: unknown): string => (typeof v === 'number' ? formatLocal(v) : String(v));

export function registerAlerts(program: Command, io: CliIO, setExitCode: SetExitCode): void {
  program
    .command('alerts')
    .description(`the alerts the stream processor emitted: the newest changes (${ALERT_EVENTS_TABLE}), or with --open the open ones by priority (${OPEN_ALERTS_TABLE})`)
    .option('--open', 'the alerts open now, highest priority first')
    .addOption(new Option('--rule <rule>', `only this rule (${RULE_NAMES.join(', ')})`).argParser(parseRule))
    .option('--order <id>', "only this order's alerts (every change, oldest first)")
    .addOption(new Option('--limit <n>', 'rows at most').argParser(positiveInt('--limit')).default(20))
    .option('--json', 'print as JSON')
    .action(async (flags: AlertsFlags, command: Command) => {
      const runtime = openRuntime(settingsFor(command, io), { env: io.env });
      try {
        const lake = await runtime.lake();
        const name = flags.open === true ? OPEN_ALERTS_TABLE : ALERT_EVENTS_TABLE;
        if (!(await lake.tableExists(name))) {
          io.stderr.write(`no alerts yet: ${name} does not exist; run \`orderpulse stream\` (or the demo) first\n`);
          setExitCode(1);
          return;
        }
        const where = [
          ...(flags.rule === undefined ? [] : [`rule = ${sqlString(flags.rule)}`]),
          ...(flags.order === undefined ? [] : [`order_id = ${sqlString(flags.order)}`]),
        ];
        const filter = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
        const t = await lake.table(name);
        const scan = await t.scan();
        // Open alerts are ranked by priority (then the oldest first); changes are listed newest first
        // (an order's: oldest first), in event time, then by their place in their task's processing.
        const sql =
          flags.open === true
            ? `SELECT row_number() OVER (ORDER BY priority DESC, opened_at, alert_id) AS rank, * FROM t ${filter} ORDER BY rank LIMIT ${flags.limit}`
            : flags.order !== undefined
              ? `SELECT * FROM t ${filter} ORDER BY processed_seq, sequence LIMIT ${flags.limit}`
              : `SELECT * FROM t ${filter} ORDER BY updated_at DESC, processed_seq DESC, sequence DESC LIMIT ${flags.limit}`;
        const { rows } = await scan.query(sql);
        if (flags.json === true) {
          writeJson(io, { table: name, snapshotId: scan.snapshotId, alerts: rows });
          return;
        }
        if (rows.length === 0) {
          io.stdout.write(flags.open === true ? 'no open alerts\n' : 'no alert changes match\n');
          return;
        }
        const num = (v: unknown): number => Number(v);
        io.stdout.write(
          `${
            flags.open === true
              ? table(
                  ['rank', 'priority', 'rule', 'order', 'value R$', 'overdue', 'since', 'level'],
                  rows.map((r) => [num(r.rank), Math.round(num(r.priority)), String(r.rule), String(r.order_id), (num(r.order_value_cents) / 100).toFixed(2), `${(num(r.overdue_ms) / 86_400_000).toFixed(1)} d`, time(r.opened_at), num(r.level)]),
                )
              : table(
                  ['at', 'change', 'rule', 'order', 'priority', 'reason'],
                  rows.map((r) => [time(r.updated_at), String(r.change), String(r.rule), String(r.order_id), Math.round(num(r.priority)), String(r.reason)]),
                )
          }\n`,
        );
      } finally {
        await runtime.close();
      }
    });
}
