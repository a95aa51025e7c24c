/** Order events of bronze, decoded and deduplicated by event id (the first copy in the log wins). */
export const ORDER_EVENTS = `
  SELECT DISTINCT ON (event_id) event_id, event_type, key AS order_id, event_time, payload
  FROM bronze_order_events
  WHERE topic IN ('orders', 'reviews') AND event_type <> 'Undecodable' AND json_valid(payload)
  ORDER BY event_id, topic, log_partition, log_offset`;
