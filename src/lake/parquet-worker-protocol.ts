import type { EncodedRows } from './parquet-columns.js';
import type { ParquetFileStats } from './parquet-writer.js';
import type { Schema } from './types.js';

/** What the Parquet writer thread is started with. */
export interface WriterThreadData {
  /** DuckDB's spill directory for the thread's own instance. */
  readonly tempDir: string;
  /** DuckDB threads of that instance. */
  readonly threads: number;
}

export type WriterRequest =
  | {
      readonly type: 'write';
      readonly id: number;
      readonly schema: Schema;
      readonly rows: EncodedRows;
      readonly path: string;
      readonly compression?: 'zstd' | 'snappy' | 'gzip' | 'uncompressed';
      readonly rowGroupSize?: number;
      readonly fsync?: boolean;
    }
  /** Finish the writes in flight, close DuckDB, end the thread. */
  | { readonly type: 'close' };

/** A lake error as it crosses threads (the class does not survive a structured clone). */
export interface ErrorReply {
  readonly code: string;
  readonly message: string;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;
}

export type WriterReply =
  | { readonly type: 'written'; readonly id: number; readonly stats: ParquetFileStats }
  | { readonly type: 'failed'; readonly id: number; readonly error: ErrorReply }
  | { readonly type: 'closed' };
