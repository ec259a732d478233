import { UsageError } from '../errors.js';
import { FAULT_KINDS, type FaultKind, type ScenarioFault } from '../model/fault.js';
import { parseDuration } from '../shared/duration.js';

/** One scheduled fault: what, when (ms after the load starts), for how long, how slow. */
export interface FaultSpec {
  kind: FaultKind;
  atMs: number;
  durationMs?: number;
  latencyMs?: number;
}

export type { ScenarioFault } from '../model/fault.js';

/** Faults that are one act (a kill): no duration. The rest last a while and need one. */
const INSTANT: ReadonlySet<FaultKind> = new Set(['kill-serve', 'kill-persister', 'restart-redis']);
/** How long a lasting fault may be held (a paused Redis or a cut database beyond this is a hang, not a test). */
const MAX_DURATION_MS = 120_000;

function kindOf(name: string, field: string): FaultKind {
  if ((FAULT_KINDS as readonly string[]).includes(name)) return name as FaultKind;
  throw new UsageError(`${field}: unknown fault "${name}" (one of ${FAULT_KINDS.join(', ')})`, 'E_FAULT');
}

function duration(value: string | number, field: string): number {
  try {
    return parseDuration(value, field);
  } catch (err) {
    throw new UsageError((err as Error).message, 'E_FAULT');
  }
}

/** Check one fault's fields together (duration only where it lasts, latency only for slow-db). */
function checked(spec: FaultSpec, field: string): FaultSpec {
  if (INSTANT.has(spec.kind)) {
    if (spec.durationMs !== undefined) throw new UsageError(`${field}: ${spec.kind} is instant; it takes no duration`, 'E_FAULT');
  } else if (spec.durationMs === undefined || spec.durationMs <= 0) {
    throw new UsageError(`${field}: ${spec.kind} lasts a while: give its duration (e.g. ${spec.kind}@2s+1500ms)`, 'E_FAULT');
  } else if (spec.durationMs > MAX_DURATION_MS) {
    throw new UsageError(`${field}: ${spec.kind} for ${spec.durationMs} ms is longer than the ${MAX_DURATION_MS / 1000} s a fault may last`, 'E_FAULT');
  }
  if (spec.kind === 'slow-db') {
    if (spec.latencyMs === undefined || spec.latencyMs <= 0) throw new UsageError(`${field}: slow-db needs its added latency (e.g. slow-db@1s+3s:200ms)`, 'E_FAULT');
  } else if (spec.latencyMs !== undefined) {
    throw new UsageError(`${field}: only slow-db takes a latency`, 'E_FAULT');
  }
  return spec;
}

/**
 * Parse the command-line form: `kind@at[+duration][:latency]`, e.g. `kill-serve@3s`,
 * `pause-redis@2s+1500ms`, `slow-db@1s+3s:200ms`.
 */
export function parseFaultArg(text: string): FaultSpec {
  const field = `--fault ${text}`;
  const m = /^([a-z-]+)@([^+:]+)(?:\+([^:]+))?(?::(.+))?$/.exec(text.trim());
  if (!m) throw new UsageError(`${field}: write it as kind@at[+duration][:latency], e.g. kill-serve@3s or slow-db@1s+3s:200ms`, 'E_FAULT');
  const spec: FaultSpec = { kind: kindOf(m[1] as string, field), atMs: duration(m[2] as string, field) };
  if (m[3] !== undefined) spec.durationMs = duration(m[3], field);
  if (m[4] !== undefined) spec.latencyMs = duration(m[4], field);
  return checked(spec, field);
}

/** The scenario form, `faults[i]` (the schema checked the shape; this checks the meaning). */
export function faultFromScenario(f: ScenarioFault, i: number): FaultSpec {
  const field = `faults[${i}]`;
  const spec: FaultSpec = { kind: kindOf(f.fault, `${field}.fault`), atMs: duration(f.at, `${field}.at`) };
  if (f.for !== undefined) spec.durationMs = duration(f.for, `${field}.for`);
  if (f.latency !== undefined) spec.latencyMs = duration(f.latency, `${field}.latency`);
  return checked(spec, field);
}

/**
 * Faults must begin inside the load phase and not overlap (one fault at a time, so each band
 * says what that fault did). `loadMs` is the run's planned duration.
 */
export function checkSchedule(specs: readonly FaultSpec[], loadMs: number): void {
  const sorted = [...specs].sort((a, b) => a.atMs - b.atMs);
  let busyUntil = -1;
  let prev: FaultSpec | undefined;
  for (const f of sorted) {
    if (f.atMs >= loadMs) {
      throw new UsageError(`fault ${f.kind}@${f.atMs}ms begins after the load ends (${loadMs} ms): move it earlier or lengthen the run`, 'E_FAULT');
    }
    if (prev && f.atMs < busyUntil) {
      throw new UsageError(`faults ${prev.kind}@${prev.atMs}ms and ${f.kind}@${f.atMs}ms overlap: one fault at a time`, 'E_FAULT');
    }
    busyUntil = f.atMs + (f.durationMs ?? 0);
    prev = f;
  }
}

/** Faults hit only what the run started: a run without its own server (`--serve`) cannot take any. */
export function checkFaultsServed(faults: readonly FaultSpec[], serve: boolean): void {
  if (faults.length > 0 && !serve) throw new UsageError('--fault: faults only hit processes the run started: add --serve (or use coupon-bench chaos)', 'E_FAULT');
}
