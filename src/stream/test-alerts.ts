import type { SchemaRegistry } from '../events/index.js';
import type { EventLog } from '../log/index.js';
import { ALERTS_TOPIC, AlertCodec } from './alert-codec.js';
import type { PositionedChange } from './tables.js';

/** Every record of the alerts topic, decoded, partition by partition: for the speed layer's tests. */
export async function readAlertsTopic(log: EventLog, registry: SchemaRegistry): Promise<PositionedChange[]> {
  const codec = await AlertCodec.open(registry, { registerSchemas: false });
  const out: PositionedChange[] = [];
  const [topic] = (await log.describeTopics()).filter((t) => t.name === ALERTS_TOPIC);
  for (let partition = 0; partition < (topic?.partitions ?? 0); partition++) {
    for (let offset = topic?.beginningOffsets[partition] ?? 0; ; ) {
      const records = await log.fetch({ topic: ALERTS_TOPIC, partition, offset, maxRecords: 5000 });
      if (records.length === 0) break;
      for (const r of records) out.push(await codec.decode(r.value, r));
      offset = (records[records.length - 1]?.offset ?? offset) + 1;
    }
  }
  return out;
}
