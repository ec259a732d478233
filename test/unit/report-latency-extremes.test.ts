import { describe, expect, it } from 'vitest';
import { LatencyCounts } from '../../src/shared/latency-counts.js';
import { encodeHistogram, newHistogram } from '../../src/shared/histogram.js';
import { Recorder } from '../../src/load/recorder.js';
import type { DurationSummary, RunReport } from '../../src/model/report.js';
import { compareReports } from '../../src/report/compare.js';
import { histogramStats, percentileSpectrum } from '../../src/report/histogram-codec.js';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { aggregateRun, environmentFingerprint } from '../../src/report/report-json.js';
import { formatRunSummary } from '../../src/report/summary.js';
import { evaluateThresholds, parseThreshold } from '../../src/report/thresholds.js';

/**
 * A target that never answers: every request times out after about 10 s. HDR buckets are 8 ms
 * wide there, so a bucket's highest value (what a percentile reads) lies above the largest value
 * recorded, and the mean of bucket midpoints can lie below the smallest.
 */
const LATENCIES_MS = [10_003.104, 10_004.271, 10_002.593]; // one 8 ms bucket: 10,002.432 .. 10,010.623

function timedOutRun(): RunReport {
  const r = new Recorder([{ name: 'status is 200 or 400', status: [200, 400] }], undefined, false);
  r.start(0);
  LATENCIES_MS.forEach((lat, i) => r.record('unknown', 0, 1, i + 1, 0, 0, lat, undefined, undefined, 'TIMEOUT'));
  r.finish(10_011);
  return aggregateRun({
    runId: 'never-answers',
    toolVersion: '0.0.0',
    scenario: { name: 'seed-k6', executor: 'constant-vus' },
    target: 'http://127.0.0.1:18081',
    startedAt: new Date('2025-01-01T00:00:00Z'),
    durationMs: 10_011,
    measured: r,
    templates: [{ templateId: 1, stock: 10 }],
    ledger: { file: 'ledger.ndjson', records: 3, mode: 'acked' },
    environment: environmentFingerprint(),
  });
}

const MIN = Math.min(...LATENCIES_MS);
const MAX = Math.max(...LATENCIES_MS);

function expectWithin(d: DurationSummary): void {
  expect(d.min).toBe(MIN);
  expect(d.max).toBe(MAX);
  for (const k of ['avg', 'med', 'p(90)', 'p(95)', 'p(99)'] as const) {
    expect(d[k], k).toBeGreaterThanOrEqual(d.min);
    expect(d[k], k).toBeLessThanOrEqual(d.max);
  }
}

describe('latency statistics stay within the recorded extremes (HDR bucket rounding)', () => {
  const report = timedOutRun();

  it('report.json: avg and percentiles lie between the exact min and max, overall and per outcome', () => {
    expectWithin(report.metrics.http_req_duration);
    expectWithin(report.metrics.http_req_duration_uncorrected);
    expectWithin(report.metrics.http_req_duration_by_outcome!.unknown!);
    const answered = report.timeline.filter((point) => point.counts.unknown > 0);
    expect(answered.length).toBeGreaterThan(0);
    for (const point of answered) {
      for (const p of [point.p50, point.p95, point.p99, point.byOutcome?.unknown?.p99 ?? MIN]) {
        expect(p).toBeGreaterThanOrEqual(MIN);
        expect(p).toBeLessThanOrEqual(MAX);
      }
    }
  });

  it('the terminal summary never shows a median above the max', () => {
    const line = formatRunSummary(report, { color: false })
      .split('\n')
      .find((l) => /http_req_duration\.+:/.test(l))!;
    expect(line).toMatch(/avg=10\.00s min=10\.00s med=10\.00s max=10\.00s p\(90\)=10\.00s p\(95\)=10\.00s p\(99\)=10\.00s/);
  });

  it('compare reads the same max, and percentiles and mean within min..max, from the encoded histograms', () => {
    const c = compareReports(report, report);
    const value = (name: string): number => c.metrics.find((m) => m.metric === name)!.next;
    expect(value('max')).toBe(report.metrics.http_req_duration.max);
    for (const name of ['p50', 'p90', 'p95', 'p99', 'p99.9', 'mean', 'p95-uncorrected', 'p99-uncorrected']) {
      expect(value(name), name).toBeGreaterThanOrEqual(MIN);
      expect(value(name), name).toBeLessThanOrEqual(MAX);
    }
    expect(value('p50')).toBeCloseTo(report.metrics.http_req_duration.med, 3);
    expect(value('mean')).toBeCloseTo(report.metrics.http_req_duration.avg, 3);
  });

  it('the HTML report shows the same max, and its spectrum ends at it', () => {
    const html = renderHtmlReport(report);
    const row = (name: string): string => new RegExp(`<th scope="row">${name.replace('.', '\\.')}</th><td class="num">([^<]+)</td>`).exec(html)![1]!;
    expect(row('median')).toBe(row('max'));
    expect(row('p99.9')).toBe(row('max'));
    const spectrum = percentileSpectrum(report.histograms.corrected, undefined, undefined, report.metrics.http_req_duration);
    expect(spectrum.at(-1)!.valueMs).toBe(MAX);
    expect(Math.max(...spectrum.map((p) => p.valueMs))).toBe(MAX);
  });

  it('a percentile threshold is judged on the value the summary shows', () => {
    const [t] = evaluateThresholds([parseThreshold('http_req_duration', 'p(99)<=10004.271')], report);
    expect(t).toMatchObject({ ok: true, actual: MAX });
  });

  it('extremes that do not belong to the histogram are not used (its bucket bounds are)', () => {
    const h = newHistogram();
    for (let i = 1; i <= 100; i++) h.recordValue(i * 1000);
    const s = histogramStats(encodeHistogram(h), 'h', { min: 0.1, max: 9 });
    expect(s.minMs).toBe(1);
    expect(s.p95).toBeCloseTo(95, 0);
    expect(s.maxMs).toBeGreaterThanOrEqual(100);
  });

  it('LatencyCounts: the bounded percentile is the bucket value kept within min..max', () => {
    const a = new LatencyCounts();
    for (const ms of LATENCIES_MS) a.recordMs(ms);
    expect(a.percentileUs(50)).toBeGreaterThan(MAX * 1000);
    expect(a.boundedPercentileUs(50)).toBe(MAX * 1000);
    expect(a.boundedPercentileUs(0)).toBeGreaterThanOrEqual(MIN * 1000);
    expect(new LatencyCounts().boundedPercentileUs(99)).toBe(0);
  });
});
