import type { FastifyInstance } from 'fastify';
import type { ReadModel } from '../read/types.js';
import type { FiltersQuerystring, PageQuerystring } from './query.js';
import { filtersOf } from './query.js';
import { gradesSchema, portfolioSchema, productsSchema, salesSchema } from './schemas-sales.js';

type FiltersPage = FiltersQuerystring & PageQuerystring;

/** /api/sales, /api/products, /api/portfolio, /api/grades. */
export function registerSalesRoutes(api: FastifyInstance, read: ReadModel): void {
  api.get<{ Querystring: FiltersQuerystring }>('/api/sales', { schema: salesSchema }, async (request) => read.sales(filtersOf(request.query)));
  api.get<{ Querystring: FiltersPage }>('/api/products', { schema: productsSchema }, async (request) =>
    read.products(filtersOf(request.query), { limit: request.query.limit, offset: request.query.offset }),
  );
  api.get<{ Querystring: FiltersPage }>('/api/portfolio', { schema: portfolioSchema }, async (request) =>
    read.portfolio(filtersOf(request.query), { limit: request.query.limit, offset: request.query.offset }),
  );
  api.get<{ Querystring: FiltersQuerystring }>('/api/grades', { schema: gradesSchema }, async (request) => read.grades(filtersOf(request.query)));
}
