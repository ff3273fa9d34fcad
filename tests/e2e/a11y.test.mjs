// Accessibility (issue 17): axe-core finds no serious or critical violation on the main page,
// a lesson, the comparison and the embed player, in the light and the dark theme, both on
// arrival and once a story has played (anomalies, headlines, caption); the skip link leads to
// the simulation. axe-core is an npm dev dependency, injected into the page under test.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

import { WAIT, launch, openPage } from './browser.mjs';

const AXE = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let server;
let browser;

before(async () => {
  ({ server, browser } = await launch());
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** The serious and critical violations axe-core finds on the page, one line each. */
async function violations(page) {
  await page.addScriptTag({ content: AXE });
  return page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}: ${n.failureSummary?.split('\n')[1] ?? ''}`));
  });
}

const PAGES = [
  ['the main page', '', null],
  ['a lesson', '#lesson=leader-follower&step=0', async (page) => page.locator('[data-testid=lesson-step]').waitFor()],
  ['the comparison', '', async (page) => {
    await page.click('[data-testid=open-compare]');
    await page.waitForFunction(() => document.querySelector('[data-testid=compare]').open);
  }],
  ['the embed player', 'embed/?preset=split-brain-naive', null],
];

describe('accessibility', () => {
  for (const scheme of ['light', 'dark']) {
    for (const [name, path, setup] of PAGES) {
      test(`${name}, ${scheme} theme: no serious or critical axe-core violation`, { timeout: WAIT * 2 }, async () => {
        const { context, page, problems } = await openPage(browser, server, path, { colorScheme: scheme, viewport: { width: 1440, height: 900 } });
        if (setup) await setup(page);
        assert.deepEqual(await violations(page), []);
        assert.deepEqual(problems, []);
        await context.close();
      });
    }

    test(`after the split-brain story, ${scheme} theme: anomalies, headlines and caption pass too`, { timeout: WAIT * 2 }, async () => {
      const { context, page, problems } = await openPage(browser, server, '?preset=split-brain-naive', { colorScheme: scheme, viewport: { width: 1440, height: 900 } });
      await page.click('[data-testid=key-moment]');
      await page.locator('[data-testid=anomaly-headlines] li').first().waitFor();
      assert.deepEqual(await violations(page), []);
      assert.deepEqual(problems, []);
      await context.close();
    });
  }

  test('the skip link is the first stop of the keyboard and leads to the simulation', { timeout: WAIT }, async () => {
    const { context, page, problems } = await openPage(browser, server, '', { viewport: { width: 1440, height: 900 } });
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link');
    assert.ok(await page.locator('.skip-link').isVisible(), 'visible when focused');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.id === 'stage');
    assert.equal(await page.locator('[data-testid=notice]').count(), 0, 'the share link in the fragment is left alone');
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('links between nodes are reachable by Tab, and Enter opens their actions', { timeout: WAIT }, async () => {
    const { context, page, problems } = await openPage(browser, server, '?preset=lf-async', { viewport: { width: 1440, height: 900 } });
    await page.focus('[data-testid=graph]').catch(() => {});
    let reached = null;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.getAttribute('data-link'));
    }
    assert.ok(reached, 'Tab never reaches a link');
    assert.match(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), /^link n\d – n\d/);
    await page.keyboard.press('Enter');
    await page.locator(`[data-testid=link-actions][data-link="${reached}"]`).waitFor();
    assert.deepEqual(problems, []);
    await context.close();
  });

  test('digit keys select the node of that name', { timeout: WAIT }, async () => {
    const { context, page, problems } = await openPage(browser, server, '?preset=lf-async', { viewport: { width: 1440, height: 900 } });
    for (const digit of ['2', '0']) {
      await page.keyboard.press(digit);
      await page.locator(`[data-testid=node-actions][data-node="${digit}"]`).waitFor();
      assert.equal(await page.evaluate(() => document.activeElement?.dataset.node), digit);
    }
    assert.deepEqual(problems, []);
    await context.close();
  });
});
