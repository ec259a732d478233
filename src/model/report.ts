import type { ForeignStoreFlags } from './foreign-stores.js';
import type { FaultBand } from './fault.js';
import type { Outcome } from './outcome.js';
import type { VerdictJson } from './verdict.js';

/** Latency summary in milliseconds (k6's http_req_duration vocabulary). */
export interface DurationSummary {
  avg: number;
  min: number;
  med: number;
  max: number;
  'p(90)': number;
  'p(95)': number;
  'p(99)': number;
}

/** One second of the run. */
export interface TimelinePoint {
  /** seconds since the run started (end of the bucket) */
  t: number;
  /** responses completed in this second, by outcome */
  counts: Record<Outcome, number>;
  /** latency percentiles (ms, corrected) over this second, overall and by outcome */
  p50: number;
  p95: number;
  p99: number;
  byOutcome?: Partial<Record<Outcome, { p50: number; p95: number; p99: number }>>;
  /** coupons issued so far (sum of `issued` up to this point) */
  issuedTotal: number;
  /** dropped iterations in this second */
  dropped?: number;
  /** the most requests in flight at once during this second */
  inFlight?: number;
  /** the most VUs active during this second (closed-model executors and burst) */
  vus?: number;
  /**
   * this second's latencies (corrected, every outcome) as an encoded HDR histogram (compressed
   * base64, µs): what `merge` adds, so a merged second's percentiles are exact
   */
  hist?: string;
}

/** One threshold expression and whether the run met it. */
export interface ThresholdResult {
  metric: string;
  expression: string;
  ok: boolean;
  /** the observed value the expression was evaluated on */
  actual: number | null;
}

/** Steal time (percent of the machine's CPU time during a run) from which summaries and compare call the host noisy. */
export const STEAL_WARN_PERCENT = 2;

/**
 * `reports/<run-id>/report.json`. Histograms travel encoded (HdrHistogram compressed base64,
 * values in microseconds) so reports of several machines can merge.
 */
export interface RunReport {
  version: 1;
  runId: string;
  tool: { name: 'coupon-bench'; version: string };
  startedAt: string;
  endedAt: string;
  durationMs: number;
  /** the scenario as resolved after flag overrides */
  scenario: Record<string, unknown> & { name: string };
  target: string;
  environment: {
    node: string;
    platform: string;
    arch: string;
    cpus: number;
    cpuModel: string;
    totalMemMb: number;
    hostname: string;
    loadavg: number[];
    /** the engine's HTTP client (lean or undici) */
    httpClient?: string;
  };
  /**
   * the stores the target used, when known, so `verify` can find them. `source`: `flags` when the
   * user named them (`run --redis/--db/--prefix`): verify must read them, an unreachable one is
   * exit 97; `serve` for the run's own server, whose private Redis is gone once the run ends.
   * Reports without `source` are treated like `serve`.
   */
  stores?: { redis?: string; db?: string; prefix?: string; source?: 'flags' | 'serve' } & ForeignStoreFlags;
  templates: Array<{ templateId: number; stock: number }>;
  metrics: {
    http_reqs: { count: number; rate: number };
    /** corrected for coordinated omission (measured from intended send time) */
    http_req_duration: DurationSummary;
    /** measured from the actual send (the request written on a connected socket) */
    http_req_duration_uncorrected: DurationSummary;
    /** time each request waited for its connection's set-up (k6's http_req_connecting; ~0 when kept alive) */
    http_req_connecting?: DurationSummary;
    iterations: { count: number; rate: number };
    vus: { min: number; max: number };
    checks: { passes: number; fails: number; rate: number };
    /**
     * With the scenario's `expectedStatuses` only (k6's meaning): `passes` requests whose status was
     * not expected (failed, no answer included), `fails` the others, `rate` the failed share. Without
     * it, http_req_failed is read from the outcomes (rejected + unknown; see httpReqFailed).
     */
    http_req_failed?: { passes: number; fails: number; rate: number };
    dropped_iterations: { count: number; rate: number };
    /** bytes sent on the engine's connections, request heads included (k6's data_sent) */
    data_sent?: number;
    /** bytes received, answer heads included (k6's data_received) */
    data_received?: number;
    /**
     * connection set-ups: `count` that worked, `failed` attempts (refused, reset, timed out; a
     * request whose connection failed is tried again, not sent) with their error codes
     */
    http_connections?: { count: number; failed: number; errors?: Record<string, number> };
    /** corrected latency per outcome class (ms), for the outcome table */
    http_req_duration_by_outcome?: Partial<Record<Outcome, DurationSummary>>;
  };
  /** each named check with its passes and fails (k6's ✓/✗ lines) */
  checks?: Array<{ name: string; passes: number; fails: number }>;
  outcomes: Record<Outcome, number>;
  histograms: {
    corrected: string;
    uncorrected: string;
    byOutcome: Partial<Record<Outcome, string>>;
  };
  timeline: TimelinePoint[];
  thresholds: ThresholdResult[];
  /**
   * a dialect's answers that no rule matched (`answers` in the scenario or --dialect): how many,
   * and up to five samples (status, head of the body); 5xx ones counted as unknown, the rest rejected
   */
  unmatched?: { count: number; samples: Array<{ status: number; body: string }> };
  /** burst executor: spread between first and last send, microseconds */
  burst?: { requests: number; sendSpreadUs: number };
  ledger: { file: string; records: number; mode: 'acked' | 'full' };
  harness: {
    valid: boolean;
    reasons: string[];
    /** requests that got an HTTP answer (the ones a check could judge) */
    answered?: number;
    /** event-loop delay p99 of the generator during the run, ms (saturation signal) */
    eventLoopDelayP99Ms?: number;
    /** mean event-loop delay, ms; above the scenario's harness.maxEventLoopDelayMs the generator is saturated */
    eventLoopDelayMeanMs?: number;
    /** process CPU time (user+system) per request during the run, µs; includes the in-process server with --serve */
    cpuUsPerRequest?: number;
    /** iterations the executor planned (open model, shared-iterations, burst) */
    planned?: number;
    /**
     * Machine-wide CPU time during the run (Linux /proc/stat), percent: `steal` is what the
     * hypervisor gave to other guests while this machine wanted to run; `busy` is everything that
     * ran here. Absent where /proc/stat does not exist.
     */
    host?: { stealPercent: number; busyPercent: number; loadAvg1?: number };
    /** closed model with think time: the mean sleep actually observed, ms */
    thinkActualMs?: number;
  };
  verdict?: VerdictJson;
  /** `run --shard i/n`: this report is share `index` (1-based) of `count`; `merge` joins them */
  shard?: { index: number; count: number };
  /** `merge`: the shard reports this one was made from */
  mergedFrom?: Array<{ runId: string; shard?: { index: number; count: number }; startedAt: string }>;
  /** the faults injected during the load (`--fault`, the scenario's `faults`), in the order they began */
  faults?: FaultBand[];
  /** why the run stopped early, when it did (a threshold with abortOnFail) */
  abortedBy?: string;
  /**
   * The run was cut short by a signal (SIGINT, SIGTERM) before its load finished (`during: 'load'`)
   * or before it began (`'setup'`): it did not check what it set out to, so its harness is invalid
   * (exit 97) and `compare` warns against it as a baseline.
   */
  interrupted?: { signal: string; during: 'setup' | 'load' };
  exitCode: number;
}
