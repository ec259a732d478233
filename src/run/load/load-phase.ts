import { loadavg } from 'node:os';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { LEDGER_FILE } from '../../model/ledger-record.js';
import { VERSION } from '../../shared/version.js';
import { parseDuration } from '../../shared/duration.js';
import { Engine } from '../../load/engine.js';
import { CLOSED_EXECUTORS, runExecutor } from '../../load/executors/run-executor.js';
import type { ExecResult } from '../../load/executors/types.js';
import { hostCpuBetween, sampleHostCpu, type HostCpuShare } from '../../load/host-cpu.js';
import { LedgerWriter } from '../../load/ledger-writer.js';
import { Recorder } from '../../load/recorder.js';
import { runTick } from '../../load/run-tick.js';
import { aggregateRun, environmentFingerprint } from '../../report/report-json.js';
import { evaluateThresholds, type Threshold } from '../../report/thresholds.js';
import type { ChaosStand } from '../../faults/chaos-stand.js';
import type { TargetStand } from '../../faults/target-stand.js';
import { FaultBands } from '../../faults/fault-bands.js';
import { holdsLoad, runFaults, type FaultProgress } from '../../faults/fault-runner.js';
import type { RunEvent, RunInput } from '../run-input.js';
import type { RunControl } from '../run-control.js';
import { plannedMs, type RunPlan } from '../plan/plan.js';
import type { PersistPoller } from './persist-poller.js';
import { DEFAULT_CHECKS } from '../../model/scenario.js';
import { expectedStatusTable } from '../../model/http-req-failed.js';
import { probe } from './probe.js';

const DEFAULT_TIMEOUT_MS = 10_000;
/** monitorEventLoopDelay's sampling interval; every sample it takes includes it, so it is subtracted. */
export const ELD_RESOLUTION_MS = 10;

/** Where and how the load runs. */
export interface LoadContext {
  input: RunInput;
  plan: RunPlan;
  runId: string;
  runDir: string;
  ledgerPath: string;
  url: URL;
  chaos: ChaosStand | undefined;
  /** the user's own service the run started (faults act on it when there is no chaos stand) */
  ownTarget: TargetStand | undefined;
  control: RunControl;
  emit: (e: RunEvent) => void;
}

/** What the load phase measured; the recorder is finished and the ledger closed by the finish phase. */
export interface LoadResult {
  engine: Engine;
  recorder: Recorder;
  ledger: LedgerWriter;
  bands: FaultBands | undefined;
  exec: ExecResult | undefined;
  /** why the target could not be reached (a connect error code), when it could not */
  unreachable: string | undefined;
  abortedBy: { threshold: Threshold; text: string } | undefined;
  startedAt: Date;
  /** performance.now() ms when the load ended */
  endPerf: number;
  cpu: NodeJS.CpuUsage;
  host: HostCpuShare | undefined;
  eld: IntervalHistogram;
}

/** The recorder (checks, ledger, fault bands) and the engine for this run. */
function newEngine(ctx: LoadContext): { engine: Engine; recorder: Recorder; ledger: LedgerWriter; bands: FaultBands | undefined } {
  const { input, plan, url, emit } = ctx;
  const scenario = plan.scenario;
  const timeoutMs = scenario.timeout !== undefined ? parseDuration(scenario.timeout, 'timeout') : DEFAULT_TIMEOUT_MS;
  const ledger = new LedgerWriter(ctx.ledgerPath);
  const checks = scenario.checks && scenario.checks.length > 0 ? scenario.checks : plan.dialect.defaultCheck ? [plan.dialect.defaultCheck] : [...DEFAULT_CHECKS];
  const expected = scenario.expectedStatuses ? expectedStatusTable(scenario.expectedStatuses) : undefined;
  const recorder = new Recorder(checks, ledger, plan.ledgerMode === 'full', expected);
  if (input.responseEvents) recorder.onResponse = (sample) => emit({ type: 'response', sample });
  const bands = plan.faults.length > 0 ? new FaultBands(() => recorder.t0) : undefined;
  if (bands) {
    const prev = recorder.onResponse;
    recorder.onResponse = prev
      ? (sample) => {
          bands.observe(sample);
          prev(sample);
        }
      : (sample) => bands.observe(sample);
  }
  // Sequential ids never repeat, so caching their bodies would only grow memory (bursts pre-build anyway).
  const bodyCacheMax = scenario.users.type === 'sequential' && scenario.executor !== 'burst' ? 0 : undefined;
  const engine = new Engine({
    origin: url.origin,
    path: scenario.path ?? '/api/coupons/issue',
    timeoutMs,
    recorder,
    closedModel: CLOSED_EXECUTORS.has(scenario.executor),
    ...(input.httpClient !== undefined ? { client: input.httpClient } : {}),
    ...(bodyCacheMax === 0 ? { bodyCacheMax } : {}),
    ...(scenario.request ? { request: scenario.request, env: plan.env } : {}),
    ...(plan.dialect.answers ? { answers: plan.dialect.answers } : {}),
  });
  return { engine, recorder, ledger, bands };
}

/**
 * Once a second: a progress tick, and k6's abortOnFail: those thresholds judged on the data so far,
 * the run stopped early when one fails (recorded in `aborted.by`).
 */
