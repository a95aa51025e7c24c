/**
 * Query results for people to read (`QueryOptions.display`). The row representation keeps
 * timestamps as epoch milliseconds, which the program's own reads rely on; for display a timestamp
 * is ISO-8601 text with its exact microseconds: `timestamptz` in UTC (`…Z`) or in a requested IANA
 * zone (with its offset, e.g. `-03:00`), `timestamp` (no zone) as the wall-clock time it holds,
 * without a zone.
 */
import { zoneOffsetClock } from '../data/index.js';
import { LakeError } from './errors.js';

export interface DisplayOptions {
  /** IANA zone (`America/Sao_Paulo`) for `timestamptz` values; UTC (`Z`) when absent. */
  readonly timeZone?: string;
}

/** Formats epoch microseconds; `zoned` is false for `timestamp` (no zone), true for `timestamptz`. */
export type TimestampFormatter = (micros: bigint, zoned: boolean) => string | null;

const MICROS_PER_SECOND = 1_000_000n;
/** The instants a JavaScript Date holds (±10^8 days), in seconds. */
const MAX_DATE_SECONDS = 8.64e12;

/**
 * The timestamp formatter for `options`; `OP_LAKE_INVALID_ARGUMENT` naming the zone when it is not
 * one the runtime knows. The formatter returns null for an instant outside what it can write (the
 * caller falls back to DuckDB's own text).
 */
export function timestampFormatter(options: DisplayOptions): TimestampFormatter {
  const zone = options.timeZone === undefined ? null : zoneClock(options.timeZone);
  return (micros, zoned) => {
    let seconds = micros / MICROS_PER_SECOND;
    let fraction = micros % MICROS_PER_SECOND;
    if (fraction < 0n) {
      seconds -= 1n;
      fraction += MICROS_PER_SECOND;
    }
    const epochSeconds = Number(seconds);
    if (Math.abs(epochSeconds) > MAX_DATE_SECONDS) return null;
    if (!zoned) return wallClock(epochSeconds, fraction);
    if (zone === null) return `${wallClock(epochSeconds, fraction)}Z`;
    const offset = zone(epochSeconds);
    if (Math.abs(epochSeconds + offset) > MAX_DATE_SECONDS) return null;
    return `${wallClock(epochSeconds + offset, fraction)}${offsetText(offset)}`;
  };
}

/** `YYYY-MM-DDTHH:MM:SS.ffffff` of a UTC wall clock at `epochSeconds`. */
function wallClock(epochSeconds: number, fraction: bigint): string {
  // toISOString: `YYYY-MM-DDTHH:MM:SS.mmmZ` (years beyond 9999 as ±YYYYYY); its millis are replaced.
  return `${new Date(epochSeconds * 1000).toISOString().slice(0, -5)}.${fraction.toString().padStart(6, '0')}`;
}

/** `+HH:MM`, or `+HH:MM:SS` for the local mean times some zones had before standard time. */
function offsetText(offsetSeconds: number): string {
  const sign = offsetSeconds < 0 ? '-' : '+';
  const abs = Math.abs(offsetSeconds);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const hhmm = `${sign}${pad(Math.floor(abs / 3600))}:${pad(Math.floor(abs / 60) % 60)}`;
  return abs % 60 === 0 ? hhmm : `${hhmm}:${pad(abs % 60)}`;
}

/** A zone's UTC offset (seconds) at an instant, from the runtime's time zone database. */
function zoneClock(timeZone: string): (epochSeconds: number) => number {
  let offsetMs: (utc: number) => number;
  try {
    offsetMs = zoneOffsetClock(timeZone);
  } catch (cause) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `unknown time zone "${timeZone}": give an IANA zone such as America/Sao_Paulo or UTC`, {
      details: { timeZone },
      cause,
    });
  }
  return (epochSeconds) => Math.round(offsetMs(epochSeconds * 1000) / 1000);
}
