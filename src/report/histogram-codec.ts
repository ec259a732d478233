import { decodeFromCompressedBase64, type Histogram } from 'hdr-histogram-js';
import { CouponBenchError } from '../errors.js';

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

/** Summary statistics of an encoded histogram, in milliseconds (full precision, not rounded). */
export function histogramStats(encoded: string, what?: string): HistogramStats {
  const h = decodeHistogram(encoded, what);
  try {
    const at = (p: number): number => (h.totalCount === 0 ? 0 : h.getValueAtPercentile(p) / US_PER_MS);
    return {
      count: h.totalCount,
      minMs: h.totalCount === 0 ? 0 : h.minNonZeroValue / US_PER_MS,
      meanMs: h.totalCount === 0 ? 0 : h.mean / US_PER_MS,
      p50: at(50),
      p90: at(90),
      p95: at(95),
      p99: at(99),
      p999: at(99.9),
      maxMs: h.totalCount === 0 ? 0 : h.maxValue / US_PER_MS,
    };
  } finally {
    h.destroy();
  }
}

/**
 * The classic HdrHistogram percentile spectrum: percentiles spaced evenly on a 1/(1-p) log axis
 * (`ticksPerHalf` points per halving of the tail), up to the recorded maximum.
 */
export function percentileSpectrum(encoded: string, ticksPerHalf = 5, what?: string): SpectrumPoint[] {
  const h = decodeHistogram(encoded, what);
  try {
    if (h.totalCount === 0) return [];
    const points: SpectrumPoint[] = [];
    // Stop where one more tick would be finer than a single sample: beyond that the curve is flat at max.
    const maxInverse = Math.max(10, h.totalCount);
    for (let i = 0; ; i++) {
      const inverse = Math.pow(2, i / ticksPerHalf); // 1/(1-p)
      if (inverse > maxInverse) break;
      const p = 100 * (1 - 1 / inverse);
      points.push({ percentile: p, valueMs: h.getValueAtPercentile(p) / US_PER_MS });
    }
    points.push({ percentile: 100 * (1 - 1 / maxInverse), valueMs: h.maxValue / US_PER_MS });
    return points;
  } finally {
    h.destroy();
  }
}
