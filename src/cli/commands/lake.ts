import type { Command } from 'commander';
import { Option } from 'commander';
import type { IcebergTable, Lake } from '../../lake/index.js';
import type { CliIO } from '../output.js';
import { table, writeJson } from '../output.js';
import type { TableCell } from '../output.js';
import { openRuntime } from '../../deploy/index.js';
import type { SetExitCode } from './index.js';
import { settingsFor } from './common.js';
import { parseDuration } from './durations.js';

interface JsonFlag {
  readonly json?: boolean;
}

/** In `orderpulse query`, table `bronze.order_events` is the view `bronze_order_events`. */
export function viewName(tableName: string): string {
  return tableName.replace('.', '_');
}

async function withLake<T>(command: Command, io: CliIO, body: (lake: Lake) => Promise<T>): Promise<T> {
  const runtime = openRuntime(settingsFor(command, io), { env: io.env });
  try {
    return await body(await runtime.lake());
  } finally {
    await runtime.close();
  }
}

interface TableFacts {
  readonly table: string;
  readonly location: string;
  readonly snapshots: number;
  /** Exact (a bigint); `--json` writes it as a decimal string. */
  readonly currentSnapshotId: bigint | null;
  readonly rows: number;
  readonly files: number;
  readonly bytes: number;
}

async function tableFacts(t: IcebergTable): Promise<TableFacts> {
  const scan = await t.scan();
  return {
    table: t.name,
    location: t.location,
    snapshots: t.snapshots().length,
    currentSnapshotId: t.currentSnapshot()?.['snapshot-id'] ?? null,
    rows: scan.recordCount,
    files: scan.files.length,
    bytes: scan.files.reduce((sum, f) => sum + f.fileSizeInBytes, 0),
  };
}

