import type { FastifyError, FastifyRequest } from 'fastify';
import { PATTERN_WORDS } from './schemas-common.js';

const PLACE: Readonly<Record<string, string>> = {
  querystring: 'query parameter',
  params: 'path parameter',
  headers: 'header',
  body: 'body field',
};

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

interface ParameterSchema {
  readonly type?: string;
  readonly enum?: readonly unknown[];
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly maxLength?: number;
}

/** The parameters a route takes in `context` (querystring, params), from its schema. */
function parametersOf(request: FastifyRequest, context: string): Record<string, ParameterSchema> {
  const schema = (request.routeOptions.schema as Record<string, { properties?: Record<string, ParameterSchema> } | undefined> | undefined)?.[context];
  return schema?.properties ?? {};
}

/** What a parameter must be, in words, from its schema. */
function ruleOf(schema: ParameterSchema | undefined): string | undefined {
  if (schema === undefined) return undefined;
  if (schema.enum !== undefined) {
    const values = schema.enum.map(String);
    return values.length === 2 ? `${values[0]} or ${values[1]}` : `one of ${values.join(', ')}`;
  }
  if (schema.type === 'integer') {
    return schema.maximum === undefined ? `a whole number, ${schema.minimum ?? 0} or more` : `a whole number from ${schema.minimum ?? 0} to ${schema.maximum}`;
  }
  if (schema.pattern !== undefined) return PATTERN_WORDS[schema.pattern] ?? `text matching ${schema.pattern}`;
  if (schema.maxLength !== undefined) return `text of 1 to ${schema.maxLength} characters`;
  return undefined;
}

/**
 * Fastify's validation error, said plainly: which parameter, where, what it must be and what it
 * was (the validator's own words, like `must match pattern "^\d{4}-..."`, mean little to a client).
 */
export function describeValidation(error: FastifyError, request: FastifyRequest): string {
  const context = error.validationContext ?? 'querystring';
  const place = PLACE[context] ?? context;
  const [first] = error.validation ?? [];
  if (first === undefined) return error.message;
  const params = first.params;
  if (first.keyword === 'additionalProperties') {
    const name = String(params['additionalProperty']);
    const names = Object.keys(parametersOf(request, context));
    return `unknown ${place} ${name}; ${names.length === 0 ? 'this route takes none' : `this route takes ${names.join(', ')}`}`;
  }
  const name = first.keyword === 'required' ? String(params['missingProperty']) : first.instancePath.replace(/^\//, '').split('/')[0] ?? '';
  const rule = ruleOf(parametersOf(request, context)[name]) ?? first.message ?? 'valid';
  if (first.keyword === 'required') return `${place} ${name} is required: ${rule}`;
  const source = (context === 'params' ? request.params : context === 'headers' ? request.headers : request.query) as Record<string, unknown> | undefined;
  const value = source?.[name];
  if (Array.isArray(value)) return `${place} ${name} must be given once (it was given ${value.length} times)`;
  return `${place} ${name} must be ${rule}; got ${shown(value)}`;
}
