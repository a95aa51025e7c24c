/** Row-level delete files for tests: Parquet written by DuckDB itself with the specification's field ids. */
import { randomUUID } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { DataFile, IcebergTable } from '../lake/index.js';
import { POSITION_DELETE_FILE_PATH_ID, POSITION_DELETE_POS_ID } from '../lake/deletes.js';
import { toLocalPath } from '../lake/local-file-io.js';

/** A file entry with empty statistics (one record), for rules that look at metadata only. */
export function fakeDataFile(path: string, content: 0 | 1 | 2, partition: Record<string, number | string | null> = {}, extra: Partial<DataFile> = {}): DataFile {
  return {
    content,
    filePath: path,
    fileFormat: 'PARQUET',
    partition,
    recordCount: 1,
    fileSizeInBytes: 100,
    columnSizes: new Map(),
    valueCounts: new Map(),
    nullValueCounts: new Map(),
    nanValueCounts: new Map(),
    lowerBounds: new Map(),
    upperBounds: new Map(),
    splitOffsets: null,
    sortOrderId: null,
    ...(content === 2 ? { equalityIds: [1] } : {}),
    ...extra,
  };
}

/** Delete files written with DuckDB itself (not the lake's writer), with Iceberg's field ids. */
export class DeleteWriter {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}
  static async open(): Promise<DeleteWriter> {
    const instance = await DuckDBInstance.create(':memory:');
    return new DeleteWriter(instance, await instance.connect());
  }
  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private async write(table: IcebergTable, select: string, fieldIds: string, content: 1 | 2, records: number, extra: Partial<DataFile>): Promise<DataFile> {
    const location = `${table.location}/data/deletes-${randomUUID()}.parquet`;
    const local = toLocalPath(location);
    mkdirSync(dirname(local), { recursive: true });
    await this.connection.run(`COPY (${select}) TO '${local}' (FORMAT parquet, FIELD_IDS {${fieldIds}})`);
    return { ...fakeDataFile(location, content), recordCount: records, fileSizeInBytes: statSync(local).size, equalityIds: null, ...extra };
  }

  /** The id in a data file's first row. */
  async firstId(f: DataFile): Promise<number> {
    const reader = await this.connection.runAndReadAll(`SELECT id FROM read_parquet('${toLocalPath(f.filePath)}') LIMIT 1`);
    return Number(reader.getRows()[0]?.[0]);
  }

  /** Position deletes: (data file location, row position) pairs. */
  positions(table: IcebergTable, deletes: readonly (readonly [string, number])[]): Promise<DataFile> {
    const values = deletes.map(([path, pos]) => `('${path.replaceAll("'", "''")}', ${pos}::BIGINT)`).join(', ');
    return this.write(
      table,
      `SELECT * FROM (VALUES ${values}) AS v(file_path, pos) ORDER BY file_path, pos`,
      `file_path: ${POSITION_DELETE_FILE_PATH_ID}, pos: ${POSITION_DELETE_POS_ID}`,
      1,
      deletes.length,
      {},
    );
  }

  /** Equality deletes on the `name` column (field id 2). */
  names(table: IcebergTable, values: readonly (string | null)[]): Promise<DataFile> {
    const list = values.map((v) => (v === null ? 'NULL::VARCHAR' : `'${v}'`)).join(', ');
    return this.write(table, `SELECT unnest([${list}]) AS name`, 'name: 2', 2, values.length, { equalityIds: [2] });
  }
}

