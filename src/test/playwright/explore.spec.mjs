// End-to-end check of `glassbox explore` in headless Chromium, run by ExplorerBrowserTest:
//   node explore.spec.mjs URL EXPECTED_TOP_ID OUT_DIR
// with CHROMIUM naming the browser binary (Debian's /usr/bin/chromium; Playwright downloads none).
// Prints one JSON line of findings on success; exits 1 with a message on the first failed check.
import { chromium } from 'playwright-core';

const [url, expectedTop, outDir] = process.argv.slice(2);
const problems = [];
const fail = (msg) => { throw new Error(msg); };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
try {
  const page = await browser.newPage({ viewport: { width: 800, height: 1000 } });
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
  page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
  page.on('requestfailed', (r) => problems.push('request failed: ' + r.url()));
  page.setDefaultTimeout(20000);
  await page.goto(url);
  await page.waitForSelector('body[data-ex-state="ready"]');
  const found = {};

  // type a prompt and run it: the top token is the model's
  await page.fill('#prompt', 'Once upon a time');
  await page.click('#run');
  await page.waitForSelector('#dist .row[data-rank="1"]');
  await page.waitForSelector('body[data-ex-state="ready"]');
  found.top = await page.getAttribute('#dist .row[data-rank="1"]', 'data-id');
  if (found.top !== expectedTop) fail(`top token id ${found.top}, expected ${expectedTop}`);
  found.tokens = await page.locator('#tokens .chip').count();
  found.keptBefore = Number(await page.getAttribute('#dist', 'data-kept'));

  // a slider: top-k 3 leaves three survivors among the listed tokens
  await page.locator('#top-k').fill('3');
  await page.waitForSelector('#dist[data-kept="3"]');
  await page.waitForSelector('body[data-ex-state="ready"]');
  found.keptAfter = Number(await page.getAttribute('#dist', 'data-kept'));
  found.removed = await page.locator('#dist .row.removed').count();
  if (!(found.keptBefore > found.keptAfter)) fail(`survivors did not change: ${found.keptBefore} -> ${found.keptAfter}`);
  if (!(await page.isChecked('#sample'))) fail('moving a slider did not switch to sampling');

  // click a head: its pattern is drawn with token labels, and hovering a cell names the tokens
  await page.click('#layers button[data-layer="1"]');
  await page.waitForSelector('#heads canvas[data-layer="1"][data-head="2"]');
  await page.click('#heads canvas[data-layer="1"][data-head="2"]');
  await page.waitForSelector('#head-title[data-layer="1"][data-head="2"]');
  await page.waitForSelector('body[data-ex-state="ready"]');
  found.headTitle = await page.textContent('#head-title');
  found.detailWidth = await page.$eval('#head-canvas', (c) => c.width);
  if (found.detailWidth <= 120) fail(`the head's pattern was not drawn (canvas ${found.detailWidth} px wide)`);
  await page.locator('#head-canvas').scrollIntoViewIfNeeded();
  const box = await page.locator('#head-canvas').boundingBox();
  const scale = box.width / found.detailWidth;
  const cell = Math.max(10, Math.min(28, Math.floor(560 / found.tokens)));
  await page.mouse.move(box.x + (110 + cell * 0.5) * scale, box.y + (110 + cell * (found.tokens - 0.5)) * scale);
  found.hover = await page.textContent('#hover');
  if (!/layer 1, head 2[\s\S]*reads position 0/.test(found.hover)) fail(`hover says: ${found.hover}`);

  // the lens and the attribution are drawn, with their legends
  found.lensStages = Number(await page.getAttribute('#lens', 'data-stages'));
  found.lensRows = await page.locator('#lens tbody tr').count();
  found.dlaBars = await page.locator('#dla-bars .dla').count();
  found.legends = await page.locator('.scale .ramp').count();
  // the patching sweep between the two prefilled prompts: four labelled grids
  await page.click('#patch-run');
  await page.waitForSelector('#patch-grids[data-grids="4"]', { timeout: 60000 });
  await page.waitForSelector('body[data-ex-state="ready"]');
  found.patchGrids = Number(await page.getAttribute('#patch-grids', 'data-grids'));
  found.patchSummary = await page.textContent('#patch-summary');
  found.patchHeaders = await page.locator('#patch-grids table').first().locator('thead th').count();
  found.scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  if (found.scrollWidth > 800) fail(`the page is ${found.scrollWidth} px wide at an 800 px window`);
  if (outDir) await page.screenshot({ path: outDir + '/explore-800.png', fullPage: true });
  await page.setViewportSize({ width: 1280, height: 1000 });
  found.scrollWidthWide = await page.evaluate(() => document.documentElement.scrollWidth);
  if (found.scrollWidthWide > 1280) fail(`the page is ${found.scrollWidthWide} px wide at a 1280 px window`);
  if (outDir) await page.screenshot({ path: outDir + '/explore-1280.png', fullPage: true });
  if (problems.length) fail('script errors: ' + problems.join(' | '));
  console.log(JSON.stringify(found));
} catch (e) {
  console.error('explore e2e: ' + e.message + (problems.length ? ' [also: ' + problems.join(' | ') + ']' : ''));
  process.exitCode = 1;
} finally {
  await browser.close();
}
