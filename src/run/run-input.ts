import type { RunReport } from '../model/report.js';
import type { ResponseSample } from '../model/response-sample.js';
import type { Scenario, ScenarioOverrides } from '../model/scenario.js';
import type { ServeOptions } from '../server/serve-options.js';
import type { HostCpuSample } from '../load/host-cpu.js';
import type { RunTick } from '../load/run-tick.js';
import type { FaultSpec } from '../faults/fault-spec.js';
import type { FaultEvent } from '../faults/fault-runner.js';
import type { TargetSetup } from '../faults/target-stand.js';
import type { EnvMap } from './plan/scenario-env.js';
import type { Dialect } from '../dialect/types.js';

/** Input of {@link runScenario} (the flags of `coupon-bench run`). */
export interface RunInput {
  /** scenario file, or a bundled name such as `seed-k6` */
  scenarioPath?: string;
  /** an already-loaded scenario (wins over scenarioPath) */
  scenario?: Scenario;
  /** what the scenario's `{env.NAME}` placeholders read: `-e KEY=VALUE` over process.env (the default) */
  env?: EnvMap;
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
  /**
   * Without setup or serve: ask the target whether each template exists before the load (one GET
   * /api/templates/:id each, on its own connection), so a missing one fails at once (`run` sets it)
   */
  probeTemplates?: boolean;
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
  /**
   * the user's own service (`--target` with `--target-cmd`, `--proxy`, `--fault-hook`): the run
   * starts what it names, faults act on it, and the service is stopped before verify
   */
  ownTarget?: TargetSetup;
  /** with verify: another team's SQL for the database's rows (verify --db-query) */
  dbQuery?: string;
  /** the private Redis of a fault run persists with an append-only file (default true; false only to prove verify sees the loss) */
  redisAppendOnly?: boolean;
  /** reads the machine's CPU time (default: /proc/stat); tests put a scripted host here */
  sampleHost?: () => HostCpuSample | undefined;
  /** `--dialect`: a foreign service's request and answers, over the scenario's own */
  dialect?: Dialect;
}

export type { RunTick };

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
