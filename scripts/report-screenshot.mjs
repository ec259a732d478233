// A PNG of the top of an HTML report (header, cards, charts) for the README:
//   node scripts/report-screenshot.mjs reports/<run>/report.html docs/img/report.png [height]
// Needs Chromium (scripts/setup.sh --test installs it; CHROMIUM_PATH overrides /usr/bin/chromium).
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [html, out, height = '1040'] = process.argv.slice(2);
if (!html || !out) {
  console.error('usage: node scripts/report-screenshot.mjs <report.html> <out.png> [height]');
  process.exit(1);
}
const profile = mkdtempSync(join(tmpdir(), 'cb-shot-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1100, height: Number(height) },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  const page = await ctx.newPage();
  await page.goto(pathToFileURL(resolve(html)).href, { waitUntil: 'load' });
  await page.screenshot({ path: out });
  console.log(`${out}: ${Math.round(statSync(out).size / 1024)} KB`);
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
