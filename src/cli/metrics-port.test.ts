import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot, sampleDir, tempDir } from '../testing/fixtures.js';
import { runCli } from './run-for-test.js';

/** A port this test holds (listening), so that it is taken for anyone else. */
async function holdPort(): Promise<{ readonly port: number; readonly server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

function sample(text: string, series: string): number {
  return Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
}

describe('--metrics-port', () => {
  const dir = tempDir('orderpulse-metrics-port-');
  const state = join(dir.path, 'state');
  let ordersInLog = 0;
  before(async () => {
    const run = await runCli(['--state', state, 'replay', '--data', sampleDir, '--max', '--json'], { cwd: repoRoot });
    assert.equal(run.code, 0, run.err);
    ordersInLog = (JSON.parse(run.out.trim().split('\n').at(-1) ?? '{}') as { byTopic: { orders: number } }).byTopic.orders;
    assert.ok(ordersInLog > 0);
  });
  after(() => dir.remove());

  it('serves a running stream process’s metrics on 127.0.0.1', async () => {
    const { port, server } = await holdPort();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'orderpulse.js'), '--state', state, 'stream', '--quiet', '--metrics-port', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let exitedEarly = false;
    void exited.then(() => (exitedEarly = true));
    // Scraped until the processor has handled every order record in the log (it keeps running after).
    let text = '';
    while (!exitedEarly && !(sample(text, 'orderpulse_stream_records_processed_total{topic="orders"}') === ordersInLog)) {
      text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
        (r) => r.text(),
        () => '',
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(exitedEarly, false, err);
    assert.match(text, /^orderpulse_process_role_info\{role="stream"\} 1$/m);
    assert.match(text, /^orderpulse_build_info\{version="[^"]+",deployment="embedded"\} 1$/m);
    assert.match(text, /^process_resident_memory_bytes \d/m);
    assert.ok(sample(text, 'orderpulse_lake_commits_total{table="bronze.order_events",outcome="committed"}') >= 1);
    child.kill('SIGINT');
    assert.equal(await exited, 0, err);
  });

  it('refuses a port that is not one, or that is taken, naming the flag', async () => {
    for (const bad of ['0', '70000', 'http']) {
      const run = await runCli(['--state', state, 'stream', '--until-idle', '--metrics-port', bad], { cwd: repoRoot });
      assert.notEqual(run.code, 0);
      assert.match(run.err, /--metrics-port takes a port number from 1 to 65535/, bad);
    }
    const { port, server } = await holdPort();
    try {
      for (const command of [['stream', '--until-idle'], ['batch', 'run'], ['replay', '--data', sampleDir]]) {
        const run = await runCli(['--state', state, ...command, '--metrics-port', String(port)], { cwd: repoRoot });
        assert.notEqual(run.code, 0, command.join(' '));
        assert.match(run.err, new RegExp(`--metrics-port ${port}: 127\\.0\\.0\\.1:${port} is taken`), command.join(' '));
      }
    } finally {
      server.close();
    }
  });
});
