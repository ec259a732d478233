import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CouponBenchError, ExitCode, UsageError } from '../errors.js';
import { makeOutputDir } from '../output-path.js';
import { redactUrl } from '../store/db-url.js';
import { LEDGER_FILE } from '../model/ledger-record.js';
import { noIssuanceReason } from '../model/issuance-checked.js';
import type { RunReport } from '../model/report.js';
import type { VerdictJson } from '../model/verdict.js';
import type { RunningServer } from '../server/serve-options.js';
import { VERSION } from '../shared/version.js';
import { aggregateRun, environmentFingerprint, writeRunReport } from '../report/report-json.js';
import { hostCpuBetween, sampleHostCpu, type HostCpuSample } from '../load/host-cpu.js';
import { evaluateThresholds, parseThresholdFlag, parseThresholdMap, type Threshold } from '../report/thresholds.js';
import { parseDuration } from '../shared/duration.js';
import { Engine } from '../load/engine.js';
import { CLOSED_EXECUTORS, runExecutor } from '../load/executors/run-executor.js';
import { connectHost } from '../url-host.js';
import { DEFAULT_PREFIX } from '../redis/keys.js';
import { checkRunStores } from './plan/run-stores.js';
import { burstWarmupReason, openFileLimit } from '../load/executors/burst-warmup.js';
import { freshServedDb } from './stand/served-db.js';
import type { ServeOptions } from '../server/serve-options.js';
import type { ExecResult } from '../load/executors/types.js';
import { LedgerWriter } from '../load/ledger-writer.js';
import { PersistPoller } from './load/persist-poller.js';
import { Recorder, type ResponseSample } from '../load/recorder.js';
import { runTick, type RunTick } from '../load/run-tick.js';
import { applyOverrides, loadScenario, type Scenario, type ScenarioOverrides } from './plan/scenario.js';
import { checkFaultsServed, checkSchedule, faultFromScenario, type FaultSpec } from '../faults/fault-spec.js';
import type { ChaosStand } from '../faults/chaos-stand.js';
import { faultLabel, runFaults, type FaultEvent } from '../faults/fault-runner.js';
import { FaultBands } from '../faults/fault-bands.js';

/** Input of {@link runScenario} (the flags of `coupon-bench run`). */
export interface RunInput {
  /** scenario file, or a bundled name such as `seed-k6` */
  scenarioPath?: string;
  /** an already-loaded scenario (wins over scenarioPath) */
  scenario?: Scenario;
  overrides?: ScenarioOverrides;
  /** `--threshold 'metric:expr'` flags, added to the scenario's */
  thresholds?: string[];
  /** the run folder (report.json + ledger); default `<reportsDir>/<run-id>` */
  outDir?: string;
  /** parent of run folders (default ./reports) */
  reportsDir?: string;
  runId?: string;
  /** 'acked' (issued + unknown) by default; 'full' records every request (implied by verify) */
  ledgerMode?: 'acked' | 'full';
  /** start the bundled server for the run, in a worker thread (managed Redis, SQLite in the run folder) */
  serve?: boolean;
  /** settings of the bundled server beyond its managed defaults (e.g. a Redis timeout) */
  serveOptions?: Partial<Pick<ServeOptions, 'redisTimeoutMs' | 'httpFront' | 'issueClient'>>;
  /** create the scenario's templates through the target's admin API first */
  setup?: boolean;
  /** admin token for --setup against a non-loopback server */
  adminToken?: string;
  /** audit the stores and ledger after the run (records report.verdict; exit 100 on failure) */
  verify?: boolean;
  /** with verify: an invariant that cannot be judged makes the audit exit 97 (verify --strict) */
  strict?: boolean;
  /**
   * the stores an external target uses, recorded in report.stores (source `flags`) so verify must
   * audit them; with `serve`, the stores the bundled server uses (by default a private Redis and
   * SQLite in the run folder; source `serve`)
   */
  stores?: Omit<NonNullable<RunReport['stores']>, 'source'>;
  /**
   * Poll the bundled server's GET /api/templates/:id once a second to show the persister's lag in
   * the progress (default: on with `serve` or `setup`, where the target is known to be ours).
   */
  persistProgress?: boolean;
  /** HTTP client of the engine: lean (default for http://) or undici (always for https://) */
  httpClient?: 'lean' | 'undici';
  /** emit one `response` event per request (costly; off by default) */
  responseEvents?: boolean;
  /** this generator's share of a multi-machine run (0-based index, as the executors count) */
  worker?: { index: number; count: number };
  /** `--shard i/n`: run share `index` (0-based) of `count` of the scenario's VUs / rate / iterations; `merge` joins the reports */
  shard?: { index: number; count: number };
  /**
   * Interrupt the run (SIGINT, SIGTERM; the abort reason names the signal): the load stops,
   * in-flight requests finish, the report and ledger are still written, marked interrupted (harness
   * invalid, exit 97), and verify is skipped. After the load has finished it no longer interrupts
   * anything (verify is bounded by its drain timeout).
   */
  signal?: AbortSignal;
  /**
   * faults to inject during the load (`--fault`), added to the scenario's `faults`; needs `serve`:
   * the server then runs as a child process the run can kill, on a private Redis it can pause
   */
  faults?: FaultSpec[];
  /** the private Redis of a fault run persists with an append-only file (default true; false only to prove verify sees the loss) */
  redisAppendOnly?: boolean;
  /** reads the machine's CPU time (default: /proc/stat); tests put a scripted host here */
  sampleHost?: () => HostCpuSample | undefined;
}

