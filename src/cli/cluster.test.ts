/**
 * Cluster mode end to end, through the `orderpulse` command as a user runs it: the bundled sample
 * replayed into a real Kafka cluster with its schemas in a real Confluent-compatible registry, then
 * two stream processes sharing the tasks, writing Iceberg tables to S3 with a PostgreSQL catalog.
 * The outcome must equal an embedded run of the same sample: the processor is deterministic per
 * task, and Kafka places every key on the same partition as the embedded log.
 *
 * Runs when the Kafka, registry, S3 and PostgreSQL test variables are all set
 * (scripts/services/up.sh exports them); otherwise skipped with the reason, unless
 * ORDERPULSE_REQUIRE_CLUSTER=1 (as in CI) makes their absence a failure.
 *
 * The topics and subjects of cluster mode have fixed names (`orders`, `orders-value`, ...), so the
 * test starts by deleting those it finds on the test cluster: a rerun then starts from nothing, as
 * the first run did, rather than resuming on the previous run's topics (which also hold its alerts,
 * and the processor would take those as already published). The catalog gets a database of its own
 * and the warehouse a prefix of its own; both are removed at the end.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Admin } from '@platformatic/kafka';
import pg from 'pg';
import { JOBS } from '../batch/index.js';
import { TOPIC_NAMES, subjectOf } from '../events/index.js';
import type { Lake } from '../lake/index.js';
import { ALERTS_TOPIC, ALERT_EVENTS_TABLE, AlertCodec, BRONZE_EVENTS_TABLE, LATE_EVENTS_TABLE, OPEN_ALERTS_TABLE } from '../stream/index.js';
import { repoRoot, tempDir } from '../testing/fixtures.js';
import { testKafkaBrokers } from '../testing/kafka.js';
import { prometheusSkip, startPrometheus, untilAllAnswer, writePrometheusConfig } from '../testing/prometheus.js';
import { buildDashboard, isKafkaExpression, panelExpressions } from '../../monitoring/grafana/dashboard.js';
import { ADDED_REQUIRED_FIELD, incompatibleOrdersSchemaDir } from '../testing/schema-dirs.js';
import type { Runtime, Settings } from '../deploy/index.js';
import { DEFAULTS, STORE_FILE, openRuntime, registerTopicSchemas, resolveSettings, schemasToRegister } from '../deploy/index.js';

const variable = (name: string): string | undefined => {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
};
const VARIABLES = [
  'ORDERPULSE_TEST_KAFKA_BROKERS',
  'ORDERPULSE_TEST_REGISTRY_URL',
  'ORDERPULSE_TEST_S3_ENDPOINT',
  'ORDERPULSE_TEST_S3_ACCESS_KEY',
  'ORDERPULSE_TEST_S3_SECRET_KEY',
  'ORDERPULSE_TEST_POSTGRES_URL',
] as const;
const missing = VARIABLES.filter((name) => variable(name) === undefined);
const required = process.env['ORDERPULSE_REQUIRE_CLUSTER'] === '1';
const skip =
  missing.length === 0 || required
    ? false
    : `${missing.join(', ')} not set: run \`eval "$(scripts/services/up.sh)"\` (Kafka, a schema registry, S3 and PostgreSQL; or set the variables for your own) to run the cluster-mode test`;

const brokers = testKafkaBrokers();
const registryUrl = variable('ORDERPULSE_TEST_REGISTRY_URL') ?? '';
const s3Endpoint = variable('ORDERPULSE_TEST_S3_ENDPOINT') ?? '';
const bucket = variable('ORDERPULSE_TEST_S3_BUCKET') ?? 'orderpulse-test';
const s3Credentials = {
  AWS_ACCESS_KEY_ID: variable('ORDERPULSE_TEST_S3_ACCESS_KEY') ?? '',
  AWS_SECRET_ACCESS_KEY: variable('ORDERPULSE_TEST_S3_SECRET_KEY') ?? '',
};
const postgresUrl = variable('ORDERPULSE_TEST_POSTGRES_URL') ?? '';
/** The brokers' metrics exporters (scripts/services/up.sh exports them), for the Kafka panels. */
const kafkaMetrics = (variable('ORDERPULSE_TEST_KAFKA_METRICS') ?? '').split(',').filter((t) => t !== '');
const prometheusMissing = prometheusSkip();
const kafkaPanelsSkip =
  prometheusMissing !== false
    ? prometheusMissing
    : kafkaMetrics.length === 0 && !required
      ? 'ORDERPULSE_TEST_KAFKA_METRICS not set: the brokers of scripts/services/up.sh serve their metrics; set it to check the Kafka panels'
      : false;
