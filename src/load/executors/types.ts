import type { Engine } from '../engine.js';
import type { Recorder } from '../recorder.js';
import type { Scenario } from '../../model/scenario.js';

/** Everything an executor needs. */
export interface ExecContext {
  scenario: Scenario;
  engine: Engine;
  recorder: Recorder;
  seed: number;
  /** this generator's share of a multi-machine run (user-id streams never overlap) */
  worker: { index: number; count: number; slots?: number };
  /** set `requested` to stop early (SIGINT); executors finish in-flight requests and return */
  stop: { requested: boolean };
  /**
   * Asked when the planned load is over (constant-vus, ramping-vus, shared-iterations, the
   * arrival-rate executors) and again after each {@link EXTEND_STEP_MS}: true keeps it going one
   * more step, with the last VU count or arrival rate (a chaos run waiting for its faults to recover).
   */
  extend?: () => boolean;
}

/** How much longer the load goes on each time {@link ExecContext.extend} says so. */
export const EXTEND_STEP_MS = 100;

/** What an executor returns when its last request is answered. */
export interface ExecResult {
  /** performance.now() ms */
  startedAt: number;
  endedAt: number;
  /** iterations the schedule asked for (open model / shared-iterations), when known */
  planned?: number;
  burst?: { requests: number; sendSpreadUs: number };
  /** connection errors while pre-opening connections (burst) */
  warmupErrors?: string[];
  /** mean measured think time (closed model with think time), ms */
  thinkActualMs?: number;
}
