import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULTS, openRuntime } from '../deploy/index.js';
import type { Runtime } from '../deploy/index.js';
import { loadOlist } from '../data/index.js';
import { olistEvents } from '../events/index.js';
import { replay } from '../replay/index.js';
import { repoRoot, sampleDir, tempDir } from '../testing/fixtures.js';
import { ALERT_EVENTS_TABLE, BRONZE_EVENTS_TABLE, LATE_EVENTS_TABLE, OPEN_ALERTS_TABLE } from './index.js';
import { readAlertsTopic } from './test-alerts.js';

/**
 * Acceptance: the processor killed with SIGKILL at random points and restarted each time ends with
 * the same bronze rows, alert tables and alerts topic as a run that was never interrupted — though
 * the two runs cut the log into different batches.
 */

const CLI = join(repoRoot, 'bin', 'orderpulse.js');

interface Outcome {
  readonly code: number | null;
  readonly killed: boolean;
  readonly batches: number;
}

/**
 * Runs `orderpulse stream --until-idle` on `state`. With `killAfter`, sends SIGKILL once that many
 * batches were reported plus `extraMs`, or `extraMs` after the start when `killAfter` is 0 (a kill
 * while it recovers).
 */
function runStream(
  state: string,
  maxBatch: number,
  kill?: { readonly afterBatches: number; readonly extraMs: number },
  extraArgs: readonly string[] = [],
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--state', state, 'stream', '--until-idle', '--idle-after', '0', '--max-batch', String(maxBatch), ...extraArgs], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let batches = 0;
    let killed = false;
    let stderr = '';
    const killSoon = (): void => {
      setTimeout(() => {
        killed = child.kill('SIGKILL') || killed;
      }, kill?.extraMs ?? 0);
    };
    if (kill !== undefined && kill.afterBatches === 0) killSoon();
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr += text;
      const before = batches;
      batches += text.split('\n').filter((l) => l.startsWith('batch')).length;
      if (kill !== undefined && kill.afterBatches > 0 && before < kill.afterBatches && batches >= kill.afterBatches) killSoon();
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ code, killed: true, batches });
      else if (code !== 0) reject(new Error(`stream exited with ${code}: ${stderr}`));
      else resolve({ code, killed: killed && signal !== null, batches });
    });
  });
}

async function snapshotOf(state: string): Promise<Record<string, string[]>> {
  const runtime: Runtime = openRuntime({ ...DEFAULTS, state });
  try {
    const lake = await runtime.lake();
    const rows = async (table: string, sql: string): Promise<string[]> => {
      const scan = await (await lake.table(table)).scan();
      return (await scan.query(sql)).rows.map((r) => JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
    };
    const topic = (await readAlertsTopic(runtime.log, runtime.registry)).map((c) => JSON.stringify(c));
    return {
      // Ingest times differ between runs; where each record went does not.
      bronze: await rows(BRONZE_EVENTS_TABLE, 'SELECT topic, log_partition, log_offset, event_id, task, processed_seq, watermark_floor FROM t ORDER BY task, processed_seq'),
      alertEvents: await rows(ALERT_EVENTS_TABLE, 'SELECT * FROM t ORDER BY task, processed_seq, alert_id, sequence'),
      openAlerts: await rows(OPEN_ALERTS_TABLE, 'SELECT * FROM t ORDER BY task, alert_id'),
      lateEvents: await rows(LATE_EVENTS_TABLE, 'SELECT * FROM t ORDER BY task, processed_seq'),
      topic: topic.sort(),
    };
  } finally {
    await runtime.close();
  }
}

describe('StreamProcessor under kill -9, and shared among processes', () => {
  const dir = tempDir();
  const template = join(dir.path, 'replayed');

  before(async () => {
    const runtime = openRuntime({ ...DEFAULTS, state: template });
    await replay({ log: runtime.log, codec: await runtime.codec(), events: olistEvents(await loadOlist(sampleDir)), pacing: { mode: 'max' }, partitions: 3 });
    await runtime.close();
  });
  after(() => dir.remove());

  it('two processes, each running some of the tasks at the same time, end with the same tables and topic as one process', async () => {
    const reference = join(dir.path, 'one-process');
    const shared = join(dir.path, 'two-processes');
    cpSync(template, reference, { recursive: true });
    cpSync(template, shared, { recursive: true });
    await runStream(reference, 20_000);
    // The topics have 3 partitions, so 3 tasks: one process takes task 0, the other 1 and 2.
    await Promise.all([runStream(shared, 3_000, undefined, ['--tasks', '0']), runStream(shared, 3_000, undefined, ['--tasks', '1,2'])]);
    const [expected, actual] = await Promise.all([snapshotOf(reference), snapshotOf(shared)]);
    for (const part of Object.keys(expected)) {
      assert.equal(actual[part]?.length, expected[part]?.length, `${part}: row count`);
      assert.deepEqual(actual[part], expected[part], part);
    }
  });

  it('killed at 10 random points and restarted, ends with the same tables and alerts topic as an uninterrupted run', async () => {
    const reference = join(dir.path, 'reference');
    const crashed = join(dir.path, 'crashed');
    cpSync(template, reference, { recursive: true });
    cpSync(template, crashed, { recursive: true });
    await runStream(reference, 20_000);

    const kills: string[] = [];
    let attempts = 0;
    while (kills.length < 10) {
      attempts++;
      assert.ok(attempts < 40, 'the runs keep finishing before they can be killed');
      // Two kills land while the processor starts and rebuilds its state, the rest mid-run, a random
      // few milliseconds after a batch was reported: inside the next read, commit or output write.
      const during = kills.length < 2 ? 0 : 1 + Math.floor(Math.random() * 3);
      const extraMs = during === 0 ? 100 + Math.floor(Math.random() * 600) : Math.floor(Math.random() * 60);
      const outcome = await runStream(crashed, 1_500, { afterBatches: during, extraMs });
      if (outcome.killed) kills.push(`${during === 0 ? 'at start' : `after ${outcome.batches} batches`} +${extraMs} ms`);
      else break;
    }
    const final = await runStream(crashed, 1_500);
    assert.equal(final.killed, false);
    assert.equal(kills.length, 10, `killed ${kills.length} times: ${kills.join('; ')}`);

    const [expected, actual] = await Promise.all([snapshotOf(reference), snapshotOf(crashed)]);
    assert.ok((expected.bronze?.length ?? 0) > 60_000);
    assert.ok((expected.alertEvents?.length ?? 0) > 10_000);
    for (const part of Object.keys(expected)) {
      assert.equal(actual[part]?.length, expected[part]?.length, `${part}: row count (kills: ${kills.join('; ')})`);
      assert.deepEqual(actual[part], expected[part], part);
    }
  });
});
