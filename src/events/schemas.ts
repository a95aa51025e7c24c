import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TopicName } from './model.js';
import { TOPIC_NAMES } from './model.js';

/** The repository's `schemas/` folder: one `.avsc` file per topic and version (`orders-v1.avsc`). */
export const SCHEMA_DIR = fileURLToPath(new URL('../../../schemas/', import.meta.url));

export interface TopicSchema {
  readonly topic: TopicName;
  /** Confluent subject naming: `<topic>-value`. */
  readonly subject: string;
  readonly version: number;
  readonly file: string;
  /** The schema as JSON text, exactly as in the file. */
  readonly text: string;
}

export function subjectOf(topic: string): string {
  return `${topic}-value`;
}

/**
 * Every schema version found for each topic, oldest first. The newest one is what OrderPulse writes
 * and reads with; older ones document the subject's history and are checked for compatibility.
 */
export function topicSchemaHistory(dir: string = SCHEMA_DIR): ReadonlyMap<TopicName, readonly TopicSchema[]> {
  const history = new Map<TopicName, TopicSchema[]>();
  for (const topic of TOPIC_NAMES) history.set(topic, []);
  for (const file of readdirSync(dir).sort()) {
    const match = /^([a-z-]+)-v(\d+)\.avsc$/.exec(file);
    if (match === null) continue;
    const topic = TOPIC_NAMES.find((t) => t === match[1]);
    if (topic === undefined) continue;
    history.get(topic)?.push({
      topic,
      subject: subjectOf(topic),
      version: Number(match[2]),
      file,
      text: readFileSync(join(dir, file), 'utf8'),
    });
  }
  for (const [topic, versions] of history) {
    if (versions.length === 0) throw new Error(`no schema file for topic ${topic} in ${dir}`);
    versions.sort((a, b) => a.version - b.version);
  }
  return history;
}

/** The newest schema of each topic. */
export function currentTopicSchemas(dir: string = SCHEMA_DIR): ReadonlyMap<TopicName, TopicSchema> {
  const current = new Map<TopicName, TopicSchema>();
  for (const [topic, versions] of topicSchemaHistory(dir)) {
    const newest = versions[versions.length - 1];
    if (newest !== undefined) current.set(topic, newest);
  }
  return current;
}
