/** One linear piece of an arrival-rate schedule (rates in iterations per ms). */
interface Segment {
  start: number;
  duration: number;
  r0: number;
  r1: number;
  /** iterations due before this segment starts */
  n0: number;
}

/**
 * Intended start times of an open-model run, evenly spread: the k-th iteration starts when the
 * integral of the (piecewise linear) rate reaches k. No once-a-second bursts.
 */
export class ArrivalSchedule {
  total: number;
  durationMs: number;
  private readonly segs: Segment[] = [];
  private seg = 0;
  /** iterations due by the end (not rounded), and the rate there */
  private area: number;
  private endRate: number;

  /** `stages` rates are per `timeUnitMs`. */
  constructor(startRate: number, stages: Array<{ durationMs: number; target: number }>, timeUnitMs: number) {
    let t = 0;
    let n = 0;
    let r = startRate / timeUnitMs;
    for (const st of stages) {
      const r1 = st.target / timeUnitMs;
      this.segs.push({ start: t, duration: st.durationMs, r0: r, r1, n0: n });
      n += ((r + r1) / 2) * st.durationMs;
      t += st.durationMs;
      r = r1;
    }
    // Round to absorb float error (e.g. 0.1 * 30000 = 2999.9999).
    this.total = Math.floor(n + 1e-9);
    this.durationMs = t;
    this.area = n;
    this.endRate = r;
  }

  /** Go on `ms` longer at the rate the schedule ends with; false (and no change) when that rate is 0. */
  extend(ms: number): boolean {
    if (!(this.endRate > 0)) return false;
    this.segs.push({ start: this.durationMs, duration: ms, r0: this.endRate, r1: this.endRate, n0: this.area });
    this.area += this.endRate * ms;
    this.durationMs += ms;
    this.total = Math.floor(this.area + 1e-9);
    return true;
  }

  /** A constant rate for `durationMs`. */
  static constant(rate: number, durationMs: number, timeUnitMs: number): ArrivalSchedule {
    return new ArrivalSchedule(rate, [{ durationMs, target: rate }], timeUnitMs);
  }

  /**
   * How many iterations are due by `offsetMs` (ms from start): the count of k with
   * timeOf(k) <= offsetMs, up to {@link total}. Any order of calls (it moves no cursor).
   */
  dueBy(offsetMs: number): number {
    if (offsetMs < 0) return 0;
    let n = this.total;
    for (const s of this.segs) {
      if (offsetMs < s.start + s.duration) {
        const x = Math.max(0, offsetMs - s.start);
        // Iteration k starts when the rate's integral reaches k: k = 0 .. floor(integral) are due.
        n = Math.floor(s.n0 + s.r0 * x + ((s.r1 - s.r0) / (2 * s.duration)) * x * x + 1e-9) + 1;
        break;
      }
    }
    return Math.min(n, this.total);
  }

  /** Offset (ms from start) of iteration k (0-based; call with non-decreasing k). */
  timeOf(k: number): number {
    if (k >= this.total) return Number.POSITIVE_INFINITY;
    for (;;) {
      const s = this.segs[this.seg] as Segment;
      const area = ((s.r0 + s.r1) / 2) * s.duration;
      if (k < s.n0 + area - 1e-9 || this.seg === this.segs.length - 1) {
        const m = k - s.n0;
        if (m <= 0) return s.start;
        const a = (s.r1 - s.r0) / (2 * s.duration);
        let x: number;
        if (Math.abs(a) < 1e-15) x = m / s.r0;
        else x = (-s.r0 + Math.sqrt(s.r0 * s.r0 + 4 * a * m)) / (2 * a);
        return s.start + Math.min(Math.max(x, 0), s.duration);
      }
      this.seg++;
    }
  }
}
