/** The faults a run can inject into the processes and proxies it started (contract names). */
export const FAULT_KINDS = ['kill-serve', 'kill-persister', 'pause-redis', 'restart-redis', 'db-outage', 'slow-db'] as const;
/** One of {@link FAULT_KINDS}. */
export type FaultKind = (typeof FAULT_KINDS)[number];
/**
 * The faults on a service the run did not write (`--target`): its process when the run started it
 * (`--target-cmd`), a proxy the run owns in front of a dependency (`--proxy`), a user's hook
 * (`--fault-hook`). The last four name what they act on: `cut:db@2s+2s`, `hook:failover@3s`.
 */
export const TARGET_FAULT_KINDS = ['kill-target', 'pause-target', 'restart-target', 'hook', 'cut', 'slow', 'drop'] as const;
/** One of {@link TARGET_FAULT_KINDS}. */
export type TargetFaultKind = (typeof TARGET_FAULT_KINDS)[number];
/** Any fault a band can record. */
export type AnyFaultKind = FaultKind | TargetFaultKind;

/** What a `hook:NAME` fault's command did. */
export interface HookOutcome {
  name: string;
  /** its exit code; null when it was killed (time limit) */
  exitCode: number | null;
  timedOut: boolean;
  /** the end of what it printed (stdout and stderr together) */
  output: string;
}

/** One fault on the run's timeline, as report.json records it (times in ms since the load started). */
export interface FaultBand {
  fault: AnyFaultKind;
  /** the proxy or hook a target fault acted on (`db` of `cut:db@2s+2s`) */
  name?: string;
  /** the schedule entry as written, e.g. `pause-redis@2s+1s` */
  spec: string;
  startMs: number;
  /** when the fault was lifted (a killed process: when its replacement was started) */
  endMs: number;
  /** requests that ended after the fault began and were sent before it was lifted */
  requests: number;
  unknown: number;
  /** of those, no answer at all or a 5xx */
  errors: number;
  /** unknown / requests (every no-answer and 5xx is unknown) */
  errorRate: number;
  /** p99 of their corrected latency */
  p99Ms: number;
  /** from the fault's end to the answer of the first later request that issuance answered; absent if none came */
  recoveryMs?: number;
  /** what the fault did, e.g. "serve pid 123 killed, pid 130 started" */
  detail?: string;
  /** what the fault destroyed, seen by the run (e.g. Redis came back with fewer coupons): verify fails no-lost-ack */
  dataLost?: string;
  /** a `hook:NAME` fault: its command's exit code and output */
  hook?: HookOutcome;
}

/** A fault entry of a scenario file (`faults: [...]`). */
export interface ScenarioFault {
  fault: string;
  at: string | number;
  for?: string | number;
  latency?: string | number;
}
