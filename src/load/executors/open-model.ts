import { IterationSource } from '../iteration-source.js';
import type { ArrivalSchedule } from './arrival-schedule.js';
import { EXTEND_STEP_MS, type ExecContext, type ExecResult } from './types.js';

/** Parameters of {@link runOpenModel}. */
export interface OpenModelOptions {
  schedule: ArrivalSchedule;
  preAllocatedVUs: number;
  maxVUs: number;
  /** a send later than this after its intended time is dropped instead (ms) */
  lateToleranceMs: number;
  /** GET path used to pre-open the pre-allocated connections; undefined skips it */
  warmupPath?: string;
}

/**
 * The open model behind constant-arrival-rate and ramping-arrival-rate: iterations start at their
 * intended times whatever the answers do. Latency is measured from the intended time, so a slow
 * server cannot hide by slowing the generator (coordinated omission). An iteration with no free VU
 * or that could only be sent too late is counted as a dropped iteration, like k6.
 */
export async function runOpenModel(ctx: ExecContext, o: OpenModelOptions): Promise<ExecResult> {
  const { engine, recorder, stop, scenario } = ctx;
  const { schedule, maxVUs, lateToleranceMs } = o;
  const src = new IterationSource(scenario, ctx.seed, ctx.worker.index, ctx.worker.count);
  // Pre-open the pre-allocated VUs' connections (one GET each) before the clock starts, so the
  // first second measures the target, not TCP handshakes piling up into a spiral of new VUs.
  if (o.warmupPath !== undefined) await engine.warmup(o.preAllocatedVUs, o.warmupPath);
  const free: number[] = [];
  for (let i = o.preAllocatedVUs - 1; i >= 0; i--) free.push(i);
  let nextSlot = o.preAllocatedVUs;
  let busy = 0;
  let k = 0;
  let scheduling = true;
  const t0 = performance.now();
  recorder.start(t0);
  recorder.vus(0);

  return new Promise<ExecResult>((resolve) => {
    const finishIfIdle = (): void => {
      if (!scheduling && busy === 0) resolve({ startedAt: t0, endedAt: performance.now(), planned: schedule.total });
    };
    // Timers only fire on whole milliseconds, so sends due between two ticks would go out up to
    // ~1 ms late (and count in corrected latency). Every answer also checks the schedule: at high
    // rates answers arrive far more often than timer ticks, at no cost but a clock read.
    let nextDue = t0;
    let armed = false;
    const release = (slot: number): void => {
      free.push(slot);
      busy--;
      if (!scheduling) {
        finishIfIdle();
        return;
      }
      const now = performance.now();
      if (now >= nextDue) pump(now);
    };
    const onTimer = (): void => {
      armed = false;
      pump();
    };
    /** Send every iteration due by `now` (a fresh clock read unless the caller just took one). */
    const pump = (now = performance.now()): void => {
      // Past the planned end, the load goes on a step at a time while ctx.extend says so.
      while ((k < schedule.total || (!stop.requested && ctx.extend?.() === true && schedule.extend(EXTEND_STEP_MS))) && !stop.requested) {
        const intended = t0 + schedule.timeOf(k);
        if (intended > now) break;
        k++;
        if (now - intended > lateToleranceMs) {
          // Every iteration as late as this one is dropped too: counted at once, so a rate far
          // beyond the machine never spins here (and signals still get through).
          const j = Math.max(k, schedule.dueBy(now - t0 - lateToleranceMs));
          recorder.drop(now, 1 + j - k);
          k = j;
          continue;
        }
        let slot = free.pop();
        if (slot === undefined) {
          if (nextSlot >= maxVUs) {
            // No VU frees up before this loop ends: every iteration due by now is dropped with it.
            const j = Math.max(k, schedule.dueBy(now - t0));
            recorder.drop(now, 1 + j - k);
            k = j;
            continue;
          }
          slot = nextSlot++;
        }
        busy++;
        recorder.vus(busy);
        src.next();
        engine.fire(slot, src.templateId, src.userId, intended, release);
      }
      if (k >= schedule.total || stop.requested) {
        scheduling = false;
        finishIfIdle();
        return;
      }
      nextDue = t0 + schedule.timeOf(k);
      if (!armed) {
        // nextDue only moves forward, so an armed timer is never too late; it re-arms when it fires.
        armed = true;
        const wait = nextDue - performance.now();
        setTimeout(onTimer, wait > 1 ? Math.floor(wait) : 0);
      }
    };
    pump();
  });
}
