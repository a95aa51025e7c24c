import { REFERENCE_EVENTS, REFERENCE_EVENTS_TABLE } from '../../stream/index.js';
import type { BatchJob } from '../job.js';
import { decodedReferenceEvents } from './bronze-events.js';

/**
 * Customers, sellers and products: one row per entity, its latest version (by event time, then
 * event id), merged incrementally from the reference events of bronze. The reference table is
 * optional: before any reference event exists the tables are written empty, so the jobs that join
 * them can run.
 */
function referenceJob(options: {
  name: string;
  eventType: string;
  key: string;
  columns: BatchJob['table']['columns'];
  /** The entity's columns from the decoded event `r` (`r.e` is its struct). */
  select: string;
}): BatchJob {
  const names = options.columns.map((c) => c.name);
  return {
    name: options.name,
    sources: [REFERENCE_EVENTS_TABLE],
    optional: { [REFERENCE_EVENTS_TABLE]: REFERENCE_EVENTS },
    incremental: [REFERENCE_EVENTS_TABLE],
    key: [options.key],
    mode: 'upsert',
    table: {
      columns: [
        ...options.columns,
        { name: 'updated_at', type: 'timestamptz', required: true, doc: 'Event time of the version held' },
        { name: 'event_id', type: 'string', required: true, doc: 'The event of the version held' },
      ],
    },
    sql: `
WITH r AS (${decodedReferenceEvents([options.eventType])}),
fresh AS (SELECT ${options.select}, r.event_time AS updated_at, r.event_id FROM r WHERE r.reason IS NULL AND r.event_type = '${options.eventType}')
SELECT w.* FROM (
  SELECT arg_max(v, (v.updated_at, v.event_id)) AS w FROM (
    SELECT ${[...names, 'updated_at', 'event_id'].join(', ')} FROM prior WHERE ${options.key} IN (SELECT ${options.key} FROM fresh)
    UNION ALL BY NAME SELECT * FROM fresh) v
  GROUP BY v.${options.key})`,
  };
}

export const SILVER_CUSTOMERS = referenceJob({
  name: 'silver.customers',
  eventType: 'CustomerUpserted',
  key: 'customer_id',
  columns: [
    { name: 'customer_id', type: 'string', required: true, doc: 'Olist gives each order its own customer id' },
    { name: 'customer_unique_id', type: 'string', doc: 'The person' },
    { name: 'zip_code_prefix', type: 'string' },
    { name: 'city', type: 'string' },
    { name: 'state', type: 'string' },
  ],
  select: 'r.e.customerId AS customer_id, r.e.customerUniqueId AS customer_unique_id, r.e.zipCodePrefix AS zip_code_prefix, r.e.city AS city, r.e.state AS state',
});

export const SILVER_SELLERS = referenceJob({
  name: 'silver.sellers',
  eventType: 'SellerUpserted',
  key: 'seller_id',
  columns: [
    { name: 'seller_id', type: 'string', required: true },
    { name: 'zip_code_prefix', type: 'string' },
    { name: 'city', type: 'string' },
    { name: 'state', type: 'string' },
  ],
  select: 'r.e.sellerId AS seller_id, r.e.zipCodePrefix AS zip_code_prefix, r.e.city AS city, r.e.state AS state',
});

export const SILVER_PRODUCTS = referenceJob({
  name: 'silver.products',
  eventType: 'ProductUpserted',
  key: 'product_id',
  columns: [
    { name: 'product_id', type: 'string', required: true },
    { name: 'category_name', type: 'string', doc: 'Portuguese category name as Olist has it' },
    { name: 'category', type: 'string', doc: 'English category name; null when the product has none' },
    { name: 'name_length', type: 'int' },
    { name: 'description_length', type: 'int' },
    { name: 'photos_qty', type: 'int' },
    { name: 'weight_g', type: 'double' },
    { name: 'length_cm', type: 'double' },
    { name: 'height_cm', type: 'double' },
    { name: 'width_cm', type: 'double' },
  ],
  select: `r.e.productId AS product_id, r.e.categoryName AS category_name, r.e.categoryNameEnglish AS category,
    r.e.nameLength AS name_length, r.e.descriptionLength AS description_length, r.e.photosQty AS photos_qty,
    r.e.weightG AS weight_g, r.e.lengthCm AS length_cm, r.e.heightCm AS height_cm, r.e.widthCm AS width_cm`,
});