export function registerLake(program: Command, io: CliIO, _setExitCode: SetExitCode): void {
  program
    .command('tables')
    .description('list the Iceberg tables with their current snapshot id, snapshots, rows, files and bytes')
    .option('--json', 'print as JSON')
    .action(async (flags: JsonFlag, command: Command) => {
      await withLake(command, io, async (lake) => {
        const facts = [];
        for (const name of await lake.listTables()) facts.push(await tableFacts(await lake.table(name)));
        if (flags.json === true) {
          writeJson(io, { warehouse: lake.warehouse, tables: facts });
          return;
        }
        if (facts.length === 0) {
          io.stdout.write(`no tables yet in ${lake.warehouse}\n`);
          return;
        }
        io.stdout.write(
          `${table(
            ['table', 'current snapshot', 'snapshots', 'rows', 'files', 'bytes'],
            facts.map((f) => [f.table, f.currentSnapshotId === null ? '' : f.currentSnapshotId.toString(), f.snapshots, f.rows, f.files, f.bytes]),
          )}\n`,
        );
      });
    });

  program
    .command('snapshots')
    .description("a table's snapshot history: id, time, operation, rows added and removed, total rows")
    .argument('<table>', 'namespace.table, e.g. bronze.order_events')
    .option('--json', 'print as JSON')
    .action(async (name: string, flags: JsonFlag, command: Command) => {
      await withLake(command, io, async (lake) => {
        const t = await lake.table(name);
        const snapshots = t.snapshots().map((s) => ({
          snapshotId: s['snapshot-id'],
          parentId: s['parent-snapshot-id'] ?? null,
          sequenceNumber: s['sequence-number'],
          timestamp: new Date(s['timestamp-ms']).toISOString(),
          operation: s.summary.operation,
          summary: s.summary,
        }));
        if (flags.json === true) {
          writeJson(io, { table: t.name, currentSnapshotId: t.currentSnapshot()?.['snapshot-id'] ?? null, snapshots });
          return;
        }
        io.stdout.write(
          `${table(
            ['snapshot', 'time (UTC)', 'operation', 'added rows', 'deleted rows', 'total rows'],
            snapshots.map((s) => [
              s.snapshotId.toString(),
              s.timestamp.replace('T', ' ').slice(0, 19),
              s.operation,
              Number(s.summary['added-records'] ?? 0),
              Number(s.summary['deleted-records'] ?? 0),
              Number(s.summary['total-records'] ?? 0),
            ]),
          )}\n`,
        );
      });
    });

  program
    .command('query')
    .description('run read-only SQL (DuckDB) over the lake; table bronze.x is the view bronze_x')
    .argument('<sql>', 'a SELECT statement')
    .addOption(new Option('--as-of <time>', 'read every table as it was at this instant (ISO 8601)'))
    .addOption(new Option('--tz <zone>', 'write timestamptz values in this IANA time zone (e.g. America/Sao_Paulo) instead of UTC'))
    .option('--json', 'print the rows as JSON (64-bit integers beyond 2^53 as strings)')
    .action(async (sql: string, flags: JsonFlag & { asOf?: string; tz?: string }, command: Command) => {
      await withLake(command, io, async (lake) => {
        const asOf = flags.asOf === undefined ? undefined : Date.parse(flags.asOf);
        if (asOf !== undefined && Number.isNaN(asOf)) throw new Error(`--as-of "${flags.asOf}" is not a date or time`);
        const views: Record<string, { files: string[]; schema: Awaited<ReturnType<IcebergTable['scan']>>['schema'] }> = {};
        for (const name of await lake.listTables()) {
          const t = await lake.table(name);
          const scan = await t.scan(asOf === undefined ? {} : { asOfTimestampMs: asOf }).catch(() => null);
          if (scan === null) continue;
          views[viewName(name)] = { files: await Promise.all(scan.files.map((f) => lake.io.localPath(f.filePath))), schema: scan.schema };
        }
        const result = await lake.query(views, sql, undefined, { display: flags.tz === undefined ? {} : { timeZone: flags.tz } });
        if (flags.json === true) {
          writeJson(io, { columns: result.columns, rows: result.rows });
          return;
        }
        io.stdout.write(
          `${table(
            result.columns,
            result.rows.map((r) => result.columns.map((c) => formatCell(r[c]))),
            { groupDigits: false },
          )}\n(${result.rows.length} rows)\n`,
        );
      });
    });

  program
    .command('maintain')
    .description('compact small files, expire old snapshots and remove orphan files, in every table')
    .addOption(new Option('--expire-older-than <duration>', 'expire snapshots older than this').argParser(parseDuration).default(7 * 86_400_000, '7d'))
    .addOption(new Option('--retain-last <n>', 'always keep this many newest snapshots').default('5'))
    .addOption(new Option('--orphans-older-than <duration>', 'remove unreferenced files older than this').argParser(parseDuration).default(86_400_000, '1d'))
    .option('--dry-run', 'report orphan files without deleting them (compaction and expiry still run)')
    .option('--json', 'print as JSON')
    .action(
      async (
        flags: JsonFlag & { expireOlderThan: number; retainLast: string; orphansOlderThan: number; dryRun?: boolean },
        command: Command,
      ) => {
        const retainLast = Number(flags.retainLast);
        if (!Number.isInteger(retainLast) || retainLast < 1) throw new Error('--retain-last must be a whole number, 1 or more');
        await withLake(command, io, async (lake) => {
          const report = [];
          for (const name of await lake.listTables()) {
            const t = await lake.table(name);
            const compaction = await t.compact();
            const expiry = await t.expireSnapshots({ olderThanMs: Date.now() - flags.expireOlderThan, retainLast });
            const orphans = await t.removeOrphanFiles({ olderThanMs: Date.now() - flags.orphansOlderThan, dryRun: flags.dryRun === true });
            report.push({
              table: name,
              compactedFiles: compaction?.deletedFiles ?? 0,
              writtenFiles: compaction?.addedFiles ?? 0,
              expiredSnapshots: expiry.expiredSnapshots,
              deletedFiles: expiry.deletedFiles,
              orphanFiles: orphans.length,
            });
          }
          if (flags.json === true) {
            writeJson(io, { dryRun: flags.dryRun === true, tables: report });
            return;
          }
          io.stdout.write(
            `${table(
              ['table', 'compacted files', 'written files', 'expired snapshots', 'deleted files', flags.dryRun === true ? 'orphans (kept)' : 'orphans removed'],
              report.map((r) => [r.table, r.compactedFiles, r.writtenFiles, r.expiredSnapshots, r.deletedFiles, r.orphanFiles]),
            )}\n`,
          );
        });
      },
    );
}

/** A query result value as a table cell: exact digits, no separators; timestamps come as ISO text. */
function formatCell(value: unknown): TableCell {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? '';
}
