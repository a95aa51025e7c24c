#!/usr/bin/env node
// Screenshots of the dashboard for the documentation, into docs/screenshots/: every page at 1280 px
// (the whole page), and the Overview and the Delivery monitor at 390 px (a phone). The data is the
// bundled sample run through the pipeline (replayed, streamed, batch-processed) in a temporary state
// directory, or the state directory given with `--state DIR`. Needs the build (`npm run build`) and
// the machine's Chromium (CHROMIUM_PATH to point at it elsewhere).
//
//   npm run screenshots [-- --state DIR]
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { DEFAULTS, openRuntime } from '../dist/src/deploy/index.js';
import { serveRuntime } from '../dist/src/serve/index.js';
import { VIEWPORTS, launchChromium, openPage } from '../dist/src/testing/browser.js';
import { sampleEvents, writeSampleState } from '../dist/src/testing/sample-pipeline.js';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'docs', 'screenshots');
const webRoot = join(root, 'dist', 'web');
/** ECharts animates a chart in for about a second: the picture is taken once it has settled. */
const CHART_ANIMATION_MS = 1500;
/** A page is drawn when its heading is in and nothing is loading any more. */
// (A function, not a string: the page's content security policy allows no eval.)
const drawn = () => {
  // eslint-disable-next-line no-undef -- evaluated in the page
  const main = document.getElementById('main');
  return main !== null && main.querySelector('h1') !== null && main.querySelector('.loading, [aria-busy="true"]') === null;
};

const { values } = parseArgs({ options: { state: { type: 'string' } } });

async function sampleState() {
  const dir = mkdtempSync(join(tmpdir(), 'orderpulse-screenshots-'));
  console.log(`running the sample through the pipeline in ${dir}`);
  await writeSampleState(dir, await sampleEvents());
  return dir;
}

const state = values.state ?? (await sampleState());
const runtime = openRuntime({ ...DEFAULTS, state });
const server = await serveRuntime(runtime, { port: 0, webRoot, rateLimitPerMinute: null });
const browser = await launchChromium();
try {
  const api = async (path) => (await globalThis.fetch(`${server.url}${path}`)).json();
  const topAlert = (await api('/api/alerts?limit=1')).alerts[0];
  const topSeller = (await api('/api/sellers?sort=orders&direction=desc&limit=1')).sellers[0];
  if (topAlert === undefined || topSeller === undefined) throw new Error(`the state in ${state} has no open alert or no seller: run the pipeline on it first`);
  const shots = [
    ['overview.png', '/', VIEWPORTS.desktop],
    ['monitor.png', '/monitor', VIEWPORTS.desktop],
    ['sales.png', '/sales', VIEWPORTS.desktop],
    ['sellers.png', '/sellers', VIEWPORTS.desktop],
    ['seller.png', `/sellers/${topSeller.sellerId}`, VIEWPORTS.desktop],
    ['order.png', `/orders/${topAlert.orderId}`, VIEWPORTS.desktop],
    ['pipeline.png', '/pipeline', VIEWPORTS.desktop],
    ['reviews.png', '/reviews', VIEWPORTS.desktop],
    ['overview-390.png', '/', VIEWPORTS.phone],
    ['monitor-390.png', '/monitor', VIEWPORTS.phone],
  ];
  mkdirSync(out, { recursive: true });
  for (const [file, path, viewport] of shots) {
    const { context, page, problems } = await openPage(browser, viewport);
    await page.goto(`${server.url}${path}`);
    await page.waitForFunction(drawn, null, { timeout: 0 });
    await sleep(CHART_ANIMATION_MS);
    await page.screenshot({ path: join(out, file), fullPage: true });
    await context.close();
    const trouble = [...problems.consoleErrors, ...problems.pageErrors, ...problems.failedRequests];
    console.log(`${file}: ${path} at ${viewport.width} px${trouble.length > 0 ? ` (with problems: ${trouble.join('; ')})` : ''}`);
  }
} finally {
  await browser.close();
  await server.close();
  await runtime.close();
  if (values.state === undefined) rmSync(state, { recursive: true, force: true });
}
