import type { FastifyInstance } from 'fastify';
import type { ReadModel } from '../read/types.js';
import type { FiltersQuerystring } from './query.js';
import { filtersOf } from './query.js';
import { deliverySchema, leadTimesSchema, openOrdersSchema, reviewCausesSchema, reviewImpactSchema } from './schemas-delivery.js';

/** /api/lead-times, /api/delivery, /api/open-orders, /api/review-impact, /api/review-causes. */
export function registerDeliveryRoutes(api: FastifyInstance, read: ReadModel): void {
  type Q = { Querystring: FiltersQuerystring };
  api.get<Q>('/api/lead-times', { schema: leadTimesSchema }, async (request) => read.leadTimes(filtersOf(request.query)));
  api.get<Q>('/api/delivery', { schema: deliverySchema }, async (request) => read.deliveryPerformance(filtersOf(request.query)));
  api.get<Q>('/api/open-orders', { schema: openOrdersSchema }, async (request) => read.openOrders(filtersOf(request.query)));
  api.get<Q>('/api/review-impact', { schema: reviewImpactSchema }, async (request) => read.reviewImpact(filtersOf(request.query)));
  api.get<Q>('/api/review-causes', { schema: reviewCausesSchema }, async (request) => read.reviewCauses(filtersOf(request.query)));
}
