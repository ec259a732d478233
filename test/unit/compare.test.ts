import { describe, expect, it } from 'vitest';
import { compareReports } from '../../src/report/compare.js';
import { parseMaxRegression, parseMinLatencyDelta } from '../../src/report/compare-gates.js';
import { formatCompareTable } from '../../src/report/compare-table.js';
import { histogramStats } from '../../src/report/histogram-codec.js';
import { makeReport } from './report-fixture.js';

describe('parseMaxRegression', () => {
  it('parses a global limit, per-metric limits, aliases and "all"', () => {
    expect(parseMaxRegression(['10%'])).toEqual({ keyDefault: 0.1, perMetric: {} });
    expect(parseMaxRegression(['p95=5%,rate=10', 'p(99)=7.5%'])).toEqual({ perMetric: { p95: 0.05, rate: 0.1, p99: 0.075 } });
    expect(parseMaxRegression(['all=20%,10%'])).toEqual({ allDefault: 0.2, keyDefault: 0.1, perMetric: {} });
  });

  it('rejects unknown metrics and malformed limits with a usage error', () => {
    expect(() => parseMaxRegression(['p96=5%'])).toThrow(/unknown metric "p96"/);
    expect(() => parseMaxRegression(['p95=fast'])).toThrow(/not a percentage/);
    expect(() => parseMaxRegression(['-5%'])).toThrow(/not a percentage/);
  });
});

