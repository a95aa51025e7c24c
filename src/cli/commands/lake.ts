import type { Command } from 'commander';
import { Option } from 'commander';
import type { IcebergTable, Lake, QueryTable } from '../../lake/index.js';
import { LakeError } from '../../lake/index.js';
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
  /** Live rows: after the delete files. */
  readonly rows: number;
  readonly files: number;
  readonly bytes: number;
  readonly deleteFiles: number;
  /** Rows in the position and equality delete files. */
  readonly positionDeletes: number;
  readonly equalityDeletes: number;
}

async function tableFacts(t: IcebergTable): Promise<TableFacts> {
  const scan = await t.scan();
  const deletes = (content: 1 | 2): number => scan.deleteFiles.filter((f) => f.content === content).reduce((sum, f) => sum + f.recordCount, 0);
  return {
    table: t.name,
    location: t.location,
    snapshots: t.snapshots().length,
    currentSnapshotId: t.currentSnapshot()?.['snapshot-id'] ?? null,
    // Live rows: the data files' rows less those their delete files remove.
    rows: await scan.liveRecordCount(),
    files: scan.files.length,
    bytes: [...scan.files, ...scan.deleteFiles].reduce((sum, f) => sum + f.fileSizeInBytes, 0),
    deleteFiles: scan.deleteFiles.length,
    positionDeletes: deletes(1),
    equalityDeletes: deletes(2),
  };
}

export function registerLake(program: Command, io: CliIO, _setExitCode: SetExitCode): void {
  program
    .command('tables')
    .description('list the Iceberg tables with their current snapshot id, snapshots, live rows (after row-level deletes), data and delete files, and bytes')
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
            ['table', 'current snapshot', 'snapshots', 'rows', 'files', 'delete files', 'bytes'],
            facts.map((f) => [f.table, f.currentSnapshotId === null ? '' : f.currentSnapshotId.toString(), f.snapshots, f.rows, f.files, f.deleteFiles, f.bytes]),
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
        const views: Record<string, QueryTable> = {};
        for (const name of await lake.listTables()) {
          const t = await lake.table(name);
          const scan = await t.scan(asOf === undefined ? {} : { asOfTimestampMs: asOf }).catch((error: unknown) => {
            // A table with no snapshot at that instant is left out; any other failure is the answer.
            if (error instanceof LakeError && error.code === 'OP_LAKE_NO_SUCH_SNAPSHOT') return null;
            throw error;
          });
          if (scan === null) continue;
          const nested = scan.schema.fields.find((f) => typeof f.type !== 'string');
          if (nested !== undefined) {
            io.stderr.write(`query: ${name} is left out: its column ${nested.name} is nested (struct, list or map), which query does not read\n`);
            continue;
          }
          // The view applies the table's row-level deletes.
          views[viewName(name)] = await scan.view();
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
    .description(
      'compact small files (applying row-level deletes), expire old snapshots and remove orphan files, in every table; a table compaction cannot rewrite exactly is skipped with the reason',
    )
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
            const skipped: string[] = [];
            // A table holding what a step cannot carry exactly is left as it is by that step, and said so.
            const unlessUnsupported = async <T>(step: string, work: () => Promise<T>): Promise<T | null> => {
              try {
                return await work();
              } catch (error) {
                if (!(error instanceof LakeError && error.code === 'OP_LAKE_UNSUPPORTED')) throw error;
                skipped.push(`${step}: ${error.message}`);
                io.stderr.write(`maintain: ${step} skipped: ${error.message}\n`);
                return null;
              }
            };
            const compaction = await unlessUnsupported('compaction', () => t.compact());
            const expiry = await unlessUnsupported('snapshot expiry', () => t.expireSnapshots({ olderThanMs: Date.now() - flags.expireOlderThan, retainLast }));
            const orphans = await unlessUnsupported('orphan removal', () =>
              t.removeOrphanFiles({ olderThanMs: Date.now() - flags.orphansOlderThan, dryRun: flags.dryRun === true }),
            );
            report.push({
              table: name,
              compactedFiles: compaction?.deletedFiles ?? 0,
              writtenFiles: compaction?.addedFiles ?? 0,
              expiredSnapshots: expiry?.expiredSnapshots ?? 0,
              deletedFiles: expiry?.deletedFiles ?? 0,
              orphanFiles: orphans?.length ?? 0,
              skipped,
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
