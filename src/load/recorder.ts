import { OUTCOMES, OUTCOME_INDEX, type Outcome } from '../model/outcome.js';
import type { TimelinePoint } from '../model/report.js';
import type { LedgerRecord } from '../model/ledger-record.js';
import type { ScenarioCheck } from '../model/scenario.js';
import { encodeHistogram, newHistogram, type Histogram } from '../shared/histogram.js';
import { LatencyCounts } from '../shared/latency-counts.js';
import type { LedgerWriter } from './ledger-writer.js';

import type { ResponseSample } from '../model/response-sample.js';

export type { ResponseSample };

interface CompiledCheck {
  name: string;
  status: Uint8Array | undefined;
  outcome: Uint8Array | undefined;
  passes: number;
  fails: number;
}

const N = OUTCOMES.length;
const UNKNOWN = OUTCOME_INDEX.unknown;
const ms3 = (us: number): number => Math.round(us) / 1000;

/**
 * Collects every response on the hot path: latency counts (µs, HDR layout) per outcome plus
 * overall corrected/uncorrected, checks, the per-second timeline and the ledger. Per response it
 * records two latencies (the current second's per-outcome counts and the uncorrected counts); the
 * whole-run histograms are folded in once a second. Allocation-free per response except the ledger
 * line, which is only built for records the ledger keeps.
 */
export class Recorder {
  readonly counts = new Array<number>(N).fill(0);
  readonly checks: CompiledCheck[];
  readonly timeline: TimelinePoint[] = [];
  /** requests that got an HTTP answer (status != 0) */
  answered = 0;
  total = 0;
  dropped = 0;
  vusMin = Number.POSITIVE_INFINITY;
  vusMax = 0;
  /** active VUs now (closed-model executors and burst; undefined for arrival-rate executors) */
  vusNow: number | undefined;
  /** performance.now() when the run started; set by the executor */
  t0 = 0;
  /** last finalized second, for live progress */
  lastSecond: TimelinePoint | undefined;
  onResponse: ((s: ResponseSample) => void) | undefined;
  /** requests whose status is not in the scenario's expectedStatuses (k6's http_req_failed), when it has them */
  unexpectedStatuses: number | undefined;

  private sec = 0;
  private secCounts = new Array<number>(N).fill(0);
  private secDropped = 0;
  /** the most VUs active and the most requests in flight seen during the current second */
  private secVus: number | undefined;
  private secInFlight: number | undefined;
  private readonly secAll = new LatencyCounts();
  private readonly secByOutcome: LatencyCounts[] = OUTCOMES.map(() => new LatencyCounts());
  /** closed seconds, folded in by closeSecond() */
  private readonly runByOutcome: LatencyCounts[] = OUTCOMES.map(() => new LatencyCounts());
  private readonly runUncorrected = new LatencyCounts();
  private readonly runConnecting = new LatencyCounts();
  /** the materialized histograms, valid while `total` (bumped on every record) has not moved */
  private cache: { total: number; corrected: Histogram; uncorrected: Histogram; byOutcome: Histogram[] } | undefined;

  constructor(
    checks: ScenarioCheck[],
    private readonly ledger: LedgerWriter | undefined,
    private readonly ledgerFull: boolean,
    /** expectedStatusTable of the scenario's expectedStatuses */
    private readonly expected?: Uint8Array,
  ) {
    this.unexpectedStatuses = expected !== undefined ? 0 : undefined;
    this.checks = checks.map((c) => {
      let status: Uint8Array | undefined;
      if (c.status) {
        status = new Uint8Array(600);
        for (const s of c.status) status[s] = 1;
      }
      let outcome: Uint8Array | undefined;
      if (c.outcome) {
        outcome = new Uint8Array(N);
        for (const o of c.outcome) outcome[OUTCOME_INDEX[o]] = 1;
      }
      return { name: c.name, status, outcome, passes: 0, fails: 0 };
    });
  }

  /** Start the clock (performance.now() ms). */
  start(t0: number): void {
    this.t0 = t0;
    this.sec = 0;
  }

  /** Track the number of active VUs. */
  vus(n: number): void {
    if (n < this.vusMin) this.vusMin = n;
    if (n > this.vusMax) this.vusMax = n;
    this.vusNow = n;
    if (this.secVus === undefined || n > this.secVus) this.secVus = n;
  }

  /** The most requests in flight at once since the last call (read a few times a second, not per request). */
  inFlight(now: number, n: number): void {
    if (this.t0 === 0) return; // the executor's clock has not started
    this.roll(now);
    if (this.secInFlight === undefined || n > this.secInFlight) this.secInFlight = n;
  }

  /** An iteration the generator could not send in time. */
  drop(now: number, count = 1): void {
    this.roll(now);
    this.dropped += count;
    this.secDropped += count;
  }

  /**
   * Whether a response of outcome index `oi` needs its details (coupon id, seq): only when the
   * ledger keeps it or a listener asked for every response. Lets the engine skip body parsing.
   */
  wantsDetails(oi: number): boolean {
    return this.onResponse !== undefined || this.ledgerKeeps(oi);
  }

  /** Whether the ledger keeps a response of outcome index `oi` (every one in full mode, else issued + unknown). */
  private ledgerKeeps(oi: number): boolean {
    return this.ledger !== undefined && (this.ledgerFull || oi === 0 || oi === UNKNOWN);
  }

  /** Corrected latency of the whole run so far (an hdr-histogram-js Histogram, µs). */
  get corrected(): Histogram {
    return this.materialize().corrected;
  }

