/**
 * SQL shared by the silver jobs: bronze rows decoded once into typed structs, with the reason a row
 * cannot enter silver (null when it can). A row's JSON payload is parsed by `json_transform` into
 * one struct that has the fields of every event type of its table (absent fields are null), so
 * each job reads typed fields instead of parsing JSON paths again.
 *
 * Reasons (the `reason` column of `silver.rejects`): `undecodable` (the processor kept the raw
 * bytes), `malformed` (the payload is not JSON, or lacks a field its type requires),
 * `negative_money` (an order with a negative price, freight or payment), `unknown_order` (a step or
 * review of an order never placed), `step_before_purchase` (an approval or delivery before the
 * order's purchase). A carrier handoff before the purchase is kept as recorded: Olist holds a few
 * (the carrier date is typed in by hand), and the speed layer treats them the same way.
 */

/** The event types of an order's life; reviews come on their own topic. */
export const LIFECYCLE_EVENTS = ['OrderPlaced', 'PaymentApproved', 'OrderHandedToCarrier', 'OrderDelivered', 'OrderCanceled'] as const;
export const LIFECYCLE_TYPES = `(${LIFECYCLE_EVENTS.map((t) => `'${t}'`).join(', ')})`;

const ORDER_STRUCT = JSON.stringify({
  orderId: 'VARCHAR',
  customer: { customerId: 'VARCHAR', customerUniqueId: 'VARCHAR', zipCodePrefix: 'VARCHAR', city: 'VARCHAR', state: 'VARCHAR' },
  items: [{ orderItemId: 'INTEGER', productId: 'VARCHAR', sellerId: 'VARCHAR', shippingLimitAt: 'BIGINT', priceCents: 'BIGINT', freightCents: 'BIGINT' }],
  payments: [{ paymentSequential: 'INTEGER', paymentType: 'VARCHAR', paymentInstallments: 'INTEGER', paymentValueCents: 'BIGINT' }],
  estimatedDeliveryDate: 'DATE',
  reason: 'VARCHAR',
  reviewId: 'VARCHAR',
  score: 'INTEGER',
  commentTitle: 'VARCHAR',
  commentMessage: 'VARCHAR',
  createdDate: 'DATE',
});

const REFERENCE_STRUCT = JSON.stringify({
  customerId: 'VARCHAR',
  customerUniqueId: 'VARCHAR',
  sellerId: 'VARCHAR',
  productId: 'VARCHAR',
  zipCodePrefix: 'VARCHAR',
  city: 'VARCHAR',
  state: 'VARCHAR',
  categoryName: 'VARCHAR',
  categoryNameEnglish: 'VARCHAR',
  nameLength: 'INTEGER',
  descriptionLength: 'INTEGER',
  photosQty: 'INTEGER',
  weightG: 'DOUBLE',
  lengthCm: 'DOUBLE',
  heightCm: 'DOUBLE',
  widthCm: 'DOUBLE',
});

/** A struct literal's quoting for SQL: the specs above hold no quote characters. */
const sqlText = (text: string): string => `'${text}'`;

/** The bronze columns every decoded row keeps, for rejects and lineage. */
const ROW_COLUMNS = 'event_id, event_type, key, event_time, topic, log_partition, log_offset, payload';

/**
 * One row per event id of a bronze view, the first copy in the log (a duplicate is the same event),
 * with `valid` telling whether its payload is JSON. A hash aggregate: sorting the payloads to pick
 * the first copy costs ten times as much.
 */
export function firstCopies(view: string, types?: readonly string[]): string {
  const only = types === undefined ? '' : `WHERE event_type IN (${types.map((t) => `'${t}'`).join(', ')})`;
  return `SELECT b.*, json_valid(b.payload) AS valid FROM (
    SELECT arg_min(r, (r.topic, r.log_partition, r.log_offset)) AS b
    FROM (SELECT ${ROW_COLUMNS} FROM ${view} ${only}) r GROUP BY r.event_id)`;
}

/** Every row of a bronze view (of `types`, when given), with `valid` telling whether its payload is JSON. */
function everyCopy(view: string, types?: readonly string[]): string {
  const only = types === undefined ? '' : `WHERE event_type IN (${types.map((t) => `'${t}'`).join(', ')})`;
  return `SELECT ${ROW_COLUMNS}, json_valid(payload) AS valid FROM ${view} ${only}`;
}

/**
 * The order and review events of `delta_bronze_order_events` (only those of `types`, when given:
 * parsing JSON is most of a job's cost), decoded into `e`, with `order_id` and `reason`. Every copy
 * of an event the log holds twice is there: it decodes to the same facts, every merge of the silver
 * jobs is idempotent, and a job keyed by the event itself keeps one (deduplicating half a million
 * payloads up front costs more than the rest of the job). The payload text is kept only when
 * asked for: the result is materialised, and copying half a million strings is not free either.
 */
