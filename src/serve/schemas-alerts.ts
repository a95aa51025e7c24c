import {
  ALERT_STATE_NAMES,
  CATEGORY_MAX_LENGTH,
  GRADE_NAMES,
  RULE_NAMES,
  STAGE_NAMES,
  UF_PATTERN,
  alertChangeRow,
  alertRowProperties,
  arrayOf,
  errorResponses,
  idParameter,
  int,
  object,
  pageProperties,
  querystring,
  withProvenance,
} from './schemas-common.js';

/** /api/alerts and /api/alerts/changes. */

export const openAlertsSchema = {
  summary: 'Open alerts, highest priority first',
  tags: ['alerts'],
  querystring: querystring({
    rule: { type: 'string', enum: RULE_NAMES },
    stage: { type: 'string', enum: STAGE_NAMES },
    state: { type: 'string', enum: ALERT_STATE_NAMES, description: 'Alert state' },
    kind: { type: 'string', enum: ['overdue', 'risk'], description: 'One queue: overdue (the deadline rules) or risk (delivery_at_risk)' },
    category: { type: 'string', minLength: 1, maxLength: CATEGORY_MAX_LENGTH },
    grade: { type: 'string', enum: GRADE_NAMES },
    customerState: { type: 'string', pattern: UF_PATTERN },
    ...pageProperties,
  }),
  response: {
    200: withProvenance({
      total: int,
      valueAtRiskCents: int,
      alerts: arrayOf(object({ ...alertRowProperties, rank: int })),
    }),
    ...errorResponses,
  },
} as const;

export const alertChangesSchema = {
  summary: "Alert changes: one order's oldest first, or the newest of all",
  tags: ['alerts'],
  querystring: querystring({
    rule: { type: 'string', enum: RULE_NAMES },
    order: { ...idParameter, description: 'Only this order' },
    limit: pageProperties.limit,
  }),
  response: {
    200: withProvenance({ alerts: arrayOf(alertChangeRow) }),
    ...errorResponses,
  },
} as const;
