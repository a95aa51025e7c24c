/**
 * Table metadata as immutable values (specification, "Table Metadata" and "Snapshots"): a new
 * table's first metadata, and small pure steps from one metadata to the next (add a snapshot, a
 * schema, properties; expire snapshots; record the previous metadata file). Every step returns a
 * new frozen object and leaves its input untouched, so a commit can be retried from the same base.
 *
 * `last-updated-ms`: steps that take `nowMs` set it; without it the value is left alone, except
 * that `withSnapshot` uses the snapshot's timestamp as Java does. Set it just before writing.
 */
import { randomUUID, getRandomValues } from 'node:crypto';
import { LakeError } from './errors.js';
import { allFieldIds, assignFreshIds, fieldById, fieldByName, highestFieldId } from './schema.js';
import type { NewColumn } from './schema.js';
import { bindPartitionSpec, defaultPartitionFieldName, parseTransform } from './transforms.js';
import type {
  NestedField,
  PartitionField,
  PartitionSpec,
  Schema,
  Snapshot,
  SnapshotRef,
  SortOrder,
  TableMetadata,
  Transform,
} from './types.js';

/** The first partition field id (v1's reference implementation numbered from here too). */
export const PARTITION_FIELD_ID_START = 1000;
export const UNSORTED_ORDER: SortOrder = Object.freeze({ 'order-id': 0, fields: Object.freeze([]) });
export const MAIN_BRANCH = 'main';
/** Table property bounding `metadata-log` (Java's `write.metadata.previous-versions-max`). */
export const METADATA_PREVIOUS_VERSIONS_MAX = 'write.metadata.previous-versions-max';
const DEFAULT_PREVIOUS_VERSIONS_MAX = 100;

/** A partition field named by its source column, before ids are assigned. */
export interface NewPartitionField {
  /** The source column's name (top-level). */
  readonly source: string;
  readonly transform: Transform;
  /** Default: Java's naming, e.g. `order_date_day`, `customer_id_bucket`. */
  readonly name?: string;
}

export interface NewTableOptions {
  /** The table's base location, e.g. `s3://bucket/warehouse/bronze/orders` (no trailing slash). */
  readonly location: string;
  /**
   * The columns. When every field carries an `id` the ids are kept; otherwise all fields get fresh
   * ids 1..n (then nested ids), as Java does for a new table.
   */
  readonly schema: { readonly fields: readonly (NewColumn | NestedField)[]; readonly 'identifier-field-ids'?: readonly number[] };
  /** Fields by source column name (ids from 1000), or a spec whose source ids match the schema. */
  readonly partitionSpec?: readonly NewPartitionField[] | PartitionSpec;
  readonly sortOrder?: SortOrder;
  readonly properties?: Readonly<Record<string, string>>;
  /** Default: a random UUID. */
  readonly tableUuid?: string;
  readonly nowMs: number;
}

function invalid(message: string, details: Record<string, unknown> = {}): LakeError {
  return new LakeError('OP_LAKE_INVALID_ARGUMENT', message, { details });
}

/** Freezes a plain-data value and everything in it (already frozen parts are skipped). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value as object)) deepFreeze(inner);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// A new table
// ---------------------------------------------------------------------------------------------

/** The metadata of a new, empty table (no snapshot yet). */
export function newTableMetadata(options: NewTableOptions): TableMetadata {
  const location = options.location.replace(/\/+$/, '');
  if (location.length === 0) throw invalid('a table location must not be empty');
  const schema = buildSchema(options.schema);
  const spec = Array.isArray(options.partitionSpec)
    ? buildSpec(schema, options.partitionSpec as readonly NewPartitionField[])
    : ((options.partitionSpec as PartitionSpec | undefined) ?? { 'spec-id': 0, fields: [] });
  validateSpec(schema, spec);
  const sortOrder = options.sortOrder ?? UNSORTED_ORDER;
  validateSortOrder(schema, sortOrder);
  const meta: TableMetadata = {
    'format-version': 2,
    'table-uuid': options.tableUuid ?? randomUUID(),
    location,
    'last-sequence-number': 0,
    'last-updated-ms': options.nowMs,
    'last-column-id': highestFieldId(schema),
    schemas: [schema],
    'current-schema-id': schema['schema-id'],
    'partition-specs': [spec],
    'default-spec-id': spec['spec-id'],
    // 999 for an unpartitioned table, so the first partition field added later gets 1000.
    'last-partition-id': spec.fields.reduce((max, f) => Math.max(max, f['field-id']), PARTITION_FIELD_ID_START - 1),
    properties: { ...(options.properties ?? {}) },
    'current-snapshot-id': null,
    snapshots: [],
    'snapshot-log': [],
    'metadata-log': [],
    'sort-orders': [sortOrder],
    'default-sort-order-id': sortOrder['order-id'],
    refs: {},
  };
  return deepFreeze(meta);
}

