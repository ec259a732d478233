import { CouponBenchError, ExitCode } from '../../errors.js';
import { LEDGER_FILE } from '../../model/ledger-record.js';
import type { RunReport } from '../../model/report.js';
import type { VerdictJson } from '../../model/verdict.js';
import { VERSION } from '../../shared/version.js';
import { redactUrl } from '../../shared/redact-url.js';
import { burstWarmupReason, openFileLimit } from '../../load/executors/burst-warmup.js';
import { aggregateRun, environmentFingerprint, writeRunReport } from '../../report/report-json.js';
import { evaluateThresholds } from '../../report/thresholds.js';
import type { RunInput } from '../run-input.js';
import type { RunControl } from '../run-control.js';
import { plannedMs, type RunPlan } from '../plan/plan.js';
import { ELD_RESOLUTION_MS, type LoadResult } from '../load/load-phase.js';
import { unmatchedReport } from '../../dialect/run-dialect.js';
import { harnessReasons } from '../harness-validity.js';

/** What the finish phase needs: the plan, where the run went and what the load measured. */
export interface FinishContext {
  input: RunInput;
  plan: RunPlan;
  runId: string;
  runDir: string;
  url: URL;
  stores: RunReport['stores'] | undefined;
  control: RunControl;
  load: LoadResult;
}

/** The stores as report.json records them: URLs without their passwords. */
function withoutPasswords(s: NonNullable<RunReport['stores']>): NonNullable<RunReport['stores']> {
  return {
    ...s,
    ...(s.redis !== undefined ? { redis: redactUrl(s.redis) } : {}),
    ...(s.db !== undefined ? { db: redactUrl(s.db) } : {}),
  };
}

/** 97 when the harness is invalid (nothing else can be trusted), then 100 (invariants), then 99 (thresholds). */
export function exitCodeOf(report: RunReport): number {
  if (!report.harness.valid || (report.harness.answered ?? 0) === 0) return ExitCode.HarnessInvalid;
  if (report.verdict && !report.verdict.ok) return report.verdict.exitCode === ExitCode.Ok ? ExitCode.InvariantFailed : report.verdict.exitCode;
  if (report.thresholds.some((t) => !t.ok)) return ExitCode.ThresholdsFailed;
  return ExitCode.Ok;
}

/** The report of the run: k6 metrics, HDR histograms, timeline, traffic, fault bands. */
function aggregate(ctx: FinishContext, durationMs: number): RunReport {
  const { plan, load } = ctx;
  const { recorder, ledger, engine, exec } = load;
  const report = aggregateRun({
    runId: ctx.runId,
    toolVersion: VERSION,
    scenario: plan.scenario as unknown as Record<string, unknown> & { name: string },
    target: ctx.url.origin,
    startedAt: load.startedAt,
    durationMs,
    measured: recorder,
    templates: plan.scenario.templates.map((t) => ({ templateId: t.id, stock: t.stock })),
    ledger: { file: LEDGER_FILE, records: ledger.records, mode: plan.ledgerMode },
    environment: { ...environmentFingerprint(), httpClient: engine.clientKind },
    ...(exec?.burst ? { burst: exec.burst } : {}),
    ...(exec ? { traffic: engine.traffic() } : {}),
    // No passwords in a file CI may upload: verify --report asks for them again (see resolve-input.ts).
    ...(ctx.stores ? { stores: withoutPasswords(ctx.stores) } : {}),
  });
  if (load.bands) report.faults = load.bands.result(load.endPerf);
  const unmatched = unmatchedReport(plan.dialect.answers);
  if (unmatched) report.unmatched = unmatched;
  return report;
}

