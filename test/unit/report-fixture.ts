import { build, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { OUTCOMES, type Outcome } from '../../src/model/outcome.js';
import type { RunReport, TimelinePoint } from '../../src/model/report.js';
import type { InvariantResult, VerdictJson } from '../../src/model/verdict.js';
import { INVARIANTS } from '../../src/model/verdict.js';
import { Prng } from '../../src/load/prng.js';

export interface FixtureOptions {
  /** multiply every latency by this (1.2 = a 20% regression) */
  latencyFactor?: number;
  /** multiply the request rate by this */
  rateFactor?: number;
  seed?: number;
  verdict?: 'pass' | 'fail' | 'none';
  thresholdFails?: boolean;
  seconds?: number;
  /**
   * seconds [from, to] (1-based, inclusive) with no answer at all, as during a server kill: the
   * requests of those seconds hang in flight, and a `kill-target` fault band covers them
   */
  gap?: [number, number];
}

/** A realistic report of the seed-k6 scenario: 100 VUs, 10 s, stock 10, user ids 1–100. */
export function makeReport(opts: FixtureOptions = {}): RunReport {
  const factor = opts.latencyFactor ?? 1;
  const seconds = opts.seconds ?? 10;
  const gen = new Prng(opts.seed ?? 42);
  const rand = (): number => gen.next();
  const corrected = build({ numberOfSignificantValueDigits: 3 });
  const uncorrected = build({ numberOfSignificantValueDigits: 3 });
  const byOutcomeH = new Map<Outcome, ReturnType<typeof build>>();
  const timeline: TimelinePoint[] = [];
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  const perSecond = Math.round(900 * (opts.rateFactor ?? 1));
  const users = new Set<number>();
  let issued = 0;
  const inGap = (s: number): boolean => opts.gap !== undefined && s >= opts.gap[0] && s <= opts.gap[1];
  for (let s = 1; s <= seconds; s++) {
    const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
    const sec = build({ numberOfSignificantValueDigits: 3 });
    for (let i = 0; i < (inGap(s) ? 0 : perSecond); i++) {
      const user = 1 + Math.floor(rand() * 100);
      let outcome: Outcome;
      if (users.has(user)) outcome = 'duplicate';
      else if (issued < 10) {
        outcome = 'issued';
        issued++;
        users.add(user);
      } else outcome = 'sold_out';
      if (s === 4 && i < 3) outcome = 'unknown';
      // log-normal-ish latency around 2 ms with a tail, in microseconds
      const base = Math.exp(Math.log(1800) + 0.45 * gauss(rand)) + (rand() < 0.01 ? 20_000 * rand() : 0);
      const us = Math.max(50, Math.round(base * factor));
      const stall = rand() < 0.02 ? Math.round(8000 * rand() * factor) : 0;
      uncorrected.recordValue(us);
      corrected.recordValue(us + stall);
      sec.recordValue(us + stall);
      let h = byOutcomeH.get(outcome);
      if (!h) byOutcomeH.set(outcome, (h = build({ numberOfSignificantValueDigits: 3 })));
      h.recordValue(us + stall);
      counts[outcome]++;
      outcomes[outcome]++;
    }
    timeline.push({
      t: s,
      counts,
      p50: sec.getValueAtPercentile(50) / 1000,
      p95: sec.getValueAtPercentile(95) / 1000,
      p99: sec.getValueAtPercentile(99) / 1000,
      issuedTotal: issued,
      dropped: 0,
      // 100 VUs: a few waiting on answers, every one of them while the server is gone
      vus: 100,
      inFlight: inGap(s) ? 100 : 3 + Math.floor(rand() * 6),
    });
  }
  const summary = (h: ReturnType<typeof build>) => ({
    avg: h.mean / 1000,
    min: h.minNonZeroValue / 1000,
    med: Math.round(h.getValueAtPercentile(50) / 10) / 100,
    max: h.maxValue / 1000,
    'p(90)': Math.round(h.getValueAtPercentile(90) / 10) / 100,
    'p(95)': Math.round(h.getValueAtPercentile(95) / 10) / 100,
    'p(99)': Math.round(h.getValueAtPercentile(99) / 10) / 100,
  });
  const answeredSeconds = seconds - (opts.gap ? opts.gap[1] - opts.gap[0] + 1 : 0);
  const total = perSecond * answeredSeconds;
  const rate = total / seconds;
  const verdict = opts.verdict === 'none' ? undefined : makeVerdict(opts.verdict !== 'fail');
  const p95 = corrected.getValueAtPercentile(95) / 1000;
  const report: RunReport = {
    version: 1,
    runId: `20240101-120000-${opts.seed ?? 42}`,
    tool: { name: 'coupon-bench', version: '0.1.0' },
    startedAt: '2024-01-01T12:00:00.000Z',
    endedAt: `2024-01-01T12:00:${String(seconds).padStart(2, '0')}.000Z`,
    durationMs: seconds * 1000,
    scenario: {
      name: 'seed-k6 <&"quoted">',
      executor: 'constant-vus',
      vus: 100,
      duration: `${seconds}s`,
      sleep: 0.1,
      users: { from: 1, to: 100 },
      templates: [{ id: 1, stock: 10 }],
    },
    target: 'http://127.0.0.1:8080',
    environment: {
      node: 'v20.18.1',
      platform: 'linux',
      arch: 'x64',
      cpus: 2,
      cpuModel: 'Test CPU <script>alert(1)</script>',
      totalMemMb: 4096,
      hostname: 'fixture-host',
      loadavg: [0.5, 0.4, 0.3],
    },
    stores: { redis: 'redis://127.0.0.1:40001', db: 'sqlite:/tmp/x/coupons.db', prefix: 'cb' },
    templates: [{ templateId: 1, stock: 10 }],
    metrics: {
      http_reqs: { count: total, rate },
      http_req_duration: summary(corrected),
      http_req_duration_uncorrected: summary(uncorrected),
      iterations: { count: total, rate },
      vus: { min: 100, max: 100 },
      checks: { passes: total - outcomes.unknown, fails: outcomes.unknown, rate: (total - outcomes.unknown) / total },
      dropped_iterations: { count: 0, rate: 0 },
      data_sent: total * 180,
      data_received: total * 240,
    },
    outcomes,
    histograms: {
      corrected: encodeIntoCompressedBase64(corrected),
      uncorrected: encodeIntoCompressedBase64(uncorrected),
      byOutcome: Object.fromEntries([...byOutcomeH].map(([o, h]) => [o, encodeIntoCompressedBase64(h)])),
    },
    timeline,
    thresholds: [
      { metric: 'http_req_duration', expression: opts.thresholdFails ? 'p(95)<1' : 'p(95)<500', ok: !opts.thresholdFails, actual: p95 },
      { metric: 'checks', expression: 'rate>0.99', ok: true, actual: (total - outcomes.unknown) / total },
    ],
    ledger: { file: 'ledger.ndjson', records: issued + outcomes.unknown, mode: 'acked' },
    harness: { valid: true, reasons: [] },
    exitCode: 0,
  };
  if (verdict) report.verdict = verdict;
  if (opts.gap) {
    const [from, to] = opts.gap;
    report.faults = [
      { fault: 'kill-target', spec: `kill-target@${from - 1}s`, startMs: (from - 1) * 1000, endMs: to * 1000, requests: 100, unknown: 100, errors: 100, errorRate: 1, p99Ms: 3000, recoveryMs: 400, detail: 'target pid 4100 killed, pid 4107 started' },
      // a second fault close to the first: its label takes the next row
      { fault: 'slow', name: 'db', spec: `slow:db@${from - 1}.2s+1s`, startMs: (from - 0.8) * 1000, endMs: (from + 0.2) * 1000, requests: 0, unknown: 0, errors: 0, errorRate: 0, p99Ms: 0 },
    ];
  }
  return report;
}

function gauss(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() || 1e-9)) * Math.cos(2 * Math.PI * rand());
}

/** A verdict over the fixture's stores; `ok=false` fails no-duplicate-user with examples. */
export function makeVerdict(ok: boolean): VerdictJson {
  return {
    ok,
    headline: ok ? 'exactly 10 issued, no duplicates, nothing lost, nothing invented' : '1 invariant failed: no-duplicate-user',
    templates: [1],
    issued: 10,
    exitCode: ok ? 0 : 100,
    invariants: INVARIANTS.map((name): InvariantResult => {
      const fail = !ok && name === 'no-duplicate-user';
      return {
        name,
        status: fail ? 'FAIL' : name === 'unknown-bounded' ? 'SKIP' : 'PASS',
        counts: fail ? { duplicates: 2 } : ({ redisIssued: 10, dbRows: 10, stock: 10 } as Record<string, number>),
        examples: fail ? ['user 7 holds seq 3 and seq 9 <template 1>', 'user 12 holds seq 4 & seq 5'] : [],
        detail: fail ? '2 users hold two coupons of template 1' : 'held',
      };
    }),
  };
}
