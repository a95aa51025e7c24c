/** The data room: loading and validating the Olist files, and Sao Paulo local time. */
export type { LoadOptions } from './loader.js';
export { loadOlist, validateOlist } from './loader.js';
export {
  SAO_PAULO_TIME_ZONE,
  endOfLocalDay,
  formatLocal,
  parseLocalDate,
  parseLocalDateTime,
  parseLocalTimestamp,
  zoneOffsetClock,
} from './time.js';
export type { DataErrorCode } from './errors.js';
export { DataError } from './errors.js';
export * from './types.js';
export { writeOlist } from './olist-writer.js';
export type { CsvVisitor, CsvReadSummary } from './csv.js';
export { readCsvFile } from './csv.js';
export type { WrittenFile, WriteOptions } from './olist-writer.js';
