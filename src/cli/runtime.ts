import { join, resolve } from 'node:path';
import type { EventCodec, SchemaRegistry } from '../events/index.js';
import { EmbeddedSchemaRegistry, EventCodec as Codec } from '../events/index.js';
import type { EventLog } from '../log/index.js';
import { SqliteEventLog } from '../log/index.js';
import type { SqliteDatabase } from '../store/index.js';
import { openEmbeddedStore } from '../store/index.js';
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
  codec(): Promise<EventCodec>;
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
  return {
    stateDir,
    storePath,
    log,
    registry,
    // The embedded registry is OrderPulse's own: it registers the current schemas itself.
    codec: () => (codec ??= Codec.open(registry, { registerSchemas: true })),
    close: async () => {
      await log.close();
      await registry.close();
      if (db.open) db.close();
    },
  };
}
