import * as hdr from 'hdr-histogram-js';
import type { DurationSummary } from '../model/report.js';

/** The hdr-histogram-js histogram type (values in µs). */
export type Histogram = hdr.Histogram;

/** A latency histogram in microseconds (1 µs .. auto-resized, 3 significant digits). */
export function newHistogram(): Histogram {
  return hdr.build({ bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
}

/** Record one latency given in milliseconds (float). */
export function recordMs(h: Histogram, ms: number): void {
  const us = Math.round(ms * 1000);
  h.recordValue(us < 1 ? 1 : us);
}

/** Compressed base64, the form histograms travel in between reports and machines. */
export function encodeHistogram(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Inverse of {@link encodeHistogram}. */
export function decodeHistogram(s: string): Histogram {
  return hdr.decodeFromCompressedBase64(s, 32, false);
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** The smallest and largest value a histogram recorded, in µs. */
export interface RecordedRange {
  minUs: number;
  maxUs: number;
}

/**
 * A statistic read from HDR buckets, kept within what was recorded. A percentile is its bucket's
 * highest equivalent value and the mean sums bucket midpoints, so with wide buckets (8 ms at 10 s)
 * either can land above the largest value recorded or below the smallest; the extremes themselves
 * are exact. Applied when statistics are read, never when values are recorded.
 */
export function withinRecorded(us: number, range: RecordedRange): number {
  return us < range.minUs ? range.minUs : us > range.maxUs ? range.maxUs : us;
}

/**
 * k6's http_req_duration summary (milliseconds) of a microsecond histogram: every figure lies
 * within min..max. The extremes are the histogram's own when it recorded its values itself; a
 * histogram rebuilt from buckets (decoded, or added up by merge) is given the exact ones as `range`.
 */
export function durationSummary(h: Histogram, exact?: RecordedRange): DurationSummary {
  if (h.totalCount === 0) return { avg: 0, min: 0, med: 0, max: 0, 'p(90)': 0, 'p(95)': 0, 'p(99)': 0 };
  const range: RecordedRange = exact ?? { minUs: h.minNonZeroValue, maxUs: h.maxValue };
  const ms = (us: number): number => round3(withinRecorded(us, range) / 1000);
  return {
    avg: ms(h.mean),
    min: ms(range.minUs),
    med: ms(h.getValueAtPercentile(50)),
    max: ms(range.maxUs),
    'p(90)': ms(h.getValueAtPercentile(90)),
    'p(95)': ms(h.getValueAtPercentile(95)),
    'p(99)': ms(h.getValueAtPercentile(99)),
  };
}
