import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../testing/fixtures.js';
import { DuckDbEngine } from './duckdb-engine.js';
import { LakeError } from './errors.js';
import { writeParquet } from './parquet-writer.js';
import { queryParquet } from './query.js';
import type { Schema } from './types.js';

const dir = tempDir('orderpulse-display-');
let engine: DuckDbEngine;

before(async () => {
  engine = await DuckDbEngine.create({ tempDir: join(dir.path, 'duckdb-tmp'), threads: 1 });
});
after(async () => {
  await engine.close();
  dir.remove();
});

/** One row of literals, as `query` would show it. */
async function display(sql: string, timeZone?: string): Promise<Record<string, unknown>> {
  const result = await queryParquet(engine, { tables: {}, sql, display: timeZone === undefined ? {} : { timeZone } });
  assert.equal(result.rows.length, 1);
  return result.rows[0]!;
}

describe('query results for display', () => {
  it('writes timestamptz as ISO-8601 in UTC with its exact microseconds', async () => {
    const row = await display(
      "SELECT TIMESTAMPTZ '2018-06-30 23:59:59.123456+00' AS t, TIMESTAMPTZ '1969-12-31 23:59:59.999999+00' AS before_epoch, TIMESTAMPTZ '2017-01-05 10:00:00+00' AS whole",
    );
    assert.deepEqual(row, { t: '2018-06-30T23:59:59.123456Z', before_epoch: '1969-12-31T23:59:59.999999Z', whole: '2017-01-05T10:00:00.000000Z' });
  });

  it('writes timestamp (no zone) as its wall-clock time, without a zone, whatever zone is asked for', async () => {
    const sql = "SELECT TIMESTAMP '2018-06-30 23:59:59.123456' AS t";
    assert.deepEqual(await display(sql), { t: '2018-06-30T23:59:59.123456' });
    assert.deepEqual(await display(sql, 'America/Sao_Paulo'), { t: '2018-06-30T23:59:59.123456' });
  });

  it('writes timestamptz in a requested zone with its offset, daylight saving time included', async () => {
    // São Paulo: -03:00 in the 2018 (southern) winter; -02:00 under the daylight saving time of
    // 2017-10-15 to 2018-02-18.
    const row = await display(
      "SELECT TIMESTAMPTZ '2018-07-15 12:00:00.000001+00' AS winter, TIMESTAMPTZ '2018-01-15 12:00:00.5+00' AS summer",
      'America/Sao_Paulo',
    );
    assert.deepEqual(row, { winter: '2018-07-15T09:00:00.000001-03:00', summer: '2018-01-15T10:00:00.500000-02:00' });
    assert.deepEqual(await display("SELECT TIMESTAMPTZ '2018-07-15 12:00:00+00' AS t", 'Asia/Kolkata'), { t: '2018-07-15T17:30:00.000000+05:30' });
    assert.deepEqual(await display("SELECT TIMESTAMPTZ '2018-07-15 12:00:00+00' AS t", 'UTC'), { t: '2018-07-15T12:00:00.000000+00:00' });
  });

  it('refuses an unknown time zone, naming it', async () => {
    await assert.rejects(display('SELECT 1 AS n', 'America/Atlantis'), (e: unknown) => {
      assert.ok(e instanceof LakeError);
      assert.equal(e.code, 'OP_LAKE_INVALID_ARGUMENT');
      assert.match(e.message, /unknown time zone "America\/Atlantis"/);
      return true;
    });
  });

  it('keeps decimals and 64-bit integers exact', async () => {
    const row = await display(
      'SELECT 12345678901234.56::DECIMAL(16, 2) AS d, 8799175032378937617::BIGINT AS big, 1234567::BIGINT AS small, -0.01::DECIMAL(4, 2) AS cents',
    );
    assert.deepEqual(row, { d: '12345678901234.56', big: 8799175032378937617n, small: 1234567, cents: '-0.01' });
  });

  it('formats timestamps inside lists and structs too, and leaves the row representation alone without display', async () => {
    const sql = "SELECT [TIMESTAMPTZ '2018-06-30 23:59:59.123456+00'] AS l, {'at': TIMESTAMPTZ '2018-06-30 23:59:59.123456+00'} AS s";
    assert.deepEqual(await display(sql), { l: ['2018-06-30T23:59:59.123456Z'], s: { at: '2018-06-30T23:59:59.123456Z' } });
    const rows = (await queryParquet(engine, { tables: {}, sql })).rows;
    const ms = Date.UTC(2018, 5, 30, 23, 59, 59, 123);
    assert.deepEqual(rows, [{ l: [ms], s: { at: ms } }]);
  });

  it('reads timestamps from a table file the same way', async () => {
    const schema: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'placed_at', required: true, type: 'timestamptz' }] };
    const path = join(dir.path, 'at.parquet');
    await writeParquet(engine, { schema, path, rows: [{ placed_at: Date.UTC(2018, 6, 15, 12, 0, 0, 250) }] });
    const result = await queryParquet(engine, { tables: { t: { files: [path], schema } }, sql: 'SELECT placed_at FROM t', display: { timeZone: 'America/Sao_Paulo' } });
    assert.deepEqual(result.rows, [{ placed_at: '2018-07-15T09:00:00.250000-03:00' }]);
  });
});
