import { decodeFromCompressedBase64, type Histogram } from 'hdr-histogram-js';
import { CouponBenchError } from '../errors.js';
import { withinRecorded, type RecordedRange } from '../shared/histogram.js';
import { sameBucketUs } from '../shared/latency-counts.js';

/** One point of an HDR percentile spectrum: percentile (0..100) and its latency in ms. */
export interface SpectrumPoint {
  percentile: number;
  valueMs: number;
}

/** Percentiles the reports and `compare` read from a decoded histogram (values in ms). */
export interface HistogramStats {
  count: number;
  minMs: number;
  meanMs: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  maxMs: number;
}

/** Decode a report histogram (HdrHistogram compressed base64, values in microseconds). */
export function decodeHistogram(encoded: string, what = 'histogram'): Histogram {
  if (typeof encoded !== 'string' || encoded.length === 0) {
    throw new CouponBenchError('E_HISTOGRAM_DECODE', `${what} is missing from the report`);
  }
  try {
    return decodeFromCompressedBase64(encoded);
  } catch (err) {
    throw new CouponBenchError('E_HISTOGRAM_DECODE', `${what} could not be decoded: ${(err as Error).message}`, undefined, {
      cause: err,
    });
  }
}

const US_PER_MS = 1000;

/** The exact extremes of a histogram in ms, as a report's summary records them (min, max). */
export interface ExactExtremes {
  min: number;
  max: number;
}

/**
 * The recorded range of a decoded histogram. Encoding keeps bucket counts only, so a decoded
 * histogram's min and max are its extreme buckets' bounds; the report's summary keeps the exact
 * values (`exact`), used when they fall into those same buckets (so they describe this histogram).
 */
export function recordedRange(h: Histogram, exact?: ExactExtremes): RecordedRange {
  const range: RecordedRange = { minUs: h.minNonZeroValue, maxUs: h.maxValue };
  if (exact === undefined || h.totalCount === 0) return range;
  const minUs = Math.round(exact.min * US_PER_MS);
  const maxUs = Math.round(exact.max * US_PER_MS);
  if (minUs > 0 && minUs <= maxUs && sameBucketUs(minUs, range.minUs) && sameBucketUs(maxUs, range.maxUs)) return { minUs, maxUs };
  return range;
}

/**
 * Summary statistics of an encoded histogram, in milliseconds (full precision, not rounded). With
 * the run's exact extremes (`exact`: the report's summary of the same histogram), min and max are
 * those, and every other figure lies within them, as in the run's own summary.
 */
export function histogramStats(encoded: string, what?: string, exact?: ExactExtremes): HistogramStats {
  const h = decodeHistogram(encoded, what);
  try {
    if (h.totalCount === 0) return { count: 0, minMs: 0, meanMs: 0, p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, maxMs: 0 };
    const range = recordedRange(h, exact);
    const ms = (us: number): number => withinRecorded(us, range) / US_PER_MS;
    const at = (p: number): number => ms(h.getValueAtPercentile(p));
    return {
      count: h.totalCount,
      minMs: range.minUs / US_PER_MS,
      meanMs: ms(h.mean),
      p50: at(50),
      p90: at(90),
      p95: at(95),
      p99: at(99),
      p999: at(99.9),
      maxMs: range.maxUs / US_PER_MS,
    };
  } finally {
    h.destroy();
  }
}

/** The latency at a percentile of an encoded histogram, in ms, within its exact extremes when given; null when empty. */
export function percentileMs(encoded: string, percentile: number, exact?: ExactExtremes, what?: string): number | null {
  const h = decodeHistogram(encoded, what);
  try {
    if (h.totalCount === 0) return null;
    return withinRecorded(h.getValueAtPercentile(percentile), recordedRange(h, exact)) / US_PER_MS;
  } finally {
    h.destroy();
  }
}

/**
 * The classic HdrHistogram percentile spectrum: percentiles spaced evenly on a 1/(1-p) log axis
 * (`ticksPerHalf` points per halving of the tail), up to the recorded maximum (exact when the
 * report's extremes are given, as in {@link histogramStats}).
 */
export function percentileSpectrum(encoded: string, ticksPerHalf = 5, what?: string, exact?: ExactExtremes): SpectrumPoint[] {
  const h = decodeHistogram(encoded, what);
  try {
    if (h.totalCount === 0) return [];
    const range = recordedRange(h, exact);
    const points: SpectrumPoint[] = [];
    // Stop where one more tick would be finer than a single sample: beyond that the curve is flat at max.
    const maxInverse = Math.max(10, h.totalCount);
    for (let i = 0; ; i++) {
      const inverse = Math.pow(2, i / ticksPerHalf); // 1/(1-p)
      if (inverse > maxInverse) break;
      const p = 100 * (1 - 1 / inverse);
      points.push({ percentile: p, valueMs: withinRecorded(h.getValueAtPercentile(p), range) / US_PER_MS });
    }
    points.push({ percentile: 100 * (1 - 1 / maxInverse), valueMs: range.maxUs / US_PER_MS });
    return points;
  } finally {
    h.destroy();
  }
}
