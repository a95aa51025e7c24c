import type { IcebergTable } from '../lake/index.js';
import type { EventLog, TopicDescription } from '../log/index.js';
import type { CheckpointPolicy } from './checkpoint.js';
import type { CheckpointLoad } from './checkpoint-store.js';
import { loadCheckpoint, removeStaleCheckpoints } from './checkpoint-store.js';
import { StreamError } from './errors.js';
import type { EndOffsets } from './merge.js';
import { LogMerger, partitionKey } from './merge.js';
import type { StreamProcessorOptions } from './processor-types.js';
import type { StreamPosition, TaskId } from './tables.js';
import {
  ALERT_EVENTS_TABLE,
  BRONZE_EVENTS_TABLE,
  LATE_EVENTS_TABLE,
  OPEN_ALERTS_TABLE,
  START_POSITION,
  offsetsProperty,
  parsePosition,
  positionProperty,
} from './tables.js';
import type { FencedTable } from './task.js';
import { StreamTask, startPositions } from './task.js';
import type { GradeWeight } from './types.js';
import type { RiskSource } from './detector.js';
import { streamConfig } from './types.js';

/**
 * Opening a processor: its input checked, and each of its tasks set up where the lake says it
 * stands — bronze's position and log offsets, each output's recorded position, the newest
 * checkpoint of its state. (Replaying what follows the checkpoint is `recovery.ts`.)
 */

/** The input topics, checked: they exist and are co-partitioned; the tasks are partition numbers. */
export async function describeInput(
  log: EventLog,
  topics: readonly string[],
  wanted: readonly TaskId[] | undefined,
): Promise<{ readonly described: readonly TopicDescription[]; readonly partitions: number; readonly taskIds: readonly TaskId[] }> {
  const options = { tasks: wanted };
  const described = (await log.describeTopics()).filter((d) => topics.includes(d.name));
  const missing = topics.filter((t) => !described.some((d) => d.name === t));
  if (missing.length > 0) {
    throw new StreamError('OP_STREAM_NO_INPUT', `the ${log.kind} log has no topic ${missing.join(', ')}: replay into it first (orderpulse replay)`, {
      details: { topics: missing },
    });
  }
  const partitions = described[0]?.partitions ?? 0;
  if (described.some((d) => d.partitions !== partitions)) {
    throw new StreamError(
      'OP_STREAM_NOT_COPARTITIONED',
      `the input topics must have the same number of partitions (an order's events share a partition number): ${described.map((d) => `${d.name} has ${d.partitions}`).join(', ')}`,
      { details: { topics: described.map((d) => ({ topic: d.name, partitions: d.partitions })) } },
    );
  }
  const taskIds = [...new Set(options.tasks ?? Array.from({ length: partitions }, (_, p) => p))].sort((a, b) => a - b);
  const wrong = taskIds.filter((t) => !Number.isInteger(t) || t < 0 || t >= partitions);
  if (wrong.length > 0 || taskIds.length === 0) {
    throw new StreamError('OP_STREAM_BAD_TASKS', `tasks must be partition numbers from 0 to ${partitions - 1}, got ${JSON.stringify(options.tasks)}`, {
      details: { tasks: options.tasks, partitions },
    });
  }
  return { described, partitions, taskIds };
}

/** Each task, its merged input positioned at bronze's offsets and its detector restored from its checkpoint when usable. */
export async function openTasks(init: {
  readonly options: StreamProcessorOptions;
  readonly tables: { readonly bronze: IcebergTable; readonly alertEvents: IcebergTable; readonly lateEvents: IcebergTable; readonly openAlerts: IcebergTable };
  readonly described: readonly TopicDescription[];
  readonly taskIds: readonly TaskId[];
  readonly endOffsets: EndOffsets;
  readonly gradeWeight: GradeWeight;
  readonly risk: RiskSource | null;
  readonly checkpointPolicy: CheckpointPolicy | null;
  /** Per task, the furthest position on the alerts topic; null when not publishing. */
  readonly published: ReadonlyMap<TaskId, StreamPosition> | null;
}): Promise<{ readonly tasks: Map<TaskId, StreamTask>; readonly loads: ReadonlyMap<TaskId, CheckpointLoad> }> {
  const { options, described, taskIds, endOffsets, gradeWeight, risk, checkpointPolicy, published } = init;
  const { bronze, alertEvents, lateEvents, openAlerts } = init.tables;
  const { lake, log } = options;
  const recorded = (table: IcebergTable, name: string, task: TaskId): StreamPosition =>
    parsePosition(table.lastSummaryValue(positionProperty(task)), name) ?? START_POSITION;
  const texts = (task: TaskId): Record<FencedTable, string | null> => ({
    bronze: bronze.lastSummaryValue(positionProperty(task)),
    alertEvents: alertEvents.lastSummaryValue(positionProperty(task)),
    lateEvents: lateEvents.lastSummaryValue(positionProperty(task)),
    openAlerts: openAlerts.lastSummaryValue(positionProperty(task)),
  });
  const tasks = new Map<TaskId, StreamTask>();
  const config = streamConfig(options.config ?? {});
  const loads = new Map<TaskId, CheckpointLoad>(
    await Promise.all(
      taskIds.map(async (id): Promise<[TaskId, CheckpointLoad]> => [
        id,
        checkpointPolicy === null ? { kind: 'none' } : await loadCheckpoint(lake.io, bronze, id, recorded(bronze, BRONZE_EVENTS_TABLE, id), config),
      ]),
    ),
  );
  if (checkpointPolicy !== null) {
    // File times are the wall clock's, whatever clock the processor runs on.
    const now = Date.now();
    await Promise.all(taskIds.map((id) => removeStaleCheckpoints(lake.io, lake.warehouse, bronze, id, now)));
  }
  for (const id of taskIds) {
    const text = bronze.lastSummaryValue(offsetsProperty(id));
    const offsets = text === null ? {} : (JSON.parse(text) as Record<string, number>);
    const committed = recorded(bronze, BRONZE_EVENTS_TABLE, id);
    const load = loads.get(id);
    const outputs = startPositions();
    outputs.alertEvents = recorded(alertEvents, ALERT_EVENTS_TABLE, id);
    outputs.lateEvents = recorded(lateEvents, LATE_EVENTS_TABLE, id);
    outputs.openAlerts = recorded(openAlerts, OPEN_ALERTS_TABLE, id);
    outputs.topic = published === null ? committed : (published.get(id) ?? START_POSITION);
    const merger = new LogMerger({
      log,
      endOffsets,
      codec: options.codec,
      partitions: described.map((d) => ({ topic: d.name, partition: id, offset: offsets[partitionKey(d.name, id)] ?? d.beginningOffsets[id] ?? 0 })),
      ...(options.fetchSize === undefined ? {} : { fetchSize: options.fetchSize }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    tasks.set(
      id,
      new StreamTask({
        id,
        merger,
        config,
        detectorOptions: { gradeWeight, risk },
        committed,
        outputs,
        recorded: texts(id),
        now: (options.now ?? Date.now)(),
        ...(load?.kind === 'restored' ? { restored: load } : {}),
      }),
    );
  }
  return { tasks, loads };
}
