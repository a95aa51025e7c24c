export type {
  CommittedOffset,
  Consumer,
  ConsumerOptions,
  EventLog,
  FetchRequest,
  LogRecord,
  PartitionLag,
  PartitionRead,
  ProducerRecord,
  RecordHeader,
  RecordPosition,
  TopicDescription,
  TopicSpec,
} from './types.js';
export { murmur2, toPositive } from './murmur2.js';
export { partitionFor, Partitioner } from './partitioner.js';
export { LogError, LOG_ERROR_CODES, isLogError } from './errors.js';
export type { LogErrorCode } from './errors.js';
export {
  SqliteEventLog,
  openSqliteEventLog,
  DEFAULT_WAL_AUTOCHECKPOINT_BYTES,
  LOG_SCHEMA_VERSION,
  MAX_PARTITIONS,
} from './sqlite-log.js';
export type { SqliteEventLogOptions, OpenSqliteEventLogOptions } from './sqlite-log.js';
export { KafkaEventLog, openKafkaEventLog } from './kafka-log.js';
export { withTopicPrefix } from './prefixed-log.js';
export type { KafkaEventLogOptions, KafkaCompression } from './kafka-log.js';
export { logAppendChannel, logFetchChannel } from './channels.js';
export type { LogAppendEvent, LogFetchEvent } from './channels.js';
