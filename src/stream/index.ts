/** The speed layer. For now: the log loaded into the bronze Iceberg table, exactly once. */
export { loadBronze, BRONZE_EVENTS_TABLE, BRONZE_EVENTS, OFFSETS_PROPERTY } from './bronze.js';
export type { BronzeLoadResult } from './bronze.js';
