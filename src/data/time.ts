/**
 * Olist writes instants as Brazilian local wall-clock time without a zone (`YYYY-MM-DD HH:MM:SS`).
 * They are converted with the America/Sao_Paulo rules of the runtime's time-zone database (Intl), which
 * include Brazil's daylight-saving time (UTC-2 in the southern summer until 2019; UTC-3 otherwise).
 *
 * Two wall-clock times need a rule:
 * - **Nonexistent** (spring-forward gap, e.g. 2017-10-15 00:00–00:59:59, when clocks jumped from 00:00 to
 *   01:00): the time is shifted forward by the length of the gap, i.e. read with the offset in force just
 *   before the jump. 2017-10-15 00:30:00 is 2017-10-15T03:30:00Z, which reads 01:30:00 local. A day that
 *   starts in the gap therefore starts at 01:00.
 * - **Ambiguous** (fall-back hour, e.g. 2018-02-17 23:00–23:59:59, lived twice): the earlier instant is
 *   taken, the one still on daylight time (UTC-2). 2018-02-17 23:30:00 is 2018-02-18T01:30:00Z.
 *   Olist gives no way to tell the two apart; the earlier one keeps purchase → approval order intact for
 *   events logged just before the switch, and matches what most libraries do ("compatible" disambiguation).
 *
 * Offsets are cached per day, and per hour around a change (the Intl lookup takes ~10 µs and this runs on
 * millions of values). That is exact because since 1914 Sao Paulo has changed offset only on whole hours and
 * months apart (before 1914, local mean time -03:06:28 is not handled exactly).
 */
import type { EpochMillis, LocalDate } from './types.js';

export const SAO_PAULO_TIME_ZONE = 'America/Sao_Paulo';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** UTC day number → offset in force all day, or NaN if the offset changes that day. */
const offsetByUtcDay = new Map<number, number>();
/** UTC hour number → offset, for the days when it changes. */
const offsetByUtcHour = new Map<number, number>();
/** Local day number (wall clock read as if UTC) → offset for every time of that day, or NaN near a change. */
const offsetByLocalDay = new Map<number, number>();
/** Local hour number → offset, for the days near a change. */
const offsetByLocalHour = new Map<number, number>();

/**
 * A zone's offset (local − UTC, ms) at an instant, from the runtime's time zone database (Intl; slow:
 * about 10 µs a call, hence the caches below for São Paulo). Throws a RangeError for a zone the runtime
 * does not know.
 */
export function zoneOffsetClock(timeZone: string): (utc: number) => number {
  const formatter = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    era: 'short',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  return (utc) => {
    const at = Math.floor(utc / 1000) * 1000;
    let year = 0;
    let month = 0;
    let day = 0;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let bc = false;
    for (const part of formatter.formatToParts(at)) {
      switch (part.type) {
        case 'year': year = Number(part.value); break;
        case 'month': month = Number(part.value); break;
        case 'day': day = Number(part.value); break;
        case 'hour': hour = Number(part.value); break;
        case 'minute': minute = Number(part.value); break;
        case 'second': second = Number(part.value); break;
        case 'era': bc = part.value.startsWith('B'); break;
        default: break;
      }
    }
    const wall = new Date(0);
    // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
    wall.setUTCFullYear(bc ? 1 - year : year, month - 1, day);
    wall.setUTCHours(hour, minute, second, 0);
    return wall.getTime() - at;
  };
}

const intlOffset = zoneOffsetClock(SAO_PAULO_TIME_ZONE);

/**
 * The offset (local − UTC, ms) in force at the instant `utc`. Cached per day when the offset holds all day,
 * else per hour; exact as long as offsets change on whole hours and at most once a day.
 */
function offsetAt(utc: number): number {
  const day = Math.floor(utc / DAY);
  let offset = offsetByUtcDay.get(day);
  if (offset === undefined) {
    const first = intlOffset(day * DAY);
    offset = first === intlOffset(day * DAY + DAY - 1000) ? first : NaN;
    offsetByUtcDay.set(day, offset);
  }
  if (!Number.isNaN(offset)) return offset;
  const hour = Math.floor(utc / HOUR);
  offset = offsetByUtcHour.get(hour);
  if (offset === undefined) {
    offset = intlOffset(hour * HOUR);
    offsetByUtcHour.set(hour, offset);
  }
  return offset;
}

/** The offset to apply to a wall-clock hour near a change (see the rules at the top of this file). */
function offsetForLocalHour(localHour: number): number {
  const cached = offsetByLocalHour.get(localHour);
  if (cached !== undefined) return cached;
  const wall = localHour * HOUR;
  const before = offsetAt(wall - DAY);
  const after = offsetAt(wall + DAY);
  let chosen: number | null = null;
  for (const candidate of before === after ? [before] : [before, after]) {
    if (offsetAt(wall - candidate) !== candidate) continue;
    // Two valid readings: the fall-back hour. The larger offset is the earlier instant.
    if (chosen === null || candidate > chosen) chosen = candidate;
  }
  // No valid reading: the spring-forward gap. The offset from before the jump shifts the time forward.
  const offset = chosen ?? before;
  offsetByLocalHour.set(localHour, offset);
  return offset;
}

