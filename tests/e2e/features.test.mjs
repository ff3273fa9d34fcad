// End-to-end tests of the playground's finer controls: following one message across the
// views, a leaderless quorum on the graph, restoring one direction of a cut link, the latency
// models, typed slow-downs and clock skews, the View menu (panels and theme in the link),
// every guided lesson clicked through, an oversized link, the comparison's progress, and the
// dark embed's contrast. Every wait is on a page condition, never on wall-clock sleeps.

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

const open = (path = '', options = {}) => openPage(browser, server, path, options);

const playing = async (page) => (await page.getAttribute('[data-testid=play]', 'aria-pressed')) === 'true';
const togglePlay = (page) => page.locator('[data-testid=play]').dispatchEvent('click');
const shot = (page, name) => page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });

async function playPast(page, ms) {
  if (!(await playing(page))) await togglePlay(page);
  await page.waitForFunction((t) => Number(document.querySelector('[data-testid=sim-time]')?.dataset.us) > t, ms * 1000);
  if (await playing(page)) await togglePlay(page);
  await page.waitForFunction(() => document.querySelector('[data-testid=play]').getAttribute('aria-pressed') === 'false');
}

/** Client coordinates of the first dot of the graph's message crowd that nothing covers (a dot
 *  just leaving a node can sit under the node's disc, which takes the click). */
async function firstDot(page) {
  return page.evaluate(() => {
    for (const path of document.querySelectorAll('.msg-crowd')) {
      const svg = path.ownerSVGElement;
      for (const m of path.getAttribute('d').matchAll(/M(-?[\d.]+) (-?[\d.]+)/g)) {
        const pt = svg.createSVGPoint();
        pt.x = Number(m[1]) + 4; // the dot's centre: each dot starts at its left edge
        pt.y = Number(m[2]);
        const p = pt.matrixTransform(svg.getScreenCTM());
        if (document.elementFromPoint(p.x, p.y)?.classList.contains('msg-crowd')) return { x: p.x, y: p.y };
      }
    }
    return null;
  });
}

