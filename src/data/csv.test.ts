import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { repoRoot, tempDir } from '../testing/fixtures.js';
import type { CsvReadSummary } from './csv.js';
import { readCsvFile } from './csv.js';
import { DataError } from './errors.js';

interface Read {
  readonly header: readonly string[];
  readonly headerProblem: string | null;
  readonly records: { line: number; fields: readonly string[] }[];
  readonly malformed: { line: number; reason: string; raw: string }[];
  readonly summary: CsvReadSummary;
}

async function read(path: string): Promise<Read> {
  let header: readonly string[] = [];
  let headerProblem: string | null = null;
  const records: Read['records'] = [];
  const malformed: Read['malformed'] = [];
  const summary = await readCsvFile(path, {
    header(fields, problem) {
      header = fields;
      headerProblem = problem;
    },
    record: (fields, line) => records.push({ line, fields }),
    malformed: (line, reason, raw) => malformed.push({ line, reason, raw }),
  });
  return { header, headerProblem, records, malformed, summary };
}

describe('readCsvFile', () => {
  let dir: { path: string; remove: () => void };
  let n = 0;
  /** Writes `text` to a fresh file (gzipped when the name ends in .gz) and returns its path. */
  const file = (text: string | Buffer, name = `f${++n}.csv`): string => {
    const path = join(dir.path, name);
    const bytes = typeof text === 'string' ? Buffer.from(text) : text;
    writeFileSync(path, name.endsWith('.gz') ? gzipSync(bytes) : bytes);
    return path;
  };

  before(() => {
    dir = tempDir();
  });
  after(() => dir.remove());

  it('gives each record the line where it starts, across quoted LF newlines and commas', async () => {
    const r = await read(file('a,b,c\n1,"x, y",2\n3,"multi\nline\ntext",4\n5,"""quoted""",6\n'));
    assert.deepEqual(r.header, ['a', 'b', 'c']);
    assert.deepEqual(r.records, [
      { line: 2, fields: ['1', 'x, y', '2'] },
      { line: 3, fields: ['3', 'multi\nline\ntext', '4'] },
      { line: 6, fields: ['5', '"quoted"', '6'] },
    ]);
    assert.deepEqual(r.malformed, []);
  });

  it('counts a CRLF inside a quoted field as one line (csv-parse info.lines counts two), with a BOM and no final newline', async () => {
    const r = await read(file('\uFEFFa,b\r\n"x\r\ny\r\nz",1\r\nq,2\r\nlast,3'));
    assert.deepEqual(r.header, ['a', 'b']);
    assert.deepEqual(r.records, [
      { line: 2, fields: ['x\r\ny\r\nz', '1'] },
      { line: 5, fields: ['q', '2'] },
      { line: 6, fields: ['last', '3'] },
    ]);
  });

  it('splits on LF and CRLF even when a file mixes them', async () => {
    const r = await read(file('a,b\r\n1,2\n3,4\r\n5,6\n'));
    assert.deepEqual(
      r.records.map((x) => [x.line, ...x.fields]),
      [
        [2, '1', '2'],
        [3, '3', '4'],
        [4, '5', '6'],
      ],
    );
  });

  it('skips and counts blank lines, keeping line numbers right', async () => {
    const r = await read(file('a,b\n1,2\n\n3,4\r\n\r\n\n5,6\n\n'));
    assert.deepEqual(
      r.records.map((x) => x.line),
      [2, 4, 7],
    );
    assert.equal(r.summary.blankLines, 4);
    assert.equal(r.summary.records, 3);
  });

  it('reports a record with the wrong number of fields as malformed and keeps the rows around it', async () => {
    const r = await read(file('a,b,c\n1,2,3\n4,5\n6,7,8,9\n"x\ny",1,2\n10,11,12\n'));
    assert.deepEqual(
      r.records.map((x) => x.line),
      [2, 5, 7],
    );
    assert.deepEqual(r.malformed, [
      { line: 3, reason: 'malformed CSV: 2 fields, expected 3', raw: '4,5' },
      { line: 4, reason: 'malformed CSV: 4 fields, expected 3', raw: '6,7,8,9' },
    ]);
    assert.equal(r.summary.records, 5);
    assert.equal(r.summary.malformed, 2);
  });

  it('reports a quote inside an unquoted field and goes on with the next line', async () => {
    const r = await read(file('a,b\n1,2\nab"c,3\n4,5\n'));
    assert.deepEqual(
      r.records.map((x) => [x.line, ...x.fields]),
      [
        [2, '1', '2'],
        [4, '4', '5'],
      ],
    );
    assert.equal(r.malformed.length, 1);
    assert.equal(r.malformed[0]?.line, 3);
    assert.equal(r.malformed[0]?.raw, 'ab"c,3');
    assert.match(r.malformed[0]?.reason ?? '', /^malformed CSV: a quote inside unquoted field 1 .*INVALID_OPENING_QUOTE/);
  });

  it('reports a bad closing quote on its own line and recovers the good lines csv-parse swallowed', async () => {
    // csv-parse stays "in quotes" after the bad quote and only resynchronises at line 6.
    const r = await read(file('a,b\n1,2\n"x"y,3\n4,5\n"6",7\n8,9\n'));
    assert.deepEqual(
      r.records.map((x) => [x.line, ...x.fields]),
      [
        [2, '1', '2'],
        [4, '4', '5'],
        [5, '6', '7'],
        [6, '8', '9'],
      ],
    );
    assert.deepEqual(
      r.malformed.map((x) => [x.line, x.raw]),
      [[3, '"x"y,3']],
    );
    assert.match(r.malformed[0]?.reason ?? '', /a quoted field is not closed properly .*followed by "y"/);
  });

  it('reports an unclosed quote on its line and recovers the following records, also at the end of the file', async () => {
    const r = await read(file('a,b\n1,"open\n"2",3\n4,5\n6,"never closed\n7,8\n'));
    assert.deepEqual(
      r.records.map((x) => [x.line, ...x.fields]),
      [
        [3, '2', '3'],
        [4, '4', '5'],
        [6, '7', '8'],
      ],
    );
    assert.deepEqual(
      r.malformed.map((x) => [x.line, x.raw]),
      [
        [2, '1,"open'],
        [5, '6,"never closed'],
      ],
    );
    for (const m of r.malformed) assert.match(m.reason, /a quoted field is opened but never closed/);
  });

  it('reports a header line that is not valid CSV, and an empty file', async () => {
    const bad = await read(file('a,"b\n1,2\n'));
    assert.match(bad.headerProblem ?? '', /malformed CSV/);
    const empty = await read(file(''));
    assert.deepEqual(empty.header, []);
    assert.equal(empty.headerProblem, 'the file is empty');
  });

  it('stops with what the visitor throws', async () => {
    const path = file('a,b\n1,2\n3,4\n');
    let seen = 0;
    await assert.rejects(
      readCsvFile(path, {
        header: () => undefined,
        record: () => {
          if (++seen === 2) throw new RangeError('enough');
        },
        malformed: () => undefined,
      }),
      (err: unknown) => err instanceof RangeError && err.message === 'enough',
    );
  });

  it('reads .csv.gz like .csv', async () => {
    const text = 'a,b\n1,"x\ny"\n2,3\n';
    assert.deepEqual((await read(file(text, 'same.csv.gz'))).records, (await read(file(text, 'same.csv'))).records);
  });

  it('rejects a corrupt or truncated gzip, and a missing file, with OP_DATA_UNREADABLE_FILE naming the file', async () => {
    const garbage = join(dir.path, 'garbage.csv.gz');
    writeFileSync(garbage, 'this is not gzip at all');
    await assert.rejects(read(garbage), (err: unknown) => {
      assert.ok(err instanceof DataError);
      assert.equal(err.code, 'OP_DATA_UNREADABLE_FILE');
      assert.match(err.message, /garbage\.csv\.gz: not a valid gzip file/);
      return true;
    });
    const whole = gzipSync(Buffer.from('a,b\n' + '1,2\n'.repeat(10_000)));
    const truncated = join(dir.path, 'truncated.csv.gz');
    writeFileSync(truncated, whole.subarray(0, whole.length >> 1));
    await assert.rejects(read(truncated), (err: unknown) => {
      assert.ok(err instanceof DataError);
      assert.equal(err.code, 'OP_DATA_UNREADABLE_FILE');
      assert.match(err.message, /truncated\.csv\.gz/);
      return true;
    });
    await assert.rejects(read(join(dir.path, 'nope.csv')), (err: unknown) => {
      assert.ok(err instanceof DataError);
      assert.equal(err.code, 'OP_DATA_UNREADABLE_FILE');
      assert.match(err.message, /nope\.csv/);
      return true;
    });
  });

  it('keeps start lines exact over many chunks, with multi-line records and broken ones anywhere', async () => {
    // A generated file of ~1.5 MB (several read chunks) whose expected start lines are known.
    let text = 'id,note,n\n';
    let line = 2;
    const expected: [number, string][] = [];
    const expectedBad: number[] = [];
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    for (let i = 0; i < 20_000; i++) {
      const eol = random() < 0.5 ? '\n' : '\r\n';
      const kind = random();
      if (kind < 0.002) {
        text += `bad"${i},x,1${eol}`;
        expectedBad.push(line);
        line += 1;
      } else if (kind < 0.004) {
        text += `${i},"unclosed${eol}`;
        expectedBad.push(line);
        line += 1;
      } else if (kind < 0.2) {
        const breaks = 1 + Math.floor(random() * 3);
        const note = Array.from({ length: breaks + 1 }, (_, k) => `part ${k}, "q"`).join(random() < 0.5 ? '\n' : '\r\n');
        text += `${i},"${note.replaceAll('"', '""')}",${i}${eol}`;
        expected.push([line, String(i)]);
        line += breaks + 1;
      } else {
        text += `${i},plain ${'x'.repeat(Math.floor(random() * 60))},${i}${eol}`;
        expected.push([line, String(i)]);
        line += 1;
      }
    }
    // Make sure an unclosed quote is followed by a line starting with a quote, like the Olist exports.
    text += '"20000",after,1\n';
    expected.push([line, '20000']);
    for (const name of ['big.csv', 'big.csv.gz']) {
      const r = await read(file(text, name));
      assert.deepEqual(
        r.records.map((x) => [x.line, x.fields[0]]),
        expected,
        name,
      );
      assert.deepEqual(
        r.malformed.map((x) => x.line),
        expectedBad,
        name,
      );
    }
  });

  it('reads the 6,123 original review lines (CRLF, quoted CRLFs, no final newline) with exact start lines', async () => {
    const path = join(repoRoot, 'data', 'olist-reviews-text', 'olist_order_reviews_dataset.csv.gz');
    const r = await read(path);
    assert.equal(r.records.length, 6_123);
    assert.deepEqual(r.malformed, []);
    assert.equal(r.header[0], 'review_id');
    assert.equal(r.records.filter((x) => x.fields.some((f) => f.includes('\n'))).length, 237);
    // Every record starts on a line that begins with its quoted review id.
    const lines = gunzipSync(readFileSync(path)).toString('utf8').split('\n');
    for (const record of r.records) {
      assert.ok(lines[record.line - 1]?.startsWith(`"${record.fields[0]}",`), `line ${record.line}`);
    }
    const last = r.records.at(-1);
    assert.equal(last?.line, lines.length);
  });
});
