/**
 * Helpers over Iceberg schemas (specification, "Schemas and Data Types"): type parsing, field
 * lookup, fresh field-id assignment, adding a column, and checking rows before an append.
 *
 * Rows are plain objects keyed by column name. The JavaScript value for each Iceberg type:
 *
 * | Iceberg type            | JavaScript value                                                      |
 * |-------------------------|-----------------------------------------------------------------------|
 * | boolean                 | `boolean`                                                             |
 * | int                     | `number`, a 32-bit integer                                            |
 * | long                    | `number` (a safe integer) or `bigint` (64-bit)                        |
 * | float, double           | `number` (NaN and ±Infinity allowed)                                  |
 * | decimal(P, S)           | `string` such as `'12.34'` (at most S fraction digits, P digits)      |
 * | date                    | `string` `'YYYY-MM-DD'`                                               |
 * | time                    | `string` `'HH:MM:SS'` or `'HH:MM:SS.ffffff'`                          |
 * | timestamp, timestamptz  | `number`: epoch milliseconds (Iceberg keeps microseconds; the extra   |
 * |                         | precision is not representable here and is written as zero)           |
 * | string                  | `string`                                                              |
 * | uuid                    | `string` `'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx'`                     |
 * | fixed[L], binary        | `Uint8Array` (exactly L bytes for fixed)                              |
 * | struct / list / map     | plain object / array / `Map` (checked, but OrderPulse writes none)    |
 *
 * `null` and `undefined` both mean "no value" and are refused for required columns.
 */
import { isUtf8 } from 'node:buffer';
import type { ColumnRows, Utf8Column } from './column-rows.js';
import { columnValueAt, isUtf8Column } from './column-rows.js';
import { LakeError } from './errors.js';
import type { IcebergType, ListType, MapType, NestedField, PrimitiveType, Schema, StructType } from './types.js';

// ---------------------------------------------------------------------------------------------
// Primitive types
// ---------------------------------------------------------------------------------------------

export type PrimitiveKind =
  | 'boolean'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'decimal'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'string'
  | 'uuid'
  | 'fixed'
  | 'binary';

/** A primitive type broken into its kind and parameters. */
export type PrimitiveInfo =
  | { readonly kind: Exclude<PrimitiveKind, 'decimal' | 'fixed'> }
  | { readonly kind: 'decimal'; readonly precision: number; readonly scale: number }
  | { readonly kind: 'fixed'; readonly length: number };

const SIMPLE_KINDS = new Set<string>([
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'string',
  'uuid',
  'binary',
]);
// The spec's JSON allows both `decimal(9,2)` and `decimal(9, 2)`.
const DECIMAL_TYPE = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;
const FIXED_TYPE = /^fixed\[\s*(\d+)\s*\]$/;
const infoCache = new Map<string, PrimitiveInfo | null>();

/**
 * Parses a primitive type name. Null for anything this module does not know (nested types, and
 * v3 types such as `timestamp_ns` or `variant`, which a v2 table must not use).
 */
export function primitiveInfo(type: string): PrimitiveInfo | null {
  const cached = infoCache.get(type);
  if (cached !== undefined) return cached;
  let info: PrimitiveInfo | null = null;
  if (SIMPLE_KINDS.has(type)) {
    info = { kind: type as Exclude<PrimitiveKind, 'decimal' | 'fixed'> };
  } else {
    const decimal = DECIMAL_TYPE.exec(type);
    const fixed = FIXED_TYPE.exec(type);
    if (decimal) {
      const precision = Number(decimal[1]);
      const scale = Number(decimal[2]);
      // "Scale is fixed, precision must be 38 or less"; a scale above the precision is meaningless.
      if (precision >= 1 && precision <= 38 && scale <= precision) info = { kind: 'decimal', precision, scale };
    } else if (fixed) {
      const length = Number(fixed[1]);
      if (length >= 1) info = { kind: 'fixed', length };
    }
  }
  infoCache.set(type, info);
  return info;
}

