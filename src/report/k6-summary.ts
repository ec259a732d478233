import { createHash } from 'node:crypto';
import type { DurationSummary, RunReport } from '../model/report.js';
import { httpReqFailed } from '../model/http-req-failed.js';

/** One metric of k6's `--summary-export` file: its aggregates, and its thresholds (expression → failed). */
type K6SummaryMetric = Record<string, number | Record<string, boolean>>;

/** The `--summary-export` file of k6 (its legacy JSON shape), so scripts written for k6 read our runs. */
export interface K6SummaryExport {
  root_group: {
    name: string;
    path: string;
    id: string;
    groups: Record<string, never>;
    checks: Record<string, { name: string; path: string; id: string; passes: number; fails: number }>;
  };
  metrics: Record<string, K6SummaryMetric>;
}

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const round = (n: number): number => Math.round(n * 1e6) / 1e6;
const perSecond = (n: number, ms: number): number => (ms > 0 ? round(n / (ms / 1000)) : 0);

function trend(d: DurationSummary): K6SummaryMetric {
  return { avg: d.avg, min: d.min, med: d.med, max: d.max, 'p(90)': d['p(90)'], 'p(95)': d['p(95)'] };
}

/** A k6 rate metric: `passes` the non-zero samples, `fails` the zero ones, `value` the non-zero share. */
function rateMetric(passes: number, fails: number): K6SummaryMetric {
  return { passes, fails, value: passes + fails > 0 ? round(passes / (passes + fails)) : 0 };
}

/**
 * A run report as k6's `--summary-export` JSON: the standard metrics (http_req_duration is the
 * corrected latency, as in the summary), each named check under root_group, and each threshold
 * under its metric as k6 writes it (`true` when it failed).
 */
export function k6SummaryExport(report: RunReport): K6SummaryExport {
  const m = report.metrics;
  const ms = report.durationMs;
  const failed = httpReqFailed(report);
  const metrics: Record<string, K6SummaryMetric> = {
    checks: rateMetric(m.checks.passes, m.checks.fails),
    dropped_iterations: { count: m.dropped_iterations.count, rate: m.dropped_iterations.rate },
    http_req_duration: trend(m.http_req_duration),
    http_req_failed: rateMetric(failed.failed, failed.total - failed.failed),
    http_reqs: { count: m.http_reqs.count, rate: m.http_reqs.rate },
    iterations: { count: m.iterations.count, rate: m.iterations.rate },
    vus: { value: m.vus.min, min: m.vus.min, max: m.vus.max },
    vus_max: { value: m.vus.max, min: m.vus.max, max: m.vus.max },
  };
  if (m.http_req_connecting) metrics['http_req_connecting'] = trend(m.http_req_connecting);
  if (m.data_sent !== undefined) metrics['data_sent'] = { count: m.data_sent, rate: perSecond(m.data_sent, ms) };
  if (m.data_received !== undefined) metrics['data_received'] = { count: m.data_received, rate: perSecond(m.data_received, ms) };
  for (const t of report.thresholds) {
    const entry = (metrics[t.metric] ??= {});
    const list = (entry['thresholds'] ??= {}) as Record<string, boolean>;
    list[t.expression] = !t.ok;
  }
  const checks: K6SummaryExport['root_group']['checks'] = {};
  for (const c of report.checks ?? []) checks[c.name] = { name: c.name, path: `::${c.name}`, id: md5(`::${c.name}`), passes: c.passes, fails: c.fails };
  return { root_group: { name: '', path: '', id: md5(''), groups: {}, checks }, metrics };
}
