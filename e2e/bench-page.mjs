// The page's budgets (issue 20), measured in headless Chromium against the release build and
// printed; nothing is asserted, because timings on a shared machine are noise for a test.
//
//   bash scripts/bench-page               the default page and the benchmark scenario
//   bash scripts/bench-page --scaling     also: how the figures grow with nodes, messages in
//                                        flight and run length
//
// For each scenario, opened at 1440×900 at 1× speed:
//  - transfer: every file the page fetched by the end (its first 10 s of playback included),
//    gzipped here one by one, as a static host would send them;
//  - load: time to the panes and to the finished runs (the comparison table), and the main
//    thread's long tasks (over 50 ms) until then;
//  - playing 1×, 10 s: the main thread's busy share (Chromium's own task-time counter, untraced),
//    frames per second and the frame interval's p95, tasks over 50 ms;
//  - the same at 4× CPU slowdown (Chromium's throttling): frames per second;
//  - seek: from the scrubber's input event to the painted frame (the end of the first animation
//    frame after it), 0 → end, end → 0 and to the middle; median of 5 each;
//  - wasm memory: the linear memory's size after load and after playing (it never shrinks: its
//    growth is the high-water mark).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { serve, launch, openPage, root, dist } from './lib.mjs';

const SECONDS = Number(process.env.SECONDS_OF_PLAY || 10);
const scaling = process.argv.includes('--scaling');

function linkOf(file) {
  return execFileSync('cargo', ['run', '-q', '--release', '-p', 'replicascope-cli', '--', 'link', file], { cwd: root, encoding: 'utf8' }).trim();
}

const median = (xs) => {
  const s = [...xs].filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
};
const quantile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN;
};
const round = (v, d = 1) => (Number.isFinite(v) ? +v.toFixed(d) : null);

async function scrubTo(page, ms) {
  // From the input event to the end of the next animation frame: the frame that paints it.
  return page.$eval('.scrubber input[type=range]', (el, ms) => new Promise((resolve) => {
    const t0 = performance.now();
    el.value = String(ms);
    el.dispatchEvent(new Event('input', { bubbles: true }));
    requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - t0), 0));
  }), ms);
}

async function measure(browser, base, name, fragment, { full = true } = {}) {
  const { context, page, problems } = await openPage(browser, { width: 1440, height: 900 });
  await context.addInitScript(() => {
    window.__long = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push(e.duration); })
      .observe({ type: 'longtask', buffered: true });
    addEventListener('TrunkApplicationStarted', (e) => { window.__wasm = e.detail.wasm; });
    // No tour invitation over the panes.
    try { localStorage.setItem('replicascope.tour-invited', '1'); } catch {}
  });
  const fetched = new Set();
  page.on('request', (r) => fetched.add(r.url()));
  const started = Date.now();
  await page.goto(base + '#' + fragment);
  await page.waitForSelector('.pane .node', { timeout: 60000 });
  const toPanes = Date.now() - started;
  await page.waitForSelector('table.comparison tbody tr', { timeout: 600000 });
  const toRuns = Date.now() - started;
  const loadLong = await page.evaluate(() => window.__long.slice());
  const memory = () => page.evaluate(() => window.__wasm?.memory?.buffer?.byteLength ?? null);
  const memoryLoaded = await memory();

  // Playing at 1×, untraced (a trace's own cost would be counted): the busy share from
  // Chromium's cumulative main-thread task time, frames from an animation-frame counter, long
  // tasks from the page's own observer.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const taskSeconds = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration').value;
  await page.evaluate(() => {
    window.__frames = [];
    window.__long = [];
    const tick = (t) => { window.__frames.push(t); requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  });
  const inFlight = [];
  await page.click('button[aria-label=Play]');
  const [task0, wall0] = [await taskSeconds(), Date.now()];
  for (let i = 0; i < SECONDS * 2; i++) {
    await page.waitForTimeout(500);
    inFlight.push(await page.$$eval('canvas.diagram-messages', (cs) => cs.reduce((n, c) => n + Number(c.dataset.count || 0), 0)));
  }
  const [task1, wall1] = [await taskSeconds(), Date.now()];
  const { frames, long } = await page.evaluate(() => ({ frames: window.__frames.slice(), long: window.__long.slice() }));
  const gaps = frames.slice(1).map((t, i) => t - frames[i]);
  const busy = (task1 - task0) / ((wall1 - wall0) / 1000);
  const memoryPlayed = await memory();

  const result = {
    scenario: name,
    nodes_per_pane: await page.$$eval('section.pane', (ps) => ps.map((p) => p.querySelectorAll('svg.diagram .node').length)),
    load: { to_panes_ms: toPanes, to_finished_runs_ms: toRuns, long_tasks: loadLong.length, longest_task_ms: round(Math.max(0, ...loadLong), 0) },
    playing_1x: {
      messages_in_flight_median: median(inFlight),
      main_thread_busy_percent: round(100 * busy),
      fps: round(frames.length > 1 ? (frames.length - 1) / ((frames[frames.length - 1] - frames[0]) / 1000) : NaN),
      frame_interval_p95_ms: round(quantile(gaps, 0.95)),
      tasks_over_50ms: long.length,
      longest_task_ms: round(Math.max(0, ...long)),
    },
    wasm_memory_mb: { loaded: round(memoryLoaded / 2 ** 20), after_playing: round(memoryPlayed / 2 ** 20) },
  };

  if (full) {
    // 4× CPU slowdown, still playing.
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    const fps4 = await page.evaluate(() => new Promise((resolve) => {
      let frames = 0;
      const t0 = performance.now();
      const tick = () => {
        frames++;
        if (performance.now() - t0 < 5000) requestAnimationFrame(tick);
        else resolve(frames / ((performance.now() - t0) / 1000));
      };
      requestAnimationFrame(tick);
    }));
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    result.fps_at_4x_slowdown = round(fps4);

    // Seeks, paused.
    await page.click('button[aria-label=Pause]');
    const end = Number(await page.getAttribute('.scrubber input[type=range]', 'max'));
    const seeks = { zero_to_end: [], end_to_zero: [], to_middle: [] };
    for (let i = 0; i < 5; i++) {
      await scrubTo(page, 0);
      await page.waitForTimeout(100);
      seeks.zero_to_end.push(await scrubTo(page, end));
      await page.waitForTimeout(100);
      seeks.end_to_zero.push(await scrubTo(page, 0));
      await page.waitForTimeout(100);
      seeks.to_middle.push(await scrubTo(page, Math.round(end / 2) + i * 7));
      await page.waitForTimeout(100);
    }
    result.seek_to_painted_frame_ms = Object.fromEntries(Object.entries(seeks).map(([k, v]) => [k, round(median(v))]));
  }

  // What was fetched, gzipped file by file.
  const files = [];
  for (const url of fetched) {
    const u = new URL(url);
    if (!u.pathname.startsWith(new URL(base).pathname)) continue;
    const rel = decodeURIComponent(u.pathname.slice(new URL(base).pathname.length)) || 'index.html';
    const file = path.join(dist, rel);
    if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) continue;
    const bytes = fs.readFileSync(file);
    files.push({ file: rel, bytes: bytes.length, gzip: zlib.gzipSync(bytes, { level: 9 }).length });
  }
  files.sort((a, b) => b.gzip - a.gzip);
  result.transfer = {
    gzip_kb: round(files.reduce((n, f) => n + f.gzip, 0) / 1024),
    files: files.map((f) => `${f.file} ${round(f.gzip / 1024)} KB`),
  };
  result.page_problems = problems;
  await context.close();
  return result;
}

