/**
 * Apache Iceberg (table format v2) as OrderPulse holds it in memory. The JSON shapes follow the
 * specification's Appendix C (table metadata), so `metadata-json.ts` is a thin, checked mapping;
 * the Avro shapes of manifests and manifest lists live in `manifest.ts` and `manifest-list.ts`.
 *
 * OrderPulse writes flat tables of primitive columns. It reads struct, list and map types in
 * metadata written by other engines but does not write rows of them.
 */

/** Iceberg primitive types, spelled as in the JSON schema encoding. */
export type PrimitiveType =
  | 'boolean'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'string'
  | 'uuid'
  | 'binary'
  | `decimal(${number}, ${number})`
  | `fixed[${number}]`;

export interface StructType {
  readonly type: 'struct';
  readonly fields: readonly NestedField[];
}
export interface ListType {
  readonly type: 'list';
  readonly 'element-id': number;
  readonly element: IcebergType;
  readonly 'element-required': boolean;
}
export interface MapType {
  readonly type: 'map';
  readonly 'key-id': number;
  readonly key: IcebergType;
  readonly 'value-id': number;
  readonly value: IcebergType;
  readonly 'value-required': boolean;
}
export type IcebergType = PrimitiveType | StructType | ListType | MapType;

export interface NestedField {
  readonly id: number;
  readonly name: string;
  readonly required: boolean;
  readonly type: IcebergType;
  readonly doc?: string;
}

export interface Schema {
  readonly type: 'struct';
  readonly 'schema-id': number;
  readonly fields: readonly NestedField[];
  readonly 'identifier-field-ids'?: readonly number[];
}

/** `identity`, `year`, `month`, `day`, `hour`, `bucket[N]`, `truncate[W]`, `void`. */
export type Transform = string;

export interface PartitionField {
  readonly 'source-id': number;
  /** Unique across all specs of a table; the first is 1000. */
  readonly 'field-id': number;
  readonly name: string;
  readonly transform: Transform;
}

export interface PartitionSpec {
  readonly 'spec-id': number;
  readonly fields: readonly PartitionField[];
}

export interface SortOrder {
  readonly 'order-id': number;
  readonly fields: readonly {
    readonly transform: Transform;
    readonly 'source-id': number;
    readonly direction: 'asc' | 'desc';
    readonly 'null-order': 'nulls-first' | 'nulls-last';
  }[];
}

/** `append`, `replace`, `overwrite` or `delete`, plus any string properties. */
export interface SnapshotSummary {
  readonly operation: 'append' | 'replace' | 'overwrite' | 'delete';
  readonly [property: string]: string;
}

/**
 * Snapshot ids are 64-bit longs (Java and PyIceberg draw them at random from 63 bits), so they are
 * bigints here: a JavaScript number rounds them beyond 2^53.
 */
export interface Snapshot {
  readonly 'snapshot-id': bigint;
  readonly 'parent-snapshot-id'?: bigint;
  readonly 'sequence-number': number;
  readonly 'timestamp-ms': number;
  readonly 'manifest-list': string;
  readonly summary: SnapshotSummary;
  readonly 'schema-id'?: number;
}

export interface SnapshotRef {
  readonly 'snapshot-id': bigint;
  readonly type: 'branch' | 'tag';
  readonly 'max-ref-age-ms'?: number;
  readonly 'max-snapshot-age-ms'?: number;
  readonly 'min-snapshots-to-keep'?: number;
}

/** Table metadata, format version 2 (specification, "Table Metadata Fields"). */
export interface TableMetadata {
  readonly 'format-version': 2;
  readonly 'table-uuid': string;
  readonly location: string;
  readonly 'last-sequence-number': number;
  readonly 'last-updated-ms': number;
  readonly 'last-column-id': number;
  readonly schemas: readonly Schema[];
  readonly 'current-schema-id': number;
  readonly 'partition-specs': readonly PartitionSpec[];
  readonly 'default-spec-id': number;
  readonly 'last-partition-id': number;
  readonly properties: Readonly<Record<string, string>>;
  readonly 'current-snapshot-id'?: bigint | null;
  readonly snapshots: readonly Snapshot[];
  readonly 'snapshot-log': readonly { readonly 'timestamp-ms': number; readonly 'snapshot-id': bigint }[];
  readonly 'metadata-log': readonly { readonly 'timestamp-ms': number; readonly 'metadata-file': string }[];
  readonly 'sort-orders': readonly SortOrder[];
  readonly 'default-sort-order-id': number;
  readonly refs: Readonly<Record<string, SnapshotRef>>;
}

/** A partition tuple: partition field name → value (after the transform), null when null. */
export type PartitionValues = Readonly<Record<string, number | string | boolean | bigint | null>>;

/**
 * The specification's `data_file` struct. Content 0 is data, 1 position deletes, 2 equality deletes;
 * OrderPulse writes data files, and reads and carries the delete files other engines write.
 */
export interface DataFile {
  readonly content: 0 | 1 | 2;
  readonly filePath: string;
  readonly fileFormat: 'PARQUET' | 'AVRO' | 'ORC';
  readonly partition: PartitionValues;
  readonly recordCount: number;
  readonly fileSizeInBytes: number;
  /** Keyed by field id. */
  readonly columnSizes: ReadonlyMap<number, number>;
  readonly valueCounts: ReadonlyMap<number, number>;
  readonly nullValueCounts: ReadonlyMap<number, number>;
  readonly nanValueCounts: ReadonlyMap<number, number>;
  /** Single-value serialization (specification, Appendix D). */
  readonly lowerBounds: ReadonlyMap<number, Uint8Array>;
  readonly upperBounds: ReadonlyMap<number, Uint8Array>;
  readonly splitOffsets: readonly number[] | null;
  readonly sortOrderId: number | null;
  /** Equality delete files: the field ids whose values identify the deleted rows. */
  readonly equalityIds?: readonly number[] | null;
  /** Position delete files: the one data file all of its deletes name, when the writer said so. */
  readonly referencedDataFile?: string | null;
  /** Encryption key metadata, carried as read (OrderPulse does not decrypt). */
  readonly keyMetadata?: Uint8Array | null;
}

export const MANIFEST_ENTRY_STATUS = { existing: 0, added: 1, deleted: 2 } as const;
export type ManifestEntryStatus = (typeof MANIFEST_ENTRY_STATUS)[keyof typeof MANIFEST_ENTRY_STATUS];

export interface ManifestEntry {
  readonly status: ManifestEntryStatus;
  /** Null while it is to be inherited from the manifest list entry (new entries). */
  readonly snapshotId: bigint | null;
  readonly sequenceNumber: number | null;
  readonly fileSequenceNumber: number | null;
  readonly dataFile: DataFile;
}

export interface FieldSummary {
  readonly containsNull: boolean;
  readonly containsNan: boolean | null;
  readonly lowerBound: Uint8Array | null;
  readonly upperBound: Uint8Array | null;
}

/** An entry of a manifest list (the specification's `manifest_file`). */
export interface ManifestFile {
  readonly manifestPath: string;
  readonly manifestLength: number;
  readonly partitionSpecId: number;
  /** 0: data, 1: deletes. */
  readonly content: 0 | 1;
  readonly sequenceNumber: number;
  readonly minSequenceNumber: number;
  readonly addedSnapshotId: bigint;
  readonly addedFilesCount: number;
  readonly existingFilesCount: number;
  readonly deletedFilesCount: number;
  readonly addedRowsCount: number;
  readonly existingRowsCount: number;
  readonly deletedRowsCount: number;
  readonly partitions: readonly FieldSummary[] | null;
}
