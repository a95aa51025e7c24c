/**
 * The global filters live in the URL's query string (from, to, state, category, grade), so a view can
 * be shared by its address. The values go to the API as written: the API validates them and its
 * `{code, message}` tells the user what is wrong (a month 2017-13, a grade Z).
 */
import type { FilterName, Provenance } from '../read/types.js';
import { h } from './dom.js';

export const FILTER_NAMES: readonly FilterName[] = ['from', 'to', 'state', 'category', 'grade'];

/** The filters as the address has them: strings not yet validated (the API judges them). */
export type RawFilters = Partial<Record<FilterName, string>>;

export const STATES = ['AC', 'AL', 'AM', 'AP', 'BA', 'CE', 'DF', 'ES', 'GO', 'MA', 'MG', 'MS', 'MT', 'PA', 'PB', 'PE', 'PI', 'PR', 'RJ', 'RN', 'RO', 'RR', 'RS', 'SC', 'SE', 'SP', 'TO'] as const;
export const GRADES = ['A', 'B', 'C', 'D', 'E'] as const;

export function readFilters(search: URLSearchParams): RawFilters {
  const filters: RawFilters = {};
  for (const name of FILTER_NAMES) {
    const value = search.get(name);
    if (value !== null && value !== '') filters[name] = value;
  }
  return filters;
}

export function hasFilters(filters: RawFilters): boolean {
  return FILTER_NAMES.some((name) => filters[name] !== undefined);
}

/** The current address with some query parameters changed (null removes one); a page offset resets when filters change. */
export function withQuery(changes: Readonly<Record<string, string | null | undefined>>, base: Location | URL = location): string {
  const url = new URL(base.href);
  for (const [name, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === '') url.searchParams.delete(name);
    else url.searchParams.set(name, value);
  }
  return `${url.pathname}${url.search}`;
}

/** The filters the address sets that an answer did not honour (its data lacks that dimension). */
export function notApplied(filters: RawFilters, provenance: Provenance): FilterName[] {
  return FILTER_NAMES.filter((name) => filters[name] !== undefined && !provenance.applied.includes(name));
}

export function appliedNote(filters: RawFilters, provenance: Provenance): HTMLElement | null {
  const missing = notApplied(filters, provenance);
  return missing.length === 0 ? null : h('p', { class: 'note' }, `Filters not applied to this figure (its data lacks them): ${missing.join(', ')}.`);
}

/**
 * The filter bar: month range, customer state, category, grade. A change applies at once (the URL
 * changes, the page refetches); the category applies on Enter or when the field is left.
 */
export function renderFilterBar(form: HTMLFormElement, filters: RawFilters, apply: (url: string) => void): void {
  const month = (name: 'from' | 'to', label: string): HTMLElement => {
    // Browsers without a month picker show a text field: the placeholder says the format.
    const input = h('input', { id: `filter-${name}`, name, type: 'month', min: '2016-01', max: '2018-12', placeholder: 'YYYY-MM' });
    input.value = filters[name] ?? '';
    return h('div', { class: 'field' }, h('label', { for: input.id }, label), input);
  };
  const select = (name: 'state' | 'grade', label: string, values: readonly string[]): HTMLElement => {
    const current = filters[name];
    const options = [h('option', { value: '' }, 'All'), ...values.map((v) => h('option', { value: v }, v))];
    // A value the list lacks (from a hand-typed address) stays visible, so the error below makes sense.
    if (current !== undefined && !values.includes(current)) options.push(h('option', { value: current }, `${current} (not valid)`));
    const el = h('select', { id: `filter-${name}`, name }, options);
    el.value = current ?? '';
    return h('div', { class: 'field' }, h('label', { for: el.id }, label), el);
  };
  const category = h('input', { id: 'filter-category', name: 'category', type: 'text', list: 'category-list', placeholder: 'Any', autocomplete: 'off', spellcheck: 'false' });
  category.value = filters.category ?? '';
  const clearLink = h('a', { href: withQuery(Object.fromEntries([...FILTER_NAMES, 'offset'].map((n) => [n, null]))), class: 'clear' }, 'Clear filters');
  form.replaceChildren(
    month('from', 'From month'),
    month('to', 'To month'),
    select('state', 'Customer state', STATES),
    h('div', { class: 'field' }, h('label', { for: category.id }, 'Category'), category, h('datalist', { id: 'category-list' })),
    select('grade', 'Grade', GRADES),
    h('div', { class: 'field actions' }, h('button', { type: 'submit' }, 'Apply'), clearLink),
  );

  const submit = (): void => {
    const data = new FormData(form);
    const changes: Record<string, string | null> = { offset: null };
    for (const name of FILTER_NAMES) {
      const value = data.get(name);
      changes[name] = typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
    }
    const next = withQuery(changes);
    if (next !== `${location.pathname}${location.search}`) apply(next);
  };
  form.onsubmit = (event) => {
    event.preventDefault();
    submit();
  };
  form.onchange = (event) => {
    // A month input fires change on every spin of its parts; apply only a complete value or an emptied one.
    const target = event.target;
    if (target instanceof HTMLInputElement && target.type === 'month' && target.value === '' && target.validity.badInput) return;
    submit();
  };
}

/** The categories offered in the filter's list (loaded once from the sales ranking). */
export function fillCategories(categories: readonly string[]): void {
  const list = document.getElementById('category-list');
  if (!list) return;
  list.replaceChildren(...categories.map((c) => h('option', { value: c })));
}
