import type { FastifyInstance } from 'fastify';
import type { ReadModel } from '../read/types.js';
import type { FiltersQuerystring } from './query.js';
import { filtersOf } from './query.js';
import { freshnessSchema, healthSchema, kpisSchema, pipelineSchema } from './schemas-overview.js';

/** /api/health, /api/kpis, /api/freshness, /api/pipeline. */
export function registerOverviewRoutes(api: FastifyInstance, read: ReadModel): void {
  // No read at all: the floor of what an answer costs.
  api.get('/api/health', { schema: healthSchema }, () => ({ ok: true }));
  api.get<{ Querystring: FiltersQuerystring }>('/api/kpis', { schema: kpisSchema }, async (request) => read.kpis(filtersOf(request.query)));
  api.get('/api/freshness', { schema: freshnessSchema }, async () => read.freshness());
  api.get('/api/pipeline', { schema: pipelineSchema }, async () => read.pipeline());
}
