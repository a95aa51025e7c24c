/**
 * Table metadata JSON (specification, Appendix C): parsing with checks that name the file and the
 * offending field, and serializing in the reference implementation's shape.
 *
 * Reading: format version 2 fully; version 1 when it is simple (a `manifest-list` per snapshot,
 * a `table-uuid`), converted to the v2 model with Appendix E's defaults (sequence numbers 0,
 * partition field ids from 1000, the unsorted order). Writing such metadata back upgrades the table
 * to v2, which the spec allows. Version 3 and later are refused, as the spec requires. A
 * gzip-compressed file (`.gz.metadata.json`) is accepted as bytes.
 *
 * Long ids: snapshot ids are 64-bit (Java and PyIceberg draw them from 63 bits), beyond what a
 * double holds. The text is parsed with `parseExactJson`, so they are read as exact bigints, and
 * written back as exact digits. Other integers (sequence numbers, timestamps, field ids) stay
 * numbers and must be safe integers, else the file is refused as corrupt, naming the field.
 */
import { gunzipSync } from 'node:zlib';
import { LakeError } from './errors.js';
import { parseExactJson, stringifyExactJson } from './exact-json.js';
import type { ExactJson } from './exact-json.js';
import { decimalType, primitiveInfo } from './schema.js';
import type {
  IcebergType,
  NestedField,
  PartitionField,
  PartitionSpec,
  PrimitiveType,
  Schema,
  Snapshot,
  SnapshotRef,
  SnapshotSummary,
  SortOrder,
  TableMetadata,
} from './types.js';

type Json = ExactJson;
type JsonObject = { [key: string]: Json };

const OPERATIONS = new Set(['append', 'replace', 'overwrite', 'delete']);

/**
 * Reads JSON values, throwing `OP_LAKE_CORRUPT_FILE` that names the file and the JSON path.
 * Exported for the manifest readers, whose headers carry schema and partition-spec JSON.
 */
export class JsonReader {
  constructor(readonly location: string) {}

  fail(path: string, problem: string): never {
    throw new LakeError('OP_LAKE_CORRUPT_FILE', `${this.location}: ${path} ${problem}`, {
      details: { location: this.location, field: path },
    });
  }

  object(value: Json | undefined, path: string): JsonObject {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(path, 'must be a JSON object');
    return value;
  }

  array(value: Json | undefined, path: string): Json[] {
    if (!Array.isArray(value)) this.fail(path, 'must be a JSON array');
    return value;
  }

  string(value: Json | undefined, path: string): string {
    if (typeof value !== 'string') this.fail(path, value === undefined ? 'is missing' : 'must be a string');
    return value;
  }

  boolean(value: Json | undefined, path: string): boolean {
    if (typeof value !== 'boolean') this.fail(path, value === undefined ? 'is missing' : 'must be true or false');
    return value;
  }

  /** An integer that is a safe JavaScript number (counters, sequence numbers, timestamps, field ids). */
  integer(value: Json | undefined, path: string): number {
    if (typeof value === 'bigint') this.fail(path, `is ${value}, beyond the integers OrderPulse reads exactly here (±2^53)`);
    if (typeof value !== 'number' || !Number.isInteger(value)) this.fail(path, value === undefined ? 'is missing' : 'must be an integer');
    if (!Number.isSafeInteger(value)) this.fail(path, `is ${value}, beyond the integers OrderPulse reads exactly here (±2^53)`);
    return value;
  }

  /** A 64-bit long (a snapshot id), exact. */
  long(value: Json | undefined, path: string): bigint {
    if (typeof value === 'bigint') {
      if (BigInt.asIntN(64, value) !== value) this.fail(path, `is ${value}, beyond a 64-bit long`);
      return value;
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) this.fail(path, value === undefined ? 'is missing' : 'must be an integer');
    return BigInt(value);
  }

  optionalLong(value: Json | undefined, path: string): bigint | undefined {
    return value === undefined || value === null ? undefined : this.long(value, path);
  }