/** Harness validity, thresholds, how the run ended, and its exit code, recorded in the report. */
function judge(ctx: FinishContext, report: RunReport, durationMs: number): void {
  const { input, plan, load, control } = ctx;
  const { recorder, exec, eld } = load;
  // Node's samples are the whole interval between two ticks of a 10 ms timer, so an idle loop reads
  // ~10 ms; the delay is what exceeds the interval.
  const eldP99 = eld.count > 0 ? Math.max(0, eld.percentile(99) / 1e6 - ELD_RESOLUTION_MS) : 0;
  const eldMean = eld.count > 0 ? Math.max(0, eld.mean / 1e6 - ELD_RESOLUTION_MS) : 0;
  const plannedIterations = exec?.planned;
  const reasons = harnessReasons({
    origin: ctx.url.origin,
    unreachable: load.unreachable,
    interrupted: control.interrupted,
    durationMs,
    plannedMs: plannedMs(plan.scenario),
    harness: plan.scenario.harness,
    faults: plan.faults,
    bands: report.faults,
    warmupReason: exec?.warmupErrors?.length && exec.burst ? burstWarmupReason(exec.warmupErrors, exec.burst.requests, recorder.answered, openFileLimit()) : undefined,
    answered: recorder.answered,
    outcomes: report.outcomes,
    dropped: recorder.dropped,
    plannedIterations,
    eventLoopDelayMeanMs: eldMean,
    host: load.host,
    unmatched: report.unmatched,
  });
  report.harness = {
    valid: reasons.length === 0,
    reasons,
    answered: recorder.answered,
    eventLoopDelayP99Ms: Math.round(eldP99 * 1000) / 1000,
    eventLoopDelayMeanMs: Math.round(eldMean * 1000) / 1000,
    cpuUsPerRequest: recorder.total > 0 ? Math.round(((load.cpu.user + load.cpu.system) / recorder.total) * 100) / 100 : 0,
    ...(plannedIterations !== undefined ? { planned: plannedIterations } : {}),
    ...(load.host ? { host: load.host } : {}),
    ...(exec?.thinkActualMs !== undefined ? { thinkActualMs: Math.round(exec.thinkActualMs * 1000) / 1000 } : {}),
  };
  // A shard holds part of the run: its counts cannot meet the run's thresholds; merge judges them on the whole.
  report.thresholds = plan.sharded ? [] : evaluateThresholds(plan.thresholds, report);
  if (load.abortedBy !== undefined) {
    report.abortedBy = `threshold with abortOnFail failed: ${load.abortedBy.text}`;
    // the final value may pass again; the run still stopped because of it (k6 exits 99 too)
    const stopped = report.thresholds[plan.thresholds.indexOf(load.abortedBy.threshold)];
    if (stopped) stopped.ok = false;
  }
  if (control.interrupted) report.interrupted = control.interrupted;
  if (input.shard && input.shard.count > 1) report.shard = { index: input.shard.index + 1, count: input.shard.count };
  report.exitCode = exitCodeOf(report);
}

/**
 * Integration point with the audit (lazy: only loaded with --verify). The run's stores are up now,
 * so every one it knows must answer: one that does not makes the verdict "not audited" with the
 * error's exit code (97 unreachable) instead of a pass with its invariants skipped.
 */
async function runVerify(reportPath: string, stores: RunReport['stores'], strict: boolean, dbQuery: string | undefined): Promise<VerdictJson> {
  const { verify, notAuditedVerdict } = await import('../../verify/verify.js');
  try {
    // The stores as given (the report keeps them without passwords).
    return await verify({
      reportPath,
      storesRequired: true,
      strict,
      ...(stores?.redis !== undefined ? { redisUrl: stores.redis } : {}),
      ...(stores?.db !== undefined ? { dbUrl: stores.db } : {}),
      ...(dbQuery !== undefined ? { dbQuery } : {}),
    });
  } catch (err) {
    if (err instanceof CouponBenchError) return notAuditedVerdict(err);
    throw err;
  }
}

/**
 * Finish the run: close the recorder and the ledger, aggregate and judge the report, write it, and
 * with `verify` (on a valid harness) audit the stores and write the report again with the verdict.
 */
export async function finishRun(ctx: FinishContext): Promise<{ report: RunReport; reportPath: string }> {
  const { input, load } = ctx;
  load.recorder.finish(load.endPerf);
  await load.ledger.close();
  const durationMs = load.exec ? load.exec.endedAt - load.exec.startedAt : 0;
  const report = aggregate(ctx, durationMs);
  judge(ctx, report, durationMs);
  let reportPath = await writeRunReport(ctx.runDir, report);
  if (input.verify && report.harness.valid) {
    report.verdict = await runVerify(reportPath, ctx.stores, input.strict === true, input.dbQuery);
    report.exitCode = exitCodeOf(report);
    reportPath = await writeRunReport(ctx.runDir, report);
  }
  return { report, reportPath };
}
