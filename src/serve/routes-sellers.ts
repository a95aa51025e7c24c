import type { FastifyInstance } from 'fastify';
import type { ReadModel, SellerSort } from '../read/types.js';
import { notFound } from './errors.js';
import { definedOnly } from './query.js';
import { sellerSchema, sellersSchema } from './schemas-sellers.js';

interface SellersQuerystring {
  readonly sort: SellerSort;
  readonly direction: 'asc' | 'desc';
  readonly state?: string;
  readonly limit: number;
  readonly offset: number;
}

/** /api/sellers and /api/sellers/:sellerId. */
export function registerSellerRoutes(api: FastifyInstance, read: ReadModel): void {
  api.get<{ Querystring: SellersQuerystring }>('/api/sellers', { schema: sellersSchema }, async (request) => read.sellers(definedOnly({ ...request.query })));
  api.get<{ Params: { sellerId: string } }>('/api/sellers/:sellerId', { schema: sellerSchema }, async (request) => {
    const detail = await read.seller(request.params.sellerId);
    if (detail === null) throw notFound(`seller ${request.params.sellerId} not found`);
    return detail;
  });
}
