import { describe, expect, it } from 'vitest';
import { ArrivalSchedule } from '../../src/load/executors/arrival-schedule.js';
import { runOpenModel } from '../../src/load/executors/open-model.js';
import { EXTEND_STEP_MS, type ExecContext } from '../../src/load/executors/types.js';
import type { Scenario } from '../../src/model/scenario.js';

const SCENARIO = { name: 't', target: 'http://127.0.0.1:1', users: { type: 'sequential', start: 1 }, templates: [{ id: 1, stock: 1 }] } as unknown as Scenario;

/** An engine that answers every request on the next turn of the event loop, noting intended times. */
function context(extend: () => boolean): { ctx: ExecContext; intended: number[] } {
  const intended: number[] = [];
  const engine = {
    fire(slot: number, _tpl: number, _user: number, at: number, done: (slot: number) => void): void {
      intended.push(at);
      setImmediate(() => done(slot));
    },
  };
  const recorder = { start: () => undefined, vus: () => undefined, drop: () => undefined };
  const ctx = { scenario: SCENARIO, engine, recorder, seed: 1, worker: { index: 0, count: 1 }, stop: { requested: false }, extend } as unknown as ExecContext;
  return { ctx, intended };
}

describe('open model past its planned end', () => {
  it('goes on at the last rate a step at a time while extend says so; planned counts what was scheduled', async () => {
    let asked = 0;
    const { ctx, intended } = context(() => ++asked <= 2);
    // 100/s for 100 ms: 10 planned, then two steps of EXTEND_STEP_MS at 100/s
    const r = await runOpenModel(ctx, { schedule: ArrivalSchedule.constant(100, 100, 1000), preAllocatedVUs: 4, maxVUs: 100, lateToleranceMs: 60_000 });
    expect(asked).toBe(3);
    const total = 10 + (2 * EXTEND_STEP_MS) / 10;
    expect(r.planned).toBe(total);
    expect(intended).toHaveLength(total);
    expect(intended[total - 1]! - r.startedAt).toBeCloseTo(100 + 2 * EXTEND_STEP_MS - 10, 6);
  });
});