  optionalInteger(value: Json | undefined, path: string): number | undefined {
    return value === undefined || value === null ? undefined : this.integer(value, path);
  }
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/**
 * Parses a table metadata file. Throws `OP_LAKE_CORRUPT_FILE` naming `location` and what is wrong:
 * not JSON, a required field missing or of the wrong type, a reference to a schema, spec, sort
 * order or snapshot that is not there, or an unsupported format version.
 */
export function parseTableMetadata(text: string | Uint8Array, location: string): TableMetadata {
  const r = new JsonReader(location);
  let json: Json;
  try {
    const source = typeof text === 'string' ? text : decodeBytes(text);
    json = parseExactJson(source);
  } catch (cause) {
    throw new LakeError('OP_LAKE_CORRUPT_FILE', `${location}: not a table metadata JSON file (${(cause as Error).message})`, {
      details: { location },
      cause,
    });
  }
  const root = r.object(json, 'the document');
  const version = r.integer(root['format-version'], 'format-version');
  if (version !== 1 && version !== 2) return r.fail('format-version', `is ${version}; OrderPulse reads format versions 1 and 2`);
  const meta = version === 2 ? parseV2(r, root) : parseV1(r, root);
  const refusal = version === 1 ? 'it is a format version 1 table, which a commit by OrderPulse would upgrade to version 2' : uncarriedFields(root);
  if (refusal !== null) writeRefusals.set(meta, refusal);
  return meta;
}

/** Table metadata fields OrderPulse models and writes back (format v2, and v1's older spellings). */
const CARRIED_FIELDS = new Set([
  'format-version', 'table-uuid', 'location', 'last-sequence-number', 'last-updated-ms', 'last-column-id', 'schema', 'schemas',
  'current-schema-id', 'partition-spec', 'partition-specs', 'default-spec-id', 'last-partition-id', 'properties',
  'current-snapshot-id', 'snapshots', 'snapshot-log', 'metadata-log', 'sort-orders', 'default-sort-order-id', 'refs',
]);
const CARRIED_SNAPSHOT_FIELDS = new Set(['snapshot-id', 'parent-snapshot-id', 'sequence-number', 'timestamp-ms', 'manifest-list', 'manifests', 'summary', 'schema-id']);

/** Why a commit would lose something of this metadata (a field OrderPulse does not write back), or null. */
function uncarriedFields(root: JsonObject): string | null {
  const empty = (v: Json | undefined): boolean => v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && Object.keys(v).length === 0);
  const lost = Object.keys(root).filter((k) => !CARRIED_FIELDS.has(k) && !empty(root[k]));
  if (lost.length > 0) return `its metadata holds ${lost.map((k) => `"${k}"`).join(', ')}, which OrderPulse does not write back`;
  for (const snapshot of Array.isArray(root.snapshots) ? root.snapshots : []) {
    if (snapshot === null || typeof snapshot !== 'object' || Array.isArray(snapshot)) continue;
    const extra = Object.keys(snapshot).filter((k) => !CARRIED_SNAPSHOT_FIELDS.has(k));
    if (extra.length > 0) return `its snapshots hold ${extra.map((k) => `"${k}"`).join(', ')}, which OrderPulse does not write back`;
  }
  return null;
}

/** Metadata parsed from a file that a commit must not replace, with the reason (see `writeRefusal`). */
const writeRefusals = new WeakMap<TableMetadata, string>();

/**
 * Why OrderPulse must not commit on top of this metadata, or null: the file holds what a commit
 * would drop (table statistics, v3 fields, ...) or is format version 1. Such a table is read-only.
 */
export function writeRefusal(meta: TableMetadata): string | null {
  return writeRefusals.get(meta) ?? null;
}

function decodeBytes(bytes: Uint8Array): string {
  // gzip magic 1f 8b: `.gz.metadata.json` files.
  const raw = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  return new TextDecoder('utf-8', { fatal: true }).decode(raw);
}

