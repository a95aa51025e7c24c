import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMA_DIR } from '../events/index.js';

/** The field `incompatibleOrdersSchemaDir` adds to the orders schema. */
export const ADDED_REQUIRED_FIELD = 'sales_channel';

/**
 * Copies the repository's schema directory into `dir` and adds `orders-v2.avsc`: v1 with a new
 * required field and no default. BACKWARD refuses it, since a v2 reader cannot fill the field in
 * from v1 data. (Dropping a field would not do: a reader just ignores a field it does not know.)
 */
export function incompatibleOrdersSchemaDir(dir: string): string {
  cpSync(SCHEMA_DIR, dir, { recursive: true });
  const v1 = JSON.parse(readFileSync(join(SCHEMA_DIR, 'orders-v1.avsc'), 'utf8')) as { fields: unknown[] };
  v1.fields.push({ name: ADDED_REQUIRED_FIELD, type: 'string', doc: 'where the order was placed' });
  writeFileSync(join(dir, 'orders-v2.avsc'), JSON.stringify(v1, null, 2));
  return dir;
}
