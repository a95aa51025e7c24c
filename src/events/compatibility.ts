/**
 * Schema compatibility by Avro schema resolution, with Confluent's levels.
 *
 * "Reader can read writer" means avsc's `readerType.createResolver(writerType)` succeeds, with
 * namespaces ignored when matching the names of records, enums and fixed types (the Avro
 * specification matches unqualified names, and so does Confluent's Java checker). Decoders should
 * build their resolvers with `createReadResolver` below so that they accept exactly what the
 * registry accepted.
 *
 *  - BACKWARD: the new schema can read data written by the latest existing schema
 *    (BACKWARD_TRANSITIVE: by every existing schema);
 *  - FORWARD: the latest existing schema can read data written by the new schema
 *    (FORWARD_TRANSITIVE: every existing schema can);
 *  - FULL: both (FULL_TRANSITIVE: both, against every existing schema);
 *  - NONE: always compatible.
 *
 * When a check fails, the messages say who cannot read whom and where: one line per problem,
 * naming the field path (`olist.Order.items.price`) and the types at fault.
 */
import avro from 'avsc';
import type { Type } from 'avsc';
import type { CompatibilityLevel, CompatibilityResult } from './registry-types.js';
import { COMPATIBILITY_LEVELS } from './registry-types.js';
import { EVENTS_ERROR_CODES, EventsError } from './errors.js';
import { parseSchema } from './registry-schema.js';

/** A schema as text (parsed with `parseSchema`) or as an already parsed avsc type. */
export type SchemaInput = string | Type;

export interface CheckCompatibilityOptions {
  /**
   * How to name each existing schema in messages, in the same order (e.g. `version 3`). Default:
   * `the latest schema` for the non-transitive levels, `existing schema i of n` for the others.
   */
  readonly labels?: readonly string[];
}

type Resolver = ReturnType<Type['createResolver']>;

/** The options of every resolution in the events room. A fresh object each call: avsc mutates it. */
function resolverOptions(): { ignoreNamespaces: boolean } {
  return { ignoreNamespaces: true };
}

/**
 * The resolver that reads data written with `writer` as values of `reader`, with the same rules the
 * registry's compatibility checks use. Throws avsc's error when the reader cannot read the writer.
 */
export function createReadResolver(reader: Type, writer: Type): Resolver {
  return reader.createResolver(writer, resolverOptions());
}

/** Whether `reader` can read data written with `writer`, and if not, why (one line per problem). */
export function canRead(reader: Type, writer: Type): CompatibilityResult {
  try {
    createReadResolver(reader, writer);
    return { compatible: true, messages: [] };
  } catch (cause) {
    const messages: string[] = [];
    explain(reader, writer, rootPath(reader, writer), messages, new Set());
    if (messages.length === 0) messages.push((cause as Error).message);
    return { compatible: false, messages };
  }
}

export function isCompatibilityLevel(value: unknown): value is CompatibilityLevel {
  return typeof value === 'string' && (COMPATIBILITY_LEVELS as readonly string[]).includes(value);
}

export function assertCompatibilityLevel(value: unknown): CompatibilityLevel {
  if (!isCompatibilityLevel(value)) {
    throw new EventsError(
      EVENTS_ERROR_CODES.INVALID_COMPATIBILITY_LEVEL,
      `unknown compatibility level ${JSON.stringify(value)}: expected one of ${COMPATIBILITY_LEVELS.join(', ')}`,
      { details: { level: value } },
    );
  }
  return value;
}

/**
 * Checks a new schema against a subject's existing schemas, oldest first, at a compatibility level.
 * Throws `OP_EVENTS_INVALID_SCHEMA` when a schema text does not parse.
 */
export function checkCompatibility(
  level: CompatibilityLevel,
  newSchema: SchemaInput,
  existingSchemasOldestFirst: readonly SchemaInput[],
  options: CheckCompatibilityOptions = {},
): CompatibilityResult {
  assertCompatibilityLevel(level);
  if (level === 'NONE' || existingSchemasOldestFirst.length === 0) return { compatible: true, messages: [] };
  const transitive = level.endsWith('_TRANSITIVE');
  const count = existingSchemasOldestFirst.length;
  const first = transitive ? 0 : count - 1;
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const next = toType(newSchema);
  const messages: string[] = [];
  // Newest first: the most relevant problem comes first.
  for (let index = count - 1; index >= first; index -= 1) {
    const existing = toType(existingSchemasOldestFirst[index] as SchemaInput);
    const label =
      options.labels?.[index] ?? (transitive ? `existing schema ${index + 1} of ${count}` : 'the latest schema');
    if (backward) {
      const result = canRead(next, existing);
      for (const line of result.messages) messages.push(`the new schema cannot read data written by ${label}: ${line}`);
    }
    if (forward) {
      const result = canRead(existing, next);
      for (const line of result.messages) messages.push(`${label} cannot read data written by the new schema: ${line}`);
    }
  }
  return { compatible: messages.length === 0, messages };
}

function toType(schema: SchemaInput): Type {
  return typeof schema === 'string' ? parseSchema(schema).type : schema;
}

// ---- explanations ---------------------------------------------------------------------------

interface NamedLike {
  readonly name: string | undefined;
  readonly aliases: readonly string[] | undefined;
}

function unqualified(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? name : name.slice(dot + 1);
}

function sameName(reader: NamedLike, writer: NamedLike): boolean {
  if (writer.name === undefined) return true;
  const wanted = unqualified(writer.name);
  return [reader.name, ...(reader.aliases ?? [])].some((name) => name !== undefined && unqualified(name) === wanted);
}

