/**
 * The JSON schemas the routes share: the query parameters of the filters and pages, the error body,
 * and the pieces of the answers several subjects use (provenance, an alert row). Written by hand
 * from `src/read/types.ts`; a response schema lists every field so that the serialiser neither drops
 * a field the web app reads nor sends one the contract does not have.
 */

export const MONTH_PATTERN = '^\\d{4}-(0[1-9]|1[0-2])$';
export const UF_PATTERN = '^[A-Z]{2}$';
/** Olist's ids (orders, sellers, products): 32 lowercase hex digits. */
export const ID_PATTERN = '^[0-9a-f]{32}$';
/** A category is free text: the read model binds it as a parameter, so only its length is bounded here. */
export const CATEGORY_MAX_LENGTH = 100;
// As the read model allows: a portfolio chart draws up to this many product-months at once.
export const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 50;

export const RULE_NAMES = ['approval_overdue', 'handoff_overdue', 'delivery_overdue', 'delivered_late', 'delivery_at_risk'] as const;
export const STAGE_NAMES = ['approval', 'handoff', 'delivery'] as const;
export const ALERT_STATE_NAMES = ['open', 'escalated', 'resolved', 'stuck'] as const;
export const GRADE_NAMES = ['A', 'B', 'C', 'D', 'E'] as const;
export const CHANGE_NAMES = ['opened', 'escalated', 'resolved', 'final'] as const;
export const FILTER_NAMES = ['from', 'to', 'state', 'category', 'grade'] as const;

// ------------------------------------------------------------------------------- query parameters

/** What a pattern asks for, in words: a validation error says this, not the regular expression. */
export const PATTERN_WORDS: Readonly<Record<string, string>> = {
  [MONTH_PATTERN]: 'a month as YYYY-MM (e.g. 2017-05)',
  [UF_PATTERN]: "a Brazilian state's two capital letters (e.g. SP)",
  [ID_PATTERN]: 'an id of 32 lowercase hex digits',
};

const month = { type: 'string', pattern: MONTH_PATTERN } as const;
const uf = { type: 'string', pattern: UF_PATTERN } as const;
export const idParameter = { type: 'string', pattern: ID_PATTERN } as const;

export const filterProperties = {
  from: { ...month, description: 'First purchase month, inclusive (YYYY-MM)' },
  to: { ...month, description: 'Last purchase month, inclusive (YYYY-MM)' },
  state: { ...uf, description: "Customer's state (UF)" },
  category: { type: 'string', minLength: 1, maxLength: CATEGORY_MAX_LENGTH, description: 'Product category (English name)' },
  grade: { type: 'string', enum: GRADE_NAMES, description: 'Product grade' },
} as const;

export const pageProperties = {
  limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
  offset: { type: 'integer', minimum: 0, default: 0 },
} as const;

/** A querystring schema: only the listed parameters, so an unknown one is a 400 naming it. */
export function querystring<P extends Record<string, object>>(properties: P) {
  return { type: 'object', properties, additionalProperties: false } as const;
}

export const filtersQuerystring = querystring(filterProperties);
export const filtersPageQuerystring = querystring({ ...filterProperties, ...pageProperties });

// ------------------------------------------------------------------------------- answers

export const errorBody = {
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'string' }, message: { type: 'string' } },
} as const;

/** The error answers every route can give (beside its own 404). */
export const errorResponses = { 400: errorBody, 401: errorBody, 413: errorBody, 429: errorBody, 500: errorBody } as const;

export const str = { type: 'string' } as const;
export const nullableStr = { type: ['string', 'null'] } as const;
export const int = { type: 'integer' } as const;
export const nullableInt = { type: ['integer', 'null'] } as const;
export const num = { type: 'number' } as const;
export const nullableNum = { type: ['number', 'null'] } as const;
export const bool = { type: 'boolean' } as const;
export const grade = { type: 'string', enum: GRADE_NAMES } as const;
export const nullableGrade = { type: ['string', 'null'], enum: [...GRADE_NAMES, null] } as const;
export const stage = { type: 'string', enum: STAGE_NAMES } as const;

/** An object answer: every listed property is required (the contract has no optional fields). */
export function object<P extends Record<string, object>>(properties: P) {
  return { type: 'object', required: Object.keys(properties), properties } as const;
}
export function arrayOf<S extends object>(items: S) {
  return { type: 'array', items } as const;
}

export const provenanceProperties = {
  snapshots: { type: 'object', additionalProperties: nullableStr },
  applied: arrayOf({ type: 'string', enum: FILTER_NAMES }),
} as const;

/** An answer built from lake tables: its own fields plus the provenance. */
export function withProvenance<P extends Record<string, object>>(properties: P) {
  return object({ ...properties, ...provenanceProperties });
}

export const alertRowProperties = {
  alertId: str,
  orderId: str,
  rule: { type: 'string', enum: RULE_NAMES },
  stage: { type: ['string', 'null'], enum: [...STAGE_NAMES, null] },
  state: { type: 'string', enum: ALERT_STATE_NAMES },
  openedAt: str,
  updatedAt: str,
  deadline: str,
  overdueMs: num,
  daysLate: nullableInt,
  priority: num,
  orderValueCents: int,
  level: int,
  reason: str,
  sequence: int,
  probability: nullableNum,
  expectedDeliveryAt: nullableStr,
  riskStage: nullableStr,
  category: nullableStr,
  grade: nullableGrade,
  customerState: nullableStr,
} as const;

export const alertChangeRow = object({ ...alertRowProperties, change: { type: 'string', enum: CHANGE_NAMES }, watermark: str });
