/**
 * The dashboard's entry: the navigation, the order search, the filter bar, the live stream and the
 * network banner around whichever page the address names.
 */
import type { Sales } from '../read/types.js';
import { apiGet, isAbort, onNetworkState } from './api.js';
import type { Params } from './api.js';
import { createChart } from './charts.js';
import { h } from './dom.js';
import { FILTER_NAMES, fillCategories, readFilters, renderFilterBar } from './filters.js';
import { LiveStream } from './live.js';
import type { LiveState } from './live.js';
import { errorBox, pageHeader } from './page.js';
import type { PageContext, PageDef } from './page.js';
import { monitorPage } from './pages/monitor.js';
import { orderPage } from './pages/order.js';
import { overviewPage } from './pages/overview.js';
import { pipelinePage } from './pages/pipeline.js';
import { reviewsPage } from './pages/reviews.js';
import { salesPage } from './pages/sales.js';
import { sellerPage, sellersPage } from './pages/sellers.js';
import { Router } from './router.js';

const notFoundPage: PageDef = {
  title: 'Not found',
  nav: null,
  filters: false,
  render(ctx) {
    ctx.root.append(
      pageHeader('Page not found'),
      h('div', { class: 'error', role: 'alert' }, h('p', null, `There is no page at ${location.pathname}.`), h('p', null, h('a', { href: '/' }, 'Go to the overview'))),
    );
  },
};

const router = new Router<PageDef>(
  [
    { path: '/', page: overviewPage },
    { path: '/monitor', page: monitorPage },
    { path: '/sales', page: salesPage },
    { path: '/reviews', page: reviewsPage },
    { path: '/sellers', page: sellersPage },
    { path: '/sellers/:sellerId', page: sellerPage },
    { path: '/orders/:orderId', page: orderPage },
    { path: '/pipeline', page: pipelinePage },
  ],
  render,
);

const live = new LiveStream();
let leaving: (() => void) | null = null;
let firstRender = true;
let lastPath = '';

function render(): void {
  // A new page focuses its heading; the same page with a new query (a filter, a sort, the next
  // page of a list) gives the focus back to the control that was used, once it is drawn again.
  const samePage = location.pathname === lastPath;
  const focusId = samePage && document.activeElement instanceof HTMLElement && document.activeElement.id ? document.activeElement.id : null;
  lastPath = location.pathname;
  leaving?.();
  const main = document.getElementById('main') as HTMLElement;
  const filterForm = document.getElementById('filters') as HTMLFormElement;
  const match = router.match(location.pathname);
  const page = match?.route ?? notFoundPage;
  const query = new URLSearchParams(location.search);
  const filters = readFilters(query);
  const controller = new AbortController();
  const tasks: (() => void)[] = [];
  leaving = () => {
    controller.abort();
    for (const task of tasks.splice(0)) task();
  };

  // The global filters go along from page to page: the navigation links carry them.
  const carried = new URLSearchParams();
  for (const name of FILTER_NAMES) {
    const value = filters[name];
    if (value !== undefined) carried.set(name, value);
  }
  const carriedQuery = carried.toString() === '' ? '' : `?${carried.toString()}`;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('.nav a, a.brand')) {
    a.dataset.path ??= a.getAttribute('href') ?? '/';
    const path = a.dataset.path;
    a.setAttribute('href', `${path}${carriedQuery}`);
    if (a.closest('.nav') && path === page.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  filterForm.hidden = !page.filters;
  if (page.filters) renderFilterBar(filterForm, filters, (url) => router.navigate(url));
  if (focusId) document.getElementById(focusId)?.focus({ preventScroll: true });
  document.title = `${page.title} · OrderPulse`;

  const ctx: PageContext = {
    root: main,
    params: match?.params ?? {},
    query,
    filters,
    signal: controller.signal,
    live,
    focusId,
    get: <T>(path: string, params?: Params) => apiGet<T>(path, params, controller.signal),
    chart(el, option) {
      const { chart, dispose } = createChart(el, option);
      tasks.push(dispose);
      return chart;
    },
    onLive(kind, listener) {
      tasks.push(live.on(kind, listener));
    },
    every(ms, task) {
      const timer = window.setInterval(task, ms);
      tasks.push(() => window.clearInterval(timer));
    },
    onLeave(task) {
      tasks.push(task);
    },
    navigate: (url, options) => router.navigate(url, options),
    rerender: render,
  };

  main.replaceChildren();
  const focusHeading = !firstRender && !samePage;
  firstRender = false;
  const failed = (error: unknown): void => {
    if (!isAbort(error) && !controller.signal.aborted) main.append(errorBox(ctx, error));
  };
  try {
    // Pages put their heading in before their first await, so it is there to take the focus below.
    Promise.resolve(page.render(ctx)).catch(failed);
  } catch (error) {
    failed(error);
  }
  // After a navigation the heading takes the focus, so a screen reader announces the new page.
  if (focusHeading) main.querySelector<HTMLElement>('h1')?.focus({ preventScroll: true });
  if (!samePage) window.scrollTo(0, 0);
}

function wireOrderSearch(): void {
  const form = document.getElementById('order-search') as HTMLFormElement;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const input = form.elements.namedItem('order') as HTMLInputElement;
    const id = input.value.trim();
    if (id === '') return;
    input.value = '';
    router.navigate(`/orders/${encodeURIComponent(id)}`);
  });
}

function wireLiveStatus(): void {
  const el = document.getElementById('live-status') as HTMLElement;
  const words: Record<LiveState, string> = { connecting: 'Live: connecting', open: 'Live', reconnecting: 'Live: reconnecting' };
  live.onState((state) => {
    el.textContent = words[state];
    el.dataset.state = state;
  });
}

function wireBanner(): void {
  const banner = document.getElementById('banner') as HTMLElement;
  onNetworkState((state) => {
    if (state.ok) {
      banner.hidden = true;
      banner.replaceChildren();
      return;
    }
    const retry = h('button', { type: 'button' }, 'Retry');
    retry.addEventListener('click', () => render());
    banner.replaceChildren(h('span', null, 'The server cannot be reached; the figures shown may be out of date. '), retry);
    banner.hidden = false;
  });
}

/** The category list of the filter bar comes from the sales ranking over all of the data. */
async function loadCategories(): Promise<void> {
  try {
    const sales = await apiGet<Sales>('/api/sales');
    fillCategories(sales.categories.map((c) => c.category).sort());
  } catch {
    // The list is a convenience: the field takes any text, and the page shows the API's errors.
  }
}

wireOrderSearch();
wireLiveStatus();
wireBanner();
router.start();
live.open();
void loadCategories();
