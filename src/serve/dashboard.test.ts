/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The dashboard in a real browser: the machine's Chromium (playwright-core) driving the web app as
 * `orderpulse serve` serves it, over the bundled sample replayed, streamed and batch-processed. The
 * figures a page shows are parsed from the page (pt-BR notation) and compared with the gold and
 * silver tables read here with SQL of the test's own, not through the read model.
 *
 * Skipped when no Chromium is found, unless ORDERPULSE_REQUIRE_BROWSER=1 (as in CI), where its
 * absence fails.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Runtime } from '../deploy/index.js';
import { DEFAULTS, LivePipeline, openRuntime } from '../deploy/index.js';
import type { Lake, QueryTable } from '../lake/index.js';
import type { BacktestAnswer, KPIs } from '../read/index.js';
import { VIEWPORTS, chromiumPath, consoleErrorsExcept, launchChromium, openPage } from '../testing/browser.js';
import type { OpenedPage, PageProblems } from '../testing/browser.js';
import { repoRoot, sampleDir, tempDir } from '../testing/fixtures.js';
import { sampleEvents, writeSampleState } from '../testing/sample-pipeline.js';
import type { RunningServer } from './index.js';
import { serveRuntime } from './index.js';

const webRoot = join(repoRoot, 'dist', 'web');
const required = process.env.ORDERPULSE_REQUIRE_BROWSER === '1';
let chromiumMissing: string | null = null;
try {
  chromiumPath();
} catch (error) {
  chromiumMissing = error instanceof Error ? error.message : String(error);
}
const skip = chromiumMissing === null || required ? false : chromiumMissing;

// ------------------------------------------------------------------------------------ the lake, read here

type Row = Record<string, unknown>;

/** Runs SQL of the test's own over lake tables (alias → table name), values as bound parameters. */
async function lakeRows(lake: Lake, tables: Readonly<Record<string, string>>, sql: string, params: Parameters<Lake['query']>[2] = []): Promise<Row[]> {
  const views: Record<string, QueryTable> = {};
  for (const [alias, name] of Object.entries(tables)) views[alias] = await (await (await lake.table(name)).scan()).view();
  const result = await lake.query(views, sql, params);
  return result.rows;
}

const n = (value: unknown): number => Number(value);

/** The headline figures of the whole data, from gold (and silver for distinct orders across categories). */
async function lakeHeadline(lake: Lake): Promise<{ orders: number; revenueCents: number; lateRate: number; openAlerts: number; valueAtRiskCents: number }> {
  const [sold] = await lakeRows(lake, { o: 'silver.orders', i: 'silver.order_items' },
    "SELECT count(DISTINCT o.order_id) AS orders FROM o WHERE o.status NOT IN ('canceled', 'unavailable') AND EXISTS (SELECT 1 FROM i WHERE i.order_id = o.order_id)");
  const [revenue] = await lakeRows(lake, { s: 'gold.sales_monthly' }, 'SELECT sum(revenue_cents) AS cents FROM s');
  const [late] = await lakeRows(lake, { d: 'gold.delivery_performance' }, 'SELECT sum(late_orders) AS late, sum(delivered_orders) AS delivered FROM d');
  const [alerts] = await lakeRows(lake, { a: 'gold.open_alerts' }, 'SELECT count(*) AS alerts, coalesce(sum(order_value_cents), 0) AS cents FROM a');
  return {
    orders: n(sold?.orders),
    revenueCents: n(revenue?.cents),
    lateRate: n(late?.late) / n(late?.delivered),
    openAlerts: n(alerts?.alerts),
    valueAtRiskCents: n(alerts?.cents),
  };
}

// ------------------------------------------------------------------------------------ what a page shows

/** A figure in Brazilian notation ("R$ 1.444.404,33", "7,1%", "2.310") as a number. */
function brNumber(text: string): number {
  const cleaned = text.replace(/[^\d,.\-−]/g, '').replace(/−/g, '-').replace(/\./g, '').replace(',', '.');
  const value = Number(cleaned);
  assert.ok(cleaned !== '' && Number.isFinite(value), `"${text}" is not a number in pt-BR notation`);
  return value;
}
const brCents = (text: string): number => Math.round(brNumber(text) * 100);
/** A percentage as shown (one decimal) against a fraction: equal to the shown precision. */
function assertPercent(shown: string, rate: number, what: string): void {
  assert.ok(Math.abs(brNumber(shown) - rate * 100) <= 0.05 + 1e-9, `${what}: the page shows ${shown}, the lake gives ${(rate * 100).toFixed(3)} %`);
}

