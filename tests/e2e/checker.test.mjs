// End-to-end tests of the "Check a history" panel on the built playground (dist/) in Debian's
// headless Chromium: a Jepsen test run's output with a stale read (verdict, what was skipped,
// the window on the timeline), a malformed history (the error names the line), a linearizable
// history with the options set, 50 000 operations from a file, and a phone in dark mode opened
// by `#check`. Every wait is on a page condition. The reader's scenario is never touched.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { ARTIFACTS, WAIT, launch, openPage } from './browser.mjs';

let server;
let browser;

before(async () => {
  ({ server, browser } = await launch());
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const open = (path = '', options = {}) => openPage(browser, server, path, options);

const shot = (page, name) => page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
const session = async (page) => ({
  hash: await page.textContent('[data-testid=trace-hash]'),
  description: await page.textContent('[data-testid=description]'),
  time: await page.getAttribute('[data-testid=sim-time]', 'data-us'),
});

/** Opens the panel with one click on its entry. */
async function openPanel(page) {
  await page.click('[data-testid=check-history] summary');
  await page.locator('[data-testid=history-text]').waitFor({ state: 'visible' });
}

/** Pastes `text`, presses Check and waits for a verdict or an error. */
async function check(page, text) {
  await page.fill('[data-testid=history-text]', text);
  await page.click('[data-testid=history-check]');
  await page.locator('[data-testid=history-verdict], [data-testid=history-error]').first().waitFor();
}

/** The timeline's operations by role: { window: [op…], failing: […], dimmed: […], plain: […] }. */
const roles = (page) =>
  page.evaluate(() => {
    const out = {};
    for (const g of document.querySelectorAll('[data-testid=history-timeline] g[data-op]')) {
      (out[g.dataset.role] ??= []).push(Number(g.dataset.op));
    }
    return out;
  });

const log = (lines) => lines.map((l) => (l.startsWith('INFO') || l === '' || /^(lein|Ran|\d+ failures)/.test(l) ? l : `INFO  jepsen.util - ${l}`)).join('\n') + '\n';

// A Jepsen test run's output: its banner, a worker line and its summary around a register
// history, with a nemesis starting and stopping. Process 3 reads 2 (concurrently with the
// write of 2); then process 2 reads 1, a stale read: the minimal window is those two reads.
// Process 4's write never completes.
const STALE = log([
  'lein test jepsen.etcd-test',
  'INFO  jepsen.core - Worker 0 starting',
  '0\t:invoke\t:write\t1',
  '0\t:ok\t:write\t1',
  ':nemesis\t:info\t:start\tnil',
  '1\t:invoke\t:write\t2',
  '3\t:invoke\t:read\tnil',
  '1\t:ok\t:write\t2',
  '3\t:ok\t:read\t2',
  '2\t:invoke\t:read\tnil',
  '2\t:ok\t:read\t1',
  '4\t:invoke\t:write\t3',
  ':nemesis\t:info\t:stop\tnil',
  '',
  'Ran 1 tests containing 1 assertions.',
  '1 failures, 0 errors.',
]);

describe('check a history', () => {
  test('a stale read in a test run\'s output: not linearizable, its window emphasised, the scenario untouched', { timeout: WAIT * 3 }, async () => {
    const { context, page, problems } = await open('?preset=lf-sync');
    const before = await session(page);
    await openPanel(page);
    await check(page, STALE);
    const verdict = page.locator('[data-testid=history-verdict]');
    assert.equal(await verdict.getAttribute('data-verdict'), 'not_linearizable');
    assert.equal((await verdict.textContent()).trim(), 'Not linearizable');
    assert.equal(await page.textContent('[data-testid=history-ops]'), '5 operations by 5 processes');
    assert.equal(await page.textContent('[data-testid=history-skipped]'), '4 lines skipped that were not operations (the first is line 1)');
    assert.equal(await page.textContent('[data-testid=history-nemesis]'), '2 nemesis events');

    // The timeline: one lane per process, labelled; the window's operations emphasised, the
    // failing read marked, the others dimmed; the unknown write drawn open-ended.
    const labels = await page.locator('.lane-labels li').allTextContents();
    assert.deepEqual(labels, ['process 0', 'process 1', 'process 2', 'process 3', 'process 4']);
    const r = await roles(page);
    assert.equal(r.failing?.length, 1, JSON.stringify(r));
    assert.ok(r.window?.length >= 1, JSON.stringify(r));
    assert.ok(r.dimmed?.length >= 1, JSON.stringify(r));
    const listed = await page.locator('[data-testid=history-window] li').evaluateAll((li) => li.map((l) => Number(l.dataset.op)));
    assert.deepEqual(listed, [...r.window, ...r.failing].sort((a, b) => a - b), 'the listed window is the highlighted one');
    const failing = page.locator(`[data-testid=history-window] li[data-op="${r.failing[0]}"]`);
    assert.match(await failing.textContent(), /process 2 · read -> 1 · lines 10–11 · ok/);
    const look = await page.evaluate(() => {
      const style = (sel) => getComputedStyle(document.querySelector(sel));
      return {
        dimmed: Number(style('[data-testid=history-timeline] g[data-role=dimmed]').opacity),
        window: style('[data-testid=history-timeline] g[data-role=window] rect').stroke,
        failing: style('[data-testid=history-timeline] g[data-role=failing] rect').stroke,
        tail: document.querySelectorAll('[data-testid=history-timeline] g[data-outcome=unknown] .hop-tail').length,
        nemesis: document.querySelectorAll('[data-testid=history-timeline] .nemesis-mark').length,
      };
    });
    assert.ok(look.dimmed < 0.5, `dimmed operations drawn at opacity ${look.dimmed}`);
    assert.notEqual(look.window, 'none');
    assert.notEqual(look.failing, 'none');
    assert.equal(look.tail, 1, 'the write that never completed is open-ended');
    assert.equal(look.nemesis, 2);
    assert.match(await page.textContent('[data-testid=history-explain]'), /cannot be put in any order/);

    // Keyboard: the window's operations are buttons; one selects the operation and shows it.
    await failing.locator('button').focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=history-op-detail]').waitFor();
    assert.match(await page.textContent('[data-testid=history-op-detail]'), /process 2 · read -> 1 · invoked at line 10 .* ok at line 11 with 1 · the operation that cannot be linearized/);
    assert.equal(await page.locator('[data-testid=history-timeline] g.selected').getAttribute('data-op'), String(r.failing[0]));
    // Tab reaches the Check button, with a visible focus ring; Enter checks again.
    await page.focus('[data-testid=history-every-key]');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'history-check');
    assert.equal(await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle), 'solid');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelector('[data-testid=history-verdict]')?.dataset.verdict === 'not_linearizable');
    await shot(page, 'checker-01-stale-read');

    assert.deepEqual(await session(page), before, 'the scenario is untouched');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a malformed history shows the core\'s message with its line; the scenario is untouched', { timeout: WAIT * 2 }, async () => {
    const { context, page, problems } = await open('?preset=lf-async');
    const before = await session(page);
    await openPanel(page);
    await check(page, log(['0\t:invoke\t:write\t1', '0\t:ok\t:write\t[1']));
    const error = await page.textContent('[data-testid=history-error]');
    assert.match(error, /^Could not check the pasted history: line 2\b/, error);
    assert.match(error, /Your scenario is unchanged\./);
    assert.equal(await page.locator('[data-testid=history-verdict]').count(), 0);
    // A process invoking twice: the message names the line and the first invocation's line.
    await check(page, log(['0\t:invoke\t:write\t1', '0\t:invoke\t:read\tnil']));
    assert.match(await page.textContent('[data-testid=history-error]'), /line 2: process 0 invokes :read while its :write invoked at line 1/);
    // Typing in the box is text, not the playground's shortcuts (R resets, Space plays, digits select).
    await page.focus('[data-testid=history-text]');
    await page.keyboard.type(' R 1x.');
    await check(page, 'hello\nworld\n');
    assert.match(await page.textContent('[data-testid=history-error]'), /does not look like a history/);
    // Nothing to check.
    await page.fill('[data-testid=history-text]', '');
    await page.click('[data-testid=history-check]');
    await page.waitForFunction(() => /nothing to check/.test(document.querySelector('[data-testid=history-error]')?.textContent));
    await shot(page, 'checker-02-malformed');
    assert.deepEqual(await session(page), before);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a linearizable key-value history, with the model chosen and every key checked', { timeout: WAIT * 2 }, async () => {
    const { context, page, problems } = await open();
    await openPanel(page);
    const edn = [
      '{:process 0, :type :invoke, :f :put, :key "x", :value "a"}',
      '{:process 1, :type :invoke, :f :get, :key "x", :value nil}',
      '{:process 0, :type :ok, :f :put, :key "x", :value "a"}',
      '{:process 1, :type :ok, :f :get, :key "x", :value "a"}',
      '{:process 2, :type :invoke, :f :append, :key "y", :value "b"}',
      '{:process 2, :type :info, :f :append, :key "y", :value "b"}',
      '{:process 3, :type :invoke, :f :get, :key "y", :value nil}',
      '{:process 3, :type :ok, :f :get, :key "y", :value "b"}',
    ].join('\n');
    await page.selectOption('[data-testid=history-model]', 'kv');
    await page.check('[data-testid=history-every-key]');
    await check(page, edn);
    const verdict = page.locator('[data-testid=history-verdict]');
    assert.equal(await verdict.getAttribute('data-verdict'), 'linearizable');
    assert.equal((await verdict.textContent()).trim(), 'Linearizable');
    assert.equal(await page.textContent('[data-testid=history-skipped]'), 'no lines skipped');
    assert.match(await page.textContent('[data-testid=history-read]'), /porcupine-kv \(recognised\), as a key-value store with append/);
    const r = await roles(page);
    assert.deepEqual(Object.keys(r), ['plain'], 'no operation is emphasised or dimmed');
    assert.equal(r.plain.length, 4);
    assert.equal(await page.locator('[data-testid=history-window]').count(), 0);
    assert.equal(await page.locator('[data-testid=history-timeline] g[data-outcome=unknown]').count(), 1);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('50 000 operations from a file: "Checking…" first, then a bounded timeline around the window', { timeout: WAIT * 4 }, async () => {
    // Five processes taking turns, each operation over before the next starts; the last read
    // returns a value written long before (a stale read).
    const lines = ['lein test jepsen.long-test'];
    let last = null;
    for (let k = 0; k < 50_000 - 1; k++) {
      const p = k % 5;
      if (k % 2 === 0) {
        lines.push(`${p}\t:invoke\t:write\t${k}`, `${p}\t:ok\t:write\t${k}`);
        last = k;
      } else {
        lines.push(`${p}\t:invoke\t:read\tnil`, `${p}\t:ok\t:read\t${last}`);
      }
      if (k % 5_000 === 0) lines.push(':nemesis\t:info\t:start\tnil');
    }
    lines.push('4\t:invoke\t:read\tnil', '4\t:ok\t:read\t10');
    const text = log(lines);
    const { context, page, problems } = await open();
    await openPanel(page);
    await page.evaluate(() => {
      window.sawChecking = false;
      new MutationObserver(() => {
        if (document.querySelector('[data-testid=history-status]')) window.sawChecking = true;
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    const t0 = Date.now();
    await page.setInputFiles('[data-testid=history-file]', { name: 'long.log', mimeType: 'text/plain', buffer: Buffer.from(text) });
    await page.locator('[data-testid=history-verdict]').waitFor({ timeout: WAIT * 3 });
    const took = Date.now() - t0;
    assert.ok(await page.evaluate(() => window.sawChecking), '"Checking…" shows before the verdict');
    assert.equal(await page.getAttribute('[data-testid=history-verdict]', 'data-verdict'), 'not_linearizable');
    assert.equal(await page.textContent('[data-testid=history-ops]'), '50000 operations by 5 processes');
    assert.match(await page.textContent('[data-testid=history-loaded]'), /long\.log \([\d.]+ MB\) is loaded/);
    assert.equal(await page.inputValue('[data-testid=history-text]'), '', 'a long file is not put in the text box');
    const range = async () => {
      const o = page.locator('[data-testid=history-range]');
      return { start: Number(await o.getAttribute('data-start')), end: Number(await o.getAttribute('data-end')) };
    };
    const shown = await range();
    assert.ok(shown.start > 90_000, `the view starts at the window, near the end: ${JSON.stringify(shown)}`);
    const drawn = await page.locator('[data-testid=history-timeline] g[data-op]').count();
    assert.ok(drawn > 0 && drawn <= 1_100, `${drawn} operations drawn`);
    const r = await roles(page);
    assert.equal(r.failing?.length, 1);
    console.log(`# 50 000 operations (${(text.length / 1e6).toFixed(1)} MB) read and checked in ${took} ms; ${drawn} drawn`);
    // Panning back and zooming out move the range; "Show the window" brings it back.
    await page.click('[data-testid=history-earlier]');
    await page.waitForFunction((s) => Number(document.querySelector('[data-testid=history-range]').dataset.start) < s, shown.start);
    // Zoomed out all the way (2 000 events), one step back redraws in (page-measured) ms.
    while (await page.locator('[data-testid=history-zoom-out]').isEnabled()) await page.click('[data-testid=history-zoom-out]');
    const pan = await page.evaluate(() => new Promise((resolve) => {
      const out = document.querySelector('[data-testid=history-range]');
      const before = out.dataset.start;
      const t0 = performance.now();
      document.querySelector('[data-testid=history-earlier]').click();
      const poll = () => (out.dataset.start !== before ? resolve({ ms: performance.now() - t0, drawn: document.querySelectorAll('[data-testid=history-timeline] g[data-op]').length }) : setTimeout(poll, 0));
      poll();
    }));
    assert.ok(pan.drawn <= 1_100, `${pan.drawn} operations drawn zoomed out`);
    console.log(`# zoomed out: ${pan.drawn} operations drawn; one step back took ${pan.ms.toFixed(0)} ms`);
    await page.click('[data-testid=history-show-window]');
    await page.waitForFunction((s) => Number(document.querySelector('[data-testid=history-range]').dataset.start) === s, shown.start);
    assert.deepEqual(await range(), shown);
    await shot(page, 'checker-03-long');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('on a phone in dark mode, opened by #check', { timeout: WAIT * 2 }, async () => {
    const { context, page, problems } = await open('#check', {
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      colorScheme: 'dark',
    });
    await page.locator('[data-testid=history-text]').waitFor({ state: 'visible' });
    assert.equal(await page.locator('[data-testid=notice]').count(), 0, 'the fragment is not read as a link');
    await check(page, STALE);
    assert.equal(await page.getAttribute('[data-testid=history-verdict]', 'data-verdict'), 'not_linearizable');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px on a phone`);
    const svg = await page.locator('[data-testid=history-timeline]').boundingBox();
    assert.ok(svg.width > 150 && svg.x + svg.width <= 390, `timeline at ${JSON.stringify(svg)}`);
    const colours = await page.evaluate(() => ({
      text: getComputedStyle(document.querySelector('[data-testid=history-text]')).backgroundColor,
      body: getComputedStyle(document.body).backgroundColor,
    }));
    assert.equal(colours.body, 'rgb(20, 23, 28)', 'dark palette');
    assert.equal(colours.text, 'rgb(20, 23, 28)', 'the text box follows the palette');
    await page.locator('[data-testid=check-history]').screenshot({ path: `${ARTIFACTS}checker-04-phone-dark.png` });
    assert.deepEqual(problems, []);
    await context.close();
  });
});
