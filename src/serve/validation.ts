import type { FastifyError, FastifyRequest } from 'fastify';
import { PARAMETER_RULES } from './schemas-common.js';

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

/** The parameters a route takes in `context` (querystring, params), from its schema. */
function allowed(request: FastifyRequest, context: string): string[] {
  const schema = (request.routeOptions.schema as Record<string, { properties?: Record<string, unknown> } | undefined> | undefined)?.[context];
  return Object.keys(schema?.properties ?? {});
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
  const params = first.params as Record<string, unknown>;
  if (first.keyword === 'additionalProperties') {
    const name = String(params['additionalProperty']);
    const names = allowed(request, context);
    return `unknown ${place} ${name}; ${names.length === 0 ? 'this route takes none' : `this route takes ${names.join(', ')}`}`;
  }
  const name = first.keyword === 'required' ? String(params['missingProperty']) : first.instancePath.replace(/^\//, '').split('/')[0] ?? '';
  if (first.keyword === 'required') return `${place} ${name} is required: ${PARAMETER_RULES[name] ?? 'see the API document'}`;
  const source = (context === 'params' ? request.params : context === 'headers' ? request.headers : request.query) as Record<string, unknown> | undefined;
  const value = source?.[name];
  if (Array.isArray(value)) return `${place} ${name} must be given once (it was given ${value.length} times)`;
  const rule = PARAMETER_RULES[name] ?? first.message ?? 'valid';
  return `${place} ${name} must be ${rule}; got ${shown(value)}`;
}
