/** Pieces several pages share. */
import type { Params } from '../api.js';
import type { RawFilters } from '../filters.js';

/** The global filters as API query parameters (the routes that take filters). */
export function filterParams(filters: RawFilters, extra: Params = {}): Params {
  return { from: filters.from, to: filters.to, state: filters.state, category: filters.category, grade: filters.grade, ...extra };
}

export const STAGE_LABEL: Readonly<Record<string, string>> = {
  approval: 'Approval',
  handoff: 'Handoff to carrier',
  carrier_handoff: 'Handoff to carrier',
  delivery: 'Delivery',
  transit: 'Transit',
  total: 'Total',
};

export const RULE_LABEL: Readonly<Record<string, string>> = {
  approval_overdue: 'Approval overdue',
  handoff_overdue: 'Handoff overdue',
  delivery_overdue: 'Delivery overdue',
  delivered_late: 'Delivered late',
};

export function label(map: Readonly<Record<string, string>>, key: string | null): string {
  return key === null ? '—' : (map[key] ?? key);
}
