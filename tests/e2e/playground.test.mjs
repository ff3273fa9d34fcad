// End-to-end tests of the built playground (dist/) in Debian's headless Chromium, driven by
// playwright-core. Run `trunk build --release --offline` first (scripts/test.sh does), then
// `node --test tests/e2e/`. Screenshots and the benchmark numbers go to tests/e2e/artifacts/.
//
// Every wait is on a condition in the page, never on wall-clock sleeps.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { serveStatic } from './server.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DIST = `${ROOT}dist`;
const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARGS = [
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
// Generous: a loaded 2-core CI machine compiles a 600 KB module slowly.
const WAIT = 60_000;

let server;
let browser;

before(async () => {
  assert.ok(existsSync(`${DIST}/index.html`), `no ${DIST}/index.html: run \`trunk build --release --offline\` first`);
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: run scripts/setup.sh (or set CHROMIUM)`);
  await mkdir(ARTIFACTS, { recursive: true });
  server = await serveStatic(DIST);
  // Playwright launches Chromium with a fresh temporary profile every time.
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** Opens a page in a fresh context and records console errors and uncaught exceptions. */
async function open(path = '', contextOptions = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...contextOptions });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  await page.goto(server.url + path);
  return { context, page, problems };
}

async function appReady(page) {
  await page.locator('[data-node]').first().waitFor({ state: 'visible' });
}

const simTime = async (page) => Number(await page.getAttribute('[data-testid=sim-time]', 'data-us'));
const events = async (page) => Number(await page.textContent('[data-testid=events]'));
const playing = async (page) => (await page.getAttribute('[data-testid=play]', 'aria-pressed')) === 'true';

/** Waits until simulated time passes `t` microseconds. */
async function timePasses(page, t) {
  await page.waitForFunction(
    (t) => Number(document.querySelector('[data-testid=sim-time]')?.dataset.us) > t,
    t,
    { timeout: WAIT },
  );
}

/** Waits for `n` animation frames in the page (a condition on the page's clock, not a sleep). */
async function frames(page, n) {
  await page.evaluate(
    (n) =>
      new Promise((resolve) => {
        const next = (left) => (left === 0 ? resolve() : requestAnimationFrame(() => next(left - 1)));
        next(n);
      }),
    n,
  );
}

async function shot(page, name) {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}

describe('the playground', () => {
  test('draws every node of the default preset, exactly one of them leader', { timeout: WAIT * 2 }, async () => {
    const { context, page, problems } = await open();
    await appReady(page);
    assert.equal(await page.locator('[data-node]').count(), 3);
    assert.equal(await page.locator('[data-node][data-role=leader]').count(), 1);
    assert.equal(await page.locator('[data-node][data-health=up]').count(), 3);
    assert.match(await page.textContent('[data-testid=trace-hash]'), /^[0-9a-f]{16}$/);
    assert.notEqual((await page.textContent('[data-testid=description]')).trim(), '');
    assert.equal(await simTime(page), 0);
    assert.equal(await playing(page), false);
    await shot(page, '01-loaded');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('plays, crashes and restarts a node by clicking it', { timeout: WAIT * 3 }, async () => {
    const { context, page, problems } = await open();
    await appReady(page);
    await page.click('[data-testid=play]');
    assert.equal(await playing(page), true);
    await timePasses(page, 0);
    const t = await simTime(page);
    await timePasses(page, t);
    // Messages are drawn on their way.
    await page.locator('circle.msg').first().waitFor({ state: 'attached' });
    await shot(page, '02-playing');

    await page.click('[data-node="1"]');
    await page.locator('[data-node="1"][data-health=crashed]').waitFor();
    assert.equal(await page.locator('[data-node][data-role=leader]').count(), 1);
    await timePasses(page, await simTime(page));
    await shot(page, '03-crashed');

    await page.click('[data-node="1"]');
    await page.locator('[data-node="1"][data-health=up]').waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('keyboard: Space plays and pauses, . steps, R resets, Enter crashes a focused node', { timeout: WAIT * 3 }, async () => {
    const { context, page, problems } = await open();
    await appReady(page);
    await page.evaluate(() => document.activeElement?.blur());

    await page.keyboard.press('Space');
    await page.waitForFunction(() => document.querySelector('[data-testid=play]').getAttribute('aria-pressed') === 'true');
    await timePasses(page, 0);

    await page.keyboard.press('Space');
    await page.waitForFunction(() => document.querySelector('[data-testid=play]').getAttribute('aria-pressed') === 'false');
    const paused = await simTime(page);
    await frames(page, 5);
    assert.equal(await simTime(page), paused, 'time stands still while paused');

    const before = await events(page);
    await page.keyboard.press('.');
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid=events]').textContent) === n + 1, before);
    assert.equal(await playing(page), false);

    await page.keyboard.press('r');
    await page.waitForFunction(() => document.querySelector('[data-testid=sim-time]').dataset.us === '0');

    await page.focus('[data-node="2"]');
    await page.keyboard.press('Enter');
    await page.locator('[data-node="2"][data-health=crashed]').waitFor();
    await shot(page, '04-keyboard');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('switching presets loads the new scenario from the start', { timeout: WAIT * 2 }, async () => {
    const { context, page, problems } = await open();
    await appReady(page);
    const first = await page.textContent('[data-testid=description]');
    const options = await page.locator('[data-testid=preset] option').allTextContents();
    assert.ok(options.includes('lf-sync'), `presets: ${options}`);
    await page.selectOption('[data-testid=preset]', { label: 'lf-sync' });
    await page.waitForFunction((d) => document.querySelector('[data-testid=description]').textContent !== d, first);
    assert.equal(await simTime(page), 0);
    assert.equal(await page.locator('[data-node][data-role=leader]').count(), 1);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('works on a phone, in dark mode, with reduced motion', { timeout: WAIT * 2 }, async () => {
    const { context, page, problems } = await open('?preset=lf-async', {
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      colorScheme: 'dark',
      reducedMotion: 'reduce',
    });
    await appReady(page);
    await page.tap('[data-testid=play]');
    await timePasses(page, 0);
    await timePasses(page, await simTime(page));
    await frames(page, 3);
    assert.equal(await page.locator('circle.msg').count(), 0, 'no moving messages with reduced motion');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px on a phone`);
    const graph = await page.locator('[data-testid=graph]').boundingBox();
    assert.ok(graph.width <= 390 && graph.width > 250, `graph width ${graph.width}`);
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(background, 'rgb(20, 23, 28)', 'dark palette');
    await shot(page, '05-phone-dark');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a panic shows an explanation and a reload link, not a blank page', { timeout: WAIT * 2 }, async () => {
    const { context, page, problems } = await open('?selftest=panic');
    await page.locator('#crash').waitFor();
    assert.match(await page.textContent('#crash h1'), /replicalab stopped/);
    assert.match(await page.textContent('#crash pre'), /deliberate panic/);
    assert.equal(await page.locator('#crash [data-testid=reload]').count(), 1);
    await shot(page, '06-panic');
    // The panic is reported on the console: that, and only that, is expected here.
    assert.ok(problems.length > 0 && problems.every((p) => /panic|unreachable/i.test(p)), problems.join('\n'));
    await context.close();
  });

  test('benchmark mode reports events per second and frame times', { timeout: WAIT * 5 }, async () => {
    const { context, page, problems } = await open('?bench');
    const results = page.locator('#bench-results[data-done=true]');
    await results.waitFor({ state: 'attached', timeout: WAIT * 4 });
    assert.equal(await results.getAttribute('data-error'), null, await results.textContent());
    const bench = JSON.parse(await results.textContent());
    assert.ok(bench.throughput.length > 0);
    for (const run of bench.throughput) assert.ok(run.events > 0, run.preset);
    assert.ok(bench.frames.interval.count > 0);
    await writeFile(`${ARTIFACTS}bench.json`, JSON.stringify(bench, null, 2));
    await shot(page, '07-bench');
    const rate = bench.throughput.map((r) => `${r.preset} ${Math.round(r.events_per_s).toLocaleString('en')} events/s`).join(', ');
    const f = bench.frames;
    console.log(`# bench (WebAssembly): ${rate}`);
    console.log(
      `# bench frames (${f.preset} at 1×): interval mean ${f.interval.mean_ms} ms, p99 ${f.interval.p99_ms} ms;` +
        ` work mean ${f.work?.mean_ms} ms, p99 ${f.work?.p99_ms} ms`,
    );
    assert.deepEqual(problems, []);
    await context.close();
  });
});
