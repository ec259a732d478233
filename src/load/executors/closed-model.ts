import { IterationSource } from '../iteration-source.js';
import type { Recorder } from '../recorder.js';
import { LoadDeadline } from './load-deadline.js';
import type { ExecContext, ExecResult } from './types.js';

/** VUs sent per macrotask when many wake at once (I/O is read between batches). */
const SEND_BATCH = 8;
/** How close (ms) the next wake must be before the sleep queue polls instead of using a timer. */
const POLL_MS = 1.5;

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
  const sources = vuSources(ctx, o.vusMax);
  const t0 = performance.now();
  ctx.recorder.start(t0);
  return new Promise<ExecResult>((resolve) => driveVus(ctx, o, sources, t0, resolve));
}

/** One iteration source per VU slot. */
function vuSources(ctx: ExecContext, vusMax: number): IterationSource[] {
  // Each generator's VUs take one stripe of the id space, sized by the widest generator's VUs, so
  // shards of unequal size still never hand out the same sequential id.
  const stripe = Math.max(vusMax, ctx.worker.slots ?? 0);
  return Array.from(
    { length: vusMax },
    (_, i) => new IterationSource(ctx.scenario, ctx.seed, ctx.worker.index * stripe + i, ctx.worker.count * stripe),
  );
}

/** The VU slots that run, and the recorder's active-VU gauge that follows them. */
class VuRoster {
  /** how many slots run */
  active = 0;
  /** 1 where a slot's VU runs */
  private readonly running: Uint8Array;
  private readonly recorder: Recorder;

  constructor(vusMax: number, recorder: Recorder) {
    this.running = new Uint8Array(vusMax);
    this.recorder = recorder;
  }

  /** Start every idle slot below `target`: each VU is counted, then sent its first iteration by `loop`. */
  startBelow(target: number, loop: (i: number) => void): void {
    for (let i = 0; i < target; i++) {
      if (this.running[i] === 0) {
        this.running[i] = 1;
        this.active++;
        this.recorder.vus(this.active);
        loop(i);
      }
    }
  }

  /** A VU ends (the run ends, its slot is above the target, or no iterations are left). */
  retire(i: number): void {
    this.running[i] = 0;
    this.active--;
    this.recorder.vus(this.active);
  }
}

/** The run's result once its last VU is retired. */
function closedResult(t0: number, planned: number | undefined, thinkSum: number, thinkCount: number): ExecResult {
  const r: ExecResult = { startedAt: t0, endedAt: performance.now() };
  if (planned !== undefined) r.planned = planned;
  if (thinkCount > 0) r.thinkActualMs = thinkSum / thinkCount;
  return r;
}

/**
 * Run the VUs from `t0` until the duration, the iterations or a stop ends them; `resolve` gets
 * the result once the last one is retired.
 *
 * k6 semantics: each VU sleeps thinkMs from the moment its own answer was recorded. Node's
 * timers tick in whole milliseconds of a cached loop clock, so one setTimeout per VU would wake
 * every VU answered in the same loop turn together, and herds that form never split again
 * (k6's Go timers keep each VU's own phase). So sleepers wait in one queue in wake order (the
 * think time is constant), a timer sleeps until POLL_MS before the next wake, and the last
 * stretch is polled with setImmediate: each VU is sent at its own time (never early), I/O is
 * read between sends, and the generator only polls while a wake is under POLL_MS away.
 */
function driveVus(ctx: ExecContext, o: ClosedModelOptions, sources: IterationSource[], t0: number, resolve: (r: ExecResult) => void): void {
  const { engine, recorder, stop } = ctx;
  const { vusMax, thinkMs } = o;
  const end = new LoadDeadline(ctx, t0, o.durationMs);
  const roster = new VuRoster(vusMax, recorder);
  let remaining = o.iterations ?? Number.POSITIVE_INFINITY;
  let ending = false;
  let thinkSum = 0;
  let thinkCount = 0;
  const timers: { control?: NodeJS.Timeout; deadline?: NodeJS.Timeout } = {};

  const finishIfIdle = (): void => {
    if (roster.active === 0 && (ending || remaining <= 0)) {
      clearInterval(timers.control);
      clearTimeout(timers.deadline);
      recorder.vus(0);
      resolve(closedResult(t0, o.iterations, thinkSum, thinkCount));
    }
  };

  const retire = (i: number): void => {
    roster.retire(i);
    finishIfIdle();
  };

  const loop = (i: number): void => {
    const now = performance.now();
    if (ending || stop.requested || remaining <= 0 || end.passed(now) || i >= o.targetAt(now - t0)) {
      if (stop.requested || end.passed(now)) ending = true;
      retire(i);
      return;
    }
    remaining--;
    const src = sources[i] as IterationSource;
    src.next();
    engine.fire(i, src.templateId, src.userId, now, after, now);
  };

  // The sleep queue (see above): VU slots in wake order, a ring of vusMax.
  const wakeAt = new Float64Array(vusMax);
  const queue = new Int32Array(vusMax);
  let qHead = 0;
  let qLen = 0;
  let timer: NodeJS.Timeout | undefined;
  let polling = false;

  const pump = (): void => {
    timer = undefined;
    polling = false;
    let sent = 0;
    while (qLen > 0 && sent < SEND_BATCH) {
      const i = queue[qHead] as number;
      const now = performance.now();
      if ((wakeAt[i] as number) > now) break;
      qHead = qHead + 1 === vusMax ? 0 : qHead + 1;
      qLen--;
      thinkSum += now - (wakeAt[i] as number) + thinkMs;
      thinkCount++;
      sent++;
      loop(i);
    }
    arm();
  };

  /** Wait for the next wake: a timer while it is far, polling once it is near. */
  const arm = (): void => {
    if (qLen === 0 || timer !== undefined || polling) return;
    const wait = (wakeAt[queue[qHead] as number] as number) - performance.now();
    if (wait > POLL_MS) timer = setTimeout(pump, Math.floor(wait - POLL_MS));
    else {
      polling = true;
      setImmediate(pump);
    }
  };

  const after = (i: number): void => {
    if (thinkMs <= 0 || ending) {
      loop(i);
      return;
    }
    wakeAt[i] = performance.now() + thinkMs;
    let tail = qHead + qLen;
    if (tail >= vusMax) tail -= vusMax;
    queue[tail] = i;
    qLen++;
    arm();
  };

  const startDue = (): void => {
    const elapsed = performance.now() - t0;
    if (stop.requested || end.passed(t0 + elapsed)) {
      endNow();
      return;
    }
    roster.startBelow(Math.min(vusMax, o.targetAt(elapsed)), loop);
  };

  // At the deadline, sleeping VUs are interrupted (like k6); in-flight requests are awaited.
  const endNow = (): void => {
    ending = true;
    clearTimeout(timer);
    timer = undefined;
    // Every sleeping VU is in the queue, once.
    const sleepers = qLen;
    qLen = 0;
    for (let k = 0; k < sleepers; k++) retire(queue[(qHead + k) % vusMax] as number);
    finishIfIdle();
  };

  startDue();
  recorder.vus(roster.active);
  timers.control = setInterval(startDue, 50);
  const deadline = (): void => {
    const now = performance.now();
    if (stop.requested || end.passed(now)) endNow();
    else timers.deadline = setTimeout(deadline, end.msLeft(now));
  };
  timers.deadline = setTimeout(deadline, o.durationMs);
  if (roster.active === 0) finishIfIdle();
}
