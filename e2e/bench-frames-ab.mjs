// Frame-time A/B: two or more builds of the page, played alternately in one browser (3 rounds of
// 5 s each by default), so that a change is measured against the machine's drift, not across
// hours. Prints frame-task p50/p95/mean and the animation-frame callback's p50/p95 per build.
//
//   trunk build --release && cp -r dist /tmp/before     (on the old commit)
//   trunk build --release && cp -r dist /tmp/after      (on the new one)
//   node e2e/bench-frames-ab.mjs /tmp/before /tmp/after
//
// ROUNDS and SECONDS change the rounds and their length. Same scenario as bench-frames.mjs.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { launch, openPage, root } from './lib.mjs';

const dists = process.argv.slice(2).map((d) => path.resolve(d));
if (dists.length < 1 || dists.some((d) => !fs.existsSync(path.join(d, 'index.html')))) {
  console.error('usage: node e2e/bench-frames-ab.mjs DIST [DIST...]  (folders holding a built index.html)');
  process.exit(2);
}
const rounds = Number(process.env.ROUNDS || 3);
const seconds = Number(process.env.SECONDS || 5);
const fragment = execFileSync('cargo', ['run', '-q', '--release', '-p', 'replicascope-cli', '--', 'link', 'scenarios/bench/frames.json', '--t', '3'], { cwd: root, encoding: 'utf8' }).trim();
const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
// Build k is served under /k/.
const server = http.createServer((req, res) => {
  const [, k, ...rest] = new URL(req.url, 'http://127.0.0.1').pathname.split('/');
  const dir = dists[Number(k)];
  const file = dir && path.normalize(path.join(dir, decodeURIComponent(rest.join('/')) || 'index.html'));
  if (!file || !file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;
const browser = await launch();
const results = dists.map(() => ({ task: [], raf: [] }));
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < dists.length; k++) {
    const { page } = await openPage(browser, { width: 1440, height: 900 });
    await page.goto(`http://127.0.0.1:${port}/${k}/#${fragment}`);
    await page.waitForSelector('table.comparison tbody tr', { timeout: 120000 });
    await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
    await page.click('button[aria-label=Play]');
    await page.waitForTimeout(seconds * 1000);
    await page.click('button[aria-label=Pause]');
    const trace = JSON.parse((await browser.stopTracing()).toString('utf8'));
    const events = trace.traceEvents ?? trace;
    const main = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
    const onMain = events.filter((e) => main.has(`${e.pid}:${e.tid}`) && e.ph === 'X' && typeof e.dur === 'number');
    const raf = onMain.filter((e) => e.name === 'FireAnimationFrame');
    const tasks = onMain.filter((e) => e.name === 'RunTask');
    results[k].task.push(...raf.map((f) => tasks.find((t) => t.ts <= f.ts && t.ts + t.dur >= f.ts + f.dur)).filter(Boolean).map((t) => t.dur / 1000));
    results[k].raf.push(...raf.map((e) => e.dur / 1000));
    await page.context().close();
  }
}
const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
dists.forEach((d, k) => {
  const { task, raf } = results[k];
  console.log(`frame p50 ${q(task, 0.5).toFixed(2)} p95 ${q(task, 0.95).toFixed(2)} mean ${mean(task).toFixed(2)} | callback p50 ${q(raf, 0.5).toFixed(2)} p95 ${q(raf, 0.95).toFixed(2)} | n=${task.length} :: ${d}`);
});
await browser.close();
server.close();
