import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from `dist/src/testing`). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The bundled real Olist sample. */
export const sampleDir = join(repoRoot, 'data', 'olist-sample');

/** A fresh temporary directory, removed by the returned function. */
export function tempDir(prefix = 'orderpulse-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
