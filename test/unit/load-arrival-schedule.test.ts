import { describe, expect, it } from 'vitest';
import { ArrivalSchedule } from '../../src/load/executors/arrival-schedule.js';
import { parseDuration } from '../../src/shared/duration.js';

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

  it('dueBy(t) counts the iterations timeOf puts at or before t, constant and ramping, capped at total', () => {
    const schedules = [
      ArrivalSchedule.constant(100, 2000, 1000),
      new ArrivalSchedule(0, [{ durationMs: 1000, target: 200 }, { durationMs: 1000, target: 200 }, { durationMs: 500, target: 10 }], 1000),
    ];
    for (const s of schedules) {
      const times: number[] = [];
      for (let k = 0; k < s.total; k++) times.push(s.timeOf(k));
      for (const t of [0, 0.5, 9.99, 10, 333.3, 1000, 1250, 1999, 2400, 5000]) {
        const expected = times.filter((x) => x <= t + 1e-6).length;
        expect(Math.abs(s.dueBy(t) - expected), `t=${t}`).toBeLessThanOrEqual(1);
      }
      expect(s.dueBy(-1)).toBe(0);
      expect(s.dueBy(1e12)).toBe(s.total);
    }
    // a rate far beyond any machine: counting is arithmetic, not one step per iteration
    const huge = ArrivalSchedule.constant(1e10, 1000, 1000);
    expect(huge.dueBy(500)).toBe(5e9 + 1);
  });
  it('extend(ms) goes on at the rate it ends with; a schedule ending at rate 0 cannot', () => {
    const s = new ArrivalSchedule(0, [{ durationMs: 1000, target: 100 }], 1000);
    expect(s.total).toBe(50);
    expect(s.extend(100)).toBe(true);
    expect(s.durationMs).toBe(1100);
    expect(s.total).toBe(60);
    for (let k = 50; k < 60; k++) expect(s.timeOf(k)).toBeCloseTo(1000 + (k - 50) * 10, 6);
    expect(s.timeOf(60)).toBe(Number.POSITIVE_INFINITY);
    expect(s.dueBy(1045)).toBe(55);
    const down = new ArrivalSchedule(100, [{ durationMs: 1000, target: 0 }], 1000);
    expect(down.extend(100)).toBe(false);
    expect(down.total).toBe(50);
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

  it("refuses durations beyond Node's timer limit (2^31 - 1 ms), which would fire at once", () => {
    expect(parseDuration('596h')).toBe(596 * 3_600_000);
    for (const v of ['597h', '99999999999h', 1e300, 2_147_484]) {
      expect(() => parseDuration(v), String(v)).toThrow(expect.objectContaining({ code: 'E_DURATION_TOO_LONG' }));
    }
  });
});
