// End-to-end: a history from elsewhere (issue 16). A Jepsen/Knossos EDN file dropped on the page,
// or opened from the Export dialog, is checked and drawn by process with the fewest operations
// that show the violation highlighted and the sentence that says why; the conventions and the
// model can be changed; a broken or hostile file gets a clear message; the run stays as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, screenshot } from './lib.mjs';

const h = harness();
const open = h.open;
const dialog = (page) => page.locator('.modal .history');

// A stale read among bystanders, in Knossos' list form with a comment and extra keys: write 1,
// then write 2, then a read of 1 that began after the write of 2 ended.
const STALE = `; a register history
({:process 4, :type :invoke, :f :write, :value 3, :time 1000}
 {:process 0, :type :invoke, :f :write, :value 1, :time 2000}
 {:process 3, :type :invoke, :f :read, :value nil, :time 3000}
 {:process 0, :type :ok, :f :write, :value 1, :time 4000}
 {:process 3, :type :ok, :f :read, :value 1, :time 5000}
 {:process 1, :type :invoke, :f :write, :value 2, :time 6000}
 {:process 1, :type :ok, :f :write, :value 2, :time 7000}
 {:process 3, :type :invoke, :f :read, :value nil, :time 8000}
 {:process 3, :type :ok, :f :read, :value 2, :time 9000}
 {:process 2, :type :invoke, :f :read, :value nil, :time 10000}
 {:process 2, :type :ok, :f :read, :value 1, :time 11000, :node "n3"}
 {:process 4, :type :info, :f :write, :value 3, :time 12000, :error :timeout})
`;

async function drop(page, name, text) {
  const dt = await page.evaluateHandle(([n, t]) => {
    const d = new DataTransfer();
    d.items.add(new File([t], n, { type: 'application/edn' }));
    return d;
  }, [name, text]);
  await page.dispatchEvent('main.panes', 'drop', { dataTransfer: dt });
}

test('a dropped history is drawn by process with the violation highlighted and explained; the run is untouched', async () => {
  const { page, problems, context } = await open('preset=two-am-failover&t=3s');
  const before = await page.evaluate(() => location.hash);
  await drop(page, 'stale-read.edn', STALE);
  await dialog(page).waitFor();
  await page.locator('.history-verdict', { hasText: 'Not linearizable' }).waitFor();
  assert.match(await page.locator('.history-verdict').innerText(), /6 operations from 5 processes/);
  // The three operations that alone show it: write 1, write 2, read 1.
  const violating = page.locator('.history-diagram .hist-op.violating');
  assert.equal(await violating.count(), 3);
  const labels = await violating.locator('title').allTextContents();
  assert.deepEqual(labels.map((t) => t.replace(/^line \d+: /, '')).sort(), ['read 1', 'write 1', 'write 2']);
  const why = await page.locator('.history-why').innerText();
  assert.match(why, /These 3 highlighted operations alone/);
  assert.match(why, /“write 1” \(process 0\) ended before “write 2” \(process 1\) began/);
  assert.match(why, /“write 2” \(process 1\) ended before “read 1” \(process 2\) began/);
  // A lane per process; the crashed write is drawn open (dashed, to the edge).
  assert.equal(await page.locator('.history-diagram .hist-lane').count(), 5);
  assert.equal(await page.locator('.history-diagram .hist-op.open').count(), 1);
  // Bars of one lane never overlap (nor do their labels, which fit their bars).
  const overlaps = await page.evaluate(() => {
    const boxes = [...document.querySelectorAll('.history-diagram .hist-op')].map((g) => {
      const r = g.querySelector('rect').getBBox();
      const t = g.querySelector('text').getBBox();
      return { y: r.y, x0: Math.min(r.x, t.x), x1: Math.max(r.x + r.width, t.x + t.width) };
    });
    let n = 0;
    for (const a of boxes) for (const b of boxes) if (a !== b && a.y === b.y && a.x0 < b.x1 && b.x0 < a.x1) n++;
    return n;
  });
  assert.equal(overlaps, 0);
  await screenshot(page, 'history-dropped');
  // Downloads as a framed SVG.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download SVG' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'stale-read.svg');
  // Closing returns to the run exactly as it was.
  await page.keyboard.press('Escape');
  await dialog(page).waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => location.hash), before);
  assert.deepEqual(problems, []);
  await context.close();
});

