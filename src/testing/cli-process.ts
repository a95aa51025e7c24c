import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from './fixtures.js';

/**
 * An `orderpulse` command running in a child process, as an operator runs it: its output kept as it
 * comes, and waits on what it printed (never on a time). Used by the tests and scripts that need a
 * long-running process (`start`, `stream`, `replay`, `batch run --every`, `serve`).
 */
export class CliProcess {
  readonly child: ChildProcess;
  /** Resolves with the exit code (null when ended by a signal) once the process has exited. */
  readonly exited: Promise<number | null>;
  out = '';
  err = '';
  #exitedYet = false;
  #waiters: (() => void)[] = [];

  private constructor(child: ChildProcess, stderr: 'pipe' | 'inherit') {
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    void this.exited.then(() => {
      this.#exitedYet = true;
      this.#wake();
    });
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      this.out += text;
      this.#wake();
    });
    if (stderr === 'pipe') child.stderr?.setEncoding('utf8').on('data', (text: string) => (this.err += text));
  }

  /** `orderpulse <args>` from the repository's bin, in `cwd`. */
  static spawn(args: readonly string[], options: { readonly cwd: string; readonly stderr?: 'pipe' | 'inherit'; readonly env?: NodeJS.ProcessEnv }): CliProcess {
    const stderr = options.stderr ?? 'pipe';
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'orderpulse.js'), ...args], {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', stderr],
      ...(options.env === undefined ? {} : { env: options.env }),
    });
    return new CliProcess(child, stderr);
  }

  get running(): boolean {
    return !this.#exitedYet;
  }

  /** Resolves once `check` holds of the output; rejects, with what the process said, if it exits first. */
  async until(check: (out: string) => boolean, what: string): Promise<void> {
    while (!check(this.out)) {
      if (this.#exitedYet) throw new Error(`the process exited before ${what}; stderr: ${this.err.slice(-2000)}`);
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** The first JSON line of stdout that has `"step": step` (the `--json` progress of `start`), if any. */
  step<T extends object>(step: string): (T & { readonly step: string }) | undefined {
    for (const line of this.out.split('\n')) {
      if (!line.startsWith('{')) continue;
      const parsed = JSON.parse(line) as { step?: unknown };
      if (parsed.step === step) return parsed as T & { readonly step: string };
    }
    return undefined;
  }

  /** Sends `signal` (SIGTERM by default) and waits for the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.#exitedYet) return this.exited;
    this.child.kill(signal);
    return this.exited;
  }

  #wake(): void {
    for (const resolve of this.#waiters.splice(0)) resolve();
  }
}

/**
 * `orderpulse start --json` on the bundled sample (or `data`), waited for until it reports `until`
 * (`ready`: the server answers; `live-started`: the live phase runs). Returns the process and the
 * server's URL.
 */
export async function startOrderpulse(options: {
  readonly cwd: string;
  readonly state: string;
  readonly data: string;
  /** Flags after `start --data <data>`, e.g. `--max`, `--history-until 2018-08-01`. */
  readonly flags: readonly string[];
  readonly until: 'ready' | 'live-started';
  readonly stderr?: 'pipe' | 'inherit';
}): Promise<{ readonly process: CliProcess; readonly url: string }> {
  const started = CliProcess.spawn(['--state', options.state, 'start', '--data', options.data, ...options.flags, '--port', '0', '--json'], {
    cwd: options.cwd,
    ...(options.stderr === undefined ? {} : { stderr: options.stderr }),
  });
  await started.until((out) => out.includes(`"step":"${options.until}"`), `orderpulse start reported ${options.until}`);
  const url = started.step<{ url?: string }>('ready')?.url ?? '';
  return { process: started, url };
}

/** A loopback port free at the moment of asking (for flags that refuse 0, like `--metrics-port`). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
