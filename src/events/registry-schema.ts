/**
 * Parsing and canonicalising Avro schema texts, the way both registries and the compatibility
 * checker see them.
 *
 * Parsing: `avro.Type.forSchema(JSON.parse(text), { wrapUnions: true })`. Wrapped unions make
 * decoding unambiguous for unions of records; no logical type classes are registered, so a
 * `logicalType` attribute leaves the type as its underlying Avro type (it is kept in the
 * canonical text, see below).
 *
 * Canonical form (the identity of a schema: one canonical text, one global id). Like
 * Confluent's canonical string, it keeps everything a reader or a tool may need (doc, default,
 * aliases, order, logicalType and every custom attribute), so two schemas that differ only in a
 * `doc` are two schemas; unlike it, attribute order never matters. The rules:
 *  - whitespace is dropped (compact JSON);
 *  - a named type's `name` is its full name, and `namespace` is dropped (it is folded into the
 *    name); only a type in the null namespace nested inside a namespaced one keeps
 *    `"namespace": ""`, as it must. References to named types are full names too, and so are
 *    type aliases; field aliases are left as they are (they are not namespaced);
 *  - a primitive written as an object with no other attribute (`{"type": "int"}`) becomes the
 *    bare name (`"int"`);
 *  - a field's `"order": "ascending"` (the default) is dropped;
 *  - keys come in a fixed order: name, namespace, type, fields, symbols, items, values, size,
 *    default, order, aliases, doc, then every other attribute sorted by name; inside default
 *    values and custom attributes, object keys are sorted and numbers are as JSON.parse reads
 *    them (so 1.0 and 1 are the same default).
 * Canonicalising a canonical text gives it back unchanged.
 */
import avro from 'avsc';
import type { Type } from 'avsc';
import { invalidSchemaError } from './errors.js';

/** The options every parse in the events room uses. A fresh object each time: avsc mutates it. */
export function avroParseOptions(): { wrapUnions: true } {
  return { wrapUnions: true };
}

export interface ParsedSchema {
  readonly type: Type;
  /** The canonical text: the schema's identity in the registries. */
  readonly canonical: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const PRIMITIVES = new Set(['null', 'boolean', 'int', 'long', 'float', 'double', 'bytes', 'string']);
const KEY_ORDER = [
  'name',
  'namespace',
  'type',
  'fields',
  'symbols',
  'items',
  'values',
  'size',
  'default',
  'order',
  'aliases',
  'doc',
];
const KEY_RANK = new Map(KEY_ORDER.map((key, index) => [key, index]));

/**
 * Parses a schema text into an avsc type and its canonical text. Throws `OP_EVENTS_INVALID_SCHEMA`
 * saying why when the text is not JSON or not a valid Avro schema.
 */
export function parseSchema(text: string, subject?: string): ParsedSchema {
  if (typeof text !== 'string') {
    throw invalidSchemaError(`the schema must be JSON text, got ${typeof text}`, subject);
  }
  let json: Json;
  try {
    json = JSON.parse(text) as Json;
  } catch (cause) {
    throw invalidSchemaError(`the text is not JSON (${(cause as Error).message})`, subject);
  }
  try {
    avro.Type.forSchema(json as avro.Schema, avroParseOptions());
  } catch (cause) {
    throw invalidSchemaError((cause as Error).message, subject);
  }
  const canonical = JSON.stringify(canonicalJson(json, ''));
  let type: Type;
  try {
    type = avro.Type.forSchema(JSON.parse(canonical) as avro.Schema, avroParseOptions());
  } catch (cause) {
    // The canonical form of a valid schema must be valid: this is a bug here, not in the schema.
    throw invalidSchemaError(`its canonical form does not parse (${(cause as Error).message}): ${canonical}`, subject);
  }
  return { type, canonical };
}

/** The canonical text of a schema text (see the module comment). */
export function canonicalSchema(text: string): string {
  return parseSchema(text).canonical;
}

function qualify(name: string, namespace: string): string {
  if (PRIMITIVES.has(name)) return name;
  if (name.includes('.')) return name.replace(/^\./, '');
  return namespace === '' ? name : `${namespace}.${name}`;
}

function namespaceOf(fullName: string): string {
  const dot = fullName.lastIndexOf('.');
  return dot < 0 ? '' : fullName.slice(0, dot);
}

function sortedValue(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortedValue);
  if (value !== null && typeof value === 'object') {
    const out: JsonObject = {};
    for (const key of Object.keys(value).sort()) out[key] = sortedValue(value[key] as Json);
    return out;
  }
  return value;
}

function ordered(entries: JsonObject): JsonObject {
  const keys = Object.keys(entries).sort((a, b) => {
    const ra = KEY_RANK.get(a) ?? KEY_ORDER.length;
    const rb = KEY_RANK.get(b) ?? KEY_ORDER.length;
    return ra !== rb ? ra - rb : a < b ? -1 : a > b ? 1 : 0;
  });
  const out: JsonObject = {};
  for (const key of keys) out[key] = entries[key] as Json;
  return out;
}

/** `namespace` is the enclosing namespace ('' for the null namespace). */
function canonicalJson(schema: Json, namespace: string): Json {
  if (typeof schema === 'string') return qualify(schema, namespace);
  if (Array.isArray(schema)) return schema.map((branch) => canonicalJson(branch, namespace));
  if (schema === null || typeof schema !== 'object') return schema; // avsc has refused these already
  const typeName = schema['type'];
  if (typeof typeName !== 'string') return sortedValue(schema); // avsc has refused these already
  const out: JsonObject = {};
  const handled = new Set(['type']);
  out['type'] = typeName;
  if (PRIMITIVES.has(typeName)) {
    for (const [key, value] of Object.entries(schema)) if (!handled.has(key)) out[key] = sortedValue(value);
    return Object.keys(out).length === 1 ? typeName : ordered(out);
  }
  let inner = namespace;
  if (typeName === 'record' || typeName === 'error' || typeName === 'enum' || typeName === 'fixed') {
    const declared = typeof schema['namespace'] === 'string' ? schema['namespace'] : namespace;
    const fullName = qualify(schema['name'] as string, declared); // avsc checked it is a string
    inner = namespaceOf(fullName);
    out['name'] = fullName;
    if (inner === '' && namespace !== '') out['namespace'] = '';
    handled.add('name').add('namespace');
    if (Array.isArray(schema['aliases'])) {
      out['aliases'] = schema['aliases'].map((alias) => qualify(alias as string, inner));
      handled.add('aliases');
    }
  }
  if (typeName === 'record' || typeName === 'error') {
    const fields = Array.isArray(schema['fields']) ? schema['fields'] : [];
    out['fields'] = fields.map((field) => canonicalField(field as JsonObject, inner));
    handled.add('fields');
  } else if (typeName === 'array') {
    out['items'] = canonicalJson(schema['items'] as Json, inner);
    handled.add('items');
  } else if (typeName === 'map') {
    out['values'] = canonicalJson(schema['values'] as Json, inner);
    handled.add('values');
  }
  for (const [key, value] of Object.entries(schema)) if (!handled.has(key)) out[key] = sortedValue(value);
  return ordered(out);
}

function canonicalField(field: JsonObject, namespace: string): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(field)) {
    if (key === 'type') out[key] = canonicalJson(value, namespace);
    else if (key === 'order' && value === 'ascending') continue;
    else out[key] = sortedValue(value);
  }
  return ordered(out);
}
