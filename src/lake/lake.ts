import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Catalog, TableIdentifier } from './catalog.js';
import type { CommitRetryPolicy } from './commit.js';
import { DuckDbEngine } from './duckdb-engine.js';
import { ParquetWorker } from './parquet-worker.js';
import { LakeError } from './errors.js';
import type { FileIO } from './file-io.js';
import { LocalFileIO } from './local-file-io.js';
import { metadataFileLocation, newTableMetadata } from './metadata.js';
import type { NewPartitionField } from './metadata.js';
import { encodeTableMetadata } from './metadata-json.js';
import { S3FileIO } from './s3-file-io.js';
import type { S3FileIOOptions } from './s3-file-io.js';
import { openSqlCatalog } from './sql-catalog.js';
import { IcebergTable, loadMetadata } from './table.js';
import type { IcebergType, Schema } from './types.js';
import type { QueryOptions, QueryResult } from './query.js';
import { queryParquet } from './query.js';

/** The namespaces of OrderPulse's layers. */
export const NAMESPACES = ['bronze', 'silver', 'gold'] as const;

export interface LakeOptions {
  /** Catalog store: a SQLite file (the embedded store) or a `postgres://` URL. */
  readonly catalogUri: string;
  /** Catalog name recorded in its rows (default `orderpulse`). */
  readonly catalogName?: string;
  /** Where tables live: a local directory or `s3://bucket/prefix`. */
  readonly warehouse: string;
  /** S3 connection, for an `s3://` warehouse. */
  readonly s3?: S3FileIOOptions;
  /** Local scratch space (DuckDB spills, files on their way to S3); default under the OS temp dir. */
  readonly tempDir?: string;
  readonly retry?: CommitRetryPolicy;
  readonly now?: () => number;
  /**
   * Encode the data files of appended rows on a thread of their own, so that a process's event loop
   * does not wait for DuckDB's appender (default false: on the calling thread). Off by default until
   * its gain is shown on an idle machine: on two busy cores it won 4 of 6 paired runs (docs/benchmarks.md,
   * Stream). The thread starts with the lake.
   */
  readonly writerThread?: boolean;
  /**
   * What a commit to a local warehouse survives: `power` (the default) flushes every file it
   * writes to the disk first; `process` leaves them to the page cache, which a killed process does
   * not lose (the embedded store's WAL promises the same), and spares a commit its half-dozen
   * fsyncs. Object storage is durable either way.
   */
  readonly durability?: 'process' | 'power';
}

export interface ColumnDefinition {
  readonly name: string;
  readonly type: IcebergType;
  readonly required?: boolean;
  readonly doc?: string;
}

export interface CreateTableOptions {
  readonly columns: readonly ColumnDefinition[];
  readonly partitionBy?: readonly NewPartitionField[];
  readonly properties?: Readonly<Record<string, string>>;
}

/** `bronze.order_events` → its identifier; refuses names that are not `namespace.table`. */
export function parseTableName(name: string): TableIdentifier {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(name);
  if (match === null) {
    throw new LakeError('OP_LAKE_INVALID_ARGUMENT', `"${name}" is not a table name of the form namespace.table (e.g. bronze.order_events)`, {
      details: { name },
    });
  }
  return { namespace: match[1] as string, name: match[2] as string };
}

/**
 * The lakehouse: a catalog, a file store and a query engine, and the Iceberg tables they hold.
 * This is the lake's whole surface for the other layers; manifests and field ids stay inside.
 */
export class Lake {
  readonly catalog: Catalog;
  readonly io: FileIO;
  readonly engine: DuckDbEngine;
  readonly warehouse: string;
  private readonly tempDir: string;
  private readonly retry: CommitRetryPolicy | undefined;
  private readonly now: () => number;
  private readonly parquetWorker: ParquetWorker | undefined;
  private readonly fsync: boolean;

  private constructor(options: {
    catalog: Catalog;
    io: FileIO;
    engine: DuckDbEngine;
    warehouse: string;
    tempDir: string;
    retry?: CommitRetryPolicy;
    now: () => number;
    parquetWorker?: ParquetWorker;
    fsync: boolean;
  }) {
    this.catalog = options.catalog;
    this.io = options.io;
    this.engine = options.engine;
    this.warehouse = options.warehouse;
    this.tempDir = options.tempDir;
    this.retry = options.retry;
    this.now = options.now;
    this.parquetWorker = options.parquetWorker;
    this.fsync = options.fsync;
  }

