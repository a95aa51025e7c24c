/**
 * The embedded schema registry: Confluent's semantics in the embedded store's SQLite file.
 *
 * Tables (prefixed `registry_`, beside the event log in the same file):
 *   registry_schemas          one row per distinct canonical schema text; `id` is the global id
 *                             (AUTOINCREMENT from 1, never reused)
 *   registry_subject_versions (subject, version) → schema id; a schema appears once per subject
 *   registry_subject_config   a subject's own compatibility level
 *   registry_global_config    the registry's default level (BACKWARD when unset)
 *
 * Registration reads, checks and inserts in one IMMEDIATE transaction, so two processes sharing
 * the file cannot give one schema two ids or one subject two equal versions. Ids, their schemas
 * and subject versions never change once written, so they are cached in memory.
 */
import type { Type } from 'avsc';
import type { SqliteDatabase } from '../store/index.js';
import { openEmbeddedStore } from '../store/index.js';
import type { EmbeddedStoreOptions } from '../store/index.js';
import type { CompatibilityLevel, CompatibilityResult, RegisteredSchema, SchemaRegistry } from './registry-types.js';
import { assertCompatibilityLevel, checkCompatibility } from './compatibility.js';
import {
  EVENTS_ERROR_CODES,
  EventsError,
  describeCause,
  incompatibleSchemaError,
  unknownSchemaIdError,
  unknownSubjectError,
} from './errors.js';
import { parseSchema } from './registry-schema.js';
import type { ParsedSchema } from './registry-schema.js';
import { assertSubject } from './registry-subject.js';

export interface EmbeddedSchemaRegistryOptions {
  /** The level when none is configured, globally or for the subject. Default BACKWARD. */
  readonly defaultCompatibility?: CompatibilityLevel;
  /** Close the database in close(). Default false (the store owns it); true from open(). */
  readonly closeDatabase?: boolean;
}

const WHERE = 'the embedded schema registry';

const DDL = `
CREATE TABLE IF NOT EXISTS registry_schemas (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  canonical TEXT NOT NULL UNIQUE,
  registered_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS registry_subject_versions (
  subject TEXT NOT NULL,
  version INTEGER NOT NULL CHECK (version >= 1),
  schema_id INTEGER NOT NULL REFERENCES registry_schemas (id),
  registered_at INTEGER NOT NULL,
  PRIMARY KEY (subject, version),
  UNIQUE (subject, schema_id)
);
CREATE TABLE IF NOT EXISTS registry_subject_config (
  subject TEXT PRIMARY KEY,
  compatibility TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS registry_global_config (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  compatibility TEXT NOT NULL
);
`;

interface VersionRow {
  readonly version: number;
  readonly id: number;
  readonly canonical: string;
}

export class EmbeddedSchemaRegistry implements SchemaRegistry {
  readonly kind = 'embedded';
  private readonly db: SqliteDatabase;
  private readonly defaultLevel: CompatibilityLevel;
  private readonly closeDatabase: boolean;
  private closed = false;
  /** id → canonical text; ids are immutable. */
  private readonly textById = new Map<number, string>();
  /** id → parsed type, for compatibility checks. */
  private readonly typeById = new Map<number, Type>();
  /** `subject \0 canonical` → id, for schemas already registered under the subject. */
  private readonly registered = new Map<string, number>();

  private readonly statements: ReturnType<typeof prepareStatements>;

  constructor(db: SqliteDatabase, options: EmbeddedSchemaRegistryOptions = {}) {
    this.db = db;
    this.defaultLevel = assertCompatibilityLevel(options.defaultCompatibility ?? 'BACKWARD');
    this.closeDatabase = options.closeDatabase ?? false;
    this.guard('create its tables', () => db.exec(DDL));
    this.statements = prepareStatements(db);
  }

  /** Opens the embedded store at `path` and a registry over it that closes the store in close(). */
  static open(
    path: string,
    options: EmbeddedSchemaRegistryOptions & { store?: EmbeddedStoreOptions } = {},
  ): EmbeddedSchemaRegistry {
    const db = openEmbeddedStore(path, options.store);
    try {
      return new EmbeddedSchemaRegistry(db, { ...options, closeDatabase: options.closeDatabase ?? true });
    } catch (error) {
      db.close();
      throw error;
    }
  }

  register(subject: string, schema: string): Promise<number> {
    return this.run('register a schema', () => {
      assertSubject(subject);
      const parsed = parseSchema(schema, subject);
      const key = `${subject}\u0000${parsed.canonical}`;
      const cached = this.registered.get(key);
      if (cached !== undefined) return cached;
      const id = this.db.transaction(() => this.registerInTransaction(subject, parsed)).immediate();
      this.registered.set(key, id);
      this.textById.set(id, parsed.canonical);
      if (!this.typeById.has(id)) this.typeById.set(id, parsed.type);
      return id;
    });
  }

