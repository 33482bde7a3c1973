// End-to-end: a lecturer's own scenario (issue 18). Blank → two faults → open → the link reopens
// the same scenario → the downloaded JSON is what `replicascope validate` accepts; problems are
// shown by the control they are about; a dropped file opens; a draft survives closing the dialog.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { harness, screenshot, ready, root } from './lib.mjs';

const h = harness();

const open = h.open;

const editor = (page) => page.locator('.modal .editor');

async function setField(locator, value) {
  await locator.fill(value);
  await locator.dispatchEvent('change');
}

test('blank → two faults → open → the link reopens it → the JSON validates', async () => {
  const { page, problems, context, newPage } = await open('preset=two-am-failover');
  await page.getByRole('button', { name: 'Edit scenario' }).click();
  await editor(page).getByRole('button', { name: 'Start blank' }).click();
  assert.equal(await editor(page).locator('[data-list="faults"] .edit-row').count(), 0, 'a blank scenario has no faults');
  await editor(page).getByRole('button', { name: 'Add a fault' }).click();
  await editor(page).getByRole('button', { name: 'Add a fault' }).click();
  await setField(editor(page).getByLabel('Fault 1 time'), '4s');
  // A fault the engine does not know is named by its row, and nothing can be opened.
  await setField(editor(page).getByLabel('Fault 2 action'), 'explode n1');
  await editor(page).locator('[data-list="faults"] [data-row="1"] .field-problem').waitFor();
  assert.equal(await editor(page).getByRole('button', { name: 'Open this scenario' }).isDisabled(), true);
  await setField(editor(page).getByLabel('Fault 2 action'), 'restart n1');
  await editor(page).locator('.field-problem').waitFor({ state: 'detached' });
  await setField(editor(page).getByLabel('Clients', { exact: true }), '4');
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
  assert.ok((await editor(page).locator('[data-list="faults"] .edit-row').count()) >= 2);
  const before = await editor(page).locator('[data-list="faults"] .edit-row').count();
  await editor(page).getByRole('button', { name: 'Remove fault 1' }).click();
  assert.equal(await editor(page).locator('[data-list="faults"] .edit-row').count(), before - 1);
  await page.keyboard.press('Escape');
  await editor(page).waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'Edit scenario' }).click();
  assert.equal(await editor(page).locator('[data-list="faults"] .edit-row').count(), before - 1, 'the draft is kept');
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
  await editor(page).locator('[data-list="faults"] [data-row="0"] .field-problem').waitFor();
  await page.keyboard.press('Escape');
  // An oversized file is refused with a message, unread.
  await drop('x'.repeat(5 * 1024 * 1024));
  await page.locator('.banner.error', { hasText: 'larger than 4 MB' }).waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});

