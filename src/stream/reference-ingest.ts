import type { EventCodec } from '../events/index.js';
import type { Lake } from '../lake/index.js';
import type { EventLog } from '../log/index.js';
import { ingestReference } from './reference.js';

/**
 * Where the passes read and write: a deployment's log, codec and lake. The codec and the lake are
 * asked for, not given, so a deployment opens them only when the passes start.
 */
export interface ReferenceSources {
  readonly log: EventLog;
  codec(): Promise<EventCodec>;
  lake(): Promise<Lake>;
}

/** How often at least the reference events are taken into bronze while the processor runs (ms). */
const REFERENCE_EVERY_MS = 5_000;

/**
 * The reference events (customers, sellers, products) into `bronze.reference_events` beside the
 * processor: a pass before it starts, one whenever it goes idle (`nudge`), one at least every
 * `REFERENCE_EVERY_MS` while it runs, and a last one when it ends (`finish`). Every process may run
 * one, every member of a group included: the passes' fenced commits keep each record written once.
 * A failed pass aborts `failed`, which the processor's run is given, so the run stops with it.
 */
export class ReferenceIngest {
  readonly #ingest: () => Promise<number>;
  readonly #failed = new AbortController();
  #appended = 0;
  #due = false;
  #ending = false;
  #wake: (() => void) | null = null;
  #loop: Promise<void> = Promise.resolve();
  #error: Error | null = null;

  private constructor(ingest: () => Promise<number>) {
    this.#ingest = ingest;
  }

  /** Runs the first pass, then the passes in the background. `signal` stops a pass between commits. */
  static async start(sources: ReferenceSources, options: { readonly signal?: AbortSignal; readonly onAppended?: (rows: number) => void } = {}): Promise<ReferenceIngest> {
    const log = sources.log;
    const codec = await sources.codec();
    const lake = await sources.lake();
    const ingest = async (): Promise<number> => {
      const { appended } = await ingestReference({ log, codec, lake, ...(options.signal === undefined ? {} : { signal: options.signal }) });
      if (appended > 0) options.onAppended?.(appended);
      return appended;
    };
    const reference = new ReferenceIngest(ingest);
    reference.#appended += await ingest();
    reference.#loop = reference.#run();
    return reference;
  }

  /** Aborted when a pass failed: give it to the processor's run. */
  get failed(): AbortSignal {
    return this.#failed.signal;
  }

  /** Rows appended so far. */
  get appended(): number {
    return this.#appended;
  }

  /** The processor went idle: take what the reference topics hold now. */
  nudge(): void {
    this.#due = true;
    this.#wake?.();
  }

  /** Ends the background passes, then takes what the log holds; throws the error of a failed pass. */
  async finish(): Promise<number> {
    await this.close();
    if (this.#error !== null) throw this.#error;
    this.#appended += await this.#ingest();
    return this.#appended;
  }

  /** Ends the background passes, waiting for the one in progress (the lake must not close under it). */
  async close(): Promise<void> {
    this.#ending = true;
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#ending) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, REFERENCE_EVERY_MS);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
        if (this.#due || this.#ending) this.#wake();
      });
      this.#wake = null;
      if (this.#ending) return;
      this.#due = false;
      try {
        this.#appended += await this.#ingest();
      } catch (error) {
        this.#error = error instanceof Error ? error : new Error(`reference events: ${String(error)}`);
        this.#failed.abort(this.#error);
        return;
      }
    }
  }
}