  lookup(subject: string, schema: string): Promise<RegisteredSchema | null> {
    return this.run('look up a schema', () => {
      assertSubject(subject);
      const parsed = parseSchema(schema, subject);
      const row = this.statements.versionOfSchema.get(subject, parsed.canonical);
      return row === undefined ? null : { subject, version: row.version, id: row.id, schema: row.canonical };
    });
  }

  schemaById(id: number): Promise<string> {
    return this.run('read a schema by id', () => this.textOf(id));
  }

  latest(subject: string): Promise<RegisteredSchema | null> {
    return this.run('read the latest version', () => {
      assertSubject(subject);
      const row = this.statements.latestVersion.get(subject);
      return row === undefined ? null : { subject, version: row.version, id: row.id, schema: row.canonical };
    });
  }

  /** A given version of a subject; `OP_EVENTS_UNKNOWN_SUBJECT` / `OP_EVENTS_UNKNOWN_VERSION` when absent. */
  getVersion(subject: string, version: number): Promise<RegisteredSchema> {
    return this.run('read a version', () => {
      assertSubject(subject);
      const row = this.statements.version.get(subject, version);
      if (row !== undefined) return { subject, version: row.version, id: row.id, schema: row.canonical };
      if (this.statements.latestVersion.get(subject) === undefined) throw unknownSubjectError(subject, WHERE);
      throw new EventsError(EVENTS_ERROR_CODES.UNKNOWN_VERSION, `subject "${subject}" has no version ${version} in ${WHERE}`, {
        details: { subject, version },
      });
    });
  }

  subjects(): Promise<readonly string[]> {
    return this.run('list subjects', () => this.statements.subjects.all().map((row) => row.subject));
  }

  versions(subject: string): Promise<readonly number[]> {
    return this.run('list versions', () => {
      assertSubject(subject);
      return this.statements.versions.all(subject).map((row) => row.version);
    });
  }

  checkCompatibility(subject: string, schema: string): Promise<CompatibilityResult> {
    return this.run('check compatibility', () => {
      assertSubject(subject);
      const parsed = parseSchema(schema, subject);
      const level = this.levelOf(subject);
      return this.check(subject, level, parsed, this.statements.versionsWithSchemas.all(subject));
    });
  }

  compatibility(subject?: string): Promise<CompatibilityLevel> {
    return this.run('read the compatibility level', () => {
      if (subject !== undefined) assertSubject(subject);
      return subject === undefined ? this.globalLevel() : this.levelOf(subject);
    });
  }

