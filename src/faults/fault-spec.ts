import { UsageError } from '../errors.js';
import { FAULT_KINDS, TARGET_FAULT_KINDS, type AnyFaultKind, type FaultKind, type ScenarioFault } from '../model/fault.js';
import { parseDuration } from '../shared/duration.js';

/** One scheduled fault: what, when (ms after the load starts), for how long, how slow. */
export interface FaultSpec {
  kind: AnyFaultKind;
  /** the proxy (`cut`, `slow`, `drop`) or hook (`hook`) it acts on */
  name?: string;
  atMs: number;
  durationMs?: number;
  latencyMs?: number;
}

/** Faults that are one act (a kill): no duration. The rest last a while and need one. */
const INSTANT: ReadonlySet<AnyFaultKind> = new Set(['kill-serve', 'kill-persister', 'restart-redis', 'kill-target', 'restart-target', 'hook']);
/** Target faults that act on a named proxy or hook (`cut:db@…`); the others take no name. */
export const NAMED: ReadonlySet<AnyFaultKind> = new Set(['cut', 'slow', 'drop', 'hook']);
/** Faults that take an added latency. */
const WITH_LATENCY: ReadonlySet<AnyFaultKind> = new Set(['slow-db', 'slow']);
const ALL_KINDS: readonly AnyFaultKind[] = [...FAULT_KINDS, ...TARGET_FAULT_KINDS];
/** How long a lasting fault may be held (a paused Redis or a cut database beyond this is a hang, not a test). */
const MAX_DURATION_MS = 120_000;

function kindOf<K extends AnyFaultKind>(name: string, field: string, kinds: readonly K[]): K {
  if ((kinds as readonly string[]).includes(name)) return name as K;
  throw new UsageError(`${field}: unknown fault "${name}" (one of ${kinds.join(', ')})`, 'E_FAULT');
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
  if (WITH_LATENCY.has(spec.kind)) {
    const eg = spec.kind === 'slow' ? 'slow:db@1s+3s:200ms' : 'slow-db@1s+3s:200ms';
    if (spec.latencyMs === undefined || spec.latencyMs <= 0) throw new UsageError(`${field}: ${spec.kind} needs its added latency (e.g. ${eg})`, 'E_FAULT');
  } else if (spec.latencyMs !== undefined) {
    throw new UsageError(`${field}: only slow-db and slow take a latency`, 'E_FAULT');
  }
  if (NAMED.has(spec.kind) && spec.name === undefined) {
    const what = spec.kind === 'hook' ? 'hook (--fault-hook NAME=…)' : 'proxy (--proxy NAME=…)';
    throw new UsageError(`${field}: ${spec.kind} acts on a named ${what}: write ${spec.kind}:NAME@…`, 'E_FAULT');
  }
  if (!NAMED.has(spec.kind) && spec.name !== undefined) throw new UsageError(`${field}: ${spec.kind} takes no name`, 'E_FAULT');
  return spec;
}

/**
 * Parse the command-line form: `kind[:name]@at[+duration][:latency]`, e.g. `kill-serve@3s`,
 * `pause-redis@2s+1500ms`, `slow-db@1s+3s:200ms`, `cut:db@2s+2s`, `hook:failover@3s`.
 */
export function parseFaultArg(text: string): FaultSpec {
  const field = `--fault ${text}`;
  const m = /^([a-z-]+)(?::([A-Za-z0-9_-]+))?@([^+:]+)(?:\+([^:]+))?(?::(.+))?$/.exec(text.trim());
  if (!m) throw new UsageError(`${field}: write it as kind[:name]@at[+duration][:latency], e.g. kill-serve@3s, slow-db@1s+3s:200ms or cut:db@2s+2s`, 'E_FAULT');
  const spec: FaultSpec = { kind: kindOf(m[1] as string, field, ALL_KINDS), atMs: duration(m[3] as string, field) };
  if (m[2] !== undefined) spec.name = m[2];
  if (m[4] !== undefined) spec.durationMs = duration(m[4], field);
  if (m[5] !== undefined) spec.latencyMs = duration(m[5], field);
  return checked(spec, field);
}

/** The scenario form, `faults[i]` (the schema checked the shape; this checks the meaning). */
export function faultFromScenario(f: ScenarioFault, i: number): FaultSpec {
  const field = `faults[${i}]`;
  const spec: FaultSpec = { kind: kindOf<FaultKind>(f.fault, `${field}.fault`, FAULT_KINDS), atMs: duration(f.at, `${field}.at`) };
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

/**
 * Faults hit only what the run started: the bundled server's faults need `--serve`, the target's
 * faults need `--target` with what they act on (checked in detail by the target stand).
 */
export function checkFaultsServed(faults: readonly FaultSpec[], serve: boolean, ownTarget = false): void {
  if (faults.length === 0) return;
  const targetFault = faults.find((f) => (TARGET_FAULT_KINDS as readonly string[]).includes(f.kind));
  const bundledFault = faults.find((f) => (FAULT_KINDS as readonly string[]).includes(f.kind));
  if (serve && targetFault) throw new UsageError(`--fault ${targetFault.kind}: faults on a target act on --target (with --target-cmd, --proxy or --fault-hook), not on --serve's bundled server`, 'E_FAULT');
  if (bundledFault && !serve) {
    throw new UsageError(`--fault ${bundledFault.kind}: faults only hit processes the run started: add --serve (or use coupon-bench chaos); for your own service use --target-cmd with kill-target, pause-target, restart-target, or --proxy with cut, slow, drop`, 'E_FAULT');
  }
  if (targetFault && !ownTarget) throw new UsageError(`--fault ${targetFault.kind}: faults only hit processes and proxies the run started: give --target-cmd, --proxy or --fault-hook`, 'E_FAULT');
}
