import type { EventLog } from '../log/index.js';

/** Everything the log holds, partition by partition, as comparable text. */
export async function logContents(log: EventLog): Promise<string[]> {
  const out: string[] = [];
  for (const topic of await log.describeTopics()) {
    for (let partition = 0; partition < topic.partitions; partition++) {
      for (let offset = 0; ; ) {
        const records = await log.fetch({ topic: topic.name, partition, offset, maxRecords: 10_000 });
        if (records.length === 0) break;
        for (const r of records) {
          out.push(
            `${r.topic}/${r.partition}/${r.offset} ${Buffer.from(r.key ?? []).toString()} ${r.timestamp} ${Buffer.from(r.value).toString('base64')} ${r.headers.map((h) => `${h.key}=${Buffer.from(h.value).toString()}`).join(',')}`,
          );
        }
        offset = (records[records.length - 1]?.offset ?? offset) + 1;
      }
    }
  }
  return out;
}
