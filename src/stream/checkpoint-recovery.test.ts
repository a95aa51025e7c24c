import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULTS, openRuntime } from '../deploy/index.js';
import type { Runtime } from '../deploy/index.js';
import { loadOlist } from '../data/index.js';
import type { MarketplaceEvent } from '../events/index.js';
import { olistEvents } from '../events/index.js';
import { replay } from '../replay/index.js';
import { repoRoot, sampleDir, tempDir } from '../testing/fixtures.js';
import { checkpointText, parsePointer } from './checkpoint.js';
import { STALE_CHECKPOINT_MS } from './checkpoint-store.js';
import { DelayDetector } from './detector.js';
import { readAlertsTopic } from './test-alerts.js';
import type { StreamProcessorOptions } from './index.js';
import {
  ALERT_EVENTS_TABLE,
  AlertCodec,
  BRONZE_EVENTS_TABLE,
  LATE_EVENTS_TABLE,
  OPEN_ALERTS_TABLE,
  StreamError,
  StreamProcessor,
  UNDECODABLE_EVENT_TYPE,
  checkpointProperty,
} from './index.js';

/**
 * Acceptance of the task-state checkpoints: a processor restarted from its tasks' checkpoints and
 * the bronze rows after them holds exactly the state of one that replayed all of bronze, and of a
 * detector fed the events directly; kill -9 between a checkpoint and the batches after it, a
 * damaged checkpoint, and tasks moving between processors all end with the tables and alerts topic
 * of an uninterrupted run.
 */

const CLI = join(repoRoot, 'bin', 'orderpulse.js');
const TASKS = [0, 1, 2];
/** Every run weighs orders alike, so that states compare whatever grades exist. */
const flat = (): number => 1;

interface Opened {
  readonly runtime: Runtime;
  readonly processor: StreamProcessor;
}

async function openAt(state: string, extra: Partial<StreamProcessorOptions> = {}): Promise<Opened> {
  const runtime = openRuntime({ ...DEFAULTS, state });
  const processor = await StreamProcessor.open({
    log: runtime.log,
    codec: await runtime.codec(),
    lake: await runtime.lake(),
    alertCodec: await AlertCodec.open(runtime.registry, { registerSchemas: true }),
    gradeWeight: flat,
    maxBatchEvents: 1_500,
    goldEveryMs: 0,
    checkpoint: { everyRecords: 2_000, everyMs: 3_600_000 },
    ...extra,
  });
  return { runtime, processor };
}

/** Runs `batches` batches (all there are by default), then brings every output up to date. */
async function processSome(processor: StreamProcessor, batches = Infinity): Promise<number> {
  let done = 0;
  while (done < batches && (await processor.processBatch()) !== null) done++;
  await processor.finish();
  return done;
}

/** Each task's state, as a checkpoint would write it (one text per task). */
function states(processor: StreamProcessor): string[] {
  return processor.taskIds.map((t) => checkpointText(t, { seq: 0, floor: null }, processor.taskState(t) ?? assert.fail(`task ${t}`)));
}

async function tablesOf(state: string): Promise<Record<string, string[]>> {
  const runtime = openRuntime({ ...DEFAULTS, state });
  try {
    const lake = await runtime.lake();
    const rows = async (table: string, sql: string): Promise<string[]> => {
      const scan = await (await lake.table(table)).scan();
      return (await scan.query(sql)).rows.map((r) => JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
    };
    return {
      bronze: await rows(BRONZE_EVENTS_TABLE, 'SELECT topic, log_partition, log_offset, event_id, task, processed_seq, watermark_floor FROM t ORDER BY task, processed_seq'),
      alertEvents: await rows(ALERT_EVENTS_TABLE, 'SELECT * FROM t ORDER BY task, processed_seq, alert_id, sequence'),
      openAlerts: await rows(OPEN_ALERTS_TABLE, 'SELECT * FROM t ORDER BY task, alert_id'),
      lateEvents: await rows(LATE_EVENTS_TABLE, 'SELECT * FROM t ORDER BY task, processed_seq'),
      topic: (await readAlertsTopic(runtime.log, runtime.registry)).map((c) => JSON.stringify(c)).sort(),
    };
  } finally {
    await runtime.close();
  }
}

function assertSameTables(actual: Record<string, string[]>, expected: Record<string, string[]>, context: string): void {
  assert.ok((expected.alertEvents?.length ?? 0) > 5_000);
  for (const part of Object.keys(expected)) {
    assert.equal(actual[part]?.length, expected[part]?.length, `${part}: row count (${context})`);
    assert.deepEqual(actual[part], expected[part], `${part} (${context})`);
  }
}

/** `orderpulse stream --until-idle` on `state`, killed with SIGKILL `killAfterMs` after its `afterBatches`-th batch when given. */
function runStream(state: string, args: readonly string[], kill?: { readonly afterBatches: number; readonly killAfterMs: number }): Promise<{ killed: boolean; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--state', state, 'stream', '--until-idle', '--idle-after', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let batches = 0;
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr += text;
      const before = batches;
      batches += text.split('\n').filter((l) => l.startsWith('batch')).length;
      if (kill !== undefined && before < kill.afterBatches && batches >= kill.afterBatches) setTimeout(() => child.kill('SIGKILL'), kill.killAfterMs);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ killed: true, stderr });
      else if (code !== 0) reject(new Error(`stream exited with ${code}: ${stderr}`));
      else resolve({ killed: false, stderr });
    });
  });
}

