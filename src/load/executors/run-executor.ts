import { parseDuration } from '../../shared/duration.js';
import { ArrivalSchedule } from './arrival-schedule.js';
import { runAdversarial } from './adversarial.js';
import { runBurst } from './burst.js';
import { runClosedModel } from './closed-model.js';
import { runOpenModel } from './open-model.js';
import type { ExecContext, ExecResult } from './types.js';

const DEFAULT_MAX_DURATION_MS = 10 * 60_000;
const DEFAULT_LATE_TOLERANCE_MS = 50;

/** Executors of the closed model: VUs that send, wait for the answer, think, and send again. */
export const CLOSED_EXECUTORS: ReadonlySet<string> = new Set(['constant-vus', 'ramping-vus', 'shared-iterations']);

/** Run the scenario's executor (k6 names and semantics). */
export function runExecutor(ctx: ExecContext): Promise<ExecResult> {
  const s = ctx.scenario;
  const thinkMs = s.thinkTime !== undefined ? parseDuration(s.thinkTime, 'thinkTime') : 0;
  const timeUnitMs = s.timeUnit !== undefined ? parseDuration(s.timeUnit, 'timeUnit') : 1000;
  const lateToleranceMs = s.lateTolerance !== undefined ? parseDuration(s.lateTolerance, 'lateTolerance') : DEFAULT_LATE_TOLERANCE_MS;
  const warmupPath = s.warmupPath ?? '/healthz';
  const stages = (): Array<{ durationMs: number; target: number }> =>
    (s.stages ?? []).map((st) => ({ durationMs: parseDuration(st.duration, 'stages.duration'), target: st.target }));
  /** The open model for `schedule`: maxVUs defaults to preAllocatedVUs (else 100), preAllocatedVUs is capped by it. */
  const openModel = (schedule: ArrivalSchedule): Promise<ExecResult> => {
    const maxVUs = s.maxVUs ?? s.preAllocatedVUs ?? 100;
    return runOpenModel(ctx, { schedule, preAllocatedVUs: Math.min(s.preAllocatedVUs ?? maxVUs, maxVUs), maxVUs, lateToleranceMs, warmupPath });
  };
  switch (s.executor) {
    case 'constant-vus': {
      const vus = s.vus ?? 1;
      return runClosedModel(ctx, { vusMax: vus, targetAt: () => vus, durationMs: parseDuration(s.duration ?? 0), thinkMs });
    }
    case 'ramping-vus': {
      const ramp = stages();
      const startVUs = s.startVUs ?? 1;
      const vusMax = Math.max(startVUs, ...ramp.map((st) => st.target));
      const durationMs = ramp.reduce((a, st) => a + st.durationMs, 0);
      const targetAt = (elapsed: number): number => {
        let t = 0;
        let from = startVUs;
        for (const st of ramp) {
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
    case 'constant-arrival-rate':
      return openModel(ArrivalSchedule.constant(s.rate ?? 1, parseDuration(s.duration ?? 0), timeUnitMs));
    case 'ramping-arrival-rate':
      return openModel(new ArrivalSchedule(s.startRate ?? 0, stages(), timeUnitMs));
    case 'burst':
      return runBurst(ctx, s.requests ?? 1, warmupPath);
    case 'adversarial':
      return runAdversarial(ctx, {
        concurrentRepeats: s.adversarial?.concurrentRepeats ?? 2,
        demandFactor: s.adversarial?.demandFactor ?? 2,
        connections: s.adversarial?.connections ?? 256,
        warmupPath,
      });
  }
}
