import type { IcebergTable, Row } from '../lake/index.js';
import { LakeError } from '../lake/index.js';
import type { EventLog } from '../log/index.js';
import type { AlertCodec } from './alert-codec.js';
import { fencingChannel } from './channels.js';
import type { StreamFencingEvent } from './channels.js';
import { StreamError } from './errors.js';
import type { EmittedChange } from './processor-types.js';
import type { PositionedLateEvent, StreamPosition, TaskId } from './tables.js';
import { START_POSITION, alertEventRow, comparePositions, formatPosition, lateEventRow, openAlertRow, positionProperty } from './tables.js';
import type { FencedTable, OutputName, StreamTask } from './task.js';

/** Outputs a recovery wrote that a crash had kept from being written. */
export type Counts = { alertEvents: number; lateEvents: number; published: number };

/**
 * What the stream processor writes besides bronze, and how every commit of a task is fenced.
 *
 * - The alerts topic gets each batch's changes at once, after its bronze commit (`emit`).
 * - `gold.alert_events` and `bronze.late_events` get them on a background lane at most every
 *   `goldEveryMs`, many batches in one commit; `gold.open_alerts` is rewritten at most every
 *   `openAlertsEveryMs`. Each records, per task, the position it holds everything up to, so a restart
 *   writes exactly what a crash kept in memory (`catchUp`).
 * - `fenced` wraps every commit of a task (bronze's too): it expects the task's position property
 *   to be what this processor last saw, so a second processor running the task is refused.
 */
export class StreamOutputs {
  readonly #log: EventLog;
  readonly #alertCodec: AlertCodec | null;
  readonly #alertEvents: IcebergTable;
  readonly #lateEvents: IcebergTable;
  readonly #openAlerts: IcebergTable;
  readonly #tasks: ReadonlyMap<TaskId, StreamTask>;
  readonly #partitions: number;
  readonly #now: () => number;
  readonly #goldEveryMs: number;
  readonly #openAlertsEveryMs: number;
  readonly #onAlerts: ((changes: readonly EmittedChange[]) => void) | undefined;
  #pendingChanges: EmittedChange[] = [];
  #pendingLate: PositionedLateEvent[] = [];
  #pendingPositions = new Map<TaskId, StreamPosition>();
  #goldWrittenAt = 0;
  #openAlertsWrittenAt = 0;
  #lane: Promise<void> = Promise.resolve();
  #laneError: unknown = null;

  constructor(init: {
    readonly log: EventLog;
    readonly alertCodec: AlertCodec | null;
    readonly tables: { readonly alertEvents: IcebergTable; readonly lateEvents: IcebergTable; readonly openAlerts: IcebergTable };
    readonly tasks: ReadonlyMap<TaskId, StreamTask>;
    readonly partitions: number;
    readonly now: () => number;
    readonly goldEveryMs?: number | undefined;
    readonly openAlertsEveryMs?: number | undefined;
    readonly onAlerts?: ((changes: readonly EmittedChange[]) => void) | undefined;
  }) {
    this.#log = init.log;
    this.#alertCodec = init.alertCodec;
    this.#alertEvents = init.tables.alertEvents;
    this.#lateEvents = init.tables.lateEvents;
    this.#openAlerts = init.tables.openAlerts;
    this.#tasks = init.tasks;
    this.#partitions = init.partitions;
    this.#now = init.now;
    this.#goldEveryMs = init.goldEveryMs ?? 1_000;
    this.#openAlertsEveryMs = init.openAlertsEveryMs ?? 1_000;
    this.#onAlerts = init.onAlerts;
  }

  /** Writes every pending gold output and waits for the background lane; throws its first error. */
  async flushGold(): Promise<void> {
    this.queueGold(true);
    await this.#lane;
    this.checkLane();
  }