export type { RunTick } from '../load/run-tick.js';

/** What {@link runScenario} reports while it runs (it never prints). */
export type RunEvent =
  | { type: 'server'; url: string; stores: NonNullable<RunReport['stores']> }
  | { type: 'start'; runId: string; runDir: string; scenario: Scenario; target: string }
  | { type: 'tick'; tick: RunTick }
  /** a signal arrived: `stopping` while the run stops early, false when the load had already finished */
  | { type: 'interrupt'; signal: string; stopping: boolean }
  | { type: 'response'; sample: ResponseSample }
  | FaultEvent
  | { type: 'done'; report: RunReport; reportPath: string };

/** What {@link runScenario} returns: the report and where the run's files went. */
export interface RunResult {
  report: RunReport;
  runDir: string;
  reportPath: string;
  ledgerPath: string;
  exitCode: number;
}

const DEFAULT_TARGET = 'http://127.0.0.1:8080';
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_DROPPED_RATIO = 0.05;
/** With faults, iterations due while the system is down are dropped by design: allow more (the scenario can set its own). */
const FAULT_MAX_DROPPED_RATIO = 0.25;
const DEFAULT_MAX_EVENT_LOOP_DELAY_MS = 100;
/** monitorEventLoopDelay's sampling interval; every sample it takes includes it, so it is subtracted. */
const ELD_RESOLUTION_MS = 10;