/** `primitiveInfo` that throws `OP_LAKE_INVALID_ARGUMENT` for an unknown or nested type. */
export function requirePrimitive(type: IcebergType, what: string): PrimitiveInfo {
  const info = typeof type === 'string' ? primitiveInfo(type) : null;
  if (info === null) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `${what}: ${typeName(type)} is not a supported primitive type`, {
      details: { type: typeName(type) },
    });
  }
  return info;
}

export function isPrimitiveType(type: IcebergType): type is PrimitiveType {
  return typeof type === 'string';
}

/** The type as the JSON encoding spells it, for messages. */
export function typeName(type: IcebergType): string {
  if (typeof type === 'string') return type;
  switch (type.type) {
    case 'struct':
      return `struct<${type.fields.map((f) => `${f.name}: ${typeName(f.type)}`).join(', ')}>`;
    case 'list':
      return `list<${typeName(type.element)}>`;
    case 'map':
      return `map<${typeName(type.key)}, ${typeName(type.value)}>`;
  }
}

/** The canonical spelling (`decimal(P, S)`, as Java writes it) of a primitive type. */
export function decimalType(precision: number, scale: number): PrimitiveType {
  return `decimal(${precision}, ${scale})`;
}

/**
 * The fewest bytes that hold every unscaled value of precision P as two's complement (Java's
 * `TypeUtil.decimalRequiredBytes`): Avro stores decimals as fixed of this size.
 */
export function decimalRequiredBytes(precision: number): number {
  const max = 10n ** BigInt(precision) - 1n;
  let bytes = 1;
  while ((1n << BigInt(8 * bytes - 1)) - 1n < max) bytes++;
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// Field lookup
// ---------------------------------------------------------------------------------------------

/** A top-level column by name (case-sensitive, as Iceberg's default). */
export function fieldByName(schema: Schema, name: string): NestedField | undefined {
  return schema.fields.find((f) => f.name === name);
}

/** A field by id, searching nested structs, list elements and map values too. */
export function fieldById(schema: Schema | StructType, id: number): NestedField | undefined {
  for (const field of schema.fields) {
    if (field.id === id) return field;
    const nested = nestedFieldById(field.type, id);
    if (nested) return nested;
  }
  return undefined;
}

function nestedFieldById(type: IcebergType, id: number): NestedField | undefined {
  if (typeof type === 'string') return undefined;
  switch (type.type) {
    case 'struct':
      return fieldById(type, id);
    case 'list':
      return nestedFieldById(type.element, id);
    case 'map':
      return nestedFieldById(type.key, id) ?? nestedFieldById(type.value, id);
  }
}

/** A top-level column by name; `OP_LAKE_INVALID_ARGUMENT` naming the column when there is none. */
export function requireFieldByName(schema: Schema, name: string): NestedField {
  const field = fieldByName(schema, name);
  if (!field) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `no column '${name}' in schema ${schema['schema-id']}`, {
      details: { column: name, schemaId: schema['schema-id'] },
    });
  }
  return field;
}

/** A field by id; `OP_LAKE_INVALID_ARGUMENT` when there is none. */
export function requireFieldById(schema: Schema, id: number): NestedField {
  const field = fieldById(schema, id);
  if (!field) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `no field with id ${id} in schema ${schema['schema-id']}`, {
      details: { fieldId: id, schemaId: schema['schema-id'] },
    });
  }
  return field;
}

/** Every id a type or schema uses: struct fields, list elements, map keys and values. */
export function allFieldIds(type: Schema | IcebergType): number[] {
  const ids: number[] = [];
  const visit = (t: IcebergType | Schema): void => {
    if (typeof t === 'string') return;
    switch (t.type) {
      case 'struct':
        for (const f of t.fields) {
          ids.push(f.id);
          visit(f.type);
        }
        return;
      case 'list':
        ids.push(t['element-id']);
        visit(t.element);
        return;
      case 'map':
        ids.push(t['key-id'], t['value-id']);
        visit(t.key);
        visit(t.value);
        return;
    }
  };
  visit(type);
  return ids;
}

/** The highest id used in a schema (0 for an empty schema). */
export function highestFieldId(schema: Schema | IcebergType): number {
  return allFieldIds(schema).reduce((max, id) => Math.max(max, id), 0);
}

