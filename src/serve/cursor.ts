import { MAX_PARTITIONS } from '../log/index.js';

/**
 * A position in the alerts topic: the next offset to read on every partition, written
 * `0:120,1:98,2:77`. It is the `id:` of each alert event the live stream sends, so a client that
 * reconnects with it as Last-Event-ID gets exactly the changes after the last one it saw, read back
 * from the log (the log outlives the server, so this holds across a restart too).
 */
export type Cursor = ReadonlyMap<number, number>;

const CURSOR_PATTERN = /^\d{1,6}:\d{1,16}(,\d{1,6}:\d{1,16})*$/;

export function formatCursor(positions: Cursor): string {
  return [...positions.entries()]
    .sort(([a], [b]) => a - b)
    .map(([partition, offset]) => `${partition}:${offset}`)
    .join(',');
}

/** Reads a cursor; null when the text is not one (the caller says why to the client). */
export function parseCursor(text: string): Cursor | null {
  if (!CURSOR_PATTERN.test(text)) return null;
  const positions = new Map<number, number>();
  for (const part of text.split(',')) {
    const [partition, offset] = part.split(':').map(Number) as [number, number];
    if (partition >= MAX_PARTITIONS || !Number.isSafeInteger(offset) || positions.has(partition)) return null;
    positions.set(partition, offset);
  }
  return positions;
}
