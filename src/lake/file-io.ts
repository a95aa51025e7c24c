/**
 * Where table files live. Two implementations: the local filesystem (the default) and S3 (any
 * S3-compatible store, path-style endpoints allowed). Locations are URIs: `file:///abs/path` or
 * plain absolute paths for local files, `s3://bucket/key` for S3.
 *
 * Iceberg never changes a file once written: data files, manifests, manifest lists and metadata
 * files are all immutable. `write` therefore creates by default and refuses to replace.
 */
export interface FileInfo {
  readonly location: string;
  readonly size: number;
  readonly lastModifiedMs: number;
}

export interface FileIO {
  /** `file` or `s3`. */
  readonly scheme: string;
  /** The whole file. An `OP_LAKE_FILE_NOT_FOUND` error names a missing file. */
  read(location: string): Promise<Uint8Array>;
  /**
   * Writes a whole file. Unless `overwrite` is true, refuses with `OP_LAKE_FILE_EXISTS` when the file
   * exists (on S3: a conditional `If-None-Match: *` put).
   */
  write(location: string, bytes: Uint8Array, options?: { readonly overwrite?: boolean }): Promise<void>;
  exists(location: string): Promise<boolean>;
  size(location: string): Promise<number>;
  /** Deleting a missing file is not an error. */
  delete(location: string): Promise<void>;
  /** Every file under a location prefix (recursively). */
  list(prefix: string): AsyncIterable<FileInfo>;
  /**
   * A path on the local disk holding the file's bytes, for DuckDB (which reads local files only
   * here). Local files are their own path; S3 objects are downloaded once into a cache directory,
   * which is safe because table files never change.
   */
  localPath(location: string): Promise<string>;
  /** Uploads a local file to a location (create-only, as `write`); for data files DuckDB wrote. */
  upload(localPath: string, location: string): Promise<void>;
  close(): Promise<void>;
}
