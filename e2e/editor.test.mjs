// End-to-end: a lecturer's own scenario (issue 18). Blank → two faults → open → the link reopens
// the same scenario → the downloaded JSON is what `replicascope validate` accepts; problems are
// shown by the control they are about; a dropped file opens; a draft survives closing the dialog.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { harness, openPage, screenshot, ready, root } from './lib.mjs';

const h = harness();

async function open(fragment, opts = {}) {
  const o = await openPage(h.browser, opts);
  await o.page.goto(h.base + (fragment ? '#' + fragment : ''));
  await ready(o.page);
  return o;
}

const editor = (page) => page.locator('.modal .editor');

async function setField(locator, value) {
  await locator.fill(value);
  await locator.dispatchEvent('change');
}

test('blank → two faults → open → the link reopens it → the JSON validates', async () => {
  const { page, problems, context, newPage } = await open('preset=two-am-failover');
  await page.getByRole('button', { name: 'Edit scenario' }).click();
  await editor(page).getByRole('button', { name: 'Start blank' }).click();
  assert.equal(await editor(page).locator('.fault-row').count(), 0, 'a blank scenario has no faults');
  await editor(page).getByRole('button', { name: 'Add a fault' }).click();
  await editor(page).getByRole('button', { name: 'Add a fault' }).click();
  await setField(editor(page).getByLabel('Fault 1 time'), '4s');
  // A fault the engine does not know is named by its row, and nothing can be opened.
  await setField(editor(page).getByLabel('Fault 2 action'), 'explode n1');
  await editor(page).locator('.fault-row[data-fault="1"] .field-problem').waitFor();
  assert.equal(await editor(page).getByRole('button', { name: 'Open this scenario' }).isDisabled(), true);
  await setField(editor(page).getByLabel('Fault 2 action'), 'restart n1');
  await editor(page).locator('.field-problem').waitFor({ state: 'detached' });
  await setField(editor(page).getByLabel('Clients'), '4');
  await screenshot(page, 'editor');
  const json = await editor(page).locator('textarea').inputValue();
  const scenario = JSON.parse(json);
  assert.deepEqual(scenario.faults, [{ at: '4s', fault: 'crash n1' }, { at: '10s', fault: 'restart n1' }]);
  // The downloaded file is the text shown, and the CLI accepts it.
  const [download] = await Promise.all([page.waitForEvent('download'), editor(page).getByRole('button', { name: 'Download JSON' }).click()]);
  const file = await download.path();
  assert.equal(fs.readFileSync(file, 'utf8'), json);
  const out = execFileSync('cargo', ['run', '-q', '--offline', '-p', 'replicascope-cli', '--', 'validate', file], { cwd: root, encoding: 'utf8' });
  assert.match(out, /"valid": true/);
  await editor(page).getByRole('button', { name: 'Open this scenario' }).click();
  await editor(page).waitFor({ state: 'detached' });
  await page.waitForFunction(() => location.hash.startsWith('#c='));
  assert.equal(await page.locator('section.pane').count(), 3);
  assert.equal(await page.locator('.preset-select').inputValue(), '', 'a scenario of one\'s own, not a preset');
  // The link reopens the same scenario.
  const again = await newPage();
  await again.goto(page.url());
  await ready(again);
  await again.getByRole('button', { name: 'Edit scenario' }).click();
  assert.deepEqual(JSON.parse(await editor(again).locator('textarea').inputValue()), scenario);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a draft survives closing the editor; a dropped file opens, a broken one opens in the editor', async () => {
  const { page, problems, context } = await open('preset=split-brain');
  await page.getByRole('button', { name: 'Edit scenario' }).click();
  // The preset's own faults are there to edit and remove.
  assert.ok((await editor(page).locator('.fault-row').count()) >= 2);
  const before = await editor(page).locator('.fault-row').count();
  await editor(page).getByRole('button', { name: 'Remove fault 1' }).click();
  assert.equal(await editor(page).locator('.fault-row').count(), before - 1);
  await page.keyboard.press('Escape');
  await editor(page).waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'Edit scenario' }).click();
  assert.equal(await editor(page).locator('.fault-row').count(), before - 1, 'the draft is kept');
  await page.keyboard.press('Escape');
  // Drop a scenario file on the page.
  const drop = async (text) => {
    const dt = await page.evaluateHandle((t) => {
      const d = new DataTransfer();
      d.items.add(new File([t], 'mine.json', { type: 'application/json' }));
      return d;
    }, text);
    await page.dispatchEvent('main.panes', 'drop', { dataTransfer: dt });
  };
  const mine = { name: 'Dropped', duration: '12s', workload: { sessions: 2, generator: { rate: 5 } }, faults: [{ at: '3s', fault: 'crash n2' }], topologies: { leaderless: { nodes: 3, n: 3, w: 2, r: 2 } } };
  await drop(JSON.stringify(mine));
  await page.waitForFunction(() => location.hash.startsWith('#c='));
  assert.equal(await page.locator('section.pane').count(), 1);
  assert.equal(await page.locator('.preset-select option:checked').innerText(), 'Custom: Dropped');
  // A broken file opens in the editor, its problem named.
  await drop(JSON.stringify({ ...mine, faults: [{ at: '3s', fault: 'explode n2' }] }));
  await editor(page).waitFor();
  await editor(page).locator('.fault-row[data-fault="0"] .field-problem').waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});