describe('finer controls of the playground', () => {
  test('a message clicked on the graph is followed in the diagram and the log', { timeout: WAIT * 3 }, async () => {
    const { context, page, problems } = await open('?preset=lf-async');
    // Past the start (the nodes' first messages predate the event log), paused.
    await playPast(page, 20);
    await page.locator('[data-testid=graph]').scrollIntoViewIfNeeded();
    // Paused between messages: step event by event until one is on the wire.
    for (let i = 0; i < 500 && !(await firstDot(page)); i++) await page.click('[data-testid=step]');
    const dot = await firstDot(page);
    assert.ok(dot, 'a message is in flight');
    await page.mouse.click(dot.x, dot.y);
    // At its send the message's line in the diagram has no length yet: attached, not visible.
    const chosen = page.locator('.flight.chosen');
    await chosen.waitFor({ state: 'attached' });
    const id = await chosen.getAttribute('data-msg');
    // The graph draws it on its own, at its send (selecting seeks there), labelled.
    await page.locator(`.msg-dot.chosen circle[data-msg="${id}"]`).waitFor({ state: 'attached' });
    const detail = await page.textContent('[data-testid=message-detail]');
    assert.match(detail, new RegExp(`message ${id} n\\d+ → n\\d+ `));
    assert.ok((await page.locator('[data-testid=event-log] li.hot').count()) >= 1, 'its send is highlighted in the log');
    await shot(page, 'features-01-message');
    // Clicking another message in the diagram selects that one.
    const other = page.locator('.flight:not(.chosen)').first();
    const otherId = await other.getAttribute('data-msg');
    await other.dispatchEvent('click');
    await page.locator(`.flight.chosen[data-msg="${otherId}"]`).waitFor({ state: 'attached' });
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('a leaderless operation shows on the graph which replicas answered and whether its quorum was met', { timeout: WAIT * 3 }, async () => {
    const { context, page, problems } = await open('?preset=ll-strict-quorum');
    await playPast(page, 300);
    const caption = page.locator('[data-testid=graph-quorum]');
    await caption.waitFor();
    assert.match(await caption.textContent(), /^op\d+ .* [WR]=2 of N=3 · quorum (met|pending|not met) asked n\d( n\d)* answered (none|n\d( n\d)*) $/);
    assert.ok((await page.locator('.q-ring').count()) >= 2, 'the coordinator and the replicas asked are ringed');
    // Selecting a completed operation shows its quorum.
    const op = page.locator('[data-testid=op-timeline] rect[data-status=ok]').last();
    const opId = await op.getAttribute('data-op');
    await op.dispatchEvent('click');
    await page.waitForFunction((id) => document.querySelector('[data-testid=graph-quorum]')?.dataset.op === id, opId);
    assert.equal(await caption.getAttribute('data-state'), 'met');
    assert.ok((await page.locator('.q-answered').count()) >= 1, 'a replica answered');
    await shot(page, 'features-02-quorum');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('one direction of a cut link is restored on its own', { timeout: WAIT * 2 }, async () => {
    const { context, page, problems } = await open('?preset=lf-async');
    await page.locator('.link-hit[data-link="0-1"]').dispatchEvent('click');
    await page.click('[data-testid=cut-both]');
    await page.waitForFunction(() => document.querySelectorAll('[data-cut]').length === 2);
    await page.click('[data-testid=cut-ab]');
    await page.waitForFunction(() => document.querySelectorAll('[data-cut]').length === 1);
    assert.equal(await page.getAttribute('[data-cut]', 'data-cut'), '1-0');
    assert.match(await page.textContent('[data-testid=cut-ab]'), /Cut n0 → n1/);
    assert.match(await page.textContent('[data-testid=cut-ba]'), /Restore n1 → n0/);
    await page.click('[data-testid=cut-ba]');
    await page.waitForFunction(() => document.querySelectorAll('[data-cut]').length === 0);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('every latency model builds, and slow-downs and clock skews take typed amounts', { timeout: WAIT * 3 }, async () => {
    const { context, page, problems } = await open('?preset=lf-async');
    const settings = page.locator('[data-testid=settings]');
    for (const [model, extra, words] of [
      ['pareto', { 'set-pareto-shape': '1.5' }, /Pareto links \(from 2 ms, shape 1.5\)/],
      ['tail', { 'set-tail-percent': '5', 'set-tail-ms': '300' }, /5% at 300 ms/],
      ['exponential', {}, /exponential/],
    ]) {
      if (!(await settings.evaluate((d) => d.open))) await page.click('[data-testid=settings] summary');
      await page.selectOption('[data-testid=set-latency-model]', model);
      await page.fill('[data-testid=set-latency-min]', '2');
      await page.locator('[data-testid=set-latency-min]').dispatchEvent('change');
      for (const [id, v] of Object.entries(extra)) {
        await page.fill(`[data-testid=${id}]`, v);
        await page.locator(`[data-testid=${id}]`).dispatchEvent('change');
      }
      await page.click('[data-testid=settings] button[type=submit]');
      await page.waitForFunction((re) => new RegExp(re).test(document.querySelector('[data-testid=description]').textContent), words.source);
    }
    // A bad shape is refused with the core's message and the cluster stays.
    await page.click('[data-testid=settings] summary');
    await page.selectOption('[data-testid=set-latency-model]', 'pareto');
    await page.fill('[data-testid=set-pareto-shape]', '0');
    await page.locator('[data-testid=set-pareto-shape]').dispatchEvent('change');
    await page.click('[data-testid=settings] button[type=submit]');
    await page.waitForFunction(() => /shape/.test(document.querySelector('[data-testid=set-error]')?.textContent ?? '') && /exponential/.test(document.querySelector('[data-testid=description]').textContent));
    // Typed amounts: slow n1 by 3, skew its clock by +750 ms.
    await page.locator('[data-node="1"]').dispatchEvent('click');
    await page.fill('[data-testid=tune-factor]', '3');
    await page.click('[data-testid=tune-slow] button');
    await page.waitForFunction(() => /slowed ×3/.test(document.querySelector('[data-node="1"]').getAttribute('aria-label')));
    await page.fill('[data-testid=tune-skew]', '750');
    await page.click('[data-testid=tune-clock] button');
    await page.waitForFunction(() => /clock \+750 ms/.test(document.querySelector('[data-node="1"]').getAttribute('aria-label')));
    // Nonsense is refused with a reason, nothing changes.
    await page.fill('[data-testid=tune-factor]', '5000');
    await page.click('[data-testid=tune-slow] button');
    await page.waitForFunction(() => /factor/.test(document.querySelector('[data-testid=notice]')?.textContent ?? ''));
    assert.match(await page.getAttribute('[data-node="1"]', 'aria-label'), /slowed ×3/);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('the View menu hides panels and sets the theme, and a link keeps both', { timeout: WAIT * 3 }, async () => {
    const { context, page, problems } = await open('?preset=lf-async');
    await page.click('[data-testid=view-menu] summary');
    await page.locator('[data-panel=log]').setChecked(false);
    await page.locator('[data-testid=event-log]').waitFor({ state: 'detached' });
    await page.selectOption('[data-testid=theme]', 'dark');
    await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    const dark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await openShareMenu(page);
    await page.click('[data-testid=copy-link]');
    const url = await page.locator('[data-testid=share-text]').inputValue();
    await shot(page, 'features-03-view-menu');
    const other = await open(url.slice(url.indexOf('?')));
    await other.page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    assert.equal(await other.page.locator('[data-testid=event-log]').count(), 0);
    assert.equal(await other.page.locator('[data-testid=op-timeline]').count(), 1);
    assert.equal(await other.page.evaluate(() => getComputedStyle(document.body).backgroundColor), dark);
    // Showing every panel again.
    await other.page.click('[data-testid=view-menu] summary');
    await other.page.click('[data-testid=show-all-panels]');
    await other.page.locator('[data-testid=event-log]').waitFor({ state: 'attached' });
    assert.deepEqual(other.problems, []);
    await other.context.close();
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('every guided lesson can be clicked through from its first step to its last', { timeout: WAIT * 10 }, async () => {
    const { context, page, problems } = await open('#lesson=leader-follower&step=1');
    const step = page.locator('[data-testid=lesson-step]');
    await step.waitFor();
    // The list's options: a prompt without a value, then one per lesson.
    const options = await page.locator('[data-testid=lesson-select] option').evaluateAll((o) => o.map((e) => e.value));
    const lessons = options.map((v, i) => [v, i]).filter(([v]) => v !== '');
    assert.ok(lessons.length >= 11, `${lessons.length} lessons`);
    let steps = 0;
    for (const [, i] of lessons) {
      // The deep link opened the first lesson's first step already.
      if (i !== (await page.locator('[data-testid=lesson-select]').evaluate((s) => s.selectedIndex))) {
        await page.selectOption('[data-testid=lesson-select]', { index: i });
      }
      await page.waitForFunction(() => document.querySelector('[data-testid=lesson-step]')?.dataset.step === '1');
      const id = await step.getAttribute('data-lesson');
      for (let n = 1; ; n++) {
        await page.waitForFunction(([id, n]) => location.hash === `#lesson=${id}&step=${n}`, [id, n]);
        assert.ok((await page.textContent('[data-testid=lesson-text]')).length > 40, `${id} step ${n} has text`);
        steps++;
        if (await page.locator('[data-testid=lesson-next]').isDisabled()) break;
        const before = await page.textContent('[data-testid=lesson-text]');
        await page.click('[data-testid=lesson-next]');
        await page.waitForFunction(([n, before]) => document.querySelector('[data-testid=lesson-step]')?.dataset.step === String(n + 1) && document.querySelector('[data-testid=lesson-text]').textContent !== before, [n, before]);
      }
    }
    console.log(`# lessons clicked through: ${lessons.length} lessons, ${steps} steps`);
    assert.ok(steps >= 30, `${steps} steps`);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('an oversized link is refused with its size and the work stays', { timeout: WAIT * 2 }, async () => {
    const { context, page, problems } = await open(`?preset=lf-sync#v1.${'A'.repeat(70000)}`);
    await page.locator('[data-testid=notice]').waitFor();
    assert.match(await page.textContent('[data-testid=notice]'), /too long: 70003 characters .* limit is 65536/);
    assert.match(await page.locator('[data-testid=preset] option:checked').textContent(), / \(lf-sync\)$/);
    await playPast(page, 50);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('the comparison reports its progress while it runs', { timeout: WAIT * 4 }, async () => {
    const { context, page, problems } = await open();
    await page.click('[data-testid=compare] summary');
    // Record every progress value the page shows, from before the start to the table.
    await page.evaluate(() => {
      window.progressSeen = [];
      new MutationObserver(() => {
        const p = document.querySelector('[data-testid=compare-running] progress');
        if (p && !window.progressSeen.includes(p.getAttribute('value'))) window.progressSeen.push(p.getAttribute('value'));
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await page.click('[data-testid=compare-default]');
    await page.locator('[data-testid=compare-table]').waitFor({ timeout: WAIT * 3 });
    const seen = await page.evaluate(() => window.progressSeen);
    assert.ok(seen.length >= 3 && seen[0] === '0', `progress values seen: ${seen}`);
    assert.equal(await page.locator('[data-testid=compare-table] tbody tr').count(), 4);
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('the dark embed\'s link to the full app is readable', { timeout: WAIT * 2 }, async () => {
    const context = await browser.newContext({ viewport: { width: 640, height: 480 } });
    const page = await context.newPage();
    await page.goto(`${server.url}embed/?preset=lf-async&theme=dark`);
    const link = page.locator('[data-testid=open-full]');
    await link.waitFor();
    const ratio = await link.evaluate((a) => {
      const rgb = (s) => s.match(/[\d.]+/g).slice(0, 3).map(Number);
      const lum = ([r, g, b]) => {
        const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
      };
      let el = a;
      let bg = 'rgba(0, 0, 0, 0)';
      while (el && /rgba\(0, 0, 0, 0\)|transparent/.test(bg)) { bg = getComputedStyle(el).backgroundColor; el = el.parentElement; }
      const [l1, l2] = [lum(rgb(getComputedStyle(a).color)), lum(rgb(bg))].sort((x, y) => y - x);
      return (l1 + 0.05) / (l2 + 0.05);
    });
    assert.ok(ratio >= 4.5, `contrast ${ratio.toFixed(2)} : 1`);
    await context.close();
  });
});
