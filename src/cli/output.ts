import { isOrderPulseError } from '../errors.js';

export interface CliIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** Exit codes: 0 done, 1 failed at run time, 2 bad usage or configuration. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A cell of `table`: numbers and bigints (exact digits) are right-aligned. */
export type TableCell = string | number | bigint;

/**
 * A left-aligned text table; numbers are right-aligned, with thousands separators unless
 * `groupDigits` is false (for values a person may copy, such as query results).
 */
export function table(header: readonly string[], rows: readonly (readonly TableCell[])[], options: { readonly groupDigits?: boolean } = {}): string {
  const groupDigits = options.groupDigits !== false;
  const text = (c: TableCell): string => (typeof c === 'number' && groupDigits ? c.toLocaleString('en-US') : String(c));
  const cells = [header, ...rows.map((r) => r.map(text))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || typeof r[i] === 'bigint'));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (numeric[i] === true ? String(c).padStart(widths[i] ?? 0) : String(c).padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(cells[0] ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** An error as the CLI reports it: one line for people, an object for `--json`. */
export function describeError(error: unknown): { line: string; json: Record<string, unknown> } {
  if (isOrderPulseError(error)) {
    return { line: `error: ${error.message} [${error.code}]`, json: { error: error.toJSON() } };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { line: `error: ${message}`, json: { error: { message } } };
}

/**
 * One line of JSON. Bigints (64-bit ids, integers beyond 2^53) are written as decimal strings: a
 * JSON number above 2^53 loses digits in most readers.
 */
export function writeJson(io: CliIO, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
}
