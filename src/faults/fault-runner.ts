import type { FaultBands } from './fault-bands.js';
import type { FaultOutcome } from './chaos-stand.js';
import type { FaultSpec } from './fault-spec.js';

/** A fault the runner is about to inject or has lifted (progress lines). */
export type FaultEvent = { type: 'fault'; phase: 'begin' | 'end'; label: string; atMs: number; detail?: string; dataLost?: string };

/** `pause-redis@2s+1.5s`, `slow-db@1s+3s:200ms`: a schedule entry in the --fault syntax. */
export function faultLabel(f: FaultSpec): string {
  const t = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
  return `${f.kind}${f.name !== undefined ? `:${f.name}` : ''}@${t(f.atMs)}${f.durationMs !== undefined ? `+${t(f.durationMs)}` : ''}${f.latencyMs !== undefined ? `:${t(f.latencyMs)}` : ''}`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What a fault runner injects into: the bundled chaos stand, or a target the run owns. */
export interface FaultStand {
  inject(f: FaultSpec, sleep: (ms: number) => Promise<void>): Promise<FaultOutcome>;
}

/**
 * Inject `specs` into the stand at their times after `start()` (performance.now() ms: the load's
 * clock, read each time as it is set once the executor starts), one after
 * another, and record each as a band. Faults not yet begun when `over()` turns true are skipped
 * (a fault already begun is always lifted: a paused Redis is continued, a cut proxy restored).
 */
export async function runFaults(
  specs: readonly FaultSpec[],
  stand: FaultStand,
  bands: FaultBands,
  opts: { start: () => number; over: () => boolean; emit?: (e: FaultEvent) => void },
): Promise<void> {
  const ordered = [...specs].sort((a, b) => a.atMs - b.atMs);
  for (const f of ordered) {
    while (!opts.over()) {
      const wait = opts.start() + f.atMs - performance.now();
      if (wait <= 0) break;
      await sleep(Math.min(wait, 50));
    }
    if (opts.over()) return;
    const label = faultLabel(f);
    const begunAt = performance.now();
    const i = bands.begin(f.kind, label, begunAt, f.name);
    opts.emit?.({ type: 'fault', phase: 'begin', label, atMs: begunAt - opts.start() });
    const out = await stand.inject(f, sleep);
    bands.end(i, out.endedAt, out);
    opts.emit?.({ type: 'fault', phase: 'end', label, atMs: out.endedAt - opts.start(), detail: out.detail, ...(out.dataLost ? { dataLost: out.dataLost } : {}) });
  }
}
