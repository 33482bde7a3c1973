// End-to-end: guided tours (issue 17). A first visit is invited to one; every tour is completed by a
// script that reads only what each step says — its "Your turn" instruction names the control to
// use, in that control's words — and does it; a tour link resumes at its step. Screenshots of the
// first three steps at desktop and phone sizes go to e2e/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, screenshot, ready, overflowing } from './lib.mjs';

const h = harness();

const open = h.open;

const card = (page) => page.locator('.tour-card');

/** Waits until the step has played to its moment (the card stops saying "Playing to …"). */
async function settled(page) {
  await page.waitForFunction(() => !document.querySelector('.tour-card .tour-playing'), null, { timeout: 120000 });
}

/** Every highlight of the step names something on the page. */
async function highlightsExist(page) {
  const list = (await card(page).getAttribute('data-highlight')).split(' | ').filter(Boolean);
  const step = await card(page).getAttribute('data-step');
  for (const sel of list) {
    // (A row of the comparison appears once the runs are computed again after a change.)
    await page.locator(sel).first().waitFor({ state: 'attached', timeout: 20000 }).catch(() => {
      throw new Error(`step ${step}: nothing matches ${sel}`);
    });
  }
  return list.length;
}

/** Does what an instruction says, knowing only the words it uses. */
async function follow(page, words) {
  let m = words.match(/^Click (n\d+) in the ([a-z-]+) pane and choose “([^”]+)”\.$/);
  if (m) {
    const pane = page.locator(`section[data-pane=${m[2].replace('-', '_')}]`);
    await pane.locator(`[data-node=${m[1]}]`).click();
    await pane.getByRole('menuitem', { name: m[3], exact: true }).click();
    return;
  }
  m = words.match(/^Open “([^”]+)” \(⚙\) and (tick|untick|set) “([^”]+)”(?: to (?:“([^”]+)”|(\d+)))?\.$/);
  if (m) {
    const [, panel, verb, label, choice, number] = m;
    const group = page.getByRole('group', { name: panel, exact: true });
    if (!(await group.count())) await page.getByRole('button', { name: panel, exact: true }).click();
    const control = group.locator('label.setting').filter({ has: page.getByText(label, { exact: true }) }).locator('select, input');
    if (verb === 'tick') await control.check();
    else if (verb === 'untick') await control.uncheck();
    else if (choice) await control.selectOption({ label: choice });
    else {
      await control.fill(number);
      await control.dispatchEvent('change');
    }
    return;
  }
  throw new Error(`the script cannot follow: ${words}`);
}

/** Completes the tour on screen by reading it; returns the number of steps and of tasks done. */
async function walk(page, { shots, wait = true } = {}) {
  let steps = 0;
  let tasks = 0;
  for (let guard = 0; guard < 30 && (await card(page).count()); guard++) {
    const step = await card(page).getAttribute('data-step');
    steps++;
    // A learner reads while the step plays; Next before its moment goes to the moment first.
    if (wait) await settled(page);
    await highlightsExist(page);
    if (shots && steps <= 3) await screenshot(page, `${shots}-step${steps}`);
    const instruction = card(page).locator('.tour-instruction');
    if (await instruction.count()) {
      const words = await instruction.innerText();
      await follow(page, words);
      tasks++;
      // The page notices and moves on by itself.
      await page.waitForFunction((s) => document.querySelector('.tour-card')?.dataset.step !== s, step, { timeout: 20000 }).catch(async (e) => {
        const tour = await card(page).getAttribute('data-tour');
        const banner = await page.locator('.banner').allInnerTexts();
        throw new Error(`${tour} step ${step}: did “${words}”, the page did not move on (banners: ${banner.join(' | ')}; hash ${await page.evaluate(() => location.hash)}): ${e.message}`);
      });
    } else {
      await card(page).getByRole('button', { name: /^(Next|Finish)$/ }).click();
    }
  }
  assert.equal(await card(page).count(), 0, 'the tour ends');
  return { steps, tasks };
}