function buildSchema(input: NewTableOptions['schema']): Schema {
  const fields = input.fields;
  const haveIds = fields.length > 0 && fields.every((f) => typeof (f as Partial<NestedField>).id === 'number');
  const built: readonly NestedField[] = haveIds ? (fields as readonly NestedField[]) : assignFreshIds(fields).fields;
  const schema: Schema = {
    type: 'struct',
    'schema-id': 0,
    fields: built,
    ...(input['identifier-field-ids'] === undefined ? {} : { 'identifier-field-ids': input['identifier-field-ids'] }),
  };
  validateSchema(schema);
  return schema;
}

/** Ids must be positive and unique, names unique per struct, identifier fields must exist. */
export function validateSchema(schema: Schema): void {
  const ids = allFieldIds(schema);
  const seen = new Set<number>();
  for (const id of ids) {
    if (!Number.isInteger(id) || id <= 0) throw invalid(`schema ${schema['schema-id']}: field id ${id} is not a positive integer`);
    if (seen.has(id)) throw invalid(`schema ${schema['schema-id']}: field id ${id} is used twice`, { fieldId: id });
    seen.add(id);
  }
  const names = new Set<string>();
  for (const f of schema.fields) {
    if (f.name.length === 0) throw invalid(`schema ${schema['schema-id']}: a column name is empty`);
    if (names.has(f.name)) throw invalid(`schema ${schema['schema-id']}: column '${f.name}' appears twice`, { column: f.name });
    names.add(f.name);
  }
  for (const id of schema['identifier-field-ids'] ?? []) {
    const f = fieldById(schema, id);
    if (!f) throw invalid(`schema ${schema['schema-id']}: identifier field id ${id} does not exist`);
    if (!f.required) throw invalid(`schema ${schema['schema-id']}: identifier field '${f.name}' must be required`);
  }
}

function buildSpec(schema: Schema, fields: readonly NewPartitionField[]): PartitionSpec {
  return {
    'spec-id': 0,
    fields: fields.map((f, i): PartitionField => {
      const source = fieldByName(schema, f.source);
      if (!source) throw invalid(`partition source column '${f.source}' is not in the schema`, { column: f.source });
      return {
        name: f.name ?? defaultPartitionFieldName(f.source, f.transform),
        transform: f.transform,
        'source-id': source.id,
        'field-id': PARTITION_FIELD_ID_START + i,
      };
    }),
  };
}

/**
 * A spec must bind to the schema, with unique field ids and names; a partition name may equal a
 * column name only for an identity partition of that column (Java's rule: otherwise a filter on
 * the name would be ambiguous).
 */
export function validateSpec(schema: Schema, spec: PartitionSpec): void {
  bindPartitionSpec(spec, schema);
  const ids = new Set<number>();
  const names = new Set<string>();
  for (const f of spec.fields) {
    if (ids.has(f['field-id'])) throw invalid(`partition spec ${spec['spec-id']}: field id ${f['field-id']} is used twice`);
    if (names.has(f.name)) throw invalid(`partition spec ${spec['spec-id']}: partition name '${f.name}' is used twice`);
    ids.add(f['field-id']);
    names.add(f.name);
    const column = fieldByName(schema, f.name);
    if (column && !(column.id === f['source-id'] && parseTransform(f.transform).kind === 'identity')) {
      throw invalid(`partition name '${f.name}' conflicts with a column of the same name`, { partitionField: f.name });
    }
  }
}

function validateSortOrder(schema: Schema, order: SortOrder): void {
  for (const f of order.fields) {
    if (!fieldById(schema, f['source-id'])) throw invalid(`sort order ${order['order-id']}: source id ${f['source-id']} is not in the schema`);
  }
}

// ---------------------------------------------------------------------------------------------
// Lookups
// ---------------------------------------------------------------------------------------------

export function currentSchema(meta: TableMetadata): Schema {
  return schemaById(meta, meta['current-schema-id']);
}