function parseV2(r: JsonReader, root: JsonObject): TableMetadata {
  const schemas = r.array(root.schemas, 'schemas').map((s, i) => parseSchema(r, s, `schemas[${i}]`));
  const specs = r.array(root['partition-specs'], 'partition-specs').map((s, i) => parseSpec(r, s, `partition-specs[${i}]`));
  const sortOrders = r.array(root['sort-orders'], 'sort-orders').map((s, i) => parseSortOrder(r, s, `sort-orders[${i}]`));
  const meta: TableMetadata = {
    'format-version': 2,
    'table-uuid': r.string(root['table-uuid'], 'table-uuid'),
    location: r.string(root.location, 'location'),
    'last-sequence-number': r.integer(root['last-sequence-number'], 'last-sequence-number'),
    'last-updated-ms': r.integer(root['last-updated-ms'], 'last-updated-ms'),
    'last-column-id': r.integer(root['last-column-id'], 'last-column-id'),
    schemas,
    'current-schema-id': r.integer(root['current-schema-id'], 'current-schema-id'),
    'partition-specs': specs,
    'default-spec-id': r.integer(root['default-spec-id'], 'default-spec-id'),
    'last-partition-id': r.integer(root['last-partition-id'], 'last-partition-id'),
    properties: parseProperties(r, root.properties),
    'current-snapshot-id': parseCurrentSnapshotId(r, root['current-snapshot-id']),
    snapshots: parseList(r, root.snapshots, 'snapshots', (s, p) => parseSnapshot(r, s, p, 2)),
    'snapshot-log': parseList(r, root['snapshot-log'], 'snapshot-log', (e, p) => {
      const o = r.object(e, p);
      return { 'timestamp-ms': r.integer(o['timestamp-ms'], `${p}.timestamp-ms`), 'snapshot-id': r.long(o['snapshot-id'], `${p}.snapshot-id`) };
    }),
    'metadata-log': parseMetadataLog(r, root['metadata-log']),
    'sort-orders': sortOrders,
    'default-sort-order-id': r.integer(root['default-sort-order-id'], 'default-sort-order-id'),
    refs: parseRefs(r, root.refs),
  };
  return checkReferences(r, withMainRef(r, meta));
}

/** Version 1 with Appendix E's defaults. */
function parseV1(r: JsonReader, root: JsonObject): TableMetadata {
  const schemas =
    root.schemas !== undefined
      ? r.array(root.schemas, 'schemas').map((s, i) => parseSchema(r, s, `schemas[${i}]`, true))
      : [parseSchema(r, root.schema, 'schema', true)];
  const currentSchemaId = r.optionalInteger(root['current-schema-id'], 'current-schema-id') ?? schemas[0]?.['schema-id'] ?? 0;
  const specs =
    root['partition-specs'] !== undefined
      ? r.array(root['partition-specs'], 'partition-specs').map((s, i) => parseSpec(r, s, `partition-specs[${i}]`))
      : [{ 'spec-id': 0, fields: parsePartitionFields(r, root['partition-spec'], 'partition-spec') }];
  const lastPartitionId =
    r.optionalInteger(root['last-partition-id'], 'last-partition-id') ??
    specs.flatMap((s) => s.fields.map((f) => f['field-id'])).reduce((max, id) => Math.max(max, id), 999);
  const sortOrders =
    root['sort-orders'] !== undefined
      ? r.array(root['sort-orders'], 'sort-orders').map((s, i) => parseSortOrder(r, s, `sort-orders[${i}]`))
      : [{ 'order-id': 0, fields: [] }];
  const meta: TableMetadata = {
    'format-version': 2,
    // A v1 table may lack a uuid; OrderPulse needs one to tell tables apart after a refresh.
    'table-uuid': r.string(root['table-uuid'], 'table-uuid (required by OrderPulse, optional in v1)'),
    location: r.string(root.location, 'location'),
    'last-sequence-number': 0,
    'last-updated-ms': r.integer(root['last-updated-ms'], 'last-updated-ms'),
    'last-column-id': r.integer(root['last-column-id'], 'last-column-id'),
    schemas,
    'current-schema-id': currentSchemaId,
    'partition-specs': specs,
    'default-spec-id': r.optionalInteger(root['default-spec-id'], 'default-spec-id') ?? specs[0]?.['spec-id'] ?? 0,
    'last-partition-id': lastPartitionId,
    properties: parseProperties(r, root.properties),
    'current-snapshot-id': parseCurrentSnapshotId(r, root['current-snapshot-id']),
    snapshots: parseList(r, root.snapshots, 'snapshots', (s, p) => parseSnapshot(r, s, p, 1)),
    'snapshot-log': parseList(r, root['snapshot-log'], 'snapshot-log', (e, p) => {
      const o = r.object(e, p);
      return { 'timestamp-ms': r.integer(o['timestamp-ms'], `${p}.timestamp-ms`), 'snapshot-id': r.long(o['snapshot-id'], `${p}.snapshot-id`) };
    }),
    'metadata-log': parseMetadataLog(r, root['metadata-log']),
    'sort-orders': sortOrders,
    'default-sort-order-id': r.optionalInteger(root['default-sort-order-id'], 'default-sort-order-id') ?? sortOrders[0]?.['order-id'] ?? 0,
    refs: parseRefs(r, root.refs),
  };
  return checkReferences(r, withMainRef(r, meta));
}

