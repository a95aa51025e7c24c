import type { EventLog } from '../log/index.js';

/**
 * An event log that is `log` except for the methods given: for tests and benchmarks that time,
 * count or break one call. Every other call goes to `log` itself.
 */
export function withOverrides(log: EventLog, overrides: Partial<Omit<EventLog, 'kind'>>): EventLog {
  return {
    kind: log.kind,
    createTopic: overrides.createTopic ?? ((spec) => log.createTopic(spec)),
    describeTopics: overrides.describeTopics ?? ((names) => log.describeTopics(names)),
    append: overrides.append ?? ((records) => log.append(records)),
    fetch: overrides.fetch ?? ((request) => log.fetch(request)),
    commitOffsets: overrides.commitOffsets ?? ((group, offsets) => log.commitOffsets(group, offsets)),
    committedOffsets: overrides.committedOffsets ?? ((group) => log.committedOffsets(group)),
    listGroups: overrides.listGroups ?? (() => log.listGroups()),
    lag: overrides.lag ?? ((group) => log.lag(group)),
    consumer: overrides.consumer ?? ((options) => log.consumer(options)),
    close: overrides.close ?? (() => log.close()),
  };
}
