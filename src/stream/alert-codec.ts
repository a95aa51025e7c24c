import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import type { SchemaRegistry, ValueLocation } from '../events/index.js';
import { EventsError, SCHEMA_DIR, createReadResolver, decodeAvroBody, decodeWireFormat, encodeAvroWireFormat, subjectOf } from '../events/index.js';
import type { ProducerRecord } from '../log/index.js';
import type { PositionedChange } from './tables.js';
import { alertColumns } from './tables.js';
import type { AlertState, ChangeKind, Rule } from './types.js';

/**
 * The alerts topic: every alert change the processor emits, Avro in the Confluent wire format under
 * the subject `alerts-value`, keyed by order id (so an order's alert changes stay in order on one
 * partition). Each record carries its task and the processing position of its cause. The topic has
 * as many partitions as the input topics, so the same key puts task p's alerts on partition p: a
 * restarted task reads the last record of its partition and publishes only what comes after it.
 */
export const ALERTS_TOPIC = 'alerts';
export const ALERTS_SCHEMA_FILE = 'alerts-v1.avsc';

/** The Avro record as read back. */
interface AlertRecord {
  change: ChangeKind;
  alert_id: string;
  order_id: string;
  rule: string;
  state: string;
  opened_at: number;
  updated_at: number;
  deadline: number;
  overdue_ms: number;
  days_late: number | null;
  priority: number;
  order_value_cents: number;
  level: number;
  reason: string;
  sequence: number;
  watermark: number;
  task: number;
  processed_seq: number;
  watermark_floor: number | null;
  probability: number | null;
  expected_delivery_at: number | null;
  risk_stage: string | null;
}

type Resolver = ReturnType<avro.Type['createResolver']>;

export class AlertCodec {
  readonly schemaId: number;
  readonly #type: avro.Type;
  readonly #registry: SchemaRegistry;
  readonly #resolvers = new Map<number, Resolver | null>();

  private constructor(registry: SchemaRegistry, schemaId: number, type: avro.Type) {
    this.#registry = registry;
    this.schemaId = schemaId;
    this.#type = type;
    this.#resolvers.set(schemaId, null);
  }

  /** The schema text of the alerts topic, as in the repository's `schemas/`. */
  static schemaText(schemaDir: string = SCHEMA_DIR): string {
    return readFileSync(join(schemaDir, ALERTS_SCHEMA_FILE), 'utf8');
  }

  /**
   * Opens the codec. `registerSchemas`: register the schema (the embedded registry); otherwise it
   * must be registered already (`orderpulse schemas register`), as producers never register in
   * cluster mode.
   */
  static async open(registry: SchemaRegistry, options: { readonly registerSchemas: boolean; readonly schemaDir?: string }): Promise<AlertCodec> {
    const text = AlertCodec.schemaText(options.schemaDir);
    const subject = subjectOf(ALERTS_TOPIC);
    let id: number;
    if (options.registerSchemas) {
      id = await registry.register(subject, text);
    } else {
      const found = await registry.lookup(subject, text);
      if (found === null) {
        throw new EventsError(
          'OP_EVENTS_SCHEMA_NOT_REGISTERED',
          `schema ${ALERTS_SCHEMA_FILE} is not registered under subject ${subject} in the ${registry.kind} registry; run \`orderpulse schemas register\` first`,
          { details: { subject, file: ALERTS_SCHEMA_FILE } },
        );
      }
      id = found.id;
    }
    return new AlertCodec(registry, id, avro.Type.forSchema(JSON.parse(text) as avro.Schema));
  }

  encode({ change, task, position }: PositionedChange): ProducerRecord {
    const a = change.alert;
    // The record's fields are the alert tables' columns, plus the change and where it came from.
    const record = { change: change.kind, ...alertColumns(a), watermark: change.watermark, task, processed_seq: position.seq, watermark_floor: position.floor };
    return {
      topic: ALERTS_TOPIC,
      key: Buffer.from(a.orderId, 'utf8'),
      value: encodeAvroWireFormat(this.#type, this.schemaId, record),
      timestamp: a.updatedAt,
    };
  }

  async decode(value: Uint8Array, location: ValueLocation): Promise<PositionedChange> {
    const where = `topic ${location.topic} partition ${location.partition ?? '?'} offset ${location.offset ?? '?'}`;
    let framed: { schemaId: number; body: Uint8Array };
    try {
      framed = decodeWireFormat(value);
    } catch (cause) {
      throw new EventsError('OP_EVENTS_BAD_WIRE_FORMAT', `${where}: ${(cause as Error).message}`, { details: { ...location }, cause });
    }
    let resolver = this.#resolvers.get(framed.schemaId);
    if (resolver === undefined) {
      const writer = avro.Type.forSchema(JSON.parse(await this.#registry.schemaById(framed.schemaId)) as avro.Schema);
      resolver = createReadResolver(this.#type, writer);
      this.#resolvers.set(framed.schemaId, resolver);
    }
    const r = decodeAvroBody(this.#type, framed.body, { schemaId: framed.schemaId, ...(resolver === null ? {} : { resolver }) }) as AlertRecord;
    return {
      change: {
        kind: r.change,
        watermark: r.watermark,
        alert: {
          alertId: r.alert_id,
          orderId: r.order_id,
          rule: r.rule as Rule,
          state: r.state as AlertState,
          openedAt: r.opened_at,
          updatedAt: r.updated_at,
          deadline: r.deadline,
          overdueMs: r.overdue_ms,
          daysLate: r.days_late,
          priority: r.priority,
          orderValueCents: r.order_value_cents,
          level: r.level,
          reason: r.reason,
          sequence: r.sequence,
          // Present only on delivery_at_risk, as the detector makes them.
          ...(r.probability === null || r.expected_delivery_at === null || r.risk_stage === null
            ? {}
            : { risk: { probability: r.probability, expectedDeliveryAt: r.expected_delivery_at, stage: r.risk_stage } }),
        },
      },
      task: r.task,
      position: { seq: r.processed_seq, floor: r.watermark_floor },
    };
  }
}
