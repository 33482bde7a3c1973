// Frames while playing at a CPU slowdown, measured a second into playback for 5 s: frames per
// second and how many frames took one, two or more vsync intervals (16.7 ms). A tool for
// comparing builds (`DIST=folder`, alternating); nothing is asserted. `bench-page.mjs` measures
// its own 4× window later in the run, after 10 s of playing.
//
//   node e2e/frame-gaps.mjs [fragment]        (SLOW=4 by default; DIST=folder for another build)
import { serve, launch, openPage } from './lib.mjs';

const fragment = process.argv[2] || '';
const slow = Number(process.env.SLOW || 4);
const { server, base } = await serve();
const browser = await launch();
const { page } = await openPage(browser, { width: 1440, height: 900 });
await page.goto(base + fragment);
await page.waitForSelector('table.comparison tbody tr', { timeout: 60000 });
await page.waitForTimeout(500);
const cdp = await page.context().newCDPSession(page);
await cdp.send('Emulation.setCPUThrottlingRate', { rate: slow });
await page.click('button[aria-label=Play]');
await page.waitForTimeout(1000);
const gaps = await page.evaluate(async () => {
  const t = [];
  const start = performance.now();
  while (performance.now() - start < 5000) t.push(await new Promise((r) => requestAnimationFrame(r)));
  return t.slice(1).map((x, i) => x - t[i]);
});
await browser.close();
server.close();
const intervals = {};
for (const g of gaps) {
  const k = Math.max(1, Math.round(g / 16.67));
  intervals[k] = (intervals[k] || 0) + 1;
}
const fps = gaps.length / (gaps.reduce((a, b) => a + b, 0) / 1000);
console.log(JSON.stringify({ slowdown: slow, frames: gaps.length, fps: Math.round(fps * 10) / 10, frames_by_vsync_intervals: intervals }));