function parseList<T>(r: JsonReader, value: Json | undefined, path: string, item: (v: Json, path: string) => T): T[] {
  if (value === undefined || value === null) return [];
  return r.array(value, path).map((v, i) => item(v, `${path}[${i}]`));
}

function parseProperties(r: JsonReader, value: Json | undefined): Record<string, string> {
  if (value === undefined || value === null) return {};
  const o = r.object(value, 'properties');
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, r.string(v, `properties.${k}`)]));
}

/** Absent, null and -1 (what Java writes for "none") all mean no current snapshot. */
function parseCurrentSnapshotId(r: JsonReader, value: Json | undefined): bigint | null {
  const id = r.optionalLong(value, 'current-snapshot-id');
  return id === undefined || id === -1n ? null : id;
}

function parseMetadataLog(r: JsonReader, value: Json | undefined): TableMetadata['metadata-log'] {
  return parseList(r, value, 'metadata-log', (e, p) => {
    const o = r.object(e, p);
    return { 'timestamp-ms': r.integer(o['timestamp-ms'], `${p}.timestamp-ms`), 'metadata-file': r.string(o['metadata-file'], `${p}.metadata-file`) };
  });
}

/**
 * A schema object (Appendix C). `v1` allows a missing `schema-id` (0). Types are checked
 * recursively; decimals are respelled `decimal(P, S)`.
 */
export function parseSchema(r: JsonReader, value: Json | undefined, path: string, v1 = false): Schema {
  const o = r.object(value, path);
  if (o.type !== 'struct') r.fail(`${path}.type`, `must be "struct"`);
  const schemaId = v1 ? (r.optionalInteger(o['schema-id'], `${path}.schema-id`) ?? 0) : r.integer(o['schema-id'], `${path}.schema-id`);
  const fields = parseFields(r, o.fields, `${path}.fields`);
  const identifiers =
    o['identifier-field-ids'] === undefined || o['identifier-field-ids'] === null
      ? undefined
      : r.array(o['identifier-field-ids'], `${path}.identifier-field-ids`).map((id, i) => r.integer(id, `${path}.identifier-field-ids[${i}]`));
  return { type: 'struct', 'schema-id': schemaId, fields, ...(identifiers === undefined ? {} : { 'identifier-field-ids': identifiers }) };
}

function parseFields(r: JsonReader, value: Json | undefined, path: string): NestedField[] {
  return r.array(value, path).map((f, i) => {
    const p = `${path}[${i}]`;
    const o = r.object(f, p);
    const field: NestedField = {
      id: r.integer(o.id, `${p}.id`),
      name: r.string(o.name, `${p}.name`),
      required: r.boolean(o.required, `${p}.required`),
      type: parseType(r, o.type, `${p}.type`),
    };
    return o.doc === undefined || o.doc === null ? field : { ...field, doc: r.string(o.doc, `${p}.doc`) };
  });
}

