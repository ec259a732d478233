import { describe, expect, it } from 'vitest';
import { ArrivalSchedule } from '../../src/load/executors/arrival-schedule.js';
import { parseDuration } from '../../src/load/duration.js';

describe('arrival schedule', () => {
  it('constant: exact total, evenly spaced from t=0', () => {
    const s = ArrivalSchedule.constant(100, 2000, 1000);
    expect(s.total).toBe(200);
    expect(s.timeOf(0)).toBe(0);
    expect(s.timeOf(1)).toBeCloseTo(10, 9);
    expect(s.timeOf(199)).toBeCloseTo(1990, 9);
    expect(s.timeOf(200)).toBe(Number.POSITIVE_INFINITY);
  });

  it('ramping: total is the integral; times follow the ramp', () => {
    const s = new ArrivalSchedule(0, [{ durationMs: 1000, target: 200 }, { durationMs: 1000, target: 200 }], 1000);
    expect(s.total).toBe(300);
    // under a linear ramp from 0, N(t) = 100 t^2 (t in s): iteration 25 at t = 0.5 s
    expect(s.timeOf(25)).toBeCloseTo(500, 6);
    expect(s.timeOf(100)).toBeCloseTo(1000, 6);
    expect(s.timeOf(150)).toBeCloseTo(1250, 6);
    let prev = -1;
    for (let k = 0; k < s.total; k++) {
      const t = s.timeOf(k);
      expect(t).toBeGreaterThanOrEqual(prev);
      prev = t;
    }
  });

  it('timeUnit scales rates', () => {
    expect(ArrivalSchedule.constant(60, 60_000, 60_000).total).toBe(60);
  });
});

describe('durations', () => {
  it('parses k6 durations', () => {
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration(2)).toBe(2000);
    expect(() => parseDuration('10 parsecs')).toThrow(/not a duration/);
  });
});
