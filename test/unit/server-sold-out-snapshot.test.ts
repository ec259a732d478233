import { describe, expect, it } from 'vitest';
import { SoldOutSnapshots, type HoldersLoader } from '../../src/server/sold-out-snapshot.js';

/** A loader whose answers the test releases by hand. */
function manualLoader() {
  const calls: Array<{ templateId: number; resolve: (h: Record<string, string>) => void; reject: (e: Error) => void }> = [];
  const load: HoldersLoader = (templateId) => new Promise((resolve, reject) => calls.push({ templateId, resolve, reject }));
  return { load, calls };
}

const settle = () => new Promise((r) => setImmediate(r));
const HOLDERS = { '11': '1', '12': '2', '13': '3' };

describe('sold-out snapshots', () => {
  it('serves the final holders once loaded, only for the generation and time Redis confirmed', async () => {
    const { load, calls } = manualLoader();
    const s = new SoldOutSnapshots({ load, ttlMs: 1000 });
    s.soldOut(7, 3, 1, 0);
    expect(calls.map((c) => c.templateId)).toEqual([7]);
    expect(s.holders(7, 1, 10)).toBeUndefined(); // still loading: ask Redis
    calls[0]!.resolve(HOLDERS);
    await settle();
    const h = s.holders(7, 1, 10)!;
    expect([...h.entries()]).toEqual([
      [11, 1],
      [12, 2],
      [13, 3],
    ]);
    expect(s.holders(8, 1, 10)).toBeUndefined(); // another template
    expect(s.holders(7, 2, 10)).toBeUndefined(); // the issue connection was re-made
    expect(s.holders(7, 1, 1001)).toBeUndefined(); // not confirmed for too long
  });

  it('a confirming out-of-stock answer renews it without reloading; a different count reloads', async () => {
    const { load, calls } = manualLoader();
    const s = new SoldOutSnapshots({ load, ttlMs: 1000 });
    s.soldOut(7, 3, 1, 0);
    calls[0]!.resolve(HOLDERS);
    await settle();
    s.soldOut(7, 3, 1, 1500);
    expect(calls).toHaveLength(1);
    expect(s.holders(7, 1, 2400)).toBeDefined();
    s.soldOut(7, 4, 1, 2500); // not the state it copied: start over
    expect(calls).toHaveLength(2);
    expect(s.holders(7, 1, 2500)).toBeUndefined();
  });

  it('drop() forgets a template (another answer from Redis, or the template created again)', async () => {
    const { load, calls } = manualLoader();
    const s = new SoldOutSnapshots({ load });
    s.soldOut(7, 3, 1, 0);
    calls[0]!.resolve(HOLDERS);
    await settle();
    s.drop(7);
    expect(s.holders(7, 1, 1)).toBeUndefined();
    expect(s.size).toBe(0);
  });

  it('a load that answers after a drop, fails, or disagrees with the count is never served', async () => {
    const { load, calls } = manualLoader();
    const s = new SoldOutSnapshots({ load });
    s.soldOut(1, 3, 1, 0);
    s.drop(1);
    calls[0]!.resolve(HOLDERS);
    s.soldOut(2, 3, 1, 0);
    calls[1]!.reject(new Error('Redis away'));
    s.soldOut(3, 4, 1, 0); // 4 issued but only 3 holders: not a final state
    calls[2]!.resolve(HOLDERS);
    await settle();
    for (const t of [1, 2, 3]) expect(s.holders(t, 1, 1)).toBeUndefined();
    expect(s.size).toBe(0);
  });

  it('templates with more coupons than maxHolders, or beyond maxTemplates, are not copied', () => {
    const { load, calls } = manualLoader();
    const s = new SoldOutSnapshots({ load, maxHolders: 2, maxTemplates: 1 });
    s.soldOut(1, 3, 1, 0);
    expect(calls).toHaveLength(0);
    s.soldOut(2, 2, 1, 0);
    s.soldOut(3, 2, 1, 0);
    expect(calls.map((c) => c.templateId)).toEqual([2]);
  });
});
