import { describe, expect, it } from 'vitest';
import { Recorder } from '../../src/load/recorder.js';
import { aggregateRun, environmentFingerprint } from '../../src/report/report-json.js';
import { formatRunSummary } from '../../src/report/summary.js';
import { decodeHistogram } from '../../src/shared/histogram.js';

function measured(): Recorder {
  const r = new Recorder([{ name: 'status is 200 or 400', status: [200, 400] }, { name: 'definite', outcome: ['issued', 'sold_out', 'duplicate'] }], undefined, false);
  r.start(0);
  r.vus(3);
  // second 0: 2 issued at 1 ms and 3 ms (corrected), one sent 2 ms late
  r.record('issued', 200, 1, 1, 0, 0, 1, '1-1', 1, undefined);
  r.record('issued', 200, 1, 2, 100, 102, 103, '1-2', 2, undefined);
  // second 1: sold out x3 (2 ms), one 503
  for (let i = 0; i < 3; i++) r.record('sold_out', 400, 1, 3 + i, 1000, 1000, 1002, undefined, undefined, undefined);
  r.record('unknown', 503, 1, 9, 1500, 1500, 1510, undefined, undefined, 'HTTP_503');
  r.drop(1600);
  r.vus(0);
  r.finish(2000);
  return r;
}