// ---------------------------------------------------------------------------------------------
// Building schemas
// ---------------------------------------------------------------------------------------------

/** A column as a caller describes it before ids are assigned. */
export interface NewColumn {
  readonly name: string;
  readonly type: IcebergType;
  /** Default false. */
  readonly required?: boolean;
  readonly doc?: string;
}

/**
 * Gives every field fresh ids starting after `lastId`, in Java's order (`TypeUtil.assignFreshIds`):
 * all fields of a struct first, then their nested types, so top-level columns of a new table are
 * numbered 1..n. Ids a nested type already carries are replaced.
 */
export function assignFreshIds(
  columns: readonly NewColumn[],
  lastId = 0,
): { readonly fields: readonly NestedField[]; readonly lastColumnId: number } {
  let next = lastId;
  const nextId = (): number => ++next;
  const struct = reassign({ type: 'struct', fields: columns.map(toNestedField) }, nextId) as StructType;
  return { fields: struct.fields, lastColumnId: next };
}

function toNestedField(column: NewColumn): NestedField {
  // A placeholder id: `reassign` numbers it.
  const field: NestedField = { id: 0, name: column.name, required: column.required ?? false, type: column.type };
  return column.doc === undefined ? field : { ...field, doc: column.doc };
}

function reassign(type: IcebergType, nextId: () => number): IcebergType {
  if (typeof type === 'string') return type;
  switch (type.type) {
    case 'struct': {
      // Ids for every field of this struct first, then for what they contain.
      const ids = type.fields.map(() => nextId());
      return Object.freeze({
        type: 'struct',
        fields: Object.freeze(type.fields.map((f, i) => Object.freeze({ ...f, id: ids[i]!, type: reassign(f.type, nextId) }))),
      });
    }
    case 'list': {
      const elementId = nextId();
      const list: ListType = { ...type, 'element-id': elementId, element: reassign(type.element, nextId) };
      return Object.freeze(list);
    }
    case 'map': {
      const keyId = nextId();
      const valueId = nextId();
      const map: MapType = {
        ...type,
        'key-id': keyId,
        'value-id': valueId,
        key: reassign(type.key, nextId),
        value: reassign(type.value, nextId),
      };
      return Object.freeze(map);
    }
  }
}

/**
 * A new schema with one more optional column at the end. Its id is `lastColumnId + 1` (pass the
 * table's `last-column-id`: a dropped column's id must never be reused; without it the schema's
 * highest id is used) and the schema id is one more than the given schema's.
 *
 * Required columns are refused: data files written before the change have no value for the
 * column, so every reader would fail on them (v2 has no `initial-default` to fill them).
 */
export function addColumn(
  schema: Schema,
  name: string,
  type: IcebergType,
  options: { readonly required?: boolean; readonly doc?: string; readonly lastColumnId?: number } = {},
): Schema {
  if (options.required === true) {
    throw new LakeError(
      'OP_LAKE_INVALID_ARGUMENT',
      `cannot add required column '${name}': existing data files have no value for it; add it as optional`,
      { details: { column: name } },
    );
  }
  if (name.length === 0) throw new LakeError('OP_LAKE_INVALID_ARGUMENT', 'a column name must not be empty');
  if (fieldByName(schema, name)) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `column '${name}' already exists in schema ${schema['schema-id']}`, {
      details: { column: name },
    });
  }
  if (typeof type === 'string' && primitiveInfo(type) === null) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `column '${name}': unknown type '${type}'`, { details: { column: name } });
  }
  const lastId = Math.max(options.lastColumnId ?? 0, highestFieldId(schema));
  const column: NewColumn = options.doc === undefined ? { name, type } : { name, type, doc: options.doc };
  const { fields } = assignFreshIds([column], lastId);
  const next: Schema = {
    type: 'struct',
    'schema-id': schema['schema-id'] + 1,
    fields: Object.freeze([...schema.fields, ...fields]),
    ...(schema['identifier-field-ids'] === undefined ? {} : { 'identifier-field-ids': schema['identifier-field-ids'] }),
  };
  return Object.freeze(next);
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_TEXT = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;
const UUID_TEXT = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const DECIMAL_TEXT = /^([-+]?)(\d+)(?:\.(\d+))?$/;
const MS_PER_DAY = 86_400_000;
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
const FLOAT_MAX = 3.4028234663852886e38;