/** Waits until the page's main area has its heading and nothing still loading, then fails on an error box. */
async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const main = document.getElementById('main');
    return main !== null && main.querySelector('h1') !== null && main.querySelector('.loading, [aria-busy="true"]') === null;
  });
  const errors = await page.locator('#main .error').allInnerTexts();
  assert.deepEqual(errors, [], `${page.url()} shows an error`);
}

function assertClean(problems: PageProblems, where: string, allowedStatuses: readonly number[] = []): void {
  assert.deepEqual(consoleErrorsExcept(problems, allowedStatuses), [], `${where}: console errors`);
  assert.deepEqual(problems.pageErrors, [], `${where}: page errors`);
  assert.deepEqual(problems.failedRequests, [], `${where}: failed requests`);
}

/** The Overview's KPI tiles, label → value as shown. */
async function kpiTiles(page: Page): Promise<Record<string, string>> {
  await page.waitForFunction(() => document.querySelectorAll('.kpis .kpi').length === 5 && document.querySelector('.kpis[aria-busy]') === null);
  return page.evaluate(() =>
    Object.fromEntries([...document.querySelectorAll('.kpis .kpi')].map((k) => [k.querySelector('.kpi-label')?.textContent ?? '', k.querySelector('.kpi-value')?.textContent ?? ''])));
}

/** A definition list (dt → dd), as the seller's scorecard shows it. */
async function facts(page: Page, selector: string): Promise<Record<string, string>> {
  return page.evaluate((sel) => {
    const out: Record<string, string> = {};
    for (const dt of document.querySelectorAll(`${sel} dt`)) out[dt.textContent ?? ''] = dt.nextElementSibling?.textContent ?? '';
    return out;
  }, selector);
}

/** The monitor's headline: "N open alerts, R$ X of order value at risk." */
async function monitorHeadline(page: Page): Promise<{ total: number; valueAtRiskCents: number }> {
  const text = await page.locator('#main .summary').first().innerText();
  const match = /^([\d.]+) open alerts?, (.+) of order value at risk\.$/.exec(text.trim());
  assert.ok(match, `the monitor's headline reads "${text}"`);
  return { total: brNumber(match[1] ?? ''), valueAtRiskCents: brCents(match[2] ?? '') };
}

async function apiJson<T>(server: RunningServer, path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(`${server.url}${path}`, init);
  return { status: response.status, body: (await response.json()) as T };
}