  /**
   * A committed batch's outputs: published on the alerts topic and handed on at once; queued for
   * the gold tables, which are written at most every `goldEveryMs` for many batches at once (a
   * commit per micro-batch would double the time from an event to its alert). Their recorded
   * positions make a restart write what a crash kept in memory.
   */
  async emit(changes: readonly EmittedChange[], late: readonly PositionedLateEvent[], positions: ReadonlyMap<TaskId, StreamPosition>): Promise<void> {
    const codec = this.#alertCodec;
    if (codec !== null && changes.length > 0) await this.#log.append(changes.map((c) => codec.encode(c)));
    for (const [id, position] of positions) (this.#tasks.get(id) as StreamTask).advance('topic', position);
    if (changes.length > 0) this.#onAlerts?.(changes);
    for (const c of changes) this.#pendingChanges.push(c);
    for (const l of late) this.#pendingLate.push(l);
    for (const [id, position] of positions) this.#pendingPositions.set(id, position);
    this.queueGold();
  }

  /** On recovery: writes to each output, per task, the outputs after its recorded position. */
  async catchUp(changes: readonly EmittedChange[], late: readonly PositionedLateEvent[], positions: ReadonlyMap<TaskId, StreamPosition>): Promise<Counts> {
    const tasks = this.#tasks;
    const after = (output: OutputName) => (c: { readonly task: TaskId; readonly position: StreamPosition }) =>
      comparePositions(c.position, (tasks.get(c.task) as StreamTask).outputs[output]) > 0;
    const codec = this.#alertCodec;
    const toPublish = codec === null ? [] : changes.filter(after('topic'));
    if (codec !== null && toPublish.length > 0) await this.#log.append(toPublish.map((c) => codec.encode(c)));
    for (const [id, position] of positions) (tasks.get(id) as StreamTask).advance('topic', position);
    const written = await this.#writeGold(changes.filter(after('alertEvents')), late.filter(after('lateEvents')), positions);
    return { ...written, published: toPublish.length };
  }

  /** Queues the pending gold outputs on the background lane when due (or `force`). */
  queueGold(force = false): void {
    if (this.#pendingPositions.size === 0) return;
    const due = this.#now() - this.#goldWrittenAt >= (this.#goldEveryMs) || this.#pendingChanges.length >= 100_000;
    if (!force && !due) return;
    const changes = this.#pendingChanges;
    const late = this.#pendingLate;
    const positions = this.#pendingPositions;
    this.#pendingChanges = [];
    this.#pendingLate = [];
    this.#pendingPositions = new Map();
    this.#goldWrittenAt = this.#now();
    this.background(async () => {
      await this.#writeGold(changes, late, positions);
    });
  }

  /**
   * The background lane: gold writes and open-alert rewrites, in order, off the path from an event
   * to its alert (the next batch's bronze commit does not wait for them). Its first error stops
   * the processor at the next batch.
   */
  background(work: () => Promise<void>): void {
    this.#lane = this.#lane.then(work).catch((error: unknown) => {
      this.#laneError ??= error;
    });
  }

  checkLane(): void {
    const error = this.#laneError;
    if (error !== null) throw error instanceof Error ? error : new Error(`background write failed: ${JSON.stringify(error)}`);
  }