/** Days since 1970-01-01 of a `'YYYY-MM-DD'` date; null when the text is not a real date. */
export function parseDate(text: string): number | null {
  const m = DATE_TEXT.exec(text);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0..99 to 1900..1999.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return Math.round(d.getTime() / MS_PER_DAY);
}

/** Days since 1970-01-01 of a `'YYYY-MM-DD'` date; `OP_LAKE_INVALID_ARGUMENT` when it is not one. */
export function dateToDays(text: string): number {
  const days = parseDate(text);
  if (days === null) throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `not a date (YYYY-MM-DD): ${JSON.stringify(text)}`);
  return days;
}

/** `'YYYY-MM-DD'` of days since 1970-01-01. */
export function daysToDate(days: number): string {
  const d = new Date(days * MS_PER_DAY);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
}

/** Microseconds from midnight of `'HH:MM:SS[.ffffff]'`; null when it is not a time of day. */
export function parseTime(text: string): number | null {
  const m = TIME_TEXT.exec(text);
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  const s = Number(m[3]);
  if (h > 23 || min > 59 || s > 59) return null;
  const fraction = Number((m[4] ?? '').padEnd(6, '0'));
  return ((h * 60 + min) * 60 + s) * 1_000_000 + fraction;
}

/** `'HH:MM:SS'` or `'HH:MM:SS.ffffff'` of microseconds from midnight. */
export function microsToTime(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000);
  const fraction = micros - seconds * 1_000_000;
  const text = `${pad(Math.floor(seconds / 3600), 2)}:${pad(Math.floor(seconds / 60) % 60, 2)}:${pad(seconds % 60, 2)}`;
  return fraction === 0 ? text : `${text}.${pad(fraction, 6)}`;
}

/**
 * The unscaled value of a decimal text at `scale` (`'12.3'` at scale 2 is 1230n); null when the
 * text is not a plain decimal or has more fraction digits than the scale (that would round).
 */
export function parseDecimal(text: string, scale: number): bigint | null {
  const m = DECIMAL_TEXT.exec(text);
  if (!m) return null;
  const fraction = m[3] ?? '';
  if (fraction.length > scale) return null;
  const unscaled = BigInt(`${m[2]}${fraction.padEnd(scale, '0')}`);
  return m[1] === '-' ? -unscaled : unscaled;
}

/** The text of an unscaled decimal value at `scale`: 1230n at scale 2 is `'12.30'`. */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return negative ? `-${text}` : text;
}

/** Whether an unscaled value fits precision P (at most P digits). */
export function fitsPrecision(unscaled: bigint, precision: number): boolean {
  return (unscaled < 0n ? -unscaled : unscaled) < 10n ** BigInt(precision);
}

/** The 16 big-endian bytes of a UUID text (specification, Appendix B note 4). */
export function uuidToBytes(text: string): Uint8Array {
  if (!UUID_TEXT.test(text)) throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `not a UUID: ${JSON.stringify(text)}`);
  return hexToBytes(text.replace(/-/g, ''));
}

/** The lowercase text of 16 UUID bytes. */
export function bytesToUuid(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `a UUID is 16 bytes, got ${bytes.length}`);
  const hex = bytesToHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function isUuidText(text: string): boolean {
  return UUID_TEXT.test(text);
}

/** Lowercase hexadecimal, as the spec's JSON single-value form of binary and fixed. */
export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `not a hexadecimal byte string: ${JSON.stringify(hex)}`);
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** A short, JSON-safe description of a value for error messages and details. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
    case 'bigint':
      return `${value}n`;
    case 'number':
    case 'boolean':
      return String(value);
    case 'object':
      if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
      if (value instanceof Date) return `Date(${Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString()})`;
      if (Array.isArray(value)) return `array(${value.length})`;
      if (value instanceof Map) return `Map(${value.size})`;
      return 'object';
    default:
      return typeof value;
  }
}

