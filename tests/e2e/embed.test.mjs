// End-to-end tests of the embed player (its own page, dist/embed/, and its own WebAssembly): its
// parameters, the "copy embed code" button, old `?embed` links, and examples/blog-post.html with
// two players driven by postMessage. Every wait is on a page condition.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';

import { ARTIFACTS, DIST, WAIT, launch, openShareMenu } from './browser.mjs';

let server;
let browser;

before(async () => {
  assert.ok(existsSync(`${DIST}/examples/blog-post.html`), 'the build copies examples/ into dist/');
  assert.ok(existsSync(`${DIST}/embed/index.html`), 'the build puts the embed player in dist/embed/');
  ({ server, browser } = await launch());
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function open(path, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  const problems = [];
  const watch = (p) => {
    p.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
    });
    p.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  };
  watch(page);
  const wasm = [];
  const presets = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.endsWith('.wasm')) wasm.push(path);
    if (path.includes('/presets/')) presets.push(path);
  });
  await page.goto(server.url + path);
  return { context, page, problems, wasm, presets };
}

describe('embed player', () => {
  test('parameters choose the scenario, the panels, the start time and the theme', { timeout: WAIT * 2 }, async () => {
    const { context, page, problems, wasm, presets } = await open('embed/?preset=lf-sync&t=1200&panels=graph,status&theme=dark', { width: 480, height: 600 });
    await page.locator('[data-testid=embed] [data-node]').first().waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=embed-now]')?.dataset.us === '1200000');
    assert.equal(await page.getAttribute('[data-testid=embed]', 'data-scenario'), 'lf-sync');
    assert.equal(await page.locator('[data-testid=sim-time]').getAttribute('data-us'), '1200000', 'the status panel is shown');
    assert.equal(await page.locator('[data-testid=play]').count(), 0, 'no controls: not asked for');
    assert.equal(await page.locator('.extras, .views, header.top').count(), 0, 'only the player');
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(20, 23, 28)');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `scrolls sideways by ${overflow}px`);
    await page.screenshot({ path: `${ARTIFACTS}embed-01-params.png` });
    assert.equal(wasm.length, 1, `one WebAssembly download: ${wasm}`);
    assert.match(wasm[0], /^\/embed\/replicalab-embed-[0-9a-f]+_bg\.wasm$/, 'the player, not the playground');
    assert.deepEqual(presets, ['/presets/lf-sync.json'], 'the preset\'s file, fetched once from beside the playground');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('an old `?embed` link of the playground opens the embed player with the same parameters and link', { timeout: WAIT * 2 }, async () => {
    // A share link of the playground, then the same scenario as an old-style embed URL.
    const full = await open('?preset=lf-semi-sync');
    await full.page.locator('[data-node]').first().waitFor();
    await openShareMenu(full.page);
    await full.page.click('[data-testid=copy-link]');
    const link = await full.page.locator('[data-testid=share-text]').inputValue();
    const hash = new URL(link).hash;
    assert.ok(hash.length > 10, link);
    await full.context.close();
    const { context, page, problems } = await open(`?embed&panels=graph,controls&t=900${hash}`);
    await page.locator('[data-testid=embed][data-scenario=lf-semi-sync] [data-node]').first().waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid=embed-now]')?.dataset.us === '900000');
    assert.equal(new URL(page.url()).pathname, '/embed/');
    assert.equal(new URL(page.url()).hash, hash, 'the link is kept');
    assert.equal(await page.locator('[data-testid=play]').count(), 1, 'the controls asked for are there');
    assert.equal(await page.locator('[data-testid=notice]').count(), 0, 'no ignored parameters');
    // "Open in replicalab" goes back to the playground with the session's link.
    const openFull = await page.getAttribute('[data-testid=open-full]', 'href');
    assert.ok(openFull.startsWith(`${server.url}#`), openFull);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a malformed link in the player says what is wrong and keeps a scenario running', { timeout: WAIT * 2 }, async () => {
    const { context, page, problems } = await open('embed/?preset=lf-sync#v1.this-is-not-a-link');
    await page.locator('[data-testid=embed][data-scenario=lf-sync] [data-node]').first().waitFor();
    const notice = await page.locator('[data-testid=notice]').textContent();
    assert.match(notice, /link/i, notice);
    await page.click('[data-testid=play]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=embed-now]')?.dataset.us) > 0);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('"copy embed code" gives an iframe snippet that opens the same scenario', { timeout: WAIT * 2 }, async () => {
    const { context, page, problems } = await open('?preset=ll-partial-quorum');
    await page.locator('[data-node]').first().waitFor();
    await openShareMenu(page);
    await page.click('[data-testid=copy-embed]');
    const snippet = await page.locator('[data-testid=share-text]').inputValue();
    const src = snippet.match(/^<iframe src="([^"]+)"/)?.[1]?.replaceAll('&amp;', '&');
    assert.ok(src && src.startsWith(`${server.url}embed/?preset=ll-partial-quorum`), snippet);
    const player = await open(src.slice(server.url.length));
    await player.page.locator('[data-testid=embed][data-scenario=ll-partial-quorum]').waitFor();
    assert.deepEqual(player.problems, []);
    await player.context.close();
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('the blog post loads two players; postMessage plays and seeks; anomaly events arrive', { timeout: WAIT * 4 }, async () => {
    const { context, page, problems } = await open('examples/blog-post.html');
    const ready = (who) => page.waitForFunction((who) => window.replicalabEvents?.[who]?.some((e) => e.type === 'ready'), who);
    await ready('a');
    await ready('b');
    const a = page.frameLocator('#player-a');
    const b = page.frameLocator('#player-b');
    await a.locator('[data-testid=embed][data-scenario=split-brain-naive] [data-node]').first().waitFor();
    await b.locator('[data-testid=embed][data-scenario=failover-async-loss] [data-node]').first().waitFor();
    const bNow = () => b.locator('[data-testid=embed-now]').getAttribute('data-us').then(Number);

    // Player a autoplays split brain without fencing; seeking it past the partition (2 s) runs
    // the simulation there, and its anomalies arrive as events.
    await page.waitForFunction(() => window.replicalabEvents.a.some((e) => e.type === 'time' && e.playing));
    await page.evaluate(() => document.getElementById('player-a').contentWindow.postMessage({ type: 'seek', at_ms: 4000 }, '*'));
    await page.waitForFunction(() => window.replicalabEvents.a.some((e) => e.type === 'anomaly'));
    const anomaly = await page.evaluate(() => window.replicalabEvents.a.find((e) => e.type === 'anomaly'));
    assert.equal(typeof anomaly.kind, 'string');
    assert.ok(anomaly.time_ms >= 0 && anomaly.explanation.length > 10, JSON.stringify(anomaly));
    console.log(`# first anomaly event from the blog post's player a: ${anomaly.kind} at ${anomaly.time_ms} ms`);

    // Scrolling player b into view plays it (the page's IntersectionObserver posts play).
    await page.locator('#b-seek').scrollIntoViewIfNeeded();
    await page.waitForFunction(() => window.replicalabEvents.b.some((e) => e.type === 'time' && e.playing));
    await page.evaluate(() => window.replicalabObserver.disconnect());
    await page.click('#b-seek');
    await b.locator('[data-testid=embed-now][data-us="1500000"]').waitFor({ state: 'attached' });
    await page.waitForFunction(() => window.replicalabEvents.b.some((e) => e.type === 'time' && e.at_ms === 1500 && !e.playing));
    await page.click('#b-play');
    await page.waitForFunction(() => window.replicalabEvents.b.some((e) => e.type === 'time' && e.at_ms > 1500 && e.playing));
    assert.ok((await bNow()) > 1_500_000);
    await page.click('#b-pause');
    await b.locator('[data-testid=play][aria-pressed=false]').waitFor();
    // A bad message is answered with an error event, and the player keeps working.
    await page.evaluate(() => document.getElementById('player-b').contentWindow.postMessage({ type: 'seek', at_ms: -1 }, '*'));
    await page.waitForFunction(() => window.replicalabEvents.b.some((e) => e.type === 'error' && /at_ms/.test(e.message)));
    await page.click('#b-load');
    await b.locator('[data-testid=embed][data-scenario=lf-sync]').waitFor();

    await page.screenshot({ path: `${ARTIFACTS}embed-02-blog-post.png`, fullPage: true });
    assert.deepEqual(problems, []);
    await context.close();
  });
});
