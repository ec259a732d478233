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

/** PASS, FAIL, or SKIP when the inputs needed to judge it were not given (never counted as PASS). */
export type InvariantStatus = 'PASS' | 'FAIL' | 'SKIP';

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
}

/** The audit's verdict as written to JSON (and embedded in report.json). */
export interface VerdictJson {
  ok: boolean;
  headline: string;
  templates: number[];
  invariants: InvariantResult[];
  exitCode: number;
  /** where each input came from (report, ledger and mode, stores with credentials removed) */
  sources?: Record<string, string>;
}
