import { UsageError } from '../errors.js';
import { OUTCOMES, type Outcome } from '../model/outcome.js';
import type { DurationSummary, RunReport, TimelinePoint } from '../model/report.js';
import { decodeHistogram, durationSummary, encodeHistogram, newHistogram, type Histogram } from '../shared/histogram.js';

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Histograms added bucket by bucket (never percentiles averaged). */
function added(encoded: Array<string | undefined>): Histogram | undefined {
  const present = encoded.filter((e): e is string => e !== undefined);
  if (present.length === 0) return undefined;
  const h = newHistogram();
  for (const e of present) h.add(decodeHistogram(e));
  return h;
}

/** The k6 summary of a merged histogram, its extremes the exact ones of the shards. */
function summaryOf(h: Histogram, parts: Array<DurationSummary | undefined>): DurationSummary {
  const given = parts.filter((p): p is DurationSummary => p !== undefined && (p.max > 0 || p.min > 0));
  return durationSummary(h, given.length ? { minUs: Math.min(...given.map((p) => p.min)) * 1000, maxUs: Math.max(...given.map((p) => p.max)) * 1000 } : undefined);
}

const sum = (xs: Array<number | undefined>): number => xs.reduce<number>((a, x) => a + (x ?? 0), 0);

/** Only the shards of one run (same scenario, templates and ledger mode), each once and all of them. */
function checkShards(reports: RunReport[]): void {
  if (reports.length < 2) throw new UsageError('merge: give at least two report.json files (the shards of one run)', 'E_MERGE');
  const first = reports[0] as RunReport;
  const name = first.scenario['name'];
  for (const r of reports) {
    if (r.scenario['name'] !== name) throw new UsageError(`merge: ${r.runId} ran scenario ${String(r.scenario['name'])}, not ${String(name)}: only shards of one run can be merged`, 'E_MERGE');
    if (JSON.stringify(r.templates) !== JSON.stringify(first.templates)) throw new UsageError(`merge: ${r.runId} has other templates than ${first.runId}`, 'E_MERGE');
    if (r.ledger.mode !== first.ledger.mode) throw new UsageError(`merge: ${r.runId} kept a ${r.ledger.mode} ledger, ${first.runId} a ${first.ledger.mode} one`, 'E_MERGE');
  }
  // Only the shards of one run, each once and all of them: a whole run's users (or a shard's)
  // counted twice, or a shard left out, would be audited as one run that never happened.
  const whole = reports.find((r) => r.shard === undefined);
  if (whole) {
    throw new UsageError(`merge: ${whole.runId} is not a shard (run --shard i/n): only the shards of one run can be merged`, 'E_MERGE');
  }
  const shards = reports.map((r) => r.shard as NonNullable<RunReport['shard']>);
  const count = shards[0]!.count;
  const seen = new Set<number>();
  for (const s of shards) {
    if (s.count !== count) throw new UsageError(`merge: shards of ${count} and of ${s.count} parts cannot be merged`, 'E_MERGE');
    if (seen.has(s.index)) throw new UsageError(`merge: shard ${s.index}/${s.count} is given twice`, 'E_MERGE');
    seen.add(s.index);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length) throw new UsageError(`merge: shard ${missing.map((i) => `${i}/${count}`).join(', ')} missing: a merged run needs every shard`, 'E_MERGE');
}

/**
 * Timelines on one clock: each shard's second t becomes the merged second its wall-clock time falls
 * in; a merged second's percentiles from its shards' per-second histograms added when all have one.
 */
