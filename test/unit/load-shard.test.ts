import { describe, expect, it } from 'vitest';
import { parseShard, shardScenario, shareOf } from '../../src/run/plan/shard.js';
import { createUserIdSource } from '../../src/load/user-ids.js';
import type { Scenario } from '../../src/model/scenario.js';

const base: Scenario = { name: 's', executor: 'constant-vus', vus: 5, duration: '5s', users: { type: 'sequential', start: 1 }, templates: [{ id: 1, stock: 10 }] };

describe('run --shard i/n', () => {
  it('parses 1-based i/n and refuses the rest', () => {
    expect(parseShard('1/2')).toEqual({ index: 0, count: 2 });
    expect(parseShard('3/3')).toEqual({ index: 2, count: 3 });
    for (const bad of ['0/2', '3/2', '1/0', '1', 'a/b', '1/2/3']) expect(() => parseShard(bad), bad).toThrow(/i\/n with 1 <= i <= n/);
  });

  it('shares add up to the whole', () => {
    for (const [total, n] of [[5, 2], [1001, 3], [7, 7], [100, 8]] as const) {
      expect(Array.from({ length: n }, (_, i) => shareOf(total, i, n)).reduce((a, b) => a + b, 0)).toBe(total);
    }
  });

  it('splits VUs, iterations and rates; keeps stock; refuses a share of 0 VUs', () => {
    expect(shardScenario(base, 0, 2).scenario.vus).toBe(3);
    expect(shardScenario(base, 1, 2).scenario.vus).toBe(2);
    expect(shardScenario(base, 1, 2).shard).toEqual({ index: 1, count: 2, slots: 3 });
    const open: Scenario = { ...base, executor: 'ramping-arrival-rate', vus: undefined, startRate: 10, preAllocatedVUs: 8, maxVUs: 64, stages: [{ duration: '2s', target: 100 }] };
    const s = shardScenario(open, 1, 4).scenario;
    expect([s.startRate, s.stages?.[0]?.target, s.preAllocatedVUs, s.maxVUs]).toEqual([2.5, 25, 2, 16]);
    expect(s.templates).toEqual(base.templates);
    const ramp = shardScenario({ ...base, executor: 'ramping-vus', vus: undefined, stages: [{ duration: '1s', target: 5 }] }, 0, 2).scenario;
    expect(ramp.stages?.[0]?.target).toBe(3);
    expect(() => shardScenario({ ...base, vus: 1 }, 1, 2)).toThrow(/vus 1 cannot be split 2 ways/);
  });

  it('sequential user ids of unequal shares never overlap (stripes sized by the widest share)', () => {
    const seen = new Set<number>();
    for (let shard = 0; shard < 2; shard++) {
      const { shard: sh, scenario } = shardScenario(base, shard, 2);
      const stripe = Math.max(scenario.vus ?? 0, sh.slots);
      for (let vu = 0; vu < (scenario.vus ?? 0); vu++) {
        const next = createUserIdSource(base.users, 1, sh.index * stripe + vu, sh.count * stripe);
        for (let k = 0; k < 50; k++) {
          const id = next();
          expect(seen.has(id), `id ${id}`).toBe(false);
          seen.add(id);
        }
      }
    }
    expect(seen.size).toBe(250);
  });
});
