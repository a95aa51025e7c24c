/**
 * The catalog: which tables exist and where each one's current metadata file is. OrderPulse's
 * catalog uses the same tables as Iceberg's JDBC catalog (`iceberg_tables`,
 * `iceberg_namespace_properties`), so PyIceberg's SqlCatalog and Java's JdbcCatalog open it too.
 * Two SQL stores: SQLite (the embedded store, default) and PostgreSQL (shared deployments).
 *
 * A commit is a compare-and-swap of `metadata_location`: it succeeds only if the table still points
 * at the metadata file the commit started from; otherwise an `OP_LAKE_COMMIT_CONFLICT` error
 * (retryable) tells the writer to refresh, re-apply its change and try again.
 */
export interface TableIdentifier {
  /** One level, e.g. `bronze`. */
  readonly namespace: string;
  readonly name: string;
}

export interface Catalog {
  /** The catalog name recorded in every row (`catalog_name`). */
  readonly name: string;
  createNamespace(namespace: string, properties?: Readonly<Record<string, string>>): Promise<void>;
  listNamespaces(): Promise<readonly string[]>;
  namespaceProperties(namespace: string): Promise<Readonly<Record<string, string>>>;
  listTables(namespace: string): Promise<readonly TableIdentifier[]>;
  /** The current metadata location, or null when there is no such table. */
  currentMetadataLocation(table: TableIdentifier): Promise<string | null>;
  /** Registers a new table at its first metadata file; `OP_LAKE_TABLE_EXISTS` when it exists. */
  createTable(table: TableIdentifier, metadataLocation: string): Promise<void>;
  /**
   * Points the table at `next` if it still points at `expected`; else `OP_LAKE_COMMIT_CONFLICT`.
   * An error that leaves the outcome unknown (a lost connection after sending the update) is
   * `OP_LAKE_COMMIT_STATE_UNKNOWN`, never retried.
   */
  swapMetadataLocation(table: TableIdentifier, expected: string, next: string): Promise<void>;
  /** Removes the table from the catalog (files stay; maintenance or the caller deletes them). */
  dropTable(table: TableIdentifier): Promise<void>;
  close(): Promise<void>;
}
