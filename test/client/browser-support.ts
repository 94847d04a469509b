// Shared by the browser tests: Debian's Chromium through playwright-core (no browser
// download), a client build, and small page helpers.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { projectRoot } from '../../server/config/index.js';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The reason the browser tests are skipped, or false when Chromium is there. */
export const skipWithoutChromium: string | false = existsSync(chromiumPath)
  ? false
  : `no Chromium at ${chromiumPath}: install Debian's chromium (apt-get install chromium; CI does) or set CHROMIUM_PATH`;

/** Set CLIENT_TEST_SCREENSHOTS=<folder> to keep screenshots of the pages while developing. */
const screenshots = process.env.CLIENT_TEST_SCREENSHOTS;

/** The test runner builds the client once before the suite (so parallel test files never
 * rebuild it under each other); a single file run directly builds it when it is missing. */
export async function ensureClientBuilt(): Promise<void> {
  if (existsSync(path.join(projectRoot, 'client/dist/index.html'))) return;
  await build({ configFile: path.join(projectRoot, 'client/vite.config.ts'), logLevel: 'warn', build: { sourcemap: false } });
}

export interface BrowserSession {
  browser: BrowserContext;
  page: Page;
  /** Uncaught page errors and console errors (404s aside) seen so far. */
  pageErrors: string[];
  /** Waits for `target`; fails at once with the page's message when the page shows an error instead. */
  reach(target: Locator, timeout?: number): Promise<void>;
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function openBrowser(baseURL: string, extraArgs: string[] = []): Promise<BrowserSession> {
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), '9ten-chromium-'));
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
    viewport: { width: 1100, height: 800 },
    baseURL,
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(20_000);
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/status of 404/.test(msg.text())) pageErrors.push(msg.text());
  });
  return {
    browser,
    page,
    pageErrors,
    async reach(target, timeout = 20_000) {
      const error = page.locator('.message.error, [role="alert"]').first();
      await Promise.race([
        target.waitFor({ timeout }),
        error.waitFor({ timeout: timeout + 1000 }).then(async () => {
          throw new Error(`the page shows an error: ${await error.textContent()}`);
        }),
      ]);
    },
    async shot(name) {
      if (screenshots) await page.screenshot({ path: path.join(screenshots, `${name}.png`), fullPage: true });
    },
    async close() {
      await browser.close().catch(() => {});
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Logs in through the login page and waits until it lands on `next`. */
export async function logIn(page: Page, username: string, password: string, next: string): Promise<void> {
  await page.goto(`/login?next=${encodeURIComponent(next)}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((u) => u.pathname === next);
}

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** axe-core's serious and critical violations on the page as it is now (axe is injected once per page). */
export async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: axePath });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ passes: unknown[]; violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    if (result.passes.length < 10) throw new Error(`axe checked only ${result.passes.length} rules`);
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => String(n.target)) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.help} (${v.targets.join(', ')})`);
}
