import { describe, expect, it } from 'vitest';
import { evaluateThresholds, parseThreshold, parseThresholdFlag, parseThresholdMap } from '../../src/report/thresholds.js';
import { encodeHistogram, newHistogram } from '../../src/shared/histogram.js';
import type { RunReport } from '../../src/model/report.js';

const dur = (avg: number) => ({ avg, min: 0.1, med: avg, max: 9, 'p(90)': 2, 'p(95)': 3, 'p(99)': 5 });

function report(): Pick<RunReport, 'metrics' | 'outcomes' | 'histograms' | 'durationMs'> {
  const h = newHistogram();
  for (let i = 1; i <= 100; i++) h.recordValue(i * 1000); // 1..100 ms
  const enc = encodeHistogram(h);
  return {
    durationMs: 10_000,
    metrics: {
      http_reqs: { count: 100, rate: 10 },
      http_req_duration: dur(50.5),
      http_req_duration_uncorrected: dur(40),
      iterations: { count: 100, rate: 10 },
      vus: { min: 0, max: 10 },
      checks: { passes: 99, fails: 1, rate: 0.99 },
      dropped_iterations: { count: 5, rate: 0.5 },
      http_req_duration_by_outcome: { issued: dur(1.5) },
    },
    outcomes: { issued: 10, sold_out: 80, duplicate: 5, not_found: 0, rejected: 2, unknown: 3 },
    histograms: { corrected: enc, uncorrected: enc, byOutcome: { issued: enc } },
  };
}

describe('threshold parser', () => {
  it('parses k6 expressions', () => {
    expect(parseThreshold('http_req_duration', 'p(95)<5')).toMatchObject({ agg: 'p(95)', percentile: 95, op: '<', value: 5 });
    expect(parseThreshold('http_req_duration', ' avg <= 2.5 ')).toMatchObject({ agg: 'avg', op: '<=', value: 2.5 });
    expect(parseThreshold('outcomes.duplicate', 'count==0')).toMatchObject({ agg: 'count', op: '==', value: 0 });
    expect(parseThreshold('checks', 'rate>0.99')).toMatchObject({ agg: 'rate', op: '>', value: 0.99 });
    expect(parseThreshold('http_req_duration{outcome:issued}', 'p(99.9)<10')).toMatchObject({ percentile: 99.9 });
  });

  it('rejects unknown metrics, bad expressions and aggregations that do not apply', () => {
    expect(() => parseThreshold('http_req_durration', 'p(95)<5')).toThrow(/unknown metric/);
    expect(() => parseThreshold('outcomes.lost', 'count==0')).toThrow(/unknown metric/);
    expect(() => parseThreshold('http_req_duration', 'p95<5')).toThrow(/cannot parse/);
    expect(() => parseThreshold('http_req_duration', 'count<5')).toThrow(/does not apply to a trend/);
    expect(() => parseThreshold('outcomes.issued', 'avg<5')).toThrow(/does not apply to a counter/);
    expect(() => parseThreshold('http_req_duration', 'p(101)<5')).toThrow(/percentile/);
  });

  it('reads the scenario map and the --threshold flag form', () => {
    const list = parseThresholdMap({ http_req_duration: ['p(95)<5', { threshold: 'avg<2', abortOnFail: true }], checks: ['rate==1'] });
    expect(list.map((t) => `${t.metric}:${t.expression}`)).toEqual(['http_req_duration:p(95)<5', 'http_req_duration:avg<2', 'checks:rate==1']);
    expect(list[1]?.abortOnFail).toBe(true);
    expect(parseThresholdFlag('http_req_duration{outcome:issued}:p(95)<5')).toMatchObject({ metric: 'http_req_duration{outcome:issued}', agg: 'p(95)' });
    expect(() => parseThresholdFlag('p(95)<5')).toThrow(/metric:expression/);
  });
});

describe('threshold evaluation', () => {
  const ev = (metric: string, expr: string) => evaluateThresholds([parseThreshold(metric, expr)], report())[0]!;

  it('trend aggregations, percentiles from the encoded histogram', () => {
    expect(ev('http_req_duration', 'avg<51')).toMatchObject({ ok: true, actual: 50.5 });
    expect(ev('http_req_duration', 'avg<50')).toMatchObject({ ok: false });
    const p95 = ev('http_req_duration', 'p(95)<96');
    expect(p95.actual).toBeCloseTo(95, 0);
    expect(p95.ok).toBe(true);
    expect(ev('http_req_duration', 'p(95)<90').ok).toBe(false);
    expect(ev('http_req_duration{outcome:issued}', 'avg<2')).toMatchObject({ ok: true, actual: 1.5 });
    expect(ev('http_req_duration{outcome:unknown}', 'avg<2')).toMatchObject({ ok: false, actual: null });
  });

  it('counters, rates and gauges', () => {
    expect(ev('outcomes.duplicate', 'count==0')).toMatchObject({ ok: false, actual: 5 });
    expect(ev('outcomes.not_found', 'count==0')).toMatchObject({ ok: true, actual: 0 });
    expect(ev('outcomes.issued', 'rate==1')).toMatchObject({ ok: true, actual: 1 });
    expect(ev('http_reqs', 'count>=100').ok).toBe(true);
    expect(ev('dropped_iterations', 'count<1').ok).toBe(false);
    expect(ev('checks', 'rate>0.98')).toMatchObject({ ok: true, actual: 0.99 });
    expect(ev('checks', 'rate==1').ok).toBe(false);
    expect(ev('http_req_failed', 'rate<0.1')).toMatchObject({ ok: true, actual: 0.05 });
    expect(ev('vus', 'max==10').ok).toBe(true);
    expect(ev('http_req_duration', 'avg!=0').ok).toBe(true);
  });

  it('no data never passes', () => {
    const r = report();
    r.metrics.checks = { passes: 0, fails: 0, rate: 0 };
    r.metrics.http_reqs = { count: 0, rate: 0 };
    const [res] = evaluateThresholds([parseThreshold('checks', 'rate>=0')], r);
    expect(res).toMatchObject({ ok: false, actual: null });
    const [res2] = evaluateThresholds([parseThreshold('http_req_failed', 'rate<=1')], r);
    expect(res2?.ok).toBe(false);
    // bytes that were not measured (an older report) fail a threshold instead of passing it
    const [res3] = evaluateThresholds([parseThreshold('data_sent', 'count>=0')], report());
    expect(res3).toMatchObject({ ok: false, actual: null });
  });

  it('data_sent and data_received are counters of bytes (count and per-second rate), as in k6', () => {
    const r = report();
    r.metrics.data_sent = 180_000;
    r.metrics.data_received = 2_400_000;
    const [sent, received, perSecond] = evaluateThresholds(
      [parseThreshold('data_sent', 'count==180000'), parseThreshold('data_received', 'count<2000000'), parseThreshold('data_received', 'rate>200000')],
      r,
    );
    expect(sent).toMatchObject({ ok: true, actual: 180_000 });
    expect(received).toMatchObject({ ok: false, actual: 2_400_000 });
    expect(perSecond).toMatchObject({ ok: true, actual: 240_000 }); // 2.4 MB over 10 s
    expect(() => parseThreshold('data_sent', 'p(95)<5')).toThrow(/does not apply to a counter metric/);
  });
});
