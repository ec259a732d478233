import { describe, expect, it } from 'vitest';
import { OUTCOMES, type Outcome } from '../../src/model/outcome.js';
import type { RunReport, TimelinePoint } from '../../src/model/report.js';
import { decodeHistogram, encodeHistogram, newHistogram, recordMs } from '../../src/shared/histogram.js';
import { mergeReports } from '../../src/report/merge.js';
import { makeReport } from './report-fixture.js';

/** One timeline second of `latencies` (ms), all issued; with its histogram unless `withHist` is false. */
function second(t: number, latencies: number[], withHist = true): TimelinePoint {
  const h = newHistogram();
  for (const ms of latencies) recordMs(h, ms);
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  counts.duplicate = latencies.length;
  const p = (q: number): number => h.getValueAtPercentile(q) / 1000;
  return { t, counts, p50: p(50), p95: p(95), p99: p(99), issuedTotal: 0, ...(withHist ? { hist: encodeHistogram(h) } : {}) };
}

function shard(index: number, timeline: TimelinePoint[]): RunReport {
  const r = makeReport({ seconds: 2, verdict: 'none' });
  return { ...r, runId: `shard-${index}`, shard: { index, count: 2 }, timeline };
}

describe('merge: per-second percentiles', () => {
  it('come from the shards\' per-second histograms added, not the highest of their percentiles', () => {
    // second 1: shard 1 answers 200 requests in 1 ms, shard 2 one in 100 ms -> p99 of the whole is 1 ms
    const a = shard(1, [second(1, Array.from({ length: 200 }, () => 1)), second(2, [2, 2])]);
    const b = shard(2, [second(1, [100]), second(2, [4, 4])]);
    const m = mergeReports([a, b], { runId: 'm', ledgerRecords: 0, toolVersion: 'test' });
    const s1 = m.timeline.find((p) => p.t === 1)!;
    expect(s1.counts.duplicate).toBe(201);
    expect(s1.p99).toBeCloseTo(1, 2);
    expect(Math.max(a.timeline[0]!.p99, b.timeline[0]!.p99)).toBeCloseTo(100, 0); // what the old upper bound showed
    const h = decodeHistogram(s1.hist!);
    expect(h.totalCount).toBe(201);
    expect(h.maxValue / 1000).toBeCloseTo(100, 0);
    const s2 = m.timeline.find((p) => p.t === 2)!;
    expect(s2.p50).toBeCloseTo(2, 2);
    expect(s2.p99).toBeCloseTo(4, 2);
  });

  it('fall back to the highest of the shards\' where a shard\'s second has no histogram (an older report)', () => {
    const a = shard(1, [second(1, Array.from({ length: 200 }, () => 1))]);
    const b = shard(2, [second(1, [100], false)]);
    const s1 = mergeReports([a, b], { runId: 'm', ledgerRecords: 0, toolVersion: 'test' }).timeline.find((p) => p.t === 1)!;
    expect(s1.p99).toBeCloseTo(100, 0);
    expect(s1.hist).toBeUndefined();
  });
});

describe('merge: only every shard of one run, each once', () => {
  const plain = (): RunReport => ({ ...makeReport({ seconds: 2, verdict: 'none' }), runId: 'whole' });
  const part = (index: number, count: number): RunReport => ({ ...plain(), runId: `s${index}`, shard: { index, count } });
  const merge = (rs: RunReport[]) => () => mergeReports(rs, { runId: 'm', ledgerRecords: 0, toolVersion: 'test' });

  it('refuses a whole run (its users would count twice), a shard twice, and a missing shard', () => {
    expect(merge([plain(), plain()])).toThrow(/whole is not a shard \(run --shard i\/n\)/);
    expect(merge([part(1, 2), plain()])).toThrow(/whole is not a shard/);
    expect(merge([part(1, 2), part(1, 2)])).toThrow(/shard 1\/2 is given twice/);
    expect(merge([part(1, 3), part(3, 3)])).toThrow(/shard 2\/3 missing: a merged run needs every shard/);
    expect(merge([part(1, 2), part(2, 3)])).toThrow(/shards of 2 and of 3 parts/);
    expect(merge([part(2, 2), part(1, 2)])().mergedFrom?.map((m) => m.runId)).toEqual(['s2', 's1']);
  });
});
