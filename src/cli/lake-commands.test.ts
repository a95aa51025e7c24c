import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { tempDir } from '../testing/fixtures.js';
import { renumberSnapshots } from '../testing/renumber-snapshots.js';
import { DEFAULTS, openRuntime } from '../deploy/index.js';
import type { CliRun } from './run-for-test.js';
import { runCli } from './run-for-test.js';

const dir = tempDir();
const state = join(dir.path, 'state');

const run = (...args: string[]): Promise<CliRun> => runCli(['--state', state, ...args], { cwd: dir.path });

// Ids as Java or PyIceberg draw them: beyond 2^53, where a JSON number (a double) keeps only
// about 16 digits (8799175032378937617 would print as 8799175032378937000).
const FIRST = '8799175032378937616';
const SECOND = '8799175032378937617';

before(async () => {
  const runtime = openRuntime({ ...DEFAULTS, state });
  try {
    const lake = await runtime.lake();
    const table = await lake.createTable('bronze.shipments', {
      columns: [
        { name: 'shipment_id', type: 'long', required: true },
        { name: 'shipped_at', type: 'timestamptz', required: true },
        { name: 'freight', type: 'decimal(16, 2)' },
      ],
    });
    await table.append([{ shipment_id: 1, shipped_at: Date.UTC(2018, 6, 15, 12, 0, 0, 250), freight: '12345678901234.56' }]);
    await table.append([{ shipment_id: 2_000_000, shipped_at: Date.UTC(2018, 0, 15, 12, 0, 0), freight: '0.01' }]);
    await renumberSnapshots(lake, 'bronze.shipments', [FIRST, SECOND]);
  } finally {
    await runtime.close();
  }
});
after(() => dir.remove());

describe('orderpulse snapshots and tables with 64-bit ids', () => {
  it('snapshots --json gives every id as its exact decimal string', async () => {
    const { code, out, err } = await run('snapshots', 'bronze.shipments', '--json');
    assert.equal(code, 0, err);
    assert.ok(out.includes(`"snapshotId":"${SECOND}"`), out);
    const parsed = JSON.parse(out) as { currentSnapshotId: unknown; snapshots: { snapshotId: unknown; parentId: unknown }[] };
    assert.equal(parsed.currentSnapshotId, SECOND);
    assert.deepEqual(
      parsed.snapshots.map((s) => [s.snapshotId, s.parentId]),
      [
        [FIRST, null],
        [SECOND, FIRST],
      ],
    );
  });

  it('snapshots and tables print the exact digits in their tables', async () => {
    const history = await run('snapshots', 'bronze.shipments');
    assert.equal(history.code, 0, history.err);
    const lines = history.out.split('\n');
    assert.ok(lines.some((l) => l.startsWith(`${FIRST} `)) && lines.some((l) => l.startsWith(`${SECOND} `)), history.out);
    const tables = await run('tables');
    assert.equal(tables.code, 0, tables.err);
    assert.match(tables.out, new RegExp(`^bronze\\.shipments\\s+${SECOND}\\s+2\\s+2\\s`, 'm'));
    const json = JSON.parse((await run('tables', '--json')).out) as { tables: { table: string; currentSnapshotId: unknown }[] };
    assert.deepEqual(json.tables.map((t) => [t.table, t.currentSnapshotId]), [['bronze.shipments', SECOND]]);
  });
});

describe('orderpulse query output', () => {
  const sql = 'SELECT shipment_id, shipped_at, freight FROM bronze_shipments ORDER BY shipment_id';

  it('prints timestamps as ISO-8601 in UTC with microseconds, decimals exact, numbers without separators', async () => {
    const { code, out, err } = await run('query', sql);
    assert.equal(code, 0, err);
    const rows = out.split('\n').slice(2, 4).map((l) => l.trim().split(/\s+/));
    assert.deepEqual(rows, [
      ['1', '2018-07-15T12:00:00.250000Z', '12345678901234.56'],
      ['2000000', '2018-01-15T12:00:00.000000Z', '0.01'],
    ]);
    assert.ok(!/\d,\d{3}/.test(out), `no thousands separators:\n${out}`);
  });

  it('--tz writes timestamptz in that zone with its offset', async () => {
    const { code, out, err } = await run('query', sql, '--tz', 'America/Sao_Paulo', '--json');
    assert.equal(code, 0, err);
    assert.deepEqual(JSON.parse(out), {
      columns: ['shipment_id', 'shipped_at', 'freight'],
      rows: [
        { shipment_id: 1, shipped_at: '2018-07-15T09:00:00.250000-03:00', freight: '12345678901234.56' },
        { shipment_id: 2000000, shipped_at: '2018-01-15T10:00:00.000000-02:00', freight: '0.01' },
      ],
    });
  });

  it('--json writes 64-bit integers beyond 2^53 as strings', async () => {
    const { code, out, err } = await run('query', `SELECT ${SECOND}::BIGINT AS id, 9007199254740991::BIGINT AS largest_exact`, '--json');
    assert.equal(code, 0, err);
    assert.equal(out.trim(), `{"columns":["id","largest_exact"],"rows":[{"id":"${SECOND}","largest_exact":9007199254740991}]}`);
    const table = await run('query', `SELECT ${SECOND}::BIGINT AS id`);
    assert.match(table.out, new RegExp(`^${SECOND}$`, 'm'));
  });

  it('refuses an unknown --tz, naming it', async () => {
    const { code, err } = await run('query', sql, '--tz', 'Mars/Olympus_Mons');
    assert.equal(code, 1);
    assert.match(err, /unknown time zone "Mars\/Olympus_Mons"/);
  });
});
