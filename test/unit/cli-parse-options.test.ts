import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { drainTimeoutMs, durationFlag, integerAtLeast } from '../../src/commands/parse-options.js';

describe('integer flags', () => {
  it('state the rule they enforce, the same for every wrong value', () => {
    const vus = integerAtLeast(1);
    expect(vus('20')).toBe(20);
    for (const bad of ['0', '-5', '1.5', 'many', '']) expect(() => vus(bad)).toThrow(new InvalidArgumentError('must be an integer >= 1'));
    const stock = integerAtLeast(0);
    expect(stock('0')).toBe(0);
    expect(() => stock('-1')).toThrow(/must be an integer >= 0/);
  });
});

describe('duration flags', () => {
  it('take a unit; a bare number (seconds or milliseconds?) is refused with both readings offered', () => {
    expect(durationFlag('1500ms')).toBe('1500ms');
    expect(durationFlag(' 2s ')).toBe('2s');
    expect(() => durationFlag('1500')).toThrow('"1500" has no unit: write 1500ms or 1500s');
    expect(() => durationFlag('597h')).toThrow(/longer than the longest duration, 2147483647 ms/);
    expect(drainTimeoutMs('500ms')).toBe(500);
    expect(drainTimeoutMs('10s')).toBe(10_000);
    expect(drainTimeoutMs('1m')).toBe(60_000);
    expect(() => drainTimeoutMs('5000')).toThrow('"5000" has no unit: write 5000ms or 5000s');
  });

  it('accept a bare 0 (no unit needed) and refuse what is not a duration', () => {
    expect(drainTimeoutMs('0')).toBe(0);
    expect(durationFlag('0')).toBe('0');
    expect(() => drainTimeoutMs('soon')).toThrow(/expected a duration with its unit: 500ms, 10s, 1m30s/);
    expect(() => durationFlag('-1s')).toThrow(/expected a duration/);
  });
});
