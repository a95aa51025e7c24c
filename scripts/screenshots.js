#!/usr/bin/env node
// Screenshots of the dashboard for the documentation, into docs/screenshots/: every page at 1280 px
// (the whole page), and the Overview and the Delivery monitor at 390 px (a phone). The data is the
// bundled sample run through the pipeline in a temporary state directory (replayed, streamed and
// batch-processed), or the state directory given with `--state DIR`. The Delivery monitor is taken
// in the middle of the story instead: the sample streamed to 1 March 2018, batch-processed, then
// streamed on to 20 March with the risk norms that batch run gave, so that orders in flight are at
// risk beside the overdue ones. Needs the build (`npm run build`) and the machine's
// Chromium (CHROMIUM_PATH to point at it elsewhere).
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
import { runBatch } from '../dist/src/batch/index.js';
import { sampleDir } from '../dist/src/testing/fixtures.js';
import { openSamplePipeline, sampleEvents } from '../dist/src/testing/sample-pipeline.js';

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

/** The sample through the pipeline: streamed to `cuts[0]`, then after each batch run to the next cut (none: to the end). */
async function sampleState(cuts) {
  const dir = mkdtempSync(join(tmpdir(), 'orderpulse-screenshots-'));
  console.log(`running the sample through the pipeline in ${dir}${cuts.length > 0 ? ` (to ${cuts.at(-1)})` : ''}`);
  const pipeline = await openSamplePipeline(dir, await sampleEvents(), { checkEveryMs: 0 });
  try {
    for (const cut of cuts.length === 0 ? [undefined] : cuts) {
      await pipeline.feed(cut === undefined ? undefined : Date.parse(`${cut}T03:00:00Z`));
      await runBatch(pipeline.lake);
    }
  } finally {
    await pipeline.close();
  }
  return dir;
}

/** Takes the pictures of `shots` ([file, path, viewport]) of the dashboard over `state`. */
async function pictures(browser, state, shots) {
  const runtime = openRuntime({ ...DEFAULTS, state });
  const server = await serveRuntime(runtime, { port: 0, webRoot, rateLimitPerMinute: null, backtestData: sampleDir });
  try {
    for (const [file, path, viewport] of typeof shots === 'function' ? await shots(server) : shots) {
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
    await server.close();
    await runtime.close();
  }
}

const state = values.state ?? (await sampleState([]));
const middle = await sampleState(['2018-03-01', '2018-03-20']);
const browser = await launchChromium();
mkdirSync(out, { recursive: true });
try {
  await pictures(browser, state, async (server) => {
    const api = async (path) => (await globalThis.fetch(`${server.url}${path}`)).json();
    const topAlert = (await api('/api/alerts?limit=1')).alerts[0];
    const topSeller = (await api('/api/sellers?sort=orders&direction=desc&limit=1')).sellers[0];
    if (topAlert === undefined || topSeller === undefined) throw new Error(`the state in ${state} has no open alert or no seller: run the pipeline on it first`);
    return [
      ['overview.png', '/', VIEWPORTS.desktop],
      ['sales.png', '/sales', VIEWPORTS.desktop],
      ['sellers.png', '/sellers', VIEWPORTS.desktop],
      ['seller.png', `/sellers/${topSeller.sellerId}`, VIEWPORTS.desktop],
      ['order.png', `/orders/${topAlert.orderId}`, VIEWPORTS.desktop],
      ['pipeline.png', '/pipeline', VIEWPORTS.desktop],
      ['reviews.png', '/reviews', VIEWPORTS.desktop],
      ['overview-390.png', '/', VIEWPORTS.phone],
    ];
  });
  await pictures(browser, middle, [
    ['monitor.png', '/monitor', VIEWPORTS.desktop],
    ['monitor-390.png', '/monitor', VIEWPORTS.phone],
  ]);
} finally {
  await browser.close();
  if (values.state === undefined) rmSync(state, { recursive: true, force: true });
  rmSync(middle, { recursive: true, force: true });
}