// ---------------------------------------------------------------------------------------------
// Row checking
// ---------------------------------------------------------------------------------------------

/** Returns null when the value fits, else why not ("expected …"). Never called with null. */
export type ValueCheck = (value: unknown) => string | null;

/** A column of a schema with its value check resolved: what `rowChecker` and `checkColumnRows` check each value against. */
interface CheckedColumn {
  readonly name: string;
  readonly required: boolean;
  readonly type: IcebergType;
  readonly check: ValueCheck;
}

const checkedColumnsCache = new WeakMap<Schema, readonly CheckedColumn[]>();

/** The schema's columns with their checks, compiled once per schema. */
function checkedColumns(schema: Schema): readonly CheckedColumn[] {
  let columns = checkedColumnsCache.get(schema);
  if (columns === undefined) {
    columns = schema.fields.map((f) => ({ name: f.name, required: f.required, type: f.type, check: compileCheck(f.type) }));
    checkedColumnsCache.set(schema, columns);
  }
  return columns;
}

/** Throws `OP_LAKE_SCHEMA_MISMATCH` when `value` does not fit `column` (row `rowIndex`): missing while required, or of the wrong type or range. */
function checkValue(column: CheckedColumn, value: unknown, rowIndex: number): void {
  if (value === null || value === undefined) {
    if (column.required) throw mismatch(rowIndex, column.name, value, `required column (${typeName(column.type)}) has no value`);
    return;
  }
  const problem = column.check(value);
  if (problem !== null) throw mismatch(rowIndex, column.name, value, `column is ${typeName(column.type)}: ${problem}`);
}

function unknownColumn(schema: Schema, rowIndex: number, name: string, value: unknown): LakeError {
  return mismatch(rowIndex, name, value, `unknown column (schema ${schema['schema-id']} has no such column)`);
}

const checkCache = new WeakMap<Schema, (row: unknown, rowIndex: number) => void>();

/**
 * A checker for rows of a schema, compiled once (per-column checks resolved up front) so appends
 * of many rows pay only for the checks themselves. Throws `OP_LAKE_SCHEMA_MISMATCH` naming the row
 * index, the column and the value for: a row that is not a plain object, an unknown column, a
 * missing or null required column, or a value of the wrong type or out of range.
 */
export function rowChecker(schema: Schema): (row: unknown, rowIndex: number) => void {
  const cached = checkCache.get(schema);
  if (cached) return cached;
  const columns = checkedColumns(schema);
  const known = new Set(columns.map((c) => c.name));
  const checker = (row: unknown, rowIndex: number): void => {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw mismatch(rowIndex, null, row, 'a row must be a plain object keyed by column name');
    }
    const record = row as Readonly<Record<string, unknown>>;
    for (const column of columns) checkValue(column, record[column.name], rowIndex);
    for (const key in record) {
      if (!known.has(key) && Object.prototype.hasOwnProperty.call(record, key)) throw unknownColumn(schema, rowIndex, key, record[key]);
    }
  };
  checkCache.set(schema, checker);
  return checker;
}

/**
 * Checks rows given as columns (`ColumnRows`) as `rowChecker` checks row objects, with the same
 * errors: every column the schema's, every array `rowCount` long (`OP_LAKE_INVALID_ARGUMENT`
 * otherwise), and the first value that does not fit, by row and column, `OP_LAKE_SCHEMA_MISMATCH`.
 * Column by column, so each check runs over one array of one type.
 */
