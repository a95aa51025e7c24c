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
  delivery_at_risk: 'Delivery at risk',
};

/** The stages a `delivery_at_risk` alert names (where the order is now). */
export const RISK_STAGE_LABEL: Readonly<Record<string, string>> = {
  approval: 'awaiting approval',
  carrier_handoff: 'awaiting handoff',
  transit: 'in transit',
};

export function label(map: Readonly<Record<string, string>>, key: string | null): string {
  return key === null ? '—' : (map[key] ?? key);
}

/**
 * Tiers of the alert queue by rank (the queue is ordered by priority, whose scale follows order
 * values): the first ten need someone now, the next forty today, the rest in turn.
 */
export function tier(rank: number): { readonly name: 'Critical' | 'High' | 'Normal'; readonly className: string } {
  if (rank <= 10) return { name: 'Critical', className: 'tier-1' };
  if (rank <= 50) return { name: 'High', className: 'tier-2' };
  return { name: 'Normal', className: 'tier-3' };
}