function parseType(r: JsonReader, value: Json | undefined, path: string): IcebergType {
  if (typeof value === 'string') {
    const info = primitiveInfo(value);
    if (info === null) r.fail(path, `has unknown or unsupported type ${JSON.stringify(value)}`);
    return info.kind === 'decimal' ? decimalType(info.precision, info.scale) : (value as PrimitiveType);
  }
  const o = r.object(value, path);
  switch (o.type) {
    case 'struct':
      return { type: 'struct', fields: parseFields(r, o.fields, `${path}.fields`) };
    case 'list':
      return {
        type: 'list',
        'element-id': r.integer(o['element-id'], `${path}.element-id`),
        element: parseType(r, o.element, `${path}.element`),
        'element-required': r.boolean(o['element-required'], `${path}.element-required`),
      };
    case 'map':
      return {
        type: 'map',
        'key-id': r.integer(o['key-id'], `${path}.key-id`),
        key: parseType(r, o.key, `${path}.key`),
        'value-id': r.integer(o['value-id'], `${path}.value-id`),
        value: parseType(r, o.value, `${path}.value`),
        'value-required': r.boolean(o['value-required'], `${path}.value-required`),
      };
    default:
      return r.fail(`${path}.type`, `has unknown nested type ${JSON.stringify(o.type ?? null)}`);
  }
}

function parseSpec(r: JsonReader, value: Json | undefined, path: string): PartitionSpec {
  const o = r.object(value, path);
  return { 'spec-id': r.integer(o['spec-id'], `${path}.spec-id`), fields: parsePartitionFields(r, o.fields, `${path}.fields`) };
}

/**
 * A partition spec's field list (also the `partition-spec` manifest header). A missing `field-id`
 * (v1) is numbered from 1000 by position, as v1's reference implementation did.
 */
export function parsePartitionFields(r: JsonReader, value: Json | undefined, path: string): PartitionField[] {
  return r.array(value, path).map((f, i) => {
    const p = `${path}[${i}]`;
    const o = r.object(f, p);
    if (o['source-id'] === undefined && o['source-ids'] !== undefined) r.fail(`${p}.source-ids`, 'is a v3 multi-argument transform, not supported');
    return {
      name: r.string(o.name, `${p}.name`),
      transform: r.string(o.transform, `${p}.transform`),
      'source-id': r.integer(o['source-id'], `${p}.source-id`),
      'field-id': r.optionalInteger(o['field-id'], `${p}.field-id`) ?? 1000 + i,
    };
  });
}

function parseSortOrder(r: JsonReader, value: Json | undefined, path: string): SortOrder {
  const o = r.object(value, path);
  return {
    'order-id': r.integer(o['order-id'], `${path}.order-id`),
    fields: r.array(o.fields, `${path}.fields`).map((f, i) => {
      const p = `${path}.fields[${i}]`;
      const fo = r.object(f, p);
      const direction = r.string(fo.direction, `${p}.direction`);
      const nullOrder = r.string(fo['null-order'], `${p}.null-order`);
      if (direction !== 'asc' && direction !== 'desc') r.fail(`${p}.direction`, 'must be "asc" or "desc"');
      if (nullOrder !== 'nulls-first' && nullOrder !== 'nulls-last') r.fail(`${p}.null-order`, 'must be "nulls-first" or "nulls-last"');
      return {
        transform: r.string(fo.transform, `${p}.transform`),
        'source-id': r.integer(fo['source-id'], `${p}.source-id`),
        direction,
        'null-order': nullOrder,
      };
    }),
  };
}

function parseSnapshot(r: JsonReader, value: Json, path: string, version: 1 | 2): Snapshot {
  const o = r.object(value, path);
  if (o['manifest-list'] === undefined && o.manifests !== undefined) {
    r.fail(`${path}.manifests`, 'lists manifests inline (v1 without a manifest list), which OrderPulse does not read');
  }
  const parent = r.optionalLong(o['parent-snapshot-id'], `${path}.parent-snapshot-id`);
  const schemaId = r.optionalInteger(o['schema-id'], `${path}.schema-id`);
  const snapshot: Snapshot = {
    'snapshot-id': r.long(o['snapshot-id'], `${path}.snapshot-id`),
    ...(parent === undefined ? {} : { 'parent-snapshot-id': parent }),
    'sequence-number': version === 1 ? 0 : r.integer(o['sequence-number'], `${path}.sequence-number`),
    'timestamp-ms': r.integer(o['timestamp-ms'], `${path}.timestamp-ms`),
    'manifest-list': r.string(o['manifest-list'], `${path}.manifest-list`),
    summary: parseSummary(r, o.summary, `${path}.summary`, version),
    ...(schemaId === undefined ? {} : { 'schema-id': schemaId }),
  };
  return snapshot;
}

