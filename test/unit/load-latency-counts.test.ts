import { describe, expect, it } from 'vitest';
import { LatencyCounts } from '../../src/shared/latency-counts.js';
import { newHistogram, recordMs } from '../../src/shared/histogram.js';
import { Recorder } from '../../src/load/recorder.js';
import { bufferNumberField, bufferStringField } from '../../src/load/body-extract.js';
import { Prng } from '../../src/load/prng.js';

describe('LatencyCounts (hot-path histogram)', () => {
  it('gives the same percentiles, min, max and mean as hdr-histogram-js for the same values', () => {
    const rng = new Prng(42);
    const fast = new LatencyCounts();
    const ref = newHistogram();
    // 0.001 ms .. ~30 s, skewed towards small values like real latencies
    for (let i = 0; i < 50_000; i++) {
      const ms = 30_000 * rng.next() ** 6 + rng.next() * 0.5;
      fast.recordMs(ms);
      recordMs(ref, ms);
    }
    const h = fast.toHistogram();
    expect(h.totalCount).toBe(ref.totalCount);
    expect(fast.total).toBe(50_000);
    for (const p of [1, 50, 90, 95, 99, 99.9, 100]) {
      expect(h.getValueAtPercentile(p)).toBe(ref.getValueAtPercentile(p));
      expect(fast.percentileUs(p)).toBe(ref.getValueAtPercentile(p));
    }
    expect(h.minNonZeroValue).toBe(ref.minNonZeroValue);
    expect(h.maxValue).toBe(ref.maxValue);
    expect(Math.abs(h.mean - ref.mean) / ref.mean).toBeLessThan(1e-6);
  });

  it('adds, resets and clamps', () => {
    const a = new LatencyCounts();
    const b = new LatencyCounts();
    a.recordMs(1);
    a.recordMs(2);
    b.recordMs(1e9); // clamped, not thrown
    a.addInto(b);
    expect(b.total).toBe(3);
    expect(b.percentileUs(50)).toBe(2000); // below 2,048 µs every µs has its own bucket
    expect(b.percentileUs(100)).toBeGreaterThan(100_000_000);
    a.reset();
    expect(a.total).toBe(0);
    expect(a.percentileUs(99)).toBe(0);
    expect(a.counts.some((c) => c !== 0)).toBe(false);
  });
});

describe('Recorder histograms', () => {
  it('folds seconds into whole-run histograms that match recording every value directly', () => {
    const r = new Recorder([{ name: 'ok', status: [200, 400] }], undefined, false);
    r.start(0);
    const ref = newHistogram();
    const refSold = newHistogram();
    for (let i = 0; i < 3000; i++) {
      const end = i * 1.7; // spans ~5 s, so several seconds close on the way
      const lat = 0.2 + (i % 37) * 0.11;
      const sold = i % 3 !== 0;
      r.record(sold ? 'sold_out' : 'issued', sold ? 400 : 200, 1, i, end - lat, end - lat / 2, end, undefined, undefined, undefined);
      recordMs(ref, lat);
      if (sold) recordMs(refSold, lat);
    }
    // before and after the final partial second is closed
    for (const step of ['open', 'closed']) {
      if (step === 'closed') r.finish(3000 * 1.7);
      expect(r.corrected.totalCount).toBe(3000);
      expect(r.corrected.getValueAtPercentile(95)).toBe(ref.getValueAtPercentile(95));
      expect(r.byOutcome[1]?.getValueAtPercentile(50)).toBe(refSold.getValueAtPercentile(50));
      expect(r.byOutcome[1]?.totalCount).toBe(2000);
      expect(r.uncorrected.totalCount).toBe(3000);
    }
    expect(r.timeline.length).toBe(Math.ceil((3000 * 1.7) / 1000));
    expect(r.timeline.reduce((a, p) => a + Object.values(p.counts).reduce((x, y) => x + y, 0), 0)).toBe(3000);
  });

  it('asks for response details only when the ledger keeps the record or a listener wants it', () => {
    const r = new Recorder([], undefined, false);
    expect(r.wantsDetails(0)).toBe(false);
    r.onResponse = () => undefined;
    expect(r.wantsDetails(1)).toBe(true);
  });
});

describe('byte-level body fields', () => {
  it('reads code, couponId and seq without decoding the whole body', () => {
    const ok = Buffer.from('{"couponId":"1-7","userId":3,"templateId":1,"seq":7,"issuedAt":"x"}');
    expect(bufferStringField(ok, 'couponId')).toBe('1-7');
    expect(bufferNumberField(ok, 'seq')).toBe(7);
    expect(bufferStringField(Buffer.from('{"code" : "COUPON_OUT_OF_STOCK","message":"x"}'), 'code')).toBe('COUPON_OUT_OF_STOCK');
    expect(bufferStringField(Buffer.from('{"message":"x"}'), 'code')).toBeUndefined();
    expect(bufferStringField(Buffer.from('{"code":"a\\"b"}'), 'code')).toBeUndefined();
    expect(bufferNumberField(Buffer.from('{"seq":"7"}'), 'seq')).toBeUndefined();
  });

  it('the compact first-field shortcut agrees with the general reader', () => {
    expect(bufferStringField(Buffer.from('{"code":"COUPON_OUT_OF_STOCK","message":"x"}'), 'code')).toBe('COUPON_OUT_OF_STOCK');
    // an escape or a non-ASCII value falls back to the general reader (which decodes UTF-8)
    expect(bufferStringField(Buffer.from('{"code":"a\\"b"}'), 'code')).toBeUndefined();
    expect(bufferStringField(Buffer.from('{"code":"é_CODE"}'), 'code')).toBe('é_CODE');
    // a key that only starts like the wanted one is not it
    expect(bufferStringField(Buffer.from('{"codex":"A","code":"B"}'), 'code')).toBe('B');
  });
});

describe('LatencyCounts extremes', () => {
  it('keeps exact min and max when every value shares one bucket', () => {
    const a = new LatencyCounts();
    for (const ms of [40.001, 40.005, 40.003]) a.recordMs(ms);
    const h = a.toHistogram();
    expect(h.totalCount).toBe(3);
    expect(h.minNonZeroValue).toBeLessThan(h.maxValue);
  });
});
