import { join, resolve } from 'node:path';
import type { EventCodec, SchemaRegistry } from '../events/index.js';
import { EmbeddedSchemaRegistry, EventCodec as Codec } from '../events/index.js';
import type { EventLog } from '../log/index.js';
import { SqliteEventLog } from '../log/index.js';
import type { SqliteDatabase } from '../store/index.js';
import { openEmbeddedStore } from '../store/index.js';
import { Lake } from '../lake/index.js';
import type { Settings } from './config.js';

/**
 * The parts a command works with, wired for the embedded deployment: one SQLite file in the
 * state directory holds the event log and the schema registry.
 */
export interface Runtime {
  readonly stateDir: string;
  readonly storePath: string;
  readonly log: EventLog;
  readonly registry: SchemaRegistry;
  /** Whether writers register their schemas themselves (the embedded registry is OrderPulse's own). */
  readonly registersSchemas: boolean;
  codec(): Promise<EventCodec>;
  /** The lakehouse: Iceberg tables in the warehouse, cataloged in the embedded store by default. */
  lake(): Promise<Lake>;
  close(): Promise<void>;
}

export const STORE_FILE = 'orderpulse.db';

export function openRuntime(settings: Settings): Runtime {
  const stateDir = resolve(settings.state);
  const storePath = join(stateDir, STORE_FILE);
  const db: SqliteDatabase = openEmbeddedStore(storePath, { durability: settings.durability });
  const log = new SqliteEventLog(db);
  const registry = new EmbeddedSchemaRegistry(db);
  let codec: Promise<EventCodec> | null = null;
  let lake: Promise<Lake> | null = null;
  const warehouse = settings.warehouse === '' ? join(stateDir, 'warehouse') : settings.warehouse;
  const openLake = (): Promise<Lake> =>
    Lake.open({
      catalogUri: settings.catalog === '' ? storePath : settings.catalog,
      warehouse: warehouse.startsWith('s3://') ? warehouse : resolve(warehouse),
      tempDir: join(stateDir, 'tmp'),
      s3: {
        region: settings.s3Region,
        ...(settings.s3Endpoint === '' ? {} : { endpoint: settings.s3Endpoint }),
        // Credentials come from the AWS variables (AWS_ACCESS_KEY_ID, ...) or the SDK's chain.
        ...(process.env.AWS_ACCESS_KEY_ID === undefined ? {} : { accessKeyId: process.env.AWS_ACCESS_KEY_ID }),
        ...(process.env.AWS_SECRET_ACCESS_KEY === undefined ? {} : { secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY }),
        cacheDir: join(stateDir, 's3-cache'),
      },
    });
  return {
    stateDir,
    storePath,
    log,
    registry,
    registersSchemas: true,
    // The embedded registry is OrderPulse's own: it registers the current schemas itself.
    codec: () => (codec ??= Codec.open(registry, { registerSchemas: true })),
    lake: () => (lake ??= openLake()),
    close: async () => {
      if (lake !== null) await (await lake).close();
      await log.close();
      await registry.close();
      if (db.open) db.close();
    },
  };
}