/** As many replicas as the cluster lists brokers, up to 3 (a one-node test cluster takes 1). */
const replicas = String(Math.min(3, Math.max(1, brokers.length)));

const CLI = join(repoRoot, 'bin', 'orderpulse.js');
const tag = randomBytes(4).toString('hex');
/** Everything cluster mode names on the shared peers: topics and subjects. */
const CLUSTER_TOPICS = [...TOPIC_NAMES, ALERTS_TOPIC];

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/**
 * The children's environment: the test's own ORDERPULSE_* variables are left out, so only the
 * flags configure them; S3 credentials go in the AWS variables, as a user would set them.
 */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('ORDERPULSE_') && !name.startsWith('AWS_')) env[name] = value;
  return { ...env, ...extra };
}

function orderpulse(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

function succeeded(run: CliRun, what: string): CliRun {
  assert.equal(run.code, 0, `${what} exited with ${run.code}: ${run.stderr}`);
  return run;
}

/** The last line of a command's stdout, as JSON (`--json` summaries). */
function jsonOf<T>(run: CliRun): T {
  return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? 'null') as T;
}

async function withAdmin<T>(body: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin({ clientId: `orderpulse-cluster-test-${tag}`, bootstrapBrokers: brokers });
  try {
    return await body(admin);
  } finally {
    await admin.close();
  }
}