function newRunId(name: string): string {
  const ts = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${ts}-${name.replace(/[^a-z0-9-]/gi, '-')}-${randomBytes(2).toString('hex')}`;
}

/** Planned run length (ms) when the executor has one, for progress display. */
function plannedMs(s: Scenario): number | undefined {
  if (s.executor === 'constant-vus' || s.executor === 'constant-arrival-rate') return parseDuration(s.duration ?? 0);
  if (s.executor === 'ramping-vus' || s.executor === 'ramping-arrival-rate') return (s.stages ?? []).reduce((a, st) => a + parseDuration(st.duration), 0);
  return undefined;
}

/** TCP connect to the target's host:port, so an unreachable target is reported as such (exit 97). */
function probe(url: URL, timeoutMs: number): Promise<string | undefined> {
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return new Promise((done) => {
    const sock = connect({ host: connectHost(url), port });
    const timer = setTimeout(() => {
      sock.destroy();
      done('ETIMEDOUT');
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      done(undefined);
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      done(err.code ?? err.message);
    });
  });
}

/**
 * Run one scenario end to end: optional bundled server (worker thread) and template setup, the executor, the
 * report (k6 metrics, HDR histograms, timeline, thresholds) and the ledger, optional verify.
 * Never prints: progress and results are events and the returned value.
 */
export async function runScenario(input: RunInput, events?: (e: RunEvent) => void): Promise<RunResult> {
  const emit = events ?? ((): void => undefined);
  let scenario = input.scenario ?? (input.scenarioPath ? loadScenario(input.scenarioPath) : undefined);
  if (!scenario) throw new UsageError('run: a scenario is required (a file or a bundled name such as seed-k6)');
  if (input.overrides) scenario = applyOverrides(scenario, input.overrides);
  let worker: { index: number; count: number; slots?: number } = input.worker ?? { index: 0, count: 1 };
  const sharded = input.shard !== undefined && input.shard.count > 1;
  if (sharded && input.shard) {
    if (input.serve) throw new UsageError('--shard splits the load on one target across generators: run serve once and point every shard at it (not --serve)', 'E_USAGE');
    const { shardScenario } = await import('./plan/shard.js');
    const split = shardScenario(scenario, input.shard.index, input.shard.count);
    scenario = split.scenario;
    worker = split.shard;
  }
  // Parse every threshold before sending anything: a typo must not cost a run.
  const thresholds: Threshold[] = [...parseThresholdMap(scenario.thresholds), ...(input.thresholds ?? []).map(parseThresholdFlag)];
  const ledgerMode: 'acked' | 'full' = input.verify ? 'full' : (input.ledgerMode ?? scenario.ledger ?? 'full');
  const seed = (scenario.seed ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
  scenario = { ...scenario, seed };

  // The same for the target and store flags (the CLI checked them already; other callers may not
  // have): a malformed URL is a usage error now, not after the load.
  checkRunStores({ serve: input.serve === true, target: input.overrides?.target, stores: input.stores });

  const faults: FaultSpec[] = [...(scenario.faults ?? []).map(faultFromScenario), ...(input.faults ?? [])];
  if (input.redisAppendOnly !== undefined && faults.length === 0) throw new UsageError('--redis-appendonly sets up the private Redis of a fault run: add --fault', 'E_USAGE');
  checkFaultsServed(faults, input.serve === true);
  if (faults.length > 0) {
    const planned = plannedMs(scenario);
    checkSchedule(faults, planned ?? Number.POSITIVE_INFINITY);
  }

  const runId = input.runId ?? newRunId(scenario.name);
  const runDir = resolve(input.outDir ?? join(input.reportsDir ?? 'reports', runId));
  await makeOutputDir(runDir);
  const ledgerPath = join(runDir, LEDGER_FILE);

  let server: RunningServer | undefined;
  let stand: ChaosStand | undefined;
  // An interruption before or during the load stops it; afterwards the run is complete.
  const stop = { requested: false };
  let interrupted: RunReport['interrupted'];
  let loadStarted = false;
  let loadOver = false;
  const onAbort = (): void => {
    const reason: unknown = input.signal?.reason;
    const signal = typeof reason === 'string' ? reason : 'abort';
    if (!loadOver) {
      interrupted = { signal, during: loadStarted ? 'load' : 'setup' };
      stop.requested = true;
    }
    emit({ type: 'interrupt', signal, stopping: !loadOver });
  };
  if (input.signal?.aborted) onAbort();
  else input.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let target = scenario.target ?? DEFAULT_TARGET;
    let stores: RunReport['stores'] | undefined = input.stores ? { ...input.stores, source: 'flags' } : undefined;
    if (input.serve && faults.length > 0) {
      const { startChaosStand } = await import('../faults/chaos-stand.js');
      const given = input.stores ?? {};
      const dbUrl = given.db ?? freshServedDb(runDir);
      stand = await startChaosStand({
        runDir,
        dbUrl,
        prefix: given.prefix ?? DEFAULT_PREFIX,
        ...(given.redis !== undefined ? { redisUrl: given.redis } : {}),
        ...(input.redisAppendOnly !== undefined ? { appendOnly: input.redisAppendOnly } : {}),
        kinds: new Set(faults.map((f) => f.kind)),
        templateIds: scenario.templates.map((t) => t.id),
      });
      target = stand.url;
      stores = { redis: given.redis ?? stand.redisUrl, db: dbUrl, prefix: stand.prefix, source: 'serve' };
      emit({ type: 'server', url: stand.url, stores });
    } else if (input.serve) {
      const { startServedTarget } = await import('./stand/served-target.js');
      // The store flags are the served server's own; without them, a private Redis and SQLite in the run folder.
      const given = input.stores ?? {};
      const dbUrl = given.db ?? freshServedDb(runDir);
      server = await startServedTarget({
        host: '127.0.0.1',
        port: 0,
        dbUrl,
        prefix: given.prefix ?? DEFAULT_PREFIX,
        ...(given.redis !== undefined ? { redisUrl: given.redis } : {}),
        ...input.serveOptions,
      });
      target = server.url;
      // The URLs as given: the server reports its database URL without the password verify needs.
      stores = { redis: given.redis ?? server.redisUrl, db: dbUrl, prefix: server.prefix, source: 'serve' };
      emit({ type: 'server', url: server.url, stores });
    }
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      throw new UsageError(`--target: "${target}" is not a URL (e.g. http://127.0.0.1:8080)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--target: "${target}" must be http:// or https://`);
    scenario = { ...scenario, target: url.origin };
    if ((input.serve || input.setup) && !interrupted) {
      const { setupTemplates } = await import('./stand/setup-templates.js');
      await setupTemplates(url.origin, scenario.templates, { adminToken: input.adminToken, flag: input.serve ? '--serve' : '--setup' });
    } else if (stores?.source === 'flags' && !sharded && !interrupted) {
      // The stores are named for the audit but nothing created the templates: they must be fresh
      // too. (A shard may start after another one issued: merge's audit covers the whole.)
      const { assertStoresFresh } = await import('./stand/fresh-templates.js');
      await assertStoresFresh(stores, scenario.templates.map((t) => t.id));
    }

    const timeoutMs = scenario.timeout !== undefined ? parseDuration(scenario.timeout, 'timeout') : DEFAULT_TIMEOUT_MS;
    const ledger = new LedgerWriter(ledgerPath);
    const checks = scenario.checks && scenario.checks.length > 0 ? scenario.checks : [{ name: 'status is 200 or 400', status: [200, 400] }];
    const recorder = new Recorder(checks, ledger, ledgerMode === 'full');
    if (input.responseEvents) recorder.onResponse = (sample) => emit({ type: 'response', sample });
    const bands = faults.length > 0 ? new FaultBands(() => recorder.t0) : undefined;
    if (bands) {
      const prev = recorder.onResponse;
      recorder.onResponse = prev
        ? (sample) => {
            bands.observe(sample);
            prev(sample);
          }
        : (sample) => bands.observe(sample);
    }
    let faultsRun: Promise<void> | undefined;
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
    });
    const reasons: string[] = [];
    let abortedBy: { threshold: Threshold; text: string } | undefined;

    emit({ type: 'start', runId, runDir, scenario, target: url.origin });
    const startedAt = new Date();
    const eld = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS });
    const cpu0 = process.cpuUsage();
    const sampleHost = input.sampleHost ?? sampleHostCpu;
    const host0 = sampleHost();
    let exec: ExecResult | undefined;
    const planned = plannedMs(scenario);
    const unreachable = interrupted ? undefined : await probe(url, 3000);
    const t0 = performance.now();
    if (unreachable) {
      reasons.push(`target unreachable: ${url.origin} (${unreachable})`);
      recorder.start(t0);
    } else if (interrupted) {
      recorder.start(t0);
    } else {
      // The poller's first look (connect, first use) happens before the clocks start.
      const poller = (input.persistProgress ?? (input.serve === true || input.setup === true))
        ? new PersistPoller(url.origin, scenario.templates.map((t) => t.id))
        : undefined;
      await poller?.start();
      eld.enable();
      const abortOn = sharded ? [] : thresholds.filter((t) => t.abortOnFail);
      const partialInput = {
        runId,
        toolVersion: VERSION,
        scenario: { name: scenario.name },
        target: url.origin,
        startedAt,
        templates: [],
        ledger: { file: LEDGER_FILE, records: 0, mode: ledgerMode },
        environment: { ...environmentFingerprint(), httpClient: engine.clientKind },
      };
      const ticker = setInterval(() => {
        const now = performance.now();
        const tick = runTick(recorder, now, {
          inFlight: engine.inFlight,
          ...(planned !== undefined ? { plannedMs: planned } : {}),
          ...(poller?.latest ? { persisted: poller.latest } : {}),
        });
        emit({ type: 'tick', tick });
        // k6's abortOnFail: judge those thresholds on the data so far and stop the run early.
        if (abortOn.length > 0 && !stop.requested && recorder.total > 0) {
          const partial = aggregateRun({ ...partialInput, durationMs: now - recorder.t0, measured: recorder });
          const results = evaluateThresholds(abortOn, partial);
          const i = results.findIndex((t) => !t.ok);
          const failed = results[i];
          if (failed) {
            stop.requested = true;
            abortedBy = { threshold: abortOn[i] as Threshold, text: `${failed.metric} ${failed.expression} (actual ${String(failed.actual)})` };
          }
        }
      }, 1000);
      try {
        loadStarted = true;
        if (bands && stand) {
          const loadT0 = performance.now();
          faultsRun = runFaults(faults, stand, bands, { start: () => (recorder.t0 > 0 ? recorder.t0 : loadT0), over: () => loadOver || stop.requested, emit });
        }
        exec = await runExecutor({ scenario, engine, recorder, seed, worker, stop });
      } finally {
        loadOver = true;
        clearInterval(ticker);
        poller?.stop();
        eld.disable();
        await engine.destroy();
        // A fault already begun is always lifted (a paused Redis continued, a cut proxy restored).
        await faultsRun;
      }
    }
    const cpu = process.cpuUsage(cpu0);
    const host = hostCpuBetween(host0, sampleHost());
    const endPerf = exec?.endedAt ?? performance.now();
    recorder.finish(endPerf);
    await ledger.close();

    const durationMs = exec ? exec.endedAt - exec.startedAt : 0;
    const report = aggregateRun({
      runId,
      toolVersion: VERSION,
      scenario: scenario as unknown as Record<string, unknown> & { name: string },
      target: url.origin,
      startedAt,
      durationMs,
      measured: recorder,
      templates: scenario.templates.map((t) => ({ templateId: t.id, stock: t.stock })),
      ledger: { file: LEDGER_FILE, records: ledger.records, mode: ledgerMode },
      environment: { ...environmentFingerprint(), httpClient: engine.clientKind },
      ...(exec?.burst ? { burst: exec.burst } : {}),
      ...(exec ? { traffic: engine.traffic() } : {}),
      // No passwords in a file CI may upload: verify --report asks for them again (see resolve-input.ts).
      ...(stores ? { stores: withoutPasswords(stores) } : {}),
    });

    // Harness validity: can this measurement be trusted at all?
    // Node's samples are the whole interval between two ticks of a 10 ms timer, so an idle loop reads
    // ~10 ms; the delay is what exceeds the interval.
    const eldP99 = eld.count > 0 ? Math.max(0, eld.percentile(99) / 1e6 - ELD_RESOLUTION_MS) : 0;
    if (interrupted) reasons.unshift(interruptedReason(interrupted, durationMs, planned));
    if (bands) {
      report.faults = bands.result(endPerf);
      // A fault scheduled but never injected (the load ended first) was not tested: not a pass.
      const injected = new Set(report.faults.map((b) => b.spec));
      for (const f of faults) {
        if (!injected.has(faultLabel(f)) && !interrupted) reasons.push(`fault ${faultLabel(f)} was not injected: the load ended after ${(durationMs / 1000).toFixed(1)} s`);
      }
    }
    if (exec?.warmupErrors?.length && exec.burst) reasons.push(burstWarmupReason(exec.warmupErrors, exec.burst.requests, recorder.answered, openFileLimit()));
    if (recorder.answered === 0 && !unreachable && interrupted?.during !== 'setup') reasons.push('zero requests checked: no request got an HTTP answer');
    else if (!unreachable && interrupted?.during !== 'setup' && recorder.answered > 0) {
      // Answers, but none from issuance (every one a 404 for a template never created, say): nothing was checked either.
      const none = noIssuanceReason(report.outcomes);
      if (none) reasons.push(none);
    }
    const plannedIterations = exec?.planned;
    const maxDropped = scenario.harness?.maxDroppedRatio ?? (faults.length > 0 ? FAULT_MAX_DROPPED_RATIO : DEFAULT_MAX_DROPPED_RATIO);
    if (plannedIterations && recorder.dropped / plannedIterations > maxDropped) {
      reasons.push(`too many dropped iterations: ${recorder.dropped} of ${plannedIterations} (> ${(maxDropped * 100).toFixed(1)}%)`);
    }
    // Saturation: the generator's own loop was consistently late (a mean, so one GC pause or a
    // burst's deliberate synchronous release does not count).
    const eldMean = eld.count > 0 ? Math.max(0, eld.mean / 1e6 - ELD_RESOLUTION_MS) : 0;
    const maxEld = scenario.harness?.maxEventLoopDelayMs ?? DEFAULT_MAX_EVENT_LOOP_DELAY_MS;
    if (eldMean > maxEld) reasons.push(`generator saturated: mean event-loop delay ${eldMean.toFixed(1)} ms > ${maxEld} ms`);
    // A shared VM: the hypervisor ran other guests while this one wanted the CPU. Reported always;
    // invalid only when the scenario sets a limit.
    const maxSteal = scenario.harness?.maxStealPercent;
    if (host && maxSteal !== undefined && host.stealPercent > maxSteal) {
      reasons.push(`noisy host: the hypervisor took ${host.stealPercent}% of the machine's CPU time (steal) > ${maxSteal}%`);
    }
    report.harness = {
      valid: reasons.length === 0,
      reasons,
      answered: recorder.answered,
      eventLoopDelayP99Ms: Math.round(eldP99 * 1000) / 1000,
      eventLoopDelayMeanMs: Math.round(eldMean * 1000) / 1000,
      cpuUsPerRequest: recorder.total > 0 ? Math.round(((cpu.user + cpu.system) / recorder.total) * 100) / 100 : 0,
      ...(plannedIterations !== undefined ? { planned: plannedIterations } : {}),
      ...(host ? { host } : {}),
      ...(exec?.thinkActualMs !== undefined ? { thinkActualMs: Math.round(exec.thinkActualMs * 1000) / 1000 } : {}),
    };
    // A shard holds part of the run: its counts cannot meet the run's thresholds; merge judges them on the whole.
    report.thresholds = sharded ? [] : evaluateThresholds(thresholds, report);
    if (abortedBy !== undefined) {
      report.abortedBy = `threshold with abortOnFail failed: ${abortedBy.text}`;
      // the final value may pass again; the run still stopped because of it (k6 exits 99 too)
      const stopped = report.thresholds[thresholds.indexOf(abortedBy.threshold)];
      if (stopped) stopped.ok = false;
    }
    if (interrupted) report.interrupted = interrupted;
    if (input.shard && input.shard.count > 1) report.shard = { index: input.shard.index + 1, count: input.shard.count };
    report.exitCode = exitCodeOf(report);
    let reportPath = await writeRunReport(runDir, report);

    if (input.verify && report.harness.valid) {
      report.verdict = await runVerify(reportPath, stores, input.strict === true);
      report.exitCode = exitCodeOf(report);
      reportPath = await writeRunReport(runDir, report);
    }
    emit({ type: 'done', report, reportPath });
    return { report, runDir, reportPath, ledgerPath, exitCode: report.exitCode };
  } finally {
    loadOver = true;
    input.signal?.removeEventListener('abort', onAbort);
    await server?.stop();
    await stand?.stop();
  }
}