export const decodedOrderEvents = (types?: readonly string[], options: { readonly payload?: boolean } = {}): string => `
WITH decoded AS MATERIALIZED (
  SELECT ${options.payload === true ? ROW_COLUMNS : ROW_COLUMNS.replace(', payload', '')}, key AS order_id, valid,
    CASE WHEN valid AND event_type IN ('OrderPlaced', 'OrderCanceled', 'ReviewAnswered') THEN json_transform(payload, ${sqlText(ORDER_STRUCT)}) END AS e
  FROM (${everyCopy('delta_bronze_order_events', types)}))
SELECT *, CASE
    WHEN event_type = 'Undecodable' THEN 'undecodable'
    WHEN NOT valid THEN 'malformed'
    WHEN event_type = 'OrderPlaced' AND (e.customer.customerId IS NULL OR e.estimatedDeliveryDate IS NULL OR e.items IS NULL
      OR list_bool_or([i.priceCents IS NULL OR i.freightCents IS NULL OR i.productId IS NULL OR i.sellerId IS NULL OR i.shippingLimitAt IS NULL OR i.orderItemId IS NULL FOR i IN e.items])) THEN 'malformed'
    WHEN event_type = 'OrderCanceled' AND coalesce(e.reason, '') NOT IN ('canceled', 'unavailable') THEN 'malformed'
    WHEN event_type = 'ReviewAnswered' AND (e.reviewId IS NULL OR coalesce(e.score, 0) NOT BETWEEN 1 AND 5 OR e.createdDate IS NULL) THEN 'malformed'
    WHEN event_type = 'OrderPlaced' AND (list_bool_or([i.priceCents < 0 OR i.freightCents < 0 FOR i IN e.items])
      OR list_bool_or([p.paymentValueCents < 0 FOR p IN coalesce(e.payments, [])])) THEN 'negative_money'
    WHEN event_type NOT IN ${LIFECYCLE_TYPES} AND event_type <> 'ReviewAnswered' THEN 'malformed'
  END AS reason
FROM decoded`;

/** The reference events of `delta_bronze_reference_events` (of `types`, when given), like `decodedOrderEvents()`. */
export const decodedReferenceEvents = (types?: readonly string[]): string => `
WITH decoded AS MATERIALIZED (
  SELECT ${ROW_COLUMNS}, valid, CASE WHEN valid THEN json_transform(payload, ${sqlText(REFERENCE_STRUCT)}) END AS e
  FROM (${everyCopy('delta_bronze_reference_events', types)}))
SELECT *, CASE
    WHEN event_type = 'Undecodable' THEN 'undecodable'
    WHEN NOT valid THEN 'malformed'
    WHEN event_type = 'CustomerUpserted' AND e.customerId IS NULL THEN 'malformed'
    WHEN event_type = 'SellerUpserted' AND e.sellerId IS NULL THEN 'malformed'
    WHEN event_type = 'ProductUpserted' AND e.productId IS NULL THEN 'malformed'
    WHEN event_type NOT IN ('CustomerUpserted', 'SellerUpserted', 'ProductUpserted') THEN 'malformed'
  END AS reason
FROM decoded`;

/**
 * The order facts an OrderPlaced event gives, as columns of `silver.orders` (from the decoded
 * row `d`); the silver.orders job merges them with the prior row's same columns.
 */
export const PLACED_FACTS = `
  d.order_id, d.event_id AS placed_event_id, d.event_time AS purchased_at,
  d.e.customer.customerId AS customer_id, d.e.customer.customerUniqueId AS customer_unique_id,
  d.e.customer.state AS customer_state, d.e.customer.city AS customer_city,
  d.e.estimatedDeliveryDate AS estimated_delivery_date,
  CAST(epoch_ms(list_min([i.shippingLimitAt FOR i IN d.e.items])) AS TIMESTAMPTZ) AS seller_deadline,
  CAST(len(d.e.items) AS INTEGER) AS item_count,
  coalesce(list_sum([i.priceCents FOR i IN d.e.items]), 0) AS items_cents,
  coalesce(list_sum([i.freightCents FOR i IN d.e.items]), 0) AS freight_cents,
  d.e.payments[1].paymentType AS payment_type,
  list_max([p.paymentInstallments FOR p IN d.e.payments]) AS payment_installments`;

/** The columns `PLACED_FACTS` yields, for reading the same facts back from a silver.orders row. */
export const PLACED_COLUMNS = [
  'order_id', 'placed_event_id', 'purchased_at', 'customer_id', 'customer_unique_id', 'customer_state', 'customer_city',
  'estimated_delivery_date', 'seller_deadline', 'item_count', 'items_cents', 'freight_cents', 'payment_type', 'payment_installments',
] as const;
