import { INVARIANTS, type InvariantName, type InvariantResult } from '../../model/verdict.js';
import type { TemplateSnapshot } from '../snapshot.js';
import { skip, type Invariant } from './result.js';
import { noOverIssue } from './no-over-issue.js';
import { noDuplicateUser } from './no-duplicate-user.js';
import { seqContiguous } from './seq-contiguous.js';
import { redisDbMatch } from './redis-db-match.js';
import { outboxDrained } from './outbox-drained.js';
import { noLostAck } from './no-lost-ack.js';
import { noPhantom } from './no-phantom.js';
import { noLiedRefusal } from './no-lied-refusal.js';
import { soldOutExact } from './sold-out-exact.js';
import { unknownBounded } from './unknown-bounded.js';

/** The check of each invariant; the names and their order are the contract's (INVARIANTS, docs/contract.md). */
const CHECKS: Readonly<Record<InvariantName, Invariant>> = {
  'no-over-issue': noOverIssue,
  'no-duplicate-user': noDuplicateUser,
  'seq-contiguous': seqContiguous,
  'redis-db-match': redisDbMatch,
  'outbox-drained': outboxDrained,
  'no-lost-ack': noLostAck,
  'no-phantom': noPhantom,
  'no-lied-refusal': noLiedRefusal,
  'sold-out-exact': soldOutExact,
  'unknown-bounded': unknownBounded,
};

/** Every invariant with its check, in the contract's order. */
export const INVARIANT_CHECKS: ReadonlyArray<readonly [InvariantName, Invariant]> = INVARIANTS.map((name) => [name, CHECKS[name]] as const);

/**
 * Judge one invariant on one template's snapshot. A check that throws is not judged: SKIP with the
 * error (never PASS, and the audit goes on with the others).
 */
export function runInvariant(name: InvariantName, check: Invariant, s: TemplateSnapshot): InvariantResult {
  try {
    return check(s);
  } catch (err) {
    return skip(name, `check failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
