import { InvalidArgumentError } from 'commander';
import { durationMs } from '../../deploy/index.js';

/** Parses `250ms`, `30s`, `5m`, `2h`, `1d` (a bare number is seconds) into milliseconds. */
export function parseDuration(text: string): number {
  const ms = durationMs(text);
  if (ms === null) throw new InvalidArgumentError(`"${text}" is not a duration (examples: 500ms, 30s, 5m, 2h, 1d).`);
  return ms;
}

export function parsePositiveNumber(name: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number.`);
    return n;
  };
}
