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

/** A seeded generator (mulberry32), uniform in [0, 1): the same seed gives the same sequence. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of a randomised test: ORDERPULSE_TEST_SEED when set, else a new one; printed so that a failure can be replayed. */
export function testSeed(what: string): number {
  const seed = Number(process.env.ORDERPULSE_TEST_SEED ?? Date.now() % 100_000);
  console.log(`${what} seeded with ${seed} (ORDERPULSE_TEST_SEED=${seed} repeats it)`);
  return seed;
}
