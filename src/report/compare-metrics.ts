import type { RunReport } from '../model/report.js';
import type { HistogramStats } from './histogram-codec.js';

/** Which way is good for a metric: latency up is worse, throughput down is worse. */
export type Better = 'lower' | 'higher';

/** One comparable metric of a run report. */
export interface MetricDef {
  /** name used in `--max-regression` and in the JSON output */
  name: string;
  description: string;
  unit: 'ms' | '/s' | 'count' | 'ratio';
  better: Better;
  /** gated by a bare `--max-regression 10%` (the steady, meaningful ones; max and p99.9 are too noisy) */
  key: boolean;
  read(report: RunReport, corrected: HistogramStats, uncorrected: HistogramStats): number;
}

/** Every metric `compare` reports, in display order. Percentiles come from the decoded histograms. */
export const COMPARE_METRICS: readonly MetricDef[] = [
  { name: 'rate', description: 'requests per second', unit: '/s', better: 'higher', key: true, read: (r) => r.metrics.http_reqs.rate },
  { name: 'p50', description: 'median latency (corrected)', unit: 'ms', better: 'lower', key: true, read: (_r, c) => c.p50 },
  { name: 'p90', description: 'p90 latency (corrected)', unit: 'ms', better: 'lower', key: true, read: (_r, c) => c.p90 },
  { name: 'p95', description: 'p95 latency (corrected)', unit: 'ms', better: 'lower', key: true, read: (_r, c) => c.p95 },
  { name: 'p99', description: 'p99 latency (corrected)', unit: 'ms', better: 'lower', key: true, read: (_r, c) => c.p99 },
  { name: 'p99.9', description: 'p99.9 latency (corrected)', unit: 'ms', better: 'lower', key: false, read: (_r, c) => c.p999 },
  { name: 'max', description: 'max latency (corrected)', unit: 'ms', better: 'lower', key: false, read: (_r, c) => c.maxMs },
  { name: 'mean', description: 'mean latency (corrected)', unit: 'ms', better: 'lower', key: false, read: (_r, c) => c.meanMs },
  { name: 'p95-uncorrected', description: 'p95 latency (from actual send)', unit: 'ms', better: 'lower', key: false, read: (_r, _c, u) => u.p95 },
  { name: 'p99-uncorrected', description: 'p99 latency (from actual send)', unit: 'ms', better: 'lower', key: false, read: (_r, _c, u) => u.p99 },
  { name: 'checks', description: 'share of passed checks', unit: 'ratio', better: 'higher', key: false, read: (r) => r.metrics.checks.rate },
  { name: 'unknown', description: 'unknown outcomes (timeouts, errors, 5xx)', unit: 'count', better: 'lower', key: false, read: (r) => r.outcomes.unknown },
  { name: 'dropped', description: 'dropped iterations', unit: 'count', better: 'lower', key: false, read: (r) => r.metrics.dropped_iterations.count },
];

/** Accepted spellings of metric names (k6's `p(95)`, `http_reqs`, …). */
export const METRIC_ALIASES: Readonly<Record<string, string>> = {
  'p(50)': 'p50',
  med: 'p50',
  median: 'p50',
  'p(90)': 'p90',
  'p(95)': 'p95',
  'p(99)': 'p99',
  'p(99.9)': 'p99.9',
  p999: 'p99.9',
  avg: 'mean',
  http_reqs: 'rate',
  rps: 'rate',
  throughput: 'rate',
  dropped_iterations: 'dropped',
};
