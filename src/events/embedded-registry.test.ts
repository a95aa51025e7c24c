import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openEmbeddedStore } from '../store/index.js';
import { tempDir } from '../testing/fixtures.js';
import { EmbeddedSchemaRegistry } from './embedded-registry.js';
import { EventsError } from './errors.js';
import { schemaRegistryContract } from './registry-contract.js';
import { canonicalSchema } from './registry-schema.js';

schemaRegistryContract('embedded', () => {
  const dir = tempDir('orderpulse-registry-');
  const registry = EmbeddedSchemaRegistry.open(join(dir.path, 'store.db'));
  return Promise.resolve({ registry, cleanup: () => Promise.resolve(dir.remove()) });
});

const order = (fields: readonly Record<string, unknown>[], doc?: string): string =>
  JSON.stringify({ type: 'record', name: 'Order', namespace: 'olist', ...(doc === undefined ? {} : { doc }), fields });
const ID = { name: 'orderId', type: 'string' };

async function withFile(body: (path: string) => Promise<void>): Promise<void> {
  const dir = tempDir('orderpulse-registry-');
  try {
    await body(join(dir.path, 'store.db'));
  } finally {
    dir.remove();
  }
}

void describe('EmbeddedSchemaRegistry', () => {
  void test('keeps schemas, versions and levels across a reopen', () =>
    withFile(async (path) => {
      const first = EmbeddedSchemaRegistry.open(path);
      const v1 = await first.register('orders-value', order([ID]));
      const v2 = await first.register('orders-value', order([ID, { name: 'note', type: ['null', 'string'], default: null }]));
      await first.setCompatibility('FULL', 'orders-value');
      await first.setCompatibility('FORWARD');
      await first.close();

      const again = EmbeddedSchemaRegistry.open(path);
      assert.deepEqual(await again.versions('orders-value'), [1, 2]);
      assert.equal((await again.latest('orders-value'))?.id, v2);
      assert.equal(await again.schemaById(v1), canonicalSchema(order([ID])));
      assert.equal(await again.compatibility('orders-value'), 'FULL');
      assert.equal(await again.compatibility(), 'FORWARD');
      assert.equal(await again.compatibility('payments-value'), 'FORWARD');
      // Ids continue after the last one.
      const v3 = await again.register('payments-value', order([{ name: 'paymentId', type: 'string' }]));
      assert.equal(v3, v2 + 1);
      await again.close();
    }));

  void test('two registries on the same file agree on ids and see each other’s versions', () =>
    withFile(async (path) => {
      const a = EmbeddedSchemaRegistry.open(path);
      const b = EmbeddedSchemaRegistry.open(path);
      const idA = await a.register('orders-value', order([ID]));
      assert.equal(await b.register('orders-value', order([ID])), idA);
      assert.equal(await b.register('other-value', order([ID])), idA);
      const idB = await b.register('orders-value', order([ID, { name: 'n', type: 'int', default: 0 }]));
      assert.deepEqual(await a.versions('orders-value'), [1, 2]);
      assert.equal(await a.schemaById(idB), canonicalSchema(order([ID, { name: 'n', type: 'int', default: 0 }])));
      assert.deepEqual(await a.subjects(), ['orders-value', 'other-value']);
      await b.setCompatibility('NONE', 'orders-value');
      assert.equal(await a.compatibility('orders-value'), 'NONE');
      await a.close();
      await b.close();
    }));

  void test('processes registering at once on one file get one id per schema and gapless versions', () =>
    withFile(async (path) => {
      // Create the tables first, as the embedded store would be.
      await EmbeddedSchemaRegistry.open(path).close();
      const moduleUrl = new URL('./embedded-registry.js', import.meta.url).href;
      const script = `
        const { EmbeddedSchemaRegistry } = await import(${JSON.stringify(moduleUrl)});
        const [path, worker, startAt] = process.argv.slice(1);
        const registry = EmbeddedSchemaRegistry.open(path);
        // Start together, so that the registrations overlap.
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
        const ids = {};
        for (let i = 0; i < 15; i++) {
          const fields = [{ name: 'orderId', type: 'string' }];
          for (let j = 0; j < i; j++) fields.push({ name: 'f' + j, type: 'int', default: j });
          const text = JSON.stringify({ type: 'record', name: 'Order', namespace: 'olist', fields });
          ids['shared:' + i] = await registry.register('orders-value', text);
          ids['own:' + i] = await registry.register('worker-' + worker + '-value', text);
        }
        await registry.close();
        process.stdout.write(JSON.stringify(ids));
      `;
      const startAt = String(Date.now() + 1000);
      const workers = await Promise.all(
        [0, 1, 2, 3].map(
          (worker) =>
            new Promise<Record<string, number>>((resolve, reject) => {
              const child = spawn(process.execPath, ['--input-type=module', '-e', script, path, String(worker), startAt]);
              let out = '';
              let err = '';
              child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
              child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
              child.on('error', reject);
              child.on('close', (code) => {
                if (code === 0) resolve(JSON.parse(out) as Record<string, number>);
                else reject(new Error(`worker ${worker} exited ${code}: ${err}`));
              });
            }),
        ),
      );
      for (let i = 0; i < 15; i++) {
        const shared = new Set(workers.map((ids) => ids[`shared:${i}`]));
        assert.equal(shared.size, 1, `schema ${i} has one id`);
        for (const ids of workers) assert.equal(ids[`own:${i}`], ids[`shared:${i}`], 'same schema, same id in every subject');
      }
      const registry = EmbeddedSchemaRegistry.open(path);
      assert.deepEqual(await registry.versions('orders-value'), Array.from({ length: 15 }, (_, i) => i + 1));
      for (const worker of [0, 1, 2, 3]) {
        assert.deepEqual(await registry.versions(`worker-${worker}-value`), Array.from({ length: 15 }, (_, i) => i + 1));
      }
      const db = openEmbeddedStore(path);
      assert.equal((db.prepare('SELECT COUNT(*) AS n FROM registry_schemas').get() as { n: number }).n, 15);
      db.close();
      await registry.close();
    }));

  void test('defaults to BACKWARD, or to the level given', async () => {
    const db = openEmbeddedStore(':memory:');
    const registry = new EmbeddedSchemaRegistry(db);
    assert.equal(await registry.compatibility(), 'BACKWARD');
    assert.equal(await registry.compatibility('orders-value'), 'BACKWARD');
    const other = new EmbeddedSchemaRegistry(openEmbeddedStore(':memory:'), {
      defaultCompatibility: 'FULL',
      closeDatabase: true,
    });
    assert.equal(await other.compatibility(), 'FULL');
    await other.close();
    await registry.close();
    db.close(); // the registry does not close a database it was given
  });

  void test('keeps its tables under the registry_ prefix', () => {
    const db = openEmbeddedStore(':memory:');
    new EmbeddedSchemaRegistry(db);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[])
      .map((row) => row.name)
      .filter((name) => !name.startsWith('sqlite_'));
    assert.ok(tables.length > 0);
    for (const name of tables) assert.match(name, /^registry_/);
    db.close();
  });

  void test('serves the canonical text: one id for a schema however written, a new one for a new doc', async () => {
    const registry = new EmbeddedSchemaRegistry(openEmbeddedStore(':memory:'), { closeDatabase: true });
    const id = await registry.register('orders-value', order([ID]));
    const spaced = `{ "namespace": "olist", "type": "record", "fields": [ {"name": "orderId", "type": {"type": "string"}} ], "name": "Order" }`;
    assert.equal(await registry.register('orders-value', spaced), id);
    assert.equal(await registry.schemaById(id), '{"name":"olist.Order","type":"record","fields":[{"name":"orderId","type":"string"}]}');
    const documented = await registry.register('orders-value', order([ID], 'An Olist order.'));
    assert.notEqual(documented, id);
    assert.deepEqual(await registry.versions('orders-value'), [1, 2]);
    await registry.close();
  });

  void test('says which field breaks compatibility, and where', async () => {
    const registry = new EmbeddedSchemaRegistry(openEmbeddedStore(':memory:'), { closeDatabase: true });
    await registry.register('orders-value', order([ID, { name: 'total', type: 'string' }]));
    await assert.rejects(registry.register('orders-value', order([ID, { name: 'total', type: 'int' }])), (error: unknown) => {
      assert.ok(error instanceof EventsError);
      assert.equal(error.code, 'OP_EVENTS_INCOMPATIBLE_SCHEMA');
      assert.deepEqual(Object.keys(error.details).sort(), ['level', 'messages', 'subject']);
      const messages = error.details['messages'] as string[];
      assert.equal(messages.length, 1);
      assert.match(messages[0] as string, /version 1 \(id 1\) of "orders-value"/);
      assert.match(messages[0] as string, /olist\.Order\.total: "string" written cannot be read as "int"/);
      assert.match(error.message, /orders-value/);
      assert.match(error.message, /BACKWARD/);
      return true;
    });
    await registry.close();
  });

  void test('refuses bad subjects and levels, and any call after close()', async () => {
    const registry = new EmbeddedSchemaRegistry(openEmbeddedStore(':memory:'), { closeDatabase: true });
    await assert.rejects(registry.register('', order([ID])), { code: 'OP_EVENTS_INVALID_SUBJECT' });
    await assert.rejects(registry.register('a\nb', order([ID])), { code: 'OP_EVENTS_INVALID_SUBJECT' });
    await assert.rejects(registry.setCompatibility('SIDEWAYS' as 'NONE', 'x'), { code: 'OP_EVENTS_INVALID_COMPATIBILITY_LEVEL' });
    await assert.rejects(registry.schemaById(0), { code: 'OP_EVENTS_UNKNOWN_SCHEMA_ID' });
    await assert.rejects(registry.schemaById(1.5), { code: 'OP_EVENTS_UNKNOWN_SCHEMA_ID' });
    await registry.close();
    await registry.close();
    await assert.rejects(registry.subjects(), { code: 'OP_EVENTS_REGISTRY_CLOSED' });
  });

  void test('getVersion reads one version, or says the subject or version is unknown', async () => {
    const registry = new EmbeddedSchemaRegistry(openEmbeddedStore(':memory:'), { closeDatabase: true });
    const id = await registry.register('orders-value', order([ID]));
    assert.deepEqual(await registry.getVersion('orders-value', 1), {
      subject: 'orders-value',
      version: 1,
      id,
      schema: canonicalSchema(order([ID])),
    });
    await assert.rejects(registry.getVersion('orders-value', 2), { code: 'OP_EVENTS_UNKNOWN_VERSION' });
    await assert.rejects(registry.getVersion('nope-value', 1), { code: 'OP_EVENTS_UNKNOWN_SUBJECT' });
    await registry.close();
  });
});
