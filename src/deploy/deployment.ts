import { join, resolve } from 'node:path';
import type { EventCodec, SchemaRegistry } from '../events/index.js';
import { EmbeddedSchemaRegistry, EventCodec as Codec, RestSchemaRegistry } from '../events/index.js';
import type { EventLog } from '../log/index.js';
import { KafkaEventLog, SqliteEventLog } from '../log/index.js';
import type { SqliteDatabase } from '../store/index.js';
import { openEmbeddedStore } from '../store/index.js';
import { Lake } from '../lake/index.js';
import { ConfigError } from './errors.js';
import type { Settings } from './settings.js';

/**
 * The parts a command works with. Embedded (the default): one SQLite file in the state directory
 * holds the event log, the schema registry and the Iceberg catalog. Cluster mode: `kafka` makes the
 * log a Kafka cluster and `registry` a Confluent-compatible schema registry; `catalog` and
 * `warehouse` put the lake elsewhere. The SQLite file is opened only for the parts that live in it.
 */
export interface Runtime {
  readonly stateDir: string;
  /** The embedded store's file, whether or not this runtime uses it. */
  readonly storePath: string;
  /** Where the event log is, for messages: the embedded store's file or the Kafka brokers. */
  readonly logLocation: string;
  readonly log: EventLog;
  readonly registry: SchemaRegistry;
  /**
   * Whether writers register their schemas themselves: yes with the embedded registry (it is
   * OrderPulse's own); never with a shared one, where `orderpulse schemas register` does it once.
   */
  readonly registersSchemas: boolean;
  codec(): Promise<EventCodec>;
  /** The lakehouse: Iceberg tables in the warehouse, cataloged in the embedded store by default. */
  lake(): Promise<Lake>;
  /** Closes every part that was opened; the first failure is thrown after all were tried. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Where the S3 credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) are read; the process's by default. */
  readonly env?: NodeJS.ProcessEnv;
  /** The clock the lake stamps snapshots with (the wall clock by default; a benchmark may simulate time). */
  readonly now?: () => number;
  /**
   * Whether the lake encodes appended data files on a writer thread of its own (see `LakeOptions`).
   * The stream processor's commands turn it on: on an idle 2-core machine it carries 20% more events
   * a second at the same alert latency (docs/benchmarks.md). Off by default: a command that writes
   * little would start a second DuckDB for nothing.
   */
  readonly writerThread?: boolean;
}

export const STORE_FILE = 'orderpulse.db';

/** The client id the Kafka brokers see (each client of the log appends its role). */
export const KAFKA_CLIENT_ID = 'orderpulse';

export function openRuntime(settings: Settings, options: RuntimeOptions = {}): Runtime {
  const env = options.env ?? process.env;
  const stateDir = resolve(settings.state);
  const storePath = join(stateDir, STORE_FILE);
  const onKafka = settings.kafka.length > 0;
  const sharedRegistry = settings.registry !== '';
  if (onKafka && !sharedRegistry) {
    // Kafka records carry registry ids; ids of a registry in one machine's state directory would not
    // resolve for a consumer elsewhere, so the pair is refused rather than failing record by record.
    throw new ConfigError(
      'OP_CONFIG_INCOMPLETE',
      'kafka is set but registry is not: records on Kafka carry schema ids that every producer and consumer must resolve in one shared registry; ' +
        'set --registry, ORDERPULSE_REGISTRY or "registry" in the config file to a Confluent-compatible schema registry URL',
      { details: { setting: 'registry', kafka: settings.kafka } },
    );
  }

  // The embedded store is opened when a part that lives in it is first needed.
  const embedded: { db: SqliteDatabase | null } = { db: null };
  const store = (): SqliteDatabase => (embedded.db ??= openEmbeddedStore(storePath, { durability: settings.durability }));
  const closeStore = (): void => {
    if (embedded.db?.open === true) embedded.db.close();
  };

  const registry: SchemaRegistry = sharedRegistry ? new RestSchemaRegistry({ url: settings.registry }) : new EmbeddedSchemaRegistry(store());
  let log: EventLog;
  try {
    log = onKafka
      ? new KafkaEventLog({ brokers: settings.kafka, clientId: KAFKA_CLIENT_ID, replicationFactor: settings.kafkaReplicas })
      : new SqliteEventLog(store());
  } catch (error) {
    void registry.close();
    closeStore();
    throw error;
  }

  let codec: Promise<EventCodec> | null = null;
  let lake: Promise<Lake> | null = null;
  const warehouse = settings.warehouse === '' ? join(stateDir, 'warehouse') : settings.warehouse;
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  const openLake = (): Promise<Lake> =>
    Lake.open({
      // The catalog opens the store's file itself when it lives there.
      catalogUri: settings.catalog === '' ? storePath : settings.catalog,
      warehouse: warehouse.startsWith('s3://') ? warehouse : resolve(warehouse),
      tempDir: join(stateDir, 'tmp'),
      durability: settings.durability,
      ...(options.now === undefined ? {} : { now: options.now }),
      ...(options.writerThread === true ? { writerThread: true } : {}),
      s3: {
        region: settings.s3Region,
        ...(settings.s3Endpoint === '' ? {} : { endpoint: settings.s3Endpoint }),
        // Credentials come from the AWS variables, or the SDK's chain when they are not set.
        ...(accessKeyId === undefined || accessKeyId === '' ? {} : { accessKeyId }),
        ...(secretAccessKey === undefined || secretAccessKey === '' ? {} : { secretAccessKey }),
        cacheDir: join(stateDir, 's3-cache'),
      },
    });
  return {
    stateDir,
    storePath,
    logLocation: onKafka ? `the Kafka cluster at ${settings.kafka.join(',')}` : storePath,
    log,
    registry,
    registersSchemas: !sharedRegistry,
    codec: () => (codec ??= Codec.open(registry, { registerSchemas: !sharedRegistry })),
    lake: () => (lake ??= openLake()),
    close: async () => {
      const failures: unknown[] = [];
      const attempt = async (close: () => Promise<void> | void): Promise<void> => {
        try {
          await close();
        } catch (error) {
          failures.push(error);
        }
      };
      // A lake that failed to open has nothing to close (its error went to whoever asked for it).
      const opened = lake === null ? null : await lake.catch(() => null);
      if (opened !== null) await attempt(() => opened.close());
      await attempt(() => log.close());
      await attempt(() => registry.close());
      await attempt(closeStore);
      if (failures.length > 0) throw failures[0];
    },
  };
}