export function checkColumnRows(schema: Schema, rows: ColumnRows): void {
  const { rowCount, columns } = rows;
  if (!Number.isSafeInteger(rowCount) || rowCount < 0) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `rowCount must be a non-negative integer, got ${String(rowCount)}`);
  }
  if (typeof columns !== 'object' || columns === null) throw new LakeError('OP_LAKE_INVALID_ARGUMENT', 'columns must be an object keyed by column name');
  const checked = checkedColumns(schema);
  for (const name of Object.keys(columns)) {
    const values: unknown = columns[name];
    const column = checked.find((c) => c.name === name);
    if (column === undefined) throw unknownColumn(schema, 0, name, Array.isArray(values) ? values[0] : isUtf8Column(values) ? 'UTF-8 bytes' : values);
    if (isUtf8Column(values)) {
      checkUtf8Column(column, values, rowCount);
      continue;
    }
    if (!Array.isArray(values) || values.length !== rowCount) {
      const given = Array.isArray(values) ? `${values.length} values` : describeValue(values);
      throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `column '${name}' has ${given} for ${rowCount} rows`, { details: { column: name, rowCount } });
    }
  }
  for (const column of checked) {
    const values = columns[column.name];
    if (values === undefined) {
      if (rowCount > 0) checkValue(column, undefined, 0);
      continue;
    }
    if (isUtf8Column(values)) continue;
    for (let i = 0; i < rowCount; i++) checkValue(column, values[i], i);
  }
}

/**
 * A column given as UTF-8 bytes holds strings and no null: it fits a string column whose offsets
 * stay within its bytes, in order. Its values are not decoded to be checked.
 */
function checkUtf8Column(column: CheckedColumn, values: Utf8Column, rowCount: number): void {
  const { bytes, offsets } = values;
  if (!(bytes instanceof Uint8Array) || !(offsets instanceof Int32Array)) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `column '${column.name}': a UTF-8 column needs its bytes as a Uint8Array and its offsets as an Int32Array`, {
      details: { column: column.name },
    });
  }
  if (offsets.length !== rowCount + 1) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `column '${column.name}' has ${Math.max(0, offsets.length - 1)} values for ${rowCount} rows`, {
      details: { column: column.name, rowCount },
    });
  }
  if (offsets[0] !== 0) throw badOffsets(column.name, 0);
  for (let i = 0; i < rowCount; i++) {
    const end = offsets[i + 1] as number;
    if (end < (offsets[i] as number) || end > bytes.length) throw badOffsets(column.name, i);
  }
  if (!isUtf8(bytes.subarray(0, offsets[rowCount]))) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `column '${column.name}': its bytes are not valid UTF-8`, { details: { column: column.name } });
  }
  if (column.type !== 'string') {
    throw mismatch(0, column.name, rowCount > 0 ? columnValueAt(values, 0) : '', `column is ${typeName(column.type)}: given as UTF-8 strings`);
  }
}

function badOffsets(name: string, row: number): LakeError {
  return new LakeError('OP_LAKE_INVALID_ARGUMENT', `column '${name}': the UTF-8 offsets of row ${row} are out of order or past the bytes`, { details: { column: name, row } });
}

/** Checks one row (see `rowChecker`). */
export function validateRow(schema: Schema, row: unknown, rowIndex = 0): void {
  rowChecker(schema)(row, rowIndex);
}

/** Checks every row; the first mismatch throws `OP_LAKE_SCHEMA_MISMATCH`. */
export function validateRows(schema: Schema, rows: readonly unknown[]): void {
  const check = rowChecker(schema);
  for (let i = 0; i < rows.length; i++) check(rows[i], i);
}

function mismatch(rowIndex: number, column: string | null, value: unknown, reason: string): LakeError {
  const where = column === null ? `row ${rowIndex}` : `row ${rowIndex}, column '${column}'`;
  return new LakeError('OP_LAKE_SCHEMA_MISMATCH', `${where}: ${reason}, got ${describeValue(value)}`, {
    details: { row: rowIndex, column, value: describeValue(value) },
  });
}

