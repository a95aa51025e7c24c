import { mkdirSync } from 'node:fs';
import {
  BIGINT,
  BLOB,
  BOOLEAN,
  DATE,
  DECIMAL,
  DOUBLE,
  DuckDBArrayValue,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBIntervalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimeValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  DuckDBUUIDValue,
  FLOAT,
  INTEGER,
  TIME,
  TIMESTAMP,
  TIMESTAMPTZ,
  UUID,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { LakeError } from './errors.js';
import type { TimestampFormatter } from './display.js';
import type { IcebergType, NestedField, PrimitiveType, Schema } from './types.js';

/**
 * The DuckDB engine of the lake: one in-memory DuckDB instance, with the conversions between
 * Iceberg types, DuckDB types and the lake's row representation that the Parquet writer
 * (`parquet-writer.ts`) and the query layer (`query.ts`) share.
 *
 * Row representation (the lake's public contract): a row is a plain object keyed by column name.
 *   boolean → boolean; int → number; long → number (safe integer) or bigint; float, double → number
 *   (NaN allowed); date → 'YYYY-MM-DD'; time → 'HH:MM:SS' or 'HH:MM:SS.ffffff' (microseconds of the
 *   day); timestamp, timestamptz → epoch milliseconds as a number; string → string; uuid → string
 *   (lower case on the way out); binary, fixed[L] → Uint8Array; decimal(p, s) → string like
 *   '12.34'; null (or a missing key, on the way in) for null.
 *
 * The engine reads and writes local files only (no httpfs): remote objects go through
 * `FileIO.localPath` / `FileIO.upload`.
 */

/** A value of the row representation. */
export type RowValue = boolean | number | bigint | string | Uint8Array | null;

/** A row as the lake takes it: a missing key or `undefined` is null. */
export type Row = Readonly<Record<string, RowValue | undefined>>;

export interface DuckDbEngineOptions {
  /** Where DuckDB spills intermediate results that do not fit in memory; created if missing. */
  readonly tempDir: string;
  /** Worker threads (DuckDB's default: one per core). */
  readonly threads?: number;
  /** DuckDB's `memory_limit`, e.g. '2GB' (default: 80% of RAM). */
  readonly memoryLimit?: string;
}

/**
 * One in-memory DuckDB instance with its own connection. Writers and queries each run on a fresh
 * connection of the instance (`withConnection`), so their temporary tables and views never meet and
 * concurrent calls do not interleave statements on one connection.
 *
 * The session time zone is UTC (set globally, so every connection has it): TIMESTAMPTZ text, casts
 * and statistics are unambiguous whatever the process's TZ.
 */
export class DuckDbEngine {
  readonly #instance: DuckDBInstance;
  readonly #connection: DuckDBConnection;
  readonly #active = new Set<Promise<unknown>>();
  #closed = false;

  private constructor(instance: DuckDBInstance, connection: DuckDBConnection) {
    this.#instance = instance;
    this.#connection = connection;
  }

  static async create(options: DuckDbEngineOptions): Promise<DuckDbEngine> {
    if (typeof options.tempDir !== 'string' || options.tempDir === '') {
      throw new LakeError('OP_LAKE_INVALID_ARGUMENT', 'DuckDbEngine.create needs a tempDir');
    }
    if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1)) {
      throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `threads must be a positive integer, not ${String(options.threads)}`);
    }
    mkdirSync(options.tempDir, { recursive: true });
    const config: Record<string, string> = {
      temp_directory: options.tempDir,
      // Nothing is ever downloaded: the extensions the lake needs (parquet, icu, json) are built in.
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
    };
    if (options.threads !== undefined) config['threads'] = String(options.threads);
    if (options.memoryLimit !== undefined) config['memory_limit'] = options.memoryLimit;
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(':memory:', config);
    } catch (cause) {
      throw lakeErrorFromDuckDb(cause, 'cannot start DuckDB', 'OP_LAKE_INVALID_ARGUMENT');
    }
    let connection: DuckDBConnection | undefined;
    try {
      connection = await instance.connect();
      await ensureExtensions(connection);
      // TimeZone can only be set once ICU is loaded, hence not in the instance config.
      await connection.run(`SET GLOBAL TimeZone = 'UTC'`);
      await connection.run(`SET GLOBAL Calendar = 'gregorian'`);
      return new DuckDbEngine(instance, connection);
    } catch (cause) {
      connection?.closeSync();
      instance.closeSync();
      if (cause instanceof LakeError) throw cause;
      throw lakeErrorFromDuckDb(cause, 'cannot configure DuckDB', 'OP_LAKE_INVALID_ARGUMENT');
    }
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The engine's own connection, for short statements; writers and queries use `withConnection`. */
  get connection(): DuckDBConnection {
    this.#assertOpen();
    return this.#connection;
  }

  /**
   * Runs `fn` on a fresh connection of this instance and disconnects it afterwards. Temporary
   * tables and views made on it die with it.
   */
  async withConnection<T>(fn: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    this.#assertOpen();
    const work = (async () => {
      const connection = await this.#instance.connect();
      try {
        return await fn(connection);
      } finally {
        connection.closeSync();
      }
    })();
    this.#active.add(work);
    try {
      return await work;
    } finally {
      this.#active.delete(work);
    }
  }

  /** Waits for the work in flight, then closes the instance. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#active]);
    this.#connection.closeSync();
    this.#instance.closeSync();
  }

  #assertOpen(): void {
    if (this.#closed) throw new LakeError('OP_LAKE_INVALID_ARGUMENT', 'the DuckDB engine is closed');
  }
}

async function ensureExtensions(connection: DuckDBConnection): Promise<void> {
  const reader = await connection.runAndReadAll(
    `SELECT extension_name, loaded FROM duckdb_extensions() WHERE extension_name IN ('icu', 'parquet')`,
  );
  const loaded = new Map(reader.getRows().map((r) => [String(r[0]), r[1] === true]));
  for (const name of ['parquet', 'icu']) {
    if (loaded.get(name) === true) continue;
    try {
      await connection.run(`LOAD ${name}`);
    } catch (cause) {
      throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `DuckDB's ${name} extension is not available (it must be built in)`, { cause });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// SQL text

/** A double-quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A single-quoted SQL string literal. */
export function quoteLiteral(text: string): string {
  if (text.includes('\0')) throw new LakeError('OP_LAKE_INVALID_ARGUMENT', 'a NUL character cannot appear in SQL text');
  return `'${text.replaceAll("'", "''")}'`;
}

