import { describe, expect, it } from 'vitest';
import { Prng, deriveSeed } from '../../src/load/prng.js';
import { createUserIdSource } from '../../src/load/user-ids.js';
import { IterationSource } from '../../src/load/iteration-source.js';
import type { Scenario } from '../../src/model/scenario.js';

const take = (f: () => number, n: number): number[] => Array.from({ length: n }, f);

describe('seeded PRNG', () => {
  it('is deterministic per seed and differs across seeds', () => {
    expect(take(() => new Prng(42).nextU32(), 1)).toEqual(take(() => new Prng(42).nextU32(), 1));
    const a = new Prng(1);
    const b = new Prng(1);
    expect(take(() => a.next(), 100)).toEqual(take(() => b.next(), 100));
    const c = new Prng(2);
    expect(take(() => c.next(), 10)).not.toEqual(take(() => new Prng(1).next(), 10));
    expect(deriveSeed(5, 0)).not.toBe(deriveSeed(5, 1));
  });

  it('is roughly uniform in [0,1)', () => {
    const r = new Prng(9);
    const buckets = new Array<number>(10).fill(0);
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = r.next();
      if (!(x >= 0 && x < 1)) outside++;
      else buckets[Math.floor(x * 10)]!++;
    }
    expect(outside).toBe(0);
    for (const b of buckets) {
      expect(b / 10_000).toBeGreaterThan(0.95);
      expect(b / 10_000).toBeLessThan(1.05);
    }
  });
});

describe('user-id generators', () => {
  it('uniform: within range, covers it, deterministic from the seed', () => {
    const ids = take(createUserIdSource({ type: 'uniform', min: 1, max: 100 }, 3), 20_000);
    expect(Math.min(...ids)).toBe(1);
    expect(Math.max(...ids)).toBe(100);
    expect(new Set(ids).size).toBe(100);
    expect(take(createUserIdSource({ type: 'uniform', min: 1, max: 100 }, 3), 50)).toEqual(ids.slice(0, 50));
  });

  it('sequential: unique within and never overlapping across workers', () => {
    const seen = new Set<number>();
    for (let w = 0; w < 4; w++) {
      const src = createUserIdSource({ type: 'sequential', start: 10 }, 1, w, 4);
      for (const id of take(src, 1000)) {
        expect(seen.has(id)).toBe(false);
        seen.add(id);
      }
    }
    expect(seen.size).toBe(4000);
    expect(Math.min(...seen)).toBe(10);
    expect(Math.max(...seen)).toBe(4009);
  });

  it('random workers get independent streams', () => {
    const a = take(createUserIdSource({ type: 'uniform', min: 1, max: 1e9 }, 5, 0, 2), 100);
    const b = take(createUserIdSource({ type: 'uniform', min: 1, max: 1e9 }, 5, 1, 2), 100);
    expect(a.filter((x) => b.includes(x))).toHaveLength(0);
  });

  it('zipf: deterministic, in range, rank 1 hottest', () => {
    const spec = { type: 'zipf', min: 100, count: 1000, exponent: 1.2 } as const;
    const ids = take(createUserIdSource(spec, 11), 50_000);
    expect(take(createUserIdSource(spec, 11), 100)).toEqual(ids.slice(0, 100));
    expect(Math.min(...ids)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...ids)).toBeLessThan(1100);
    const freq = new Map<number, number>();
    for (const id of ids) freq.set(id, (freq.get(id) ?? 0) + 1);
    const hottest = [...freq.entries()].sort((x, y) => y[1] - x[1])[0]![0];
    expect(hottest).toBe(100);
    // rank 1 vs rank 10 frequency ratio ~ 10^1.2 = 15.8
    const ratio = (freq.get(100) ?? 0) / (freq.get(109) ?? 1);
    expect(ratio).toBeGreaterThan(10);
    expect(ratio).toBeLessThan(25);
  });

  it('list: only listed ids', () => {
    const ids = take(createUserIdSource({ type: 'list', ids: [5, 7, 9] }, 1), 300);
    expect(new Set(ids)).toEqual(new Set([5, 7, 9]));
  });
});

describe('template mix', () => {
  it('follows the weights', () => {
    const s = { templates: [{ id: 1, stock: 1, weight: 6 }, { id: 2, stock: 1, weight: 3 }, { id: 3, stock: 1, weight: 1 }], users: { type: 'sequential' } } as Scenario;
    const src = new IterationSource(s, 1, 0, 1);
    const n: Record<number, number> = { 1: 0, 2: 0, 3: 0 };
    for (let i = 0; i < 20_000; i++) {
      src.next();
      n[src.templateId]!++;
    }
    expect(n[1]! / 20_000).toBeCloseTo(0.6, 1);
    expect(n[2]! / 20_000).toBeCloseTo(0.3, 1);
    expect(n[3]! / 20_000).toBeCloseTo(0.1, 1);
  });
});
