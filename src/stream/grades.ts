import type { Lake } from '../lake/index.js';
import type { GradeWeight, OrderFacts } from './types.js';

/**
 * Product grades in an alert's priority. The batch layer grades products A (best) to E in
 * `gold.product_grades` (columns `product_id`, `grade`); an order weighs as its best-graded product,
 * because a late order of a top product risks the most repeat sales and reviews. Products without a
 * grade (new ones, or before the batch layer has run) weigh 1.0, the weight of a middle grade: until
 * grades exist, priority is the order value at stake times the days overdue.
 *
 * The grades are read once when the processor starts; a restart picks up new ones.
 */
export const PRODUCT_GRADES_TABLE = 'gold.product_grades';

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

/** The grades in the lake, or null when the batch layer has not written them yet. */
export async function loadProductGrades(lake: Lake): Promise<ReadonlyMap<string, string> | null> {
  if (!(await lake.tableExists(PRODUCT_GRADES_TABLE))) return null;
  const table = await lake.table(PRODUCT_GRADES_TABLE);
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
