import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ValidationReport } from '../../data/index.js';
import { validateOlist } from '../../data/index.js';
import type { CliIO } from '../output.js';
import { EXIT, table, writeJson } from '../output.js';
import type { SetExitCode } from './index.js';
import { settingsFor } from './common.js';

export function printReport(io: CliIO, report: ValidationReport, shown = 10): void {
  io.stdout.write(`${report.directory}\n`);
  io.stdout.write(
    `${table(
      ['file', 'read', 'accepted', 'quarantined'],
      report.files.map((f) => [f.file, f.rowsRead, f.accepted, f.quarantined]),
    )}\n`,
  );
  if (report.quarantine.length === 0) return;
  io.stdout.write(`\n${report.quarantine.length.toLocaleString('en-US')} rows quarantined`);
  io.stdout.write(report.quarantine.length > shown ? ` (first ${shown}):\n` : ':\n');
  for (const q of report.quarantine.slice(0, shown)) io.stdout.write(`  ${q.file}:${q.line}: ${q.reason}\n`);
}

export function writeQuarantine(path: string, report: ValidationReport): void {
  writeFileSync(path, report.quarantine.map((q) => JSON.stringify(q)).join('\n') + (report.quarantine.length > 0 ? '\n' : ''));
}

interface ValidateFlags {
  readonly data?: string;
  readonly json?: boolean;
  readonly quarantine?: string;
  readonly strict?: boolean;
}

export function registerValidate(program: Command, io: CliIO, setExitCode: SetExitCode): void {
  program
    .command('validate')
    .description('read an Olist directory, check every row, and report rows read, accepted and quarantined per file')
    .option('--data <dir>', 'Olist directory of .csv or .csv.gz files [env ORDERPULSE_DATA; default data/olist-sample]')
    .option('--quarantine <file>', 'also write the quarantined rows to this file, one JSON object a line')
    .option('--strict', 'exit with status 1 when any row is quarantined')
    .option('--json', 'print the report as JSON (every quarantined row included)')
    .action(async (flags: ValidateFlags, command: Command) => {
      const settings = settingsFor(command, io, { data: flags.data });
      const report = await validateOlist(resolve(io.cwd, settings.data));
      if (flags.quarantine !== undefined) writeQuarantine(resolve(io.cwd, flags.quarantine), report);
      if (flags.json === true) writeJson(io, report);
      else printReport(io, report);
      if (flags.strict === true && report.quarantine.length > 0) setExitCode(EXIT.failed);
    });
}
