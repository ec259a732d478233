import { parseDuration } from '../duration.js';
import { ArrivalSchedule } from './arrival-schedule.js';
import { runBurst } from './burst.js';
import { runClosedModel } from './closed-model.js';
import { runOpenModel } from './open-model.js';
import type { ExecContext, ExecResult } from './types.js';

const DEFAULT_MAX_DURATION_MS = 10 * 60_000;
const DEFAULT_LATE_TOLERANCE_MS = 50;

/** Run the scenario's executor (k6 names and semantics). */
export function runExecutor(ctx: ExecContext): Promise<ExecResult> {
  const s = ctx.scenario;
  const thinkMs = s.thinkTime !== undefined ? parseDuration(s.thinkTime, 'thinkTime') : 0;
  const timeUnitMs = s.timeUnit !== undefined ? parseDuration(s.timeUnit, 'timeUnit') : 1000;
  const lateToleranceMs = s.lateTolerance !== undefined ? parseDuration(s.lateTolerance, 'lateTolerance') : DEFAULT_LATE_TOLERANCE_MS;
  const warmupPath = s.warmupPath ?? '/healthz';
  switch (s.executor) {
    case 'constant-vus': {
      const vus = s.vus ?? 1;
      return runClosedModel(ctx, { vusMax: vus, targetAt: () => vus, durationMs: parseDuration(s.duration ?? 0), thinkMs });
    }
    case 'ramping-vus': {
      const stages = (s.stages ?? []).map((st) => ({ durationMs: parseDuration(st.duration, 'stages.duration'), target: st.target }));
      const startVUs = s.startVUs ?? 1;
      const vusMax = Math.max(startVUs, ...stages.map((st) => st.target));
      const durationMs = stages.reduce((a, st) => a + st.durationMs, 0);
      const targetAt = (elapsed: number): number => {
        let t = 0;
        let from = startVUs;
        for (const st of stages) {
          if (elapsed < t + st.durationMs) return Math.round(from + ((st.target - from) * (elapsed - t)) / st.durationMs);
          t += st.durationMs;
          from = st.target;
        }
        return from;
      };
      return runClosedModel(ctx, { vusMax: Math.ceil(vusMax), targetAt, durationMs, thinkMs });
    }
    case 'shared-iterations': {
      const vus = s.vus ?? 1;
      const durationMs = s.maxDuration !== undefined ? parseDuration(s.maxDuration, 'maxDuration') : DEFAULT_MAX_DURATION_MS;
      return runClosedModel(ctx, { vusMax: vus, targetAt: () => vus, durationMs, iterations: s.iterations ?? 1, thinkMs });
    }
    case 'constant-arrival-rate': {
      const schedule = ArrivalSchedule.constant(s.rate ?? 1, parseDuration(s.duration ?? 0), timeUnitMs);
      const maxVUs = s.maxVUs ?? s.preAllocatedVUs ?? 100;
      return runOpenModel(ctx, { schedule, preAllocatedVUs: Math.min(s.preAllocatedVUs ?? maxVUs, maxVUs), maxVUs, lateToleranceMs, warmupPath });
    }
    case 'ramping-arrival-rate': {
      const stages = (s.stages ?? []).map((st) => ({ durationMs: parseDuration(st.duration, 'stages.duration'), target: st.target }));
      const schedule = new ArrivalSchedule(s.startRate ?? 0, stages, timeUnitMs);
      const maxVUs = s.maxVUs ?? s.preAllocatedVUs ?? 100;
      return runOpenModel(ctx, { schedule, preAllocatedVUs: Math.min(s.preAllocatedVUs ?? maxVUs, maxVUs), maxVUs, lateToleranceMs, warmupPath });
    }
    case 'burst':
      return runBurst(ctx, s.requests ?? 1, warmupPath);
  }
}
