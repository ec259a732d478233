import { UsageError } from '../errors.js';
import { COMPARE_METRICS, METRIC_ALIASES } from './compare-metrics.js';

/** Regression limits as fractions (0.1 = 10%): a default for the key metrics plus per-metric ones. */
export interface RegressionGates {
  /** limit applied to every key metric (rate, p50, p90, p95, p99) without its own limit */
  keyDefault?: number;
  /** limit for every metric without its own limit (`all=10%`) */
  allDefault?: number;
  /** per-metric limits, by canonical metric name */
  perMetric: Record<string, number>;
  /**
   * noise floor of the latency metrics, ms: a latency that got worse by less than this never counts
   * as a regression, whatever the percentage (0.3 ms -> 0.4 ms is +33% and still noise on loopback)
   */
  minLatencyDeltaMs?: number;
}

const KNOWN = new Set(COMPARE_METRICS.map((m) => m.name));

function parseLimit(text: string, entry: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  if (!m?.[1]) throw new UsageError(`--max-regression: "${entry}" is not a percentage (e.g. 10% or p95=5%)`);
  return Number(m[1]) / 100;
}

/** Canonical metric name for a user spelling, or a usage error listing the valid ones. */
export function canonicalMetric(name: string): string {
  const lower = name.trim().toLowerCase();
  const canon = METRIC_ALIASES[lower] ?? lower;
  if (!KNOWN.has(canon)) {
    throw new UsageError(`--max-regression: unknown metric "${name}" (known: ${[...KNOWN].join(', ')}, or "all")`);
  }
  return canon;
}

/**
 * Parse `--max-regression` values. Each value is a comma-separated list of entries:
 * `10%` gates the key metrics (rate, p50, p90, p95, p99); `p95=5%` gates one metric (overrides the
 * default); `all=10%` gates every metric. The `%` is optional (`p95=5` is 5%).
 */
export function parseMaxRegression(values: readonly string[]): RegressionGates {
  const gates: RegressionGates = { perMetric: {} };
  for (const value of values) {
    for (const raw of value.split(',')) {
      const entry = raw.trim();
      if (entry === '') continue;
      const eq = entry.indexOf('=');
      if (eq < 0) {
        gates.keyDefault = parseLimit(entry, entry);
        continue;
      }
      const name = entry.slice(0, eq).trim();
      const limit = parseLimit(entry.slice(eq + 1), entry);
      if (name === 'all' || name === '*') gates.allDefault = limit;
      else gates.perMetric[canonicalMetric(name)] = limit;
    }
  }
  return gates;
}

/** Parse `--min-latency-delta <ms>`: a non-negative number of milliseconds (a trailing `ms` is allowed). */
export function parseMinLatencyDelta(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms)?\s*$/.exec(text);
  if (!m?.[1]) throw new UsageError(`--min-latency-delta: "${text}" is not a number of milliseconds (e.g. 0.5 or 2ms)`);
  return Number(m[1]);
}

/** The limit that applies to one metric, or undefined when it is not gated. */
export function limitFor(gates: RegressionGates, metric: string, key: boolean): number | undefined {
  return gates.perMetric[metric] ?? (key ? gates.keyDefault : undefined) ?? gates.allDefault;
}