  static async open(options: LakeOptions): Promise<Lake> {
    const tempDir = options.tempDir ?? join(tmpdir(), `orderpulse-lake-${process.pid}`);
    const warehouse = options.warehouse.replace(/\/+$/, '');
    const fsync = (options.durability ?? 'power') === 'power';
    const io: FileIO = warehouse.startsWith('s3://') ? new S3FileIO(options.s3 ?? {}) : new LocalFileIO({ fsync });
    const catalog = await openSqlCatalog({ name: options.catalogName ?? 'orderpulse', uri: options.catalogUri });
    const engine = await DuckDbEngine.create({ tempDir: join(tempDir, 'duckdb') });
    let parquetWorker: ParquetWorker | undefined;
    if (options.writerThread === true) {
      // Started with the lake: its DuckDB starts while the caller opens tables and rebuilds state.
      parquetWorker = new ParquetWorker({ tempDir: join(tempDir, 'duckdb-writer') });
      parquetWorker.start();
    }
    return new Lake({
      catalog,
      io,
      engine,
      warehouse,
      tempDir,
      ...(options.retry === undefined ? {} : { retry: options.retry }),
      now: options.now ?? Date.now,
      ...(parquetWorker === undefined ? {} : { parquetWorker }),
      fsync,
    });
  }

  private context() {
    return {
      catalog: this.catalog,
      io: this.io,
      engine: this.engine,
      tempDir: this.tempDir,
      now: this.now,
      ...(this.retry === undefined ? {} : { retry: this.retry }),
      ...(this.parquetWorker === undefined ? {} : { parquetWorker: this.parquetWorker }),
      fsync: this.fsync,
    };
  }

  /** Loads a table; `OP_LAKE_NO_SUCH_TABLE` when the catalog does not have it. */
  async table(name: string): Promise<IcebergTable> {
    const id = parseTableName(name);
    const location = await this.catalog.currentMetadataLocation(id);
    if (location === null) {
      throw new LakeError('OP_LAKE_NO_SUCH_TABLE', `no table ${name} in catalog ${this.catalog.name}`, { details: { table: name } });
    }
    return new IcebergTable(this.context(), id, location, await loadMetadata(this.io, location));
  }

  async tableExists(name: string): Promise<boolean> {
    return (await this.catalog.currentMetadataLocation(parseTableName(name))) !== null;
  }

  /** Creates a table (and its namespace); `OP_LAKE_TABLE_EXISTS` when it exists. */
  async createTable(name: string, options: CreateTableOptions): Promise<IcebergTable> {
    const id = parseTableName(name);
    if (!(await this.catalog.listNamespaces()).includes(id.namespace)) await this.catalog.createNamespace(id.namespace);
    const meta = newTableMetadata({
      location: `${this.warehouse}/${id.namespace}/${id.name}`,
      schema: {
        fields: options.columns.map((c) => ({
          name: c.name,
          type: c.type,
          required: c.required ?? false,
          ...(c.doc === undefined ? {} : { doc: c.doc }),
        })),
      },
      ...(options.partitionBy === undefined ? {} : { partitionSpec: options.partitionBy }),
      properties: { 'write.format.default': 'parquet', 'write.parquet.compression-codec': 'zstd', ...(options.properties ?? {}) },
      nowMs: this.now(),
    });
    const location = metadataFileLocation(meta.location, 0);
    await this.io.write(location, encodeTableMetadata(meta));
    try {
      await this.catalog.createTable(id, location);
    } catch (error) {
      await this.io.delete(location).catch(() => undefined);
      throw error;
    }
    return new IcebergTable(this.context(), id, location, meta);
  }

  /** The table, created first when missing. */
  async ensureTable(name: string, options: CreateTableOptions): Promise<IcebergTable> {
    if (await this.tableExists(name)) return this.table(name);
    try {
      return await this.createTable(name, options);
    } catch (error) {
      if (error instanceof LakeError && error.code === 'OP_LAKE_TABLE_EXISTS') return this.table(name);
      throw error;
    }
  }

  /**
   * Read-only SQL over views of Parquet files (see `queryParquet`); `options.display` asks for
   * results for people to read (timestamps as ISO-8601 text) instead of the row representation.
   */
  query(
    views: Readonly<Record<string, { readonly files: readonly string[]; readonly schema: Schema }>>,
    sql: string,
    params?: QueryOptions['params'],
    options: Pick<QueryOptions, 'display'> = {},
  ): Promise<QueryResult> {
    return queryParquet(this.engine, {
      tables: views,
      sql,
      ...(params === undefined ? {} : { params }),
      ...(options.display === undefined ? {} : { display: options.display }),
    });
  }

  async listTables(): Promise<readonly string[]> {
    const names: string[] = [];
    for (const ns of await this.catalog.listNamespaces()) {
      for (const t of await this.catalog.listTables(ns)) names.push(`${t.namespace}.${t.name}`);
    }
    return names.sort();
  }

  async close(): Promise<void> {
    // First: the writes in flight finish before anything they need is closed.
    await this.parquetWorker?.close();
    await this.catalog.close();
    await this.io.close();
    await this.engine.close();
  }
}
