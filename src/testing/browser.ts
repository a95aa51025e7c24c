/**
 * The machine's Chromium driven by playwright-core, for the web app's browser tests: launched
 * headless without the sandbox (containers run it as root), with every console error, uncaught
 * page error and failed request of a page collected so a test can assert there were none.
 */
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/** Where Debian-like systems put Chromium; CHROMIUM_PATH overrides. */
const CHROMIUM_PATHS = ['/usr/lib/chromium/chromium', '/usr/bin/chromium', '/usr/bin/chromium-browser'];

export function chromiumPath(): string {
  const override = process.env.CHROMIUM_PATH;
  if (override) {
    if (!existsSync(override)) throw new Error(`CHROMIUM_PATH names ${override}, which does not exist`);
    return override;
  }
  const found = CHROMIUM_PATHS.find((path) => existsSync(path));
  if (!found) throw new Error(`No Chromium found (looked at ${CHROMIUM_PATHS.join(', ')}); set CHROMIUM_PATH`);
  return found;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--headless'] });
}

/** What went wrong in a page while a test drove it. */
export interface PageProblems {
  /** console.error and the browser's own errors (a failed resource, a CSP violation). */
  readonly consoleErrors: string[];
  /** Exceptions nothing caught. */
  readonly pageErrors: string[];
  /** Requests that got no answer, but those cut short by leaving the page. */
  readonly failedRequests: string[];
}

export function watchPage(page: Page): PageProblems {
  const problems: PageProblems = { consoleErrors: [], pageErrors: [], failedRequests: [] };
  page.on('console', (message) => {
    if (message.type() === 'error') {
      const where = message.location();
      problems.consoleErrors.push(`${message.text()}${where.url ? ` (${where.url}:${where.lineNumber})` : ''}`);
    }
  });
  page.on('pageerror', (error) => problems.pageErrors.push(error.stack ?? error.message));
  page.on('requestfailed', (request) => {
    const failure = request.failure()?.errorText ?? 'failed';
    // Navigating away aborts the requests and the live stream of the page left: not a fault.
    if (failure !== 'net::ERR_ABORTED') problems.failedRequests.push(`${request.method()} ${request.url()}: ${failure}`);
  });
  return problems;
}

/**
 * The console errors but the browser's own line for a response of one of `statuses` ("Failed to
 * load resource: … status of 404"): a test that asks for a missing order expects that one.
 */
export function consoleErrorsExcept(problems: PageProblems, statuses: readonly number[]): string[] {
  return problems.consoleErrors.filter((text) => !statuses.some((status) => text.startsWith(`Failed to load resource: the server responded with a status of ${status} `)));
}

export interface OpenedPage {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly problems: PageProblems;
}

/** A fresh context (own storage: no token carried over) and page of the given viewport width. */
export async function openPage(browser: Browser, viewport: { readonly width: number; readonly height: number }): Promise<OpenedPage> {
  const context = await browser.newContext({ viewport, locale: 'en-US', timezoneId: 'UTC' });
  const page = await context.newPage();
  return { context, page, problems: watchPage(page) };
}

/** The viewports the dashboard must read well at: a laptop and a phone. */
export const VIEWPORTS = {
  desktop: { width: 1280, height: 900 },
  phone: { width: 390, height: 844 },
} as const;