function parseSummary(r: JsonReader, value: Json | undefined, path: string, version: 1 | 2): SnapshotSummary {
  // v1 makes the summary optional; an append is the only safe guess for scans (nothing removed).
  if (version === 1 && (value === undefined || value === null)) return { operation: 'append' };
  const o = r.object(value, path);
  const operation = r.string(o.operation, `${path}.operation`);
  if (!OPERATIONS.has(operation)) r.fail(`${path}.operation`, `is ${JSON.stringify(operation)}, not append, replace, overwrite or delete`);
  const summary: Record<string, string> = {};
  for (const [key, v] of Object.entries(o)) {
    // Values are strings by the spec; tolerate numbers and booleans some writers emit.
    if (typeof v === 'string') summary[key] = v;
    else if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') summary[key] = String(v);
    else r.fail(`${path}.${key}`, 'must be a string');
  }
  return summary as SnapshotSummary;
}

function parseRefs(r: JsonReader, value: Json | undefined): Record<string, SnapshotRef> {
  if (value === undefined || value === null) return {};
  const o = r.object(value, 'refs');
  const refs: Record<string, SnapshotRef> = {};
  for (const [name, v] of Object.entries(o)) {
    const p = `refs.${name}`;
    const ro = r.object(v, p);
    const type = r.string(ro.type, `${p}.type`);
    if (type !== 'branch' && type !== 'tag') r.fail(`${p}.type`, 'must be "branch" or "tag"');
    const minSnapshots = r.optionalInteger(ro['min-snapshots-to-keep'], `${p}.min-snapshots-to-keep`);
    const maxSnapshotAge = r.optionalInteger(ro['max-snapshot-age-ms'], `${p}.max-snapshot-age-ms`);
    const maxRefAge = r.optionalInteger(ro['max-ref-age-ms'], `${p}.max-ref-age-ms`);
    refs[name] = {
      'snapshot-id': r.long(ro['snapshot-id'], `${p}.snapshot-id`),
      type,
      ...(maxRefAge === undefined ? {} : { 'max-ref-age-ms': maxRefAge }),
      ...(maxSnapshotAge === undefined ? {} : { 'max-snapshot-age-ms': maxSnapshotAge }),
      ...(minSnapshots === undefined ? {} : { 'min-snapshots-to-keep': minSnapshots }),
    };
  }
  return refs;
}

/** "Always a main branch reference, even if refs is null": derive it from the current snapshot. */
function withMainRef(r: JsonReader, meta: TableMetadata): TableMetadata {
  const current = meta['current-snapshot-id'];
  const main = meta.refs.main;
  if (main && main['snapshot-id'] !== current) {
    r.fail('refs.main.snapshot-id', `is ${main['snapshot-id']} but current-snapshot-id is ${current ?? 'absent'}`);
  }
  if (!main && current !== null && current !== undefined) {
    return { ...meta, refs: { ...meta.refs, main: { 'snapshot-id': current, type: 'branch' } } };
  }
  return meta;
}

