/**
 * The behaviour every `Catalog` must have, as node:test tests. Run it for an implementation with
 * `catalogContract('sqlite', make)` in a test file. Each test opens its own catalog with a catalog
 * name of its own and uses namespaces with a random tag, so the suite can run against a shared
 * database.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { Catalog, TableIdentifier } from './catalog.js';
import { LakeError } from './errors.js';

export interface CatalogUnderTest {
  readonly catalog: Catalog;
  /** Opens another catalog object on the same store (as another process would), with this name. */
  readonly open: (name: string) => Promise<Catalog>;
  /** Removes what the test left; runs after the test closed every catalog it opened. */
  readonly cleanup: () => Promise<void>;
}

export interface CatalogContractOptions {
  /** A reason to skip the whole suite (a database that is not configured), or false. */
  readonly skip?: string | false;
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<LakeError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof LakeError, `expected a LakeError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

class Fixture {
  readonly tag = randomBytes(4).toString('hex');
  readonly others: Catalog[] = [];
  constructor(readonly harness: CatalogUnderTest) {}
  ns(name: string): string {
    return `${name}_${this.tag}`;
  }
  location(table: string, version: number): string {
    return `file:///warehouse/${this.tag}/${table}/metadata/${String(version).padStart(5, '0')}-${randomBytes(4).toString('hex')}.metadata.json`;
  }
  /** Another catalog object with the same name, on the same store. */
  async twin(): Promise<Catalog> {
    const other = await this.harness.open(this.harness.catalog.name);
    this.others.push(other);
    return other;
  }
  async named(name: string): Promise<Catalog> {
    const other = await this.harness.open(name);
    this.others.push(other);
    return other;
  }
}