// ---------------------------------------------------------------------------------------------
// Errors

/**
 * A DuckDB error as a LakeError, keeping DuckDB's message (which names the kind: "Parser Error:",
 * "Binder Error:", "IO Error:", ...). Missing files become OP_LAKE_FILE_NOT_FOUND, unreadable
 * Parquet OP_LAKE_CORRUPT_FILE, other I/O OP_LAKE_IO, and the rest `fallback`.
 */
export function lakeErrorFromDuckDb(
  cause: unknown,
  context: string,
  fallback: 'OP_LAKE_INVALID_ARGUMENT' | 'OP_LAKE_IO',
  details: Record<string, unknown> = {},
): LakeError {
  if (cause instanceof LakeError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  const kind = /^([A-Za-z ]+?) Error:/.exec(message)?.[1] ?? null;
  let code: string = fallback;
  if (kind === 'IO' && /no files found|no such file|does not exist|cannot open file/i.test(message)) code = 'OP_LAKE_FILE_NOT_FOUND';
  else if (/magic bytes|too small to be a parquet file|not a parquet file|corrupt/i.test(message)) code = 'OP_LAKE_CORRUPT_FILE';
  else if (kind === 'IO') code = 'OP_LAKE_IO';
  return new LakeError(code, `${context}: ${message}`, { details: { ...details, duckdbErrorKind: kind }, cause });
}

// ---------------------------------------------------------------------------------------------
// Iceberg types in DuckDB

export interface DecimalSpec {
  readonly precision: number;
  readonly scale: number;
}

/** `decimal(P, S)` → { precision, scale }, or null when `type` is not a decimal. */
export function parseDecimalType(type: string): DecimalSpec | null {
  const m = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(type);
  if (m === null) return null;
  const precision = Number(m[1]);
  const scale = Number(m[2]);
  if (precision < 1 || precision > 38 || scale > precision) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `unsupported decimal type ${type} (precision 1..38, scale 0..precision)`);
  }
  return { precision, scale };
}

/** `fixed[L]` → L, or null. */
export function parseFixedType(type: string): number | null {
  const m = /^fixed\[(\d+)\]$/.exec(type);
  return m === null ? null : Number(m[1]);
}

