import {
  arrayOf,
  errorResponses,
  filtersPageQuerystring,
  filtersQuerystring,
  grade,
  int,
  nullableGrade,
  object,
  str,
  withProvenance,
} from './schemas-common.js';

/** /api/sales, /api/products, /api/portfolio, /api/grades. */

export const salesSchema = {
  summary: 'Sales per purchase month, totals and categories by revenue',
  tags: ['sales'],
  querystring: filtersQuerystring,
  response: {
    200: withProvenance({
      months: arrayOf(object({ month: str, orders: int, items: int, revenueCents: int, freightCents: int })),
      totals: object({ orders: int, items: int, revenueCents: int }),
      categories: arrayOf(object({ category: str, items: int, revenueCents: int })),
    }),
    ...errorResponses,
  },
} as const;

export const productsSchema = {
  summary: 'Products by revenue',
  tags: ['sales'],
  querystring: filtersPageQuerystring,
  response: {
    200: withProvenance({
      products: arrayOf(object({ productId: str, category: str, quantity: int, revenueCents: int, grade: nullableGrade })),
    }),
    ...errorResponses,
  },
} as const;

export const portfolioSchema = {
  summary: 'Product-months in the growth-share quadrants',
  tags: ['sales'],
  querystring: filtersPageQuerystring,
  response: {
    200: withProvenance({
      points: arrayOf(
        object({ productId: str, category: str, month: str, quantity: int, unitPriceCents: int, revenueCents: int, quadrant: str }),
      ),
      quadrants: arrayOf(object({ quadrant: str, productMonths: int, revenueCents: int })),
    }),
    ...errorResponses,
  },
} as const;

export const gradesSchema = {
  summary: 'Quantity, revenue and review scores per product grade',
  tags: ['sales'],
  querystring: filtersQuerystring,
  response: {
    200: withProvenance({
      grades: arrayOf(
        object({
          grade,
          products: int,
          quantity: int,
          revenueCents: int,
          reviewScores: { type: 'array', items: int, minItems: 5, maxItems: 5 },
        }),
      ),
    }),
    ...errorResponses,
  },
} as const;
