import type { MarketplaceEvent } from '../events/index.js';
import type { IcebergTable } from '../lake/index.js';
import type { EventLog, RecordPosition } from '../log/index.js';
import type { AlertCodec } from './alert-codec.js';
import { ALERTS_TOPIC } from './alert-codec.js';
import type { CheckpointPolicy } from './checkpoint.js';
import { DEFAULT_CHECKPOINT_POLICY } from './checkpoint.js';
import { StreamError } from './errors.js';
import type { Counts, StreamOutputs } from './outputs.js';
import type { EmittedChange } from './processor-types.js';
import type { PositionedChange, PositionedLateEvent, StreamPosition, TaskId } from './tables.js';
import { UNDECODABLE_EVENT_TYPE, comparePositions } from './tables.js';
import type { StreamTask } from './task.js';

/**
 * Recovery, when a processor opens: each task's state rebuilt from its checkpoint (or from nothing)
 * and the bronze rows after it, and every output given what a crash kept from it.
 */

const REBUILD_CHUNK = 50_000;

/**
 * Replays each task's bronze rows through its detector, then moves its watermark to the furthest
 * idle floor an output recorded; each output is given what it lacks.
 */
export async function rebuildTasks(bronze: IcebergTable, byId: ReadonlyMap<TaskId, StreamTask>, outputs: StreamOutputs): Promise<Counts> {
  const caughtUp: Counts = { alertEvents: 0, lateEvents: 0, published: 0 };
  const tasks = [...byId.values()];
  let changes: EmittedChange[] = [];
  let late: PositionedLateEvent[] = [];
  const collect = (task: StreamTask, position: StreamPosition, produced: readonly PositionedChange['change'][], cause: RecordPosition | null): void => {
    for (const change of produced) changes.push({ change, task: task.id, position, cause });
    for (const event of task.detector.drainLate()) late.push({ late: event, task: task.id, position });
  };
  const flush = async (upTo: (task: StreamTask) => StreamPosition): Promise<void> => {
    const positions = new Map(tasks.map((t) => [t.id, upTo(t)]));
    const written = await outputs.catchUp(changes, late, positions);
    caughtUp.alertEvents += written.alertEvents;
    caughtUp.lateEvents += written.lateEvents;
    caughtUp.published += written.published;
    changes = [];
    late = [];
  };
  const outputsBehind = (): boolean => tasks.some((t) => t.behind('alertEvents') || t.behind('lateEvents') || t.behind('topic'));
  const last = Math.max(0, ...tasks.map((t) => t.committed.seq));
  const ids = tasks.map((t) => t.id).join(', ');

  // Each task needs only its rows after the position its state was restored at.
  for (let from = Math.min(...tasks.map((t) => t.restoredFrom.seq)); from < last; from += REBUILD_CHUNK) {
    const to = Math.min(last, from + REBUILD_CHUNK);
    const scan = await bronze.scan({
      filter: [
        { column: 'processed_seq', op: '>', value: from },
        { column: 'processed_seq', op: '<=', value: to },
      ],
    });
    const { rows } = await scan.query(
      `SELECT task, processed_seq AS seq, epoch_ms(watermark_floor) AS floor, topic, log_partition AS partition, log_offset AS "offset", payload
       FROM t WHERE task IN (${ids}) AND processed_seq > ${from} AND processed_seq <= ${to} AND event_type <> '${UNDECODABLE_EVENT_TYPE}'
       ORDER BY task, processed_seq`,
    );
    for (const row of rows) {
      const task = byId.get(Number(row.task)) as StreamTask;
      const seq = Number(row.seq);
      if (seq > task.committed.seq || seq <= task.restoredFrom.seq) continue;
      const detector = task.detector;
      const floor = row.floor === null ? null : Number(row.floor);
      if (floor !== null && floor > (detector.watermarkFloor ?? -Infinity)) {
        collect(task, { seq: seq - 1, floor }, detector.advanceWatermark(floor), null);
      }
      const event = JSON.parse(String(row.payload)) as MarketplaceEvent;
      const cause = { topic: String(row.topic), partition: Number(row.partition), offset: Number(row.offset) };
      collect(task, { seq, floor: detector.watermarkFloor }, detector.process(event), cause);
    }
    if (outputsBehind()) await flush((t) => ({ seq: Math.max(t.restoredFrom.seq, Math.min(to, t.committed.seq)), floor: t.detector.watermarkFloor }));
    else {
      changes = [];
      late = [];
    }
  }
  // An idle advance after a task's last bronze row is recorded only by the outputs it reached.
  for (const task of tasks) {
    const through = task.committed;
    const floors = (['alertEvents', 'lateEvents', 'topic', 'openAlerts'] as const)
      .map((o) => task.outputs[o])
      .filter((p) => p.seq === through.seq && p.floor !== null)
      .map((p) => p.floor ?? -Infinity);
    const floor = Math.max(through.floor ?? -Infinity, ...floors);
    let position: StreamPosition = { seq: through.seq, floor: task.detector.watermarkFloor };
    if (Number.isFinite(floor) && floor > (task.detector.watermarkFloor ?? -Infinity)) {
      position = { seq: through.seq, floor };
      collect(task, position, task.detector.advanceWatermark(floor), null);
    }
    task.committed = position;
    task.detected = position;
  }
  await flush((t) => t.committed);
  if (tasks.some((t) => comparePositions(t.outputs.openAlerts, t.committed) !== 0)) await outputs.writeOpenAlerts(outputs.openAlertsNow());
  return caughtUp;
}

/** The checkpoint policy of the options, checked: null for none. */
export function checkedPolicy(policy: CheckpointPolicy | null | undefined): CheckpointPolicy | null {
  if (policy === null) return null;
  if (policy === undefined) return DEFAULT_CHECKPOINT_POLICY;
  for (const [name, value] of Object.entries(policy)) {
    if (typeof value !== 'number' || !(value > 0)) {
      throw new StreamError('OP_STREAM_BAD_CHECKPOINT_POLICY', `checkpoint.${name} must be a number > 0, got ${String(value)}`, { details: { setting: name, value: String(value) } });
    }
  }
  return policy;
}

/**
 * Per task, the furthest position published on the alerts topic: the last record of partition p
 * is task p's (the topic has the input's partition count, and an alert is keyed by its order).
 */
export async function publishedPositions(log: EventLog, codec: AlertCodec, partitions: number): Promise<Map<TaskId, StreamPosition>> {
  const [topic] = await log.describeTopics([ALERTS_TOPIC]);
  const found = new Map<TaskId, StreamPosition>();
  if (topic === undefined) return found;
  if (topic.partitions !== partitions) {
    throw new StreamError(
      'OP_STREAM_NOT_COPARTITIONED',
      `topic ${ALERTS_TOPIC} has ${topic.partitions} partitions but the input topics have ${partitions}: each task publishes to its own partition`,
      { details: { topic: ALERTS_TOPIC, partitions: topic.partitions, input: partitions } },
    );
  }
  for (let partition = 0; partition < topic.partitions; partition++) {
    const end = topic.endOffsets[partition] ?? 0;
    if (end <= (topic.beginningOffsets[partition] ?? 0)) continue;
    const [record] = await log.fetch({ topic: ALERTS_TOPIC, partition, offset: end - 1, maxRecords: 1 });
    if (record === undefined) continue;
    const { task, position } = await codec.decode(record.value, record);
    const previous = found.get(task);
    if (previous === undefined || comparePositions(position, previous) > 0) found.set(task, position);
  }
  return found;
}
