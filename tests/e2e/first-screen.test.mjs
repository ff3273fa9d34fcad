// The first thirty seconds (issue 17): the cluster graph and Play fully in the first screen on a
// laptop and a phone, sharing in one menu, telemetry tucked away; the story told as it happens
// (a caption built from the core's events, a rate-limited screen-reader voice); a pace that
// brings each preset's point within seconds; headlines that lead with the concept. Screenshots
// of the first screen go to tests/e2e/artifacts/ (the README shows them). Every wait is on a
// page condition.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

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

const DESKTOP = { width: 1440, height: 900 };
const PHONE = { width: 390, height: 844 };

/** The element's box, and whether it lies fully inside the viewport. */
async function inView(page, selector) {
  return page.locator(selector).first().evaluate((el) => {
    const r = el.getBoundingClientRect();
    const box = { top: r.top, left: r.left, bottom: r.bottom, right: r.right };
    return { box, inside: r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth };
  });
}

async function setValue(page, selector, value) {
  await page.evaluate(([selector, value]) => {
    const el = document.querySelector(selector);
    el.value = String(value);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, [selector, value]);
}

/** Records every text the caption and the live region show, with the wall time of each change. */
async function recordNarration(page) {
  await page.evaluate(() => {
    window.__caption = new Set();
    window.__live = [];
    const caption = document.querySelector('[data-testid=narration]');
    const live = document.querySelector('[data-testid=live]');
    const read = () => caption.querySelectorAll('li').forEach((li) => window.__caption.add(li.textContent));
    new MutationObserver(read).observe(caption, { subtree: true, childList: true, characterData: true });
    read();
    new MutationObserver(() => window.__live.push({ at: performance.now(), text: live.textContent }))
      .observe(live, { subtree: true, childList: true, characterData: true });
  });
}

describe('the first screen', () => {
  for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    test(`${name} (${viewport.width}×${viewport.height}): the graph and Play fully in view, sharing in one menu, telemetry in details`, { timeout: WAIT * 2 }, async () => {
      const { context, page, problems } = await openPage(browser, server, '', { viewport });
      const graph = await inView(page, '[data-testid=graph]');
      assert.ok(graph.inside, `the graph is not fully in the first screen: ${JSON.stringify(graph.box)}`);
      assert.ok(graph.box.bottom - graph.box.top >= Math.min(viewport.width, viewport.height) * 0.4, `the graph is too small: ${JSON.stringify(graph.box)}`);
      const play = await inView(page, '[data-testid=play]');
      assert.ok(play.inside, `Play is not in the first screen: ${JSON.stringify(play.box)}`);
      const start = await inView(page, '[data-testid=start-lesson]');
      assert.ok(start.box.top < viewport.height, 'the first-visit entry is next to the graph');
      // Message labels overlap neither a node nor each other (at t = 0 the leader's first
      // heartbeats are leaving it).
      const clashes = await page.evaluate(() => {
        const boxes = (sel) => [...document.querySelectorAll(sel)].map((e) => e.getBoundingClientRect());
        const meet = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
        const labels = boxes('.msg-label');
        const discs = boxes('.node .disc');
        const found = [];
        labels.forEach((l, i) => {
          discs.forEach((d) => {
            const [cx, cy, r] = [(d.left + d.right) / 2, (d.top + d.bottom) / 2, d.width / 2];
            const dx = Math.max(l.left - cx, 0, cx - l.right);
            const dy = Math.max(l.top - cy, 0, cy - l.bottom);
            if (dx * dx + dy * dy < r * r) found.push(`label ${i} covers a node`);
          });
          labels.slice(i + 1).forEach((m, j) => meet(l, m) && found.push(`labels ${i} and ${i + j + 1} overlap`));
        });
        return { found, labels: labels.length };
      });
      assert.ok(clashes.labels > 0, 'messages in flight are labelled');
      assert.deepEqual(clashes.found, []);
      // Sharing and export: one menu, closed.
      assert.equal(await page.locator('[data-testid=copy-link]').isVisible(), false);
      await openShareMenu(page);
      for (const id of ['copy-link', 'copy-embed', 'export']) assert.ok(await page.locator(`[data-testid=${id}]`).isVisible(), id);
      await page.click('[data-testid=share-menu] summary');
      // Lessons and compare: one click away, but not above the graph.
      for (const id of ['lessons', 'compare']) {
        const { box } = await inView(page, `[data-testid=${id}]`);
        assert.ok(box.top > graph.box.bottom, `${id} is above the graph`);
      }
      await page.click('[data-testid=open-compare]');
      await page.waitForFunction(() => document.querySelector('[data-testid=compare]').open);
      // Telemetry is in a details panel.
      assert.equal(await page.locator('[data-testid=trace-hash]').isVisible(), false);
      assert.match(await page.textContent('[data-testid=trace-hash]'), /^[0-9a-f]{16}$/);
      // The scenario picker names scenarios for people, with the identifier as secondary text.
      const option = await page.locator('[data-testid=preset] option:checked').textContent();
      assert.match(option, /^[A-Z].+ \([a-z0-9-]+\)$/, option);
      await page.evaluate(() => scrollTo(0, 0));
      await page.screenshot({ path: `${ARTIFACTS}first-screen-${name}.png` });
      assert.deepEqual(problems, []);
      await context.close();
    });
  }

  for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    test(`${name}: "Start with lesson 1" opens the lesson beside the graph (desktop) or as a sheet below it (phone)`, { timeout: WAIT * 2 }, async () => {
      const { context, page, problems } = await openPage(browser, server, '', { viewport });
      await page.click('[data-testid=start-lesson]');
      const step = page.locator('[data-testid=lesson-step]');
      await step.waitFor();
      assert.equal(await step.getAttribute('data-step'), '1');
      const lesson = await inView(page, '[data-testid=lessons]');
      assert.ok(lesson.inside, `the lesson is not in view: ${JSON.stringify(lesson.box)}`);
      const graph = await inView(page, '[data-testid=graph]');
      if (name === 'desktop') {
        assert.ok(graph.inside, `the lesson pushed the graph out of view: ${JSON.stringify(graph.box)}`);
        assert.ok(lesson.box.left >= graph.box.right, `the lesson covers the graph: ${JSON.stringify({ lesson: lesson.box, graph: graph.box })}`);
      } else {
        assert.ok(graph.box.top >= 0 && lesson.box.top > graph.box.top + (graph.box.bottom - graph.box.top) / 2,
          `the sheet covers the top of the graph: ${JSON.stringify({ lesson: lesson.box, graph: graph.box })}`);
      }
      await page.screenshot({ path: `${ARTIFACTS}lesson-${name}.png` });
      assert.deepEqual(problems, []);
      await context.close();
    });
  }

  test('embed: the split-brain player shows two leaders and names split brain within 15 s of autoplay', { timeout: WAIT * 2 }, async () => {
    const context = await browser.newContext({ viewport: { width: 720, height: 560 } });
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT);
    const problems = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    await page.goto(`${server.url}?embed&preset=split-brain-naive&autoplay`);
    await page.locator('[data-testid=embed] [data-node]').first().waitFor();
    // The player has a heading, a main landmark and a speed control in human terms.
    assert.equal(await page.locator('main[data-testid=embed] h1').count(), 1);
    assert.match(await page.textContent('[data-testid=speed-value]'), /1 simulated second takes 2 real seconds/);
    // Autoplay starts: from then on, the story must arrive within 15 s.
    await page.waitForFunction(() => document.querySelector('[data-testid=play]').getAttribute('aria-pressed') === 'true');
    await page.waitForFunction(() => {
      const leaders = document.querySelectorAll('[data-node][data-role=leader][data-health=up]').length;
      return leaders >= 2 && /split brain/i.test(document.querySelector('[data-testid=narration]').textContent);
    }, null, { timeout: 15_000 });
    await page.screenshot({ path: `${ARTIFACTS}first-screen-embed.png` });
    assert.deepEqual(problems, []);
    await context.close();
  });
});