describe('compareReports', () => {
  const base = makeReport();

  it('passes an identical run (exit 0, every change 0)', () => {
    const r = compareReports(base, makeReport(), parseMaxRegression(['all=0%']));
    expect(r.exitCode).toBe(0);
    expect(r.regressions).toEqual([]);
    expect(r.metrics.every((m) => m.change === 0)).toBe(true);
  });

  it('flags a synthetic 20% p95 regression (exit 99) from the histograms', () => {
    const slower = makeReport({ latencyFactor: 1.2 });
    const r = compareReports(base, slower, parseMaxRegression(['10%']));
    expect(r.exitCode).toBe(99);
    expect(r.regressions).toContain('p95');
    const p95 = r.metrics.find((m) => m.metric === 'p95')!;
    expect(p95.change!).toBeGreaterThan(0.17);
    expect(p95.change!).toBeLessThan(0.23);
    // the rate did not change, so it is gated but fine
    expect(r.metrics.find((m) => m.metric === 'rate')!.regressed).toBe(false);
  });

  it('lets a limit above the regression pass, and gates only the named metric', () => {
    const slower = makeReport({ latencyFactor: 1.2 });
    expect(compareReports(base, slower, parseMaxRegression(['p95=25%'])).exitCode).toBe(0);
    const r = compareReports(base, slower, parseMaxRegression(['rate=5%']));
    expect(r.exitCode).toBe(0);
    expect(r.metrics.filter((m) => m.limit !== undefined).map((m) => m.metric)).toEqual(['rate']);
  });

  it('is direction-aware: faster latency and higher throughput are not regressions, lower throughput is', () => {
    const faster = makeReport({ latencyFactor: 0.7, rateFactor: 1.5 });
    const good = compareReports(base, faster, parseMaxRegression(['all=1%']));
    expect(good.regressions).toEqual([]);
    expect(good.metrics.find((m) => m.metric === 'p95')!.worse).toBe(false);
    const fewer = compareReports(base, makeReport({ rateFactor: 0.8 }), parseMaxRegression(['rate=10%']));
    expect(fewer.regressions).toEqual(['rate']);
  });

  it('compares percentiles from the decoded histograms, not the rounded summaries', () => {
    const a = makeReport();
    const b = makeReport();
    // Same rounded summary, different histograms: only the histogram can tell.
    b.histograms.corrected = makeReport({ latencyFactor: 1.2 }).histograms.corrected;
    const r = compareReports(a, b, parseMaxRegression(['p95=10%']));
    expect(r.metrics.find((m) => m.metric === 'p95')!.next).toBeCloseTo(histogramStats(b.histograms.corrected).p95, 9);
    expect(r.exitCode).toBe(99);
  });

  it('a latency noise floor: a regression smaller than --min-latency-delta in ms never fails, a larger one still does', () => {
    const slower = makeReport({ latencyFactor: 1.2 });
    const plain = compareReports(base, slower, parseMaxRegression(['10%']));
    const p95 = plain.metrics.find((m) => m.metric === 'p95')!;
    const delta = p95.next - p95.base;
    expect(plain.regressions).toContain('p95');
    // A floor just above the p95 change lets p95 pass; one just below keeps it failing.
    const above = compareReports(base, slower, { ...parseMaxRegression(['10%']), minLatencyDeltaMs: delta * 1.01 });
    expect(above.metrics.find((m) => m.metric === 'p95')!.regressed).toBe(false);
    const below = compareReports(base, slower, { ...parseMaxRegression(['10%']), minLatencyDeltaMs: delta * 0.99 });
    expect(below.regressions).toContain('p95');
    // The floor is for latencies only: a throughput drop still fails under any floor.
    const fewer = compareReports(base, makeReport({ rateFactor: 0.8 }), { ...parseMaxRegression(['rate=10%']), minLatencyDeltaMs: 1e9 });
    expect(fewer.regressions).toEqual(['rate']);
    expect(parseMinLatencyDelta('0.5')).toBe(0.5);
    expect(parseMinLatencyDelta('2ms')).toBe(2);
    expect(() => parseMinLatencyDelta('-1')).toThrow(/not a number of milliseconds/);
    expect(() => parseMinLatencyDelta('fast')).toThrow(/not a number of milliseconds/);
  });

  it('warns when a run was measured on a busy host (steal from 2%, busy CPUs, event-loop delay)', () => {
    const noisy = makeReport();
    noisy.harness.host = { stealPercent: 4.2, busyPercent: 80 };
    const calm = makeReport();
    calm.harness.host = { stealPercent: 0.3, busyPercent: 60 };
    expect(compareReports(calm, noisy).warnings.join()).toMatch(/busy host during the new run: the hypervisor took 4\.2%/);
    expect(compareReports(noisy, calm).warnings.join()).toMatch(/busy host during the base run/);
    expect(compareReports(calm, calm).warnings.join()).not.toMatch(/busy host/);
    const loaded = makeReport();
    loaded.harness.host = { stealPercent: 0, busyPercent: 99, loadAvg1: 7.1 };
    loaded.harness.eventLoopDelayP99Ms = 39;
    const w = compareReports(calm, loaded).warnings.join('\n');
    expect(w).toMatch(/busy host during the new run: the machine's CPUs were 99% busy; load average 7\.10 above the 2 cores; the generator's event-loop delay p99 was 39\.0 ms/);
  });

  it('warns when the two runs differ in executor or VUs, and not when they match', () => {
    const base = makeReport();
    const other = makeReport();
    expect(compareReports(base, other).warnings.join()).not.toMatch(/different/);
    other.scenario = { ...other.scenario, executor: 'ramping-vus', vus: 250 };
    const w = compareReports(base, other).warnings.join('\n');
    expect(w).toMatch(new RegExp(`different executors: ${String(base.scenario['executor'])} vs ramping-vus`));
    expect(w).toMatch(/different VUs: \S+ vs 250/);
  });

  it('warns that an interrupted run is incomplete, and is not a baseline', () => {
    const cut = makeReport();
    cut.interrupted = { signal: 'SIGTERM', during: 'load' };
    expect(compareReports(cut, makeReport()).warnings).toContain('the base run was interrupted by SIGTERM: it is incomplete and not a baseline');
    expect(compareReports(makeReport(), cut).warnings).toContain('the new run was interrupted by SIGTERM: it is incomplete');
    expect(compareReports(makeReport(), makeReport()).warnings.join()).not.toMatch(/interrupted/);
  });

  it('a run that checked nothing cannot be compared: exit 97, gated or not, either side', () => {
    const nothing = makeReport();
    nothing.harness = { valid: false, reasons: ['target unreachable: http://127.0.0.1:1 (ECONNREFUSED)'], answered: 0 };
    const r = compareReports(base, nothing, parseMaxRegression(['p95=10%']));
    expect(r.exitCode).toBe(97);
    expect(r.ok).toBe(false);
    expect(r.untrusted).toEqual(['new run: target unreachable: http://127.0.0.1:1 (ECONNREFUSED)']);
    const table = formatCompareTable(r, { color: false });
    expect(table).toMatch(/p95 .*– not comparable/);
    expect(table).not.toMatch(/✓ ok|no gated metric regressed/);
    expect(compareReports(nothing, base).exitCode).toBe(97);
    // an older report that did not mark it invalid but got no answer is no better
    const silent = makeReport();
    silent.harness = { valid: true, reasons: [], answered: 0 };
    expect(compareReports(base, silent).untrusted).toEqual(['new run: zero requests checked: no request got an HTTP answer']);
    expect(compareReports(base, makeReport()).untrusted).toEqual([]);
    // nor one whose every answer was a 404 (no template: the issuance checks never ran)
    const notFound = makeReport();
    notFound.outcomes = { issued: 0, sold_out: 0, duplicate: 0, not_found: 9000, rejected: 0, unknown: 0 };
    expect(compareReports(base, notFound).untrusted).toEqual([
      'new run: zero requests checked: every answer was not_found (404 COUPON_TEMPLATE_NOT_FOUND): was the template created (--setup)?',
    ]);
  });

  it('treats a count that grew from zero as an unbounded regression when gated', () => {
    const b = makeReport();
    b.metrics.dropped_iterations.count = 5;
    const r = compareReports(base, b, parseMaxRegression(['dropped=50%']));
    const d = r.metrics.find((m) => m.metric === 'dropped')!;
    expect(d.change).toBeNull();
    expect(d.regressed).toBe(true);
    expect(r.exitCode).toBe(99);
  });

  it('prints a table without colour codes when colour is off', () => {
    const out = formatCompareTable(compareReports(base, makeReport({ latencyFactor: 1.2 }), parseMaxRegression(['10%'])), { color: false });
    expect(out).not.toMatch(/\x1b\[/); // eslint-disable-line no-control-regex
    expect(out).toMatch(/p95.*✗ REGRESSED/);
    expect(out).toContain('regressed beyond the limit');
  });
});