  /** Appends alert and late events, recording each task's position in the same commits. */
  async #writeGold(
    changes: readonly EmittedChange[],
    late: readonly PositionedLateEvent[],
    positions: ReadonlyMap<TaskId, StreamPosition>,
  ): Promise<{ alertEvents: number; lateEvents: number }> {
    // Only positions that move a table forward are recorded: a catch-up flush must never record a
    // position below one the table already holds for a task.
    const summaryFor = (output: OutputName): Record<string, string> =>
      Object.fromEntries(
        [...positions]
          .filter(([id, position]) => (this.#tasks.get(id) as StreamTask).behind(output, position))
          .map(([id, position]) => [positionProperty(id), formatPosition(position)]),
      );
    if (changes.length > 0) {
      const summary = summaryFor('alertEvents');
      await this.fenced('alertEvents', [...positions.keys()], summary, (expect) => this.#alertEvents.append(changes.map(alertEventRow), { summary, expect }));
    }
    if (late.length > 0) {
      const summary = summaryFor('lateEvents');
      await this.fenced('lateEvents', [...positions.keys()], summary, (expect) => this.#lateEvents.append(late.map(lateEventRow), { summary, expect }));
    }
    for (const [id, position] of positions) {
      const task = this.#tasks.get(id) as StreamTask;
      // Without new rows nothing was committed; the position still holds: there was nothing to add.
      task.advance('alertEvents', position);
      task.advance('lateEvents', position);
    }
    return { alertEvents: changes.length, lateEvents: late.length };
  }

  /**
   * Commits to a table expecting each task's position property there to be what this processor last
   * saw, then remembers what it wrote. A second processor running one of the tasks is refused
   * with an error that says so, and nothing of its commit lands.
   */
  async fenced<T>(
    table: FencedTable,
    tasks: readonly TaskId[],
    summary: Readonly<Record<string, string>>,
    commit: (expect: Record<string, string | null>) => Promise<T>,
  ): Promise<T> {
    const expect: Record<string, string | null> = {};
    for (const id of tasks) {
      const key = positionProperty(id);
      if (key in summary) expect[key] = (this.#tasks.get(id) as StreamTask).recorded[table];
    }
    let result: T;
    try {
      result = await commit(expect);
    } catch (error) {
      if (error instanceof LakeError && error.code === 'OP_LAKE_PRECONDITION_FAILED') {
        const key = typeof error.details.key === 'string' ? error.details.key : '';
        const task = Number(/task-(\d+)$/.exec(key)?.[1] ?? NaN);
        if (fencingChannel.hasSubscribers) fencingChannel.publish({ task, table } satisfies StreamFencingEvent);
        throw new StreamError(
          'OP_STREAM_TASK_TAKEN',
          `task ${task} was advanced by another processor (${error.message}): two processes are running task ${task}; give each process its own tasks (--tasks). Nothing of this batch was committed`,
          { details: { task, table, ...error.details }, cause: error },
        );
      }
      throw error;
    }
    for (const id of tasks) {
      const value = summary[positionProperty(id)];
      if (value !== undefined) (this.#tasks.get(id) as StreamTask).recorded[table] = value;
    }
    return result;
  }

  openAlertsDue(): boolean {
    return this.#now() - this.#openAlertsWrittenAt >= (this.#openAlertsEveryMs);
  }

  /** Each task's open alerts and detected position, taken now (the lake write may come later). */
  openAlertsNow(): { readonly rows: Row[]; readonly positions: ReadonlyMap<TaskId, StreamPosition> } {
    const rows: Row[] = [];
    const positions = new Map<TaskId, StreamPosition>();
    for (const task of this.#tasks.values()) {
      for (const alert of task.detector.openAlerts()) rows.push(openAlertRow(task.id, alert));
      positions.set(task.id, task.detected);
    }
    return { rows, positions };
  }

  /**
   * Rewrites the open alerts of this processor's tasks. Owning every task, it replaces the table in
   * one commit; otherwise each task's rows are replaced on their own, leaving other processors' rows.
   */
  async writeOpenAlerts(open: { readonly rows: readonly Row[]; readonly positions: ReadonlyMap<TaskId, StreamPosition> }): Promise<void> {
    this.#openAlertsWrittenAt = this.#now();
    try {
      await this.#replaceOpenAlerts(open);
    } catch (error) {
      // A snapshot of the open alerts that keeps losing to other writers is simply skipped: the
      // next one, a moment later, replaces it anyway (and its position says how current it is).
      if (error instanceof LakeError && error.code === 'OP_LAKE_COMMIT_CONFLICT') return;
      throw error;
    }
  }

  async #replaceOpenAlerts(open: { readonly rows: readonly Row[]; readonly positions: ReadonlyMap<TaskId, StreamPosition> }): Promise<void> {
    const summaryOf = (ids: readonly TaskId[]): Record<string, string> =>
      Object.fromEntries(ids.map((id) => [positionProperty(id), formatPosition(open.positions.get(id) ?? START_POSITION)]));
    const ids = [...open.positions.keys()];
    if (ids.length === this.#partitions) {
      const summary = summaryOf(ids);
      await this.fenced('openAlerts', ids, summary, (expect) => this.#openAlerts.overwrite(open.rows, { filter: [], summary, expect }));
    } else {
      for (const id of ids) {
        const summary = summaryOf([id]);
        await this.fenced('openAlerts', [id], summary, (expect) =>
          this.#openAlerts.overwrite(
            open.rows.filter((r) => r.task === id),
            { filter: [{ column: 'task', op: '=', value: id }], summary, expect },
          ),
        );
      }
    }
    for (const [id, position] of open.positions) (this.#tasks.get(id) as StreamTask).advance('openAlerts', position);
  }
}