/** Deletes cluster mode's topics from the test cluster and waits until the cluster no longer lists them. */
async function deleteClusterTopics(): Promise<void> {
  await withAdmin(async (admin) => {
    const present = (await admin.listTopics()).filter((t) => CLUSTER_TOPICS.includes(t));
    if (present.length > 0) await admin.deleteTopics({ topics: present });
    // Deletion is asynchronous: a topic created again too soon would meet the old one.
    for (let attempt = 1; ; attempt++) {
      const left = (await admin.listTopics()).filter((t) => CLUSTER_TOPICS.includes(t));
      if (left.length === 0) return;
      assert.ok(attempt < 600, `topics ${left.join(', ')} still listed after deleting them`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
}

/** Deletes cluster mode's subjects from the test registry (soft, then permanently); a missing one is fine. */
async function deleteClusterSubjects(): Promise<void> {
  const base = registryUrl.replace(/\/+$/, '');
  for (const subject of CLUSTER_TOPICS.map(subjectOf)) {
    for (const query of ['', '?permanent=true']) {
      const response = await fetch(`${base}/subjects/${encodeURIComponent(subject)}${query}`, { method: 'DELETE' });
      const text = await response.text();
      assert.ok(response.ok || response.status === 404, `DELETE ${subject}${query}: HTTP ${response.status} ${text}`);
    }
  }
}

async function withPostgres<T>(body: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

type Rows = string[];

/** Rows as JSON lines, in the order of the query (bigints as numbers: every value here fits). */
async function rowsOf(lake: Lake, table: string, sql: string): Promise<Rows> {
  const scan = await (await lake.table(table)).scan();
  return (await scan.query(sql)).rows.map((r) => JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)));
}

/** gold.alert_events with its instants in epoch milliseconds, as the alerts topic carries them. */
const ALERT_EVENT_COLUMNS =
  'change, alert_id, order_id, rule, state, epoch_ms(opened_at) AS opened_at, epoch_ms(updated_at) AS updated_at, ' +
  'epoch_ms(deadline) AS deadline, overdue_ms, days_late, priority, order_value_cents, level, reason, sequence, ' +
  'epoch_ms(watermark) AS watermark, task, processed_seq, epoch_ms(watermark_floor) AS watermark_floor';

interface Outcome {
  readonly bronzeRows: number;
  readonly positions: Rows;
  readonly alertEvents: Rows;
  readonly openAlerts: Rows;
  readonly lateEvents: Rows;
}

async function outcomeOf(runtime: Runtime): Promise<Outcome> {
  const lake = await runtime.lake();
  const [count] = await rowsOf(lake, BRONZE_EVENTS_TABLE, 'SELECT count(*) AS n FROM t');
  return {
    bronzeRows: (JSON.parse(count ?? '{}') as { n: number }).n,
    positions: (await rowsOf(lake, BRONZE_EVENTS_TABLE, 'SELECT task, processed_seq, topic, log_partition, log_offset FROM t')).sort(),
    alertEvents: (await rowsOf(lake, ALERT_EVENTS_TABLE, `SELECT ${ALERT_EVENT_COLUMNS} FROM t`)).sort(),
    openAlerts: (await rowsOf(lake, OPEN_ALERTS_TABLE, 'SELECT * FROM t')).sort(),
    lateEvents: (await rowsOf(lake, LATE_EVENTS_TABLE, 'SELECT * FROM t')).sort(),
  };
}

/** Every record of the alerts topic, decoded, as the row gold.alert_events holds for it. */
async function alertsTopicOf(runtime: Runtime): Promise<Rows> {
  const codec = await AlertCodec.open(runtime.registry, { registerSchemas: false });
  const [topic] = await runtime.log.describeTopics([ALERTS_TOPIC]);
  assert.ok(topic !== undefined, `no ${ALERTS_TOPIC} topic on ${runtime.logLocation}`);
  const rows: Rows = [];
  for (let partition = 0; partition < topic.partitions; partition++) {
    for (let offset = topic.beginningOffsets[partition] ?? 0; offset < (topic.endOffsets[partition] ?? 0); ) {
      const records = await runtime.log.fetch({ topic: ALERTS_TOPIC, partition, offset, maxRecords: 5_000 });
      assert.ok(records.length > 0, `${ALERTS_TOPIC}/${partition}: nothing to read at offset ${offset}, before the end offset`);
      for (const record of records) {
        const { change, task, position } = await codec.decode(record.value, record);
        assert.equal(task, partition, `${ALERTS_TOPIC}/${partition} offset ${record.offset}: task ${task}'s alert on another task's partition`);
        const a = change.alert;
        rows.push(
          JSON.stringify({
            change: change.kind,
            alert_id: a.alertId,
            order_id: a.orderId,
            rule: a.rule,
            state: a.state,
            opened_at: a.openedAt,
            updated_at: a.updatedAt,
            deadline: a.deadline,
            overdue_ms: a.overdueMs,
            days_late: a.daysLate,
            priority: a.priority,
            order_value_cents: a.orderValueCents,
            level: a.level,
            reason: a.reason,
            sequence: a.sequence,
            watermark: change.watermark,
            task,
            processed_seq: position.seq,
            watermark_floor: position.floor,
          }),
        );
      }
      offset = (records.at(-1)?.offset ?? offset) + 1;
    }
  }
  return rows.sort();
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

describe('cluster mode: Kafka, a schema registry, an S3 warehouse and a PostgreSQL catalog', { skip }, () => {
  const dir = tempDir('orderpulse-cluster-');
  const database = `orderpulse_cluster_${tag}`;
  const prefix = `cluster-${tag}`;
  const clusterState = join(dir.path, 'cluster-state');
  const embeddedState = join(dir.path, 'embedded-state');
  let catalog = '';
  let clusterFlags: string[] = [];
  let clusterSettings: Settings = DEFAULTS;
  const env = childEnv({ ...s3Credentials, ORDERPULSE_KAFKA_REPLICAS: replicas });
  let databaseCreated = false;
  let groupDatabaseCreated = false;
  /** The embedded run's tables, which every cluster run must reproduce. */
  let reference: Outcome | null = null;

  before(async () => {
    assert.deepEqual(missing, [], `ORDERPULSE_REQUIRE_CLUSTER=1 but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set`);
    await deleteClusterTopics();
    await deleteClusterSubjects();
    await withPostgres((client) => client.query(`CREATE DATABASE ${database}`));
    databaseCreated = true;
    const url = new URL(postgresUrl);
    url.pathname = `/${database}`;
    catalog = url.href;
    clusterFlags = [
      '--state', clusterState,
      '--kafka', brokers.join(','),
      '--registry', registryUrl,
      '--warehouse', `s3://${bucket}/${prefix}`,
      '--catalog', catalog,
      '--s3-endpoint', s3Endpoint,
      '--s3-region', 'us-east-1',
    ];
    // The same settings the flags give the children, for reading what they wrote.
    clusterSettings = {
      ...resolveSettings({
        flags: { state: clusterState, kafka: brokers.join(','), registry: registryUrl, warehouse: `s3://${bucket}/${prefix}`, catalog, s3Endpoint },
        env: {},
        cwd: repoRoot,
      }).settings,
      kafkaReplicas: Number(replicas),
    };
  });

  after(async () => {
    try {
      if (clusterFlags.length > 0) {
        // The warehouse prefix, through the lake's own storage client.
        const runtime = openRuntime(clusterSettings, { env: s3Credentials });
        try {
          const lake = await runtime.lake();
          for (const warehouse of [`s3://${bucket}/${prefix}/`, `s3://${bucket}/${prefix}-group/`]) {
            for await (const file of lake.io.list(warehouse)) await lake.io.delete(file.location);
          }
        } finally {
          await runtime.close();
        }
      }
      if (databaseCreated) await withPostgres((client) => client.query(`DROP DATABASE IF EXISTS ${database}`));
      if (groupDatabaseCreated) await withPostgres((client) => client.query(`DROP DATABASE IF EXISTS ${database}_group`));
    } finally {
      dir.remove();
    }
  });

  it('refuses to write before the schemas are registered, and says to register them', async () => {
    const run = await orderpulse([...clusterFlags, 'replay', '--partitions', '3', '--quiet'], env);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /not registered under subject orders-value in the rest registry; run `orderpulse schemas register` first \[OP_EVENTS_SCHEMA_NOT_REGISTERED\]/);
  });

  it('registers every schema, alerts-value included, and lists them', async () => {
    const registered = jsonOf<{ registry: string; registered: { subject: string; compatibility: string }[] }>(
      succeeded(await orderpulse([...clusterFlags, 'schemas', 'register', '--json'], env), 'schemas register'),
    );
    assert.equal(registered.registry, 'rest');
    assert.deepEqual(
      registered.registered.map((r) => [r.subject, r.compatibility]),
      CLUSTER_TOPICS.map((t) => [subjectOf(t), 'BACKWARD']),
    );
    const listed = jsonOf<{ subjects: { subject: string; versions: number[] }[] }>(
      succeeded(await orderpulse([...clusterFlags, 'schemas', 'list', '--json'], env), 'schemas list'),
    );
    for (const topic of CLUSTER_TOPICS) {
      assert.deepEqual(listed.subjects.find((s) => s.subject === subjectOf(topic))?.versions, [1], `${subjectOf(topic)} has one version`);
    }
  });

  it('the registry refuses an incompatible schema, naming the subject and the reason, and keeps the registered one', async () => {
    // Tested through the function `schemas register` runs: the command always registers the
    // schemas OrderPulse writes with, so a flag for another directory would exist only for this test.
    const runtime = openRuntime(clusterSettings, { env: s3Credentials });
    try {
      const schemas = schemasToRegister(incompatibleOrdersSchemaDir(join(dir.path, 'schemas-v2')));
      await assert.rejects(registerTopicSchemas(runtime.registry, schemas), (e: Error & { code?: string; details?: Record<string, unknown> }) => {
        assert.equal(e.code, 'OP_EVENTS_INCOMPATIBLE_SCHEMA');
        assert.match(e.message, /schema refused for subject "orders-value" by the schema registry at .*: it breaks compatibility level BACKWARD: /);
        assert.ok(e.message.includes(ADDED_REQUIRED_FIELD), `the reason names the field: ${e.message}`);
        assert.equal(e.details?.['subject'], 'orders-value');
        return true;
      });
      assert.deepEqual(await runtime.registry.versions('orders-value'), [1]);
    } finally {
      await runtime.close();
    }
  });

  it('two stream processes sharing the tasks end with the tables of an embedded run, and the alerts topic holds exactly gold.alert_events', async (t) => {
    const replay = succeeded(await orderpulse([...clusterFlags, 'replay', '--partitions', '3', '--quiet', '--json'], env), 'replay into Kafka');
    const clusterReplay = jsonOf<{ appended: number; byTopic: Record<string, number> }>(replay);
    assert.ok(clusterReplay.appended > 80_000, `replayed ${clusterReplay.appended} events`);

    const stream = (tasks: string): Promise<CliRun> =>
      orderpulse([...clusterFlags, 'stream', '--until-idle', '--idle-after', '0', '--tasks', tasks, '--quiet', '--json'], env);
    const streamsStarted = performance.now();
    const [first, second] = await Promise.all([stream('0'), stream('1,2')]);
    const streamsMs = performance.now() - streamsStarted;
    succeeded(first, 'stream --tasks 0');
    succeeded(second, 'stream --tasks 1,2');
    assert.equal(existsSync(join(clusterState, STORE_FILE)), false, 'cluster mode opened no embedded store');

    const embeddedEnv = childEnv({});
    const embeddedReplay = succeeded(await orderpulse(['--state', embeddedState, 'replay', '--partitions', '3', '--quiet', '--json'], embeddedEnv), 'embedded replay');
    assert.deepEqual(jsonOf<{ byTopic: unknown }>(embeddedReplay).byTopic, clusterReplay.byTopic);
    const embeddedStream = succeeded(
      await orderpulse(['--state', embeddedState, 'stream', '--until-idle', '--idle-after', '0', '--quiet', '--json'], embeddedEnv),
      'embedded stream',
    );

    const cluster = openRuntime(clusterSettings, { env: s3Credentials });
    const embedded = openRuntime({ ...DEFAULTS, state: embeddedState });
    try {
      assert.equal(cluster.log.kind, 'kafka');
      assert.equal(cluster.registry.kind, 'rest');
      const [actual, expected] = [await outcomeOf(cluster), await outcomeOf(embedded)];
      reference = expected;
      assert.equal(actual.bronzeRows, (clusterReplay.byTopic['orders'] ?? 0) + (clusterReplay.byTopic['reviews'] ?? 0), 'bronze holds every order and review event once');
      assert.equal(actual.bronzeRows, expected.bronzeRows, 'bronze rows');
      assert.ok(expected.alertEvents.length > 10_000, `the embedded run raised ${expected.alertEvents.length} alert changes`);
      for (const part of ['positions', 'alertEvents', 'openAlerts', 'lateEvents'] as const) {
        assert.equal(actual[part].length, expected[part].length, `${part}: row count`);
        assert.deepEqual(actual[part], expected[part], part);
      }
      const topic = await alertsTopicOf(cluster);
      assert.equal(topic.length, actual.alertEvents.length, 'alerts topic records');
      assert.deepEqual(topic, actual.alertEvents, 'the alerts topic holds exactly gold.alert_events');

      t.diagnostic(
        `replay into Kafka ${seconds(replay.ms)}; two stream processes side by side ${seconds(streamsMs)} ` +
          `(tasks 0: ${seconds(first.ms)}, tasks 1,2: ${seconds(second.ms)}); embedded replay ${seconds(embeddedReplay.ms)}, embedded stream ${seconds(embeddedStream.ms)}`,
      );
    } finally {
      await cluster.close();
      await embedded.close();
    }
  });
  it('Prometheus scrapes every broker, and every query of the dashboard\'s Kafka panels returns data', { skip: kafkaPanelsSkip }, async (t) => {
    assert.notEqual(reference, null, 'the cluster replay and streams ran (the test before this one): the topics have traffic');
    assert.equal(kafkaMetrics.length, brokers.length, `one metrics endpoint per broker: ${kafkaMetrics.join(',')} for ${brokers.join(',')}`);
    const started = performance.now();
    const prometheus = await startPrometheus(writePrometheusConfig(join(dir.path, 'prometheus'), { kafka: kafkaMetrics }));
    try {
      const expressions = panelExpressions(buildDashboard()).filter((e) => isKafkaExpression(e.expr));
      assert.ok(expressions.length >= 6, `${expressions.length} Kafka queries`);
      const { downTargets, empty } = await untilAllAnswer(prometheus.url, expressions);
      assert.deepEqual(downTargets, [], 'every broker target is up');
      assert.deepEqual(empty, [], 'every Kafka panel query returns data');
      t.diagnostic(`${expressions.length} Kafka queries answered ${seconds(performance.now() - started)} after starting Prometheus`);
    } finally {
      await prometheus.stop();
    }
  });

  it('the batch layer on the S3 warehouse and the PostgreSQL catalog writes the silver and gold tables of the embedded run', async () => {
    assert.notEqual(reference, null, 'the embedded and cluster streams ran (the test before this one)');
    const runs = await Promise.all([
      orderpulse([...clusterFlags, 'batch', 'run', '--json'], env),
      orderpulse(['--state', embeddedState, 'batch', 'run', '--json'], childEnv({})),
    ]);
    const [clusterRun, embeddedRun] = runs.map((r, i) => jsonOf<{ jobs: { job: string; outcome: string }[] }>(succeeded(r, i === 0 ? 'cluster batch run' : 'embedded batch run')));
    assert.deepEqual(clusterRun?.jobs.map((j) => [j.job, j.outcome]), JOBS.map((j) => [j.name, 'written']));
    assert.deepEqual(embeddedRun?.jobs.map((j) => [j.job, j.outcome]), JOBS.map((j) => [j.name, 'written']));
    const cluster = openRuntime(clusterSettings, { env: s3Credentials });
    const embedded = openRuntime({ ...DEFAULTS, state: embeddedState });
    try {
      const [clusterLake, embeddedLake] = [await cluster.lake(), await embedded.lake()];
      for (const job of JOBS) {
        const [actual, expected] = [await rowsOf(clusterLake, job.name, 'SELECT * FROM t ORDER BY ALL'), await rowsOf(embeddedLake, job.name, 'SELECT * FROM t ORDER BY ALL')];
        assert.ok(job.name === 'silver.rejects' || expected.length > 0, `${job.name} has rows`);
        assert.equal(actual.length, expected.length, `${job.name}: row count`);
        assert.deepEqual(actual, expected, job.name);
      }
    } finally {
      await cluster.close();
      await embedded.close();
    }
  });

  it('a stream process killed with SIGKILL in a consumer group: the other member takes its tasks over, and the tables are still those of the embedded run', async (t) => {
    assert.ok(reference !== null, 'the previous test left the embedded reference');
    const expected = reference;
    // A fresh lake (its own PostgreSQL database and S3 prefix) over the log the previous test replayed.
    await withPostgres((client) => client.query(`CREATE DATABASE ${database}_group`));
    groupDatabaseCreated = true;
    const url = new URL(catalog);
    url.pathname = `/${database}_group`;
    const warehouse = `s3://${bucket}/${prefix}-group`;
    const flags = clusterFlags.map((f) => (f === catalog ? url.href : f.startsWith(`s3://${bucket}/`) ? warehouse : f));
    const member = () => {
      const child = spawn(process.execPath, [CLI, ...flags, 'stream', '--group', `stream-${tag}`, '--max-batch', '2000', '--idle-after', '0'], {
        cwd: repoRoot,
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let batches = 0;
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (text: string) => {
        stderr += text;
        batches += text.split('\n').filter((l) => l.startsWith('batch')).length;
      });
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      return { child, exited, batches: () => batches, stderr: () => stderr };
    };
    const started = performance.now();
    const victim = member();
    const survivor = member();
    // Kill the victim once both have done some work, so it dies holding tasks of its own.
    while (victim.batches() < 3 || survivor.batches() < 1) {
      assert.equal(victim.child.exitCode, null, `the victim ended early: ${victim.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    victim.child.kill('SIGKILL');
    await victim.exited;
    const killedAt = performance.now();

    // The survivor cannot know when the work is done: stop it once the lake holds all of it (or,
    // as a guard against a hang, after five minutes without progress).
    const settings = { ...clusterSettings, catalog: url.href, warehouse };
    let last = '';
    let progressAt = Date.now();
    for (;;) {
      const runtime = openRuntime(settings, { env: s3Credentials });
      let now: Outcome | null = null;
      try {
        const lake = await runtime.lake();
        if ((await lake.tableExists(ALERT_EVENTS_TABLE)) && (await lake.tableExists(BRONZE_EVENTS_TABLE))) now = await outcomeOf(runtime);
      } finally {
        await runtime.close();
      }
      if (now !== null && now.bronzeRows === expected.bronzeRows && now.alertEvents.length === expected.alertEvents.length) break;
      const state = now === null ? '' : `${now.bronzeRows}/${now.alertEvents.length}`;
      if (state !== last) progressAt = Date.now();
      assert.ok(Date.now() - progressAt < 300_000, `no progress for five minutes at ${state}: ${survivor.stderr()}`);
      last = state;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    survivor.child.kill('SIGTERM');
    assert.equal(await survivor.exited, 0, survivor.stderr());
    assert.match(survivor.stderr(), /group stream-\S+: running tasks 0, 1, 2/, 'the survivor ended with every task');

    const runtime = openRuntime(settings, { env: s3Credentials });
    try {
      const actual = await outcomeOf(runtime);
      for (const part of ['positions', 'alertEvents', 'openAlerts', 'lateEvents'] as const) {
        assert.equal(actual[part].length, expected[part].length, `${part}: row count`);
        assert.deepEqual(actual[part], expected[part], part);
      }
    } finally {
      await runtime.close();
    }
    t.diagnostic(`killed after ${seconds(killedAt - started)}; the survivor finished ${seconds(performance.now() - killedAt)} later`);
  });
});
