/**
 * Apache Spark (3.5, with Iceberg's Spark runtime) as a referee of the lake: a client of
 * `scripts/referee/spark_referee.py`, one long-lived Python process holding one Spark session,
 * spoken to in JSON lines. Start it once per test file (the JVM takes seconds to start), open the
 * lake's catalog in it, then ask for Spark SQL answers or equality deletes.
 *
 * What it needs, installed by `scripts/services/spark.sh`: PySpark 3.5 for python3 (or
 * ORDERPULSE_PYTHON) and the jars it fetches, found in ORDERPULSE_SPARK_JARS or the services
 * folder's `spark/jars`. Suites skip with the reason when something is missing, unless
 * ORDERPULSE_REQUIRE_SPARK=1 (as in CI), where the absence is a failure.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from './fixtures.js';

/** A value as the referee renders it (see the script's docstring: 64-bit ids beyond 2^53 as text, timestamps as ISO text to the microsecond). */
export type SparkValue = null | boolean | number | string | readonly SparkValue[] | { readonly [key: string]: SparkValue };

export interface SparkResult {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly SparkValue[])[];
}

export interface SparkCatalog {
  /** A JDBC URL: `jdbc:sqlite:/abs/orderpulse.db` or `jdbc:postgresql://host:port/db`. */
  readonly uri: string;
  /** `file:/abs/warehouse` or `s3://bucket/prefix`. */
  readonly warehouse: string;
  /** More Iceberg catalog properties (`io-impl`, `s3.endpoint`, `jdbc.user`, ...). */
  readonly properties?: Readonly<Record<string, string>>;
}

export interface EqualityDeleteResult {
  /** The snapshot the row delta committed, as decimal text (Spark's ids pass 2^53). */
  readonly snapshotId: string;
  readonly file: string;
  readonly records: number;
}

const python = process.env.ORDERPULSE_PYTHON ?? 'python3';
const script = join(repoRoot, 'scripts', 'referee', 'spark_referee.py');

/** Where scripts/services/spark.sh puts the jars. */
export function sparkJarsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.ORDERPULSE_SPARK_JARS ?? join(env.ORDERPULSE_SERVICES_DIR ?? join(repoRoot, '.services'), 'spark', 'jars');
}

/** Why the referee cannot run here, or null when it can. */
export function sparkMissing(env: NodeJS.ProcessEnv = process.env): string | null {
  const probe = spawnSync(python, ['-c', 'import pyspark, sys; sys.exit(0 if pyspark.__version__.startswith("3.5.") else 3)'], { encoding: 'utf8' });
  if (probe.error !== undefined) return `${python} does not run (${probe.error.message}); run scripts/services/spark.sh`;
  if (probe.status === 3) return `${python} has a PySpark other than 3.5; run scripts/services/spark.sh`;
  if (probe.status !== 0) return `PySpark is not installed for ${python}; run scripts/services/spark.sh`;
  const jars = sparkJarsDir(env);
  const names = existsSync(jars) ? readdirSync(jars) : [];
  for (const [jar, what] of [
    ['iceberg-spark-runtime-3.5_2.12-', "Iceberg's Spark runtime"],
    ['sqlite-jdbc-', 'the SQLite JDBC driver'],
  ] as const) {
    if (!names.some((n) => n.startsWith(jar) && n.endsWith('.jar'))) return `no jar of ${what} in ${jars}; run scripts/services/spark.sh`;
  }
  return null;
}

/** True when suites must run against Spark (CI): a missing referee fails instead of skipping. */
export const sparkRequired = process.env.ORDERPULSE_REQUIRE_SPARK === '1';

/**
 * The `skip` option of a suite that needs Spark: the reason when it is missing and not required;
 * false otherwise (the suite runs, and `SparkReferee.start` fails with the reason when it is missing).
 */
export function sparkSkip(): string | false {
  const missing = sparkMissing();
  return missing !== null && !sparkRequired ? `Spark referee unavailable: ${missing}` : false;
}

interface Pending {
  readonly resolve: (answer: Record<string, unknown>) => void;
  readonly reject: (error: Error) => void;
  readonly what: string;
}

const STDERR_LINES = 40;