describe('the story as it happens', () => {
  test('split-brain-naive: the caption names the partition, the second leader and the discarded writes; lines seek; the voice is rate-limited', { timeout: WAIT * 3 }, async () => {
    const { context, page, problems } = await openPage(browser, server, '?preset=split-brain-naive', { viewport: DESKTOP });
    await recordNarration(page);
    // The suggested pace, in human terms.
    assert.match(await page.textContent('[data-testid=speed-value]'), /^1 simulated second takes 2 real seconds$/);
    assert.equal(await page.getAttribute('[data-testid=key-moment]', 'data-us'), '2337000');
    // Played at that pace: the caption shows the newest lines, and faster play on a busy
    // machine can add several between two frames.
    await page.click('[data-testid=play]');
    await page.waitForFunction(() => [...window.__caption].some((t) => /threw away \d+ writes/.test(t)), null, { timeout: WAIT * 2 });
    await page.click('[data-testid=play]');
    // Once reached, the key moment is marked on the timeline.
    assert.equal(await page.getAttribute('#key-moments option', 'value'), '2337');
    const seen = await page.evaluate(() => [...window.__caption]);
    const find = (re) => seen.find((t) => re.test(t));
    assert.ok(find(/partition: n0 can no longer reach n1 and n2/i), seen.join('\n'));
    assert.ok(find(/n1 .*promoted itself.*n0 and n1 both believe they lead/), seen.join('\n'));
    assert.ok(find(/^\S+ s Split brain: n1 and n0 both act as leader and acknowledge writes/), seen.join('\n'));
    assert.match(find(/threw away/), /n0 rejoined and threw away 105 writes; 105 of them had been acknowledged/);
    // The anomaly panel leads with the concept: split brain first, then the lost writes with a count.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=anomaly-headlines] li').length >= 2);
    const headlines = await page.locator('[data-testid=anomaly-headlines] li').allTextContents();
    assert.match(headlines[0], /^Split brain/, headlines.join('\n'));
    assert.match(headlines[1], /^105 acknowledged writes lost/, headlines.join('\n'));
    assert.ok(headlines.some((h) => /^\d+ stale reads?/.test(h)), headlines.join('\n'));
    // Each line seeks to its instant.
    const line = page.locator('[data-testid=narration] li').last();
    const text = await line.textContent();
    const before = await page.textContent('[data-testid=sim-time]');
    await line.locator('button').click();
    await page.waitForFunction((b) => document.querySelector('[data-testid=sim-time]').textContent !== b, before);
    const shown = await page.textContent('[data-testid=sim-time]');
    assert.ok(text.startsWith(`${shown} `), `the line "${text}" seeks to its instant, not ${shown}`);
    // The screen-reader voice: at most one announcement every two seconds, the most important first.
    await page.waitForFunction(() => window.__live.length >= 2);
    const live = await page.evaluate(() => window.__live);
    for (let i = 1; i < live.length; i++) {
      assert.ok(live[i].at - live[i - 1].at >= 1990, `two announcements ${Math.round(live[i].at - live[i - 1].at)} ms apart`);
    }
    assert.ok(live.some((a) => /split brain/i.test(a.text)), JSON.stringify(live));
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a crashed node is drawn as crashed, with its durable log', { timeout: WAIT * 2 }, async () => {
    const { context, page, problems } = await openPage(browser, server, '?preset=lf-async', { viewport: DESKTOP });
    await page.click('[data-node="0"]');
    await page.click('[data-testid=act-crash]');
    const node = page.locator('[data-node="0"][data-health=crashed]');
    await node.waitFor();
    assert.equal((await node.locator('.node-role').textContent()).trim(), 'crashed');
    assert.match(await node.getAttribute('aria-label'), /^n0 crashed down · durable log: \d+ entries.*n0: crashed, its durable log holds \d+ entries/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a share link keeps the scenario and the speed', { timeout: WAIT * 2 }, async () => {
    const { context, page, problems } = await openPage(browser, server, '?preset=split-brain-naive', { viewport: DESKTOP });
    await setValue(page, '[data-testid=speed]', 3);
    await page.waitForFunction(() => /shows 2 simulated seconds/.test(document.querySelector('[data-testid=speed-value]').textContent));
    await openShareMenu(page);
    await page.click('[data-testid=copy-link]');
    const url = await page.locator('[data-testid=share-text]').inputValue();
    const other = await openPage(browser, server, url.slice(server.url.length), { viewport: DESKTOP });
    await other.page.waitForFunction(() => /shows 2 simulated seconds/.test(document.querySelector('[data-testid=speed-value]').textContent));
    assert.match(await other.page.locator('[data-testid=preset] option:checked').textContent(), /\(split-brain-naive\)$/);
    assert.deepEqual([...problems, ...other.problems], []);
    await other.context.close();
    await context.close();
  });
});
