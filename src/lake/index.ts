/** The lake room: Apache Iceberg tables (format v2) on Parquet, a SQL catalog, DuckDB as the engine. */
export { Lake, NAMESPACES, parseTableName } from './lake.js';
export type { LakeOptions, ColumnDefinition, CreateTableOptions } from './lake.js';
export { IcebergTable } from './table.js';
export type { CommitResult, RowFilter, ColumnPredicate, ScanOptions, TableScan, SummaryProperties, SummaryExpectation } from './table.js';
export type { Row, RowValue } from './duckdb-engine.js';
export type { ColumnRows, ColumnValues, Utf8Column } from './column-rows.js';
export { Utf8ColumnBuilder } from './column-rows.js';
export type { QueryResult, QueryTable, QueryParam } from './query.js';
export type { DisplayOptions } from './display.js';
export type { Catalog, TableIdentifier } from './catalog.js';
export type { FileIO, FileInfo } from './file-io.js';
export type { CommitRetryPolicy, CommitEvent, FileWrittenEvent } from './commit.js';
export { commitChannel, fileWrittenChannel, DEFAULT_COMMIT_RETRY } from './commit.js';
export type { Snapshot, SnapshotSummary, TableMetadata, Schema, IcebergType, PrimitiveType, DataFile } from './types.js';
export { LakeError } from './errors.js';