function isUnion(type: Type): type is avro.types.WrappedUnionType {
  return avro.Type.isType(type, 'union');
}

function isRecord(type: Type): type is avro.types.RecordType {
  return avro.Type.isType(type, 'record', 'error');
}

/** How a type reads in a message: `"int"`, `record olist.Order`, `array<"string">`, `union ["null", "int"]`. */
export function describeType(type: Type): string {
  if (isUnion(type)) return `union [${type.types.map(describeType).join(', ')}]`;
  if (isRecord(type)) return `record ${type.name ?? '(anonymous)'}`;
  switch (type.typeName) {
    case 'enum':
      return `enum ${type.name ?? '(anonymous)'}`;
    case 'fixed':
      return `fixed ${type.name ?? '(anonymous)'}(${(type as avro.types.FixedType).size})`;
    case 'array':
      return `array<${describeType((type as avro.types.ArrayType).itemsType)}>`;
    case 'map':
      return `map<${describeType((type as avro.types.MapType).valuesType as Type)}>`;
    default:
      return `"${type.typeName}"`;
  }
}

function rootPath(reader: Type, writer: Type): string {
  return reader.name ?? writer.name ?? '(root)';
}

function readable(reader: Type, writer: Type): boolean {
  try {
    createReadResolver(reader, writer);
    return true;
  } catch {
    return false;
  }
}

/** Adds to `out` one line per reason `reader` cannot read `writer`, found by walking both types. */
function explain(reader: Type, writer: Type, path: string, out: string[], seen: Set<string>): void {
  if (readable(reader, writer)) return;
  const before = out.length;
  if (isUnion(writer)) {
    // Every branch the writer may write must be readable.
    for (const branch of writer.types) explain(reader, branch, path, out, seen);
  } else if (isUnion(reader)) {
    // The closest reader branch: same kind and name, for a detailed explanation.
    const similar = reader.types.find((branch) => branch.typeName === writer.typeName && sameName(branch, writer));
    if (similar !== undefined && similar.name !== undefined) explain(similar, writer, path, out, seen);
    else out.push(`${path}: ${describeType(writer)} written matches no branch of the reader's ${describeType(reader)}`);
  } else if (isRecord(reader) && isRecord(writer)) {
    explainRecords(reader, writer, path, out, seen);
  } else if (reader.typeName === 'enum' && writer.typeName === 'enum') {
    if (!sameName(reader, writer)) {
      out.push(`${path}: enum names differ: the writer's is ${writer.name}, the reader's ${reader.name} (no alias matches)`);
    } else {
      const symbols = new Set((reader as avro.types.EnumType).symbols);
      const missing = (writer as avro.types.EnumType).symbols.filter((symbol) => !symbols.has(symbol));
      out.push(
        `${path}: enum ${reader.name}: the reader has no symbol ${missing.join(', ')} that the writer may write, and no default`,
      );
    }
  } else if (reader.typeName === 'fixed' && writer.typeName === 'fixed') {
    if (!sameName(reader, writer)) {
      out.push(`${path}: fixed names differ: the writer's is ${writer.name}, the reader's ${reader.name} (no alias matches)`);
    } else {
      out.push(`${path}: fixed ${reader.name}: sizes differ: ${describeType(writer)} written, ${describeType(reader)} read`);
    }
  } else if (reader.typeName === 'array' && writer.typeName === 'array') {
    explain(
      (reader as avro.types.ArrayType).itemsType,
      (writer as avro.types.ArrayType).itemsType,
      `${path}[]`,
      out,
      seen,
    );
  } else if (reader.typeName === 'map' && writer.typeName === 'map') {
    explain(
      (reader as avro.types.MapType).valuesType as Type,
      (writer as avro.types.MapType).valuesType as Type,
      `${path}{}`,
      out,
      seen,
    );
  } else {
    out.push(`${path}: ${describeType(writer)} written cannot be read as ${describeType(reader)}`);
  }
  if (out.length === before) {
    try {
      createReadResolver(reader, writer);
    } catch (cause) {
      out.push(`${path}: ${(cause as Error).message}`);
    }
  }
}

function explainRecords(
  reader: avro.types.RecordType,
  writer: avro.types.RecordType,
  path: string,
  out: string[],
  seen: Set<string>,
): void {
  const key = `${reader.name ?? ''}\u0000${writer.name ?? ''}`;
  if (seen.has(key)) return; // a recursive schema: this pair is being explained further up
  seen.add(key);
  if (!sameName(reader, writer)) {
    out.push(`${path}: record names differ: the writer's is ${writer.name}, the reader's ${reader.name} (no alias matches)`);
    return;
  }
  const written = new Map(writer.fields.map((field) => [field.name, field]));
  for (const field of reader.fields) {
    const names = [field.name, ...(field.aliases ?? [])];
    const matches = names.filter((name) => written.has(name));
    const fieldPath = `${path}.${field.name}`;
    if (matches.length > 1) {
      out.push(`${fieldPath}: ambiguous: the reader's field and its aliases match the writer's fields ${matches.join(', ')}`);
    } else if (matches.length === 0) {
      if (field.defaultValue() === undefined) {
        out.push(`${fieldPath}: the reader's field has no default and the writer's record has no such field`);
      }
    } else {
      const source = written.get(matches[0] as string) as avro.types.Field;
      explain(field.type, source.type, fieldPath, out, seen);
    }
  }
  seen.delete(key);
}