  /** Uncorrected latency (from the actual send) of the whole run so far. */
  get uncorrected(): Histogram {
    return this.materialize().uncorrected;
  }

  /** Corrected latency per outcome class (index = OUTCOME_INDEX). */
  get byOutcome(): Histogram[] {
    return this.materialize().byOutcome;
  }

  /** Build the whole-run histograms from the closed seconds plus the current one (cached until the next record). */
  private materialize(): NonNullable<Recorder['cache']> {
    if (this.cache?.total === this.total) return this.cache;
    const corrected = newHistogram();
    const byOutcome = OUTCOMES.map((_, i) => {
      const h = newHistogram();
      (this.runByOutcome[i] as LatencyCounts).addToHistogram(h);
      (this.secByOutcome[i] as LatencyCounts).addToHistogram(h);
      if (h.totalCount > 0) corrected.add(h);
      return h;
    });
    this.cache = { total: this.total, corrected, uncorrected: this.runUncorrected.toHistogram(), byOutcome };
    return this.cache;
  }

  /** Time a request waited for its connection to be set up (ms; about 0 on a kept-alive one). */
  connecting(ms: number): void {
    this.runConnecting.recordMs(ms);
  }

  /** Connection set-up time of every request so far (k6's http_req_connecting), µs. */
  get connectingHistogram(): Histogram {
    return this.runConnecting.toHistogram();
  }

  /** Record one response (times are performance.now() ms). */
  record(
    outcome: Outcome,
    status: number,
    templateId: number,
    userId: number,
    intended: number,
    sent: number,
    end: number,
    couponId: string | undefined,
    seq: number | undefined,
    err: string | undefined,
  ): void {
    this.roll(end);
    const oi = OUTCOME_INDEX[outcome];
    this.total++;
    if (status !== 0) this.answered++;
    (this.counts[oi] as number)++;
    (this.secCounts[oi] as number)++;
    (this.secByOutcome[oi] as LatencyCounts).recordMs(end - intended);
    this.runUncorrected.recordMs(end - sent);
    if (this.expected !== undefined && this.expected[status] !== 1) (this.unexpectedStatuses as number)++;
    for (const c of this.checks) {
      const ok = (c.status === undefined || c.status[status] === 1) && (c.outcome === undefined || c.outcome[oi] === 1);
      if (ok) c.passes++;
      else c.fails++;
    }
    if (this.ledger && this.ledgerKeeps(oi)) {
      const rec: LedgerRecord = {
        o: outcome,
        tpl: templateId,
        u: userId,
        st: status,
        ts: Math.round((performance.timeOrigin + sent) * 1000) / 1000,
        lat: Math.max(1, Math.round((end - sent) * 1000)),
      };
      if (couponId !== undefined) rec.c = couponId;
      if (seq !== undefined) rec.seq = seq;
      if (err !== undefined) rec.err = err;
      this.ledger.write(rec);
    }
    if (this.onResponse) {
      const s: ResponseSample = { outcome, status, templateId, userId, intended, sent, end };
      if (couponId !== undefined) s.couponId = couponId;
      if (seq !== undefined) s.seq = seq;
      if (err !== undefined) s.err = err;
      this.onResponse(s);
    }
  }

  /** Close the seconds before `now` (called by each record and by the progress tick). */
  roll(now: number): void {
    const sec = Math.floor((now - this.t0) / 1000);
    while (sec > this.sec) this.closeSecond();
  }

  /** Close the current (partial) second; used at the end of the run. */
  finish(now: number): void {
    this.roll(now);
    let any = this.secDropped > 0;
    for (const c of this.secCounts) if (c > 0) any = true;
    if (any) this.closeSecond();
  }

  private closeSecond(): void {
    this.sec++;
    const counts = {} as Record<Outcome, number>;
    const byOutcome: NonNullable<TimelinePoint['byOutcome']> = {};
    const all = this.secAll;
    for (let i = 0; i < N; i++) {
      const o = OUTCOMES[i] as Outcome;
      counts[o] = this.secCounts[i] as number;
      const h = this.secByOutcome[i] as LatencyCounts;
      if (h.total > 0) {
        byOutcome[o] = { p50: ms3(h.boundedPercentileUs(50)), p95: ms3(h.boundedPercentileUs(95)), p99: ms3(h.boundedPercentileUs(99)) };
        h.addInto(all);
        h.addInto(this.runByOutcome[i] as LatencyCounts);
        h.reset();
      }
      this.secCounts[i] = 0;
    }
    const point: TimelinePoint = {
      t: this.sec,
      counts,
      p50: ms3(all.boundedPercentileUs(50)),
      p95: ms3(all.boundedPercentileUs(95)),
      p99: ms3(all.boundedPercentileUs(99)),
      byOutcome,
      issuedTotal: this.counts[0] as number,
    };
    if (this.secDropped > 0) point.dropped = this.secDropped;
    if (this.secInFlight !== undefined) point.inFlight = this.secInFlight;
    if (this.secVus !== undefined) point.vus = this.secVus;
    // a second with no change of VUs still had the ones active when it ended
    this.secVus = this.vusNow;
    this.secInFlight = undefined;
    if (all.total > 0) {
      const h = all.toHistogram();
      point.hist = encodeHistogram(h);
      h.destroy();
    }
    all.reset();
    this.secDropped = 0;
    this.timeline.push(point);
    this.lastSecond = point;
  }
}
