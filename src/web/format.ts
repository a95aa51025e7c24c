/**
 * How figures read on screen: money as R$ and numbers in Brazilian Portuguese notation (the
 * marketplace's own), instants in Brazil's time (America/Sao_Paulo), as Olist recorded them.
 */
export const TIME_ZONE = 'America/Sao_Paulo';
const LOCALE = 'pt-BR';

const money = new Intl.NumberFormat(LOCALE, { style: 'currency', currency: 'BRL' });
const moneyCompact = new Intl.NumberFormat(LOCALE, { style: 'currency', currency: 'BRL', notation: 'compact', maximumFractionDigits: 1 });
const integer = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat(LOCALE, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 });
const dateTimeFormat = new Intl.DateTimeFormat(LOCALE, { timeZone: TIME_ZONE, dateStyle: 'short', timeStyle: 'medium' });
const dateTimeShortFormat = new Intl.DateTimeFormat(LOCALE, { timeZone: TIME_ZONE, dateStyle: 'short', timeStyle: 'short' });
const timeFormat = new Intl.DateTimeFormat(LOCALE, { timeZone: TIME_ZONE, timeStyle: 'medium' });
const dateFormat = new Intl.DateTimeFormat(LOCALE, { timeZone: TIME_ZONE, dateStyle: 'short' });

/** What a figure the data does not have shows as. */
export const NONE = '—';

export function brl(cents: number | null | undefined): string {
  return cents === null || cents === undefined ? NONE : money.format(cents / 100);
}
export function brlCompact(cents: number | null | undefined): string {
  return cents === null || cents === undefined ? NONE : moneyCompact.format(cents / 100);
}
export function int(n: number | null | undefined): string {
  return n === null || n === undefined ? NONE : integer.format(n);
}
export function dec1(n: number | null | undefined): string {
  return n === null || n === undefined ? NONE : oneDecimal.format(n);
}
/** A rate given as a fraction (0.07) shown as a percentage (7,0 %). */
export function pct(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? NONE : percent.format(rate);
}
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return NONE;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : dateTimeFormat.format(t);
}
/** Day and minute, for tables where seconds do not matter. */
export function dateTimeShort(iso: string | null | undefined): string {
  if (!iso) return NONE;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : dateTimeShortFormat.format(t);
}
export function timeOfDay(ms: number): string {
  return timeFormat.format(ms);
}
export function date(iso: string | null | undefined): string {
  if (!iso) return NONE;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : dateFormat.format(t);
}
const DAY_MS = 86_400_000;
export function daysFromMs(ms: number): string {
  return oneDecimal.format(ms / DAY_MS);
}
/** A span of wall-clock time, in the two largest units that matter: 42 s, 3 min 5 s, 2 h 10 min, 4 d 3 h. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return NONE;
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}
/** Long identifiers (32 hex digits) shortened for tables; the full id stays in the link and its title. */
export function shortId(id: string): string {
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}
/**
 * Data text inside a chart tooltip. Tooltips are drawn on the canvas (rich text), not as HTML, so
 * the page needs no inline styles; braces would start rich-text markup, so they are dropped.
 */
export function tipText(text: string): string {
  return text.replace(/[{}]/g, '');
}
