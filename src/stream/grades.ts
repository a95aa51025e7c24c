import type { IcebergTable, Lake } from '../lake/index.js';
import { TableWatch } from './table-watch.js';
import type { GradeWeight, OrderFacts } from './types.js';

/**
 * Product grades in an alert's priority. The batch layer grades products A (best) to E in
 * `gold.product_grades` (columns `product_id`, `grade`); an order weighs as its best-graded product,
 * because a late order of a top product risks the most repeat sales and reviews. Products without a
 * grade (new ones, or before the batch layer has run) weigh 1.0, the weight of a middle grade: until
 * grades exist, priority is the order value at stake times the days overdue.
 *
 * A running processor follows the table: once per batch, at most every `GRADES_CHECK_EVERY_MS`, it
 * asks the catalog where the table's metadata is (one catalog lookup), and reads the grades again
 * only when the table has a new current snapshot (`ProductGrades`). An order is weighed when it is
 * placed, so orders placed after the batch layer wrote new grades get the new weights; an order
 * already held keeps the weight it was placed with, and its alerts, opened or escalated later, with
 * it: the priorities of one order's alerts stay comparable. A restart rebuilds every held order
 * with the grades of its start.
 */
export const PRODUCT_GRADES_TABLE = 'gold.product_grades';

/** How often at most a running processor asks whether `gold.product_grades` has a new snapshot. */
export const GRADES_CHECK_EVERY_MS = 5_000;

export const GRADES = ['A', 'B', 'C', 'D', 'E'] as const;
export type Grade = (typeof GRADES)[number];
export const GRADE_WEIGHTS: Readonly<Record<Grade, number>> = { A: 1.5, B: 1.25, C: 1.0, D: 0.85, E: 0.7 };
const WEIGHT_OF: ReadonlyMap<string, number> = new Map(Object.entries(GRADE_WEIGHTS));
export const DEFAULT_GRADE_WEIGHT = 1.0;

/** The weight of an order from a product → grade map. */
export function gradeWeightFrom(grades: ReadonlyMap<string, string>): GradeWeight {
  return (order: OrderFacts) => {
    let best: number | null = null;
    for (const productId of order.productIds) {
      const grade = grades.get(productId);
      const weight = grade === undefined ? undefined : WEIGHT_OF.get(grade);
      if (weight !== undefined && (best === null || weight > best)) best = weight;
    }
    return best ?? DEFAULT_GRADE_WEIGHT;
  };
}

async function readGrades(table: IcebergTable): Promise<ReadonlyMap<string, string>> {
  const scan = await table.scan();
  const result = await scan.query('SELECT product_id, grade FROM t');
  const grades = new Map<string, string>();
  for (const row of result.rows) {
    const productId = row.product_id;
    const grade = row.grade;
    if (typeof productId === 'string' && typeof grade === 'string') grades.set(productId, grade);
  }
  return grades;
}

/**
 * The grades as the lake has them now, followed while the processor runs. `weight` always weighs by
 * the newest grades read; `refresh()` reads them again when the table has a new current snapshot
 * (or was dropped: then every order weighs the default again).
 */
export class ProductGrades {
  /** Weighs an order by the grades last read. */
  readonly weight: GradeWeight = (order) => this.#weight(order);
  readonly #checkEveryMs: number;
  readonly #now: () => number;
  #weight: GradeWeight = () => DEFAULT_GRADE_WEIGHT;
  readonly #watch: TableWatch;
  #checkedAt = -Infinity;

  private constructor(lake: Lake, options: { readonly checkEveryMs?: number; readonly now?: () => number }) {
    this.#checkEveryMs = options.checkEveryMs ?? GRADES_CHECK_EVERY_MS;
    this.#now = options.now ?? Date.now;
    this.#watch = new TableWatch(lake, PRODUCT_GRADES_TABLE);
  }

  /** Reads the grades the lake has now (none when the table does not exist yet). */
  static async open(lake: Lake, options: { readonly checkEveryMs?: number; readonly now?: () => number } = {}): Promise<ProductGrades> {
    const grades = new ProductGrades(lake, options);
    await grades.#check();
    return grades;
  }

  /** The snapshot of `gold.product_grades` the weights come from; null: no grades. */
  get snapshotId(): bigint | null {
    return this.#watch.snapshotId;
  }

  /** When a check is due, reads the grades again if the table changed; true when they did. */
  async refresh(): Promise<boolean> {
    if (this.#now() - this.#checkedAt < this.#checkEveryMs) return false;
    return this.#check();
  }

  async #check(): Promise<boolean> {
    this.#checkedAt = this.#now();
    const change = await this.#watch.changed();
    if (change === null) return false;
    // A dropped table, or one without a snapshot, grades nothing: every order weighs the default again.
    const grades = change === 'dropped' || this.#watch.snapshotId === null ? new Map<string, string>() : await readGrades(change);
    this.#weight = gradeWeightFrom(grades);
    return true;
  }
}
