import { IterationSource } from '../iteration-source.js';
import type { Engine } from '../engine.js';
import type { Recorder } from '../recorder.js';
import type { ExecContext, ExecResult } from './types.js';

/** Knobs of {@link runAdversarial} (scenario `adversarial`). */
export interface AdversarialOptions {
  /** wave 1: requests each user sends at the same instant, each on its own connection (k >= 2) */
  concurrentRepeats: number;
  /** wave 3: fresh users' requests, as a multiple of the stock */
  demandFactor: number;
  /** most connections open at once */
  connections: number;
  warmupPath: string;
}

/** One planned request: template and user. */
interface Send {
  templateId: number;
  userId: number;
}

/**
 * The waves for one template of stock `stock`, sized so each flaw shows with certainty, not by luck:
 *
 * 1. `n1` users each send `k` requests at the same instant on `k` connections while at most half
 *    the stock can go (n1·k ≤ stock/2, or one user when the stock is under 2k): a service without
 *    a duplicate check issues k coupons to each of them, since stock remains for every request.
 * 2. The same users once more, after their answers: a repeat after success.
 * 3. Demand well beyond what is left (`demandFactor`·stock fresh users, at least stock + 2), with
 *    the wave-1 users again among the first, released at once on every connection and kept in
 *    flight until all is sent: a check-then-act stock test lets more through than the stock.
 *
 * A stock under 2 cannot be issued twice to one user (wave 1 is skipped: the audit says so).
 */
export function planWaves(templateId: number, stock: number, o: Pick<AdversarialOptions, 'concurrentRepeats' | 'demandFactor' | 'connections'>, nextUser: () => number): Send[][] {
  const k = o.concurrentRepeats;
  const n1 = stock >= 2 ? Math.max(1, Math.min(Math.floor(stock / (2 * k)), Math.floor(o.connections / k))) : 0;
  const firstUsers = Array.from({ length: n1 }, nextUser);
  const wave1: Send[] = firstUsers.flatMap((userId) => Array.from({ length: k }, () => ({ templateId, userId })));
  const wave2: Send[] = firstUsers.map((userId) => ({ templateId, userId }));
  const fresh = Math.max(Math.ceil(o.demandFactor * stock), stock + 2);
  // The repeats go among the first of the burst, so they meet the sell-out, not the sold-out state.
  const wave3 = interleave(wave2, Array.from({ length: fresh }, () => ({ templateId, userId: nextUser() })));
  return [wave1, wave2, wave3].filter((w) => w.length > 0);
}

/** a0 b0 a1 b1 ... then the rest of the longer one. */
function interleave<T>(a: T[], b: T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (i < a.length) out.push(a[i] as T);
    if (i < b.length) out.push(b[i] as T);
  }
  return out;
}

/**
 * Send one wave: the first `connections` requests at the same instant (one synchronous loop), then
 * each answer frees its connection for the next request, until the wave is sent and answered.
 */
function sendWave(engine: Engine, recorder: Recorder, wave: Send[], connections: number, stop: { requested: boolean }): Promise<number> {
  return new Promise((resolve) => {
    let next = 0;
    let pending = 0;
    const slots = Math.min(connections, wave.length);
    const fire = (slot: number): void => {
      if (next >= wave.length || stop.requested) return;
      const s = wave[next++] as Send;
      pending++;
      engine.fire(slot, s.templateId, s.userId, performance.now(), done);
    };
    const done = (slot: number): void => {
      pending--;
      fire(slot);
      if (pending === 0) {
        recorder.vus(0);
        resolve(next);
      }
    };
    recorder.vus(slots);
    for (let slot = 0; slot < slots; slot++) fire(slot);
    if (pending === 0) resolve(next);
  });
}

/**
 * The `adversarial` executor: for each template in turn, the waves of {@link planWaves}. Every
 * invariant gets what it needs to fail on a flawed service: users asking again while stock remains
 * (concurrently and after success), acknowledged coupons, and demand beyond the stock at the sell-out.
 */
export async function runAdversarial(ctx: ExecContext, o: AdversarialOptions): Promise<ExecResult> {
  const { engine, recorder, stop } = ctx;
  const src = new IterationSource(ctx.scenario, ctx.seed, ctx.worker.index, ctx.worker.count);
  const nextUser = (): number => {
    src.next();
    return src.userId;
  };
  const plans = ctx.scenario.templates.map((t) => planWaves(t.id, t.stock, o, nextUser));
  const widest = Math.max(1, ...plans.flat().map((w) => Math.min(w.length, o.connections)));
  const warm = await engine.warmup(widest, o.warmupPath);
  const planned = plans.flat(2).length;
  const t0 = performance.now();
  recorder.start(t0);
  for (const waves of plans) {
    for (const wave of waves) {
      if (stop.requested) break;
      // Wave 1 must leave at once: one connection per request, all of them pre-opened.
      await sendWave(engine, recorder, wave, o.connections, stop);
    }
  }
  return { startedAt: t0, endedAt: performance.now(), planned, warmupErrors: warm.errors };
}
