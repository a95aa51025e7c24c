import { randomUUID } from 'node:crypto';
import type { Lake } from '../lake/index.js';
import { parseTableName } from '../lake/index.js';

/**
 * Gives a table's snapshots the ids `ids` (decimal text, oldest snapshot first), as if an engine
 * drawing 63-bit ids (Java, PyIceberg) had written them: commits a copy of the current metadata
 * file in which only the `snapshot-id`, `parent-snapshot-id` and `current-snapshot-id` values
 * differ. The ids are replaced in the JSON text, so they never pass through the code under test.
 * Manifests keep the old ids, so snapshot reads work but incremental reads (which match manifest
 * entries' snapshot ids) do not.
 */
export async function renumberSnapshots(lake: Lake, name: string, ids: readonly string[]): Promise<void> {
  const table = await lake.table(name);
  const old = table.snapshots().map((s) => s['snapshot-id'].toString());
  if (old.length !== ids.length) throw new Error(`${name} has ${old.length} snapshots, ${ids.length} ids given`);
  const next = new Map(old.map((id, i) => [id, ids[i] as string]));
  const identifier = parseTableName(name);
  const location = await lake.catalog.currentMetadataLocation(identifier);
  if (location === null) throw new Error(`${name} has no metadata`);
  const text = new TextDecoder().decode(await lake.io.read(location));
  const renumbered = text.replace(/("(?:current-|parent-)?snapshot-id"\s*:\s*)(-?\d+)/g, (_m, key: string, id: string) => `${key}${next.get(id) ?? id}`);
  const version = Number(/\/(\d+)-[^/]*\.metadata\.json$/.exec(location)?.[1] ?? '0') + 1;
  const target = location.replace(/\/[^/]*\.metadata\.json$/, `/${String(version).padStart(5, '0')}-${randomUUID()}.metadata.json`);
  await lake.io.write(target, new TextEncoder().encode(renumbered));
  await lake.catalog.swapMetadataLocation(identifier, location, target);
}
