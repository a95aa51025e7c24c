/**
 * Streams a `.csv` or `.csv.gz` file through csv-parse and hands every record to a visitor with the 1-based
 * line where the record STARTS (the header is line 1), counting physical lines by `\n` (LF or CRLF).
 *
 * csv-parse's own `info.lines` is not used for that: it is the line where a record ENDS, and it counts a CRLF
 * inside a quoted field as two lines (real Olist review texts contain such CRLFs), so it drifts. Instead each
 * record's end offset is taken from `info.bytes` (records are contiguous, so a record starts where the
 * previous one ended), and an index of the decompressed bytes turns offsets into line numbers.
 *
 * Records csv-parse cannot parse do not stop the read:
 * - a record with more or fewer fields than the header (`relax_column_count`) is reported as malformed;
 * - a record with bad quoting (`skip_records_with_error`) leaves a gap before the next record csv-parse accepts.
 *   That span is read again: its first line is malformed (reason: what csv-parse finds wrong with that line),
 *   the rest is parsed again, and so on, so good records that an unclosed quote swallowed are recovered.
 * Blank lines are not records: they are counted and skipped.
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { CsvError, Parser, type Options } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { DataError } from './errors.js';

/** Receives the records of one file, in order. */
export interface CsvVisitor {
  /**
   * The first record. `problem` is non-null when the first line is not valid CSV (then `fields` holds the raw
   * line) or the file is empty (then `fields` is empty). Throw to stop reading; the read rejects with that error.
   */
  header(fields: readonly string[], problem: string | null): void;
  /** A record with exactly as many fields as the header. */
  record(fields: readonly string[], line: number): void;
  /** A record that could not be split into the header's fields; `raw` is its text without the line break. */
  malformed(line: number, reason: string, raw: string): void;
}

export interface CsvReadSummary {
  /** Records after the header, well-formed or malformed (blank lines excluded). */
  readonly records: number;
  readonly malformed: number;
  readonly blankLines: number;
  /** Decompressed size in bytes. */
  readonly bytes: number;
}

const NEWLINE = 0x0a;

/** Options shared by the streaming parse and the re-parse of gaps. */
const BASE_OPTIONS = {
  relax_column_count: true,
  skip_records_with_error: true,
  // Explicit, so that a file mixing LF and CRLF is split on both (auto-discovery would pick one).
  record_delimiter: ['\r\n', '\n'],
} as const satisfies Options;

/**
 * csv-parse's stream, with each record handed over synchronously together with the byte offset just past it.
 * csv-parse sets `info.bytes` to that offset right before it pushes the record, so reading it in `push` is
 * exact; this avoids `on_record`, whose per-record info snapshot costs about a third of the parse time.
 * (csv-parse is pinned; the line-number tests would catch a change of this behaviour.)
 */
class OffsetParser extends Parser {
  /** What `onRecord` threw (a visitor's error), which ends the read. */
  failure: { readonly error: unknown } | null = null;

  constructor(
    options: Options,
    private readonly onRecord: (fields: string[], end: number) => void,
  ) {
    super(options);
  }

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) return super.push(null, encoding);
    if (this.failure !== null) return false;
    try {
      this.onRecord(chunk as string[], this.info.bytes);
    } catch (error) {
      this.failure = { error };
      this.destroy(error instanceof Error ? error : new Error(String(error)));
      return false;
    }
    return true;
  }
}

/** The decompressed bytes not yet behind the last record, and the line count up to a moving cursor. */
class ByteLines {
  private readonly chunks: Buffer[] = [];
  /** Byte offset of chunks[0]. */
  private first = 0;
  private total = 0;
  private cursor = 0;
  private cursorLine = 1;

  get length(): number {
    return this.total;
  }

