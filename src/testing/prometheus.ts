/**
 * A real Prometheus for tests: monitoring/prometheus.yml with the test's own targets (written as the
 * file-based discovery files it reads) and a one-second scrape, started by
 * scripts/services/prometheus.sh, and queried over its HTTP API.
 *
 * Tests needing it skip with the reason when `prometheus` or `promtool` is not installed, unless
 * ORDERPULSE_REQUIRE_PROMETHEUS=1 (as in CI) makes its absence a failure.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './fixtures.js';

export const MONITORING_DIR = join(repoRoot, 'monitoring');

/** The scrape jobs of the metrics contract, as monitoring/prometheus.yml names them. */
export const SCRAPE_JOBS = ['orderpulse-server', 'orderpulse-stream', 'orderpulse-replay', 'orderpulse-batch', 'kafka'] as const;
export type ScrapeJob = (typeof SCRAPE_JOBS)[number];

const installed = (command: string): boolean => spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;

/** False when Prometheus and promtool are there (or required); else the reason to skip. */
export function prometheusSkip(): string | false {
  if (process.env['ORDERPULSE_REQUIRE_PROMETHEUS'] === '1') return false;
  const missing = ['prometheus', 'promtool'].filter((c) => !installed(c));
  return missing.length === 0 ? false : `${missing.join(' and ')} not installed (Debian: apt-get install prometheus) to check monitoring/ against a real Prometheus`;
}

/** Runs promtool with arguments from the repository root; its exit code and output. */
export function promtool(args: readonly string[]): { code: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd: repoRoot, encoding: 'utf8' });
  if (run.error !== undefined) throw run.error;
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

/**
 * Writes into `dir` the committed monitoring/prometheus.yml (only its scrape and evaluation
 * intervals set to one second, so a test does not wait minutes for two samples), its rules, and the
 * target files for `targets` (jobs not given get none).
 */
export function writePrometheusConfig(dir: string, targets: Partial<Record<ScrapeJob, readonly string[]>>): string {
  mkdirSync(join(dir, 'targets'), { recursive: true });
  const committed = readFileSync(join(MONITORING_DIR, 'prometheus.yml'), 'utf8');
  let config = committed;
  for (const setting of ['scrape_interval', 'evaluation_interval']) {
    const pattern = new RegExp(`^(  ${setting}:) \\S+$`, 'm');
    if (!pattern.test(config)) throw new Error(`monitoring/prometheus.yml has no global ${setting} line to shorten for the test`);
    config = config.replace(pattern, '$1 1s');
  }
  writeFileSync(join(dir, 'prometheus.yml'), config);
  cpSync(join(MONITORING_DIR, 'rules'), join(dir, 'rules'), { recursive: true });
  for (const job of SCRAPE_JOBS) {
    const list = targets[job] ?? [];
    writeFileSync(join(dir, 'targets', `${job}.yml`), list.length === 0 ? '[]\n' : `- targets: ${JSON.stringify(list)}\n`);
  }
  return join(dir, 'prometheus.yml');
}

export interface RunningPrometheus {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts Prometheus (scripts/services/prometheus.sh) with a configuration; resolves once it is ready. */
export function startPrometheus(config: string): Promise<RunningPrometheus> {
  const child = spawn('bash', [join(repoRoot, 'scripts', 'services', 'prometheus.sh'), config], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => (err += text));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      out += text;
      const url = /ORDERPULSE_PROMETHEUS_URL=(\S+)/.exec(out)?.[1];
      if (url !== undefined) {
        resolve({
          url,
          stop: async () => {
            child.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
    void exited.then(() => reject(new Error(`Prometheus ended before it was ready: ${err}`)));
  });
}

interface ApiAnswer<T> {
  readonly status: 'success' | 'error';
  readonly error?: string;
  readonly data: T;
}

async function api<T>(url: string): Promise<T> {
  const response = await fetch(url);
  const body = (await response.json()) as ApiAnswer<T>;
  if (body.status !== 'success') throw new Error(`${url}: ${body.error ?? response.status}`);
  return body.data;
}

export interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/** An instant query's result vector (a scalar answer counts as one sample). */
export async function instantQuery(prometheus: string, expr: string): Promise<Sample[]> {
  const data = await api<{ resultType: string; result: Sample[] | [number, string] }>(`${prometheus}/api/v1/query?query=${encodeURIComponent(expr)}`);
  if (data.resultType === 'scalar') return [{ metric: {}, value: data.result as [number, string] }];
  return data.result as Sample[];
}

export interface Target {
  readonly job: string;
  readonly instance: string;
  readonly health: 'up' | 'down' | 'unknown';
  readonly lastError: string;
}

export async function activeTargets(prometheus: string): Promise<Target[]> {
  const data = await api<{ activeTargets: { labels: Record<string, string>; health: Target['health']; lastError: string }[] }>(`${prometheus}/api/v1/targets?state=active`);
  return data.activeTargets.map((t) => ({ job: t.labels['job'] ?? '', instance: t.labels['instance'] ?? '', health: t.health, lastError: t.lastError }));
}

/**
 * Polls until every target is up and every expression returns at least one sample, or until nothing
 * has improved for `patienceMs`; returns what is still missing (empty when all is there).
 */
export async function untilAllAnswer(
  prometheus: string,
  expressions: readonly { readonly panel: string; readonly expr: string }[],
  patienceMs = 90_000,
): Promise<{ readonly downTargets: Target[]; readonly empty: { panel: string; expr: string }[] }> {
  let best = Number.POSITIVE_INFINITY;
  let improvedAt = Date.now();
  for (;;) {
    const downTargets = (await activeTargets(prometheus)).filter((t) => t.health !== 'up');
    const empty: { panel: string; expr: string }[] = [];
    for (const e of expressions) if ((await instantQuery(prometheus, e.expr)).length === 0) empty.push({ ...e });
    const missing = downTargets.length + empty.length;
    if (missing === 0) return { downTargets, empty };
    if (missing < best) {
      best = missing;
      improvedAt = Date.now();
    }
    if (Date.now() - improvedAt > patienceMs) return { downTargets, empty };
    await new Promise((r) => setTimeout(r, 1_000));
  }
}