function mergeTimelines(reports: RunReport[], starts: number[], t0: number): TimelinePoint[] {
  const buckets = new Map<number, TimelinePoint>();
  /** per merged second: the shards' histograms, or null once a point without one joined it */
  const secondHists = new Map<number, string[] | null>();
  reports.forEach((r, i) => {
    const offset = ((starts[i] as number) - t0) / 1000;
    for (const p of r.timeline) {
      const t = Math.ceil(p.t + offset - 1e-9);
      let b = buckets.get(t);
      if (!b) {
        b = { t, counts: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>, p50: 0, p95: 0, p99: 0, issuedTotal: 0 };
        buckets.set(t, b);
      }
      for (const o of OUTCOMES) b.counts[o] += p.counts[o] ?? 0;
      b.p50 = Math.max(b.p50, p.p50);
      b.p95 = Math.max(b.p95, p.p95);
      b.p99 = Math.max(b.p99, p.p99);
      if (p.dropped) b.dropped = (b.dropped ?? 0) + p.dropped;
      // each shard's own generator: the machines together had the sum in flight
      if (p.inFlight !== undefined) b.inFlight = (b.inFlight ?? 0) + p.inFlight;
      if (p.vus !== undefined) b.vus = (b.vus ?? 0) + p.vus;
      const hs = secondHists.get(t);
      const answered = OUTCOMES.reduce((n, o) => n + (p.counts[o] ?? 0), 0);
      if (hs === null) continue;
      if (p.hist !== undefined) secondHists.set(t, [...(hs ?? []), p.hist]);
      else if (answered > 0) secondHists.set(t, null);
    }
  });
  for (const [t, hs] of secondHists) {
    if (hs === null || hs.length === 0) continue;
    const b = buckets.get(t)!;
    const h = added(hs)!;
    b.hist = encodeHistogram(h);
    const d = durationSummary(h);
    [b.p50, b.p95, b.p99] = [d.med, d['p(95)'], d['p(99)']];
    h.destroy();
  }
  const timeline = [...buckets.values()].sort((a, b) => a.t - b.t);
  let issued = 0;
  for (const p of timeline) {
    issued += p.counts.issued;
    p.issuedTotal = issued;
  }
  return timeline;
}

/**
 * Join the reports of one run split across generators (`run --shard i/n`): histograms added,
 * counters summed, the timelines aligned on wall-clock seconds (a merged second's percentiles from
 * its shards' per-second histograms added; from reports without them, the highest of the shards',
 * an upper bound), harness reasons kept per shard. The caller concatenates the ledgers and re-judges
 * the thresholds on the result.
 */