function checkReferences(r: JsonReader, meta: TableMetadata): TableMetadata {
  if (!meta.schemas.some((s) => s['schema-id'] === meta['current-schema-id'])) {
    r.fail('current-schema-id', `is ${meta['current-schema-id']}, which is not in schemas`);
  }
  if (!meta['partition-specs'].some((s) => s['spec-id'] === meta['default-spec-id'])) {
    r.fail('default-spec-id', `is ${meta['default-spec-id']}, which is not in partition-specs`);
  }
  if (!meta['sort-orders'].some((s) => s['order-id'] === meta['default-sort-order-id'])) {
    r.fail('default-sort-order-id', `is ${meta['default-sort-order-id']}, which is not in sort-orders`);
  }
  const snapshotIds = new Set(meta.snapshots.map((s) => s['snapshot-id']));
  const current = meta['current-snapshot-id'];
  if (current !== null && current !== undefined && !snapshotIds.has(current)) {
    r.fail('current-snapshot-id', `is ${current}, which is not in snapshots`);
  }
  for (const [name, ref] of Object.entries(meta.refs)) {
    if (!snapshotIds.has(ref['snapshot-id'])) r.fail(`refs.${name}.snapshot-id`, `is ${ref['snapshot-id']}, which is not in snapshots`);
  }
  return meta;
}

// ---------------------------------------------------------------------------------------------
// Serializing
// ---------------------------------------------------------------------------------------------

/**
 * The JSON text of table metadata (format version 2), fields in Appendix C's order. With no
 * current snapshot `current-snapshot-id` is written as -1, as Java does (every reader accepts it).
 * Snapshot ids are written as their exact digits (see the module comment).
 */
export function serializeTableMetadata(meta: TableMetadata, options: { readonly pretty?: boolean } = {}): string {
  const pretty = options.pretty === true;
  const doc = metadataDocument(meta, pretty);
  if (pretty) return stringifyExactJson(doc, 2);
  const { before, after } = compactParts(doc);
  return `${before}[${meta.snapshots.map(snapshotText).join(',')}]${after}`;
}

/** The metadata as Appendix C's JSON object; `snapshots` is left empty unless `withSnapshots` (see `compactParts`). */
function metadataDocument(meta: TableMetadata, withSnapshots: boolean): Record<string, unknown> {
  return {
    'format-version': 2,
    'table-uuid': meta['table-uuid'],
    location: meta.location,
    'last-sequence-number': meta['last-sequence-number'],
    'last-updated-ms': meta['last-updated-ms'],
    'last-column-id': meta['last-column-id'],
    'current-schema-id': meta['current-schema-id'],
    schemas: meta.schemas.map(schemaJson),
    'default-spec-id': meta['default-spec-id'],
    'partition-specs': meta['partition-specs'].map((s) => ({ 'spec-id': s['spec-id'], fields: s.fields.map(partitionFieldJson) })),
    'last-partition-id': meta['last-partition-id'],
    'default-sort-order-id': meta['default-sort-order-id'],
    'sort-orders': meta['sort-orders'].map((o) => ({
      'order-id': o['order-id'],
      fields: o.fields.map((f) => ({ transform: f.transform, 'source-id': f['source-id'], direction: f.direction, 'null-order': f['null-order'] })),
    })),
    properties: { ...meta.properties },
    'current-snapshot-id': meta['current-snapshot-id'] ?? -1n,
    refs: Object.fromEntries(Object.entries(meta.refs).map(([name, ref]) => [name, refJson(ref)])),
    snapshots: withSnapshots ? meta.snapshots.map(snapshotJson) : [],
    'snapshot-log': meta['snapshot-log'].map((e) => ({ 'timestamp-ms': e['timestamp-ms'], 'snapshot-id': e['snapshot-id'] })),
    'metadata-log': meta['metadata-log'].map((e) => ({ 'timestamp-ms': e['timestamp-ms'], 'metadata-file': e['metadata-file'] })),
  };
}

/**
 * `serializeTableMetadata` as the UTF-8 bytes of the file. Each commit writes every snapshot
 * again; a snapshot never changes, so its bytes are made once and the file is put together from
 * them, instead of encoding a text of a thousand snapshots anew at every commit.
 */
export function encodeTableMetadata(meta: TableMetadata): Uint8Array {
  const { before, after } = compactParts(metadataDocument(meta, false));
  const parts: Uint8Array[] = [utf8.encode(`${before}[`)];
  meta.snapshots.forEach((s, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(snapshotBytes(s));
  });
  parts.push(utf8.encode(`]${after}`));
  return Buffer.concat(parts);
}