/** The harness reason of an interrupted run: which signal, and how much of the load ran. */
function interruptedReason(i: NonNullable<RunReport['interrupted']>, durationMs: number, plannedMs: number | undefined): string {
  if (i.during === 'setup') return `interrupted by ${i.signal} before the load started: nothing was checked`;
  const of = plannedMs !== undefined ? ` of ${(plannedMs / 1000).toFixed(1)} s planned` : '';
  return `interrupted by ${i.signal} after ${(durationMs / 1000).toFixed(1)} s${of}: the run is incomplete`;
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

/**
 * Integration point with the verify engineer's audit (lazy: only loaded with --verify). The run's
 * stores are up now, so every one it knows must answer: one that does not makes the verdict "not
 * audited" with the error's exit code (97 unreachable) instead of a pass with its invariants skipped.
 */
async function runVerify(reportPath: string, stores: RunReport['stores'], strict: boolean): Promise<VerdictJson> {
  const { verify, notAuditedVerdict } = await import('../verify/verify.js');
  try {
    // The stores as given (the report keeps them without passwords).
    return await verify({
      reportPath,
      storesRequired: true,
      strict,
      ...(stores?.redis !== undefined ? { redisUrl: stores.redis } : {}),
      ...(stores?.db !== undefined ? { dbUrl: stores.db } : {}),
    });
  } catch (err) {
    if (err instanceof CouponBenchError) return notAuditedVerdict(err);
    throw err;
  }
}
