// End-to-end tests of the built playground (dist/) in Debian's headless Chromium, driven by
// playwright-core. Run `trunk build --release --offline` first (scripts/test.sh does), then
// `node --test tests/e2e/`. Screenshots and the benchmark numbers go to tests/e2e/artifacts/.
//
// Every wait is on a condition in the page, never on wall-clock sleeps.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';

import { ARTIFACTS, WAIT, launch } from './browser.mjs';

let server;
let browser;

before(async () => {
  ({ server, browser } = await launch());
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

/** Sets a range or text input's value the way a user would (input and change events). */
async function setValue(page, selector, value) {
  await page.evaluate(
    ([selector, value]) => {
      const el = document.querySelector(selector);
      el.value = String(value);
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    },
    [selector, value],
  );
}

/** Plays at speed step `speed` (0: 1×, 10: 10×) until simulated time passes `ms`, then pauses.
 * Play and pause are dispatched directly: a busy page must not delay them past the instant. */
async function playUntil(page, ms, speed = 0) {
  await setValue(page, '[data-testid=speed]', speed);
  const toggle = () => togglePlay(page);
  if (!(await playing(page))) await toggle();
  await timePasses(page, ms * 1000);
  if (await playing(page)) await toggle();
  await page.waitForFunction(() => document.querySelector('[data-testid=play]').getAttribute('aria-pressed') === 'false');
}

/** Builds a cluster in the settings form: `fields` maps data-testid to a value. */
async function buildCluster(page, fields) {
  if (!(await page.locator('[data-testid=settings]').evaluate((d) => d.open))) await page.click('[data-testid=settings] summary');
  for (const [id, value] of Object.entries(fields)) {
    const el = page.locator(`[data-testid=${id}]`);
    const tag = await el.evaluate((e) => e.tagName);
    const type = await el.evaluate((e) => e.type);
    if (tag === 'SELECT') await el.selectOption(String(value));
    else if (type === 'checkbox') await el.setChecked(Boolean(value));
    else await el.fill(String(value));
    // Each change re-renders the form (fields come and go with the family).
    await el.dispatchEvent('change');
  }
  const before = await page.textContent('[data-testid=description]');
  await page.click('[data-testid=set-start]');
  await page.waitForFunction((d) => document.querySelector('[data-testid=description]').textContent !== d, before);
  assert.equal(await page.locator('[data-testid=set-error]').count(), 0);
}

/** Drags a line across the graph at a height given as a fraction of the drawing (0 top, 1 bottom). */
async function drawLine(page, fraction) {
  await page.locator('[data-testid=graph]').scrollIntoViewIfNeeded();
  const box = await page.locator('[data-testid=graph]').boundingBox();
  const side = Math.min(box.width, box.height);
  const top = box.y + (box.height - side) / 2;
  const y = top + side * fraction;
  const left = box.x + (box.width - side) / 2;
  await page.mouse.move(left + 4, y);
  await page.mouse.down();
  await page.mouse.move(left + side / 2, y + 1, { steps: 4 });
  await page.mouse.move(left + side - 4, y, { steps: 4 });
  await page.mouse.up();
}

const togglePlay = (page) => page.locator('[data-testid=play]').dispatchEvent('click');
const anomalyCount = async (page, kind) => page.locator(`[data-testid=anomalies] li[data-kind=${kind}]`).count();
const hash = async (page) => page.textContent('[data-testid=trace-hash]');

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

  test('plays, and a node crashes and restarts from its actions', { timeout: WAIT * 3 }, async () => {
    const { context, page, problems } = await open();
    await appReady(page);
    await togglePlay(page);
    assert.equal(await playing(page), true);
    await timePasses(page, 0);
    await timePasses(page, await simTime(page));
    await page.locator('[data-testid=graph] .msg-crowd').first().waitFor({ state: 'attached' });
    // Every panel draws something while it plays.
    await page.locator('[data-testid=op-timeline] rect.op').first().waitFor({ state: 'attached' });
    await page.locator('[data-testid=spacetime] .flight').first().waitFor({ state: 'attached' });
    await page.locator('[data-testid=event-log] li').first().waitFor({ state: 'attached' });
    await page.locator('[data-testid=lag-chart] polyline').first().waitFor({ state: 'attached' });
    await shot(page, '02-playing');

    await page.click('[data-node="1"]');
    await page.locator('[data-testid=node-actions][data-node="1"]').waitFor();
    await page.locator('[data-testid=inspector][data-node="1"]').waitFor();
    await page.click('[data-testid=act-crash]');
    await page.locator('[data-node="1"][data-health=crashed]').waitFor();
    assert.equal(await page.locator('[data-node][data-role=leader]').count(), 1);
    await timePasses(page, await simTime(page));
    await shot(page, '03-crashed');

    await page.click('[data-testid=act-restart]');
    await page.locator('[data-node="1"][data-health=up]').waitFor();
    assert.match(await page.textContent('[data-testid=session]'), /^2 commands/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('killing the leader elects a new one', { timeout: WAIT * 3 }, async () => {
    const { context, page, problems } = await open('?preset=failover-majority-no-loss');
    await appReady(page);
    await playUntil(page, 300);
    const leader = await page.getAttribute('[data-node][data-role=leader]', 'data-node');
    const term = Number(await page.getAttribute('[data-node][data-role=leader]', 'data-term'));
    await page.click(`[data-node="${leader}"]`);
    await page.click('[data-testid=act-crash]');
    await page.locator(`[data-node="${leader}"][data-health=crashed]`).waitFor();
    await togglePlay(page);
    await page.waitForFunction(
      (old) => [...document.querySelectorAll('[data-node][data-role=leader][data-health=up]')].some((n) => n.dataset.node !== old),
      leader,
    );
    await togglePlay(page);
    const next = page.locator('[data-node][data-role=leader][data-health=up]');
    assert.equal(await next.count(), 1);
    assert.ok(Number(await next.getAttribute('data-term')) > term, 'the new leader has a newer term');
    assert.match(await page.textContent('[data-testid=narration]'), /became leader/);
    await shot(page, '04-new-leader');
    assert.deepEqual(problems, []);
    await context.close();
  });

  for (const [fencing, expectSplitBrain] of [['none', true], ['lease', false]]) {
    test(`a partition drawn across the graph: naive failover with fencing ${fencing} ${expectSplitBrain ? 'splits the brain' : 'does not'}`, { timeout: WAIT * 3 }, async () => {
      const { context, page, problems } = await open();
      await appReady(page);
      await buildCluster(page, { 'set-failover': 'naive', 'set-fencing': fencing });
      await playUntil(page, 500);
      // The top node (n0, the leader) on one side of the line, n1 and n2 on the other.
      await drawLine(page, 0.5);
      await page.locator('[data-testid=groups]').waitFor();
      assert.equal(await page.locator('[data-node][data-group="0"]').count(), 1);
      assert.equal(await page.getAttribute('[data-node][data-group="0"]', 'data-node'), '0');
      assert.ok((await page.locator('[data-testid=graph] .link-cut').count()) >= 4, 'cut links are drawn');
      await playUntil(page, 2500);
      const splits = await anomalyCount(page, 'split_brain');
      if (expectSplitBrain) {
        assert.ok(splits > 0, 'split brain reported');
        assert.ok((await page.textContent('[data-testid=anomalies] li[data-kind=split_brain] p')).length > 20, 'with an explanation');
        await shot(page, '05-split-brain');
      } else {
        assert.equal(splits, 0, await page.textContent('[data-testid=anomaly-count]'));
        assert.ok((await page.locator('[data-node][data-role=leader][data-health=up]').count()) === 1, 'one leader');
        await shot(page, '06-fenced');
      }
      assert.deepEqual(problems, []);
      await context.close();
    });
  }

  test('weaker N/W/R lets a stale read through, and selecting it highlights its operations', { timeout: WAIT * 4 }, async () => {
    const { context, page, problems } = await open();
    await appReady(page);
    const leaderless = { 'set-family': 'leaderless', 'set-nodes': 5, 'set-latency-max': 30, 'set-n': 3, 'set-repair': false, 'set-rate': 150 };
    await buildCluster(page, { ...leaderless, 'set-w': 2, 'set-r': 2 });
    await playUntil(page, 2000, 10);
    assert.equal(await anomalyCount(page, 'stale_read'), 0, 'W + R > N: no stale read');

    await page.reload();
    await appReady(page);
    await buildCluster(page, { ...leaderless, 'set-w': 1, 'set-r': 1 });
    await setValue(page, '[data-testid=speed]', 10);
    await togglePlay(page);
    await page.locator('[data-testid=anomalies] li[data-kind=stale_read]').first().waitFor();
    await togglePlay(page);
    const first = page.locator('[data-testid=anomalies] li[data-kind=stale_read]').first();
    await first.locator('[data-testid=anomaly]').click();
    await page.locator('[data-testid=anomalies] li.selected').waitFor();
    await page.locator('[data-testid=op-timeline] rect.op.hot').first().waitFor({ state: 'attached' });
    await page.locator('[data-testid=graph] .node.highlighted').first().waitFor({ state: 'attached' });
    // An operation of the anomaly: selecting it shows which replicas answered.
    await first.locator('[data-op]').first().click();
    await page.locator('[data-testid=quorum]').waitFor();
    assert.match(await page.textContent('[data-testid=quorum]'), /quorum (met|not met|pending)/);
    await shot(page, '07-stale-read');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('scrubbing back and forth shows the same instants, and acting in the past forks', { timeout: WAIT * 3 }, async () => {
    const { context, page, problems } = await open('?preset=lf-async');
    await appReady(page);
    await playUntil(page, 3000, 10);
    const endTime = await simTime(page);
    const endHash = await hash(page);
    await setValue(page, '[data-testid=scrub]', 1000);
    await page.waitForFunction(() => document.querySelector('[data-testid=sim-time]').dataset.us === '1000000');
    const pastHash = await hash(page);
    assert.notEqual(pastHash, endHash);
    await setValue(page, '[data-testid=scrub]', 2000);
    await page.waitForFunction(() => document.querySelector('[data-testid=sim-time]').dataset.us === '2000000');
    await setValue(page, '[data-testid=scrub]', 1000);
    await page.waitForFunction(() => document.querySelector('[data-testid=sim-time]').dataset.us === '1000000');
    assert.equal(await hash(page), pastHash, 'the same instant, the same trace');
    await page.evaluate(() => document.activeElement?.blur());
    await page.keyboard.press('End');
    await page.waitForFunction((t) => document.querySelector('[data-testid=sim-time]').dataset.us === String(t), endTime);
    assert.equal(await hash(page), endHash);
    await shot(page, '08-scrubbed');
    // Back to 1 s and crash a node: the future after it is discarded.
    await setValue(page, '[data-testid=scrub]', 1000);
    await page.waitForFunction(() => document.querySelector('[data-testid=sim-time]').dataset.us === '1000000');
    await page.click('[data-node="2"]');
    await page.click('[data-testid=act-crash]');
    await page.locator('[data-node="2"][data-health=crashed]').waitFor();
    assert.match(await page.textContent('[data-testid=session]'), /1 commands · 1 forks/);
    assert.equal(await page.getAttribute('[data-testid=scrub]', 'max'), '1000');
    assert.match(await page.textContent('[data-testid=narration]'), /Forked/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('keyboard only: play, select, crash, mark, partition, heal, seek, with visible focus', { timeout: WAIT * 3 }, async () => {
    const { context, page, problems } = await open('?preset=lf-async');
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

    // Digits select a node and focus it; X crashes it, M marks it, P partitions, H heals.
    await page.keyboard.press('2');
    await page.locator('[data-testid=node-actions][data-node="2"]').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.node), '2');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement.querySelector('.focus-ring')).visibility);
    assert.equal(outline, 'visible', 'the focused node shows its focus ring');
    await page.keyboard.press('x');
    await page.locator('[data-node="2"][data-health=crashed]').waitFor();
    await page.keyboard.press('x');
    await page.locator('[data-node="2"][data-health=up]').waitFor();
    await page.keyboard.press('m');
    await page.locator('[data-testid=marks]').waitFor();
    await page.keyboard.press('p');
    await page.locator('[data-testid=groups]').waitFor();
    assert.match(await page.textContent('[data-testid=narration]'), /Network partition: n2 can no longer reach n0 and n1/);
    // The screen reader hears it too, in its turn (at most one announcement every two seconds).
    await page.waitForFunction(() => /Network partition/.test(document.querySelector('[data-testid=live]').textContent));
    await page.keyboard.press('h');
    await page.locator('[data-testid=groups]').waitFor({ state: 'detached' });

    // Tab from the node reaches its action buttons, with a visible focus outline.
    await page.keyboard.press('Enter');
    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.dataset.testid === 'act-pause');
    }
    assert.ok(reached, 'Tab reaches the node actions');
    const style = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(style, 'none', 'visible focus on buttons');
    await page.keyboard.press('Enter');
    await page.locator('[data-node="2"][data-health=paused]').waitFor();

    // Seek back with the arrow keys, then to the start.
    await page.evaluate(() => document.activeElement?.blur());
    const t = await simTime(page);
    await page.keyboard.press('Shift+ArrowLeft');
    await page.waitForFunction((t) => Number(document.querySelector('[data-testid=sim-time]').dataset.us) === Math.max(0, t - 100000), t);
    await page.keyboard.press('Home');
    await page.waitForFunction(() => document.querySelector('[data-testid=sim-time]').dataset.us === '0');
    await page.keyboard.press('r');
    await page.waitForFunction(() => document.querySelector('[data-testid=session]').textContent.startsWith('0 commands'));
    await shot(page, '09-keyboard');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('switching presets loads the new scenario from the start, fetching its file once', { timeout: WAIT * 2 }, async () => {
    const { context, page, problems } = await open();
    const fetched = [];
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.includes('/presets/')) fetched.push(path);
    });
    await appReady(page);
    assert.deepEqual(fetched, [], 'the first preset is in the WebAssembly');
    const first = await page.textContent('[data-testid=description]');
    const options = await page.locator('[data-testid=preset] option').allTextContents();
    const label = (name) => options.find((o) => o.endsWith(`(${name})`));
    assert.ok(label('lf-sync') && label('lf-async'), `presets: ${options}`);
    await page.selectOption('[data-testid=preset]', { label: label('lf-sync') });
    await page.waitForFunction((d) => document.querySelector('[data-testid=description]').textContent !== d, first);
    assert.equal(await page.textContent('[data-testid=scenario-id]'), 'lf-sync');
    assert.equal(await simTime(page), 0);
    assert.equal(await page.locator('[data-node][data-role=leader]').count(), 1);
    assert.equal(await page.locator('[data-testid=notice]').count(), 0, 'the loading notice is gone');
    // Back and forth: the file is kept, not fetched again.
    await page.selectOption('[data-testid=preset]', { label: label('lf-async') });
    await page.waitForFunction(() => document.querySelector('[data-testid=scenario-id]').textContent === 'lf-async');
    await page.selectOption('[data-testid=preset]', { label: label('lf-sync') });
    await page.waitForFunction(() => document.querySelector('[data-testid=scenario-id]').textContent === 'lf-sync');
    assert.deepEqual(fetched, ['/presets/lf-sync.json']);
    const picked = await page.$eval('[data-testid=preset]', (s) => s.options[s.selectedIndex].textContent);
    assert.match(picked, /\(lf-sync\)$/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  for (const [what, reply, reason] of [
    ['is missing', { status: 404, body: 'Not Found' }, /could not be fetched.*404/],
    ['is not that preset', { status: 200, contentType: 'text/html', body: '<!doctype html><title>Sign in</title>' }, /does not load/],
  ]) {
    test(`a preset whose file ${what} leaves the scenario shown and says why`, { timeout: WAIT * 2 }, async () => {
      const { context, page } = await open();
      await page.route('**/presets/lf-semi-sync.json', (route) => route.fulfill(reply));
      await appReady(page);
      const description = await page.textContent('[data-testid=description]');
      const options = await page.locator('[data-testid=preset] option').allTextContents();
      await page.selectOption('[data-testid=preset]', { label: options.find((o) => o.endsWith('(lf-semi-sync)')) });
      await page.waitForFunction(() => /Not loaded/.test(document.querySelector('[data-testid=notice]')?.textContent ?? ''));
      const notice = await page.textContent('[data-testid=notice]');
      assert.match(notice, /lf-semi-sync/, notice);
      assert.match(notice, reason, notice);
      assert.match(notice, /unchanged/, notice);
      assert.equal(await page.textContent('[data-testid=scenario-id]'), 'lf-async');
      assert.equal(await page.textContent('[data-testid=description]'), description);
      const picked = await page.$eval('[data-testid=preset]', (s) => s.options[s.selectedIndex].textContent);
      assert.match(picked, /\(lf-async\)$/, 'the picker shows the scenario loaded');
      // The user's work goes on: the playground still plays.
      await page.click('[data-testid=play]');
      await timePasses(page, 100_000);
      await context.close();
    });
  }

  test('the lessons\' file is preloaded and read once; without it the playground still opens and says why', { timeout: WAIT * 3 }, async () => {
    const requests = async (route) => {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      page.setDefaultTimeout(WAIT);
      if (route) await page.route('**/lessons.json', route);
      const seen = [];
      page.on('response', (r) => {
        if (new URL(r.url()).pathname.endsWith('/lessons.json')) seen.push(r.status());
      });
      await page.goto(server.url);
      await appReady(page);
      return { context, page, seen };
    };
    const fine = await requests(null);
    assert.deepEqual(fine.seen, [200], 'one download, shared by the preload and the app');
    assert.equal(await fine.page.locator('[data-testid=start-lesson]').count(), 1);
    assert.equal(await fine.page.locator('[data-testid=notice]').count(), 0);
    await fine.context.close();

    const missing = await requests((route) => route.fulfill({ status: 404, body: 'Not Found' }));
    const notice = await missing.page.textContent('[data-testid=notice]');
    assert.match(notice, /lessons are not available.*404/, notice);
    assert.equal(await missing.page.locator('[data-testid=start-lesson]').count(), 0, 'no link to a lesson the page does not have');
    assert.ok((await missing.page.locator('[data-testid=story]').count()) > 0, 'the stories are still offered');
    await missing.page.click('[data-testid=play]');
    await timePasses(missing.page, 100_000);
    await missing.context.close();
  });

  test('works on a phone, in dark mode, with reduced motion, by touch', { timeout: WAIT * 2 }, async () => {
    const { context, page, problems } = await open('?preset=lf-async', {
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      colorScheme: 'dark',
      reducedMotion: 'reduce',
    });
    await appReady(page);
    const viewport = await page.getAttribute('meta[name=viewport]', 'content');
    assert.doesNotMatch(viewport, /user-scalable=no|maximum-scale=1(\.0)?\b/, 'no zoom lock');
    await page.tap('[data-testid=play]');
    await timePasses(page, 0);
    await timePasses(page, await simTime(page));
    await frames(page, 3);
    assert.equal(await page.locator('[data-testid=graph] .msg-crowd, [data-testid=graph] circle.msg').count(), 0, 'no moving messages with reduced motion');
    await page.tap('[data-node="1"]');
    await page.locator('[data-testid=node-actions][data-node="1"]').waitFor();
    await page.tap('[data-testid=act-crash]');
    await page.locator('[data-node="1"][data-health=crashed]').waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px on a phone`);
    const graph = await page.locator('[data-testid=graph]').boundingBox();
    assert.ok(graph.width <= 390 && graph.width > 250, `graph width ${graph.width}`);
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(background, 'rgb(20, 23, 28)', 'dark palette');
    await shot(page, '10-phone-dark');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a panic shows an explanation and reloads the last good scenario', { timeout: WAIT * 3 }, async () => {
    const { context, page, problems } = await open('?preset=lf-sync');
    await appReady(page);
    const description = await page.textContent('[data-testid=description]');
    await page.click('[data-node="2"]');
    await page.click('[data-testid=act-crash]');
    await page.locator('[data-node="2"][data-health=crashed]').waitFor();
    await page.goto(server.url + '?selftest=panic');
    await page.locator('#crash').waitFor();
    assert.match(await page.textContent('#crash h1'), /replicalab stopped/);
    assert.match(await page.textContent('#crash pre'), /deliberate panic/);
    assert.equal(await page.locator('#crash [data-testid=start-over]').count(), 1);
    await shot(page, '11-panic');
    // The panic is reported on the console: that, and only that, is expected here.
    assert.ok(problems.length > 0 && problems.every((p) => /panic|unreachable/i.test(p)), problems.join('\n'));
    problems.length = 0;
    await page.click('#crash [data-testid=reload]');
    await appReady(page);
    assert.equal(await page.textContent('[data-testid=description]'), description, 'the same scenario');
    // The crash of n2 at time 0 is part of the restored scenario.
    await playUntil(page, 1);
    await page.locator('[data-node="2"][data-health=crashed]').waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('benchmark mode reports events per second and frame times at 5, 9 and 50 nodes', { timeout: WAIT * 8 }, async () => {
    const { context, page, problems } = await open('?bench');
    const results = page.locator('#bench-results[data-done=true]');
    await results.waitFor({ state: 'attached', timeout: WAIT * 7 });
    assert.equal(await results.getAttribute('data-error'), null, await results.textContent());
    const bench = JSON.parse(await results.textContent());
    assert.ok(bench.throughput.length > 0);
    for (const run of bench.throughput) assert.ok(run.events > 0, run.preset);
    assert.deepEqual(bench.frames.map((f) => f.nodes), [5, 9, 50]);
    for (const f of bench.frames) assert.ok(f.interval.count > 0 && f.max_in_flight > 0, JSON.stringify(f));
    await writeFile(`${ARTIFACTS}bench.json`, JSON.stringify(bench, null, 2));
    await shot(page, '12-bench');
    const rate = bench.throughput.map((r) => `${r.preset} ${Math.round(r.events_per_s).toLocaleString('en')} events/s`).join(', ');
    console.log(`# bench (WebAssembly): ${rate}`);
    for (const f of bench.frames) {
      console.log(
        `# bench frames at ${f.nodes} nodes (1x, up to ${f.max_in_flight} messages in flight): interval mean ${f.interval.mean_ms} ms,` +
          ` p99 ${f.interval.p99_ms} ms; work mean ${f.work?.mean_ms} ms, p99 ${f.work?.p99_ms} ms`,
      );
    }
    assert.deepEqual(problems, []);
    await context.close();
  });
});
