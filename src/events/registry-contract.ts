/**
 * The behaviour every `SchemaRegistry` must have, as node:test tests. Run it for an implementation
 * with `schemaRegistryContract('embedded', makeRegistry)` in a test file.
 *
 * Each test makes its own registry and uses subjects and record names with a random tag, so the
 * suite can run against a shared real registry: it never changes the global compatibility level
 * and sets a level on each subject whose checks it relies on.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { CompatibilityLevel, SchemaRegistry } from './registry-types.js';
import { COMPATIBILITY_LEVELS } from './registry-types.js';
import { EventsError } from './errors.js';
import { canonicalSchema } from './registry-schema.js';

export interface RegistryUnderTest {
  readonly registry: SchemaRegistry;
  readonly cleanup: () => Promise<void>;
}

type Field = Record<string, unknown>;

/** Schemas and subjects unique to one test. */
class Fixture {
  readonly tag = randomBytes(6).toString('hex');
  readonly name = `Order_${this.tag}`;
  readonly namespace = 'orderpulse.contract';

  subject(suffix = ''): string {
    return `orderpulse-contract-${this.tag}${suffix}-value`;
  }

  schema(fields: readonly Field[], extra: Record<string, unknown> = {}): string {
    return JSON.stringify({ type: 'record', name: this.name, namespace: this.namespace, fields, ...extra });
  }
}

const ID: Field = { name: 'orderId', type: 'string' };
const STATUS: Field = { name: 'status', type: 'string' };
const NOTE_OPTIONAL: Field = { name: 'note', type: ['null', 'string'], default: null };
const NOTE_REQUIRED: Field = { name: 'note', type: 'string' };

async function withRegistry(
  makeRegistry: () => Promise<RegistryUnderTest>,
  body: (registry: SchemaRegistry, fixture: Fixture) => Promise<void>,
): Promise<void> {
  const { registry, cleanup } = await makeRegistry();
  try {
    await body(registry, new Fixture());
  } finally {
    await registry.close();
    await cleanup();
  }
}