test('a fault is moved by dragging its marker on the scrubber, or with the keys, and removed with Delete', async () => {
  const { page, problems, context } = await open('preset=two-am-failover&t=2s');
  const mark = page.locator('.scrubber .mark.fault.draggable').first();
  const before = Number(await mark.getAttribute('data-time-us'));
  assert.equal(before, 10e6, 'the preset crashes n1 at 10 s');
  const box = await mark.boundingBox();
  const bar = await page.locator('.scrubber .marks').boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 - bar.width * 0.05, box.y + box.height / 2, { steps: 5 });
  await page.mouse.move(bar.x + bar.width * (5 / 45), box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await page.waitForFunction(() => location.hash.startsWith('#c='));
  const after = Number(await page.locator('.scrubber .mark.fault').first().getAttribute('data-time-us'));
  assert.ok(Math.abs(after - 5e6) < 0.6e6, `the crash moved to about 5 s: ${after}`);
  // The run follows: at 6 s n1 is already down.
  await page.$eval('.scrubber input[type=range]', (el) => { el.value = '6000'; el.dispatchEvent(new Event('input', { bubbles: true })); });
  await page.locator('section[data-pane=leader_follower] [data-node=n1][data-liveness=down]').waitFor({ timeout: 5000 });
  // From the keyboard: → moves it a second later, Delete removes it (the link keeps both).
  const faults = await page.locator('.scrubber .mark.fault.draggable').count();
  const first = page.locator('.scrubber .mark.fault.draggable').first();
  await first.focus();
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction((t) => Number(document.querySelector('.scrubber .mark.fault.draggable').dataset.timeUs) === t, after + 1e6);
  await page.locator('.scrubber .mark.fault.draggable').first().focus();
  await page.keyboard.press('Delete');
  await page.waitForFunction((n) => document.querySelectorAll('.scrubber .mark.fault.draggable').length === n, faults - 1);
  const link = await page.evaluate(() => location.hash);
  const again = await page.context().newPage();
  await again.goto(page.url());
  await again.waitForSelector('.pane .node');
  assert.equal(await again.locator('.scrubber .mark.fault.draggable').count(), faults - 1, `the link ${link} keeps the removal`);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the editor builds the rest of a scenario: scripted operations, regions, which designs run and each one’s settings', async () => {
  const { page, problems, context } = await open('preset=two-am-failover');
  await page.getByRole('button', { name: 'Edit scenario' }).click();
  const ed = editor(page);
  await ed.getByRole('button', { name: 'Start blank' }).click();
  // Scripted operations, as rows.
  await ed.getByRole('button', { name: 'Add a scripted operation' }).click();
  await ed.getByRole('button', { name: 'Add a scripted operation' }).click();
  await setField(ed.getByLabel('Scripted operation 2 operation'), 'read x');
  await setField(ed.getByLabel('Scripted operation 2 via node'), 'n2');
  // A client that does not exist is named by its row.
  await setField(ed.getByLabel('Scripted operation 1 client'), 'c9');
  await ed.locator('[data-list="workload.script"] [data-row="0"] .field-problem').waitFor();
  await setField(ed.getByLabel('Scripted operation 1 client'), 'c2');
  await ed.locator('[data-list="workload.script"] .field-problem').waitFor({ state: 'detached' });
  // One design out; one design's own setting; regions for clients and nodes.
  await ed.getByRole('checkbox', { name: 'Multi-leader', exact: true }).uncheck();
  const lf = ed.locator('[data-design="leader_follower"]');
  await lf.getByLabel('Replication').selectOption('semi_sync');
  await setField(ed.getByLabel('Regions', { exact: true }), 'us-east, eu-west');
  await setField(ed.getByLabel('Clients’ regions'), 'us-east, mars, eu-west');
  await ed.locator('.field-problem', { hasText: 'mars' }).waitFor();
  await setField(ed.getByLabel('Clients’ regions'), 'us-east, eu-west, eu-west');
  await setField(lf.getByLabel('Leader-follower regions'), 'us-east, us-east, eu-west');
  await ed.locator('.field-problem').waitFor({ state: 'detached' });
  // The network's latency: any distribution a scenario file names, with its parameters; a bad
  // value is named beside the control.
  await ed.getByLabel('Latency distribution').selectOption('pareto');
  await setField(ed.getByLabel('Latency tail index'), '-1');
  await ed.locator('.field-problem', { hasText: '-1 is out of range' }).waitFor();
  await setField(ed.getByLabel('Latency tail index'), '1.5');
  await screenshot(page, 'editor-designs');
  const scenario = JSON.parse(await ed.locator('textarea').inputValue());
  assert.deepEqual(scenario.workload.script, [
    { at: '5s', session: 'c2', op: 'write x=1' },
    { at: '10s', session: 'c1', op: 'read x', via: 'n2' },
  ]);
  assert.equal(scenario.topologies.multi_leader, null);
  assert.equal(scenario.topologies.leader_follower.mode, 'semi_sync');
  assert.deepEqual(scenario.network.regions, ['us-east', 'eu-west']);
  assert.deepEqual(scenario.network.latency, { pareto: { scale_ms: 1, shape: 1.5 } });
  assert.deepEqual(scenario.workload.session_regions, ['us-east', 'eu-west', 'eu-west']);
  assert.deepEqual(scenario.topologies.leader_follower.placement, ['us-east', 'us-east', 'eu-west']);
  // Opened, it runs as written: two designs, the leader-follower one semi-synchronous.
  await ed.getByRole('button', { name: 'Open this scenario' }).click();
  await ed.waitFor({ state: 'detached' });
  assert.equal(await page.locator('section.pane').count(), 2);
  await page.getByRole('button', { name: 'Edit scenario' }).click();
  const reopened = JSON.parse(await ed.locator('textarea').inputValue());
  // (Written back by the page, absent optional fields are null.)
  const given = (list) => list.map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null)));
  assert.deepEqual(given(reopened.workload.script), scenario.workload.script);
  assert.equal(reopened.topologies.leader_follower.mode, 'semi_sync');
  assert.deepEqual(problems, []);
  await context.close();
});

test('when the scenario reader cannot load, the editor says so and the page keeps working', async () => {
  const { page, problems, context } = await open('preset=two-am-failover');
  // The reader's files are missing from this host.
  await context.route(/scenario-worker/, (route) => route.fulfill({ status: 404, body: 'not here' }));
  await page.getByRole('button', { name: 'Edit scenario' }).click();
  const problem = editor(page).locator('.field-problem', { hasText: 'scenario reader' });
  await problem.waitFor();
  assert.match(await problem.innerText(), /replicascope validate/);
  assert.equal(await editor(page).getByRole('button', { name: 'Open this scenario' }).isDisabled(), true);
  // The page behind the dialog still plays.
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Play' }).click();
  await page.waitForFunction(() => Number(document.querySelector('.clock .now')?.dataset.timeUs || 0) > 0);
  // Only the missing files were complained about.
  assert.deepEqual(problems.filter((p) => !/404|Failed to load|scenario-worker|importScripts|NetworkError/.test(p)), []);
  await context.close();
});