export function catalogContract(name: string, make: () => Promise<CatalogUnderTest>, options: CatalogContractOptions = {}): void {
  const run = (title: string, body: (catalog: Catalog, fixture: Fixture) => Promise<void>): void => {
    void test(title, async () => {
      const harness = await make();
      const fixture = new Fixture(harness);
      try {
        await body(harness.catalog, fixture);
      } finally {
        for (const other of fixture.others) await other.close();
        await harness.catalog.close();
        await harness.cleanup();
      }
    });
  };

  void describe(`Catalog contract: ${name}`, { skip: options.skip ?? false }, () => {
    run('creates namespaces, lists them, keeps their properties', async (catalog, f) => {
      const bronze = f.ns('bronze');
      const silver = f.ns('silver');
      assert.equal((await catalog.listNamespaces()).includes(bronze), false);
      await catalog.createNamespace(bronze);
      await catalog.createNamespace(silver, { owner: 'orderpulse', comment: 'cleaned events' });
      const listed = await catalog.listNamespaces();
      assert.ok(listed.includes(bronze) && listed.includes(silver), JSON.stringify(listed));
      assert.deepEqual(await catalog.namespaceProperties(bronze), {});
      assert.deepEqual(await catalog.namespaceProperties(silver), { owner: 'orderpulse', comment: 'cleaned events' });
      // Creating it again keeps it and sets the given properties.
      await catalog.createNamespace(silver, { comment: 'changed' });
      assert.deepEqual(await catalog.namespaceProperties(silver), { owner: 'orderpulse', comment: 'changed' });
      assert.equal((await catalog.listNamespaces()).filter((n) => n === silver).length, 1);
      // Another catalog object on the same store sees them.
      const twin = await f.twin();
      assert.deepEqual(await twin.namespaceProperties(silver), { owner: 'orderpulse', comment: 'changed' });
    });

    run('a missing namespace is OP_LAKE_NO_SUCH_NAMESPACE', async (catalog, f) => {
      const ghost = f.ns('ghost');
      await rejectsWith(catalog.namespaceProperties(ghost), 'OP_LAKE_NO_SUCH_NAMESPACE');
      await rejectsWith(catalog.listTables(ghost), 'OP_LAKE_NO_SUCH_NAMESPACE');
      await rejectsWith(catalog.createTable({ namespace: ghost, name: 'orders' }, f.location('orders', 0)), 'OP_LAKE_NO_SUCH_NAMESPACE');
    });

    run('creates, lists, reads and drops tables', async (catalog, f) => {
      const ns = f.ns('bronze');
      await catalog.createNamespace(ns);
      assert.deepEqual(await catalog.listTables(ns), []);
      const orders: TableIdentifier = { namespace: ns, name: 'orders' };
      const items: TableIdentifier = { namespace: ns, name: 'order_items' };
      assert.equal(await catalog.currentMetadataLocation(orders), null);
      const ordersV0 = f.location('orders', 0);
      await catalog.createTable(orders, ordersV0);
      await catalog.createTable(items, f.location('order_items', 0));
      assert.equal(await catalog.currentMetadataLocation(orders), ordersV0);
      assert.deepEqual(await catalog.listTables(ns), [items, orders]);
      await catalog.dropTable(items);
      assert.deepEqual(await catalog.listTables(ns), [orders]);
      assert.equal(await catalog.currentMetadataLocation(items), null);
      await rejectsWith(catalog.dropTable(items), 'OP_LAKE_NO_SUCH_TABLE');
      // A dropped name can be created again.
      const itemsAgain = f.location('order_items', 0);
      await catalog.createTable(items, itemsAgain);
      assert.equal(await catalog.currentMetadataLocation(items), itemsAgain);
    });

    run('createTable on an existing table is OP_LAKE_TABLE_EXISTS, from any catalog object', async (catalog, f) => {
      const ns = f.ns('bronze');
      await catalog.createNamespace(ns);
      const table = { namespace: ns, name: 'orders' };
      const first = f.location('orders', 0);
      await catalog.createTable(table, first);
      const error = await rejectsWith(catalog.createTable(table, f.location('orders', 0)), 'OP_LAKE_TABLE_EXISTS');
      assert.equal(error.retryable, false);
      const twin = await f.twin();
      await rejectsWith(twin.createTable(table, f.location('orders', 0)), 'OP_LAKE_TABLE_EXISTS');
      assert.equal(await catalog.currentMetadataLocation(table), first, 'the first registration stands');
    });

    run('two catalog objects creating one table at once: exactly one wins', async (catalog, f) => {
      const ns = f.ns('bronze');
      await catalog.createNamespace(ns);
      const twin = await f.twin();
      const table = { namespace: ns, name: 'customers' };
      const a = f.location('customers', 0);
      const b = f.location('customers', 0);
      const outcomes = await Promise.allSettled([catalog.createTable(table, a), twin.createTable(table, b)]);
      const won = outcomes.filter((o) => o.status === 'fulfilled').length;
      assert.equal(won, 1);
      const lost = outcomes.find((o) => o.status === 'rejected');
      assert.ok(lost?.status === 'rejected' && lost.reason instanceof LakeError && lost.reason.code === 'OP_LAKE_TABLE_EXISTS');
      const current = await catalog.currentMetadataLocation(table);
      assert.equal(current, outcomes[0]?.status === 'fulfilled' ? a : b);
    });

    run('a commit swaps the metadata location when the base is current', async (catalog, f) => {
      const ns = f.ns('silver');
      await catalog.createNamespace(ns);
      const table = { namespace: ns, name: 'deliveries' };
      const v0 = f.location('deliveries', 0);
      const v1 = f.location('deliveries', 1);
      const v2 = f.location('deliveries', 2);
      await catalog.createTable(table, v0);
      await catalog.swapMetadataLocation(table, v0, v1);
      assert.equal(await catalog.currentMetadataLocation(table), v1);
      const twin = await f.twin();
      assert.equal(await twin.currentMetadataLocation(table), v1, 'visible to another catalog object at once');
      await twin.swapMetadataLocation(table, v1, v2);
      assert.equal(await catalog.currentMetadataLocation(table), v2);
    });

    run('a commit from a stale base is OP_LAKE_COMMIT_CONFLICT (retryable) naming the table, expected and actual', async (catalog, f) => {
      const ns = f.ns('silver');
      await catalog.createNamespace(ns);
      const table = { namespace: ns, name: 'deliveries' };
      const v0 = f.location('deliveries', 0);
      const v1 = f.location('deliveries', 1);
      await catalog.createTable(table, v0);
      await catalog.swapMetadataLocation(table, v0, v1);
      const stale = f.location('deliveries', 1);
      const error = await rejectsWith(catalog.swapMetadataLocation(table, v0, stale), 'OP_LAKE_COMMIT_CONFLICT');
      assert.equal(error.retryable, true);
      assert.equal(error.details['table'], `${ns}.deliveries`);
      assert.equal(error.details['expected'], v0);
      assert.equal(error.details['actual'], v1);
      assert.equal(await catalog.currentMetadataLocation(table), v1, 'a lost commit changes nothing');
    });

    run('catalog objects racing to commit on one base: exactly one wins each round', async (catalog, f) => {
      const ns = f.ns('gold');
      await catalog.createNamespace(ns);
      const table = { namespace: ns, name: 'seller_daily' };
      const catalogs = [catalog, await f.twin(), await f.twin()];
      let base = f.location('seller_daily', 0);
      await catalog.createTable(table, base);
      for (let round = 1; round <= 10; round++) {
        // Each catalog object reads the base itself, then every one of them tries to commit on it.
        const bases = await Promise.all(catalogs.map((c) => c.currentMetadataLocation(table)));
        assert.deepEqual(bases, catalogs.map(() => base));
        const nexts = catalogs.flatMap((_, i) => [f.location(`seller_daily-${i}a`, round), f.location(`seller_daily-${i}b`, round)]);
        const outcomes = await Promise.allSettled(nexts.map((next, i) => (catalogs[i % catalogs.length] ?? catalog).swapMetadataLocation(table, base, next)));
        const winners = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [nexts[i]] : []));
        assert.equal(winners.length, 1, `round ${round}: one winner of ${nexts.length}`);
        const winner = winners[0] ?? '';
        for (const outcome of outcomes) {
          if (outcome.status === 'fulfilled') continue;
          assert.ok(outcome.reason instanceof LakeError, String(outcome.reason));
          assert.equal(outcome.reason.code, 'OP_LAKE_COMMIT_CONFLICT');
          assert.equal(outcome.reason.details['expected'], base);
          assert.equal(outcome.reason.details['actual'], winner);
        }
        assert.equal(await catalog.currentMetadataLocation(table), winner);
        base = winner;
      }
    });

    run('a commit to a missing or dropped table is OP_LAKE_NO_SUCH_TABLE', async (catalog, f) => {
      const ns = f.ns('bronze');
      await catalog.createNamespace(ns);
      const table = { namespace: ns, name: 'payments' };
      await rejectsWith(catalog.swapMetadataLocation(table, f.location('payments', 0), f.location('payments', 1)), 'OP_LAKE_NO_SUCH_TABLE');
      const v0 = f.location('payments', 0);
      await catalog.createTable(table, v0);
      await catalog.dropTable(table);
      await rejectsWith(catalog.swapMetadataLocation(table, v0, f.location('payments', 1)), 'OP_LAKE_NO_SUCH_TABLE');
    });

    run('catalog names keep catalogs apart on one store', async (catalog, f) => {
      const ns = f.ns('bronze');
      await catalog.createNamespace(ns, { owner: 'a' });
      const table = { namespace: ns, name: 'orders' };
      await catalog.createTable(table, f.location('orders', 0));
      const other = await f.named(`${catalog.name}_other`);
      assert.equal((await other.listNamespaces()).includes(ns), false);
      assert.equal(await other.currentMetadataLocation(table), null);
      await other.createNamespace(ns, { owner: 'b' });
      const otherV0 = f.location('orders', 0);
      await other.createTable(table, otherV0);
      assert.equal(await other.currentMetadataLocation(table), otherV0);
      assert.notEqual(await catalog.currentMetadataLocation(table), otherV0);
      assert.deepEqual(await catalog.namespaceProperties(ns), { owner: 'a' });
      await other.dropTable(table);
      assert.notEqual(await catalog.currentMetadataLocation(table), null, 'dropping in one catalog leaves the other');
    });

    run('refuses malformed names with OP_LAKE_INVALID_ARGUMENT', async (catalog, f) => {
      await rejectsWith(catalog.createNamespace(''), 'OP_LAKE_INVALID_ARGUMENT');
      await rejectsWith(catalog.createNamespace('two.levels'), 'OP_LAKE_INVALID_ARGUMENT');
      await rejectsWith(catalog.createNamespace('x'.repeat(256)), 'OP_LAKE_INVALID_ARGUMENT');
      const ns = f.ns('bronze');
      await catalog.createNamespace(ns);
      await rejectsWith(catalog.createTable({ namespace: ns, name: '' }, f.location('x', 0)), 'OP_LAKE_INVALID_ARGUMENT');
      await rejectsWith(catalog.createTable({ namespace: ns, name: 'x' }, ''), 'OP_LAKE_INVALID_ARGUMENT');
      await rejectsWith(catalog.createTable({ namespace: ns, name: 'x' }, `file:///${'a'.repeat(1000)}`), 'OP_LAKE_INVALID_ARGUMENT');
      await rejectsWith(catalog.createNamespace(f.ns('props'), { exists: 'false' }), 'OP_LAKE_INVALID_ARGUMENT');
    });

    run('names its catalog', (catalog) => {
      assert.ok(catalog.name.length > 0);
      return Promise.resolve();
    });
  });
}
