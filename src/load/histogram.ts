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

/** k6's http_req_duration summary (milliseconds) of a microsecond histogram. */
export function durationSummary(h: Histogram): DurationSummary {
  if (h.totalCount === 0) return { avg: 0, min: 0, med: 0, max: 0, 'p(90)': 0, 'p(95)': 0, 'p(99)': 0 };
  const ms = (us: number): number => round3(us / 1000);
  return {
    avg: ms(h.mean),
    min: ms(h.minNonZeroValue),
    med: ms(h.getValueAtPercentile(50)),
    max: ms(h.maxValue),
    'p(90)': ms(h.getValueAtPercentile(90)),
    'p(95)': ms(h.getValueAtPercentile(95)),
    'p(99)': ms(h.getValueAtPercentile(99)),
  };
}