describe('the dashboard in Chromium', { skip }, () => {
  let browser: Browser;
  const opened: OpenedPage[] = [];

  before(async () => {
    assert.equal(chromiumMissing, null, `ORDERPULSE_REQUIRE_BROWSER=1 but ${chromiumMissing ?? ''}`);
    assert.ok(existsSync(join(webRoot, 'app.js')), `the web app is not built in ${webRoot}: run npm run build:web`);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  async function open(viewport: { readonly width: number; readonly height: number } = VIEWPORTS.desktop): Promise<OpenedPage> {
    const o = await openPage(browser, viewport);
    // Waits are for conditions, never against the clock.
    o.context.setDefaultTimeout(0);
    opened.push(o);
    return o;
  }
  async function closeAll(): Promise<void> {
    for (const o of opened.splice(0)) await o.context.close();
  }

  describe('on the sample, replayed, streamed and batch-processed', () => {
    let dir: ReturnType<typeof tempDir> | null = null;
    let runtime: Runtime;
    let server: RunningServer;
    let lake: Lake;
    let topOrderId: string;
    let topAlertId: string;
    let topSellerId: string;

    before(async () => {
      dir = tempDir();
      await writeSampleState(dir.path, await sampleEvents());
      runtime = openRuntime({ ...DEFAULTS, state: dir.path });
      server = await serveRuntime(runtime, { port: 0, webRoot, rateLimitPerMinute: null, backtestData: sampleDir });
      lake = await runtime.lake();
      const [alert] = await lakeRows(lake, { a: 'gold.open_alerts' }, 'SELECT alert_id, order_id FROM a ORDER BY priority DESC, opened_at, alert_id LIMIT 1');
      assert.ok(alert, 'the sample leaves open alerts');
      topOrderId = String(alert.order_id);
      topAlertId = String(alert.alert_id);
      const [seller] = await lakeRows(lake, { s: 'gold.seller_scorecard' }, 'SELECT seller_id FROM s ORDER BY orders DESC, seller_id LIMIT 1');
      topSellerId = String(seller?.seller_id);
    });
    after(async () => {
      await closeAll();
      await server?.close();
      await runtime?.close();
      dir?.remove();
    });

    /** Each page, what shows that it has data, and how many charts it draws at least. */
    const pages = (): { path: string; charts: number; hasData: (page: Page) => Promise<void> }[] => [
      { path: '/', charts: 2, hasData: async (p) => assert.equal(Object.keys(await kpiTiles(p)).length, 5) },
      { path: '/monitor', charts: 2, hasData: async (p) => assert.ok((await p.locator('#main tr[data-alert]').count()) > 0, 'alert rows') },
      { path: '/sales', charts: 3, hasData: async (p) => assert.match(await p.locator('#main .summary').first().innerText(), /R\$.*orders/) },
      { path: '/sellers', charts: 0, hasData: async (p) => assert.ok((await p.locator('#main tbody tr').count()) > 0, 'seller rows') },
      { path: `/sellers/${topSellerId}`, charts: 1, hasData: async (p) => assert.ok((await p.locator('#main dl.facts dd').count()) > 0, 'scorecard facts') },
      { path: `/orders/${topOrderId}`, charts: 0, hasData: async (p) => assert.ok((await p.locator('#main .timeline li').count()) > 0, 'timeline events') },
      { path: '/reviews', charts: 2, hasData: async (p) => assert.equal(await p.locator('#main .kpis .kpi').count(), 3, 'headline tiles') },
      { path: '/pipeline', charts: 1, hasData: async (p) => assert.ok((await p.locator('#main tbody tr').count()) > 0, 'pipeline rows') },
    ];

    it('renders every page with data at 1280 px and 390 px, without errors, and without sideways scrolling on a phone', async () => {
      for (const [name, viewport] of Object.entries(VIEWPORTS)) {
        for (const { path, charts, hasData } of pages()) {
          const { page, problems, context } = await open(viewport);
          await page.goto(`${server.url}${path}`);
          await settled(page);
          await hasData(page);
          const where = `${path} at ${viewport.width} px (${name})`;
          // The charts draw on canvases, each given room to draw in.
          const canvases = await page.locator('#main .chart canvas').evaluateAll((list) => list.map((c) => (c as HTMLCanvasElement).width * (c as HTMLCanvasElement).height));
          assert.ok(canvases.filter((area) => area > 0).length >= charts, `${where}: ${canvases.length} chart canvases, ${charts} expected at least`);
          if (viewport.width === VIEWPORTS.phone.width) {
            const overflow = await page.evaluate(() => {
              const root = document.documentElement;
              const wide = [...document.querySelectorAll('body *')]
                .filter((el) => el.getBoundingClientRect().right > root.clientWidth + 0.5 && el.closest('.table-wrap') === null)
                .slice(0, 5)
                .map((el) => `${el.tagName.toLowerCase()}.${el.className}: right ${Math.round(el.getBoundingClientRect().right)}`);
              return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, wide };
            });
            // No horizontal scrolling of the document at all: its width fits the viewport's (tables scroll inside their own box).
            assert.ok(overflow.scrollWidth <= overflow.clientWidth, `${where}: the document is ${overflow.scrollWidth} px wide in ${overflow.clientWidth} px; too wide: ${overflow.wide.join('; ')}`);
          }
          assertClean(problems, where);
          await context.close();
        }
      }
    });

    it('shows the figures the gold tables hold: the Overview, the monitor, its queue, a seller and the sales total', async () => {
      const expected = await lakeHeadline(lake);
      const { page, problems } = await open();

      await page.goto(`${server.url}/`);
      await settled(page);
      const tiles = await kpiTiles(page);
      assert.equal(brNumber(tiles['Orders'] ?? ''), expected.orders, 'Overview: orders');
      assert.equal(brCents(tiles['Revenue'] ?? ''), expected.revenueCents, 'Overview: revenue');
      assertPercent(tiles['Late deliveries'] ?? '', expected.lateRate, 'Overview: late deliveries');
      assert.equal(brNumber(tiles['Open alerts'] ?? ''), expected.openAlerts, 'Overview: open alerts');
      assert.equal(brCents(tiles['Value at risk'] ?? ''), expected.valueAtRiskCents, 'Overview: value at risk');

      await page.goto(`${server.url}/monitor`);
      await settled(page);
      const headline = await monitorHeadline(page);
      assert.deepEqual(headline, { total: expected.openAlerts, valueAtRiskCents: expected.valueAtRiskCents }, 'monitor headline');
      const first = page.locator('#main tr[data-alert]').first();
      assert.equal(await first.getAttribute('data-alert'), topAlertId, 'the first alert of the queue is the highest priority');
      assert.equal(await first.locator('a[href^="/orders/"]').getAttribute('title'), topOrderId);

      await page.goto(`${server.url}/sales`);
      await settled(page);
      const summary = await page.locator('#main .summary').first().innerText();
      const sales = /^(.+) from ([\d.]+) orders \(([\d.]+) items\)\.$/.exec(summary.trim());
      assert.ok(sales, `the sales summary reads "${summary}"`);
      assert.equal(brCents(sales[1] ?? ''), expected.revenueCents, 'Sales: revenue');
      assert.equal(brNumber(sales[2] ?? ''), expected.orders, 'Sales: orders');

      const [card] = await lakeRows(lake, { s: 'gold.seller_scorecard' }, 'SELECT * FROM s WHERE seller_id = $1', [topSellerId]);
      assert.ok(card);
      await page.goto(`${server.url}/sellers`);
      await settled(page);
      const firstSeller = page.locator('#main tbody tr').first();
      assert.equal(await firstSeller.locator('a[href^="/sellers/"]').getAttribute('title'), topSellerId, 'the sellers list starts with the seller of the most orders');
      assert.equal(brNumber(await firstSeller.locator('td').nth(2).innerText()), n(card.orders));

      await page.goto(`${server.url}/sellers/${topSellerId}`);
      await settled(page);
      const shown = await facts(page, '#main dl.facts');
      assert.equal(shown['State'], String(card.seller_state));
      assert.equal(brNumber(shown['Orders'] ?? ''), n(card.orders), 'seller orders');
      assert.equal(brNumber(shown['Handoffs'] ?? ''), n(card.handoffs), 'seller handoffs');
      assertPercent(shown['On time'] ?? '', n(card.on_time_rate), 'seller on-time rate');
      assert.equal(brNumber(shown['Delivered'] ?? ''), n(card.delivered_orders), 'seller delivered orders');
      assert.equal(brNumber(shown['Late deliveries'] ?? ''), n(card.late_deliveries), 'seller late deliveries');
      assert.equal(brNumber(shown['Reviews'] ?? ''), n(card.reviews), 'seller reviews');
      assert.ok(Math.abs(brNumber(shown['Mean review'] ?? '') - n(card.mean_review_score)) <= 0.05 + 1e-9, `seller mean review ${shown['Mean review']} vs ${String(card.mean_review_score)}`);
      assertClean(problems, 'figures');
    });

    it('the Reviews page shows the headline and the causes by delay that gold.review_causes_monthly holds', async () => {
      const rows = await lakeRows(
        lake,
        { c: 'gold.review_causes_monthly' },
        `SELECT delay_bucket, sum(low_score_reviews) AS low, sum(with_text) AS text, sum(delay) AS delay, sum(service) AS service
         FROM c WHERE month BETWEEN $1 AND $2 GROUP BY delay_bucket`,
        ['2017-01', '2018-12'],
      );
      const bucket = (name: string): Row => rows.find((r) => r.delay_bucket === name) ?? { low: 0, text: 0, delay: 0, service: 0 };
      const late = ['1-3', '4-7', '8+'].map(bucket).reduce<{ low: number; text: number; delay: number }>((sum, r) => ({ low: sum.low + n(r.low), text: sum.text + n(r.text), delay: sum.delay + n(r.delay) }), { low: 0, text: 0, delay: 0 });
      assert.ok(late.text > 0, 'the sample has late orders with low-score reviews with text');
      const { page, problems } = await open();
      await page.goto(`${server.url}/reviews?from=2017-01&to=2018-12`);
      await settled(page);
      const tile = page.locator('#main .kpis .kpi[data-delivery="late"]');
      assertPercent(await tile.locator('.kpi-value').innerText(), late.delay / late.text, 'Reviews: share of delay among late orders');
      const note = /complain of delay: ([\d.]+) of ([\d.]+) low-score reviews with text \(([\d.]+) low-score reviews\)/.exec(await tile.locator('.kpi-note').innerText());
      assert.ok(note, 'the late tile says how many');
      assert.deepEqual([brNumber(note[1] ?? ''), brNumber(note[2] ?? ''), brNumber(note[3] ?? '')], [late.delay, late.text, late.low]);
      for (const name of ['on_time', '1-3', '4-7', '8+', 'not_delivered']) {
        const cells = await page.locator(`#main tr[data-bucket="${name}"] td`).allInnerTexts();
        // Delivery, low-score reviews, with text, then the causes in order: delay, wrong or missing, quality, service, other.
        const expected = bucket(name);
        assert.deepEqual([brNumber(cells[1] ?? ''), brNumber(cells[2] ?? ''), brNumber(cells[3] ?? ''), brNumber(cells[6] ?? '')], [n(expected.low), n(expected.text), n(expected.delay), n(expected.service)], name);
      }
      assertClean(problems, 'reviews');
    });

    it('a filter set with the controls goes into the address and gives the figures the API gives for it; the address reopens the same view', async () => {
      const { page, problems } = await open();
      await page.goto(`${server.url}/`);
      await settled(page);
      const unfiltered = await kpiTiles(page);
      await page.selectOption('#filter-state', 'SP');
      await page.waitForURL((url) => url.searchParams.get('state') === 'SP');
      await page.fill('#filter-from', '2017-06');
      await page.waitForURL((url) => url.searchParams.get('from') === '2017-06');
      await page.fill('#filter-to', '2017-12');
      await page.waitForURL((url) => url.searchParams.get('to') === '2017-12');
      const url = new URL(page.url());
      assert.equal(url.pathname, '/');
      assert.deepEqual(Object.fromEntries(url.searchParams), { state: 'SP', from: '2017-06', to: '2017-12' });
      await settled(page);
      const filtered = await kpiTiles(page);

      const api = await apiJson<KPIs>(server, `/api/kpis${url.search}`);
      assert.equal(api.status, 200);
      assert.equal(brNumber(filtered['Orders'] ?? ''), api.body.orders, 'filtered orders');
      assert.equal(brCents(filtered['Revenue'] ?? ''), api.body.revenueCents, 'filtered revenue');
      assertPercent(filtered['Late deliveries'] ?? '', api.body.lateRate ?? NaN, 'filtered late rate');
      assert.equal(brNumber(filtered['Open alerts'] ?? ''), api.body.openAlerts, 'filtered open alerts');
      assert.equal(brCents(filtered['Value at risk'] ?? ''), api.body.valueAtRiskCents, 'filtered value at risk');
      assert.notEqual(filtered['Orders'], unfiltered['Orders']);
      assert.notEqual(filtered['Revenue'], unfiltered['Revenue']);

      // Shared: the same address opened afresh shows the same figures and the filters in the controls.
      const other = await open();
      await other.page.goto(`${server.url}/${url.search}`);
      await settled(other.page);
      assert.deepEqual(await kpiTiles(other.page), filtered);
      assert.equal(await other.page.inputValue('#filter-state'), 'SP');
      assert.equal(await other.page.inputValue('#filter-from'), '2017-06');
      assert.equal(await other.page.inputValue('#filter-to'), '2017-12');
      assertClean(problems, 'filter');
      assertClean(other.problems, 'filter, reopened');
    });

    it('shows the backtest of the sample on the monitor: every rule and the threshold sweep as the API reports them', async () => {
      const { page, problems } = await open();
      const answer = await apiJson<BacktestAnswer>(server, '/api/backtest');
      assert.equal(answer.status, 200);
      const report = answer.body;
      assert.ok(report.available);
      await page.goto(`${server.url}/monitor`);
      await settled(page);
      const section = page.locator('#main section:has(h2:text("The rules on history"))');
      const summary = await section.locator('.summary').innerText();
      assert.match(summary, new RegExp(`^Trained on ${report.trainingOrders.toLocaleString('pt-BR')} orders delivered before 01/03/2018`));
      const tables = section.locator('table');
      const ruleRows = tables.nth(0).locator('tbody tr');
      const rules = report.rules;
      assert.equal(await ruleRows.count(), rules.length);
      for (const [i, rule] of rules.entries()) {
        const cells = await ruleRows.nth(i).locator('td').allInnerTexts();
        assert.equal(brNumber(cells[1] ?? ''), rule.alerts, `${rule.rule}: alerts`);
        assertPercent(cells[2] ?? '', rule.precision ?? NaN, `${rule.rule}: precision`);
        assertPercent(cells[4] ?? '', rule.recallEarly ?? NaN, `${rule.rule}: caught early`);
      }
      const sweepRows = tables.nth(1).locator('tbody tr');
      assert.equal(await sweepRows.count(), report.sweep.length);
      const chosen = report.sweep.findIndex((r) => r.threshold === report.riskThreshold);
      assert.equal(await sweepRows.nth(chosen).locator('td strong').count(), 1, 'the threshold the stream runs is marked');
      assertClean(problems, 'backtest');
    });

    it('drills down: an order of the alert queue opens its timeline with its events and three deadlines; the search box opens an order too', async () => {
      const { page, problems } = await open();
      await page.goto(`${server.url}/monitor`);
      await settled(page);
      const link = page.locator('#main tr[data-alert] a[href^="/orders/"]').first();
      const orderId = await link.getAttribute('title');
      assert.equal(orderId, topOrderId);
      await page.evaluate(() => Object.assign(window, { orderpulseStay: true }));
      await link.click();
      await page.waitForURL(`${server.url}/orders/${topOrderId}`);
      await settled(page);
      assert.equal(await page.evaluate(() => (window as unknown as { orderpulseStay?: boolean }).orderpulseStay), true, 'the order opened without reloading the app');
      assert.equal(await page.locator('#main h1').innerText(), `Order ${topOrderId}`);

      const events = await lakeRows(lake, { b: 'bronze.order_events' }, 'SELECT event_type FROM b WHERE key = $1 ORDER BY event_type', [topOrderId]);
      const shownTypes = (await page.locator('#main .timeline li .event-type').allInnerTexts()).sort();
      assert.deepEqual(shownTypes, events.map((e) => String(e.event_type)).sort(), 'the timeline lists the order’s events in bronze');
      assert.ok(shownTypes.includes('OrderPlaced'));
      const deadlines = await page.locator('#main .deadlines li .deadline-stage').allInnerTexts();
      assert.deepEqual(deadlines, ['Approval', 'Handoff to carrier', 'Delivery']);
      const [openAlert] = await lakeRows(lake, { a: 'gold.open_alerts' }, 'SELECT rule FROM a WHERE order_id = $1', [topOrderId]);
      assert.ok(openAlert);
      // The stage its open alert waits for is overdue on the page.
      assert.ok((await page.locator('#main .deadlines li.late').count()) >= 1, 'an overdue deadline is marked late');

      const [other] = await lakeRows(lake, { o: 'silver.orders' }, "SELECT order_id FROM o WHERE status = 'delivered' AND order_id <> $1 ORDER BY order_id LIMIT 1", [topOrderId]);
      const otherId = String(other?.order_id);
      await page.fill('#order-search-id', otherId);
      await page.press('#order-search-id', 'Enter');
      await page.waitForURL(`${server.url}/orders/${otherId}`);
      await settled(page);
      assert.equal(await page.locator('#main h1').innerText(), `Order ${otherId}`);
      assert.ok((await page.locator('#main .timeline li').count()) > 0);
      assertClean(problems, 'drill-down');
    });

    it('a bad value in the address shows the API’s message in the page, not a blank page', async () => {
      const cases = [
        { path: '/sales?from=2017-13', api: '/api/sales?from=2017-13', status: 400 },
        { path: '/?grade=Z', api: '/api/kpis?grade=Z', status: 400 },
        { path: `/orders/${'0'.repeat(32)}`, api: `/api/orders/${'0'.repeat(32)}`, status: 404 },
      ];
      for (const c of cases) {
        const answer = await apiJson<{ code: string; message: string }>(server, c.api);
        assert.equal(answer.status, c.status, c.api);
        const { page, problems } = await open();
        await page.goto(`${server.url}${c.path}`);
        await page.waitForFunction(() => document.querySelector('#main [role="alert"]') !== null && document.querySelector('#main .loading, #main [aria-busy="true"]') === null);
        const text = await page.locator('#main [role="alert"]').first().innerText();
        assert.ok(text.includes(answer.body.message), `${c.path}: the page says "${text}", the API "${answer.body.message}"`);
        assert.ok(await page.locator('#main h1').isVisible(), `${c.path}: the page keeps its heading`);
        assertClean(problems, c.path, [c.status]);
      }
    });

    it('the keyboard reaches the navigation and the filters with Tab, and Enter follows a link and applies a filter', async () => {
      const { page, problems } = await open();
      await page.goto(`${server.url}/`);
      await settled(page);
      const reached: string[] = [];
      const focused = (): Promise<string> =>
        page.evaluate(() => {
          const el = document.activeElement;
          if (!el || el === document.body) return '';
          if (el.id) return `#${el.id}`;
          // A link by its path: the navigation carries the filters over in its query.
          const href = el.getAttribute('href');
          return href === null ? `${el.tagName.toLowerCase()}:${el.textContent ?? ''}` : new URL(href, location.href).pathname;
        });
      // Tab through the header and the filter bar up to its Apply button (a bound on the presses, not on time).
      for (let presses = 0; presses < 40 && !reached.includes('button:Apply'); presses++) {
        await page.keyboard.press('Tab');
        reached.push(await focused());
      }
      for (const stop of ['/', '/monitor', '/sales', '/sellers', '/pipeline', '#order-search-id', '#filter-from', '#filter-to', '#filter-state', '#filter-category', '#filter-grade', 'button:Apply']) {
        assert.ok(reached.includes(stop), `Tab reaches ${stop} (reached: ${reached.join(' ')})`);
      }
      for (let presses = 0; presses < 10 && (await focused()) !== '#filter-category'; presses++) await page.keyboard.press('Shift+Tab');
      assert.equal(await focused(), '#filter-category');
      await page.keyboard.type('bed_bath_table');
      await page.keyboard.press('Enter');
      await page.waitForURL((url) => url.searchParams.get('category') === 'bed_bath_table');
      await settled(page);
      // Then back up to the navigation, and Enter on "Sales".
      for (let presses = 0; presses < 40 && (await focused()) !== '/sales'; presses++) await page.keyboard.press('Shift+Tab');
      assert.equal(await focused(), '/sales');
      await page.keyboard.press('Enter');
      await page.waitForURL((url) => url.pathname === '/sales');
      await settled(page);
      assert.equal(await page.locator('#main h1').innerText(), 'Sales');
      assertClean(problems, 'keyboard');
    });

    it('with a token: the API answers 401 without it, the page asks for it once, and then shows the data', async () => {
      const token = 'a-token-for-the-dashboard';
      const guarded = await serveRuntime(runtime, { port: 0, webRoot, token, rateLimitPerMinute: null });
      try {
        assert.equal((await apiJson(guarded, '/api/kpis')).status, 401);
        assert.equal((await apiJson(guarded, '/api/kpis', { headers: { authorization: `Bearer ${token}` } })).status, 200);

        const { page, problems } = await open();
        // Counts the dialogs the app puts up, from before its first script runs.
        await page.addInitScript(() => {
          const w = window as unknown as { tokenDialogs: number };
          w.tokenDialogs = 0;
          new MutationObserver((records) => {
            for (const record of records) for (const node of record.addedNodes) if (node.nodeName === 'DIALOG') w.tokenDialogs++;
          }).observe(document, { childList: true, subtree: true });
        });
        const unauthorized: string[] = [];
        page.on('response', (r) => {
          if (r.status() === 401) unauthorized.push(new URL(r.url()).pathname);
        });
        await page.goto(`${guarded.url}/`);
        await page.locator('dialog.token-dialog').waitFor({ state: 'visible' });
        assert.ok(unauthorized.includes('/api/kpis'), `the API refused the page before the token (401s: ${unauthorized.join(', ')})`);
        await page.fill('#token-input', token);
        await page.press('#token-input', 'Enter');
        await settled(page);
        const tiles = await kpiTiles(page);
        assert.equal(brNumber(tiles['Orders'] ?? ''), (await lakeHeadline(lake)).orders);
        await page.locator('#live-status[data-state="open"]').waitFor();
        await page.click('.nav a[href="/monitor"]');
        await settled(page);
        assert.ok((await page.locator('#main tr[data-alert]').count()) > 0);
        assert.equal(await page.evaluate(() => (window as unknown as { tokenDialogs?: number }).tokenDialogs), 1, 'the token was asked for once');
        assert.equal(await page.locator('dialog.token-dialog').count(), 0);
        assertClean(problems, 'token', [401]);
      } finally {
        await guarded.close();
      }
    });
  });

  describe('during a live replay', () => {
    let dir: ReturnType<typeof tempDir> | null = null;
    after(async () => {
      await closeAll();
      dir?.remove();
    });

    it('a newly opened alert appears in the queue without a reload', async () => {
      dir = tempDir();
      let server: RunningServer | null = null;
      let failure: Error | null = null;
      let historyAlerts: Set<string> = new Set();
      let watched: OpenedPage | null = null;
      let navigations = 0;
      // Early in the sample few alerts are open, so a new one makes the first page of the queue.
      const pipeline = new LivePipeline({
        settings: { ...DEFAULTS, state: dir.path, data: sampleDir },
        historyUntil: Date.parse('2017-01-15T03:00:00Z'),
        pace: { mode: 'day-every', dayEveryMs: 250 },
        batchIntervalMs: 30_000,
        onFailure: (error) => (failure = error),
        onHistoryReady: async (_history, runtime) => {
          server = await serveRuntime(runtime, { port: 0, webRoot, rateLimitPerMinute: null });
          const lake = await runtime.lake();
          historyAlerts = new Set((await lakeRows(lake, { a: 'gold.alert_events' }, 'SELECT DISTINCT alert_id FROM a')).map((r) => String(r.alert_id)));
          watched = await open();
          const { page } = watched;
          await page.goto(`${server.url}/monitor`);
          await settled(page);
          await page.locator('#live-status[data-state="open"]').waitFor();
          const shown = await page.locator('#main tr[data-alert]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-alert') ?? ''));
          assert.ok(shown.length > 0 && shown.every((id) => historyAlerts.has(id)), 'the queue shows the alerts of the history');
          await page.evaluate(() => Object.assign(window, { orderpulseStay: true }));
          page.on('framenavigated', (frame) => {
            if (frame === page.mainFrame()) navigations++;
          });
        },
      });
      try {
        await pipeline.start();
        assert.ok(watched !== null && server !== null);
        const { page, problems } = watched as OpenedPage;
        // Waits for the condition, however long the replay takes to raise an alert.
        const handle = await page.waitForFunction(
          (known) => [...document.querySelectorAll('#main tr[data-alert]')].map((r) => r.getAttribute('data-alert') ?? '').find((id) => !known.includes(id)) ?? false,
          [...historyAlerts],
          { timeout: 0, polling: 100 },
        );
        const newAlert = String(await handle.jsonValue());
        assert.equal(failure, null);
        assert.equal(navigations, 0, 'no navigation happened');
        assert.equal(await page.evaluate(() => (window as unknown as { orderpulseStay?: boolean }).orderpulseStay), true, 'the page was not reloaded');
        assert.equal(new URL(page.url()).pathname, '/monitor');
        const lake = await pipeline.runtime.lake();
        const opened = await lakeRows(lake, { a: 'gold.alert_events' }, "SELECT order_id FROM a WHERE alert_id = $1 AND change = 'opened'", [newAlert]);
        assert.equal(opened.length, 1, `alert ${newAlert} was opened by the stream after the page was drawn`);
        const row = page.locator(`#main tr[data-alert="${newAlert}"]`);
        assert.equal(await row.locator('a[href^="/orders/"]').getAttribute('title'), String(opened[0]?.order_id));
        assertClean(problems, 'live');
      } finally {
        await (server as RunningServer | null)?.close();
        await pipeline.stop();
      }
    });
  });

  describe('the at-risk queue', () => {
    let dir: ReturnType<typeof tempDir> | null = null;
    after(async () => {
      await closeAll();
      dir?.remove();
    });

    it('fills once the batch layer has norms, beside the overdue queue, with P(late) as the stream computed it', async () => {
      dir = tempDir();
      let server: RunningServer | null = null;
      let watched: OpenedPage | null = null;
      let failure: Error | null = null;
      // The history is streamed before its batch run, so the risk rule starts with the live part.
      const pipeline = new LivePipeline({
        settings: { ...DEFAULTS, state: dir.path, data: sampleDir },
        historyUntil: Date.parse('2018-03-01T03:00:00Z'),
        // Slow enough for the queue to hold still between two answers.
        pace: { mode: 'day-every', dayEveryMs: 20_000 },
        batchIntervalMs: 30_000,
        onFailure: (error) => (failure = error),
        onHistoryReady: async (_history, runtime) => {
          server = await serveRuntime(runtime, { port: 0, webRoot, rateLimitPerMinute: null });
          watched = await open();
          await watched.page.goto(`${server.url}/monitor`);
          await settled(watched.page);
        },
      });
      try {
        await pipeline.start();
        assert.ok(watched !== null && server !== null);
        const { page, problems } = watched as OpenedPage;
        const riskRows = page.locator('#main section:has(h2:text("At-risk queue")) tr[data-alert]');
        // Waits however long the replay takes to price an order over the threshold.
        await riskRows.first().waitFor({ timeout: 0 });
        assert.equal(failure, null);
        // The queue moves while the replay runs: compare the page with the API between two answers that agree.
        type RiskAnswer = { alerts: { alertId: string; rule: string; probability: number | null; riskStage: string | null }[] };
        const top = async (): Promise<RiskAnswer['alerts'][number] | undefined> => (await apiJson<RiskAnswer>(server as RunningServer, '/api/alerts?kind=risk&limit=25')).body.alerts[0];
        let compared = false;
        for (let attempt = 0; attempt < 20 && !compared; attempt++) {
          const before = await top();
          await page.reload();
          await settled(page);
          const shownId = await riskRows.first().getAttribute('data-alert');
          const shownP = await riskRows.first().locator('td').nth(2).innerText();
          const afterwards = await top();
          if (before === undefined || before.alertId !== afterwards?.alertId || before.probability !== afterwards.probability || shownId !== before.alertId) continue;
          assert.equal(before.rule, 'delivery_at_risk');
          assert.ok(before.probability !== null && before.probability >= 0.6, `P(late) ${before.probability} reaches the threshold`);
          assertPercent(shownP, before.probability, 'the queue shows P(late)');
          const lake = await pipeline.runtime.lake();
          const versions = await lakeRows(lake, { a: 'gold.alert_events' }, 'SELECT rule, probability FROM a WHERE alert_id = $1 ORDER BY sequence', [before.alertId]);
          // The table is written at most once a second: when the alert is there, it is the same.
          if (versions.length > 0) assert.equal(versions.at(-1)?.rule, 'delivery_at_risk');
          compared = true;
        }
        assert.ok(compared, 'the page and the API agreed on the head of the at-risk queue');
        const overdue = await apiJson<{ alerts: { rule: string }[] }>(server, '/api/alerts?kind=overdue&limit=100');
        assert.ok(overdue.body.alerts.every((a) => a.rule !== 'delivery_at_risk'), 'the overdue queue holds no at-risk alert');
        assertClean(problems, 'at-risk queue');
      } finally {
        await (server as RunningServer | null)?.close();
        await pipeline.stop();
      }
    });
  });
});
