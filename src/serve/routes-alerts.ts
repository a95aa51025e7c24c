import type { FastifyInstance } from 'fastify';
import type { OpenAlertsQuery, ReadModel, RuleName } from '../read/types.js';
import { definedOnly } from './query.js';
import { alertChangesSchema, openAlertsSchema } from './schemas-alerts.js';

/** The query string is the read's query as it is. */
type OpenAlertsQuerystring = OpenAlertsQuery;
interface AlertChangesQuerystring {
  readonly rule?: RuleName;
  readonly order?: string;
  readonly limit: number;
}

/** /api/alerts and /api/alerts/changes. */
export function registerAlertRoutes(api: FastifyInstance, read: ReadModel): void {
  api.get<{ Querystring: OpenAlertsQuerystring }>('/api/alerts', { schema: openAlertsSchema }, async (request) =>
    read.openAlerts(definedOnly({ ...request.query })),
  );
  api.get<{ Querystring: AlertChangesQuerystring }>('/api/alerts/changes', { schema: alertChangesSchema }, async (request) => {
    const { rule, order, limit } = request.query;
    return read.alertChanges(definedOnly({ rule, orderId: order, limit }));
  });
}
