import assert from 'node:assert/strict';
import { createServer as createNetServer } from 'node:net';
import type { Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../testing/fixtures.js';
import { isLoopback, startServer } from './server.js';
import { FakeReadModel } from './test-read-model.js';
import type { TestLiveLog } from './test-live-source.js';
import { openTestLiveLog } from './test-live-source.js';

describe('startServer', () => {
  const dir = tempDir('orderpulse-serve-');
  let log: TestLiveLog;
  before(async () => {
    log = await openTestLiveLog(dir.path);
  });
  after(async () => {
    await log.close();
    dir.remove();
  });

  it('listens on 127.0.0.1 by default and answers real HTTP requests', async () => {
    const server = await startServer({ read: new FakeReadModel(), live: log.source, port: 0, logger: false });
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(server.portTaken, null);
      const response = await fetch(`${server.url}/api/health`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { ok: true });
      assert.ok(response.headers.get('content-security-policy'));
    } finally {
      await server.close();
    }
  });

  it('refuses to listen on another address without a token, and says why', async () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20']) {
      await assert.rejects(startServer({ read: new FakeReadModel(), live: log.source, host, port: 0, logger: false }), (error: Error & { code?: string }) => {
        assert.equal(error.code, 'OP_SERVE_TOKEN_REQUIRED');
        assert.match(error.message, new RegExp(`refusing to listen on ${host.replace(/\./g, '\\.')} without a token`));
        return true;
      });
    }
    await assert.rejects(startServer({ read: new FakeReadModel(), live: log.source, host: '0.0.0.0', token: '', port: 0, logger: false }), /without a token/);
  });

  it('with a token listens on every address, and the API wants the token', async () => {
    const server = await startServer({ read: new FakeReadModel(), live: log.source, host: '0.0.0.0', port: 0, token: 'abc', logger: false });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      assert.equal((await fetch(`${base}/api/health`)).status, 200);
      assert.equal((await fetch(`${base}/api/kpis`)).status, 401);
      assert.equal((await fetch(`${base}/api/kpis`, { headers: { authorization: 'Bearer abc' } })).status, 200);
    } finally {
      await server.close();
    }
  });

  it('takes a free port when the one asked for is taken, and says so', async () => {
    const blocker: Server = createNetServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const server = await startServer({ read: new FakeReadModel(), live: log.source, port: taken, logger: false });
      try {
        assert.equal(server.portTaken, taken);
        assert.notEqual(server.port, taken);
        assert.equal((await fetch(`${server.url}/api/health`)).status, 200);
      } finally {
        await server.close();
      }
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('knows the loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.0.1.1', 'localhost', '::1']) assert.equal(isLoopback(host), true, host);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '127.example.com', '']) assert.equal(isLoopback(host), false, host);
  });
});
