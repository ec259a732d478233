import { IterationSource } from '../iteration-source.js';
import type { ExecContext, ExecResult } from './types.js';

/** VUs sent per macrotask when many wake at once (I/O is read between batches). */
const SEND_BATCH = 8;

/** Parameters of {@link runClosedModel}. */
export interface ClosedModelOptions {
  /** VU slots (the most that can be active at once) */
  vusMax: number;
  /** how many VUs should be active `elapsed` ms into the run */
  targetAt: (elapsedMs: number) => number;
  /** the run stops starting iterations after this many ms */
  durationMs: number;
  /** shared-iterations: total iterations across all VUs */
  iterations?: number;
  /** sleep after each iteration (k6's sleep()), ms */
  thinkMs: number;
}

/**
 * The closed model behind constant-vus, ramping-vus and shared-iterations: each VU sends one
 * request, waits for the answer, sleeps its think time, repeats. Latency is measured from the
 * actual send (there is no intended schedule to fall behind).
 */
export function runClosedModel(ctx: ExecContext, o: ClosedModelOptions): Promise<ExecResult> {
  const { engine, recorder, stop } = ctx;
  const { vusMax, thinkMs, durationMs } = o;
  const sources = Array.from(
    { length: vusMax },
    (_, i) => new IterationSource(ctx.scenario, ctx.seed, ctx.worker.index * vusMax + i, ctx.worker.count * vusMax),
  );
  const running = new Uint8Array(vusMax);
  const sleepers = new Array<NodeJS.Timeout | undefined>(vusMax);
  let active = 0;
  let remaining = o.iterations ?? Number.POSITIVE_INFINITY;
  let ending = false;
  let thinkSum = 0;
  let thinkCount = 0;
  let bias = 0;
  const t0 = performance.now();
  recorder.start(t0);

  return new Promise<ExecResult>((resolve) => {
    const timers: { control?: NodeJS.Timeout; deadline?: NodeJS.Timeout } = {};

    const finishIfIdle = (): void => {
      if (active === 0 && (ending || remaining <= 0)) {
        clearInterval(timers.control);
        clearTimeout(timers.deadline);
        recorder.vus(0);
        const r: ExecResult = { startedAt: t0, endedAt: performance.now() };
        if (o.iterations !== undefined) r.planned = o.iterations;
        if (thinkCount > 0) r.thinkActualMs = thinkSum / thinkCount;
        resolve(r);
      }
    };

    const retire = (i: number): void => {
      running[i] = 0;
      active--;
      recorder.vus(active);
      finishIfIdle();
    };

    const loop = (i: number): void => {
      sleepers[i] = undefined;
      const now = performance.now();
      if (ending || stop.requested || remaining <= 0 || now - t0 >= durationMs || i >= o.targetAt(now - t0)) {
        if (stop.requested || now - t0 >= durationMs) ending = true;
        retire(i);
        return;
      }
      remaining--;
      const src = sources[i] as IterationSource;
      src.next();
      engine.fire(i, src.templateId, src.userId, now, after, now);
    };

    // VUs whose sleep ended wait here and are sent SEND_BATCH at a time, with I/O polled in
    // between: when a whole cohort wakes in one timer tick (k6's VUs wake on many cores at once),
    // sending all of it before reading any answer would stamp the first answers late.
    const sleptFrom = new Float64Array(vusMax);
    const ready: number[] = [];
    let readyHead = 0;
    let draining = false;

    const drain = (): void => {
      const end = Math.min(ready.length, readyHead + SEND_BATCH);
      while (readyHead < end) {
        const i = ready[readyHead++] as number;
        const slept = performance.now() - (sleptFrom[i] as number);
        thinkSum += slept;
        thinkCount++;
        // Timers fire early or late (anchored to the cached whole-ms loop clock, poll rounding) and
        // the wait in `ready` adds to that; a small integral correction keeps the mean sleep at thinkMs.
        bias = Math.min(thinkMs / 2, Math.max(-thinkMs / 2, bias + (0.2 / vusMax) * (slept - thinkMs)));
        loop(i);
      }
      if (readyHead < ready.length) setImmediate(drain);
      else {
        ready.length = 0;
        readyHead = 0;
        draining = false;
      }
    };

    const wake = (i: number): void => {
      sleepers[i] = undefined;
      ready.push(i);
      if (!draining) {
        draining = true;
        setImmediate(drain);
      }
    };

    // k6 semantics: the think time starts when the answer has been recorded (sleep after the request).
    const after = (i: number): void => {
      if (thinkMs <= 0 || ending) {
        loop(i);
        return;
      }
      sleptFrom[i] = performance.now();
      sleepers[i] = setTimeout(wake, Math.max(1, thinkMs - bias), i);
    };

    const startDue = (): void => {
      const elapsed = performance.now() - t0;
      if (elapsed >= durationMs || stop.requested) {
        endNow();
        return;
      }
      const target = Math.min(vusMax, o.targetAt(elapsed));
      for (let i = 0; i < target; i++) {
        if (running[i] === 0) {
          running[i] = 1;
          active++;
          recorder.vus(active);
          loop(i);
        }
      }
    };

    // At the deadline, sleeping VUs are interrupted (like k6); in-flight requests are awaited.
    const endNow = (): void => {
      ending = true;
      for (let i = 0; i < vusMax; i++) {
        const t = sleepers[i];
        if (t !== undefined) {
          clearTimeout(t);
          sleepers[i] = undefined;
          retire(i);
        }
      }
      finishIfIdle();
    };

    startDue();
    recorder.vus(active);
    timers.control = setInterval(startDue, 50);
    timers.deadline = setTimeout(endNow, durationMs);
    if (active === 0) finishIfIdle();
  });
}
