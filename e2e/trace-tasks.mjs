// Where a page's long main-thread tasks go, from a Chromium trace: each task over MIN ms, with the
// time its parts took (script, style, layout, paint, …). A tool for finding the cause of the
// figures `bench-page.mjs` prints; nothing is asserted.
//
//   node e2e/trace-tasks.mjs [load|play|seek] [fragment]     (DIST=folder for another build)
import fs from 'node:fs';
import { serve, launch, openPage } from './lib.mjs';

const what = process.argv[2] || 'load';
const fragment = process.argv[3] || '';
const MIN = Number(process.env.MIN || 30);

const { server, base } = await serve();
const browser = await launch();
const { page } = await openPage(browser, { width: 1440, height: 900 });
const cats = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'blink', 'toplevel'];
if (what !== 'load') {
  await page.goto(base + fragment);
  await page.waitForSelector('.compare table', { timeout: 60000 });
  await page.waitForTimeout(1000);
}
await browser.startTracing(page, { categories: cats });
if (what === 'load') {
  await page.goto(base + fragment);
  await page.waitForSelector('.compare table', { timeout: 60000 });
  await page.waitForTimeout(500);
} else if (what === 'play') {
  await page.keyboard.press('Space');
  await page.waitForTimeout(5000);
  await page.keyboard.press('Space');
} else if (what === 'seek') {
  for (const ms of [1e9, 0, 30000, 1e9, 0]) {
    await page.$eval('.scrubber input[type=range]', (el, ms) => {
      el.value = String(Math.min(ms, Number(el.max)));
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }, ms);
    await page.waitForTimeout(300);
  }
}
const buf = await browser.stopTracing();
await browser.close();
server.close();
const events = JSON.parse(buf.toString()).traceEvents;
const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
const mine = events.filter((e) => e.pid === main.pid && e.tid === main.tid && e.ph === 'X');
const tasks = mine.filter((e) => e.name === 'ThreadControllerImpl::RunTask' || e.name === 'RunTask');
const parts = ['FunctionCall', 'EvaluateScript', 'v8.compile', 'v8.compileModule', 'UpdateLayoutTree', 'Layout', 'PrePaint', 'Paint', 'Layerize', 'Commit', 'ParseHTML', 'FireAnimationFrame', 'TimerFire', 'EventDispatch', 'HitTest', 'v8.wasm.compiledModule', 'v8.wasm.streamFromResponseCallback', 'UpdateLayer', 'RasterTask', 'ScheduleStyleRecalculation', 'MajorGC', 'MinorGC', 'V8.GC_MARK_COMPACTOR', 'BlinkGC.AtomicPhase', 'wasm.CompileLazy', 'v8.wasm.lazyCompile'];
let busy = 0;
for (const t of tasks) busy += t.dur / 1000;
const span = (Math.max(...mine.map((e) => e.ts + (e.dur || 0))) - Math.min(...mine.map((e) => e.ts))) / 1000;
console.log(`${what}: ${tasks.length} tasks, ${busy.toFixed(0)} ms busy over ${span.toFixed(0)} ms`);
const agg = {};
for (const e of mine) {
  if (parts.includes(e.name)) agg[e.name] = (agg[e.name] || 0) + e.dur / 1000;
}
console.log('  all tasks:', Object.entries(agg).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', '));
for (const t of tasks.filter((t) => t.dur / 1000 >= MIN)) {
  const inside = mine.filter((e) => e !== t && e.ts >= t.ts && e.ts + (e.dur || 0) <= t.ts + t.dur && parts.includes(e.name));
  const by = {};
  for (const e of inside) by[e.name] = (by[e.name] || 0) + e.dur / 1000;
  console.log(`  task ${(t.dur / 1000).toFixed(1)} ms at ${((t.ts - tasks[0].ts) / 1000).toFixed(0)}:`, Object.entries(by).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', '));
}
if (process.env.TRACE_OUT) fs.writeFileSync(process.env.TRACE_OUT, buf);
