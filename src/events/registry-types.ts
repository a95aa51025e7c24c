/**
 * A schema registry with Confluent's semantics: schemas are registered under subjects
 * (`<topic>-value`), each registration of a new schema adds a version to its subject, and every
 * distinct schema text gets one global id shared by all subjects. The id travels in each encoded
 * value (Confluent wire format), so a reader can always find the writer's schema.
 *
 * Two implementations: the embedded registry (SQLite, in the embedded store) and a client for a
 * Confluent-compatible REST registry (cluster mode).
 */

export const COMPATIBILITY_LEVELS = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

export interface RegisteredSchema {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  /** The Avro schema as JSON text. */
  readonly schema: string;
}

export interface CompatibilityResult {
  readonly compatible: boolean;
  /** Why not, when not: one line per problem, naming the field or type at fault. */
  readonly messages: readonly string[];
}

export interface SchemaRegistry {
  readonly kind: string;
  /**
   * Registers a schema under a subject and returns its global id. Registering a schema the subject
   * already has returns the existing id and adds no version. A schema that breaks the subject's
   * compatibility level is refused with an `OP_EVENTS_INCOMPATIBLE_SCHEMA` error.
   */
  register(subject: string, schema: string): Promise<number>;
  /** The subject's version holding this schema, or null; registers nothing. */
  lookup(subject: string, schema: string): Promise<RegisteredSchema | null>;
  /** The schema text of a global id; an `OP_EVENTS_UNKNOWN_SCHEMA_ID` error when there is none. */
  schemaById(id: number): Promise<string>;
  latest(subject: string): Promise<RegisteredSchema | null>;
  subjects(): Promise<readonly string[]>;
  versions(subject: string): Promise<readonly number[]>;
  checkCompatibility(subject: string, schema: string): Promise<CompatibilityResult>;
  /** The level for a subject, or the registry's default when the subject has none of its own. */
  compatibility(subject?: string): Promise<CompatibilityLevel>;
  setCompatibility(level: CompatibilityLevel, subject?: string): Promise<void>;
  close(): Promise<void>;
}
