import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareReports } from '../../src/report/compare.js';
import { renderCompareHtml } from '../../src/report/html-compare.js';
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

      const charts = ['throughput', 'latency', 'issued', 'concurrency', 'spectrum'];
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
      expect(marks.concurrency).toBe(2);
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

  /** Open a page on `html`, collecting console errors and any request that leaves the file. */
  async function open(name: string, html: string) {
    const file = join(ARTIFACTS, name);
    writeFileSync(file, html);
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
    page.on('request', (req) => {
      if (!req.url().startsWith('file:')) errors.push(`request: ${req.url()}`);
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return { page, errors };
  }

  /** The subpaths (M commands) of a path's d attribute: a broken line has more than one. */
  const subpaths = (d: string | null): number => (d ?? '').split('M').length - 1;

  it('draws the VUs and in-flight lines, breaks the latency lines over a server kill, stacks close fault labels and shows the audited issued count', async () => {
    // seconds 4 to 6 without any answer, a kill-target band over them and a slow:db band beside it
    const report = makeReport({ verdict: 'pass', gap: [4, 6] });
    const { page, errors } = await open('html-report-gap.html', renderHtmlReport(report));
    // taken first: a failing check below leaves the picture to look at
    const shot = join(ARTIFACTS, 'html-report-gap.png');
    await page.screenshot({ path: shot, fullPage: true });

    const conc = page.locator('svg.chart[data-chart="concurrency"]');
    expect(await conc.locator('path.mark[data-series="vus"]').count()).toBe(1);
    expect(await conc.locator('path.mark[data-series="inFlight"]').count()).toBe(1);
    // one point per second, unbroken: the in-flight line climbs to every VU waiting during the kill
    const inFlight = await conc.locator('path.mark[data-series="inFlight"]').getAttribute('d');
    expect(subpaths(inFlight)).toBe(1);
    expect((inFlight ?? '').split(/[ML]/).length - 1).toBe(report.timeline.length);
    const box = await conc.locator('g.marks').boundingBox();
    expect(box!.height).toBeGreaterThan(20);

    // the gap: each percentile line is two runs of points (seconds 1-3, 7-10), none across 4-6
    const lines = page.locator('svg.chart[data-chart="latency"] path.mark.line');
    expect(await lines.count()).toBe(3);
    for (const d of await lines.evaluateAll((ps) => ps.map((p) => p.getAttribute('d')))) expect(subpaths(d)).toBe(2);
    expect(await page.locator('svg.chart[data-chart="latency"] circle.dot').count()).toBe(3 * 7);
    expect(await page.locator('svg.chart[data-chart="latency"] + .legend + .note, figure:has(svg[data-chart="latency"]) .note').first().textContent()).toMatch(/3 seconds without any answer/);

    // both fault labels on the throughput chart, on rows of their own: no two boxes overlap
    const labels = await page.locator('svg.chart[data-chart="throughput"] text.fault-label').evaluateAll((ts) =>
      ts.map((t) => {
        const r = t.getBoundingClientRect();
        return { text: t.textContent, x0: r.left, x1: r.right, y0: r.top, y1: r.bottom };
      }),
    );
    expect(labels.map((l) => l.text)).toEqual(['kill-target', 'slow:db']);
    const [a, b] = labels as [(typeof labels)[number], (typeof labels)[number]];
    const overlap = a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
    expect(overlap).toBe(false);
    expect(a.x1).toBeGreaterThan(b.x0); // close enough that one row would have overlapped

    // the card says what the headline says (the stores' count)
    const issuedCard = page.locator('.card', { hasText: 'issued / stock' });
    expect(await issuedCard.locator('.card-value').textContent()).toBe('10 / 10');
    expect(await page.locator('.headline').textContent()).toMatch(/exactly 10 issued/);

    expect(statSync(shot).size).toBeGreaterThan(50_000);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('compare --html: overlays two runs (percentiles, p95 and throughput over time, outcomes) with the warnings', async () => {
    const base = makeReport({ seed: 1 });
    const next = makeReport({ seed: 2, latencyFactor: 1.6, rateFactor: 0.8, gap: [5, 5] });
    next.harness.host = { stealPercent: 0, busyPercent: 99 };
    const result = compareReports(base, next, { perMetric: { p95: 0.1 } });
    const { page, errors } = await open('compare.html', renderCompareHtml(base, next, result));
    const shot = join(ARTIFACTS, 'compare.png');
    await page.screenshot({ path: shot, fullPage: true });

    for (const name of ['compare-spectrum', 'compare-p95', 'compare-throughput']) {
      const chart = page.locator(`svg.chart[data-chart="${name}"]`);
      expect(await chart.locator('path.mark[data-run="base"]').count(), name).toBe(1);
      expect(await chart.locator('path.mark[data-run="next"]').count(), name).toBe(1);
      const box = await chart.locator('g.marks').boundingBox();
      expect(box!.width, name).toBeGreaterThan(50);
      expect(box!.height, name).toBeGreaterThan(10);
    }
    // the new run's second without answers breaks its p95 line, the base's stays whole
    expect(subpaths(await page.locator('svg[data-chart="compare-p95"] path[data-run="next"]').getAttribute('d'))).toBe(2);
    expect(subpaths(await page.locator('svg[data-chart="compare-p95"] path[data-run="base"]').getAttribute('d'))).toBe(1);
    // the new run is slower: its p99 sits above the base's at the same percentile
    expect(await page.locator('.status-word').textContent()).toBe('REGRESSED');
    expect(await page.locator('table.outcomes-compare tbody tr').count()).toBe(6);
    expect(await page.locator('table.outcomes-compare span.bar[data-run="next"]').count()).toBe(6);
    expect(await page.locator('.compare-warnings').textContent()).toMatch(/busy host during the new run: the machine's CPUs were 99% busy/);
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);

    expect(statSync(shot).size).toBeGreaterThan(50_000);
    expect(errors).toEqual([]);
    await page.close();
  });
});
