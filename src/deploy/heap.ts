import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the heap grow past what the last full collection kept, in percent, in a process
 * that runs the stream processor.
 *
 * V8 picks the factor itself, up to 4× when collections are cheap, as they are for the processor:
 * its live heap is 60–90 MiB at scale 10, most of what it allocates (batches, rows, JSON payloads)
 * dies young, so the old space was let grow to 370 MiB between full collections and the process
 * peaked at 660 MiB. With growth capped at 2× the old space stays under about 230 MiB and the
 * process peaks at about 460 MiB, for 10–25% more CPU in a catch-up, spent on more full collections
 * (docs/benchmarks.md, "Stream").
 */
export const PROCESSOR_HEAP_GROWING_PERCENT = 100;

let bounded = false;

/**
 * Caps V8's heap growth factor for this process (and the threads it starts after this call), for
 * the commands that run the stream processor. V8 reads the flag whenever it sizes the heap after a
 * full collection, so setting it after start-up takes effect from the next one. Idempotent.
 */
export function boundHeapGrowth(): void {
  if (bounded) return;
  setFlagsFromString(`--heap-growing-percent=${PROCESSOR_HEAP_GROWING_PERCENT}`);
  bounded = true;
}
