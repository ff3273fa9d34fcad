// What every end-to-end test file shares: where the build and the artifacts are, and how to start
// the static server and Debian's headless Chromium (playwright-core, no browser download).

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { serveStatic } from './server.mjs';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DIST = `${ROOT}dist`;
export const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
// Without the background-networking flags Chromium floods the closed network with refused
// connections.
export const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];
// Generous: a loaded 2-core CI machine compiles a large module slowly.
export const WAIT = 60_000;

/** Checks the build is there, serves dist/ and launches Chromium (a fresh profile each time). */
export async function launch() {
  assert.ok(existsSync(`${DIST}/index.html`), `no ${DIST}/index.html: run \`trunk build --release --offline\` first`);
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: run scripts/setup.sh (or set CHROMIUM)`);
  await mkdir(ARTIFACTS, { recursive: true });
  const server = await serveStatic(DIST);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  return { server, browser };
}

/**
 * Opens `path` on the server in a fresh browser context (1280×900 unless `options` say
 * otherwise), collects console errors and uncaught exceptions in `problems`, and waits for the
 * graph's first node.
 */
export async function openPage(browser, server, path = '', options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  await page.goto(server.url + path);
  await page.locator('[data-node]').first().waitFor({ state: 'visible' });
  return { context, page, problems };
}

/** Opens the Share menu (copy link, embed code, export, import) unless it is open already. */
export async function openShareMenu(page) {
  const menu = page.locator('[data-testid=share-menu]');
  if (!(await menu.evaluate((d) => d.open))) await page.click('[data-testid=share-menu] summary');
}
