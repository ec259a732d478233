import { noIssuanceReason } from '../model/issuance-checked.js';
import type { FaultBand } from '../model/fault.js';
import type { Outcome } from '../model/outcome.js';
import type { RunReport } from '../model/report.js';
import type { Scenario } from '../model/scenario.js';
import type { HostCpuShare } from '../load/host-cpu.js';
import type { FaultSpec } from '../faults/fault-spec.js';
import { faultLabel } from '../faults/fault-runner.js';
import { describeUnmatched } from '../dialect/run-dialect.js';

const DEFAULT_MAX_DROPPED_RATIO = 0.05;
/** With faults, iterations due while the system is down are dropped by design: allow more (the scenario can set its own). */
const FAULT_MAX_DROPPED_RATIO = 0.25;
const DEFAULT_MAX_EVENT_LOOP_DELAY_MS = 100;

/** What the run saw of itself, to judge whether its measurement can be trusted. */
export interface HarnessFacts {
  origin: string;
  /** the connect error when the target could not be reached */
  unreachable: string | undefined;
  interrupted: RunReport['interrupted'];
  durationMs: number;
  plannedMs: number | undefined;
  harness: Scenario['harness'];
  faults: readonly FaultSpec[];
  /** the fault bands recorded (with a fault schedule) */
  bands: readonly FaultBand[] | undefined;
  /** why pre-opening a burst's connections failed, when it did */
  warmupReason: string | undefined;
  answered: number;
  outcomes: Readonly<Record<Outcome, number>>;
  dropped: number;
  plannedIterations: number | undefined;
  /** mean event-loop delay beyond the sampling interval, ms */
  eventLoopDelayMeanMs: number;
  host: HostCpuShare | undefined;
  /** a dialect's answers that no rule matched (shown with a run that checked nothing) */
  unmatched: RunReport['unmatched'];
}

/** The harness reason of an interrupted run: which signal, and how much of the load ran. */
export function interruptedReason(i: NonNullable<RunReport['interrupted']>, durationMs: number, plannedMs: number | undefined): string {
  if (i.during === 'setup') return `interrupted by ${i.signal} before the load started: nothing was checked`;
  const of = plannedMs !== undefined ? ` of ${(plannedMs / 1000).toFixed(1)} s planned` : '';
  return `interrupted by ${i.signal} after ${(durationMs / 1000).toFixed(1)} s${of}: the run is incomplete`;
}

/** Harness validity: why this measurement cannot be trusted at all (empty when it can). */
export function harnessReasons(f: HarnessFacts): string[] {
  const reasons: string[] = [];
  if (f.interrupted) reasons.push(interruptedReason(f.interrupted, f.durationMs, f.plannedMs));
  if (f.unreachable) reasons.push(`target unreachable: ${f.origin} (${f.unreachable})`);
  if (f.bands) {
    // A fault scheduled but never injected (the load ended first) was not tested: not a pass.
    const injected = new Set(f.bands.map((b) => b.spec));
    for (const spec of f.faults) {
      if (!injected.has(faultLabel(spec)) && !f.interrupted) reasons.push(`fault ${faultLabel(spec)} was not injected: the load ended after ${(f.durationMs / 1000).toFixed(1)} s`);
    }
  }
  if (f.warmupReason !== undefined) reasons.push(f.warmupReason);
  if (f.answered === 0 && !f.unreachable && f.interrupted?.during !== 'setup') reasons.push('zero requests checked: no request got an HTTP answer');
  else if (!f.unreachable && f.interrupted?.during !== 'setup' && f.answered > 0) {
    // Answers, but none from issuance (every one a 404 for a template never created, say): nothing was checked either.
    const none = noIssuanceReason(f.outcomes);
    if (none) reasons.push(f.unmatched && f.unmatched.count > 0 ? `${none}; ${describeUnmatched(f.unmatched)}` : none);
  }
  const maxDropped = f.harness?.maxDroppedRatio ?? (f.faults.length > 0 ? FAULT_MAX_DROPPED_RATIO : DEFAULT_MAX_DROPPED_RATIO);
  if (f.plannedIterations && f.dropped / f.plannedIterations > maxDropped) {
    reasons.push(`too many dropped iterations: ${f.dropped} of ${f.plannedIterations} (> ${(maxDropped * 100).toFixed(1)}%)`);
  }
  // Saturation: the generator's own loop was consistently late (a mean, so one GC pause or a
  // burst's deliberate synchronous release does not count).
  const maxEld = f.harness?.maxEventLoopDelayMs ?? DEFAULT_MAX_EVENT_LOOP_DELAY_MS;
  if (f.eventLoopDelayMeanMs > maxEld) reasons.push(`generator saturated: mean event-loop delay ${f.eventLoopDelayMeanMs.toFixed(1)} ms > ${maxEld} ms`);
  // A shared VM: the hypervisor ran other guests while this one wanted the CPU. Reported always;
  // invalid only when the scenario sets a limit.
  const maxSteal = f.harness?.maxStealPercent;
  if (f.host && maxSteal !== undefined && f.host.stealPercent > maxSteal) {
    reasons.push(`noisy host: the hypervisor took ${f.host.stealPercent}% of the machine's CPU time (steal) > ${maxSteal}%`);
  }
  return reasons;
}