test('conventions and models: Knossos’ register starting at 0, a key-value history from the Export dialog', async () => {
  const { page, problems, context } = await open('preset=two-am-failover');
  // Under ReplicaScope's conventions a read of 0 that nobody wrote is a violation; under
  // Knossos' (registers start at 0, a nil read matches anything) the history is fine.
  const knossos = `[{:process 0, :type :invoke, :f :read, :value nil}
 {:process 0, :type :ok, :f :read, :value 0}
 {:process 1, :type :invoke, :f :cas, :value [0 4]}
 {:process 1, :type :ok, :f :cas, :value [0 4]}
 {:process 0, :type :invoke, :f :read, :value nil}
 {:process 0, :type :ok, :f :read, :value nil}]`;
  await drop(page, 'knossos.edn', knossos);
  await page.locator('.history-verdict', { hasText: 'Not linearizable' }).waitFor();
  assert.match(await page.locator('.history-why').innerText(), /“read 0” \(process 0\) alone cannot happen/);
  await page.getByRole('button', { name: 'Knossos’ conventions' }).click();
  await page.locator('.history-verdict', { hasText: 'Linearizable' }).waitFor();
  assert.equal(await page.getByLabel('Initial value').inputValue(), '0');
  // A value that is not a number is refused beside the field, and nothing is rechecked.
  await page.getByLabel('Initial value').fill('zero');
  await page.locator('.history-settings .field-problem').waitFor();
  await page.keyboard.press('Escape');
  // The Export dialog opens a history too; a key-value file is recognised as one, key by key,
  // and a hostile value is shown as text.
  await page.getByRole('button', { name: 'Export' }).click();
  const kv = `{:process 0, :type :invoke, :f :append, :key "x", :value "a"}
{:process 0, :type :ok, :f :append, :key "x", :value "a"}
{:process 1, :type :invoke, :f :append, :key "x", :value "<img src=q onerror=alert(1)>"}
{:process 1, :type :ok, :f :append, :key "x", :value "<img src=q onerror=alert(1)>"}
{:process 2, :type :invoke, :f :get, :key "x", :value nil}
{:process 2, :type :ok, :f :get, :key "x", :value "a"}
{:process 2, :type :invoke, :f :get, :key "y", :value nil}
{:process 2, :type :ok, :f :get, :key "y", :value ""}`;
  await page.getByLabel('Open a history').setInputFiles({ name: 'porcupine-kv.edn', mimeType: 'application/edn', buffer: Buffer.from(kv) });
  await page.locator('.history-verdict', { hasText: 'Not linearizable: 1 of 2 objects' }).waitFor();
  assert.equal(await page.getByLabel('Model').inputValue(), 'kv');
  assert.match(await page.getByLabel('Object').locator('option:checked').innerText(), /^x — not linearizable/);
  assert.equal(await page.locator('.history img').count(), 0, 'nothing from the file is markup');
  assert.match(await page.locator('.history-why').innerText(), /<img src=q/);
  await page.getByLabel('Object').selectOption({ label: 'y — linearizable' });
  assert.equal(await page.locator('.history-diagram .hist-op.violating').count(), 0);
  await screenshot(page, 'history-kv');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a broken history gets its line and reason, and the page keeps working', async () => {
  const { page, problems, context } = await open('preset=two-am-failover');
  await drop(page, 'broken.edn', '{:process 0, :type :invoke, :f :write, :value 1}\n{:process 0, :type :ok, :f :write :value}\n');
  await page.locator('.history-error', { hasText: 'line 2' }).waitFor();
  await screenshot(page, 'history-broken');
  // A completion with no invocation.
  await page.keyboard.press('Escape');
  await drop(page, 'orphan.edn', '{:process 0, :type :ok, :f :read, :value 1}');
  await page.locator('.history-error', { hasText: 'never invoked' }).waitFor();
  await page.keyboard.press('Escape');
  await dialog(page).waitFor({ state: 'detached' });
  // The page still plays.
  await page.getByRole('button', { name: /^Play/ }).click();
  await page.waitForFunction(() => document.querySelector('.clock')?.textContent !== '0.000 s');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a 10,000-operation history is checked off the page: the page keeps drawing, the violation is found', async () => {
  const { page, problems, context } = await open('preset=two-am-failover');
  // Ten processes taking turns, each operation overlapping the next one's start; every write a
  // new value, every read the value of the write before it — except one read, deep inside, that
  // returns a value overwritten long before.
  const lines = [];
  let t = 0;
  let last = null;
  for (let i = 0; i < 5000; i++) {
    const p = i % 10;
    lines.push(`{:process ${p}, :type :invoke, :f :write, :value ${i}, :time ${t}}`);
    lines.push(`{:process ${p}, :type :ok, :f :write, :value ${i}, :time ${t + 10}}`);
    const seen = i === 3500 ? 3400 : i;
    lines.push(`{:process ${p}, :type :invoke, :f :read, :value nil, :time ${t + 20}}`);
    lines.push(`{:process ${p}, :type :ok, :f :read, :value ${seen}, :time ${t + 30}}`);
    t += 40;
    last = seen;
  }
  assert.equal(last, 4999);
  const started = Date.now();
  await drop(page, 'long.edn', lines.join('\n'));
  await page.locator('.history [role=status]', { hasText: 'Checking the history' }).waitFor();
  // While the worker checks, the page keeps drawing frames.
  const frames = await page.evaluate(() => new Promise((resolve) => {
    let n = 0;
    const end = performance.now() + 500;
    const tick = (now) => (now < end ? (n++, requestAnimationFrame(tick)) : resolve(n));
    requestAnimationFrame(tick);
  }));
  await page.locator('.history-verdict', { hasText: 'Not linearizable' }).waitFor({ timeout: 60000 });
  const seconds = (Date.now() - started) / 1000;
  console.log(`10,000 operations: verdict and drawing in ${seconds.toFixed(1)} s; ${frames} frames in 0.5 s while checking`);
  assert.ok(frames >= 15, `the page kept drawing while the worker checked (${frames} frames in 0.5 s)`);
  assert.match(await page.locator('.history-verdict').innerText(), /10000 operations from 10 processes/);
  const labels = await page.locator('.history-diagram .hist-op.violating title').allTextContents();
  assert.ok(labels.some((l) => l.endsWith('read 3400')), labels.join(', '));
  assert.ok(labels.length <= 4, labels.join(', '));
  assert.match(await page.locator('.history-legend').innerText(), /Showing \d+ of 10000 operations, around the violation/);
  // Each violating operation is drawn with its few neighbours only, so all three are in view
  // without scrolling.
  const hidden = await page.evaluate(() => {
    const box = document.querySelector('.history-diagram').getBoundingClientRect();
    return [...document.querySelectorAll('.history-diagram .hist-op.violating rect')]
      .filter((r) => r.getBoundingClientRect().right > box.right).length;
  });
  assert.equal(hidden, 0);
  await screenshot(page, 'history-long');
  assert.deepEqual(problems, []);
  await context.close();
});