/**
 * The instant of a wall-clock time given as milliseconds "as if UTC". A local day whose surroundings
 * (a day before to a day after) have one offset uses it throughout (offsets change months apart in Brazil);
 * other days are resolved hour by hour.
 */
function wallToEpoch(wall: number): EpochMillis {
  const day = Math.floor(wall / DAY);
  let offset = offsetByLocalDay.get(day);
  if (offset === undefined) {
    const before = offsetAt(day * DAY - DAY);
    offset = before === offsetAt(day * DAY + 2 * DAY) ? before : NaN;
    offsetByLocalDay.set(day, offset);
  }
  if (Number.isNaN(offset)) offset = offsetForLocalHour(Math.floor(wall / HOUR));
  return wall - offset;
}

function twoDigits(text: string, at: number): number {
  const a = text.charCodeAt(at) - 48;
  const b = text.charCodeAt(at + 1) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/** Days in a month of the proleptic Gregorian calendar. */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Parses `YYYY-MM-DD` at the start of `text` into wall-clock ms at 00:00, or -Infinity if it is not a real date. */
function parseDatePart(text: string): number {
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45) return -Infinity;
  const hi = twoDigits(text, 0);
  const lo = twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  if (hi < 0 || lo < 0 || month < 1 || month > 12 || day < 1) return -Infinity;
  const year = hi * 100 + lo;
  if (day > daysInMonth(year, month)) return -Infinity;
  const wall = Date.UTC(year, month - 1, day);
  // Date.UTC maps years 0–99 to 1900–1999.
  return year < 100 ? new Date(wall).setUTCFullYear(year, month - 1, day) : wall;
}

/** Parses `HH:MM:SS` at offset 11 of `text` into ms since midnight, or -1. */
function parseTimePart(text: string): number {
  if (text.charCodeAt(10) !== 32 || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return -1;
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return -1;
  return ((hour * 60 + minute) * 60 + second) * 1000;
}

/**
 * Converts an Olist local timestamp `YYYY-MM-DD HH:MM:SS` (Sao Paulo wall clock) to epoch milliseconds.
 * Returns null unless the text is exactly that shape and a real calendar date and time of day.
 */
export function parseLocalTimestamp(text: string): EpochMillis | null {
  if (text.length !== 19) return null;
  const date = parseDatePart(text);
  const time = parseTimePart(text);
  if (date === -Infinity || time < 0) return null;
  return wallToEpoch(date + time);
}

/**
 * Parses a date-only value, `YYYY-MM-DD` or `YYYY-MM-DD 00:00:00` (how Olist writes its date columns), to a
 * LocalDate. Returns null for anything else, including a time of day other than midnight.
 */
export function parseLocalDate(text: string): LocalDate | null {
  if (text.length === 19) {
    if (parseTimePart(text) !== 0) return null;
  } else if (text.length !== 10) {
    return null;
  }
  return parseDatePart(text) === -Infinity ? null : text.slice(0, 10);
}

/**
 * Parses a Sao Paulo wall-clock time given as `YYYY-MM-DD HH:MM:SS`, or as `YYYY-MM-DD` meaning the first
 * instant of that local day, to an instant. Throws a RangeError for anything else.
 */
export function parseLocalDateTime(text: string): EpochMillis {
  const ms = text.length === 10 ? parseDatePart(text) : (parseLocalTimestamp(text) ?? -Infinity);
  if (ms === -Infinity) {
    throw new RangeError(`not a local date or time (YYYY-MM-DD or YYYY-MM-DD HH:MM:SS): ${JSON.stringify(text)}`);
  }
  return text.length === 10 ? wallToEpoch(ms) : ms;
}

/**
 * The first instant of the local day after `date`: the deadline for something due "on" `date`
 * (delivered before it is on time). On a day that begins in the spring-forward gap this is 01:00 local.
 * Throws a RangeError if `date` is not a real `YYYY-MM-DD` date.
 */
export function endOfLocalDay(date: LocalDate): EpochMillis {
  const wall = date.length === 10 ? parseDatePart(date) : -Infinity;
  if (wall === -Infinity) throw new RangeError(`not a local date (YYYY-MM-DD): ${JSON.stringify(date)}`);
  return wallToEpoch(wall + DAY);
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/** Formats an instant as Sao Paulo wall-clock time, `YYYY-MM-DD HH:MM:SS` (milliseconds are dropped). */
export function formatLocal(ms: EpochMillis): string {
  const wall = new Date(Math.floor(ms / 1000) * 1000 + offsetAt(ms));
  return (
    `${pad(wall.getUTCFullYear(), 4)}-${pad(wall.getUTCMonth() + 1, 2)}-${pad(wall.getUTCDate(), 2)} ` +
    `${pad(wall.getUTCHours(), 2)}:${pad(wall.getUTCMinutes(), 2)}:${pad(wall.getUTCSeconds(), 2)}`
  );
}