  setCompatibility(level: CompatibilityLevel, subject?: string): Promise<void> {
    return this.run('set the compatibility level', () => {
      assertCompatibilityLevel(level);
      if (subject === undefined) {
        this.statements.setGlobalLevel.run(level);
      } else {
        assertSubject(subject);
        this.statements.setSubjectLevel.run(subject, level);
      }
    });
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      if (this.closeDatabase) this.db.close();
    }
    return Promise.resolve();
  }

  // ---- internals ----------------------------------------------------------------------------

  /** Runs within the IMMEDIATE transaction: the write lock is held from its first statement. */
  private registerInTransaction(subject: string, parsed: ParsedSchema): number {
    const existing = this.statements.versionOfSchema.get(subject, parsed.canonical);
    if (existing !== undefined) return existing.id;
    const level = this.levelOf(subject);
    const history = this.statements.versionsWithSchemas.all(subject);
    const result = this.check(subject, level, parsed, history);
    if (!result.compatible) throw incompatibleSchemaError(subject, level, result.messages, WHERE);
    const now = Date.now();
    this.statements.insertSchema.run(parsed.canonical, now);
    const id = (this.statements.schemaId.get(parsed.canonical) as { id: number }).id;
    const version = (history.at(-1)?.version ?? 0) + 1;
    this.statements.insertVersion.run(subject, version, id, now);
    return id;
  }

  private check(
    subject: string,
    level: CompatibilityLevel,
    parsed: ParsedSchema,
    history: readonly VersionRow[],
  ): CompatibilityResult {
    if (level === 'NONE' || history.length === 0) return { compatible: true, messages: [] };
    // Only the latest matters unless transitive: do not parse the others.
    const relevant = level.endsWith('_TRANSITIVE') ? history : history.slice(-1);
    return checkCompatibility(
      level,
      parsed.type,
      relevant.map((row) => this.typeOf(row.id, row.canonical)),
      { labels: relevant.map((row) => `version ${row.version} (id ${row.id}) of "${subject}"`) },
    );
  }

  private typeOf(id: number, canonical: string): Type {
    let type = this.typeById.get(id);
    if (type === undefined) {
      type = parseSchema(canonical).type;
      this.typeById.set(id, type);
    }
    return type;
  }

  private textOf(id: number): string {
    const cached = this.textById.get(id);
    if (cached !== undefined) return cached;
    if (!Number.isSafeInteger(id) || id < 1) throw unknownSchemaIdError(id, WHERE);
    const row = this.statements.schemaById.get(id);
    if (row === undefined) throw unknownSchemaIdError(id, WHERE);
    this.textById.set(id, row.canonical);
    return row.canonical;
  }

  private globalLevel(): CompatibilityLevel {
    const row = this.statements.globalLevel.get();
    return row === undefined ? this.defaultLevel : assertCompatibilityLevel(row.compatibility);
  }

  private levelOf(subject: string): CompatibilityLevel {
    const row = this.statements.subjectLevel.get(subject);
    return row === undefined ? this.globalLevel() : assertCompatibilityLevel(row.compatibility);
  }

  /** Runs a call's work, refusing after close() and mapping SQLite failures to structured errors. */
  private run<T>(what: string, work: () => T): Promise<T> {
    try {
      if (this.closed) {
        throw new EventsError(EVENTS_ERROR_CODES.REGISTRY_CLOSED, `cannot ${what}: ${WHERE} is closed`);
      }
      return Promise.resolve(this.guard(what, work));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private guard<T>(what: string, work: () => T): T {
    try {
      return work();
    } catch (cause) {
      if (cause instanceof EventsError || !isSqliteError(cause)) throw cause;
      const busy = cause.code === 'SQLITE_BUSY' || cause.code === 'SQLITE_LOCKED';
      throw new EventsError(
        EVENTS_ERROR_CODES.REGISTRY_UNAVAILABLE,
        `${WHERE} cannot ${what}: ${busy ? 'the store stayed locked by another writer: ' : ''}${describeCause(cause)}`,
        { details: { sqliteCode: cause.code, operation: what }, retryable: busy, cause },
      );
    }
  }
}

function isSqliteError(value: unknown): value is Error & { code: string } {
  return value instanceof Error && typeof (value as { code?: unknown }).code === 'string' && value.name === 'SqliteError';
}

function prepareStatements(db: SqliteDatabase) {
  return {
    schemaById: db.prepare<[number], { canonical: string }>('SELECT canonical FROM registry_schemas WHERE id = ?'),
    schemaId: db.prepare<[string], { id: number }>('SELECT id FROM registry_schemas WHERE canonical = ?'),
    insertSchema: db.prepare<[string, number]>(
      'INSERT INTO registry_schemas (canonical, registered_at) VALUES (?, ?) ON CONFLICT (canonical) DO NOTHING',
    ),
    insertVersion: db.prepare<[string, number, number, number]>(
      'INSERT INTO registry_subject_versions (subject, version, schema_id, registered_at) VALUES (?, ?, ?, ?)',
    ),
    versionOfSchema: db.prepare<[string, string], VersionRow>(
      `SELECT v.version AS version, s.id AS id, s.canonical AS canonical
         FROM registry_subject_versions v JOIN registry_schemas s ON s.id = v.schema_id
        WHERE v.subject = ? AND s.canonical = ?`,
    ),
    version: db.prepare<[string, number], VersionRow>(
      `SELECT v.version AS version, s.id AS id, s.canonical AS canonical
         FROM registry_subject_versions v JOIN registry_schemas s ON s.id = v.schema_id
        WHERE v.subject = ? AND v.version = ?`,
    ),
    latestVersion: db.prepare<[string], VersionRow>(
      `SELECT v.version AS version, s.id AS id, s.canonical AS canonical
         FROM registry_subject_versions v JOIN registry_schemas s ON s.id = v.schema_id
        WHERE v.subject = ? ORDER BY v.version DESC LIMIT 1`,
    ),
    versionsWithSchemas: db.prepare<[string], VersionRow>(
      `SELECT v.version AS version, s.id AS id, s.canonical AS canonical
         FROM registry_subject_versions v JOIN registry_schemas s ON s.id = v.schema_id
        WHERE v.subject = ? ORDER BY v.version`,
    ),
    versions: db.prepare<[string], { version: number }>(
      'SELECT version FROM registry_subject_versions WHERE subject = ? ORDER BY version',
    ),
    subjects: db.prepare<[], { subject: string }>(
      'SELECT DISTINCT subject FROM registry_subject_versions ORDER BY subject',
    ),
    subjectLevel: db.prepare<[string], { compatibility: string }>(
      'SELECT compatibility FROM registry_subject_config WHERE subject = ?',
    ),
    globalLevel: db.prepare<[], { compatibility: string }>(
      'SELECT compatibility FROM registry_global_config WHERE singleton = 1',
    ),
    setSubjectLevel: db.prepare<[string, string]>(
      `INSERT INTO registry_subject_config (subject, compatibility) VALUES (?, ?)
       ON CONFLICT (subject) DO UPDATE SET compatibility = excluded.compatibility`,
    ),
    setGlobalLevel: db.prepare<[string]>(
      `INSERT INTO registry_global_config (singleton, compatibility) VALUES (1, ?)
       ON CONFLICT (singleton) DO UPDATE SET compatibility = excluded.compatibility`,
    ),
  };
}
