import { describe, expect, it } from 'vitest';
import { planWaves } from '../../src/load/executors/adversarial.js';
import { applyOverrides, loadScenario } from '../../src/run/plan/scenario.js';

const OPTS = { concurrentRepeats: 2, demandFactor: 2, connections: 256 };

/** A plan for `stock`, users counted from 1. */
function plan(stock: number, o = OPTS) {
  let u = 0;
  return planWaves(1, stock, o, () => ++u);
}

describe('adversarial waves', () => {
  it.each([2, 3, 4, 5, 10, 50, 51, 1000, 100_000])('stock %i: a service without a duplicate check must issue twice to one user', (stock) => {
    const [wave1, wave2, wave3] = plan(stock);
    // wave 1: every user k times; together at most half the stock (one user when the stock is under 2k)
    const perUser = new Map<number, number>();
    for (const s of wave1 ?? []) perUser.set(s.userId, (perUser.get(s.userId) ?? 0) + 1);
    expect([...perUser.values()].every((n) => n === 2)).toBe(true);
    expect(wave1!.length <= Math.max(2, stock / 2)).toBe(true);
    // so every request of wave 1 finds stock left: a missing duplicate check issues all of them
    expect(wave1!.length).toBeLessThanOrEqual(stock);
    expect(wave1!.length).toBeLessThanOrEqual(OPTS.connections);
    // wave 2: the same users again
    expect(new Set(wave2!.map((s) => s.userId))).toEqual(new Set(perUser.keys()));
    // wave 3: demand well beyond the stock, the first users among its first requests
    const fresh = wave3!.filter((s) => !perUser.has(s.userId));
    expect(fresh.length).toBeGreaterThanOrEqual(2 * stock);
    expect(new Set(fresh.map((s) => s.userId)).size).toBe(fresh.length);
    const repeatsAt = wave3!.flatMap((s, i) => (perUser.has(s.userId) ? [i] : []));
    expect(Math.max(...repeatsAt)).toBeLessThan(OPTS.connections);
  });

  it('a stock under 2 has no wave of repeats (no user can be issued twice) but still demand beyond it', () => {
    for (const stock of [0, 1]) {
      const waves = plan(stock);
      expect(waves).toHaveLength(1);
      expect(waves[0]!.length).toBeGreaterThanOrEqual(stock + 2);
    }
  });

  it('more concurrent repeats per user keep wave 1 within the connections', () => {
    const [wave1] = plan(10_000, { concurrentRepeats: 4, demandFactor: 2, connections: 64 });
    expect(wave1).toHaveLength(64);
  });

  it('--vus sets its connections, --duration is refused, --stock sizes the waves', () => {
    const s = loadScenario('adversarial');
    expect(applyOverrides(s, { vus: 32 }).adversarial?.connections).toBe(32);
    expect(() => applyOverrides(s, { duration: '1s' })).toThrow(/adversarial sends waves sized by the stock/);
    expect(applyOverrides(s, { stock: 7 }).templates[0]?.stock).toBe(7);
  });
});
