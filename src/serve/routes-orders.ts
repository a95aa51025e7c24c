import type { FastifyInstance } from 'fastify';
import type { ReadModel } from '../read/types.js';
import { notFound } from './errors.js';
import { orderSchema } from './schemas-orders.js';

/** /api/orders/:orderId. */
export function registerOrderRoutes(api: FastifyInstance, read: ReadModel): void {
  api.get<{ Params: { orderId: string } }>('/api/orders/:orderId', { schema: orderSchema }, async (request) => {
    const timeline = await read.order(request.params.orderId);
    if (timeline === null) throw notFound(`order ${request.params.orderId} not found`);
    return timeline;
  });
}
