// The page builds, loads from a sub-path with relative URLs, shows the three panes side by side
// (stacked on a phone), and makes no request off loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, openPage, screenshot, ready, overflowing } from './lib.mjs';

const h = harness();

test('three panes side by side at 1440×900', async () => {
  const { page, problems, context } = await openPage(h.browser, { width: 1440, height: 900 });
  await page.goto(h.base);
  await ready(page);
  const titles = await page.$$eval('.pane h2', (els) => els.map((e) => e.textContent));
  assert.deepEqual(titles, ['Leader-follower', 'Multi-leader', 'Leaderless']);
  const boxes = await page.$$eval('.pane', (els) => els.map((e) => e.getBoundingClientRect().toJSON()));
  assert.equal(boxes.length, 3);
  assert.ok(Math.abs(boxes[0].top - boxes[2].top) < 2, 'panes share a row');
  assert.ok(boxes[0].right <= boxes[1].left && boxes[1].right <= boxes[2].left, 'left to right');
  for (const b of boxes) assert.ok(b.width > 300 && b.height > 250, `pane is big enough: ${JSON.stringify(b)}`);
  await screenshot(page, 'foundation-1440x900');
  assert.deepEqual(problems, []);
  await context.close();
});

test('panes stack under 900 px (390×844)', async () => {
  const { page, problems, context } = await openPage(h.browser, { width: 390, height: 844 });
  await page.goto(h.base);
  await ready(page);
  await screenshot(page, 'foundation-390x844');
  const boxes = await page.$$eval('.pane', (els) => els.map((e) => e.getBoundingClientRect().toJSON()));
  assert.equal(boxes.length, 3);
  assert.ok(boxes[0].bottom <= boxes[1].top && boxes[1].bottom <= boxes[2].top, 'stacked vertically');
  assert.deepEqual(await overflowing(page), [], 'nothing sticks out to the right');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the embed example page loads the app from the same folder', async () => {
  const { page, problems, context } = await openPage(h.browser);
  await page.goto(h.base + 'embed-example.html');
  const frame = page.frameLocator('iframe#rs');
  await frame.locator('.pane .node').first().waitFor({ timeout: 30000 });
  assert.deepEqual(problems, []);
  await context.close();
});