export function mergeReports(reports: RunReport[], opts: { runId: string; ledgerRecords: number; toolVersion: string }): RunReport {
  checkShards(reports);
  const first = reports[0] as RunReport;
  const starts = reports.map((r) => Date.parse(r.startedAt));
  const t0 = Math.min(...starts);
  const end = Math.max(...reports.map((r) => Date.parse(r.startedAt) + r.durationMs));
  const durationMs = end - t0;
  const rate = (n: number): number => (durationMs > 0 ? Math.round((n / (durationMs / 1000)) * 1000) / 1000 : 0);

  const corrected = added(reports.map((r) => r.histograms.corrected)) ?? newHistogram();
  const uncorrected = added(reports.map((r) => r.histograms.uncorrected)) ?? newHistogram();
  const outcomes = {} as Record<Outcome, number>;
  const byOutcome: Partial<Record<Outcome, string>> = {};
  const latencyByOutcome: Partial<Record<Outcome, DurationSummary>> = {};
  for (const o of OUTCOMES) {
    outcomes[o] = sum(reports.map((r) => r.outcomes[o]));
    const h = added(reports.map((r) => r.histograms.byOutcome[o]));
    if (h && h.totalCount > 0) {
      byOutcome[o] = encodeHistogram(h);
      latencyByOutcome[o] = summaryOf(h, reports.map((r) => r.metrics.http_req_duration_by_outcome?.[o]));
    }
  }
  const m = reports.map((r) => r.metrics);
  const total = sum(m.map((x) => x.http_reqs.count));
  const checks = new Map<string, { name: string; passes: number; fails: number }>();
  for (const r of reports) {
    for (const c of r.checks ?? []) {
      const acc = checks.get(c.name) ?? { name: c.name, passes: 0, fails: 0 };
      acc.passes += c.passes;
      acc.fails += c.fails;
      checks.set(c.name, acc);
    }
  }
  const passes = sum(m.map((x) => x.checks.passes));
  const fails = sum(m.map((x) => x.checks.fails));
  const connections = m.filter((x) => x.http_connections !== undefined);
  const errors: Record<string, number> = {};
  for (const x of connections) for (const [k, v] of Object.entries(x.http_connections?.errors ?? {})) errors[k] = (errors[k] ?? 0) + v;

  const timeline = mergeTimelines(reports, starts, t0);

  const merged: RunReport = {
    ...structuredClone(first),
    runId: opts.runId,
    tool: { name: 'coupon-bench', version: opts.toolVersion },
    startedAt: new Date(t0).toISOString(),
    endedAt: new Date(end).toISOString(),
    durationMs: round3(durationMs),
    metrics: {
      http_reqs: { count: total, rate: rate(total) },
      http_req_duration: summaryOf(corrected, m.map((x) => x.http_req_duration)),
      http_req_duration_uncorrected: summaryOf(uncorrected, m.map((x) => x.http_req_duration_uncorrected)),
      iterations: { count: sum(m.map((x) => x.iterations.count)), rate: rate(sum(m.map((x) => x.iterations.count))) },
      vus: { min: sum(m.map((x) => x.vus.min)), max: sum(m.map((x) => x.vus.max)) },
      checks: { passes, fails, rate: passes + fails > 0 ? Math.round((passes / (passes + fails)) * 1e6) / 1e6 : 0 },
      dropped_iterations: { count: sum(m.map((x) => x.dropped_iterations.count)), rate: rate(sum(m.map((x) => x.dropped_iterations.count))) },
      // every shard ran the same scenario: all of them count by expectedStatuses, or none does
      ...(m.every((x) => x.http_req_failed !== undefined) && m.length > 0
        ? { http_req_failed: { passes: sum(m.map((x) => x.http_req_failed?.passes)), fails: sum(m.map((x) => x.http_req_failed?.fails)), rate: total > 0 ? Math.round((sum(m.map((x) => x.http_req_failed?.passes)) / total) * 1e6) / 1e6 : 0 } }
        : {}),
      ...(m.some((x) => x.data_sent !== undefined) ? { data_sent: sum(m.map((x) => x.data_sent)), data_received: sum(m.map((x) => x.data_received)) } : {}),
      ...(connections.length
        ? { http_connections: { count: sum(connections.map((x) => x.http_connections?.count)), failed: sum(connections.map((x) => x.http_connections?.failed)), ...(Object.keys(errors).length ? { errors } : {}) } }
        : {}),
      http_req_duration_by_outcome: latencyByOutcome,
    },
    checks: [...checks.values()],
    outcomes,
    histograms: { corrected: encodeHistogram(corrected), uncorrected: encodeHistogram(uncorrected), byOutcome },
    timeline,
    thresholds: [],
    ledger: { ...first.ledger, records: opts.ledgerRecords },
    harness: {
      valid: reports.every((r) => r.harness.valid),
      reasons: reports.flatMap((r) => r.harness.reasons.map((why) => `${r.shard ? `shard ${r.shard.index}/${r.shard.count}` : r.runId}: ${why}`)),
      answered: sum(reports.map((r) => r.harness.answered)),
      eventLoopDelayP99Ms: Math.max(...reports.map((r) => r.harness.eventLoopDelayP99Ms ?? 0)),
      eventLoopDelayMeanMs: Math.max(...reports.map((r) => r.harness.eventLoopDelayMeanMs ?? 0)),
      cpuUsPerRequest: total > 0 ? round3(sum(reports.map((r) => (r.harness.cpuUsPerRequest ?? 0) * r.metrics.http_reqs.count)) / total) : 0,
      ...(reports.every((r) => r.harness.planned !== undefined) ? { planned: sum(reports.map((r) => r.harness.planned)) } : {}),
    },
    mergedFrom: reports.map((r) => ({ runId: r.runId, startedAt: r.startedAt, ...(r.shard ? { shard: r.shard } : {}) })),
  };
  delete merged.shard;
  delete merged.verdict;
  delete merged.burst;
  delete merged.faults;
  delete merged.abortedBy;
  delete merged.interrupted;
  if (reports.some((r) => r.interrupted)) merged.harness.valid = false;
  return merged;
}
