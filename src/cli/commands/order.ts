import type { Command } from 'commander';
import { formatLocal } from '../../data/index.js';
import { openRuntime } from '../../deploy/index.js';
import { LakeReadModel } from '../../read/index.js';
import type { OrderTimeline } from '../../read/index.js';
import type { CliIO } from '../output.js';
import { table, writeJson } from '../output.js';
import type { SetExitCode } from './index.js';
import { settingsFor } from './common.js';

interface OrderFlags {
  readonly json?: boolean;
}

const local = (iso: string | null): string => (iso === null ? '-' : formatLocal(Date.parse(iso)));
const money = (cents: number | null): string => (cents === null ? '-' : (cents / 100).toFixed(2));

function print(io: CliIO, order: OrderTimeline): void {
  io.stdout.write(`order ${order.orderId}: ${order.status ?? 'status unknown'}, customer in ${order.customerState ?? '?'}, R$ ${money(order.orderValueCents)}\n\n`);
  io.stdout.write(
    `${table(
      ['product', 'seller', 'category', 'grade', 'price R$', 'freight R$'],
      order.items.map((i) => [i.productId, i.sellerId, i.category ?? '-', i.grade ?? '-', money(i.priceCents), money(i.freightCents)]),
    )}\n\n`,
  );
  io.stdout.write(`${table(['at', 'event', 'topic'], order.events.map((e) => [local(e.eventTime), e.type, e.topic]))}\n\n`);
  io.stdout.write(
    `${table(
      ['stage', 'due', 'done', 'late'],
      order.deadlines.map((d) => [d.stage, local(d.due), local(d.doneAt), d.late ? 'late' : '']),
    )}\n`,
  );
  if (order.alerts.length > 0) {
    io.stdout.write(
      `\n${table(
        ['at', 'change', 'rule', 'priority', 'reason'],
        order.alerts.map((a) => [local(a.updatedAt), a.change, a.rule, Math.round(a.priority), a.reason]),
      )}\n`,
    );
  }
}

export function registerOrder(program: Command, io: CliIO, setExitCode: SetExitCode): void {
  program
    .command('order')
    .description("one order's timeline: its events, items, deadlines (approval, handoff, delivery) and alert changes")
    .argument('<id>', 'the order id')
    .option('--json', 'print as JSON')
    .action(async (id: string, flags: OrderFlags, command: Command) => {
      const runtime = openRuntime(settingsFor(command, io), { env: io.env });
      try {
        const reads = new LakeReadModel({ lake: await runtime.lake(), refreshMs: 0 });
        const order = await reads.order(id);
        if (order === null) {
          io.stderr.write(`no order ${id}: neither bronze.order_events nor silver.orders has it\n`);
          setExitCode(1);
          return;
        }
        if (flags.json === true) writeJson(io, order);
        else print(io, order);
      } finally {
        await runtime.close();
      }
    });
}
