import type { EventCodec, MarketplaceEvent } from '../events/index.js';
import { TOPICS, decodeWireFormat, eventKey } from '../events/index.js';
import type { CreateTableOptions, IcebergTable, Lake, Row } from '../lake/index.js';
import type { EventLog } from '../log/index.js';

/**
 * The bronze layer: every event of the log, as it arrived, in an Iceberg table. Exactly once: the
 * log offsets the rows were read up to ride in the same snapshot's summary
 * (`orderpulse.log-offsets`), so a run that died before its commit is simply done again from the
 * offsets of the last commit, and a run after a commit starts where it ended.
 */
export const BRONZE_EVENTS_TABLE = 'bronze.order_events';
export const OFFSETS_PROPERTY = 'orderpulse.log-offsets';

export const BRONZE_EVENTS: CreateTableOptions = {
  columns: [
    { name: 'topic', type: 'string', required: true },
    { name: 'log_partition', type: 'int', required: true },
    { name: 'log_offset', type: 'long', required: true },
    { name: 'event_id', type: 'string', required: true, doc: 'Deterministic event id' },
    { name: 'event_type', type: 'string', required: true },
    { name: 'key', type: 'string', required: true, doc: 'The partitioning key: order_id for order events' },
    { name: 'event_time', type: 'timestamptz', required: true },
    { name: 'ingest_time', type: 'timestamptz', required: true },
    { name: 'schema_id', type: 'int', required: true },
    { name: 'payload', type: 'string', required: true, doc: 'The event as JSON' },
  ],
  partitionBy: [{ source: 'event_time', transform: 'month' }],
};

export interface BronzeLoadResult {
  readonly rows: number;
  readonly snapshotId: number | null;
  readonly offsets: Readonly<Record<string, number>>;
}

/** Appends every event after the table's recorded offsets, in one commit with the new offsets. */
export async function loadBronze(options: {
  readonly log: EventLog;
  readonly codec: EventCodec;
  readonly lake: Lake;
  readonly topics?: readonly string[];
  readonly now?: () => number;
}): Promise<BronzeLoadResult> {
  const topics = options.topics ?? [TOPICS.orders, TOPICS.reviews];
  const now = options.now ?? Date.now;
  const table: IcebergTable = await options.lake.ensureTable(BRONZE_EVENTS_TABLE, BRONZE_EVENTS);
  const recorded = table.lastSummaryValue(OFFSETS_PROPERTY);
  const offsets: Record<string, number> = recorded === null ? {} : (JSON.parse(recorded) as Record<string, number>);
  const rows: Row[] = [];
  const ingestTime = now();
  for (const topic of await options.log.describeTopics(topics)) {
    for (let partition = 0; partition < topic.partitions; partition++) {
      const key = `${topic.name}/${partition}`;
      let offset = offsets[key] ?? topic.beginningOffsets[partition] ?? 0;
      for (;;) {
        const records = await options.log.fetch({ topic: topic.name, partition, offset, maxRecords: 5_000 });
        if (records.length === 0) break;
        for (const record of records) {
          const event: MarketplaceEvent = await options.codec.decode(record.value, record);
          rows.push({
            topic: record.topic,
            log_partition: record.partition,
            log_offset: record.offset,
            event_id: event.eventId,
            event_type: event.type,
            key: eventKey(event),
            event_time: event.eventTime,
            ingest_time: ingestTime,
            schema_id: decodeWireFormat(record.value).schemaId,
            payload: JSON.stringify(event),
          });
          offset = record.offset + 1;
        }
      }
      offsets[key] = offset;
    }
  }
  if (rows.length === 0) return { rows: 0, snapshotId: table.currentSnapshot()?.['snapshot-id'] ?? null, offsets };
  const commit = await table.append(rows, { summary: { [OFFSETS_PROPERTY]: JSON.stringify(offsets) } });
  return { rows: rows.length, snapshotId: commit.snapshotId, offsets };
}
