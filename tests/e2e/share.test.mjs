// End-to-end tests of share links, files, guided lessons and the measured comparison, on the
// built playground (dist/) in Debian's headless Chromium. Every wait is on a page condition.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';

import { ARTIFACTS, WAIT, launch, openPage, openShareMenu } from './browser.mjs';

let server;
let browser;

before(async () => {
  ({ server, browser } = await launch());
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const open = (path = '') => openPage(browser, server, path, { acceptDownloads: true });

const simTime = async (page) => Number(await page.getAttribute('[data-testid=sim-time]', 'data-us'));
const hash = (page) => page.textContent('[data-testid=trace-hash]');
const playing = async (page) => (await page.getAttribute('[data-testid=play]', 'aria-pressed')) === 'true';
const togglePlay = (page) => page.locator('[data-testid=play]').dispatchEvent('click');
const shot = (page, name) => page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });

async function playPast(page, ms) {
  if (!(await playing(page))) await togglePlay(page);
  await page.waitForFunction((t) => Number(document.querySelector('[data-testid=sim-time]')?.dataset.us) > t, ms * 1000);
  if (await playing(page)) await togglePlay(page);
  await page.waitForFunction(() => document.querySelector('[data-testid=play]').getAttribute('aria-pressed') === 'false');
}

/** Waits until the URL fragment changes from `old`; returns it. */
async function fragmentChange(page, old) {
  await page.waitForFunction((old) => location.hash !== old, old);
  return page.evaluate(() => location.hash);
}

