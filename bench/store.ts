import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULTS, STORE_FILE, openRuntime } from '../src/deploy/index.js';
import type { MarketplaceEvent } from '../src/events/index.js';
import { replay } from '../src/replay/index.js';

/** Replays `events` into the embedded store at `state` as fast as it goes; the number appended. */
export async function fillLog(state: string, events: readonly MarketplaceEvent[]): Promise<number> {
  const runtime = openRuntime({ ...DEFAULTS, state });
  try {
    const summary = await replay({ log: runtime.log, codec: await runtime.codec(), events, pacing: { mode: 'max' } });
    if (!summary.completed) throw new Error(`replay appended ${summary.appended} of ${events.length}`);
    return summary.appended;
  } finally {
    await runtime.close();
  }
}

/** A fresh state directory holding a copy of the template's store (the lake starts empty). */
export function copyStore(template: string, state: string): void {
  mkdirSync(state, { recursive: true });
  for (const suffix of ['', '-wal', '-shm']) {
    const from = join(template, STORE_FILE + suffix);
    if (existsSync(from)) copyFileSync(from, join(state, STORE_FILE + suffix));
  }
}
