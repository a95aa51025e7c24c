import type { CreateTableOptions, Row } from '../lake/index.js';

/**
 * A batch job, a declarative unit: the tables it reads, the SQL that computes its result, the
 * target table, its grain and how the result is written. The runner (`runner.ts`) decides when a
 * job runs and commits its result together with the source snapshots it consumed.
 *
 * In the SQL each source is a view named after its table (`silver.orders` → `silver_orders`), as
 * of the snapshot the run pinned. Conventions: money in integer cents; instants as UTC timestamps;
 * `*_date` columns are Brazilian local dates (America/Sao_Paulo rules, as the data room converts
 * them); durations in days.
 */
export interface BatchJob {
  /** The job's name, also its target table. */
  readonly name: string;
  readonly sources: readonly string[];
  readonly table: CreateTableOptions;
  /** The grain: the columns that identify a row. */
  readonly key: readonly string[];
  /**
   * - `rebuild`: the SQL computes the whole target from its sources.
   * - `upsert`: the SQL computes only the rows of the keys that changed. Besides the source views
   *   it sees `delta_<source>` for each source in `incremental` (the rows appended to that source
   *   since the job's last run; every row on a first or `--full` run) and `prior` (the target's
   *   current rows; empty on a `--full` run). The runner keeps every prior row whose key the
   *   result does not hold.
   */
  readonly mode: 'rebuild' | 'upsert';
  /**
   * Upsert jobs: the columns whose values the result replaces wholesale (default: `key`). Silver
   * order items replace by `order_id`: an order's recomputed items replace all of its prior ones.
   */
  readonly replaces?: readonly string[];
  /**
   * Sources the job can run without, as long as another source has data: one that does not exist
   * yet is then created empty with these options (its owner creates it the same way) and reads as
   * no rows.
   */
  readonly optional?: Readonly<Record<string, CreateTableOptions>>;
  /** Upsert jobs: the sources read incrementally (append-only tables such as bronze). */
  readonly incremental?: readonly string[];
  readonly sql: string;
  /**
   * A job whose rows are computed by code (an upsert job): its `sql` then selects the INPUT rows (it
   * sees the same views, `prior` included), `compute` turns them into the target's rows, and the
   * runner replaces the prior rows of every key the input holds with them (an input row may give no
   * row: its key's prior row is then removed). Used where the logic is TypeScript (the reviews
   * room's classifier). Other engines cannot re-run such a job: to them its table is an input, as
   * bronze is, and the SQL jobs that read it can be re-run from it.
   */
  readonly compute?: (input: readonly Readonly<Record<string, unknown>>[]) => Row[];
}

/** The time zone of Olist's local times and dates. */
export const LOCAL_TZ = 'America/Sao_Paulo';