const { server, base } = await serve();
const browser = await launch();
const results = [];
try {
  results.push(await measure(browser, base, 'default page (its first preset)', 'speed=1'));
  results.push(await measure(browser, base, 'scenarios/bench/frames.json', linkOf('scenarios/bench/frames.json') + '&speed=1'));
  for (const r of results) console.log(JSON.stringify(r, null, 2));

  if (scaling) {
    // The benchmark scenario, varied one dimension at a time.
    const bench = JSON.parse(fs.readFileSync(path.join(root, 'scenarios/bench/frames.json'), 'utf8'));
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-page-'));
    const variant = (label, change) => {
      const s = structuredClone(bench);
      change(s);
      const file = path.join(tmp, `${label.replace(/\W+/g, '-')}.json`);
      fs.writeFileSync(file, JSON.stringify(s));
      return { label, fragment: linkOf(file) + '&speed=1' };
    };
    const nodes = (n) => (s) => {
      const q = Math.min(n, 5);
      s.topologies.leader_follower.nodes = n;
      // Multi-leader has at most five leaders: the rest are their followers.
      const leaders = n <= 5 ? n : 4;
      Object.assign(s.topologies.multi_leader, { leaders, followers: n / leaders - 1 });
      Object.assign(s.topologies.leaderless, { nodes: n, n: q, w: Math.floor(q / 2) + 1, r: Math.floor(q / 2) + 1 });
    };
    const rate = (r) => (s) => { s.workload.generator.rate = r; };
    const length = (secs, r) => (s) => {
      s.duration = `${secs}s`;
      s.workload.generator.rate = r;
      s.workload.generator.stop = `${secs - 2}s`;
    };
    const variants = [
      variant('nodes 3', nodes(3)), variant('nodes 8', nodes(8)), variant('nodes 16', nodes(16)),
      variant('rate 500/s', rate(500)), variant('rate 2000/s', rate(2000)), variant('rate 5000/s', rate(5000)),
      // At most 100,000 operations in a run: 150 a second for ten minutes.
      variant('run 10 s', length(10, 150)), variant('run 60 s', length(60, 150)), variant('run 600 s', length(600, 150)),
    ];
    const rows = [];
    for (const v of variants) {
      const r = await measure(browser, base, v.label, v.fragment, { full: false });
      rows.push([v.label, r.playing_1x.messages_in_flight_median, r.load.to_finished_runs_ms, r.playing_1x.main_thread_busy_percent,
        r.playing_1x.fps, r.playing_1x.frame_interval_p95_ms, r.playing_1x.tasks_over_50ms, r.wasm_memory_mb.loaded, r.wasm_memory_mb.after_playing]);
      if (r.page_problems.length) console.log(v.label, 'problems:', r.page_problems);
    }
    console.log('\n| variant of the benchmark | in flight | runs ready, ms | busy % | fps | frame interval p95, ms | tasks > 50 ms | wasm MB loaded | after 10 s |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  }
} finally {
  await browser.close();
  server.close();
}