export function schemaById(meta: TableMetadata, id: number): Schema {
  const schema = meta.schemas.find((s) => s['schema-id'] === id);
  if (!schema) throw invalid(`table ${meta['table-uuid']} has no schema ${id}`);
  return schema;
}

export function defaultSpec(meta: TableMetadata): PartitionSpec {
  return specById(meta, meta['default-spec-id']);
}

export function specById(meta: TableMetadata, id: number): PartitionSpec {
  const spec = meta['partition-specs'].find((s) => s['spec-id'] === id);
  if (!spec) throw invalid(`table ${meta['table-uuid']} has no partition spec ${id}`);
  return spec;
}

export function snapshotById(meta: TableMetadata, id: bigint): Snapshot | undefined {
  return meta.snapshots.find((s) => s['snapshot-id'] === id);
}

/** The current snapshot, or null for a table without data. */
export function currentSnapshot(meta: TableMetadata): Snapshot | null {
  const id = meta['current-snapshot-id'];
  if (id === null || id === undefined) return null;
  return snapshotById(meta, id) ?? null;
}

function noSuchSnapshot(message: string, details: Record<string, unknown>): LakeError {
  return new LakeError('OP_LAKE_NO_SUCH_SNAPSHOT', message, { details });
}

/**
 * The snapshot to read: by id, or the one that was current at a time (the last `snapshot-log`
 * entry at or before it, as the spec recommends for time travel), or the current one (null when
 * the table has none). `OP_LAKE_NO_SUCH_SNAPSHOT` when the id is unknown, the time is before the
 * table's first snapshot, or the snapshot current then has expired.
 */
export function snapshotAsOf(
  meta: TableMetadata,
  selector: { readonly snapshotId?: bigint; readonly timestampMs?: number } = {},
): Snapshot | null {
  if (selector.snapshotId !== undefined) {
    const snapshot = snapshotById(meta, selector.snapshotId);
    if (!snapshot) {
      throw noSuchSnapshot(`table ${meta['table-uuid']} has no snapshot ${selector.snapshotId}`, { snapshotId: String(selector.snapshotId) });
    }
    return snapshot;
  }
  if (selector.timestampMs !== undefined) {
    const ts = selector.timestampMs;
    let id: bigint | null = null;
    for (const entry of meta['snapshot-log']) if (entry['timestamp-ms'] <= ts) id = entry['snapshot-id'];
    if (id === null) {
      throw noSuchSnapshot(`table ${meta['table-uuid']} has no snapshot at or before ${new Date(ts).toISOString()}`, { timestampMs: ts });
    }
    const snapshot = snapshotById(meta, id);
    if (!snapshot) {
      throw noSuchSnapshot(`snapshot ${id}, current at ${new Date(ts).toISOString()}, has expired`, { snapshotId: String(id), timestampMs: ts });
    }
    return snapshot;
  }
  return currentSnapshot(meta);
}

/**
 * A snapshot and its ancestors, newest first, following `parent-snapshot-id` until a parent is
 * missing (expired) or there is none. `OP_LAKE_NO_SUCH_SNAPSHOT` when the first one is unknown.
 */
export function ancestors(meta: TableMetadata, snapshotId: bigint): readonly Snapshot[] {
  return [...ancestry(meta, snapshotId)];
}

/**
 * `ancestors`, one snapshot at a time: a search that stops at the parent (the newest value of a
 * summary property, say) does not walk a history of thousands of snapshots.
 */
export function* ancestry(meta: TableMetadata, snapshotId: bigint): Generator<Snapshot, void, undefined> {
  const byId = snapshotIndex(meta);
  let next = byId.get(snapshotId);
  if (!next) throw noSuchSnapshot(`table ${meta['table-uuid']} has no snapshot ${snapshotId}`, { snapshotId: String(snapshotId) });
  const seen = new Set<bigint>();
  while (next && !seen.has(next['snapshot-id'])) {
    seen.add(next['snapshot-id']);
    yield next;
    const parent: bigint | undefined = next['parent-snapshot-id'];
    next = parent === undefined ? undefined : byId.get(parent);
  }
}

