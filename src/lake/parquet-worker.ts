import { Worker } from 'node:worker_threads';
import { LakeError } from './errors.js';
import { encodeRows, transferables } from './parquet-columns.js';
import type { WriterReply, WriterRequest, WriterThreadData } from './parquet-worker-protocol.js';
import type { ParquetFileStats, WriteParquetOptions } from './parquet-writer.js';
import type { ColumnRows } from './column-rows.js';
import type { Row } from './duckdb-engine.js';

export interface ParquetWorkerOptions {
  /** DuckDB's spill directory for the thread's own instance. */
  readonly tempDir: string;
  /** DuckDB threads of that instance (default 1: the thread itself is the parallelism gained). */
  readonly threads?: number;
}

interface Pending {
  readonly resolve: (stats: ParquetFileStats) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Writes Parquet data files on a thread of its own, so that encoding them does not hold up the
 * event loop. The rows are taken apart into columns here (`encodeRows`); numeric columns move to
 * the thread without a copy, each string column as one joined string. The thread encodes files of
 * plain types itself (parquet-encoder.ts) and writes them with blocking calls, which keeps them out
 * of libuv's pool that DuckDB's queries on the main thread also take; for other types it starts a
 * DuckDB instance of its own at the first such file. `start` starts the thread before the first
 * write.
 *
 * A thread that dies (an uncaught error, `terminate`) fails every write in flight
 * with `OP_LAKE_WRITER_FAILED`; the next write starts a new thread. `close` lets the writes in
 * flight finish, then ends the thread; a write after it is refused.
 */
export class ParquetWorker {
  readonly #options: ParquetWorkerOptions;
  #worker: Worker | null = null;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #closed = false;
  #closing: Promise<void> | null = null;

  constructor(options: ParquetWorkerOptions) {
    this.#options = options;
  }

  /** Whether a thread is running now. */
  get running(): boolean {
    return this.#worker !== null;
  }

  /** Starts the thread now, if it is not running, so that the first write does not wait for it. */
  start(): void {
    if (this.#closed) throw new LakeError('OP_LAKE_INVALID_ARGUMENT', 'the Parquet writer thread is closed');
    this.#start();
  }

  /**
   * `writeParquet` on the thread, for row objects or columns. The rows must have been checked
   * against the schema (`rowChecker`, `checkColumnRows`).
   */
  async write(
    options: Pick<WriteParquetOptions, 'schema' | 'path' | 'compression' | 'rowGroupSize' | 'fsync'> & { readonly rows: readonly Row[] | ColumnRows },
  ): Promise<ParquetFileStats> {
    if (this.#closed) throw new LakeError('OP_LAKE_INVALID_ARGUMENT', 'the Parquet writer thread is closed', { details: { path: options.path } });
    const rows = encodeRows(options.schema, options.rows);
    const worker = this.#start();
    const id = this.#nextId++;
    const request: WriterRequest = {
      type: 'write',
      id,
      schema: options.schema,
      rows,
      path: options.path,
      ...(options.compression === undefined ? {} : { compression: options.compression }),
      ...(options.rowGroupSize === undefined ? {} : { rowGroupSize: options.rowGroupSize }),
      ...(options.fsync === undefined ? {} : { fsync: options.fsync }),
    };
    return new Promise<ParquetFileStats>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // Referenced only while a write waits on it: an idle thread must not keep the process alive.
      worker.ref();
      try {
        worker.postMessage(request, transferables(rows));
      } catch (cause) {
        this.#settled(id);
        reject(new LakeError('OP_LAKE_INVALID_ARGUMENT', `cannot hand the rows of ${options.path} to the Parquet writer thread`, { cause, details: { path: options.path } }));
      }
    });
  }

  /** Lets the writes in flight finish, then ends the thread. */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= this.#stop();
    return this.#closing;
  }

  /** Stops the thread at once, as a crash would: the writes in flight fail with `OP_LAKE_WRITER_FAILED`. */
  async terminate(): Promise<void> {
    await this.#worker?.terminate();
  }

  async #stop(): Promise<void> {
    const worker = this.#worker;
    if (worker === null) return;
    worker.ref();
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'close' } satisfies WriterRequest);
    await exited;
  }

  #start(): Worker {
    if (this.#worker !== null) return this.#worker;
    const workerData: WriterThreadData = { tempDir: this.#options.tempDir, threads: this.#options.threads ?? 1 };
    // No heap limits (`resourceLimits`): a thread that hits them while inside DuckDB's native
    // code aborts the whole process instead of ending alone.
    const worker = new Worker(new URL('./parquet-worker-thread.js', import.meta.url), { workerData });
    worker.unref();
    let failure: Error | null = null;
    worker.on('message', (reply: WriterReply) => {
      if (reply.type === 'closed') return;
      const pending = this.#settled(reply.id);
      if (pending === undefined) return;
      if (reply.type === 'written') pending.resolve(reply.stats);
      else pending.reject(new LakeError(reply.error.code, reply.error.message, { details: { ...reply.error.details }, retryable: reply.error.retryable }));
    });
    worker.on('error', (error) => {
      failure = error;
    });
    worker.on('exit', (code) => {
      if (this.#worker === worker) this.#worker = null;
      const why = failure === null ? `it exited with code ${code}` : `${failure.message}`;
      const pending = [...this.#pending.values()];
      this.#pending.clear();
      for (const p of pending) {
        p.reject(
          new LakeError('OP_LAKE_WRITER_FAILED', `the Parquet writer thread stopped before the file was written: ${why}`, {
            ...(failure === null ? {} : { cause: failure }),
            details: { exitCode: code },
          }),
        );
      }
    });
    this.#worker = worker;
    return worker;
  }

  #settled(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    if (this.#pending.size === 0 && this.#closing === null) this.#worker?.unref();
    return pending;
  }
}
