export { openEmbeddedStore, StoreError } from './embedded-store.js';
export type { SqliteDatabase, Durability, EmbeddedStoreOptions } from './embedded-store.js';