/** The DuckDB type of an Iceberg primitive type. Nested types are not supported (yet). */
export function duckDbTypeOf(type: IcebergType, column = '?'): DuckDBType {
  if (typeof type !== 'string') {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `column ${column}: nested type ${type.type} is not supported by the DuckDB engine`);
  }
  switch (type) {
    case 'boolean':
      return BOOLEAN;
    case 'int':
      return INTEGER;
    case 'long':
      return BIGINT;
    case 'float':
      return FLOAT;
    case 'double':
      return DOUBLE;
    case 'date':
      return DATE;
    case 'time':
      return TIME;
    case 'timestamp':
      return TIMESTAMP;
    case 'timestamptz':
      return TIMESTAMPTZ;
    case 'string':
      return VARCHAR;
    case 'uuid':
      return UUID;
    case 'binary':
      return BLOB;
    default: {
      const decimal = parseDecimalType(type);
      if (decimal !== null) return DECIMAL(decimal.precision, decimal.scale);
      if (parseFixedType(type) !== null) return BLOB;
      throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `column ${column}: unknown Iceberg type ${String(type)}`);
    }
  }
}

/** `Array.isArray` without its narrowing to `any[]`. */
export function isArray(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}

/** The schema's fields, checked to be flat, primitive and distinct for DuckDB (case-insensitively). */
export function flatFields(schema: Schema): readonly (NestedField & { readonly type: PrimitiveType })[] {
  if (schema === null || typeof schema !== 'object' || !isArray(schema.fields)) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', 'a schema with fields is required');
  }
  const seenNames = new Set<string>();
  const seenIds = new Set<number>();
  const out: (NestedField & { readonly type: PrimitiveType })[] = [];
  for (const field of schema.fields) {
    duckDbTypeOf(field.type, field.name); // throws on nested or unknown types
    if (typeof field.name !== 'string' || field.name === '') {
      throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `field ${field.id} has no name`);
    }
    const folded = field.name.toLowerCase();
    if (seenNames.has(folded)) {
      throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `column names differ only in case, which DuckDB cannot tell apart: ${field.name}`);
    }
    if (!Number.isInteger(field.id) || field.id < 0 || seenIds.has(field.id)) {
      throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `column ${field.name}: field id ${field.id} is invalid or repeated`);
    }
    seenNames.add(folded);
    seenIds.add(field.id);
    out.push(field as NestedField & { readonly type: PrimitiveType });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Row representation ⇄ DuckDB values

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const INT64_MAX = 9223372036854775807n;