/** The compact text of a document without snapshots, cut where the `snapshots` array goes. */
function compactParts(doc: Record<string, unknown>): { before: string; after: string } {
  const text = stringifyExactJson(doc);
  const at = text.indexOf(EMPTY_SNAPSHOTS);
  if (at === -1) throw new Error('unreachable: the metadata document has a snapshots member');
  return { before: `${text.slice(0, at)},"snapshots":`, after: text.slice(at + EMPTY_SNAPSHOTS.length) };
}

// Quotes inside a string value are escaped, so this text is the top-level member and nothing else.
const EMPTY_SNAPSHOTS = ',"snapshots":[]';
const utf8 = new TextEncoder();
const COMMA = utf8.encode(',');

/** A snapshot's JSON text. */
function snapshotText(s: Snapshot): string {
  return stringifyExactJson(snapshotJson(s));
}

/**
 * `snapshotText` as UTF-8, made once per snapshot (metadata objects are frozen: it never changes).
 * Only the bytes are kept: commits write them, and the text is wanted only off that path.
 */
function snapshotBytes(s: Snapshot): Uint8Array {
  let bytes = snapshotEncodings.get(s);
  if (bytes === undefined) {
    bytes = utf8.encode(snapshotText(s));
    if (Object.isFrozen(s) && Object.isFrozen(s.summary)) snapshotEncodings.set(s, bytes);
  }
  return bytes;
}
const snapshotEncodings = new WeakMap<Snapshot, Uint8Array>();

/** A schema as Appendix C's JSON object (also the `schema` manifest header). */
export function schemaJson(schema: Schema): Record<string, unknown> {
  return {
    type: 'struct',
    'schema-id': schema['schema-id'],
    ...(schema['identifier-field-ids'] === undefined ? {} : { 'identifier-field-ids': [...schema['identifier-field-ids']] }),
    fields: schema.fields.map(fieldJson),
  };
}

function fieldJson(f: NestedField): Record<string, unknown> {
  return { id: f.id, name: f.name, required: f.required, type: typeJson(f.type), ...(f.doc === undefined ? {} : { doc: f.doc }) };
}

function typeJson(type: IcebergType): unknown {
  if (typeof type === 'string') return type;
  switch (type.type) {
    case 'struct':
      return { type: 'struct', fields: type.fields.map(fieldJson) };
    case 'list':
      return { type: 'list', 'element-id': type['element-id'], element: typeJson(type.element), 'element-required': type['element-required'] };
    case 'map':
      return {
        type: 'map',
        'key-id': type['key-id'],
        key: typeJson(type.key),
        'value-id': type['value-id'],
        value: typeJson(type.value),
        'value-required': type['value-required'],
      };
  }
}

/** A partition field as Java writes it (also in the `partition-spec` manifest header). */
export function partitionFieldJson(f: PartitionField): Record<string, unknown> {
  return { name: f.name, transform: f.transform, 'source-id': f['source-id'], 'field-id': f['field-id'] };
}

function refJson(ref: SnapshotRef): Record<string, unknown> {
  return {
    'snapshot-id': ref['snapshot-id'],
    type: ref.type,
    ...(ref['max-ref-age-ms'] === undefined ? {} : { 'max-ref-age-ms': ref['max-ref-age-ms'] }),
    ...(ref['max-snapshot-age-ms'] === undefined ? {} : { 'max-snapshot-age-ms': ref['max-snapshot-age-ms'] }),
    ...(ref['min-snapshots-to-keep'] === undefined ? {} : { 'min-snapshots-to-keep': ref['min-snapshots-to-keep'] }),
  };
}

function snapshotJson(s: Snapshot): Record<string, unknown> {
  return {
    'snapshot-id': s['snapshot-id'],
    ...(s['parent-snapshot-id'] === undefined ? {} : { 'parent-snapshot-id': s['parent-snapshot-id'] }),
    'sequence-number': s['sequence-number'],
    'timestamp-ms': s['timestamp-ms'],
    'manifest-list': s['manifest-list'],
    summary: { ...s.summary },
    ...(s['schema-id'] === undefined ? {} : { 'schema-id': s['schema-id'] }),
  };
}
