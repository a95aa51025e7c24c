import type {
  CommittedOffset,
  Consumer,
  ConsumerOptions,
  EventLog,
  FetchRequest,
  LogRecord,
  PartitionLag,
  PartitionRead,
  ProducerRecord,
  RecordPosition,
  TopicDescription,
  TopicSpec,
} from './types.js';

/**
 * An event log whose topics live under a name prefix in another log (`acme.orders` for `orders`),
 * so that several OrderPulse deployments, or test runs, can share one Kafka cluster. Everything
 * above sees the plain names; topics of the underlying log without the prefix are invisible.
 * Consumer groups are prefixed too.
 */
export function withTopicPrefix(log: EventLog, prefix: string): EventLog {
  if (prefix === '') return log;
  const outer = (name: string): string => `${prefix}${name}`;
  const inner = (name: string): string => name.slice(prefix.length);
  const mine = (name: string): boolean => name.startsWith(prefix);
  const record = (r: LogRecord): LogRecord => ({ ...r, topic: inner(r.topic) });
  const position = (p: RecordPosition): RecordPosition => ({ ...p, topic: inner(p.topic) });
  const offsetsOut = (offsets: readonly CommittedOffset[]): CommittedOffset[] => offsets.map((o) => ({ ...o, topic: outer(o.topic) }));
  const offsetsIn = (offsets: readonly CommittedOffset[]): CommittedOffset[] =>
    offsets.filter((o) => mine(o.topic)).map((o) => ({ ...o, topic: inner(o.topic) }));
  return {
    kind: log.kind,
    createTopic: (spec: TopicSpec) => log.createTopic({ ...spec, name: outer(spec.name) }),
    describeTopics: async (names?: readonly string[]): Promise<readonly TopicDescription[]> => {
      const described = await log.describeTopics(names?.map(outer));
      return described.filter((d) => mine(d.name)).map((d) => ({ ...d, name: inner(d.name) }));
    },
    append: async (records: readonly ProducerRecord[]) => (await log.append(records.map((r) => ({ ...r, topic: outer(r.topic) })))).map(position),
    fetch: async (request: FetchRequest) => (await log.fetch({ ...request, topic: outer(request.topic) })).map(record),
    fetchPartitions: async (requests: readonly FetchRequest[]): Promise<readonly PartitionRead[]> => {
      // A list or request of the wrong shape is passed on as it is, for the log's own error.
      const inside = Array.isArray(requests)
        ? requests.map((r: FetchRequest) => (typeof r === 'object' && r !== null ? { ...r, topic: outer(r.topic) } : r))
        : requests;
      return (await log.fetchPartitions(inside)).map((read) => ({ ...read, topic: inner(read.topic), records: read.records.map(record) }));
    },
    commitOffsets: (group: string, offsets: readonly CommittedOffset[]) => log.commitOffsets(outer(group), offsetsOut(offsets)),
    committedOffsets: async (group: string) => offsetsIn(await log.committedOffsets(outer(group))),
    listGroups: async () => (await log.listGroups()).filter(mine).map(inner),
    lag: async (group: string): Promise<readonly PartitionLag[]> =>
      (await log.lag(outer(group))).filter((l) => mine(l.topic)).map((l) => ({ ...l, topic: inner(l.topic) })),
    consumer: async (options: ConsumerOptions): Promise<Consumer> => {
      const consumer = await log.consumer({ ...options, group: outer(options.group), topics: options.topics.map(outer) });
      return {
        assignment: () => consumer.assignment().map((p) => ({ ...p, topic: inner(p.topic) })),
        poll: async (timeoutMs?: number) => (await consumer.poll(timeoutMs)).map(record),
        seek: (topic: string, partition: number, offset: number) => consumer.seek(outer(topic), partition, offset),
        commit: (offsets: readonly CommittedOffset[]) => consumer.commit(offsetsOut(offsets)),
        close: () => consumer.close(),
      };
    },
    close: () => log.close(),
  };
}
