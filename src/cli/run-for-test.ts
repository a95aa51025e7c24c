import { Writable } from 'node:stream';
import { main } from './index.js';

/** A stream that keeps what is written to it, for reading a command's output in a test. */
export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs `orderpulse <args>` in this process, as a user would from a shell, and returns its exit code and output. */
export async function runCli(args: readonly string[], options: { readonly env?: NodeJS.ProcessEnv; readonly cwd: string }): Promise<CliRun> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await main(['node', 'orderpulse', ...args], { stdout, stderr, env: options.env ?? {}, cwd: options.cwd });
  return { code, out: stdout.text, err: stderr.text };
}
