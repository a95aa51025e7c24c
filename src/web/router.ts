/**
 * Client-side routing with the History API: real links everywhere (they work with the keyboard, open
 * in a new tab, and the server answers any client path with index.html); a plain click on a link
 * to this origin is taken over and the page renders without a reload.
 */
export interface Match<P> {
  readonly route: P;
  readonly params: Readonly<Record<string, string>>;
}

export interface RouteDef<P> {
  /** `/sellers/:sellerId` style: a `:name` segment captures one path segment. */
  readonly path: string;
  readonly page: P;
}

export class Router<P> {
  readonly #routes: { readonly regex: RegExp; readonly keys: readonly string[]; readonly page: P }[];
  readonly #render: () => void;

  constructor(routes: readonly RouteDef<P>[], render: () => void) {
    this.#routes = routes.map((r) => {
      const keys: string[] = [];
      const pattern = r.path.replace(/\/:([A-Za-z]+)/g, (_, key: string) => {
        keys.push(key);
        return '/([^/]+)';
      });
      return { regex: new RegExp(`^${pattern}/?$`), keys, page: r.page };
    });
    this.#render = render;
  }

  match(pathname: string): Match<P> | null {
    for (const route of this.#routes) {
      const m = route.regex.exec(pathname);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((key, i) => {
        const raw = m[i + 1] ?? '';
        try {
          params[key] = decodeURIComponent(raw);
        } catch {
          params[key] = raw;
        }
      });
      return { route: route.page, params };
    }
    return null;
  }

  start(): void {
    document.addEventListener('click', (event) => {
      if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      const target = event.target instanceof Element ? event.target.closest('a') : null;
      if (!target || target.target || target.hasAttribute('download')) return;
      const url = new URL(target.href, location.href);
      if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
      if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
      event.preventDefault();
      this.navigate(`${url.pathname}${url.search}`);
    });
    window.addEventListener('popstate', () => this.#render());
    this.#render();
  }

  navigate(url: string, options: { readonly replace?: boolean } = {}): void {
    if (options.replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
    this.#render();
  }
}
