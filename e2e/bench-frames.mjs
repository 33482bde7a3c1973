// Frame-time benchmark (issue 8): 10 s of playback in headless Chromium with three panes of five
// nodes and several hundred messages in flight (scenarios/bench/frames.json). Prints figures; it
// asserts nothing, because timings on a shared machine are noise for a test.
//
//   bash scripts/bench-frames          (builds the page and the CLI first)
//
// Figures, from a Chromium performance trace of the page's main thread:
//  - frame time: the main-thread task of each frame (the app's update and render, then style,
//    layout and paint), p50, p95, max; and the animation-frame callback alone;
//  - main-thread tasks: p95, max, and how many took longer than 50 ms;
//  - frames per second actually produced, and the messages in flight drawn.
import { execFileSync } from 'node:child_process';
import { serve, launch, openPage, root } from './lib.mjs';

const seconds = Number(process.env.SECONDS_OF_PLAY || 10);
const fragment = execFileSync('cargo', ['run', '-q', '--release', '-p', 'replicascope-cli', '--', 'link', 'scenarios/bench/frames.json', '--t', '3'], { cwd: root, encoding: 'utf8' }).trim();

const { server, base } = await serve();
const browser = await launch();
const { page, problems } = await openPage(browser, { width: 1440, height: 900 });
await page.goto(base + '#' + fragment);
await page.waitForSelector('.pane .node', { timeout: 30000 });
await page.waitForSelector('table.comparison tbody tr', { timeout: 120000 });
if (process.env.EXTRA_CSS) await page.addStyleTag({ content: process.env.EXTRA_CSS });
const nodes = await page.$$eval('section.pane', (ps) => ps.map((p) => p.querySelectorAll('svg.diagram .node').length));

await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
await page.click('button[aria-label=Play]');
const inFlight = [];
for (let i = 0; i < seconds * 4; i++) {
  await page.waitForTimeout(250);
  inFlight.push(await page.$$eval('canvas.diagram-messages', (cs) => cs.reduce((n, c) => n + Number(c.dataset.count), 0)));
}
await page.click('button[aria-label=Pause]');
const trace = JSON.parse((await browser.stopTracing()).toString('utf8'));

const events = trace.traceEvents ?? trace;
const main = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
const onMain = events.filter((e) => main.has(`${e.pid}:${e.tid}`) && e.ph === 'X' && typeof e.dur === 'number');
const ms = (e) => e.dur / 1000;
const q = (xs, p) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const rafEvents = onMain.filter((e) => e.name === 'FireAnimationFrame');
const raf = rafEvents.map(ms);
// The whole frame: the main-thread task that ran the animation-frame callback, which also
// recalculates styles, lays out and paints.
const runTasks = onMain.filter((e) => e.name === 'RunTask');
const frameTasks = rafEvents.map((r) => runTasks.find((t) => t.ts <= r.ts && t.ts + t.dur >= r.ts + r.dur)).filter(Boolean).map(ms);
const byName = new Map();
for (const e of onMain) if (e.name !== 'RunTask' && e.name !== 'ThreadControllerImpl::RunTask') byName.set(e.name, (byName.get(e.name) || 0) + ms(e));
const top = Object.fromEntries([...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([k, v]) => [k, +(v / seconds).toFixed(1)]));
const tasks = onMain.filter((e) => e.name === 'RunTask').map(ms);
const frames = onMain.filter((e) => e.name === 'BeginMainFrame' || e.name === 'Commit').length;
const fmt = (v) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');

console.log(JSON.stringify({
  scenario: 'scenarios/bench/frames.json',
  nodes_per_pane: nodes,
  seconds_of_playback: seconds,
  messages_in_flight: { min: Math.min(...inFlight), median: q(inFlight, 0.5), max: Math.max(...inFlight) },
  frame_task_ms: { frames: frameTasks.length, p50: fmt(q(frameTasks, 0.5)), p95: fmt(q(frameTasks, 0.95)), max: fmt(Math.max(...frameTasks)) },
  main_thread_ms_per_second_by_event: top,
  animation_frame_ms: { frames: raf.length, p50: fmt(q(raf, 0.5)), p95: fmt(q(raf, 0.95)), max: fmt(Math.max(...raf)) },
  main_thread_tasks_ms: { tasks: tasks.length, p95: fmt(q(tasks, 0.95)), max: fmt(Math.max(...tasks)), over_50ms: tasks.filter((t) => t > 50).length },
  frame_task_histogram_ms: Object.fromEntries([2, 4, 6, 8, 10, 12, 16, 20, 33, 50, Infinity].map((hi, i, a) => [
    `${i ? a[i - 1] : 0}-${hi}`, frameTasks.filter((t) => t >= (i ? a[i - 1] : 0) && t < hi).length])),
  frames_per_second: fmt(raf.length / seconds),
  page_problems: problems,
}, null, 2));
await browser.close();
server.close();
