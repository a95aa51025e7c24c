import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MarketplaceEvent } from '../events/index.js';
import { Lake } from '../lake/index.js';
import { repoRoot, seededRandom, tempDir, testSeed } from '../testing/fixtures.js';
import type { SamplePipeline } from '../testing/sample-pipeline.js';
import { openSamplePipeline, sampleEvents } from '../testing/sample-pipeline.js';
import { JOBS, runBatch } from './index.js';

/**
 * Acceptance of the batch layer's incremental runs: the sample replayed in parts with a batch run
 * after each part gives silver and gold equal row for row to one full run over the whole log; a
 * rerun commits nothing; a batch run killed with SIGKILL at random points, then run again, ends
 * equal to an uninterrupted run.
 */

const CLI = join(repoRoot, 'bin', 'orderpulse.js');
/** Where the replay is cut (UTC instants): each part is followed by the stream and a batch run. */
const CUTS = ['2017-03-01', '2017-09-01', '2018-02-01', '2018-06-15'].map((d) => Date.parse(`${d}T00:00:00Z`));

/** Every batch table's rows, in a fixed order, as JSON text per table. */
async function contents(lake: Lake): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const job of JOBS) {
    if (!(await lake.tableExists(job.name))) continue;
    const scan = await (await lake.table(job.name)).scan();
    const { rows } = await scan.query('SELECT * FROM t ORDER BY ALL');
    out[job.name] = rows.map((r) => JSON.stringify(r));
  }
  return out;
}

function assertSameTables(actual: Record<string, string[]>, expected: Record<string, string[]>): void {
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const [table, rows] of Object.entries(expected)) {
    const got = actual[table] ?? [];
    // Row counts first: a difference there is easier to read than a diff of thousands of rows.
    assert.equal(got.length, rows.length, `${table}: row count`);
    const missing = rows.filter((r) => !got.includes(r)).slice(0, 3);
    assert.deepEqual(got, rows, `${table} differs; first rows missing: ${missing.join('\n')}`);
  }
}

/** `orderpulse batch run` on `state`, killed with SIGKILL after `killAfterMs` when given. */
function runBatchProcess(state: string, killAfterMs?: number): Promise<{ code: number | null; killed: boolean; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--state', state, 'batch', 'run', '--json'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let killed = false;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => (stderr += text));
    const timer = killAfterMs === undefined ? null : setTimeout(() => (killed = child.kill('SIGKILL')), killAfterMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      if (timer !== null) clearTimeout(timer);
      resolve({ code, killed, stderr });
    });
  });
}

describe('batch layer: incremental runs, reruns and crashes', () => {
  const dir = tempDir();
  let events: readonly MarketplaceEvent[];
  let full: SamplePipeline;
  let expected: Record<string, string[]>;

  before(async () => {
    events = await sampleEvents();
    full = await openSamplePipeline(join(dir.path, 'full'), events);
    await full.feed();
    await runBatch(full.lake);
    expected = await contents(full.lake);
  });
  after(async () => {
    await full.close();
    dir.remove();
  });

  it('a batch run after each part of the replay gives the tables of one full run', async () => {
    const parts = await openSamplePipeline(join(dir.path, 'parts'), events);
    try {
      for (const [i, cut] of [...CUTS, undefined].entries()) {
        await parts.feed(cut);
        const reports = await runBatch(parts.lake);
        const silver = reports.filter((r) => r.job.startsWith('silver.') && r.outcome === 'written');
        assert.ok(silver.length > 0, `part ${i}: silver was written`);
        // After the first part every silver job reads only what bronze gained since.
        if (i > 0) assert.deepEqual(silver.filter((r) => r.mode !== 'incremental').map((r) => `${r.job}: ${r.fullBecause}`), []);
      }
      assertSameTables(await contents(parts.lake), expected);
    } finally {
      await parts.close();
    }
  });

  it('a rerun with nothing new commits nothing', async () => {
    const before = await Promise.all(JOBS.map(async (j) => (await full.lake.table(j.name)).currentSnapshot()?.['snapshot-id']));
    const reports = await runBatch(full.lake);
    assert.deepEqual(reports.filter((r) => r.outcome !== 'unchanged').map((r) => r.job), []);
    const afterIds = await Promise.all(JOBS.map(async (j) => (await full.lake.table(j.name)).currentSnapshot()?.['snapshot-id']));
    assert.deepEqual(afterIds, before);
  });

  it('--full rebuilds every table with the same rows', async () => {
    const reports = await runBatch(full.lake, { full: true });
    assert.ok(reports.every((r) => r.outcome === 'written' && r.mode === 'full'));
    assertSameTables(await contents(full.lake), expected);
  });

  it('SIGKILL at random points of a batch run, then a rerun, gives the tables of an uninterrupted run', async () => {
    const random = seededRandom(testSeed('kill points'));
    // A copy of the full pipeline's state before any batch table: bronze only.
    const state = join(dir.path, 'killed');
    const source = await openSamplePipeline(join(dir.path, 'bronze-only'), events);
    await source.feed();
    await source.close();
    cpSync(join(dir.path, 'bronze-only'), state, { recursive: true });

    // How long one uninterrupted run takes here, to spread the kills over it.
    const probe = join(dir.path, 'probe');
    cpSync(state, probe, { recursive: true });
    const started = performance.now();
    const clean = await runBatchProcess(probe);
    assert.equal(clean.code, 0, clean.stderr);
    const span = performance.now() - started;

    let kills = 0;
    for (let i = 0; i < 6; i++) {
      const outcome = await runBatchProcess(state, Math.round(random() * span));
      if (outcome.killed && outcome.code !== 0) kills++;
      else assert.equal(outcome.code, 0, outcome.stderr);
    }
    const last = await runBatchProcess(state);
    assert.equal(last.code, 0, last.stderr);
    assert.ok(kills > 0, 'at least one run was killed');
    const lake = await Lake.open({ catalogUri: join(state, 'orderpulse.db'), warehouse: join(state, 'warehouse'), tempDir: join(state, 'tmp') });
    try {
      assertSameTables(await contents(lake), expected);
    } finally {
      await lake.close();
    }
  });
});
