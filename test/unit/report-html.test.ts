import { describe, expect, it } from 'vitest';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { percentileSpectrum, histogramStats } from '../../src/report/histogram-codec.js';
import { niceTicks } from '../../src/report/html-svg.js';
import { makeReport } from './report-fixture.js';

function chartBody(html: string, name: string): string {
  const m = new RegExp(`<svg class="chart" data-chart="${name}"[\\s\\S]*?</svg>`).exec(html);
  if (!m) throw new Error(`chart ${name} missing`);
  return m[0];
}

describe('renderHtmlReport', () => {
  const report = makeReport();
  const html = renderHtmlReport(report);

  it('is one self-contained document: no scripts, no external URLs, a CSP forbidding fetches', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(src|href)=/i);
    expect(html).not.toMatch(/url\(/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
  });

  it('escapes every piece of report text', () => {
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('Test CPU &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('seed-k6 &lt;&amp;&quot;quoted&quot;&gt;');
    expect(html).not.toContain('<&"quoted">');
  });

  it('draws marks in each of the four charts', () => {
    const tp = chartBody(html, 'throughput');
    // 10 seconds × (sold_out, duplicate, plus issued/unknown in some seconds)
    expect((tp.match(/<rect class="mark"/g) ?? []).length).toBeGreaterThanOrEqual(20);
    expect((chartBody(html, 'latency').match(/<path class="mark line"/g) ?? []).length).toBe(3);
    const issued = chartBody(html, 'issued');
    expect(issued).toContain('sold out by 1s');
    expect(issued).toMatch(/class="stock"/);
    expect((chartBody(html, 'spectrum').match(/<path class="mark line"/g) ?? []).length).toBe(2);
  });

  it('shows the verdict table, thresholds, scenario and environment', () => {
    for (const name of ['no-over-issue', 'sold-out-exact', 'unknown-bounded']) expect(html).toContain(`<code>${name}</code>`);
    expect(html).toContain('exactly 10 issued');
    expect(html).toContain('p(95)&lt;500');
    expect(html).toContain('constant-vus');
    expect(html).toContain('fixture-host');
    expect(html).toContain('@media print');
    expect(html).not.toContain('stolen by the hypervisor');
    const noisy = renderHtmlReport({ ...report, harness: { ...report.harness, host: { stealPercent: 6.5, busyPercent: 71 } } });
    expect(noisy).toContain('71% busy · 6.5% stolen by the hypervisor');
    expect(noisy).toMatch(/class="panel warn-box busy-host"><b>Busy host:<\/b> the hypervisor took 6\.5% of the machine&#39;s CPU time/);
    expect(html).not.toContain('busy-host');
    const loaded = renderHtmlReport({ ...report, harness: { ...report.harness, eventLoopDelayP99Ms: 39, host: { stealPercent: 0, busyPercent: 99, loadAvg1: 3.1 } } });
    expect(loaded).toMatch(/Busy host:<\/b> the machine&#39;s CPUs were 99% busy; load average 3\.10 above the 2 cores; the generator&#39;s event-loop delay p99 was 39\.0 ms/);
  });

  it('the issued card gives the audited count of the headline, and the 200s beside it when they differ', () => {
    const report = makeReport();
    const card = (html: string): string => /<div class="card[^"]*"><div class="card-label">issued \/ stock<\/div>[\s\S]*?<\/div><\/div>/.exec(html)?.[0] ?? '';
    expect(card(renderHtmlReport(report))).toMatch(/card-value">10 \/ 10<\/div><div class="card-sub">in the stores/);
    const lost = { ...report, verdict: { ...report.verdict!, issued: 9 } };
    expect(card(renderHtmlReport(lost))).toMatch(/^<div class="card warn">.*card-value">9 \/ 10<\/div><div class="card-sub">in the stores; 10 answered 200</);
    const { verdict: _v, ...unaudited } = report;
    expect(card(renderHtmlReport(unaudited))).toMatch(/card-value">10 \/ 10<\/div><div class="card-sub">answered 200/);
  });

  it('turns a failed invariant into a FAIL page with its examples', () => {
    const failed = renderHtmlReport(makeReport({ verdict: 'fail' }));
    expect(failed).toMatch(/<span class="status-word">FAIL<\/span>/);
    expect(failed).toContain('user 7 holds seq 3 and seq 9 &lt;template 1&gt;');
  });

  it('a PASS not exercised reads so in its row, amber; a PARTIAL verdict shows its word and the command that completes it', () => {
    const r = makeReport();
    const v = r.verdict!;
    v.invariants = v.invariants.map((i) =>
      i.name === 'no-duplicate-user' ? { ...i, exercised: false, exercise: { count: 0, of: 'users who asked again while stock remained', why: 'no user asked twice before sell-out' } } : i,
    );
    const html = renderHtmlReport(r);
    expect(html).toMatch(/<code>no-duplicate-user<\/code><\/th><td><span class="badge skip">PASS, not exercised<\/span><\/td><td>.*?<\/td><td>PASS, not exercised \(no user asked twice before sell-out\)<br>/);
    expect(html).toContain('class="top warn"');
    v.partial = { judged: 2, of: 10, command: 'coupon-bench verify --report r.json --redis <redis-url> --db <db-url>', gone: ['Redis redis://127.0.0.1:1 (unreachable)'] };
    const partial = renderHtmlReport(r);
    expect(partial).toMatch(/<span class="status-word">PARTIAL<\/span>/);
    expect(partial).toContain('Stores the report names are gone: Redis redis://127.0.0.1:1 (unreachable).');
    expect(partial).toContain('<code>coupon-bench verify --report r.json --redis &lt;redis-url&gt; --db &lt;db-url&gt;</code>');
  });

  it('says when a run was not verified and flags crossed thresholds', () => {
    const r = renderHtmlReport(makeReport({ verdict: 'none', thresholdFails: true }));
    expect(r).toContain('This run was not verified');
    expect(r).toMatch(/<span class="status-word">FAIL<\/span>/);
    expect(r).toContain('✗ crossed');
  });

  it('survives an undecodable histogram and an empty timeline without throwing', () => {
    const r = makeReport();
    r.histograms.corrected = 'not-a-histogram';
    r.timeline = [];
    const out = renderHtmlReport(r);
    expect(out).toContain('Some data could not be read');
    expect(out).toContain('no timeline recorded');
  });
});

describe('histogram helpers', () => {
  it('reads full-precision percentiles in ms and a monotone spectrum ending at the max', () => {
    const r = makeReport();
    const s = histogramStats(r.histograms.corrected);
    expect(s.count).toBe(r.metrics.http_reqs.count);
    expect(s.p50).toBeLessThanOrEqual(s.p95);
    expect(s.p95).toBeLessThanOrEqual(s.p99);
    expect(Math.abs(s.p95 - r.metrics.http_req_duration['p(95)'])).toBeLessThan(0.01);
    const spec = percentileSpectrum(r.histograms.corrected);
    expect(spec.length).toBeGreaterThan(20);
    for (let i = 1; i < spec.length; i++) expect(spec[i]!.valueMs).toBeGreaterThanOrEqual(spec[i - 1]!.valueMs);
    expect(spec.at(-1)!.valueMs).toBeCloseTo(s.maxMs, 6);
  });

  it('picks round axis ticks that cover the range', () => {
    expect(niceTicks(0, 9.3, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0, 1000, 5)).toEqual([0, 200, 400, 600, 800, 1000]);
  });
});

describe('renderHtmlReport: fault bands', () => {
  it('labels faults close together one below the other, names the proxy or hook, and shows a hook output', () => {
    const report = makeReport();
    const band = { requests: 10, unknown: 0, errors: 0, errorRate: 0, p99Ms: 1 };
    report.faults = [
      { fault: 'cut', name: 'db', spec: 'cut:db@1s+100ms', startMs: 1000, endMs: 1100, ...band },
      { fault: 'hook', name: 'failover', spec: 'hook:failover@1200ms', startMs: 1200, endMs: 1210, ...band, hook: { name: 'failover', exitCode: 2, timedOut: false, output: 'promoted <replica>' } },
    ];
    const html = renderHtmlReport(report);
    // every time chart (throughput, latency, in flight) carries the bands and their labels
    const throughput = /<svg class="chart" data-chart="throughput"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    const labels = [...throughput.matchAll(/<text class="tick fault-label" x="[^"]+" y="([^"]+)">([^<]+)<\/text>/g)].map((m) => [m[2], Number(m[1])] as const);
    expect(labels.map(([t]) => t)).toEqual(['cut:db', 'hook:failover']);
    expect(html.match(/class="tick fault-label"/g)).toHaveLength(6);
    expect(labels[1]?.[1]).toBeGreaterThan(labels[0]?.[1] ?? Infinity);
    expect(html).toContain('<pre class="hook-output">promoted &lt;replica&gt;</pre>');
  });
});