/** Snapshots by id, made once per snapshot list (metadata is never changed in place, only replaced). */
function snapshotIndex(meta: TableMetadata): ReadonlyMap<bigint, Snapshot> {
  let index = snapshotIndexes.get(meta.snapshots);
  if (index === undefined) {
    index = new Map(meta.snapshots.map((s) => [s['snapshot-id'], s]));
    if (Object.isFrozen(meta.snapshots)) snapshotIndexes.set(meta.snapshots, index);
  }
  return index;
}
const snapshotIndexes = new WeakMap<readonly Snapshot[], ReadonlyMap<bigint, Snapshot>>();

// ---------------------------------------------------------------------------------------------
// Changes
// ---------------------------------------------------------------------------------------------

/**
 * Adds a snapshot and points a branch at it (`main` by default). On `main` it also becomes the
 * current snapshot and is appended to `snapshot-log`. `last-sequence-number` follows the
 * snapshot's sequence number, which must be above it (Java's rule; a snapshot without a parent is
 * exempt, as in Java). Refuses a duplicate snapshot id, an unknown schema id and a tag as target.
 */
export function withSnapshot(
  meta: TableMetadata,
  snapshot: Snapshot,
  options: { readonly ref?: string; readonly nowMs?: number } = {},
): TableMetadata {
  const ref = options.ref ?? MAIN_BRANCH;
  const id = snapshot['snapshot-id'];
  if (snapshotById(meta, id)) throw invalid(`snapshot ${id} already exists`, { snapshotId: String(id) });
  const seq = snapshot['sequence-number'];
  if (seq <= meta['last-sequence-number'] && snapshot['parent-snapshot-id'] !== undefined) {
    throw invalid(`snapshot ${id} has sequence number ${seq}, not above the table's last ${meta['last-sequence-number']}`, {
      snapshotId: String(id),
      sequenceNumber: seq,
    });
  }
  if (snapshot['schema-id'] !== undefined && !meta.schemas.some((s) => s['schema-id'] === snapshot['schema-id'])) {
    throw invalid(`snapshot ${id} refers to unknown schema ${snapshot['schema-id']}`);
  }
  const existing = meta.refs[ref];
  if (existing && existing.type === 'tag') throw invalid(`'${ref}' is a tag; snapshots are committed to branches`, { ref });
  const nextRef: SnapshotRef = existing ? { ...existing, 'snapshot-id': id } : { 'snapshot-id': id, type: 'branch' };
  const onMain = ref === MAIN_BRANCH;
  return deepFreeze({
    ...meta,
    snapshots: [...meta.snapshots, snapshot],
    'last-sequence-number': Math.max(meta['last-sequence-number'], seq),
    'last-updated-ms': options.nowMs ?? snapshot['timestamp-ms'],
    'current-snapshot-id': onMain ? id : meta['current-snapshot-id'],
    'snapshot-log': onMain ? [...meta['snapshot-log'], { 'timestamp-ms': snapshot['timestamp-ms'], 'snapshot-id': id }] : meta['snapshot-log'],
    refs: { ...meta.refs, [ref]: nextRef },
  });
}

/**
 * Adds a schema and makes it current; `last-column-id` rises to its highest id. An identical
 * existing schema is reused (as Java does); a schema whose id is taken by a different schema gets
 * the next free id.
 */
export function withSchema(meta: TableMetadata, schema: Schema, options: { readonly nowMs?: number } = {}): TableMetadata {
  validateSchema(schema);
  const same = meta.schemas.find((s) => sameStructure(s, schema));
  let schemas = meta.schemas;
  let id: number;
  if (same) {
    id = same['schema-id'];
  } else {
    const taken = meta.schemas.some((s) => s['schema-id'] === schema['schema-id']);
    id = taken ? Math.max(...meta.schemas.map((s) => s['schema-id'])) + 1 : schema['schema-id'];
    schemas = [...meta.schemas, { ...schema, 'schema-id': id }];
  }
  return deepFreeze({
    ...meta,
    schemas,
    'current-schema-id': id,
    'last-column-id': Math.max(meta['last-column-id'], highestFieldId(schema)),
    'last-updated-ms': options.nowMs ?? meta['last-updated-ms'],
  });
}

function sameStructure(a: Schema, b: Schema): boolean {
  return (
    JSON.stringify(a.fields) === JSON.stringify(b.fields) &&
    JSON.stringify(a['identifier-field-ids'] ?? []) === JSON.stringify(b['identifier-field-ids'] ?? [])
  );
}