function startTicker(
  ctx: LoadContext,
  parts: { engine: Engine; recorder: Recorder; poller: PersistPoller | undefined; startedAt: Date },
  aborted: { by?: { threshold: Threshold; text: string } },
): NodeJS.Timeout {
  const { plan, control, emit, url } = ctx;
  const { engine, recorder, poller } = parts;
  const planned = plannedMs(plan.scenario);
  const abortOn = plan.sharded ? [] : plan.thresholds.filter((t) => t.abortOnFail);
  const partialInput = {
    runId: ctx.runId,
    toolVersion: VERSION,
    scenario: { name: plan.scenario.name },
    target: url.origin,
    startedAt: parts.startedAt,
    templates: [],
    ledger: { file: LEDGER_FILE, records: 0, mode: plan.ledgerMode },
    environment: { ...environmentFingerprint(), httpClient: engine.clientKind },
  };
  return setInterval(() => {
    const now = performance.now();
    const tick = runTick(recorder, now, {
      inFlight: engine.inFlight,
      ...(planned !== undefined ? { plannedMs: planned } : {}),
      ...(poller?.latest ? { persisted: poller.latest } : {}),
    });
    emit({ type: 'tick', tick });
    // k6's abortOnFail: judge those thresholds on the data so far and stop the run early.
    if (abortOn.length > 0 && !control.stop.requested && recorder.total > 0) {
      const partial = aggregateRun({ ...partialInput, durationMs: now - recorder.t0, measured: recorder });
      const results = evaluateThresholds(abortOn, partial);
      const i = results.findIndex((t) => !t.ok);
      const failed = results[i];
      if (failed) {
        control.stop.requested = true;
        aborted.by = { threshold: abortOn[i] as Threshold, text: `${failed.metric} ${failed.expression} (actual ${String(failed.actual)})` };
      }
    }
  }, 1000);
}

/** How often the requests in flight are sampled for the report's timeline. */
const IN_FLIGHT_SAMPLE_MS = 200;

/**
 * Probe the target, then run the executor (with the fault schedule, the persistence poller and the
 * progress ticker) and measure the generator itself: CPU, the host's CPU, event-loop delay.
 */
export async function runLoad(ctx: LoadContext): Promise<LoadResult> {
  const { input, plan, control, emit, url } = ctx;
  const { engine, recorder, ledger, bands } = newEngine(ctx);
  const aborted: { by?: { threshold: Threshold; text: string } } = {};

  emit({ type: 'start', runId: ctx.runId, runDir: ctx.runDir, scenario: plan.scenario, target: url.origin });
  const startedAt = new Date();
  const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
  const cpu0 = process.cpuUsage();
  const sampleHost = input.sampleHost ?? sampleHostCpu;
  const host0 = sampleHost();
  let exec: ExecResult | undefined;
  const unreachable = control.interrupted ? undefined : await probe(url, 3000);
  const t0 = performance.now();
  if (unreachable || control.interrupted) {
    recorder.start(t0);
  } else {
    // The poller's first look (connect, first use) happens before the clocks start.
    const poller = (input.persistProgress ?? (input.serve === true || input.setup === true))
      ? new (await import('./persist-poller.js')).PersistPoller(url.origin, plan.scenario.templates.map((t) => t.id))
      : undefined;
    await poller?.start();
    eld.enable();
    const ticker = startTicker(ctx, { engine, recorder, poller, startedAt }, aborted);
    // In flight over time (the report's VUs / in-flight line): the engine keeps the peak since the last
    // read (one compare a request); it is read a few times a second, off the hot path.
    const sampler = setInterval(() => recorder.inFlight(performance.now(), engine.takePeakInFlight()), IN_FLIGHT_SAMPLE_MS);
    let faultsRun: Promise<void> | undefined;
    let extend: (() => boolean) | undefined;
    try {
      control.loadStarted = true;
      const faultStand = ctx.chaos ?? ctx.ownTarget;
      if (bands && faultStand) {
        const loadT0 = performance.now();
        const progress: FaultProgress = { left: plan.faults.length };
        // The load outlasts its faults: it goes on until each has begun and recovered (bounded).
        extend = holdsLoad(bands, progress);
        faultsRun = runFaults(plan.faults, faultStand, bands, { start: () => (recorder.t0 > 0 ? recorder.t0 : loadT0), over: () => control.loadOver || control.stop.requested, emit, progress });
      }
      exec = await runExecutor({ scenario: plan.scenario, engine, recorder, seed: plan.seed, worker: plan.worker, stop: control.stop, ...(extend ? { extend } : {}) });
    } finally {
      control.loadOver = true;
      clearInterval(ticker);
      clearInterval(sampler);
      poller?.stop();
      eld.disable();
      await engine.destroy();
      // A fault already begun is always lifted (a paused Redis continued, a cut proxy restored).
      await faultsRun;
    }
  }
  const cpu = process.cpuUsage(cpu0);
  const share = hostCpuBetween(host0, sampleHost());
  const host = share ? { ...share, loadAvg1: Math.round((loadavg()[0] ?? 0) * 100) / 100 } : undefined;
  const endPerf = exec?.endedAt ?? performance.now();
  return { engine, recorder, ledger, bands, exec, unreachable, abortedBy: aborted.by, startedAt, endPerf, cpu, host, eld };
}
