import type { Row, RowValue } from './duckdb-engine.js';

/**
 * Rows given column by column, as a writer that builds many rows of one shape has them: each
 * column's values in row order, every array `rowCount` long; a column left out is null in every
 * row. `IcebergTable.append` takes them as it takes `Row` objects, with the same checks and the
 * same files, but without an object per row to build, check key by key and take apart again.
 */
export interface ColumnRows {
  readonly rowCount: number;
  readonly columns: Readonly<Record<string, readonly RowValue[]>>;
}

/** Whether a table write was given columns (`ColumnRows`) rather than row objects. */
export function isColumnRows(rows: readonly Row[] | ColumnRows): rows is ColumnRows {
  return !Array.isArray(rows);
}

/** The number of rows of either form. */
export function rowCountOf(rows: readonly Row[] | ColumnRows): number {
  return isColumnRows(rows) ? rows.rowCount : rows.length;
}

/** The rows at `indexes` (in that order), as columns. */
export function selectColumnRows(rows: ColumnRows, indexes: readonly number[]): ColumnRows {
  const columns: Record<string, RowValue[]> = {};
  for (const [name, values] of Object.entries(rows.columns)) {
    const picked = new Array<RowValue>(indexes.length);
    for (let i = 0; i < indexes.length; i++) picked[i] = values[indexes[i] as number] ?? null;
    columns[name] = picked;
  }
  return { rowCount: indexes.length, columns };
}
