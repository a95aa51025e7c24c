/** Building the page from data without innerHTML: every text goes in as a text node. */
export type Child = Node | string | number | null | undefined | false;
export type Attrs = Readonly<Record<string, string | number | boolean | null | undefined>>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: (Child | readonly Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'class') el.className = String(value);
      else el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: readonly (Child | readonly Child[])[]): void {
  for (const child of children) {
    if (typeof child === 'string' || typeof child === 'number') parent.appendChild(document.createTextNode(String(child)));
    else if (child instanceof Node) parent.appendChild(child);
    else if (Array.isArray(child)) append(parent, child as readonly Child[]);
  }
}

export function clear(el: Element, ...children: (Child | readonly Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

export interface Column<R> {
  readonly label: string;
  readonly cell: (row: R) => Child | readonly Child[];
  readonly numeric?: boolean;
  /** A header of its own (a sort link); the label otherwise. */
  readonly header?: () => Node;
  readonly sort?: 'ascending' | 'descending' | null;
}

export interface TableOptions<R> {
  readonly caption: string;
  readonly empty?: string;
  readonly rowAttrs?: (row: R) => Attrs;
}

/** A data table in a scrolling wrapper (narrow screens scroll it sideways, the page does not). */
export function table<R>(columns: readonly Column<R>[], rows: readonly R[], options: TableOptions<R>): HTMLElement {
  const head = h('tr', null, columns.map((c) =>
    h('th', { scope: 'col', class: c.numeric ? 'num' : null, 'aria-sort': c.sort ?? null }, c.header ? c.header() : c.label)));
  const body = rows.map((row) =>
    h('tr', options.rowAttrs ? options.rowAttrs(row) : null, columns.map((c) => h('td', { class: c.numeric ? 'num' : null }, c.cell(row)))));
  const tableEl = h('table', null, h('caption', { class: 'visually-hidden' }, options.caption), h('thead', null, head), h('tbody', null, body));
  const wrap = h('div', { class: 'table-wrap' }, tableEl);
  if (rows.length === 0) wrap.appendChild(h('p', { class: 'empty' }, options.empty ?? 'Nothing to show yet.'));
  return wrap;
}

export function link(href: string, text: Child, attrs?: Attrs): HTMLAnchorElement {
  return h('a', { ...attrs, href }, text);
}

export function orderLink(orderId: string): HTMLAnchorElement {
  return h('a', { href: `/orders/${encodeURIComponent(orderId)}`, class: 'id', title: orderId }, orderId.length > 12 ? `${orderId.slice(0, 8)}…` : orderId);
}

export function sellerLink(sellerId: string, search = ''): HTMLAnchorElement {
  return h('a', { href: `/sellers/${encodeURIComponent(sellerId)}${search}`, class: 'id', title: sellerId }, sellerId.length > 12 ? `${sellerId.slice(0, 8)}…` : sellerId);
}

export function gradeBadge(grade: string | null): HTMLElement {
  return grade === null
    ? h('span', { class: 'grade grade-none', title: 'Not graded yet' }, '—')
    : h('span', { class: `grade grade-${grade}`, title: `Product grade ${grade}` }, grade);
}
