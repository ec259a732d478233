import { newHistogram, withinRecorded, type Histogram } from './histogram.js';

// HdrHistogram's layout for lowest value 1 µs and 3 significant digits: 2,048 sub-buckets, each
// power-of-two bucket after the first adds 1,024 counts. 18 buckets cover 1 µs .. 2^27 µs (134 s).
const SUB_HALF_MAG = 10;
const SUB_HALF = 1 << SUB_HALF_MAG;
const SUB_MASK = (SUB_HALF << 1) - 1;
const BUCKETS = 18;
const SIZE = (BUCKETS + 1) << SUB_HALF_MAG;
/** Values above this are clamped (the engine's timeout is far below it). */
const MAX_US = (1 << (BUCKETS + SUB_HALF_MAG)) - 1;

function indexOf(us: number): number {
  const b = 21 - Math.clz32(us | SUB_MASK); // 31 - clz - 10
  return ((b + 1) << SUB_HALF_MAG) + (us >>> b) - SUB_HALF;
}

function lowestOf(i: number): number {
  let b = (i >>> SUB_HALF_MAG) - 1;
  let sub = (i & (SUB_HALF - 1)) + SUB_HALF;
  if (b < 0) {
    sub -= SUB_HALF;
    b = 0;
  }
  return sub * 2 ** b;
}

/** Whether two values (µs) fall into the same bucket of this layout (HDR's "equivalent" values). */
export function sameBucketUs(a: number, b: number): boolean {
  const clamp = (us: number): number => (us < 1 ? 1 : us > MAX_US ? MAX_US : Math.round(us));
  return indexOf(clamp(a)) === indexOf(clamp(b));
}

function highestOf(i: number): number {
  const b = Math.max(0, (i >>> SUB_HALF_MAG) - 1);
  return lowestOf(i) + 2 ** b - 1;
}

/**
 * The hot-path latency recorder: HdrHistogram's bucket layout (1 µs, 3 significant digits) in a
 * plain Int32Array, so one record is a clz32 and an increment (~5 ns against ~100 ns for
 * hdr-histogram-js's recordValue; see bench notes in the run report). It converts exactly into an
 * hdr-histogram-js Histogram for percentiles of the whole run and for encoding.
 */
export class LatencyCounts {
  readonly counts = new Int32Array(SIZE);
  total = 0;
  private lo = SIZE;
  private hi = -1;
  /** exact extremes (hdr-histogram-js reports the exact max, not its bucket) */
  private minUs = Number.POSITIVE_INFINITY;
  private maxUs = 0;

  /** Record one latency in milliseconds (float). */
  recordMs(ms: number): void {
    let us = Math.round(ms * 1000);
    if (us < 1) us = 1;
    else if (us > MAX_US) us = MAX_US;
    const i = indexOf(us);
    (this.counts[i] as number)++;
    this.total++;
    if (i < this.lo) this.lo = i;
    if (i > this.hi) this.hi = i;
    if (us < this.minUs) this.minUs = us;
    if (us > this.maxUs) this.maxUs = us;
  }

  /** Add every count of this one into `other`. */
  addInto(other: LatencyCounts): void {
    if (this.total === 0) return;
    const a = this.counts;
    const b = other.counts;
    for (let i = this.lo; i <= this.hi; i++) b[i] = (b[i] as number) + (a[i] as number);
    other.total += this.total;
    if (this.lo < other.lo) other.lo = this.lo;
    if (this.hi > other.hi) other.hi = this.hi;
    if (this.minUs < other.minUs) other.minUs = this.minUs;
    if (this.maxUs > other.maxUs) other.maxUs = this.maxUs;
  }

  /** Add every count into an hdr-histogram-js Histogram (same bucket layout, so nothing is lost). */
  addToHistogram(h: Histogram): void {
    const a = this.counts;
    for (let i = this.lo; i <= this.hi; i++) {
      const c = a[i] as number;
      // any value of a bucket lands in that bucket; the extremes' own values keep min and max exact
      if (c === 0) continue;
      if (i === this.lo && i === this.hi && c > 1) {
        h.recordValueWithCount(this.minUs, c - 1);
        h.recordValue(this.maxUs);
      } else h.recordValueWithCount(i === this.hi ? this.maxUs : i === this.lo ? this.minUs : lowestOf(i), c);
    }
  }

  /** A new hdr-histogram-js Histogram holding these counts. */
  toHistogram(): Histogram {
    const h = newHistogram();
    this.addToHistogram(h);
    return h;
  }

  /** The value at a percentile, in µs, with hdr-histogram-js's rounding (highest equivalent value). */
  percentileUs(p: number): number {
    if (this.total === 0) return 0;
    const want = Math.max(Math.ceil((Math.min(p, 100) / 100) * this.total - 1e-9), 1);
    let seen = 0;
    const a = this.counts;
    for (let i = this.lo; i <= this.hi; i++) {
      seen += a[i] as number;
      if (seen >= want) return highestOf(i);
    }
    return highestOf(this.hi);
  }

  /**
   * The value at a percentile, in µs, kept within the exact min and max recorded (what reports
   * show; {@link percentileUs} is the bucket's value, which can exceed the max).
   */
  boundedPercentileUs(p: number): number {
    if (this.total === 0) return 0;
    return withinRecorded(this.percentileUs(p), { minUs: this.minUs, maxUs: this.maxUs });
  }

  /** Forget every count. */
  reset(): void {
    if (this.hi >= this.lo) this.counts.fill(0, this.lo, this.hi + 1);
    this.total = 0;
    this.lo = SIZE;
    this.hi = -1;
    this.minUs = Number.POSITIVE_INFINITY;
    this.maxUs = 0;
  }
}
