import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { makeReport } from '../unit/report-fixture.js';

// Debian's chromium package (scripts/setup.sh --test installs it).
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = resolve('test-artifacts');

describe('HTML report in headless Chromium', () => {
  let ctx: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), 'cb-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await ctx?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  for (const variant of ['pass', 'fail'] as const) {
    it(`renders the ${variant} report with no console errors, no network and marks in every chart`, async () => {
      const file = join(ARTIFACTS, `html-report-${variant}.html`);
      writeFileSync(file, renderHtmlReport(makeReport({ verdict: variant })));
      const page = await ctx.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
      page.on('request', (req) => {
        if (!req.url().startsWith('file:')) requests.push(req.url());
      });
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });

      const charts = ['throughput', 'latency', 'issued', 'spectrum'];
      expect(await page.locator('svg.chart').count()).toBe(charts.length);
      const marks: Record<string, number> = {};
      for (const name of charts) {
        const chart = page.locator(`svg.chart[data-chart="${name}"]`);
        marks[name] = await chart.locator('path.mark, rect.mark').count();
        // The marks have real size on screen: laid out and painted, not just present in the markup.
        const box = await chart.locator('g.marks').boundingBox();
        expect(box, name).not.toBeNull();
        expect(box!.width, name).toBeGreaterThan(50);
        expect(box!.height, name).toBeGreaterThan(10);
      }
      expect(marks.throughput).toBeGreaterThanOrEqual(20);
      expect(marks.latency).toBe(3);
      expect(marks.issued).toBeGreaterThanOrEqual(2);
      expect(marks.spectrum).toBe(2);
      expect(await page.locator('.status-word').textContent()).toBe(variant === 'pass' ? 'PASS' : 'FAIL');
      // Nothing overflows the page horizontally.
      expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);

      const shot = join(ARTIFACTS, `html-report-${variant}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(50_000);
      if (variant === 'pass') {
        // Printable: the print stylesheet lays it out on A4 pages.
        await page.emulateMedia({ media: 'print' });
        const pdf = join(ARTIFACTS, 'html-report-print.pdf');
        await page.pdf({ path: pdf, format: 'A4', printBackground: true });
        expect(existsSync(pdf)).toBe(true);
      }
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      await page.close();
    });
  }
});
