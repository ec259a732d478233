/** Invariant names (contract). */
export const INVARIANTS = [
  'no-over-issue',
  'no-duplicate-user',
  'seq-contiguous',
  'redis-db-match',
  'outbox-drained',
  'no-lost-ack',
  'no-phantom',
  'no-lied-refusal',
  'sold-out-exact',
  'unknown-bounded',
] as const;
/** One of {@link INVARIANTS}. */
export type InvariantName = (typeof INVARIANTS)[number];

/**
 * PASS, FAIL, SKIP when the inputs needed to judge it were not given (never counted as PASS), or
 * N/A when it does not apply to the target (e.g. an outbox on a service that has none): neither
 * passed nor missing, so it never fails `--strict`.
 */
export type InvariantStatus = 'PASS' | 'FAIL' | 'SKIP' | 'N/A';

/** The judgement of one invariant. */
export interface InvariantResult {
  name: InvariantName;
  status: InvariantStatus;
  /** what was counted, e.g. { redisIssued: 10, dbRows: 10, stock: 10 } */
  counts: Record<string, number>;
  /** up to 5 offending examples, human-readable */
  examples: string[];
  /** one line: why it passed, failed or was skipped */
  detail: string;
  /**
   * Whether this run could have revealed a violation, judged from the ledger alone: true, false
   * (a PASS that proves little: "PASS, not exercised (…)"), or null when the ledger cannot tell
   * (none given, or one without what the rule needs). Absent on SKIP and in older reports.
   */
  exercised?: boolean | null;
  /** what exercised it and how much; `why` says what was lacking when not exercised or unknown */
  exercise?: InvariantExercise;
}

/** How much of what could reveal a violation this run produced (see docs/usage.md, verify: "exercised"). */
export interface InvariantExercise {
  /** how many, e.g. 3 (users who asked again while stock remained); absent when unknown */
  count?: number;
  /** what is counted, e.g. "users who asked again while stock remained" */
  of: string;
  /** when not exercised or unknown: what the run lacked, e.g. "no user asked twice before sell-out" */
  why?: string;
}

/** An audit that judged fewer than half of the invariants: what completes it. */
export interface PartialAudit {
  /** invariants judged (PASS or FAIL), and those that could apply */
  judged: number;
  of: number;
  /** the command that completes the audit (store URLs without passwords) */
  command: string;
  /** stores the report names that are gone, e.g. "Redis redis://127.0.0.1:40111 (unreachable)" */
  gone?: string[];
  /** the verdict the run's report recorded while those stores were up (`exit 0: …headline`) */
  recorded?: string;
}

/** The audit's verdict as written to JSON (and embedded in report.json). */
export interface VerdictJson {
  ok: boolean;
  headline: string;
  templates: number[];
  invariants: InvariantResult[];
  exitCode: number;
  /**
   * Invariants that could not be judged (SKIP), in contract order: a PASS with any of these says
   * so ("PASS (2 of 10 not checked)"), and `verify --strict` makes it exit 97. Absent in reports
   * written before it was recorded; derive it from `invariants` then ({@link notCheckedOf}).
   */
  notChecked?: InvariantName[];
  /** coupons issued as the headline counts them (the most durable store read: DB, else Redis, else the ledger's 200s) */
  issued?: number;
  /** true when only --strict made this audit exit 97: everything judged held, something was skipped or not exercised */
  strictRefused?: boolean;
  /** invariants that passed but that this run could not have caught failing (exercised: false) */
  notExercised?: InvariantName[];
  /** set when fewer than half of the invariants were judged: the verdict is PARTIAL */
  partial?: PartialAudit;
  /** true when the ledger read is not the whole record the run wrote (torn lines, records missing): exit 97 */
  ledgerIncomplete?: boolean;
  /** where each input came from (report, ledger and mode, stores with credentials removed) */
  sources?: Record<string, string>;
}

/** The invariants of `v` that were skipped (SKIP), whether or not it recorded `notChecked`. */
export function notCheckedOf(v: Pick<VerdictJson, 'invariants' | 'notChecked'>): InvariantName[] {
  return v.notChecked ?? v.invariants.filter((i) => i.status === 'SKIP').map((i) => i.name);
}

/** "2 of 10 not checked: no-phantom, no-lied-refusal", or undefined when every invariant was judged. */
export function notCheckedPhrase(v: Pick<VerdictJson, 'invariants' | 'notChecked'>): string | undefined {
  const skipped = notCheckedOf(v);
  if (skipped.length === 0) return undefined;
  return `${skipped.length} of ${v.invariants.length} not checked: ${skipped.join(', ')}`;
}

/** "N/A: outbox-drained", or undefined when every invariant applies to the target. */
export function notApplicablePhrase(v: Pick<VerdictJson, 'invariants'>): string | undefined {
  const na = v.invariants.filter((i) => i.status === 'N/A').map((i) => i.name);
  return na.length ? `N/A: ${na.join(', ')}` : undefined;
}

/** The invariants of `v` that passed without being exercised. */
export function notExercisedOf(v: { invariants: readonly InvariantResult[] }): InvariantName[] {
  return v.invariants.filter((i) => i.status === 'PASS' && i.exercised === false).map((i) => i.name);
}

/** "PASS, not exercised (no user asked twice before sell-out)", "PASS, exercise unknown (no ledger)", or the status. */
export function statusPhrase(i: Pick<InvariantResult, 'status' | 'exercised' | 'exercise'>): string {
  if (i.status !== 'PASS' || i.exercised === true || i.exercised === undefined) return i.status;
  const why = i.exercise?.why ? ` (${i.exercise.why})` : '';
  return i.exercised === false ? `PASS, not exercised${why}` : `PASS, exercise unknown${why}`;
}
