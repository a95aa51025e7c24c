import { REFERENCE_EVENTS, REFERENCE_EVENTS_TABLE } from '../../stream/index.js';
import type { BatchJob } from '../job.js';
import { decodedOrderEvents, decodedReferenceEvents } from './bronze-events.js';
import { STEPS_AFTER_PURCHASE } from './silver-orders.js';

/**
 * Every bronze event that silver leaves out, with the reason (see bronze-events.ts) and a
 * sentence naming what is wrong, so nothing is dropped silently. It runs after silver.orders and
 * judges an order's steps and reviews against the orders silver holds after the same bronze
 * snapshot, as the silver jobs did. A reject is final: an OrderPlaced that arrives in a later run
 * than its order's steps does not bring them back (`batch run --full` re-judges everything).
 */
export const SILVER_REJECTS: BatchJob = {
  name: 'silver.rejects',
  sources: ['bronze.order_events', REFERENCE_EVENTS_TABLE, 'silver.orders'],
  optional: { [REFERENCE_EVENTS_TABLE]: REFERENCE_EVENTS },
  incremental: ['bronze.order_events', REFERENCE_EVENTS_TABLE],
  key: ['source_table', 'event_id'],
  mode: 'upsert',
  table: {
    columns: [
      { name: 'source_table', type: 'string', required: true, doc: 'The bronze table the event is in' },
      { name: 'event_id', type: 'string', required: true },
      { name: 'topic', type: 'string', required: true },
      { name: 'log_partition', type: 'int', required: true },
      { name: 'log_offset', type: 'long', required: true },
      { name: 'event_type', type: 'string', required: true },
      { name: 'key', type: 'string', required: true },
      { name: 'event_time', type: 'timestamptz', required: true },
      { name: 'reason', type: 'string', required: true, doc: 'undecodable, malformed, negative_money, unknown_order or step_before_purchase' },
      { name: 'detail', type: 'string', required: true },
      { name: 'payload', type: 'string', required: true, doc: 'The bronze payload as it is' },
    ],
  },
  sql: `
WITH d AS (${decodedOrderEvents(undefined, { payload: true })}),
r AS (${decodedReferenceEvents()}),
judged AS (
  SELECT d.*, o.purchased_at,
    coalesce(d.reason, CASE
      WHEN d.event_type <> 'OrderPlaced' AND o.order_id IS NULL THEN 'unknown_order'
      WHEN d.event_type IN ${STEPS_AFTER_PURCHASE} AND d.event_time < o.purchased_at THEN 'step_before_purchase' END) AS why
  FROM d LEFT JOIN silver_orders o USING (order_id))
SELECT DISTINCT ON (source_table, event_id) * FROM (
SELECT 'bronze.order_events' AS source_table, event_id, topic, log_partition, log_offset, event_type, key, event_time, why AS reason,
  CASE why
    WHEN 'undecodable' THEN 'the record did not decode: ' || payload
    WHEN 'malformed' THEN CASE WHEN NOT valid THEN 'the payload is not JSON' ELSE event_type || ' lacks a field it requires, or has one out of range' END
    WHEN 'negative_money' THEN 'OrderPlaced with a negative price, freight or payment value'
    WHEN 'unknown_order' THEN event_type || ' for order ' || order_id || ', which silver has no OrderPlaced for'
    WHEN 'step_before_purchase' THEN event_type || ' at ' || strftime(event_time, '%Y-%m-%dT%H:%M:%SZ') || ' is before the purchase at ' || strftime(purchased_at, '%Y-%m-%dT%H:%M:%SZ')
  END AS detail,
  payload
FROM judged WHERE why IS NOT NULL
UNION ALL
SELECT '${REFERENCE_EVENTS_TABLE}', event_id, topic, log_partition, log_offset, event_type, key, event_time, reason,
  CASE reason
    WHEN 'undecodable' THEN 'the record did not decode: ' || payload
    WHEN 'malformed' THEN CASE WHEN NOT valid THEN 'the payload is not JSON' ELSE event_type || ' is not a reference event, or lacks its id' END
  END,
  payload
FROM r WHERE reason IS NOT NULL)
-- An event the log holds twice is one reject: its first copy.
ORDER BY source_table, event_id, topic, log_partition, log_offset`,
};
