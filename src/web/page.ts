/**
 * What a page gets to render with, and the pieces every page uses: panels that load on their own
 * (a loading line, then the content or a clear error), charts and live listeners freed when the
 * user leaves the page, requests cancelled when the user leaves before they answer.
 */
import { ApiError, NetworkError, askToken, isAbort } from './api.js';
import type { Params } from './api.js';
import type { Chart, ChartOption } from './charts.js';
import { h } from './dom.js';
import type { Child } from './dom.js';
import { FILTER_NAMES, withQuery } from './filters.js';
import type { RawFilters } from './filters.js';
import type { LiveEvents, LiveKind, LiveStream } from './live.js';

export interface PageContext {
  readonly root: HTMLElement;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly filters: RawFilters;
  readonly signal: AbortSignal;
  readonly live: LiveStream;
  /** The id of the control that had the focus when only the query changed (focused again once redrawn). */
  readonly focusId: string | null;
  get<T>(path: string, params?: Params): Promise<T>;
  chart(el: HTMLElement, option: ChartOption): Chart;
  onLive<K extends LiveKind>(kind: K, listener: (event: LiveEvents[K]) => void): void;
  every(ms: number, task: () => void): void;
  onLeave(task: () => void): void;
  navigate(url: string, options?: { readonly replace?: boolean }): void;
  /** Renders the page again (after a token was entered, or Retry). */
  rerender(): void;
}

export interface PageDef {
  readonly title: string;
  /** The navigation link that is current on this page. */
  readonly nav: string | null;
  /** Whether the global filter bar shows on this page. */
  readonly filters: boolean;
  render(ctx: PageContext): void | Promise<void>;
}

export function pageHeader(title: string, ...intro: Child[]): HTMLElement {
  return h('header', { class: 'page-head' }, h('h1', { tabindex: '-1' }, title), intro.length > 0 ? h('p', { class: 'intro' }, intro) : null);
}

export interface Panel {
  readonly section: HTMLElement;
  readonly body: HTMLElement;
}

let panelCount = 0;
export function panel(parent: HTMLElement, title: string, options: { readonly wide?: boolean } = {}): Panel {
  const id = `panel-${++panelCount}`;
  const body = h('div', { class: 'panel-body' });
  const section = h('section', { class: options.wide ? 'panel wide' : 'panel', 'aria-labelledby': id }, h('h2', { id }, title), body);
  parent.appendChild(section);
  return { section, body };
}

export function grid(parent: HTMLElement): HTMLElement {
  const el = h('div', { class: 'grid' });
  parent.appendChild(el);
  return el;
}

export function chartBox(extraClass = ''): HTMLElement {
  return h('div', { class: `chart ${extraClass}`.trim(), role: 'img' });
}

/**
 * Fills `body` from `task`, with a loading line while it runs and an error box if it fails. `quiet`
 * keeps the current content while a refresh runs (live updates, timers).
 */
export async function load(ctx: PageContext, body: HTMLElement, task: () => Promise<void>, options: { readonly quiet?: boolean } = {}): Promise<void> {
  if (!options.quiet) {
    body.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
  }
  body.setAttribute('aria-busy', 'true');
  try {
    await task();
  } catch (error) {
    if (isAbort(error) || ctx.signal.aborted) return;
    if (error instanceof ApiError && error.status === 400) {
      // A bad value in the address fails every panel alike: said once, at the top of the page.
      pageNotice(ctx, error);
      body.replaceChildren(h('p', { class: 'empty' }, 'Not shown: the address has a value the server does not accept (see above).'));
    } else {
      body.replaceChildren(errorBox(ctx, error));
    }
  } finally {
    body.removeAttribute('aria-busy');
  }
  if (ctx.focusId && !ctx.signal.aborted && (document.activeElement === document.body || document.activeElement === null)) {
    document.getElementById(ctx.focusId)?.focus({ preventScroll: true });
  }
}

function pageNotice(ctx: PageContext, error: ApiError): void {
  const shown = [...ctx.root.querySelectorAll<HTMLElement>('.page-error')].some((el) => el.dataset.message === error.message);
  if (shown) return;
  const box = errorBox(ctx, error);
  box.classList.add('page-error');
  box.dataset.message = error.message;
  const head = ctx.root.querySelector('.page-head');
  if (head) head.after(box);
  else ctx.root.prepend(box);
}

/** What went wrong, in words a user can act on; the API's code and message as it sent them. */
export function errorBox(ctx: PageContext, error: unknown): HTMLElement {
  const box = h('div', { class: 'error', role: 'alert' });
  if (error instanceof ApiError) {
    const heading =
      error.status === 400 ? 'The address has a value the server does not accept'
        : error.status === 401 ? 'This server needs an access token'
          : error.status === 404 ? 'Not found'
            : error.status === 429 ? 'Too many requests: try again in a moment'
              : `The server could not answer (HTTP ${error.status})`;
    box.append(h('p', { class: 'error-title' }, heading), h('p', null, error.message), h('p', { class: 'code' }, error.code));
    if (error.status === 400 && FILTER_NAMES.some((n) => ctx.filters[n] !== undefined)) {
      box.append(h('p', null, h('a', { href: withQuery(Object.fromEntries([...FILTER_NAMES, 'offset'].map((n) => [n, null]))) }, 'Clear the filters')));
    }
    if (error.status === 401) {
      const button = h('button', { type: 'button' }, 'Enter token');
      button.addEventListener('click', () => {
        void askToken(true).then((token) => {
          if (token) ctx.rerender();
        });
      });
      box.append(h('p', null, button));
    }
  } else if (error instanceof NetworkError) {
    box.append(h('p', { class: 'error-title' }, 'Cannot reach the server'), h('p', null, error.message));
  } else {
    box.append(h('p', { class: 'error-title' }, 'Something went wrong'), h('p', null, error instanceof Error ? error.message : String(error)));
  }
  return box;
}

/** Previous / next links for a paged list, the offset in the address. */
export function pager(total: number, offset: number, limit: number, shown: number, param = 'offset'): HTMLElement | null {
  if (total <= limit && offset === 0) return null;
  const prev = Math.max(0, offset - limit);
  const next = offset + limit;
  // A second list on the page pages by its own address parameter, and its links get ids of their own.
  const id = (name: string): string => (param === 'offset' ? `pager-${name}` : `pager-${param}-${name}`);
  return h('nav', { class: 'pager', 'aria-label': 'Pages of the list' },
    offset > 0 ? h('a', { id: id('previous'), href: withQuery({ [param]: prev === 0 ? null : String(prev) }) }, '← Previous') : h('span', { class: 'disabled' }, '← Previous'),
    h('span', null, `${shown === 0 ? 0 : offset + 1}–${offset + shown} of ${total}`),
    next < total ? h('a', { id: id('next'), href: withQuery({ [param]: String(next) }) }, 'Next →') : h('span', { class: 'disabled' }, 'Next →'));
}

/** A non-negative integer from the address (offset, limit), the fallback otherwise. */
export function intParam(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null || !/^\d+$/.test(raw)) return fallback;
  return Number(raw);
}