/** A 64-bit (or wider) integer as a number when it is safe, else as a bigint. */
export function safeInteger(value: bigint): number | bigint {
  return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Days since 1970-01-01 (proleptic Gregorian) of a civil date (H. Hinnant's algorithm). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Days since the epoch → 'YYYY-MM-DD' (astronomical years: year 0 is 1 BC, shown as '-0001' before it). */
export function formatDate(days: number): string {
  if (!Number.isFinite(days)) return days > 0 ? 'infinity' : '-infinity';
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  const year = y >= 0 ? String(y).padStart(4, '0') : `-${String(-y).padStart(4, '0')}`;
  return `${year}-${pad2(m)}-${pad2(d)}`;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** 'YYYY-MM-DD' → days since the epoch, or null when it is not a valid date. */
export function parseDate(text: string): number | null {
  let y: number;
  let m: number;
  let d: number;
  if (text.length === 10 && text.charCodeAt(4) === 45 && text.charCodeAt(7) === 45) {
    // Fast path for the common four-digit year.
    y = digits(text, 0, 4);
    m = digits(text, 5, 7);
    d = digits(text, 8, 10);
    if (y < 0 || m < 0 || d < 0) return null;
  } else {
    const match = /^(-?\d{4,7})-(\d{2})-(\d{2})$/.exec(text);
    if (match === null) return null;
    y = Number(match[1]);
    m = Number(match[2]);
    d = Number(match[3]);
  }
  if (m < 1 || m > 12 || d < 1 || d > (DAYS_IN_MONTH[m - 1] ?? 0)) return null;
  if (m === 2 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))) return null;
  return daysFromCivil(y, m, d);
}

/** The decimal number in text[from, to), or -1 if a character is not a digit. */
function digits(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** 'HH:MM:SS[.ffffff]' → microseconds of the day, or null. */
export function parseTime(text: string): number | null {
  const m = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/.exec(text);
  if (m === null) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  const s = Number(m[3]);
  if (h > 23 || min > 59 || s > 59) return null;
  const frac = m[4] === undefined ? 0 : Number(m[4].padEnd(6, '0'));
  return ((h * 60 + min) * 60 + s) * 1_000_000 + frac;
}

/** Microseconds of the day → 'HH:MM:SS' or 'HH:MM:SS.ffffff'. */
export function formatTime(micros: number): string {
  const frac = micros % 1_000_000;
  const secs = (micros - frac) / 1_000_000;
  const text = `${pad2(Math.floor(secs / 3600))}:${pad2(Math.floor(secs / 60) % 60)}:${pad2(secs % 60)}`;
  return frac === 0 ? text : `${text}.${String(frac).padStart(6, '0')}`;
}

/**
 * A decimal string → its value scaled by 10^scale, or an explanation when it does not fit
 * decimal(precision, scale). Digits beyond the scale are refused unless they are zeros: the lake
 * never rounds silently.
 */
export function parseDecimal(text: string, precision: number, scale: number): bigint | string {
  // Fast path: at most 15 digits are exact in a double, so no regex and no string slicing.
  if (text.length <= 15) {
    const scaled = smallDecimal(text, precision, scale);
    if (scaled !== null) return BigInt(scaled);
  }
  const m = /^([+-])?(\d+)(?:\.(\d*))?$/.exec(text);
  if (m === null) return 'is not a decimal number';
  const intPart = (m[2] ?? '').replace(/^0+/, '');
  let frac = m[3] ?? '';
  if (frac.length > scale) {
    if (!/^0*$/.test(frac.slice(scale))) return `has more than ${scale} fractional digits`;
    frac = frac.slice(0, scale);
  }
  if (intPart.length > precision - scale) return `does not fit decimal(${precision}, ${scale})`;
  const scaled = BigInt(intPart + frac.padEnd(scale, '0'));
  return m[1] === '-' ? -scaled : scaled;
}

/** parseDecimal for short, well-formed text; null sends the caller to the general path. */
function smallDecimal(text: string, precision: number, scale: number): number | null {
  let i = 0;
  const first = text.charCodeAt(0);
  const negative = first === 45;
  if (negative || first === 43) i = 1;
  let n = 0;
  let intDigits = 0; // significant (after leading zeros)
  let sawDigit = false;
  let fracDigits = -1; // -1: no point yet
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (fracDigits >= 0 || !sawDigit) return null;
      fracDigits = 0;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) return null;
    sawDigit = true;
    n = n * 10 + d;
    if (fracDigits >= 0) fracDigits++;
    else if (n > 0) intDigits++;
  }
  if (!sawDigit || fracDigits > scale || intDigits > precision - scale) return null;
  const scaled = n * 10 ** (scale - Math.max(fracDigits, 0));
  if (!Number.isSafeInteger(scaled)) return null;
  return negative ? -scaled : scaled;
}

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A UUID string → DuckDB's UUID value, or null when it is not a UUID. */
export function parseUuid(text: string): DuckDBUUIDValue | null {
  if (!UUID_RE.test(text)) return null;
  return DuckDBUUIDValue.fromUint128(BigInt(`0x${text.replaceAll('-', '')}`));
}

/** Epoch microseconds → epoch milliseconds (floored); ±Infinity for DuckDB's infinite timestamps. */
export function millisFromMicros(micros: bigint): number {
  if (micros >= INT64_MAX) return Infinity;
  if (micros <= -INT64_MAX) return -Infinity;
  const n = Number(micros);
  if (Number.isSafeInteger(n)) return Math.floor(n / 1000);
  const q = micros / 1000n;
  return Number(micros < 0n && q * 1000n !== micros ? q - 1n : q);
}

function bytesOf(blob: DuckDBBlobValue): Uint8Array {
  // A plain Uint8Array (a copy), not a Buffer over memory DuckDB may reuse.
  return new Uint8Array(blob.bytes);
}

/** Converts one DuckDB value of a column of type `type` to the row representation. */
export type ValueConverter = (value: DuckDBValue) => unknown;

/**
 * The converter for a DuckDB column type. Lake column types produce row values; the others a
 * query may produce come back as plain JS: lists and arrays as arrays, structs as objects, maps as
 * [{ key, value }], intervals as { months, days, micros }, anything else as its DuckDB text.
 * With `timestamps` (results for display), timestamps, nested ones too, are text it writes instead
 * of epoch milliseconds.
 */
