import { ExitCode } from '../errors.js';
import type { RunReport } from '../model/report.js';
import { busyHostWarnings } from './busy-host.js';
import { COMPARE_METRICS, type Better, type MetricDef } from './compare-metrics.js';
import { limitFor, type RegressionGates } from './compare-gates.js';
import { histogramStats } from './histogram-codec.js';
import { untrustedRunReasons } from '../shared/run-validity.js';

/** One metric's change between two runs. */
export interface MetricChange {
  metric: string;
  description: string;
  unit: MetricDef['unit'];
  better: Better;
  base: number;
  next: number;
  /** relative change (next-base)/base; null when base is 0 and next is not */
  change: number | null;
  /** relative change in the bad direction (negative = improved); null when base is 0 and next is not */
  worsening: number | null;
  /** got worse at all (direction-aware) */
  worse: boolean;
  /** the gate's limit as a fraction, when this metric is gated */
  limit?: number;
  /** gated and worse by more than the limit */
  regressed: boolean;
}

/** Result of `compare`: every metric, the regressions, and the exit code (97 on an untrusted run, 99 on a regression). */
export interface CompareResult {
  base: { runId: string; scenario: string; requests: number };
  next: { runId: string; scenario: string; requests: number };
  metrics: MetricChange[];
  /** names of the gated metrics that regressed beyond their limit */
  regressions: string[];
  /** why a run cannot be compared (its harness was invalid, it checked nothing): exit 97 when any */
  untrusted: string[];
  warnings: string[];
  ok: boolean;
  exitCode: number;
}

function change(def: MetricDef, base: number, next: number, limit: number | undefined, minLatencyDeltaMs: number): MetricChange {
  let rel: number | null;
  if (base === next) rel = 0;
  else if (base === 0) rel = null;
  else rel = (next - base) / Math.abs(base);
  const sign = def.better === 'lower' ? 1 : -1;
  const worse = sign * (next - base) > 0;
  const worsening = rel === null ? null : sign * rel;
  // From zero to anything bad is an unbounded regression; from zero to anything good is not.
  const aboveFloor = def.unit !== 'ms' || Math.abs(next - base) >= minLatencyDeltaMs;
  const regressed = limit !== undefined && worse && aboveFloor && (worsening === null || worsening > limit + 1e-12);
  const c: MetricChange = {
    metric: def.name,
    description: def.description,
    unit: def.unit,
    better: def.better,
    base,
    next,
    change: rel,
    worsening,
    worse,
    regressed,
  };
  if (limit !== undefined) c.limit = limit;
  return c;
}

/** The load's shape (executor, VUs) where the two runs differ: their figures measure different loads. */
function shapeDifferences(base: RunReport, next: RunReport): string[] {
  const out: string[] = [];
  const executor = (r: RunReport): string => String(r.scenario['executor'] ?? '?');
  if (executor(base) !== executor(next)) out.push(`different executors: ${executor(base)} vs ${executor(next)}`);
  const vus = (r: RunReport): string => {
    const declared = r.scenario['vus'] ?? r.scenario['preAllocatedVUs'];
    return declared !== undefined ? String(declared) : String(r.metrics.vus.max);
  };
  if (vus(base) !== vus(next)) out.push(`different VUs: ${vus(base)} vs ${vus(next)}`);
  return out;
}

/**
 * Compare two run reports metric by metric. Latency percentiles are read from the decoded HDR
 * histograms (full precision), not the rounded summaries. Pure: reports in, result out.
 */
export function compareReports(base: RunReport, next: RunReport, gates: RegressionGates = { perMetric: {} }): CompareResult {
  // The summaries keep each histogram's exact min and max (encoding keeps only their buckets).
  const bc = histogramStats(base.histograms.corrected, 'base corrected histogram', base.metrics.http_req_duration);
  const bu = histogramStats(base.histograms.uncorrected, 'base uncorrected histogram', base.metrics.http_req_duration_uncorrected);
  const nc = histogramStats(next.histograms.corrected, 'new corrected histogram', next.metrics.http_req_duration);
  const nu = histogramStats(next.histograms.uncorrected, 'new uncorrected histogram', next.metrics.http_req_duration_uncorrected);
  const floor = gates.minLatencyDeltaMs ?? 0;
  const metrics = COMPARE_METRICS.map((def) => change(def, def.read(base, bc, bu), def.read(next, nc, nu), limitFor(gates, def.name, def.key), floor));
  const regressions = metrics.filter((m) => m.regressed).map((m) => m.metric);
  const warnings: string[] = [];
  if (base.scenario.name !== next.scenario.name) warnings.push(`different scenarios: "${base.scenario.name}" vs "${next.scenario.name}"`);
  warnings.push(...shapeDifferences(base, next));
  if (bc.count === 0 || nc.count === 0) warnings.push('a run recorded no latencies; latency comparisons are meaningless');
  if (base.interrupted) warnings.push(`the base run was interrupted by ${base.interrupted.signal}: it is incomplete and not a baseline`);
  if (next.interrupted) warnings.push(`the new run was interrupted by ${next.interrupted.signal}: it is incomplete`);
  // A run that checked nothing (or whose harness was invalid) has no figures to compare: never a pass.
  const untrusted = [
    ...untrustedRunReasons(base).map((why) => `base run: ${why}`),
    ...untrustedRunReasons(next).map((why) => `new run: ${why}`),
  ];
  for (const [which, r] of [['base', base], ['new', next]] as const) {
    const busy = busyHostWarnings(r);
    if (busy.length > 0) warnings.push(`busy host during the ${which} run: ${busy.join('; ')}; its latencies include the machine's other work`);
  }
  const exitCode = untrusted.length > 0 ? ExitCode.HarnessInvalid : regressions.length > 0 ? ExitCode.ThresholdsFailed : ExitCode.Ok;
  return {
    base: { runId: base.runId, scenario: base.scenario.name, requests: base.metrics.http_reqs.count },
    next: { runId: next.runId, scenario: next.scenario.name, requests: next.metrics.http_reqs.count },
    metrics,
    regressions,
    untrusted,
    warnings,
    ok: exitCode === ExitCode.Ok,
    exitCode,
  };
}
