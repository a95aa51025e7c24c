import type { CompatibilityLevel, SchemaRegistry } from '../events/index.js';
import { SCHEMA_DIR, currentTopicSchemas, subjectOf } from '../events/index.js';
import { ALERTS_SCHEMA_FILE, ALERTS_TOPIC, AlertCodec } from '../stream/index.js';

// The schemas a deployment writes with span two rooms (the event topics' and the alerts topic's),
// and a shared registry needs them registered once before anything writes: a deployment step, so
// it lives with the rest of the wiring.

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
