import type { Command } from 'commander';
import { ALERTS_TOPIC } from '../../stream/index.js';
import type { CliIO } from '../output.js';
import { table, writeJson } from '../output.js';
import { openRuntime, registerTopicSchemas, schemasToRegister } from '../../deploy/index.js';
import type { SetExitCode } from './index.js';
import { settingsFor } from './common.js';

interface JsonFlag {
  readonly json?: boolean;
}

export function registerSchemas(program: Command, io: CliIO, _setExitCode: SetExitCode): void {
  const schemas = program.command('schemas').description('the Avro schemas of the topics, in the schema registry');
  schemas
    .command('register')
    .description(
      `register the current schema of every topic, ${ALERTS_TOPIC} included (refused when incompatible with the registered ones); ` +
        'with a shared registry (--registry) this must run before anything writes',
    )
    .option('--json', 'print as JSON')
    .action(async (flags: JsonFlag, command: Command) => {
      const runtime = openRuntime(settingsFor(command, io), { env: io.env });
      try {
        const registered = await registerTopicSchemas(runtime.registry, schemasToRegister());
        if (flags.json === true) writeJson(io, { registry: runtime.registry.kind, registered });
        else
          io.stdout.write(
            `${table(
              ['subject', 'file', 'id', 'version', 'compatibility'],
              registered.map((r) => [r.subject, r.file, r.id, r.version ?? '-', r.compatibility]),
            )}\n`,
          );
      } finally {
        await runtime.close();
      }
    });
  schemas
    .command('list')
    .description('list the registered subjects with their versions and compatibility level')
    .option('--json', 'print as JSON')
    .action(async (flags: JsonFlag, command: Command) => {
      const runtime = openRuntime(settingsFor(command, io), { env: io.env });
      try {
        const subjects = [];
        for (const subject of await runtime.registry.subjects()) {
          const latest = await runtime.registry.latest(subject);
          subjects.push({
            subject,
            versions: await runtime.registry.versions(subject),
            latestId: latest?.id ?? null,
            compatibility: await runtime.registry.compatibility(subject),
          });
        }
        if (flags.json === true) writeJson(io, { registry: runtime.registry.kind, subjects });
        else if (subjects.length === 0) io.stdout.write('no subjects registered yet (run `orderpulse schemas register`)\n');
        else
          io.stdout.write(
            `${table(
              ['subject', 'versions', 'latest id', 'compatibility'],
              subjects.map((s) => [s.subject, s.versions.join(','), s.latestId ?? '-', s.compatibility]),
            )}\n`,
          );
      } finally {
        await runtime.close();
      }
    });
}
