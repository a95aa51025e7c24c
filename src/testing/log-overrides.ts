import type { EventLog, FetchRequest, LogRecord, PartitionRead } from '../log/index.js';

/**
 * An event log that is `log` except for the methods given: for tests and benchmarks that time,
 * count or break one call. Every other call goes to `log` itself, except that a `fetch` given
 * without `fetchPartitions` serves `fetchPartitions` too (each partition's records through that
 * `fetch`), so a fetch that is timed or broken is so however it is read.
 */
export function withOverrides(log: EventLog, overrides: Partial<Omit<EventLog, 'kind'>>): EventLog {
  return {
    kind: log.kind,
    createTopic: overrides.createTopic ?? ((spec) => log.createTopic(spec)),
    describeTopics: overrides.describeTopics ?? ((names) => log.describeTopics(names)),
    append: overrides.append ?? ((records) => log.append(records)),
    fetch: overrides.fetch ?? ((request) => log.fetch(request)),
    fetchPartitions:
      overrides.fetchPartitions ??
      (overrides.fetch === undefined ? (requests) => log.fetchPartitions(requests) : partitionReadsThrough(log, overrides.fetch)),
    commitOffsets: overrides.commitOffsets ?? ((group, offsets) => log.commitOffsets(group, offsets)),
    committedOffsets: overrides.committedOffsets ?? ((group) => log.committedOffsets(group)),
    listGroups: overrides.listGroups ?? (() => log.listGroups()),
    lag: overrides.lag ?? ((group) => log.lag(group)),
    consumer: overrides.consumer ?? ((options) => log.consumer(options)),
    close: overrides.close ?? (() => log.close()),
  };
}

/**
 * `fetchPartitions` made of a `fetch`: the log's own read first (it checks the requests and gives
 * each partition's end offset), then each partition's records through `fetch`, side by side.
 */
function partitionReadsThrough(
  log: EventLog,
  fetch: (request: FetchRequest) => Promise<readonly LogRecord[]>,
): (requests: readonly FetchRequest[]) => Promise<readonly PartitionRead[]> {
  return async (requests) => {
    const reads = await log.fetchPartitions(requests);
    const records = await Promise.all(requests.map((request) => fetch(request)));
    return reads.map((read, i) => ({ ...read, records: records[i]! }));
  };
}