function rejectsWith(code: string, check?: (error: EventsError) => void): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof EventsError, `expected an EventsError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    check?.(error);
    return true;
  };
}

export interface ContractOptions {
  /** Skip the whole suite, saying why (e.g. no registry to test against). */
  readonly skip?: string | false;
}

export function schemaRegistryContract(
  name: string,
  makeRegistry: () => Promise<RegistryUnderTest>,
  options: ContractOptions = {},
): void {
  const run = (body: (registry: SchemaRegistry, fixture: Fixture) => Promise<void>) => () => withRegistry(makeRegistry, body);

  void describe(`SchemaRegistry contract: ${name}`, { skip: options.skip ?? false }, () => {
    void test('registers a schema as version 1 of its subject and serves it back by id', run(async (registry, f) => {
      const subject = f.subject();
      const text = f.schema([ID, STATUS]);
      const id = await registry.register(subject, text);
      assert.ok(Number.isInteger(id) && id > 0, `id ${id}`);
      assert.equal(canonicalSchema(await registry.schemaById(id)), canonicalSchema(text));
      const latest = await registry.latest(subject);
      assert.ok(latest !== null);
      assert.equal(latest.subject, subject);
      assert.equal(latest.version, 1);
      assert.equal(latest.id, id);
      assert.equal(canonicalSchema(latest.schema), canonicalSchema(text));
      assert.deepEqual(await registry.versions(subject), [1]);
      assert.ok((await registry.subjects()).includes(subject));
    }));

    void test('re-registering a schema, however formatted, returns its id and adds no version', run(async (registry, f) => {
      const subject = f.subject();
      const id = await registry.register(subject, f.schema([ID, STATUS]));
      // The same schema: other whitespace, other attribute order, {"type": "string"} for "string".
      const reformatted = `{
        "fields": [ { "type": {"type": "string"}, "name": "orderId" }, { "type": "string", "name": "status" } ],
        "namespace": "${f.namespace}",   "name": "${f.name}", "type": "record"
      }`;
      assert.equal(await registry.register(subject, reformatted), id);
      assert.equal(await registry.register(subject, f.schema([ID, STATUS])), id);
      assert.deepEqual(await registry.versions(subject), [1]);
    }));

    void test('gives one schema one global id across subjects', run(async (registry, f) => {
      const text = f.schema([ID]);
      const first = await registry.register(f.subject('-a'), text);
      const second = await registry.register(f.subject('-b'), text);
      assert.equal(second, first);
      assert.deepEqual(await registry.versions(f.subject('-b')), [1]);
      const other = await registry.register(f.subject('-b'), f.schema([ID, NOTE_OPTIONAL]));
      assert.notEqual(other, first);
    }));

    void test('adds a version for a compatible change; re-registering an older version adds none', run(async (registry, f) => {
      const subject = f.subject();
      await registry.setCompatibility('BACKWARD', subject);
      const v1 = await registry.register(subject, f.schema([ID]));
      const v2 = await registry.register(subject, f.schema([ID, NOTE_OPTIONAL]));
      assert.notEqual(v2, v1);
      assert.deepEqual(await registry.versions(subject), [1, 2]);
      assert.equal((await registry.latest(subject))?.id, v2);
      // Version 1 again: its id, no version 3 (Confluent semantics).
      assert.equal(await registry.register(subject, f.schema([ID])), v1);
      assert.deepEqual(await registry.versions(subject), [1, 2]);
      assert.equal((await registry.latest(subject))?.version, 2);
    }));

    void test('refuses a BACKWARD-incompatible schema with OP_EVENTS_INCOMPATIBLE_SCHEMA and adds no version', run(async (registry, f) => {
      const subject = f.subject();
      await registry.setCompatibility('BACKWARD', subject);
      await registry.register(subject, f.schema([ID]));
      await assert.rejects(
        registry.register(subject, f.schema([ID, NOTE_REQUIRED])),
        rejectsWith('OP_EVENTS_INCOMPATIBLE_SCHEMA', (error) => {
          assert.equal(error.details['subject'], subject);
          assert.equal(error.details['level'], 'BACKWARD');
          const messages = error.details['messages'];
          assert.ok(Array.isArray(messages) && messages.length > 0, 'messages say why');
          assert.equal(error.retryable, false);
        }),
      );
      // Changing a field's type string → int is refused too.
      await assert.rejects(
        registry.register(subject, f.schema([{ name: 'orderId', type: 'int' }])),
        rejectsWith('OP_EVENTS_INCOMPATIBLE_SCHEMA'),
      );
      assert.deepEqual(await registry.versions(subject), [1]);
    }));

    void test('checkCompatibility answers without registering', run(async (registry, f) => {
      const subject = f.subject();
      await registry.setCompatibility('BACKWARD', subject);
      assert.deepEqual(await registry.checkCompatibility(subject, f.schema([ID])), { compatible: true, messages: [] });
      await registry.register(subject, f.schema([ID]));
      const good = await registry.checkCompatibility(subject, f.schema([ID, NOTE_OPTIONAL]));
      assert.equal(good.compatible, true);
      const bad = await registry.checkCompatibility(subject, f.schema([ID, NOTE_REQUIRED]));
      assert.equal(bad.compatible, false);
      assert.ok(bad.messages.length > 0, 'messages say why');
      assert.deepEqual(await registry.versions(subject), [1]);
    }));

    void test('NONE accepts any change', run(async (registry, f) => {
      const subject = f.subject();
      await registry.setCompatibility('NONE', subject);
      await registry.register(subject, f.schema([ID]));
      await registry.register(subject, f.schema([{ name: 'orderId', type: 'int' }, NOTE_REQUIRED]));
      assert.deepEqual(await registry.versions(subject), [1, 2]);
    }));

    void test('FORWARD requires that the latest schema can read data written by the new one', run(async (registry, f) => {
      const subject = f.subject();
      await registry.setCompatibility('FORWARD', subject);
      await registry.register(subject, f.schema([ID, STATUS]));
      // Adding a field without default: old readers ignore it.
      await registry.register(subject, f.schema([ID, STATUS, NOTE_REQUIRED]));
      // Removing a field the latest needs and has no default for: old readers cannot read new data.
      await assert.rejects(registry.register(subject, f.schema([ID, NOTE_REQUIRED])), rejectsWith('OP_EVENTS_INCOMPATIBLE_SCHEMA'));
      assert.deepEqual(await registry.versions(subject), [1, 2]);
    }));

    void test('FULL refuses a change that breaks either direction', run(async (registry, f) => {
      const subject = f.subject();
      await registry.setCompatibility('FULL', subject);
      await registry.register(subject, f.schema([ID]));
      await registry.register(subject, f.schema([ID, NOTE_OPTIONAL]));
      await assert.rejects(registry.register(subject, f.schema([ID, NOTE_OPTIONAL, STATUS])), rejectsWith('OP_EVENTS_INCOMPATIBLE_SCHEMA'));
      assert.deepEqual(await registry.versions(subject), [1, 2]);
    }));

    void test('BACKWARD checks only the latest version, BACKWARD_TRANSITIVE every version', run(async (registry, f) => {
      const v1 = f.schema([ID, { name: 'amount', type: 'int' }]);
      const v2 = f.schema([ID]);
      // Reads v2 data (default) but not v1 data: an int cannot be read as a string.
      const v3 = f.schema([ID, { name: 'amount', type: 'string', default: '' }]);
      const latestOnly = f.subject('-latest');
      await registry.setCompatibility('BACKWARD', latestOnly);
      await registry.register(latestOnly, v1);
      await registry.register(latestOnly, v2);
      await registry.register(latestOnly, v3);
      assert.deepEqual(await registry.versions(latestOnly), [1, 2, 3]);
      const transitive = f.subject('-transitive');
      await registry.setCompatibility('BACKWARD_TRANSITIVE', transitive);
      await registry.register(transitive, v1);
      await registry.register(transitive, v2);
      await assert.rejects(registry.register(transitive, v3), rejectsWith('OP_EVENTS_INCOMPATIBLE_SCHEMA'));
      assert.deepEqual(await registry.versions(transitive), [1, 2]);
    }));

    void test('lookup finds the version holding a schema, and null otherwise', run(async (registry, f) => {
      const subject = f.subject();
      await registry.setCompatibility('BACKWARD', subject);
      const v1 = await registry.register(subject, f.schema([ID]));
      const v2 = await registry.register(subject, f.schema([ID, NOTE_OPTIONAL]));
      const found = await registry.lookup(subject, f.schema([ID]));
      assert.ok(found !== null);
      assert.equal(found.subject, subject);
      assert.equal(found.version, 1);
      assert.equal(found.id, v1);
      assert.equal(canonicalSchema(found.schema), canonicalSchema(f.schema([ID])));
      assert.equal((await registry.lookup(subject, f.schema([ID, NOTE_OPTIONAL])))?.version, 2);
      assert.equal((await registry.lookup(subject, f.schema([ID, NOTE_OPTIONAL])))?.id, v2);
      assert.equal(await registry.lookup(subject, f.schema([ID, STATUS])), null);
      assert.equal(await registry.lookup(f.subject('-unknown'), f.schema([ID])), null);
      assert.deepEqual(await registry.versions(subject), [1, 2], 'lookup registers nothing');
    }));

    void test('an unknown schema id is OP_EVENTS_UNKNOWN_SCHEMA_ID', run(async (registry) => {
      await assert.rejects(
        registry.schemaById(2_000_000_000),
        rejectsWith('OP_EVENTS_UNKNOWN_SCHEMA_ID', (error) => assert.equal(error.details['id'], 2_000_000_000)),
      );
    }));

    void test('an unknown subject has no latest version, no versions, and is not listed', run(async (registry, f) => {
      const subject = f.subject('-never');
      assert.equal(await registry.latest(subject), null);
      assert.deepEqual(await registry.versions(subject), []);
      assert.ok(!(await registry.subjects()).includes(subject));
    }));

    void test('refuses a text that is not an Avro schema with OP_EVENTS_INVALID_SCHEMA and registers nothing', run(async (registry, f) => {
      const subject = f.subject();
      await assert.rejects(registry.register(subject, '{"type": "record", "name": '), rejectsWith('OP_EVENTS_INVALID_SCHEMA'));
      await assert.rejects(
        registry.register(subject, JSON.stringify({ type: 'record', name: f.name, fields: [{ name: 'x', type: 'no.such.Type' }] })),
        rejectsWith('OP_EVENTS_INVALID_SCHEMA', (error) => assert.match(error.message, /no\.such\.Type/)),
      );
      await assert.rejects(
        registry.register(subject, f.schema([{ name: 'count', type: 'int', default: 'not a number' }])),
        rejectsWith('OP_EVENTS_INVALID_SCHEMA'),
      );
      assert.deepEqual(await registry.versions(subject), []);
    }));

    void test('a subject without a level of its own follows the default; setting one changes only that subject', run(async (registry, f) => {
      const global = await registry.compatibility();
      assert.ok((COMPATIBILITY_LEVELS as readonly string[]).includes(global));
      const subject = f.subject();
      assert.equal(await registry.compatibility(subject), global);
      const other: CompatibilityLevel = global === 'FULL_TRANSITIVE' ? 'NONE' : 'FULL_TRANSITIVE';
      await registry.setCompatibility(other, subject);
      assert.equal(await registry.compatibility(subject), other);
      assert.equal(await registry.compatibility(), global);
      assert.equal(await registry.compatibility(f.subject('-other')), global);
      await registry.setCompatibility('FORWARD', subject);
      assert.equal(await registry.compatibility(subject), 'FORWARD');
    }));

    void test('concurrent registrations of one schema give one id and one version', run(async (registry, f) => {
      const subject = f.subject();
      const text = f.schema([ID, STATUS]);
      const ids = await Promise.all(Array.from({ length: 8 }, () => registry.register(subject, text)));
      assert.equal(new Set(ids).size, 1);
      assert.deepEqual(await registry.versions(subject), [1]);
    }));

    void test('a union that gains a branch stays BACKWARD compatible', run(async (registry, f) => {
      const subject = f.subject();
      await registry.setCompatibility('BACKWARD', subject);
      await registry.register(subject, f.schema([ID, { name: 'value', type: ['null', 'string'], default: null }]));
      await registry.register(subject, f.schema([ID, { name: 'value', type: ['null', 'string', 'long'], default: null }]));
      assert.deepEqual(await registry.versions(subject), [1, 2]);
    }));
  });
}
