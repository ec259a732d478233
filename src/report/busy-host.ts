import { STEAL_WARN_PERCENT, type RunReport } from '../model/report.js';

/** Machine-wide CPU busy share (percent of all cores) from which a run's host counts as busy. */
export const BUSY_WARN_PERCENT = 90;
/** Generator event-loop delay p99 (ms) from which its own timing is suspect. */
export const EVENT_LOOP_P99_WARN_MS = 20;

/** The parts of a report the busy-host check reads (older reports may lack any of them). */
export type BusyHostInput = {
  environment?: Partial<Pick<RunReport['environment'], 'cpus' | 'loadavg'>>;
  harness?: Partial<Pick<RunReport['harness'], 'host' | 'eventLoopDelayP99Ms'>>;
};

/**
 * Why the machine a run measured on was too busy for its latencies to be taken at face value:
 * the hypervisor's steal, every core busy, a load average above the core count, or the
 * generator's own event loop late. Warnings, not invalidity: the run still counted what it saw,
 * but what it timed includes the machine's other work. Empty when none applies.
 */
export function busyHostWarnings(report: BusyHostInput): string[] {
  const out: string[] = [];
  const host = report.harness?.host;
  const cpus = report.environment?.cpus;
  if (host && host.stealPercent >= STEAL_WARN_PERCENT) out.push(`the hypervisor took ${host.stealPercent}% of the machine's CPU time (steal)`);
  if (host && host.busyPercent >= BUSY_WARN_PERCENT) out.push(`the machine's CPUs were ${host.busyPercent}% busy`);
  // The load at the end of the run (older reports: at its start), against the core count.
  const load = host?.loadAvg1 ?? report.environment?.loadavg?.[0];
  if (load !== undefined && cpus !== undefined && cpus > 0 && load > cpus) out.push(`load average ${load.toFixed(2)} above the ${cpus} cores`);
  const eld = report.harness?.eventLoopDelayP99Ms;
  if (eld !== undefined && eld > EVENT_LOOP_P99_WARN_MS) out.push(`the generator's event-loop delay p99 was ${eld.toFixed(1)} ms (> ${EVENT_LOOP_P99_WARN_MS} ms)`);
  return out;
}