describe('StreamProcessor restarted from task-state checkpoints', () => {
  const dir = tempDir();
  const template = join(dir.path, 'replayed');
  let reference: Record<string, string[]>;

  before(async () => {
    const runtime = openRuntime({ ...DEFAULTS, state: template });
    await replay({ log: runtime.log, codec: await runtime.codec(), events: olistEvents(await loadOlist(sampleDir)), pacing: { mode: 'max' }, partitions: 3 });
    await runtime.close();
    // The uninterrupted run every other run is compared with: one processor, no checkpoints.
    const state = join(dir.path, 'reference');
    cpSync(template, state, { recursive: true });
    const { runtime: r, processor } = await openAt(state, { checkpoint: null, maxBatchEvents: 20_000 });
    await processSome(processor);
    await r.close();
    reference = await tablesOf(state);
  });
  after(() => dir.remove());

  it('restores the state of a full rebuild and of a detector fed the events directly, replaying only the rows after the checkpoints', async () => {
    const state = join(dir.path, 'restored');
    cpSync(template, state, { recursive: true });
    const first = await openAt(state);
    await processSome(first.processor);
    const total = first.processor.processed;
    const expectedStates = states(first.processor);
    await first.runtime.close();

    const again = await openAt(state, { checkpoint: undefined });
    const full = await StreamProcessor.open({
      log: again.runtime.log,
      codec: await again.runtime.codec(),
      lake: await again.runtime.lake(),
      gradeWeight: flat,
      checkpoint: null,
    });
    try {
      const recovery = again.processor.recovery;
      for (const task of TASKS) {
        const restored = recovery.checkpoints[String(task)];
        assert.ok(restored?.restoredAt !== null && restored?.restoredAt !== undefined && restored.restoredAt.seq > 0, `task ${task} restored from a checkpoint`);
        assert.equal(restored.fallback, null);
      }
      const afterCheckpoints = TASKS.reduce((n, t) => n + (again.processor.positions().get(t)?.seq ?? 0) - (recovery.checkpoints[String(t)]?.restoredAt?.seq ?? 0), 0);
      assert.equal(recovery.replayed, afterCheckpoints);
      assert.ok(recovery.replayed < total / 2, `replayed ${recovery.replayed} of ${total} rows`);
      assert.deepEqual(recovery.caughtUp, { alertEvents: 0, lateEvents: 0, published: 0 });
      assert.equal(full.recovery.replayed, total);

      // The same state, field for field: from the checkpoints + tail, from all of bronze, and as it was before the restart.
      assert.deepEqual(states(again.processor), states(full));
      assert.deepEqual(states(again.processor), expectedStates);
      assert.deepEqual(again.processor.stats(), full.stats());
      assert.deepEqual(again.processor.openAlerts(), full.openAlerts());

      // A detector fed each task's events directly, in bronze's processing order.
      const lake = await again.runtime.lake();
      const scan = await (await lake.table(BRONZE_EVENTS_TABLE)).scan();
      const { rows } = await scan.query('SELECT task, event_type, payload FROM t ORDER BY task, processed_seq');
      for (const task of TASKS) {
        const detector = new DelayDetector();
        for (const row of rows) {
          if (Number(row.task) !== task || row.event_type === UNDECODABLE_EVENT_TYPE) continue;
          detector.process(JSON.parse(String(row.payload)) as MarketplaceEvent);
          detector.drainLate();
        }
        assert.equal(states(again.processor)[task], checkpointText(task, { seq: 0, floor: null }, detector.snapshot()), `task ${task}`);
      }
    } finally {
      await again.runtime.close();
    }
  });

  it('falls back to a full rebuild, saying why, when a checkpoint is damaged or missing', async () => {
    const state = join(dir.path, 'damaged');
    cpSync(template, state, { recursive: true });
    const first = await openAt(state);
    await processSome(first.processor);
    const expectedStates = states(first.processor);
    const lake = await first.runtime.lake();
    const bronze = await lake.table(BRONZE_EVENTS_TABLE);
    const pointer = (task: number): { location: string } => parsePointer(bronze.lastSummaryValue(checkpointProperty(task)) ?? assert.fail(`no checkpoint of task ${task}`), 'test');
    const damaged = pointer(1).location;
    const bytes = await lake.io.read(damaged);
    await lake.io.write(damaged, bytes.subarray(0, Math.floor(bytes.length / 2)), { overwrite: true });
    await lake.io.delete(pointer(2).location);
    await first.runtime.close();

    const again = await openAt(state);
    try {
      const { checkpoints, replayed } = again.processor.recovery;
      assert.equal(checkpoints['0']?.fallback, null);
      assert.notEqual(checkpoints['0']?.restoredAt, null);
      assert.equal(checkpoints['1']?.restoredAt, null);
      assert.match(checkpoints['1']?.fallback ?? '', /not a readable gzip file/);
      assert.match(checkpoints['1']?.fallback ?? '', new RegExp(damaged.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      assert.equal(checkpoints['2']?.restoredAt, null);
      assert.match(checkpoints['2']?.fallback ?? '', /task-2/);
      const positions = again.processor.positions();
      assert.equal(replayed, (positions.get(0)?.seq ?? 0) - (checkpoints['0']?.restoredAt?.seq ?? 0) + (positions.get(1)?.seq ?? 0) + (positions.get(2)?.seq ?? 0));
      assert.deepEqual(states(again.processor), expectedStates);
    } finally {
      await again.runtime.close();
    }

    // The command line says it too, and carries on.
    const { stderr } = await runStream(state, []);
    assert.match(stderr, /task 1: checkpoint not used, state rebuilt from all of bronze: checkpoint .* not a readable gzip file/);
    assert.match(stderr, /task 2: checkpoint not used, state rebuilt from all of bronze/);
  });

  it('keeps each task\'s newest checkpoint through snapshot expiry while running: the restart uses it and the tables equal an uninterrupted run', async () => {
    const state = join(dir.path, 'expired');
    cpSync(template, state, { recursive: true });
    // Expiry after every second commit, keeping one snapshot: the snapshots whose summaries recorded
    // the pointers are expired long before the run ends.
    const first = await openAt(state, { expiry: { everyCommits: 2, retainLast: 1, olderThanMs: 0 } });
    const batches = await processSome(first.processor);
    const expectedStates = states(first.processor);
    const bronze = await (await first.runtime.lake()).table(BRONZE_EVENTS_TABLE);
    await bronze.refresh();
    assert.ok(batches > 10, `${batches} batches`);
    assert.ok(bronze.snapshots().length < batches / 2, `${bronze.snapshots().length} bronze snapshots kept of ${batches} commits`);
    const lake = await first.runtime.lake();
    for (const task of TASKS) {
      const pointer = parsePointer(bronze.lastSummaryValue(checkpointProperty(task)) ?? assert.fail(`task ${task}: pointer expired`), 'test');
      assert.ok((await lake.io.read(pointer.location)).length > 0, `task ${task}: ${pointer.location} is there`);
    }
    await first.runtime.close();

    const again = await openAt(state);
    try {
      for (const task of TASKS) {
        const restored = again.processor.recovery.checkpoints[String(task)];
        assert.equal(restored?.fallback, null, `task ${task}`);
        assert.ok((restored?.restoredAt?.seq ?? 0) > 0, `task ${task} restored from a checkpoint`);
      }
      assert.deepEqual(states(again.processor), expectedStates);
    } finally {
      await again.runtime.close();
    }
    assertSameTables(await tablesOf(state), reference, 'expiry while running');
  });

  it('deletes on opening the checkpoint files no pointer names once they are old enough, and keeps the recorded one', async () => {
    const state = join(dir.path, 'stale');
    cpSync(template, state, { recursive: true });
    const first = await openAt(state);
    await processSome(first.processor);
    const lake = await first.runtime.lake();
    const bronze = await lake.table(BRONZE_EVENTS_TABLE);
    const recorded = parsePointer(bronze.lastSummaryValue(checkpointProperty(0)) ?? assert.fail('no checkpoint of task 0'), 'test').location;
    // Left by a processor that stopped between writing a checkpoint and recording it: one old, one new.
    const directory = recorded.slice(0, recorded.lastIndexOf('/') + 1);
    const old = `${directory}000000000001-left-by-a-crash.json.gz`;
    const recent = `${directory}000000000002-being-recorded.json.gz`;
    const bytes = await lake.io.read(recorded);
    await lake.io.write(old, bytes);
    await lake.io.write(recent, bytes);
    const past = (Date.now() - STALE_CHECKPOINT_MS - 60_000) / 1000;
    utimesSync(await lake.io.localPath(old), past, past);
    utimesSync(await lake.io.localPath(recorded), past, past);
    await first.runtime.close();

    const again = await openAt(state);
    try {
      assert.notEqual(again.processor.recovery.checkpoints['0']?.restoredAt, null);
      const io = (await again.runtime.lake()).io;
      assert.equal(await io.exists(old), false, 'an old file no pointer names is deleted');
      assert.equal(await io.exists(recent), true, 'a recent one may still be recorded by its writer: kept');
      assert.equal(await io.exists(recorded), true, 'the recorded checkpoint is kept, however old');
    } finally {
      await again.runtime.close();
    }
  });

  it('refuses a checkpoint policy that is not a number > 0, naming the setting', async () => {
    const runtime = openRuntime({ ...DEFAULTS, state: template });
    try {
      for (const checkpoint of [{ everyRecords: 0, everyMs: 1_000 }, { everyRecords: 1_000, everyMs: Number.NaN }]) {
        await assert.rejects(
          StreamProcessor.open({ log: runtime.log, codec: await runtime.codec(), lake: await runtime.lake(), gradeWeight: flat, checkpoint }),
          (error: unknown) => error instanceof StreamError && error.code === 'OP_STREAM_BAD_CHECKPOINT_POLICY' && /checkpoint\.every(Records|Ms) must be a number > 0/.test(error.message),
        );
      }
    } finally {
      await runtime.close();
    }
  });

  it('killed between a checkpoint and the batches after it, and restarted, ends with the tables and topic of an uninterrupted run', async () => {
    const state = join(dir.path, 'killed');
    cpSync(template, state, { recursive: true });
    const args = ['--max-batch', '1500', '--checkpoint-every', '2000'];
    const seed = Date.now() % 100_000;
    let random = seed;
    const next = (n: number): number => {
      random = (random * 48_271) % 2_147_483_647;
      return random % n;
    };
    const kills: string[] = [];
    let restoredRestarts = 0;
    for (let attempt = 0; attempt < 6; attempt++) {
      const afterBatches = 3 + next(8);
      const killAfterMs = next(80);
      const outcome = await runStream(state, args, { afterBatches, killAfterMs });
      if (/resumed: state rebuilt from checkpoints and/.test(outcome.stderr)) restoredRestarts++;
      if (!outcome.killed) break;
      kills.push(`after ${afterBatches} batches +${killAfterMs} ms`);
    }
    const final = await runStream(state, args);
    // The uninterrupted run to compare with: the command line too (its idle policy acts at the end),
    // in larger batches, and with no checkpoint written.
    const uninterrupted = join(dir.path, 'uninterrupted');
    cpSync(template, uninterrupted, { recursive: true });
    await runStream(uninterrupted, ['--max-batch', '20000']);
    if (/resumed: state rebuilt from checkpoints and/.test(final.stderr)) restoredRestarts++;
    assert.equal(final.killed, false);
    assert.ok(kills.length >= 3, `killed ${kills.length} times (seed ${seed})`);
    assert.ok(restoredRestarts >= 2, `${restoredRestarts} restarts used checkpoints (seed ${seed}; kills: ${kills.join('; ')})`);
    assertSameTables(await tablesOf(state), await tablesOf(uninterrupted), `seed ${seed}; kills: ${kills.join('; ')}`);
  });

  it('tasks moved between processors continue from the checkpoints the previous owner recorded', async () => {
    const state = join(dir.path, 'moved');
    cpSync(template, state, { recursive: true });
    // First, one processor runs task 0 and another tasks 1 and 2, for a part of the log each.
    const a = await openAt(state, { tasks: [0] });
    const b = await openAt(state, { tasks: [1, 2] });
    await Promise.all([processSome(a.processor, 8), processSome(b.processor, 10)]);
    await Promise.all([a.runtime.close(), b.runtime.close()]);
    // Then the tasks move: task 0 to a processor of its own, tasks 1 and 2 split differently.
    const c = await openAt(state, { tasks: [0, 1] });
    const d = await openAt(state, { tasks: [2] });
    try {
      for (const [processor, tasks] of [[c.processor, [0, 1]], [d.processor, [2]]] as const) {
        for (const task of tasks) assert.notEqual(processor.recovery.checkpoints[String(task)]?.restoredAt ?? null, null, `task ${task} restored from its checkpoint`);
      }
      await Promise.all([processSome(c.processor), processSome(d.processor)]);
    } finally {
      await Promise.all([c.runtime.close(), d.runtime.close()]);
    }
    assertSameTables(await tablesOf(state), reference, 'tasks moved');
  });
});