/** The check for one type (exported for writers that convert values column by column). */
export function compileCheck(type: IcebergType): ValueCheck {
  if (typeof type !== 'string') return compileNestedCheck(type);
  const info = primitiveInfo(type);
  if (info === null) return () => `type ${type} is not supported for writing`;
  switch (info.kind) {
    case 'boolean':
      return (v) => (typeof v === 'boolean' ? null : 'expected a boolean');
    case 'int':
      return (v) =>
        typeof v === 'number' && Number.isInteger(v) && v >= INT_MIN && v <= INT_MAX ? null : 'expected a 32-bit integer number';
    case 'long':
      return (v) => {
        if (typeof v === 'number') return Number.isSafeInteger(v) ? null : 'expected a safe integer number or a bigint';
        if (typeof v === 'bigint') return v >= LONG_MIN && v <= LONG_MAX ? null : 'bigint is outside the 64-bit range';
        return 'expected an integer number or a bigint';
      };
    case 'float':
      return (v) =>
        typeof v !== 'number'
          ? 'expected a number'
          : Number.isFinite(v) && Math.abs(v) > FLOAT_MAX
            ? 'number is outside the 32-bit float range'
            : null;
    case 'double':
      return (v) => (typeof v === 'number' ? null : 'expected a number');
    case 'decimal': {
      const { precision, scale } = info;
      return (v) => {
        if (typeof v !== 'string') return `expected a decimal string such as '12.34'`;
        const unscaled = parseDecimal(v, scale);
        if (unscaled === null) return `expected a decimal string with at most ${scale} fraction digits`;
        return fitsPrecision(unscaled, precision) ? null : `more than ${precision} digits`;
      };
    }
    case 'date':
      return (v) => (typeof v === 'string' && parseDate(v) !== null ? null : `expected a 'YYYY-MM-DD' date string`);
    case 'time':
      return (v) => (typeof v === 'string' && parseTime(v) !== null ? null : `expected a 'HH:MM:SS[.ffffff]' time string`);
    case 'timestamp':
    case 'timestamptz':
      return (v) => (typeof v === 'number' && Number.isSafeInteger(v) ? null : 'expected epoch milliseconds (an integer number)');
    case 'string':
      return (v) => (typeof v === 'string' ? null : 'expected a string');
    case 'uuid':
      return (v) => (typeof v === 'string' && UUID_TEXT.test(v) ? null : 'expected a UUID string');
    case 'binary':
      return (v) => (v instanceof Uint8Array ? null : 'expected a Uint8Array');
    case 'fixed': {
      const { length } = info;
      return (v) => (v instanceof Uint8Array && v.length === length ? null : `expected a Uint8Array of ${length} bytes`);
    }
  }
}

function compileNestedCheck(type: StructType | ListType | MapType): ValueCheck {
  switch (type.type) {
    case 'struct': {
      const fields = type.fields.map((f) => ({ name: f.name, required: f.required, check: compileCheck(f.type) }));
      const known = new Set(fields.map((f) => f.name));
      return (v) => {
        if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array || v instanceof Map) {
          return 'expected a plain object';
        }
        const record = v as Readonly<Record<string, unknown>>;
        for (const f of fields) {
          const inner = record[f.name];
          if (inner === null || inner === undefined) {
            if (f.required) return `field '${f.name}' is required`;
            continue;
          }
          const problem = f.check(inner);
          if (problem !== null) return `field '${f.name}': ${problem}`;
        }
        for (const key of Object.keys(record)) if (!known.has(key)) return `unknown field '${key}'`;
        return null;
      };
    }
    case 'list': {
      const check = compileCheck(type.element);
      const required = type['element-required'];
      return (v) => {
        if (!Array.isArray(v)) return 'expected an array';
        for (let i = 0; i < v.length; i++) {
          const element: unknown = v[i];
          if (element === null || element === undefined) {
            if (required) return `element ${i} is required`;
            continue;
          }
          const problem = check(element);
          if (problem !== null) return `element ${i}: ${problem}`;
        }
        return null;
      };
    }
    case 'map': {
      const checkKey = compileCheck(type.key);
      const checkValue = compileCheck(type.value);
      const required = type['value-required'];
      return (v) => {
        if (!(v instanceof Map)) return 'expected a Map';
        for (const [key, value] of v as Map<unknown, unknown>) {
          if (key === null || key === undefined) return 'map keys must not be null';
          const keyProblem = checkKey(key);
          if (keyProblem !== null) return `key ${describeValue(key)}: ${keyProblem}`;
          if (value === null || value === undefined) {
            if (required) return `value of key ${describeValue(key)} is required`;
            continue;
          }
          const valueProblem = checkValue(value);
          if (valueProblem !== null) return `value of key ${describeValue(key)}: ${valueProblem}`;
        }
        return null;
      };
    }
  }
}