describe('summary aggregation (pure)', () => {
  const report = aggregateRun({
    runId: 'r1',
    toolVersion: '0.0.0',
    scenario: { name: 'unit', executor: 'constant-vus' },
    target: 'http://127.0.0.1:1',
    startedAt: new Date('2025-01-01T00:00:00Z'),
    durationMs: 2000,
    measured: measured(),
    templates: [{ templateId: 1, stock: 2 }],
    ledger: { file: 'ledger.ndjson', records: 3, mode: 'acked' },
    environment: environmentFingerprint(),
  });

  it('k6 metrics from the recorded responses', () => {
    const m = report.metrics;
    expect(m.http_reqs).toEqual({ count: 6, rate: 3 });
    expect(m.iterations.count).toBe(6);
    expect(m.dropped_iterations).toEqual({ count: 1, rate: 0.5 });
    expect(m.vus).toEqual({ min: 0, max: 3 });
    // check 1: 5 of 6 pass (503 fails); check 2: 5 of 6 pass
    expect(m.checks).toEqual({ passes: 10, fails: 2, rate: 0.833333 });
    expect(report.checks).toEqual([
      { name: 'status is 200 or 400', passes: 5, fails: 1 },
      { name: 'definite', passes: 5, fails: 1 },
    ]);
    expect(report.outcomes).toEqual({ issued: 2, sold_out: 3, duplicate: 0, not_found: 0, rejected: 0, unknown: 1 });
    expect(m.http_req_duration.max).toBeCloseTo(10, 1);
    expect(m.http_req_duration.min).toBeCloseTo(1, 2);
    // corrected counts the 2 ms send delay, uncorrected does not
    expect(m.http_req_duration_by_outcome?.issued?.max).toBeCloseTo(3, 2);
    expect(decodeHistogram(report.histograms.uncorrected).maxValue).toBeGreaterThanOrEqual(9990);
    expect(decodeHistogram(report.histograms.byOutcome.sold_out!).totalCount).toBe(3);
    expect(report.endedAt).toBe('2025-01-01T00:00:02.000Z');
  });

  it('per-second timeline with counts, percentiles and running issued total', () => {
    expect(report.timeline).toHaveLength(2);
    const [s0, s1] = report.timeline;
    expect(s0).toMatchObject({ t: 1, issuedTotal: 2 });
    expect(s0!.counts.issued).toBe(2);
    expect(s1).toMatchObject({ t: 2, issuedTotal: 2, dropped: 1 });
    expect(s1!.counts.sold_out).toBe(3);
    expect(s1!.counts.unknown).toBe(1);
    expect(s1!.byOutcome?.unknown?.p99).toBeCloseTo(10, 1);
  });

  it('formats a k6-style summary with an outcome table; no colour when not asked', () => {
    const text = formatRunSummary({ ...report, thresholds: [{ metric: 'outcomes.unknown', expression: 'count==0', ok: false, actual: 1 }] }, { color: false });
    expect(text.includes('\u001b[')).toBe(false);
    expect(text).toMatch(/✗ status is 200 or 400/);
    expect(text).toMatch(/http_req_duration\.+: avg=/);
    expect(text).toMatch(/p\(90\)=.*p\(95\)=.*p\(99\)=/);
    expect(text).toMatch(/http_reqs\.+: 6 3\/s/);
    expect(text).toMatch(/iterations\.+: 6/);
    expect(text).toMatch(/dropped_iterations\.+: 1/);
    expect(text).toMatch(/vus\.+: min=0 max=3/);
    // 1 unknown of 6 (sold_out is the service doing its job), and the legend says how it differs from k6
    expect(text).toMatch(/http_req_failed\.+: 16\.67% ✓ 1 ✗ 5 \(rejected \+ unknown; sold_out\/duplicate are not failures, unlike k6\)/);
    const k6Way = formatRunSummary({ ...report, metrics: { ...report.metrics, http_req_failed: { passes: 4, fails: 2, rate: 0.666667 } } }, { color: false });
    expect(k6Way).toMatch(/http_req_failed\.+: 66\.67% ✓ 4 ✗ 2 \(status not in expectedStatuses\)/);
    expect(text).toMatch(/│ sold_out\s+│\s+3 │/);
    expect(text).toMatch(/✗ outcomes.unknown count==0 \(actual 1\)/);
    expect(formatRunSummary(report, { color: true }).includes('\u001b[')).toBe(true);
  });

  it('warns about a busy host (steal from 2%, CPUs 90% busy, load above the cores, event-loop p99 over 20 ms), quiet otherwise', () => {
    const withHost = (host: { stealPercent: number; busyPercent: number; loadAvg1?: number }, eventLoopDelayP99Ms = 1) => ({
      ...report,
      // the machine running the test has a load of its own: the start-of-run figure stays calm here
      environment: { ...report.environment, cpus: 2, loadavg: [0.1, 0.1, 0.1] },
      harness: { ...report.harness, host, eventLoopDelayP99Ms },
    });
    expect(formatRunSummary(withHost({ stealPercent: 3.4, busyPercent: 50 }), { color: false })).toMatch(/busy host: the hypervisor took 3\.4% of the machine's CPU time \(steal\)/);
    expect(formatRunSummary(withHost({ stealPercent: 0, busyPercent: 99 }), { color: false })).toMatch(/busy host: the machine's CPUs were 99% busy/);
    expect(formatRunSummary(withHost({ stealPercent: 0, busyPercent: 40, loadAvg1: 3.5 }), { color: false })).toMatch(/busy host: load average 3\.50 above the 2 cores/);
    expect(formatRunSummary(withHost({ stealPercent: 0, busyPercent: 40 }, 39), { color: false })).toMatch(/busy host: the generator's event-loop delay p99 was 39\.0 ms/);
    expect(formatRunSummary(withHost({ stealPercent: 1.9, busyPercent: 89, loadAvg1: 2 }, 20), { color: false })).not.toMatch(/busy host/);
    expect(formatRunSummary({ ...report, environment: { ...report.environment, cpus: 2, loadavg: [0.1, 0.1, 0.1] } }, { color: false })).not.toMatch(/busy host/);
    // without a load average at the end, the one at the start counts
    expect(formatRunSummary({ ...report, environment: { ...report.environment, cpus: 2, loadavg: [2.5, 1, 1] } }, { color: false })).toMatch(/busy host: load average 2\.50 above the 2 cores/);
  });

  it('says on its run line and in the harness line that an interrupted run was cut short', () => {
    const reason = 'interrupted by SIGINT after 2.3 s of 5.0 s planned: the run is incomplete';
    const cut = { ...report, interrupted: { signal: 'SIGINT', during: 'load' as const }, harness: { ...report.harness, valid: false, reasons: [reason] } };
    const text = formatRunSummary(cut, { color: false });
    expect(text).toMatch(/run: +r1 · 2\.0s · interrupted by SIGINT\n/);
    expect(text).toContain(`harness invalid: ${reason}`);
    expect(formatRunSummary(report, { color: false })).not.toMatch(/interrupted/);
  });
});