describe('share links, files, lessons and the comparison', () => {
  test('a copied link opens the same scenario, actions, playhead and selection', { timeout: WAIT * 3 }, async () => {
    const { context, page, problems } = await open('?preset=failover-majority-no-loss');
    await playPast(page, 300);
    await page.click('[data-node="0"]');
    await page.click('[data-testid=act-crash]');
    await page.locator('[data-node="0"][data-health=crashed]').waitFor();
    await playPast(page, 900);
    await page.click('[data-node="2"]');
    await page.locator('[data-testid=inspector][data-node="2"]').waitFor();
    const fragment = await fragmentChange(page, '');
    assert.match(fragment, /^#v1\.[A-Za-z0-9_-]+$/, 'the fragment holds the session as it stands');
    await openShareMenu(page);
    await page.click('[data-testid=copy-link]');
    const text = page.locator('[data-testid=share-text]');
    await text.waitFor();
    const url = await text.inputValue();
    assert.ok(url.startsWith(server.url) && url.includes('#v1.'), url);
    assert.equal(url.split('#')[1], (await page.evaluate(() => location.hash)).slice(1));
    const want = { time: await simTime(page), hash: await hash(page), description: await page.textContent('[data-testid=description]') };
    console.log(`# share link of a session with 1 command at ${want.time / 1000} ms: ${url.split('#')[1].length} characters`);
    await shot(page, 'share-01-sender');

    const other = await open('');
    await other.page.goto(url);
    await other.page.waitForFunction((t) => document.querySelector('[data-testid=sim-time]')?.dataset.us === String(t), want.time);
    assert.equal(await hash(other.page), want.hash, 'the same trace at the same instant');
    assert.equal(await other.page.textContent('[data-testid=description]'), want.description);
    assert.equal(await other.page.getAttribute('[data-node="0"]', 'data-health'), 'crashed');
    await other.page.locator('[data-testid=inspector][data-node="2"]').waitFor();
    assert.equal(await playing(other.page), false);
    await shot(other.page, 'share-02-receiver');
    assert.deepEqual(other.problems, []);
    await other.context.close();
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('corrupt, truncated and newer-version links show a message and keep the page working', { timeout: WAIT * 3 }, async () => {
    const { context, page, problems } = await open('?preset=lf-sync');
    await openShareMenu(page);
    await page.click('[data-testid=copy-link]');
    const url = await page.locator('[data-testid=share-text]').inputValue();
    const payload = url.split('#')[1];
    const mid = Math.floor(payload.length / 2);
    const flipped = payload.slice(0, mid) + (payload[mid] === 'A' ? 'B' : 'A') + payload.slice(mid + 1);
    const cases = [
      ['v2.' + payload.slice(3), /newer replicalab/],
      [payload.slice(0, payload.length - 9), /truncated/],
      [flipped, /corrupt|truncated|invalid|not a replicalab share/],
      ['v1.not a link', /corrupt/],
    ];
    for (const [bad, message] of cases) {
      const { context: c, page: p, problems: pr } = await open(`?preset=lf-async#${bad}`);
      await p.locator('[data-testid=notice]').waitFor();
      const notice = await p.textContent('[data-testid=notice]');
      assert.match(notice, message);
      assert.match(notice, /unchanged/);
      // The default work is kept: the preset asked for, playable.
      assert.match(await p.locator('[data-testid=preset] option:checked').textContent(), / \(lf-async\)$/);
      await playPast(p, 50);
      if (bad.startsWith('v2.')) await shot(p, 'share-03-newer-version');
      assert.deepEqual(pr, []);
      await c.close();
    }
    // A bad link pasted into the address bar of a page at work: the work stays.
    await playPast(page, 200);
    const before = { time: await simTime(page), hash: await hash(page) };
    await page.evaluate(() => { location.hash = 'v1.AAAA'; });
    await page.waitForFunction(() => /not opened/.test(document.querySelector('[data-testid=notice]')?.textContent ?? ''));
    assert.equal(await simTime(page), before.time);
    assert.equal(await hash(page), before.hash);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('export a session as JSON and import it back; a bad file shows a message', { timeout: WAIT * 3 }, async () => {
    const { context, page, problems } = await open('?preset=lf-async');
    await playPast(page, 200);
    await page.click('[data-node="1"]');
    await page.click('[data-testid=act-crash]');
    await page.locator('[data-node="1"][data-health=crashed]').waitFor();
    await openShareMenu(page);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export]')]);
    assert.equal(download.suggestedFilename(), 'lf-async.json');
    const json = await readFile(await download.path(), 'utf8');
    const scenario = JSON.parse(json);
    assert.equal(scenario.format, 'replicalab-scenario');
    assert.ok(scenario.commands.some((c) => c.crash?.node === 1), 'the session is in the file');

    const fresh = await open('?preset=lf-sync');
    await fresh.page.setInputFiles('[data-testid=import]', { name: 'lf-async.json', mimeType: 'application/json', buffer: Buffer.from(json) });
    await fresh.page.waitForFunction(() => document.querySelector('[data-testid=preset] option:checked')?.textContent.startsWith('Custom: '));
    assert.equal(await fresh.page.textContent('[data-testid=description]'), await page.textContent('[data-testid=description]'));
    await playPast(fresh.page, 250);
    assert.equal(await fresh.page.getAttribute('[data-node="1"]', 'data-health'), 'crashed');
    const work = { time: await simTime(fresh.page), hash: await hash(fresh.page) };
    for (const [name, body, message] of [
      ['broken.json', '{"format": "replicalab-scenario", ', /not a valid scenario file/],
      ['future.json', json.replace('"version": 1', '"version": 99'), /version/],
      ['bad-w.json', JSON.stringify({ ...scenario, protocol: { leaderless: { n: 3, w: 9, r: 1 } } }), /not imported/],
    ]) {
      await fresh.page.setInputFiles('[data-testid=import]', { name, mimeType: 'application/json', buffer: Buffer.from(body) });
      await fresh.page.waitForFunction((n) => (document.querySelector('[data-testid=notice]')?.textContent ?? '').startsWith(n), name);
      assert.match(await fresh.page.textContent('[data-testid=notice]'), message);
      assert.equal(await simTime(fresh.page), work.time, 'the current work is kept');
      assert.equal(await hash(fresh.page), work.hash);
    }
    await shot(fresh.page, 'share-04-bad-file');
    assert.deepEqual(fresh.problems, []);
    await fresh.context.close();
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('lessons: a deep link opens a step, back and next move and update the link', { timeout: WAIT * 3 }, async () => {
    const { context, page, problems } = await open('#lesson=split-brain&step=2');
    const step = page.locator('[data-testid=lesson-step]');
    await step.waitFor();
    assert.equal(await step.getAttribute('data-lesson'), 'split-brain');
    assert.equal(await step.getAttribute('data-step'), '2');
    assert.ok((await page.textContent('[data-testid=lesson-text]')).length > 40);
    assert.ok((await page.textContent('[data-testid=lesson-title]')).length > 3);
    // The step's scenario plays to the step's end.
    await page.waitForFunction(() => document.querySelector('[data-testid=play]').getAttribute('aria-pressed') === 'true' || Number(document.querySelector('[data-testid=sim-time]').dataset.us) > 0);
    const descr2 = await page.textContent('[data-testid=description]');
    await page.click('[data-testid=lesson-back]');
    await page.waitForFunction(() => document.querySelector('[data-testid=lesson-step]')?.dataset.step === '1');
    await page.waitForFunction((d) => document.querySelector('[data-testid=description]').textContent !== d, descr2);
    await page.waitForFunction(() => location.hash === '#lesson=split-brain&step=1');
    assert.equal(await page.locator('[data-testid=lesson-back]').isDisabled(), true);
    await page.click('[data-testid=lesson-next]');
    await page.click('[data-testid=lesson-next]');
    await page.waitForFunction(() => document.querySelector('[data-testid=lesson-step]')?.dataset.step === '3');
    await page.waitForFunction(() => location.hash === '#lesson=split-brain&step=3');
    assert.equal(await page.locator('[data-testid=lesson-next]').isDisabled(), true);
    assert.equal(await page.getAttribute('[data-testid=lesson-link]', 'href'), '#lesson=split-brain&step=3');
    // Picking another lesson from the list opens its first step.
    await page.selectOption('[data-testid=lesson-select]', { index: 1 });
    await page.waitForFunction(() => document.querySelector('[data-testid=lesson-step]')?.dataset.step === '1');
    assert.equal(await step.getAttribute('data-lesson'), 'leader-follower');
    await shot(page, 'share-05-lesson');
    // An unknown lesson: a message, the page works.
    const bad = await open('#lesson=nope&step=1');
    await bad.page.locator('[data-testid=notice]').waitFor();
    assert.match(await bad.page.textContent('[data-testid=notice]'), /no lesson/);
    assert.deepEqual(bad.problems, []);
    await bad.context.close();
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('the compare view fills the article\'s table with measured numbers', { timeout: WAIT * 4 }, async () => {
    const { context, page, problems } = await open();
    await page.click('[data-testid=compare] summary');
    await page.click('[data-testid=compare-default]');
    const table = page.locator('[data-testid=compare-table]');
    await table.waitFor({ timeout: WAIT * 3 });
    const rows = table.locator('tbody tr');
    assert.deepEqual(await rows.evaluateAll((r) => r.map((e) => e.dataset.contender)), ['sync', 'async', 'multi', 'leaderless']);
    const p50 = async (c) => Number(await page.getAttribute(`tr[data-contender=${c}] [data-testid=measured-latency]`, 'data-p50'));
    assert.ok((await p50('sync')) > (await p50('async')), 'sync writes wait for every follower');
    for (const c of ['sync', 'async', 'multi', 'leaderless']) {
      const share = Number(await page.getAttribute(`tr[data-contender=${c}] [data-testid=measured-availability]`, 'data-ok-share'));
      assert.ok(share > 0 && share <= 1, `${c} ok share ${share}`);
      assert.match(await page.textContent(`tr[data-contender=${c}] [data-testid=measured-consistency]`), /^measured: \d+ lost writes?/);
    }
    const took = Number(await page.getAttribute('[data-testid=compare-status]', 'data-took-ms'));
    console.log(`# compare (default scenario, 4 approaches, 8.5 s simulated each) in WebAssembly: ${took} ms`);
    await shot(page, 'share-06-compare');
    // On the current scenario too.
    await page.click('[data-testid=compare-current]');
    await page.waitForFunction(() => /current scenario/.test(document.querySelector('[data-testid=compare-status]')?.textContent ?? ''), null, { timeout: WAIT * 3 });
    assert.deepEqual(problems, []);
    await context.close();
  });
});