export class SparkReferee {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending: Pending[] = [];
  private readonly stderr: string[] = [];
  private exited: string | null = null;
  /** Requests go one at a time: the referee answers in order, and its session is not shared. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.child = child;
    createInterface({ input: child.stdout }).on('line', (line) => this.onAnswer(line));
    createInterface({ input: child.stderr }).on('line', (line) => {
      this.stderr.push(line);
      if (this.stderr.length > STDERR_LINES) this.stderr.shift();
    });
    child.on('exit', (code, signal) => {
      this.exited = `the Spark referee exited (${signal ?? `code ${String(code)}`})`;
      for (const p of this.pending.splice(0)) p.reject(new Error(`${this.exited} while waiting for ${p.what}:\n${this.stderrTail()}`));
    });
    child.on('error', (error) => {
      this.exited = `the Spark referee did not start: ${error.message}`;
      for (const p of this.pending.splice(0)) p.reject(new Error(this.exited));
    });
  }

  /** Starts the referee and waits until its Spark session is up; fails with the reason when Spark is missing. */
  static async start(): Promise<SparkReferee> {
    const missing = sparkMissing();
    if (missing !== null) throw new Error(`Spark referee unavailable: ${missing}`);
    const javaHome = process.env.ORDERPULSE_SPARK_JAVA_HOME;
    const child = spawn(python, [script, '--jars', sparkJarsDir()], {
      env: { ...process.env, ...(javaHome === undefined ? {} : { JAVA_HOME: javaHome }), PYTHONUNBUFFERED: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const referee = new SparkReferee(child);
    await referee.expect('its Spark session to start');
    return referee;
  }

  /** Opens the catalog `orderpulse` on a JDBC store; later requests use it. */
  async open(catalog: SparkCatalog): Promise<void> {
    await this.request({ op: 'open', uri: catalog.uri, warehouse: catalog.warehouse, properties: catalog.properties ?? {} }, `open ${catalog.uri}`);
  }

  /** Runs one Spark SQL statement; tables are `orderpulse.<namespace>.<table>`. */
  async sql(text: string): Promise<SparkResult> {
    const answer = await this.request({ op: 'sql', sql: text }, text);
    return { columns: answer.columns as string[], rows: answer.rows as SparkValue[][] };
  }

  /**
   * Commits one equality delete file to `table` (`namespace.table`, unpartitioned, format v2): the
   * rows whose `columns` equal one of `rows` are deleted (column types int, string, boolean or double).
   */
  async equalityDelete(table: string, columns: readonly string[], rows: readonly (readonly (string | number | boolean)[])[]): Promise<EqualityDeleteResult> {
    const answer = await this.request({ op: 'equality_delete', table, columns, rows }, `equality delete in ${table}`);
    return { snapshotId: String(answer.snapshotId), file: String(answer.file), records: Number(answer.records) };
  }

  /** Stops the Spark session and waits for the process to end. */
  async close(): Promise<void> {
    if (this.exited !== null) return;
    const ended = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end(`${JSON.stringify({ op: 'stop' })}\n`);
    await ended;
  }

  private request(message: Record<string, unknown>, what: string): Promise<Record<string, unknown>> {
    const run = async (): Promise<Record<string, unknown>> => {
      if (this.exited !== null) throw new Error(`${this.exited}; cannot run ${what}`);
      const answer = this.expect(what);
      this.child.stdin.write(`${JSON.stringify(message)}\n`);
      return answer;
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private expect(what: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.pending.push({
        what,
        reject,
        resolve: (answer) => {
          if (answer.ok === true) resolve(answer);
          else reject(new Error(`Spark refused ${what}:\n${String(answer.error)}`));
        },
      });
    });
  }

  private onAnswer(line: string): void {
    const next = this.pending.shift();
    if (next === undefined) return;
    let answer: unknown;
    try {
      answer = JSON.parse(line);
    } catch {
      next.reject(new Error(`the Spark referee answered ${what(line)} to ${next.what}, not JSON`));
      return;
    }
    if (answer === null || typeof answer !== 'object' || Array.isArray(answer)) {
      next.reject(new Error(`the Spark referee answered ${what(line)} to ${next.what}, not an object`));
      return;
    }
    next.resolve(answer as Record<string, unknown>);
  }

  private stderrTail(): string {
    return this.stderr.join('\n');
  }
}

function what(line: string): string {
  return JSON.stringify(line.length > 200 ? `${line.slice(0, 200)}…` : line);
}

/**
 * A value of either engine as the text both are compared in: numbers, booleans and 64-bit integers
 * (number, bigint or decimal text) by their decimal spelling, nested values as JSON, null as null.
 */
export function asText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}
