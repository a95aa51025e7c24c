import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseLocalDateTime } from '../data/index.js';
import { repoRoot, tempDir } from '../testing/fixtures.js';
import { openSamplePipeline, sampleEvents } from '../testing/sample-pipeline.js';

const bin = join(repoRoot, 'bin', 'orderpulse.js');

/** Runs `orderpulse` until its first stdout line (or its end); the child is returned running. */
function startCli(args: readonly string[]): Promise<{ line: string; err: () => string; exited: Promise<number | null>; kill: (signal: NodeJS.Signals) => void }> {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve) => {
    const done = (): void => resolve({ line: out.split('\n')[0] ?? '', err: () => err, exited, kill: (signal) => child.kill(signal) });
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) done();
    });
    void exited.then(done);
  });
}

describe('orderpulse serve', () => {
  const dir = tempDir();
  const state = join(dir.path, 'state');

  before(async () => {
    // A short history is enough: the command is under test here, not the figures.
    const pipeline = await openSamplePipeline(state, await sampleEvents());
    try {
      await pipeline.feed(parseLocalDateTime('2017-03-01 00:00:00'));
    } finally {
      await pipeline.close();
    }
  });
  after(() => dir.remove());

  it('serves an existing state directory until SIGTERM, then exits 0', async () => {
    const cli = await startCli(['--state', state, 'serve', '--port', '0', '--json']);
    const { url } = JSON.parse(cli.line) as { url: string };
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const alerts = (await (await fetch(`${url}/api/alerts?limit=1`)).json()) as { total: number };
    assert.ok(alerts.total > 0, 'the open alerts of the state are served');
    cli.kill('SIGTERM');
    assert.equal(await cli.exited, 0, cli.err());
  });

  it('refuses a state directory that does not exist, and creates nothing', async () => {
    const missing = join(dir.path, 'nothing-here');
    const cli = await startCli(['--state', missing, 'serve', '--port', '0']);
    assert.equal(await cli.exited, 1);
    assert.match(cli.err(), /nothing to serve: there is no embedded state at .*nothing-here/);
    assert.equal(existsSync(missing), false);
  });

  it('refuses to listen beyond this machine without a token', async () => {
    const cli = await startCli(['--state', state, 'serve', '--port', '0', '--host', '0.0.0.0']);
    assert.notEqual(await cli.exited, 0);
    assert.match(cli.err(), /refusing to listen on 0\.0\.0\.0 without a token/);
  });
});
