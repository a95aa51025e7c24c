/**
 * The Parquet writer thread (see `ParquetWorker`): encodes the data files the main thread hands
 * over as columns, and answers with each file's statistics. Files of plain types are encoded in
 * JavaScript (parquet-encoder.ts); for others the thread starts a DuckDB instance of its own, at
 * the first such file.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isOrderPulseError } from '../errors.js';
import { DuckDbEngine } from './duckdb-engine.js';
import { writeParquetColumns } from './parquet-writer.js';
import type { ErrorReply, WriterReply, WriterRequest, WriterThreadData } from './parquet-worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('parquet-worker-thread runs as a worker thread (ParquetWorker starts it)');
const data = workerData as WriterThreadData;
let engine: Promise<DuckDbEngine> | null = null;
function startEngine(): Promise<DuckDbEngine> {
  if (engine === null) {
    engine = DuckDbEngine.create({ tempDir: data.tempDir, threads: data.threads });
    // A failed start is answered to each write; it must not also be an unhandled rejection.
    engine.catch(() => undefined);
  }
  return engine;
}
const inFlight = new Set<Promise<void>>();

function errorReply(error: unknown): ErrorReply {
  if (isOrderPulseError(error)) {
    // Details are plain values in practice; a value the clone cannot carry is dropped, not fatal.
    let details: Readonly<Record<string, unknown>> = error.details;
    try {
      structuredClone(details);
    } catch {
      details = {};
    }
    return { code: error.code, message: error.message, retryable: error.retryable, details };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'OP_LAKE_IO', message: `the Parquet writer thread failed: ${message}`, retryable: false, details: {} };
}

async function write(request: Extract<WriterRequest, { type: 'write' }>): Promise<void> {
  let reply: WriterReply;
  try {
    const stats = await writeParquetColumns(startEngine, {
      schema: request.schema,
      rows: request.rows,
      path: request.path,
      sync: true,
      ...(request.compression === undefined ? {} : { compression: request.compression }),
      ...(request.rowGroupSize === undefined ? {} : { rowGroupSize: request.rowGroupSize }),
      ...(request.fsync === undefined ? {} : { fsync: request.fsync }),
    });
    reply = { type: 'written', id: request.id, stats };
  } catch (error) {
    reply = { type: 'failed', id: request.id, error: errorReply(error) };
  }
  (port as NonNullable<typeof port>).postMessage(reply);
}

async function close(): Promise<void> {
  await Promise.allSettled([...inFlight]);
  const started = engine === null ? null : await engine.catch(() => null);
  await started?.close();
  (port as NonNullable<typeof port>).postMessage({ type: 'closed' } satisfies WriterReply);
  (port as NonNullable<typeof port>).close();
}

port.on('message', (request: WriterRequest) => {
  if (request.type === 'close') {
    void close();
    return;
  }
  const work = write(request);
  inFlight.add(work);
  void work.finally(() => inFlight.delete(work));
});
