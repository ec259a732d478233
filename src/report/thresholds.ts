import { UsageError } from '../errors.js';
import { OUTCOMES, type Outcome } from '../model/outcome.js';
import { httpReqFailed } from '../model/http-req-failed.js';
import type { DurationSummary, RunReport, ThresholdResult } from '../model/report.js';
import { percentileMs } from './histogram-codec.js';

/** The k6 aggregation a threshold applies to a metric. */
export type Aggregation = 'avg' | 'min' | 'med' | 'max' | 'count' | 'rate' | 'value' | 'passes' | 'fails' | `p(${number})`;
/** Comparison operators a threshold may use. */
export type Operator = '<' | '<=' | '>' | '>=' | '==' | '===' | '!=';

/** One parsed threshold: `metric` + `agg op value`, e.g. http_req_duration + p(95) < 5. */
export interface Threshold {
  metric: string;
  expression: string;
  agg: Aggregation;
  percentile?: number;
  op: Operator;
  value: number;
  abortOnFail: boolean;
}

type MetricKind = 'trend' | 'counter' | 'rate' | 'gauge';

const EXPR = /^\s*(avg|min|med|max|count|rate|value|passes|fails|p\(\s*(\d+(?:\.\d+)?)\s*\))\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/;
const AGGS: Record<MetricKind, string[]> = {
  trend: ['avg', 'min', 'med', 'max', 'p'],
  counter: ['count', 'rate'],
  rate: ['rate', 'passes', 'fails'],
  gauge: ['value', 'min', 'max'],
};

/** The kind of a metric name (k6 vocabulary plus `outcomes.<class>`), or undefined when unknown. */
export function metricKind(metric: string): MetricKind | undefined {
  const base = metric.replace(/\{[^}]*\}$/, '');
  if (base === 'http_req_duration' || base === 'http_req_duration_uncorrected') {
    if (base !== metric) {
      const tag = /^\{outcome:([a-z_]+)\}$/.exec(metric.slice(base.length));
      if (!tag || !(OUTCOMES as readonly string[]).includes(tag[1] as string) || base !== 'http_req_duration') return undefined;
    }
    return 'trend';
  }
  if (base !== metric) return undefined;
  if (metric === 'http_reqs' || metric === 'iterations' || metric === 'dropped_iterations' || metric === 'data_sent' || metric === 'data_received') return 'counter';
  if (metric.startsWith('outcomes.') && (OUTCOMES as readonly string[]).includes(metric.slice(9))) return 'counter';
  if (metric === 'checks' || metric === 'http_req_failed') return 'rate';
  if (metric === 'vus') return 'gauge';
  return undefined;
}

/** Parse one k6 threshold expression for `metric`; throws UsageError saying what is wrong. */
export function parseThreshold(metric: string, expression: string, abortOnFail = false): Threshold {
  const kind = metricKind(metric);
  if (!kind) {
    throw new UsageError(
      `threshold "${metric}": unknown metric (use http_req_duration, http_req_duration{outcome:<class>}, http_req_duration_uncorrected, http_reqs, iterations, dropped_iterations, data_sent, data_received, checks, http_req_failed, vus, outcomes.<${OUTCOMES.join('|')}>)`,
      'E_THRESHOLD_INVALID',
    );
  }
  const m = EXPR.exec(expression);
  if (!m) throw new UsageError(`threshold "${metric}": cannot parse "${expression}" (expected e.g. p(95)<5, avg<2, count==0, rate>0.99)`, 'E_THRESHOLD_INVALID');
  const rawAgg = m[1] as string;
  const aggKey = rawAgg.startsWith('p(') ? 'p' : rawAgg;
  if (!AGGS[kind].includes(aggKey)) {
    throw new UsageError(`threshold "${metric}": "${rawAgg}" does not apply to a ${kind} metric (use ${AGGS[kind].map((a) => (a === 'p' ? 'p(N)' : a)).join(', ')})`, 'E_THRESHOLD_INVALID');
  }
  const t: Threshold = { metric, expression: expression.trim(), agg: rawAgg as Aggregation, op: m[3] as Operator, value: Number(m[4]), abortOnFail };
  if (aggKey === 'p') {
    const p = Number(m[2]);
    if (!(p >= 0 && p <= 100)) throw new UsageError(`threshold "${metric}": percentile ${p} is not within 0..100`, 'E_THRESHOLD_INVALID');
    t.agg = `p(${p})`;
    t.percentile = p;
  }
  return t;
}

