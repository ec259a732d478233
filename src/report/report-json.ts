import { rename, writeFile } from 'node:fs/promises';
import { cpus, hostname, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { OUTCOMES, type Outcome } from '../model/outcome.js';
import { REPORT_FILE } from '../model/ledger-record.js';
import type { DurationSummary, RunReport, TimelinePoint } from '../model/report.js';
import { durationSummary, encodeHistogram, type Histogram } from '../shared/histogram.js';
import { CouponBenchError } from '../errors.js';
import { makeOutputDir } from '../output-path.js';

/** What a finished run measured (the Recorder's fields). */
export interface MeasuredRun {
  counts: number[];
  corrected: Histogram;
  uncorrected: Histogram;
  /** connection set-up per request */
  connectingHistogram?: Histogram;
  byOutcome: Histogram[];
  checks: Array<{ name: string; passes: number; fails: number }>;
  timeline: TimelinePoint[];
  answered: number;
  total: number;
  dropped: number;
  vusMin: number;
  /** requests whose status was not in the scenario's expectedStatuses, when it has them */
  unexpectedStatuses?: number | undefined;
  vusMax: number;
}

/** Everything {@link aggregateRun} turns into a RunReport. */
export interface AggregateInput {
  runId: string;
  toolVersion: string;
  scenario: Record<string, unknown> & { name: string };
  target: string;
  startedAt: Date;
  durationMs: number;
  measured: MeasuredRun;
  templates: Array<{ templateId: number; stock: number }>;
  ledger: RunReport['ledger'];
  environment: RunReport['environment'];
  burst?: RunReport['burst'];
  stores?: RunReport['stores'];
  /** bytes the engine's connections sent and received (k6's data_sent / data_received) */
  traffic?: { sent: number; received: number; connections?: number; connectErrors?: Record<string, number> };
}

function connectionsMetric(count: number, errors: Record<string, number>): NonNullable<RunReport['metrics']['http_connections']> {
  const failed = Object.values(errors).reduce((a, n) => a + n, 0);
  return failed > 0 ? { count, failed, errors } : { count, failed };
}

const rate = (count: number, ms: number): number => (ms > 0 ? Math.round((count / (ms / 1000)) * 1000) / 1000 : 0);

/**
 * Results in, report shape out (pure, like autocannon's aggregateResult): k6-vocabulary metrics,
 * encoded histograms, timeline and outcome counts. Thresholds, harness validity and the exit code
 * are filled in by the caller.
 */
export function aggregateRun(input: AggregateInput): RunReport {
  const m = input.measured;
  const outcomes = {} as Record<Outcome, number>;
  const byOutcome: Partial<Record<Outcome, string>> = {};
  const latencyByOutcome: Partial<Record<Outcome, DurationSummary>> = {};
  OUTCOMES.forEach((o, i) => {
    outcomes[o] = m.counts[i] ?? 0;
    const h = m.byOutcome[i];
    if (h && h.totalCount > 0) {
      byOutcome[o] = encodeHistogram(h);
      latencyByOutcome[o] = durationSummary(h);
    }
  });
  const passes = m.checks.reduce((a, c) => a + c.passes, 0);
  const fails = m.checks.reduce((a, c) => a + c.fails, 0);
  const ms = input.durationMs;
  const report: RunReport = {
    version: 1,
    runId: input.runId,
    tool: { name: 'coupon-bench', version: input.toolVersion },
    startedAt: input.startedAt.toISOString(),
    endedAt: new Date(input.startedAt.getTime() + ms).toISOString(),
    durationMs: Math.round(ms * 1000) / 1000,
    scenario: input.scenario,
    target: input.target,
    environment: input.environment,
    templates: input.templates,
    metrics: {
      http_reqs: { count: m.total, rate: rate(m.total, ms) },
      http_req_duration: durationSummary(m.corrected),
      http_req_duration_uncorrected: durationSummary(m.uncorrected),
      ...(m.connectingHistogram && m.connectingHistogram.totalCount > 0 ? { http_req_connecting: durationSummary(m.connectingHistogram) } : {}),
      iterations: { count: m.total, rate: rate(m.total, ms) },
      vus: { min: Number.isFinite(m.vusMin) ? m.vusMin : 0, max: m.vusMax },
      checks: { passes, fails, rate: passes + fails > 0 ? Math.round((passes / (passes + fails)) * 1e6) / 1e6 : 0 },
      ...(m.unexpectedStatuses !== undefined
        ? { http_req_failed: { passes: m.unexpectedStatuses, fails: m.total - m.unexpectedStatuses, rate: m.total > 0 ? Math.round((m.unexpectedStatuses / m.total) * 1e6) / 1e6 : 0 } }
        : {}),
      dropped_iterations: { count: m.dropped, rate: rate(m.dropped, ms) },
      ...(input.traffic ? { data_sent: input.traffic.sent, data_received: input.traffic.received } : {}),
      ...(input.traffic?.connections !== undefined ? { http_connections: connectionsMetric(input.traffic.connections, input.traffic.connectErrors ?? {}) } : {}),
      http_req_duration_by_outcome: latencyByOutcome,
    },
    checks: m.checks.map((c) => ({ name: c.name, passes: c.passes, fails: c.fails })),
    outcomes,
    histograms: { corrected: encodeHistogram(m.corrected), uncorrected: encodeHistogram(m.uncorrected), byOutcome },
    timeline: m.timeline,
    thresholds: [],
    ledger: input.ledger,
    harness: { valid: true, reasons: [], answered: m.answered },
    exitCode: 0,
  };
  if (input.burst) report.burst = input.burst;
  if (input.stores) report.stores = input.stores;
  return report;
}

/** The machine a run was measured on (reports from different machines are not comparable blindly). */
export function environmentFingerprint(): RunReport['environment'] {
  const c = cpus();
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpus: c.length,
    cpuModel: c[0]?.model ?? 'unknown',
    totalMemMb: Math.round(totalmem() / 1048576),
    hostname: hostname(),
    loadavg: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

/** Write report.json atomically (temp file + rename) into `dir`; returns its path. */
export async function writeRunReport(dir: string, report: RunReport): Promise<string> {
  await makeOutputDir(dir);
  const path = join(dir, REPORT_FILE);
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, JSON.stringify(report, null, 2) + '\n');
    await rename(tmp, path);
  } catch (err) {
    throw new CouponBenchError('E_OUTPUT_WRITE', `cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, undefined, { cause: err });
  }
  return path;
}
