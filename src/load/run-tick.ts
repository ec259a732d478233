import { OUTCOME_INDEX } from '../model/outcome.js';
import type { PersistStatus } from '../model/persist-status.js';
import type { Recorder } from './recorder.js';

/** Live figures once a second. */
export interface RunTick {
  elapsedMs: number;
  /** planned duration when known */
  plannedMs?: number;
  total: number;
  /** responses in the last full second; undefined until the run's first second has closed */
  rate?: number;
  /** corrected p95 of the last full second, ms; undefined until the run's first second has closed */
  p95?: number;
  issued: number;
  /** unknown + rejected so far */
  errors: number;
  dropped: number;
  inFlight: number;
  /** active VUs (closed-model executors and burst) */
  vus?: number;
  /** issued / persisted / lag from the bundled server, when it is polled */
  persisted?: PersistStatus;
}

/**
 * The live figures at `now` (closing the recorder's finished seconds first). The per-second rate
 * and p95 come from the last closed second, so they stay unknown until the first one has closed:
 * the first tick can come before it (the ticker starts before the executor's clock), and must not
 * read as "0/s" while answers are already counted.
 */
export function runTick(recorder: Recorder, now: number, more: { inFlight: number; plannedMs?: number; persisted?: PersistStatus }): RunTick {
  recorder.roll(now);
  const c = recorder.counts;
  const tick: RunTick = {
    elapsedMs: now - recorder.t0,
    total: recorder.total,
    issued: c[OUTCOME_INDEX.issued] ?? 0,
    errors: (c[OUTCOME_INDEX.rejected] ?? 0) + (c[OUTCOME_INDEX.unknown] ?? 0),
    dropped: recorder.dropped,
    inFlight: more.inFlight,
  };
  const last = recorder.lastSecond;
  if (last) {
    tick.rate = Object.values(last.counts).reduce((a, b) => a + b, 0);
    tick.p95 = last.p95;
  }
  if (recorder.vusNow !== undefined) tick.vus = recorder.vusNow;
  if (more.plannedMs !== undefined) tick.plannedMs = more.plannedMs;
  if (more.persisted) tick.persisted = more.persisted;
  return tick;
}
