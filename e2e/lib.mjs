// Shared harness for the end-to-end tests: serves dist/ on loopback under a sub-path (so that
// relative URLs are exercised), launches Debian's Chromium through playwright-core, and records
// every console error, page error and request to a host that is not loopback. A test fails if
// any of them happened.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { before, after } from 'node:test';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..');
// `DIST` serves another build (A/B comparisons of two builds).
export const dist = process.env.DIST ? path.resolve(process.env.DIST) : path.join(root, 'dist');
export const shots = path.join(here, 'screenshots');
export const SUBPATH = '/courses/distributed-systems/replicascope/';

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** Serves dist/ under SUBPATH on 127.0.0.1 at a free port. */
export async function serve() {
  if (!fs.existsSync(path.join(dist, 'index.html'))) {
    throw new Error('dist/index.html is missing: run `trunk build --release` first');
  }
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (!url.pathname.startsWith(SUBPATH)) {
      res.writeHead(404).end('not under the sub-path');
      return;
    }
    let rel = decodeURIComponent(url.pathname.slice(SUBPATH.length)) || 'index.html';
    const file = path.normalize(path.join(dist, rel));
    if (!file.startsWith(dist) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] || 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return { server, base: `http://127.0.0.1:${port}${SUBPATH}` };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/** Records a page's problems in `problems`: console errors, page errors, requests that leave
 * loopback. Every page a test opens — the first one and any it opens later in the same context —
 * goes through this, so a problem on any of them fails the test. */
export function watch(page, problems) {
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return;
    if (u.hostname !== '127.0.0.1' && u.hostname !== 'localhost') problems.push(`request left loopback: ${r.url()}`);
  });
  return page;
}

/** A page that records problems (see `watch`); `newPage()` opens another watched page in the
 * same context. */
export async function openPage(browser, { width = 1440, height = 900, reducedMotion = 'no-preference', colorScheme = 'light' } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, reducedMotion, colorScheme });
  const problems = [];
  const page = watch(await context.newPage(), problems);
  const newPage = async () => watch(await context.newPage(), problems);
  return { context, page, problems, newPage };
}

export async function screenshot(page, name) {
  fs.mkdirSync(shots, { recursive: true });
  const file = path.join(shots, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

/** Waits until the app has rendered its panes. */
export async function ready(page) {
  await page.waitForSelector('.pane .node', { timeout: 30000 });
}

/** Simulated time shown, microseconds. */
export async function shownTime(page) {
  return Number(await page.getAttribute('.clock .now', 'data-time-us'));
}

/** Elements that stick out past the right edge of the viewport (content inside a scrolling or
 * clipping container that itself fits does not count). */
export async function overflowing(page) {
  return page.evaluate(() => {
    const fits = (el) => {
      for (let a = el.parentElement; a; a = a.parentElement) {
        const o = getComputedStyle(a).overflowX;
        if ((o === 'auto' || o === 'scroll' || o === 'hidden') && a.getBoundingClientRect().right <= window.innerWidth + 1) return true;
      }
      return false;
    };
    return [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !fits(e))
      .slice(0, 5)
      .map((e) => `${e.tagName}.${e.className.baseVal ?? e.className} right=${Math.round(e.getBoundingClientRect().right)}`);
  });
}

/** Serves dist/ and launches Chromium for the tests of one file; `h.base` and `h.browser` are
 * set once `before` has run. `h.open(fragment, opts)` opens the page at `#fragment` (none: the
 * bare page) and waits until it is ready. */
export function harness() {
  const h = {};
  h.open = async (fragment, opts = {}) => {
    const o = await openPage(h.browser, opts);
    await o.page.goto(h.base + (fragment ? '#' + fragment : ''));
    await ready(o.page);
    return o;
  };
  before(async () => {
    ({ server: h.server, base: h.base } = await serve());
    h.browser = await launch();
  });
  after(async () => {
    await h.browser?.close();
    h.server?.close();
  });
  return h;
}
