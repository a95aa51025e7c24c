import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startOrderpulse } from '../testing/cli-process.js';
import { repoRoot, sampleDir, tempDir } from '../testing/fixtures.js';
import { runCli } from './run-for-test.js';

const dir = tempDir();
after(() => dir.remove());

describe('orderpulse start', () => {
  it('runs the history, serves it over HTTP, goes live, and on SIGTERM stops everything and exits 0', async () => {
    const state = join(dir.path, 'state');
    const { process: start, url } = await startOrderpulse({
      cwd: dir.path,
      state,
      data: sampleDir,
      flags: ['--max', '--history-until', '2018-08-01', '--batch-every', '1s'],
      until: 'live-started',
    });
    // The server answers while the pipeline runs: the history's figures are there at once.
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const kpis = (await (await fetch(`${url}/api/kpis`)).json()) as { orders: number };
    assert.ok(kpis.orders > 0, `orders in the served KPIs: ${JSON.stringify(kpis)}`);
    assert.equal(await start.stop('SIGTERM'), 0, start.err);
    const out = start.out;

    const steps = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { step: string; appended?: number; until?: string; state?: string; url?: string | null; tablesWritten?: number });
    const names = steps.map((s) => s.step);
    for (const step of ['loaded', 'history-replayed', 'stream-caught-up', 'history-batch', 'ready', 'live-started']) assert.ok(names.includes(step), `${step} in ${names.join(', ')}`);
    assert.equal(names.at(-1), 'stopped');
    const history = steps.find((s) => s.step === 'history-replayed');
    assert.equal(history?.until, '2018-08-01 00:00:00');
    assert.ok((history?.appended ?? 0) > 0);
    assert.ok((steps.find((s) => s.step === 'history-batch')?.tablesWritten ?? 0) > 0);
    const ready = steps.find((s) => s.step === 'ready');
    assert.equal(ready?.state, join(state, 'live'));
    assert.equal(ready?.url, url);
    assert.ok(existsSync(join(state, 'live', 'orderpulse.db')));
  });

  for (const [args, pattern] of [
    [['--history-until', 'June'], /--history-until takes a Brazilian local date/],
    [['--day-every', '0s'], /--day-every must be longer than 0/],
    [['--day-every', 'soon'], /"soon" is not a duration/],
    [['--max', '--day-every', '5s'], /--day-every.*cannot be used with.*--max|--max.*cannot be used with.*--day-every/],
    [['--port', '70000'], /--port takes a port number from 0 to 65535/],
    [['--batch-every', '500ms'], /--batch-every \(from the flag\) must be at least 1s/],
  ] as const) {
    it(`refuses ${args.join(' ')} with a usage error naming the option`, async () => {
      const { code, err } = await runCli(['--state', join(dir.path, 'refused'), 'start', ...args], { cwd: repoRoot });
      assert.equal(code, 2, err);
      assert.match(err, pattern);
      assert.equal(existsSync(join(dir.path, 'refused')), false, 'nothing was started');
    });
  }
});
