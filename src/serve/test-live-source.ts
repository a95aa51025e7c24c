import { join } from 'node:path';
import { EmbeddedSchemaRegistry } from '../events/index.js';
import type { EventLog, RecordPosition } from '../log/index.js';
import { openSqliteEventLog } from '../log/index.js';
import type { Alert, AlertState, ChangeKind, PositionedChange, Rule } from '../stream/index.js';
import { ALERTS_TOPIC, AlertCodec } from '../stream/index.js';
import type { LiveSource } from './live.js';

/** An embedded log and registry in `dir` with the alerts codec, as the live stream's tests use them. */
export interface TestLiveLog {
  readonly log: EventLog;
  readonly codec: AlertCodec;
  readonly source: LiveSource;
  /** Appends alert changes to the alerts topic (placed by order id, as the stream processor does). */
  appendChanges(changes: readonly PositionedChange[]): Promise<readonly RecordPosition[]>;
  close(): Promise<void>;
}

export async function openTestLiveLog(dir: string, options: { readonly partitions?: number; readonly createTopic?: boolean } = {}): Promise<TestLiveLog> {
  const log = openSqliteEventLog(join(dir, 'log.db'));
  const registry = EmbeddedSchemaRegistry.open(join(dir, 'registry.db'));
  const codec = await AlertCodec.open(registry, { registerSchemas: true });
  if (options.createTopic !== false) await log.createTopic({ name: ALERTS_TOPIC, partitions: options.partitions ?? 3 });
  return {
    log,
    codec,
    source: { log, alerts: codec },
    appendChanges(changes) {
      return log.append(changes.map((c) => codec.encode(c)));
    },
    async close() {
      await log.close();
      await registry.close();
    },
  };
}

/** A hand-made alert change of `orderId` (32 hex), version `sequence`, at event time `at`. */
export function testChange(orderId: string, sequence: number, at: number, kind: ChangeKind = 'opened', rule: Rule = 'delivery_overdue'): PositionedChange {
  const state: AlertState = kind === 'escalated' ? 'escalated' : kind === 'resolved' || kind === 'final' ? 'resolved' : 'open';
  const alert: Alert = {
    alertId: `${orderId.slice(0, 24)}${String(sequence).padStart(8, '0')}`,
    orderId,
    rule,
    state,
    openedAt: at - 3_600_000,
    updatedAt: at,
    deadline: at - 7_200_000,
    overdueMs: 7_200_000,
    daysLate: rule === 'delivered_late' ? 2 : null,
    priority: 12.5 * sequence,
    orderValueCents: 1000 + sequence,
    level: kind === 'escalated' ? 1 : 0,
    reason: `test change ${sequence}`,
    sequence,
  };
  return { change: { kind, alert, watermark: at }, task: 0, position: { seq: sequence, floor: null } };
}