/** Sets and removes table properties. */
export function withProperties(
  meta: TableMetadata,
  set: Readonly<Record<string, string>>,
  remove: readonly string[] = [],
  options: { readonly nowMs?: number } = {},
): TableMetadata {
  const properties: Record<string, string> = { ...meta.properties };
  for (const key of remove) delete properties[key];
  for (const [key, value] of Object.entries(set)) {
    if (typeof value !== 'string') throw invalid(`table property '${key}' must be a string`, { property: key });
    properties[key] = value;
  }
  return deepFreeze({ ...meta, properties, 'last-updated-ms': options.nowMs ?? meta['last-updated-ms'] });
}

/**
 * Removes snapshots (expiry). Refuses to remove the current snapshot. Refs left pointing at a
 * removed snapshot are dropped, as Java does. `snapshot-log` loses the removed snapshots' entries
 * and everything before the last of them: a gap would make time travel wrongly attribute the gap
 * to the previous snapshot. Unknown ids are ignored (expiry can be retried).
 */
export function withoutSnapshots(
  meta: TableMetadata,
  snapshotIds: Iterable<bigint>,
  options: { readonly nowMs?: number } = {},
): TableMetadata {
  const remove = new Set(snapshotIds);
  const current = meta['current-snapshot-id'];
  if (current !== null && current !== undefined && remove.has(current)) {
    throw invalid(`snapshot ${current} is the current snapshot and cannot be expired`, { snapshotId: String(current) });
  }
  const snapshots = meta.snapshots.filter((s) => !remove.has(s['snapshot-id']));
  const kept = new Set(snapshots.map((s) => s['snapshot-id']));
  const refs = Object.fromEntries(Object.entries(meta.refs).filter(([, r]) => kept.has(r['snapshot-id'])));
  const log: TableMetadata['snapshot-log'][number][] = [];
  for (const entry of meta['snapshot-log']) {
    if (kept.has(entry['snapshot-id'])) log.push(entry);
    else log.length = 0;
  }
  return deepFreeze({
    ...meta,
    snapshots,
    refs,
    'snapshot-log': log,
    'last-updated-ms': options.nowMs ?? meta['last-updated-ms'],
  });
}

/**
 * Records the metadata file this metadata replaces. The log keeps the newest
 * `write.metadata.previous-versions-max` entries (default 100), as Java does.
 */
export function withMetadataLog(meta: TableMetadata, previousFile: string, timestampMs: number): TableMetadata {
  const configured = Number(meta.properties[METADATA_PREVIOUS_VERSIONS_MAX]);
  const max = Number.isInteger(configured) && configured >= 1 ? configured : DEFAULT_PREVIOUS_VERSIONS_MAX;
  const log = [...meta['metadata-log'], { 'timestamp-ms': timestampMs, 'metadata-file': previousFile }];
  return deepFreeze({ ...meta, 'metadata-log': log.slice(Math.max(0, log.length - max)) });
}

/** Sets `last-updated-ms` (do it just before writing the file). */
export function withLastUpdated(meta: TableMetadata, nowMs: number): TableMetadata {
  return deepFreeze({ ...meta, 'last-updated-ms': nowMs });
}

// ---------------------------------------------------------------------------------------------
// Ids and file names
// ---------------------------------------------------------------------------------------------

/** A random positive snapshot id of 63 bits, as Java draws them. */
export function newSnapshotId(): bigint {
  const words = getRandomValues(new Uint32Array(2));
  const id = (BigInt(words[0]! & 0x7fffffff) << 32n) | BigInt(words[1]!);
  return id === 0n ? 1n : id;
}

/**
 * `<location>/metadata/<version>-<uuid>.metadata.json` with the version zero-padded to five digits,
 * as Java's `BaseMetastoreTableOperations` names them (`%05d-%s.metadata.json`).
 */
export function metadataFileLocation(tableLocation: string, version: number, uuid: string = randomUUID()): string {
  if (!Number.isInteger(version) || version < 0) throw invalid(`metadata version must be a non-negative integer, got ${version}`);
  return `${tableLocation.replace(/\/+$/, '')}/metadata/${String(version).padStart(5, '0')}-${uuid}.metadata.json`;
}

/** The version of a metadata file named as above (also `v3.metadata.json`), or null. */
export function metadataFileVersion(location: string): number | null {
  const name = location.slice(location.lastIndexOf('/') + 1);
  const m = /^(\d+)-.*\.metadata\.json$/.exec(name) ?? /^v(\d+)(?:\.gz)?\.metadata\.json$/.exec(name);
  return m ? Number(m[1]) : null;
}
