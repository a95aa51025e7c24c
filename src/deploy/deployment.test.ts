import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../testing/fixtures.js';
import { DEFAULTS } from './settings.js';
import { STORE_FILE, openRuntime } from './deployment.js';

/**
 * How the runtime is wired from the settings. Nothing here reaches a broker or a registry: the
 * cluster suite (cluster.test.ts) runs the wiring against real ones.
 */
describe('openRuntime', () => {
  it('embedded by default: the log, registry and catalog in one SQLite file, and writers register their schemas', async () => {
    const dir = tempDir();
    try {
      const state = join(dir.path, 'state');
      const runtime = openRuntime({ ...DEFAULTS, state });
      assert.equal(runtime.log.kind, 'embedded');
      assert.equal(runtime.registry.kind, 'embedded');
      assert.equal(runtime.registersSchemas, true);
      assert.equal(runtime.logLocation, join(state, STORE_FILE));
      assert.ok(existsSync(join(state, STORE_FILE)));
      await runtime.codec();
      assert.deepEqual(await runtime.registry.subjects(), ['customers-value', 'orders-value', 'products-value', 'reviews-value', 'sellers-value']);
      await runtime.close();
    } finally {
      dir.remove();
    }
  });

  it('on Kafka with a shared registry: no SQLite file is opened, nothing registers by itself, and close releases the clients', async () => {
    const dir = tempDir();
    try {
      const state = join(dir.path, 'state');
      // Port 1 answers nothing: the clients are built, never connected.
      const runtime = openRuntime({ ...DEFAULTS, state, kafka: ['127.0.0.1:1', 'localhost:2'], registry: 'http://127.0.0.1:1/apis/ccompat/v7' });
      assert.equal(runtime.log.kind, 'kafka');
      assert.equal(runtime.registry.kind, 'rest');
      assert.equal(runtime.registersSchemas, false);
      assert.equal(runtime.logLocation, 'the Kafka cluster at 127.0.0.1:1,localhost:2');
      await runtime.close();
      assert.equal(existsSync(state), false, 'the state directory is created only when something uses it');
    } finally {
      dir.remove();
    }
  });

  it('with only a shared registry, the log stays embedded and the codec asks the registry (without registering)', async () => {
    const dir = tempDir();
    try {
      const runtime = openRuntime({ ...DEFAULTS, state: dir.path, registry: 'http://127.0.0.1:1' });
      assert.equal(runtime.log.kind, 'embedded');
      assert.equal(runtime.registersSchemas, false);
      await assert.rejects(runtime.codec(), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'OP_EVENTS_REGISTRY_UNAVAILABLE');
        assert.match(e.message, /http:\/\/127\.0\.0\.1:1/);
        return true;
      });
      await runtime.close();
    } finally {
      dir.remove();
    }
  });

  it('refuses Kafka without a shared registry, saying which setting is missing', () => {
    const dir = tempDir();
    try {
      const state = join(dir.path, 'state');
      assert.throws(
        () => openRuntime({ ...DEFAULTS, state, kafka: ['127.0.0.1:9092'] }),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, 'OP_CONFIG_INCOMPLETE');
          assert.match(e.message, /kafka is set but registry is not.*--registry, ORDERPULSE_REGISTRY or "registry"/);
          return true;
        },
      );
      assert.equal(existsSync(state), false);
    } finally {
      dir.remove();
    }
  });
});
