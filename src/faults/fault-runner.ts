import type { FaultBands } from './fault-bands.js';
import type { FaultOutcome } from './chaos-faults.js';
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
 * How long a fault waits for the band before it to recover, and how long past its planned end the
 * load goes on while a fault has yet to begin or to recover ({@link holdsLoad}); then "never".
 */
export const RECOVERY_WAIT_MS = 30_000;

/** How many faults of the schedule have yet to be injected (runFaults counts them down). */
export interface FaultProgress {
  left: number;
}

/**
 * The executors' `extend`: keep the load going past its planned end while a fault has yet to be
 * injected or a band has not seen its recovery, for at most {@link RECOVERY_WAIT_MS}.
 */
export function holdsLoad(bands: FaultBands, progress: FaultProgress, now: () => number = () => performance.now(), waitMs = RECOVERY_WAIT_MS): () => boolean {
  let until: number | undefined;
  return () => {
    const t = now();
    until ??= t + waitMs;
    return t < until && (progress.left > 0 || !bands.allRecovered());
  };
}

/**
 * Inject `specs` into the stand at their times after `start()` (performance.now() ms: the load's
 * clock, read each time as it is set once the executor starts), one after another, and record each
 * as a band. A fault also waits for the band before it to recover (an answer from issuance), for
 * at most {@link RECOVERY_WAIT_MS} after that fault was lifted: its band then begins later than
 * scheduled, when it really began. Faults not yet begun when `over()` turns true are skipped (a
 * fault already begun is always lifted: a paused Redis is continued, a cut proxy restored).
 */
export async function runFaults(
  specs: readonly FaultSpec[],
  stand: FaultStand,
  bands: FaultBands,
  opts: { start: () => number; over: () => boolean; emit?: (e: FaultEvent) => void; progress?: FaultProgress; recoveryWaitMs?: number },
): Promise<void> {
  const recoveryWaitMs = opts.recoveryWaitMs ?? RECOVERY_WAIT_MS;
  const ordered = [...specs].sort((a, b) => a.atMs - b.atMs);
  let prev: { band: number; endedAt: number } | undefined;
  for (const f of ordered) {
    while (!opts.over()) {
      const now = performance.now();
      const wait = opts.start() + f.atMs - now;
      const recovering = prev !== undefined && !bands.recovered(prev.band) && now < prev.endedAt + recoveryWaitMs;
      if (wait <= 0 && !recovering) break;
      await sleep(wait > 0 ? Math.min(wait, 50) : 10);
    }
    if (opts.over()) return;
    const label = faultLabel(f);
    const begunAt = performance.now();
    const i = bands.begin(f.kind, label, begunAt, f.name);
    opts.emit?.({ type: 'fault', phase: 'begin', label, atMs: begunAt - opts.start() });
    const out = await stand.inject(f, sleep);
    bands.end(i, out.endedAt, out);
    prev = { band: i, endedAt: out.endedAt };
    if (opts.progress) opts.progress.left--;
    opts.emit?.({ type: 'fault', phase: 'end', label, atMs: out.endedAt - opts.start(), detail: out.detail, ...(out.dataLost ? { dataLost: out.dataLost } : {}) });
  }
}