  append(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  /** The 1-based line of the byte at `offset`. Offsets must not decrease from call to call. */
  lineAt(offset: number): number {
    if (offset <= this.cursor) return this.cursorLine;
    let line = this.cursorLine;
    let base = this.first;
    for (const chunk of this.chunks) {
      const end = base + chunk.length;
      if (end > this.cursor) {
        const limit = Math.min(offset, end) - base;
        let at = Math.max(this.cursor, base) - base;
        for (;;) {
          const nl = chunk.indexOf(NEWLINE, at);
          if (nl < 0 || nl >= limit) break;
          line++;
          at = nl + 1;
        }
      }
      if (end >= offset) break;
      base = end;
    }
    this.cursor = offset;
    this.cursorLine = line;
    return line;
  }

  slice(from: number, to: number): Buffer {
    const parts: Buffer[] = [];
    let base = this.first;
    for (const chunk of this.chunks) {
      const end = base + chunk.length;
      if (end > from && base < to) parts.push(chunk.subarray(Math.max(from, base) - base, Math.min(to, end) - base));
      base = end;
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }

  /** Forgets the chunks that end at or before `offset` (counting their lines first). */
  release(offset: number): void {
    this.lineAt(offset);
    while (this.chunks.length > 1) {
      const head = this.chunks[0] as Buffer;
      if (this.first + head.length > offset) break;
      this.first += head.length;
      this.chunks.shift();
    }
  }
}

function countNewlines(buf: Buffer, from: number, to: number): number {
  let count = 0;
  let at = from;
  for (;;) {
    const nl = buf.indexOf(NEWLINE, at);
    if (nl < 0 || nl >= to) return count;
    count++;
    at = nl + 1;
  }
}

function stripLineBreak(text: string): string {
  let end = text.length;
  if (end > 0 && text.charCodeAt(end - 1) === 0x0a) end--;
  if (end > 0 && text.charCodeAt(end - 1) === 0x0d) end--;
  return text.slice(0, end);
}

/** A reason a person can act on, from a csv-parse error. */
function describeCsvError(err: unknown): string {
  if (err instanceof CsvError) {
    switch (err.code) {
      case 'INVALID_OPENING_QUOTE': {
        const column = typeof err['column'] === 'number' ? ` ${err['column'] + 1}` : '';
        const field = typeof err['field'] === 'string' ? ` after ${JSON.stringify(err['field'])}` : '';
        return `malformed CSV: a quote inside unquoted field${column}${field} (csv-parse ${err.code})`;
      }
      case 'CSV_INVALID_CLOSING_QUOTE': {
        const next = /got "(.*?)"/.exec(err.message)?.[1];
        const after = next === undefined ? '' : ` is followed by ${JSON.stringify(next)}`;
        return `malformed CSV: a quoted field is not closed properly (its closing quote${after} instead of a comma or the end of the line; csv-parse ${err.code})`;
      }
      case 'CSV_QUOTE_NOT_CLOSED':
        return `malformed CSV: a quoted field is opened but never closed (csv-parse ${err.code})`;
      default:
        return `malformed CSV: ${err.message} (csv-parse ${err.code})`;
    }
  }
  return `malformed CSV: ${err instanceof Error ? err.message : String(err)}`;
}

/** What csv-parse finds wrong with one line taken on its own (null if nothing). */
function diagnoseLine(line: Buffer): unknown {
  let found: unknown = null;
  parseSync(line, {
    ...BASE_OPTIONS,
    on_skip: (err) => {
      found ??= err;
      return undefined;
    },
  });
  return found;
}

class Stop extends Error {}

/** Parses `buf` until the first record csv-parse rejects; `end` is the offset just past each record. */
function parseUntilError(buf: Buffer): { records: { fields: string[]; end: number }[]; stopped: boolean } {
  const records: { fields: string[]; end: number }[] = [];
  try {
    parseSync(buf, {
      ...BASE_OPTIONS,
      on_skip: () => {
        throw new Stop();
      },
      on_record: (fields, context) => {
        records.push({ fields, end: context.bytes });
        return null;
      },
    });
  } catch (err) {
    if (err instanceof Stop) return { records, stopped: true };
    throw err;
  }
  return { records, stopped: false };
}

/** Turns csv-parse's records and skips into visitor calls with start lines, header handling and gap recovery. */
class RecordAssembler {
  private headerLength = -1;
  private previousEnd = 0;
  private pendingSkips = 0;
  private firstSkip: unknown = null;
  records = 0;
  malformed = 0;
  blankLines = 0;

  constructor(
    readonly bytes: ByteLines,
    private readonly visitor: CsvVisitor,
  ) {}

  onSkip(err: unknown): void {
    if (this.pendingSkips++ === 0) this.firstSkip = err;
  }

  /** A record csv-parse accepted, ending just before byte `end`. */
  onRecord(fields: string[], end: number): void {
    const start = this.previousEnd;
    if (this.pendingSkips > 0) {
      // The skipped bytes run from `start` to somewhere inside this record's span: re-read the whole span.
      this.recoverGap(start, end);
    } else {
      this.emit(fields, this.bytes.lineAt(start), null, start, end);
    }
    this.previousEnd = end;
    this.bytes.release(end);
  }

  finish(): void {
    if (this.pendingSkips > 0) this.recoverGap(this.previousEnd, this.bytes.length);
    if (this.headerLength < 0) {
      this.headerLength = 0;
      this.visitor.header([], 'the file is empty');
    }
  }

  /** The text of bytes [start, end) of `buf`, or of the file when `buf` is null. */
  private text(buf: Buffer | null, start: number, end: number): string {
    return (buf === null ? this.bytes.slice(start, end) : buf.subarray(start, end)).toString('utf8');
  }

  private emit(fields: string[], line: number, buf: Buffer | null, start: number, end: number): void {
    if (this.headerLength < 0) {
      this.headerLength = fields.length;
      this.visitor.header(fields, null);
    } else if (fields.length === this.headerLength) {
      this.records++;
      this.visitor.record(fields, line);
    } else if (fields.length === 1 && fields[0] === '' && stripLineBreak(this.text(buf, start, end)) === '') {
      this.blankLines++;
    } else {
      const reason = `malformed CSV: ${fields.length} fields, expected ${this.headerLength}`;
      this.emitMalformed(line, reason, this.text(buf, start, end));
    }
  }

  private emitMalformed(line: number, reason: string, raw: string): void {
    const text = stripLineBreak(raw);
    if (this.headerLength < 0) {
      this.headerLength = text.split(',').length;
      this.visitor.header([text], reason);
    } else {
      this.records++;
      this.malformed++;
      this.visitor.malformed(line, reason, text);
    }
  }

  /**
   * Re-reads the bytes [from, to), where csv-parse skipped something: the first line is malformed, the rest
   * is parsed again up to the next record csv-parse rejects, whose first line is malformed, and so on.
   */
  private recoverGap(from: number, to: number): void {
    const fallback = this.firstSkip;
    this.pendingSkips = 0;
    this.firstSkip = null;
    if (to <= from) return;
    const buf = this.bytes.slice(from, to);
    let line = this.bytes.lineAt(from);
    let pos = 0;
    while (pos < buf.length) {
      const nl = buf.indexOf(NEWLINE, pos);
      const lineEnd = nl < 0 ? buf.length : nl + 1;
      this.emitMalformed(line, describeCsvError(diagnoseLine(buf.subarray(pos, lineEnd)) ?? fallback), this.text(buf, pos, lineEnd));
      pos = lineEnd;
      line++;
      if (pos >= buf.length) break;
      const rest = buf.subarray(pos);
      const { records, stopped } = parseUntilError(rest);
      let consumed = 0;
      for (const record of records) {
        this.emit(record.fields, line, rest, consumed, record.end);
        line += countNewlines(rest, consumed, record.end);
        consumed = record.end;
      }
      pos += stopped ? consumed : rest.length;
    }
  }
}

/**
 * Reads a CSV file, gunzipping it when its name ends in `.gz`. A leading UTF-8 BOM is dropped; LF and CRLF
 * line breaks are both accepted, also mixed. Rejects with a DataError `OP_DATA_UNREADABLE_FILE` naming the file
 * when it cannot be read or decompressed, or with whatever the visitor throws.
 */
export async function readCsvFile(path: string, visitor: CsvVisitor): Promise<CsvReadSummary> {
  const bytes = new ByteLines();
  const assembler = new RecordAssembler(bytes, visitor);
  const parser = new OffsetParser(
    {
      ...BASE_OPTIONS,
      bom: true,
      on_skip: (err) => {
        assembler.onSkip(err);
        return undefined;
      },
    },
    (fields, end) => assembler.onRecord(fields, end),
  );
  const tee = async function* (source: Readable): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      bytes.append(chunk as Buffer);
      yield chunk as Buffer;
    }
  };
  const sink = new Writable({ objectMode: true, write: (_chunk, _encoding, done) => done() });
  const file = createReadStream(path, { highWaterMark: 256 * 1024 });
  try {
    if (path.endsWith('.gz')) await pipeline(file, createGunzip(), tee, parser, sink);
    else await pipeline(file, tee, parser, sink);
  } catch (err) {
    if (parser.failure !== null) throw parser.failure.error;
    const name = basename(path);
    const what = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: unknown }).code;
    const zlib = typeof code === 'string' && code.startsWith('Z_');
    throw new DataError(
      'OP_DATA_UNREADABLE_FILE',
      `cannot read ${name}: ${zlib ? `not a valid gzip file (${what})` : what}`,
      { details: { file: name, path }, cause: err },
    );
  }
  assembler.finish();
  return {
    records: assembler.records,
    malformed: assembler.malformed,
    blankLines: assembler.blankLines,
    bytes: bytes.length,
  };
}
