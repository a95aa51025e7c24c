import type { Lake } from '../lake/index.js';
import { ALERT_EVENTS_TABLE, BRONZE_EVENTS_TABLE } from './tables.js';

/** What a processor wrote that must not depend on where or how it ran: for the speed layer's tests. */
export interface SpeedLayerContents {
  /** Bronze rows in processing order: task, sequence, and the log position and event they hold. */
  readonly bronze: string[];
  /** Every alert change, in processing order. */
  readonly alerts: string[];
}

/** The bronze rows and alert changes of a lake, as JSON lines (empty when a table does not exist yet). */
export async function speedLayerContents(lake: Lake): Promise<SpeedLayerContents> {
  const rows = async (table: string, sql: string): Promise<string[]> =>
    !(await lake.tableExists(table))
      ? []
      : (await (await (await lake.table(table)).scan()).query(sql)).rows.map((r) =>
          JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
        );
  return {
    bronze: await rows(BRONZE_EVENTS_TABLE, 'SELECT task, processed_seq, topic, log_partition, log_offset, event_id FROM t ORDER BY task, processed_seq'),
    alerts: await rows(ALERT_EVENTS_TABLE, 'SELECT * FROM t ORDER BY task, processed_seq, alert_id, sequence'),
  };
}