test('a first visit is invited to a tour; the tour plays, highlights and ends (1440×900, screenshots)', async () => {
  const { page, problems, context, newPage } = await open('');
  const invite = page.locator('.tour-invite');
  await invite.waitFor({ timeout: 5000 });
  await screenshot(page, 'tour-invitation-1440');
  await invite.getByRole('button', { name: 'Start the tour' }).click();
  await card(page).waitFor();
  assert.equal(await card(page).getAttribute('data-step'), '1');
  await settled(page);
  await page.waitForFunction(() => /tour=three-designs&step=1/.test(location.hash));
  // The narration's place: one voice at a time.
  assert.equal(await page.locator('.narration').count(), 0);
  const { steps } = await walk(page, { shots: 'tour-1440' });
  assert.ok(steps >= 5, `${steps} steps`);
  await page.waitForFunction(() => !location.hash.includes('tour='));
  // Invited once: a second visit in the same browser is not.
  const again = await newPage();
  await again.goto(h.base);
  await ready(again);
  assert.equal(await again.locator('.tour-invite').count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the tour on a phone (390×844): the card fits, screenshots of the first three steps', async () => {
  const { page, problems, context } = await open('', { width: 390, height: 844 });
  await page.locator('.tour-invite').getByRole('button', { name: 'Start the tour' }).click();
  await card(page).waitFor();
  for (let i = 1; i <= 3; i++) {
    await settled(page);
    assert.deepEqual(await overflowing(page), [], `step ${i} fits the width`);
    const box = await card(page).boundingBox();
    assert.ok(box.width <= 390, `card ${box.width} px wide`);
    await screenshot(page, `tour-390-step${i}`);
    await card(page).getByRole('button', { name: 'Next' }).click();
    await page.waitForFunction((n) => document.querySelector('.tour-card')?.dataset.step === String(n), i + 1);
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test('every tour is completed by a script that only reads the steps and does what they say', async () => {
  const { page, problems, context } = await open('preset=two-am-failover');
  const ids = [];
  await page.getByRole('button', { name: 'Tours' }).click();
  for (const li of await page.locator('.tour-list .tour-item').all()) ids.push(await li.getAttribute('data-tour'));
  await page.keyboard.press('Escape');
  assert.ok(ids.length >= 5, ids.join());
  let tasks = 0;
  for (const id of ids) {
    await page.getByRole('button', { name: 'Tours' }).click();
    await page.locator(`.tour-item[data-tour=${id}]`).getByRole('button', { name: /^Start/ }).click();
    await card(page).waitFor();
    assert.equal(await card(page).getAttribute('data-tour'), id);
    const t0 = Date.now();
    const done = await walk(page, { wait: false });
    console.log(`# ${id}: ${done.steps} steps, ${done.tasks} tasks, ${Date.now() - t0} ms`);
    tasks += done.tasks;
  }
  assert.ok(tasks >= 6, `${tasks} tasks done by reading`);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a tour link resumes at its step, with what the steps before did', async () => {
  const { page, problems, context } = await open('tour=split-brain-fencing&step=5');
  await card(page).waitFor();
  assert.equal(await card(page).getAttribute('data-step'), '5');
  await settled(page);
  // Step 4 asked for fencing: it is on, and the old leader is powered off as the step says.
  assert.match(page.url(), /lf\.fencing=true/);
  const text = await card(page).locator('.tour-text').innerText();
  assert.match(text, /powers n1 off/);
  assert.equal(await page.locator('section[data-pane=leader_follower] [data-node=n1]').getAttribute('data-liveness'), 'down');
  // Changing the run away from the tour's is noticed, and can be put back.
  assert.equal(await card(page).locator('.tour-off').count(), 0);
  await page.locator('section[data-pane=leader_follower] [data-node=n3]').click();
  await page.locator('section[data-pane=leader_follower]').getByRole('menuitem', { name: 'Crash n3' }).click();
  await card(page).locator('.tour-off').waitFor();
  await card(page).getByRole('button', { name: "Back to the tour's run" }).click();
  await card(page).locator('.tour-off').waitFor({ state: 'detached' });
  assert.equal(await card(page).getAttribute('data-step'), '5');
  // Back replays to step 4, where fencing is not on yet, and waits for it.
  await card(page).getByRole('button', { name: 'Back' }).click();
  await page.waitForFunction(() => document.querySelector('.tour-card')?.dataset.step === '4');
  assert.match(await card(page).locator('.tour-instruction').innerText(), /tick “Fencing \(STONITH\)”/);
  await card(page).getByRole('button', { name: 'Do it for me' }).click();
  await page.waitForFunction(() => document.querySelector('.tour-card')?.dataset.step === '5');
  // Leaving keeps the run and shows every pane again.
  await card(page).getByRole('button', { name: 'Leave the tour' }).click();
  assert.equal(await card(page).count(), 0);
  assert.equal(await page.locator('section.pane').count(), 3);
  // A bad tour link is explained, the page works.
  const bad = await open('tour=%3Cimg%20src%3Dx%3E&step=99');
  await bad.page.locator('.link-problems').waitFor();
  assert.match(await bad.page.locator('.link-problems').innerText(), /no tour called/);
  assert.equal(await bad.page.locator('img[src=x]').count(), 0);
  await bad.context.close();
  assert.deepEqual(problems, []);
  await context.close();
});