export function converterFor(type: DuckDBType, timestamps: TimestampFormatter | null = null): ValueConverter {
  if (timestamps !== null) {
    const display = timestampDisplay(type, timestamps);
    if (display !== null) return display;
  }
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
    case DuckDBTypeId.UINTEGER:
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.ENUM:
    case DuckDBTypeId.SQLNULL:
      return identity;
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
      return (v) => (typeof v === 'bigint' ? safeInteger(v) : v);
    case DuckDBTypeId.DECIMAL:
      return (v) => (v instanceof DuckDBDecimalValue ? v.toString() : v);
    case DuckDBTypeId.DATE:
      return (v) => (v instanceof DuckDBDateValue ? formatDate(v.days) : v);
    case DuckDBTypeId.TIME:
      return (v) => (v instanceof DuckDBTimeValue ? formatTime(Number(v.micros)) : v);
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
      return (v) => (v instanceof DuckDBTimestampValue || v instanceof DuckDBTimestampTZValue ? millisFromMicros(v.micros) : v);
    case DuckDBTypeId.TIMESTAMP_MS:
      return (v) => (v instanceof DuckDBTimestampMillisecondsValue ? Number(v.millis) : v);
    case DuckDBTypeId.TIMESTAMP_S:
      return (v) => (v instanceof DuckDBTimestampSecondsValue ? Number(v.seconds) * 1000 : v);
    case DuckDBTypeId.TIMESTAMP_NS:
      return (v) => {
        if (!(v instanceof DuckDBTimestampNanosecondsValue)) return v;
        const q = v.nanos / 1_000_000n;
        return Number(v.nanos < 0n && q * 1_000_000n !== v.nanos ? q - 1n : q);
      };
    case DuckDBTypeId.UUID:
      return (v) => (v instanceof DuckDBUUIDValue ? v.toString() : v);
    case DuckDBTypeId.BLOB:
      return (v) => (v instanceof DuckDBBlobValue ? bytesOf(v) : v);
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY: {
      const element = converterFor(type.valueType, timestamps);
      return (v) => (v instanceof DuckDBListValue || v instanceof DuckDBArrayValue ? v.items.map((x) => (x === null ? null : element(x))) : v);
    }
    case DuckDBTypeId.STRUCT: {
      const entries = type.entryNames.map((name, i) => [name, converterFor(type.entryTypes[i] ?? VARCHAR, timestamps)] as const);
      return (v) => {
        if (!(v instanceof DuckDBStructValue)) return v;
        const out: Record<string, unknown> = {};
        for (const [name, convert] of entries) {
          const x = v.entries[name];
          out[name] = x === null || x === undefined ? null : convert(x);
        }
        return out;
      };
    }
    case DuckDBTypeId.MAP: {
      const key = converterFor(type.keyType, timestamps);
      const value = converterFor(type.valueType, timestamps);
      return (v) =>
        v instanceof DuckDBMapValue
          ? v.entries.map((e) => ({ key: e.key === null ? null : key(e.key), value: e.value === null ? null : value(e.value) }))
          : v;
    }
    case DuckDBTypeId.INTERVAL:
      return (v) => (v instanceof DuckDBIntervalValue ? { months: v.months, days: v.days, micros: safeInteger(v.micros) } : v);
    default:
      return (v) => (v === null || typeof v !== 'object' ? v : String(v));
  }
}

/**
 * For display (`QueryOptions.display`): timestamps as ISO-8601 text with their microseconds (see
 * display.ts); DuckDB's own text for an instant beyond what a JavaScript Date holds (infinity).
 * Null for other types.
 */
function timestampDisplay(type: DuckDBType, format: TimestampFormatter): ValueConverter | null {
  const text = (micros: bigint, zoned: boolean, v: DuckDBValue): string => format(micros, zoned) ?? String(v);
  switch (type.typeId) {
    case DuckDBTypeId.TIMESTAMP_TZ:
      return (v) => (v instanceof DuckDBTimestampTZValue ? text(v.micros, true, v) : v);
    case DuckDBTypeId.TIMESTAMP:
      return (v) => (v instanceof DuckDBTimestampValue ? text(v.micros, false, v) : v);
    case DuckDBTypeId.TIMESTAMP_MS:
      return (v) => (v instanceof DuckDBTimestampMillisecondsValue ? text(v.millis * 1000n, false, v) : v);
    case DuckDBTypeId.TIMESTAMP_S:
      return (v) => (v instanceof DuckDBTimestampSecondsValue ? text(v.seconds * 1_000_000n, false, v) : v);
    default:
      return null;
  }
}

function identity(value: DuckDBValue): unknown {
  return value;
}
