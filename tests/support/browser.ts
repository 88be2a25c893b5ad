import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { buildUi } from '../../lib/ui-build';

// Real Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core, never a
// downloaded browser. Playwright gives every launch a new temporary profile directory (it refuses a
// --user-data-dir flag with launch()), so no state survives from one test file to the next.

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A phone-sized viewport, 390 CSS pixels wide, used for the signing page. */
export const phoneViewport = { width: 390, height: 844 };
export const desktopViewport = { width: 1280, height: 900 };

export const screenshotDir = path.resolve(fileURLToPath(new URL('../../docs/screenshots', import.meta.url)));

export interface TestBrowser {
  browser: Browser;
  /** A new context (own cookies and storage) with one page on `baseUrl`; page errors are collected. */
  open(baseUrl: string, options?: { viewport?: { width: number; height: number } }): Promise<BrowserPage>;
  close(): Promise<void>;
}

export interface BrowserPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and uncaught exceptions, CSP violations among them. */
  errors: string[];
}

/** Builds the UI when ui/dist is stale, then launches Chromium. */
export async function launchBrowser(): Promise<TestBrowser> {
  await buildUi();
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumFlags });
  const contexts: BrowserContext[] = [];

  return {
    browser,
    async open(baseUrl, options = {}) {
      const context = await browser.newContext({ baseURL: baseUrl, viewport: options.viewport ?? desktopViewport });
      contexts.push(context);
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') {
          errors.push(message.text());
        }
      });
      page.on('pageerror', (error) => errors.push(error.message));

      return { page, context, errors };
    },
    async close() {
      for (const context of contexts) {
        await context.close().catch(() => undefined);
      }
      await browser.close();
    },
  };
}

/** Signs in on /sign-in by picking the seeded user with this display name, as a person would. */
export async function signInAs(page: Page, name: string, next = '/inbox'): Promise<void> {
  await page.goto(`/sign-in?next=${encodeURIComponent(next)}`);
  await page.getByRole('radio', { name: new RegExp(`^${name} `) }).check();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === next.split('?')[0]);
}

/** Saves a full-page screenshot as docs/screenshots/<name>.png, replacing the previous run's file. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await mkdir(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });

  return file;
}

/** True when the page can scroll sideways, which a phone reader must never need on the signing page. */
export async function hasHorizontalScroll(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
}
