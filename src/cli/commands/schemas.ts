import type { Command } from 'commander';
import type { CompatibilityLevel, SchemaRegistry } from '../../events/index.js';
import { SCHEMA_DIR, currentTopicSchemas, subjectOf } from '../../events/index.js';
import { ALERTS_SCHEMA_FILE, ALERTS_TOPIC, AlertCodec } from '../../stream/index.js';
import type { CliIO } from '../output.js';
import { table, writeJson } from '../output.js';
import { openRuntime } from '../../deploy/index.js';
import type { SetExitCode } from './index.js';
import { settingsFor } from './common.js';

interface JsonFlag {
  readonly json?: boolean;
}

/** A schema OrderPulse writes with: its subject, its file in the schema directory, its text. */
export interface SchemaToRegister {
  readonly subject: string;
  readonly file: string;
  readonly text: string;
}

export interface RegisteredSubject {
  readonly subject: string;
  readonly file: string;
  readonly id: number;
  readonly version: number | null;
  readonly compatibility: CompatibilityLevel;
}

/** The level a subject OrderPulse creates gets when the registry would check nothing (Apicurio's default). */
const NEW_SUBJECT_LEVEL: CompatibilityLevel = 'BACKWARD';

/** The newest schema of each event topic, then the alerts topic's. */
export function schemasToRegister(schemaDir: string = SCHEMA_DIR): SchemaToRegister[] {
  return [
    ...[...currentTopicSchemas(schemaDir).values()].map((s) => ({ subject: s.subject, file: s.file, text: s.text })),
    { subject: subjectOf(ALERTS_TOPIC), file: ALERTS_SCHEMA_FILE, text: AlertCodec.schemaText(schemaDir) },
  ];
}

/**
 * Registers the schemas in order and stops at the first the registry refuses (its error names the
 * subject and the reason). Registering is idempotent, so a rerun after a fix completes the set. A
 * subject created here whose level is NONE gets BACKWARD, the level OrderPulse's schemas evolve by;
 * a subject's existing level is the registry operator's and is left alone.
 */
export async function registerTopicSchemas(registry: SchemaRegistry, schemas: readonly SchemaToRegister[]): Promise<RegisteredSubject[]> {
  const registered: RegisteredSubject[] = [];
  for (const schema of schemas) {
    const isNew = (await registry.versions(schema.subject)).length === 0;
    if (isNew && (await registry.compatibility(schema.subject)) === 'NONE') await registry.setCompatibility(NEW_SUBJECT_LEVEL, schema.subject);
    const id = await registry.register(schema.subject, schema.text);
    const found = await registry.lookup(schema.subject, schema.text);
    registered.push({
      subject: schema.subject,
      file: schema.file,
      id,
      version: found?.version ?? null,
      compatibility: await registry.compatibility(schema.subject),
    });
  }
  return registered;
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
