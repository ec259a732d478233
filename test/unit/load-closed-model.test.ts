import { describe, expect, it } from 'vitest';
import { runClosedModel } from '../../src/load/executors/closed-model.js';
import { EXTEND_STEP_MS, type ExecContext } from '../../src/load/executors/types.js';
import type { Scenario } from '../../src/model/scenario.js';

const SCENARIO = { name: 't', target: 'http://127.0.0.1:1', users: { type: 'sequential', start: 1 }, templates: [{ id: 1, stock: 1 }] } as unknown as Scenario;

/**
 * A stand-in engine with a serial "server": it answers requests in arrival order, one every
 * `spacingMs` at most (the way a real server drains a herd), polling with setImmediate so the
 * event loop stays free. It records every send and answer time per VU.
 */
function serialEngine(spacingMs: number) {
  const sends: Array<{ vu: number; at: number }> = [];
  const answers: Array<{ vu: number; at: number }> = [];
  const queue: Array<{ vu: number; done: (vu: number) => void }> = [];
  let last = -Infinity;
  let polling = false;
  const serve = (): void => {
    polling = false;
    while (queue.length > 0) {
      const now = performance.now();
      if (now < last + spacingMs) break;
      const { vu, done } = queue.shift()!;
      last = now;
      answers.push({ vu, at: now });
      done(vu);
    }
    if (queue.length > 0 && !polling) {
      polling = true;
      setImmediate(serve);
    }
  };
  const engine = {
    fire(vu: number, _tpl: number, _user: number, _intended: number, done: (vu: number) => void): void {
      sends.push({ vu, at: performance.now() });
      queue.push({ vu, done });
      if (!polling) {
        polling = true;
        setImmediate(serve);
      }
    },
  };
  return { engine, sends, answers };
}

function context(engine: unknown): ExecContext {
  const recorder = { start: () => undefined, vus: () => undefined };
  return { scenario: SCENARIO, engine, recorder, seed: 1, worker: { index: 0, count: 1 }, stop: { requested: false } } as unknown as ExecContext;
}

describe('closed model think time (k6 sleep after each answer)', () => {
  // Timing (how evenly a herd answered one by one is sent back) is measured by
  // bench/closed-model-spacing.js against a baseline of the same run; here only what holds on any
  // machine, however busy: counts, order, and never early.
  it('every VU sleeps from its own answer: never early, and VUs go out again in the order they were answered', async () => {
    const vus = 20;
    const thinkMs = 30;
    const cycles = 6;
    const { engine, sends, answers } = serialEngine(0.25);
    const r = await runClosedModel(context(engine), { vusMax: vus, targetAt: () => vus, durationMs: 600_000, iterations: vus * cycles, thinkMs });

    expect(sends.length).toBe(vus * cycles);
    expect(answers.length).toBe(vus * cycles);
    // Never early: each VU's next send comes at least thinkMs after its previous answer.
    const lastAnswer = new Map<number, number>();
    const events = [...sends.map((s) => ({ ...s, kind: 'send' })), ...answers.map((a) => ({ ...a, kind: 'answer' }))].sort((a, b) => a.at - b.at);
    let checked = 0;
    for (const e of events) {
      if (e.kind === 'answer') lastAnswer.set(e.vu, e.at);
      else if (lastAnswer.has(e.vu)) {
        expect(e.at - lastAnswer.get(e.vu)!).toBeGreaterThanOrEqual(thinkMs - 0.001);
        checked++;
      }
    }
    expect(checked).toBe(vus * (cycles - 1));
    expect(r.thinkActualMs).toBeGreaterThanOrEqual(thinkMs);
    // Each VU sleeps its own think time from its own answer, so after the first herd the sends
    // follow the answers one for one, in the same order.
    expect(sends.slice(vus).map((s) => s.vu)).toEqual(answers.slice(0, sends.length - vus).map((a) => a.vu));
  });

  it('without think time the next iteration goes out at once', async () => {
    const { engine, sends } = serialEngine(0);
    await runClosedModel(context(engine), { vusMax: 2, targetAt: () => 2, durationMs: 1_000, iterations: 50, thinkMs: 0 });
    expect(sends.length).toBe(50);
  });
});

describe('closed model past its planned end', () => {
  it('goes on a step at a time while extend says so, then ends', async () => {
    const { engine, sends } = serialEngine(0);
    let asked = 0;
    const ctx = { ...context(engine), extend: () => ++asked <= 3 };
    const t0 = performance.now();
    const r = await runClosedModel(ctx, { vusMax: 2, targetAt: () => 2, durationMs: 50, thinkMs: 5 });
    // asked at the planned end and after each step until it said no
    expect(asked).toBe(4);
    expect(sends.some((s) => s.at - t0 >= 50 + EXTEND_STEP_MS)).toBe(true);
    expect(r.endedAt - r.startedAt).toBeGreaterThanOrEqual(50 + 3 * EXTEND_STEP_MS);
  });

  it('a stop request ends it whatever extend says', async () => {
    const { engine } = serialEngine(0);
    let asked = 0;
    const ctx = context(engine);
    const extend = (): boolean => {
      asked++;
      ctx.stop.requested = asked >= 2;
      return true;
    };
    await runClosedModel({ ...ctx, extend }, { vusMax: 2, targetAt: () => 2, durationMs: 20, thinkMs: 5 });
    expect(asked).toBe(2);
  });
});
