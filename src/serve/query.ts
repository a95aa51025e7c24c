import type { Filters, GradeName } from '../read/types.js';
import { badRequest } from './errors.js';

/** The global filters as the query string carries them (checked by the route's schema). */
export interface FiltersQuerystring {
  readonly from?: string;
  readonly to?: string;
  readonly state?: string;
  readonly category?: string;
  readonly grade?: GradeName;
}
export interface PageQuerystring {
  readonly limit: number;
  readonly offset: number;
}

/** The filters of a request, with only the parameters it gave; a month range must not run backwards. */
export function filtersOf(query: FiltersQuerystring): Filters {
  if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
    throw badRequest(`query parameters from and to must be a month range: from ${query.from} is after to ${query.to}`);
  }
  return {
    ...(query.from === undefined ? {} : { from: query.from }),
    ...(query.to === undefined ? {} : { to: query.to }),
    ...(query.state === undefined ? {} : { state: query.state }),
    ...(query.category === undefined ? {} : { category: query.category }),
    ...(query.grade === undefined ? {} : { grade: query.grade }),
  };
}

/** Copies the defined fields only: the read model's queries have optional fields, not undefined ones. */
export function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