/** Parse a scenario's `thresholds` map (k6 shape: metric -> [expr | {threshold, abortOnFail}]). */
export function parseThresholdMap(map: Record<string, Array<string | { threshold: string; abortOnFail?: boolean }>> | undefined): Threshold[] {
  const out: Threshold[] = [];
  for (const [metric, list] of Object.entries(map ?? {})) {
    for (const item of list) {
      if (typeof item === 'string') out.push(parseThreshold(metric, item));
      else out.push(parseThreshold(metric, item.threshold, item.abortOnFail ?? false));
    }
  }
  return out;
}

/** Parse a `--threshold 'metric:expr'` flag (the expression never contains a colon). */
export function parseThresholdFlag(flag: string): Threshold {
  const at = flag.lastIndexOf(':');
  if (at <= 0) throw new UsageError(`--threshold "${flag}": expected metric:expression, e.g. http_req_duration:p(95)<5`, 'E_THRESHOLD_INVALID');
  return parseThreshold(flag.slice(0, at).trim(), flag.slice(at + 1));
}

function compare(actual: number, op: Operator, value: number): boolean {
  switch (op) {
    case '<':
      return actual < value;
    case '<=':
      return actual <= value;
    case '>':
      return actual > value;
    case '>=':
      return actual >= value;
    case '==':
    case '===':
      return actual === value;
    case '!=':
      return actual !== value;
  }
}

/** The observed value a threshold is judged on, or null when the run has no data for it. */
export function observedValue(t: Threshold, report: Pick<RunReport, 'metrics' | 'outcomes' | 'histograms' | 'durationMs'>): number | null {
  const m = report.metrics;
  const seconds = report.durationMs / 1000;
  const kind = metricKind(t.metric);
  if (kind === 'trend') {
    const tag = /\{outcome:([a-z_]+)\}$/.exec(t.metric)?.[1] as Outcome | undefined;
    const encoded = tag ? report.histograms.byOutcome[tag] : t.metric === 'http_req_duration' ? report.histograms.corrected : report.histograms.uncorrected;
    const summary: DurationSummary | undefined = tag
      ? m.http_req_duration_by_outcome?.[tag]
      : t.metric === 'http_req_duration'
        ? m.http_req_duration
        : m.http_req_duration_uncorrected;
    if (t.percentile !== undefined) {
      if (!encoded) return null;
      // within the run's exact min and max, as the summary shows them
      return percentileMs(encoded, t.percentile, summary);
    }
    if (!summary || m.http_reqs.count === 0) return null;
    return summary[t.agg as 'avg' | 'min' | 'med' | 'max'];
  }
  if (kind === 'counter') {
    let count: number;
    if (t.metric === 'http_reqs') count = m.http_reqs.count;
    else if (t.metric === 'iterations') count = m.iterations.count;
    else if (t.metric === 'dropped_iterations') count = m.dropped_iterations.count;
    else if (t.metric === 'data_sent' || t.metric === 'data_received') {
      const bytes = m[t.metric];
      if (bytes === undefined) return null; // not measured: the threshold fails rather than passes
      count = bytes;
    } else count = report.outcomes[t.metric.slice(9) as Outcome] ?? 0;
    return t.agg === 'count' ? count : seconds > 0 ? count / seconds : 0;
  }
  if (kind === 'rate') {
    const c = m.checks;
    if (t.metric === 'checks') {
      if (c.passes + c.fails === 0) return null;
      return t.agg === 'passes' ? c.passes : t.agg === 'fails' ? c.fails : c.passes / (c.passes + c.fails);
    }
    // http_req_failed: see httpReqFailed (outcomes by default, k6's expectedStatuses when the scenario has them)
    const { failed, total } = httpReqFailed(report);
    if (total === 0) return null;
    return t.agg === 'passes' ? failed : t.agg === 'fails' ? total - failed : failed / total;
  }
  return t.agg === 'min' ? m.vus.min : m.vus.max;
}

/** Evaluate thresholds; a threshold with no data fails (a run that measured nothing never passes). */
export function evaluateThresholds(list: Threshold[], report: Pick<RunReport, 'metrics' | 'outcomes' | 'histograms' | 'durationMs'>): ThresholdResult[] {
  return list.map((t) => {
    const actual = observedValue(t, report);
    const rounded = actual === null ? null : Math.round(actual * 1e6) / 1e6;
    return { metric: t.metric, expression: t.expression, ok: actual !== null && compare(actual, t.op, t.value), actual: rounded };
  });
}
