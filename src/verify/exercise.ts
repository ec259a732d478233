import { OUTCOME_INDEX } from '../model/outcome.js';
import type { InvariantExercise, InvariantName, InvariantResult } from '../model/verdict.js';
import { outcomeBit, type LedgerSnapshot, type TemplateSnapshot } from './snapshot.js';

/** Whether a run could have revealed a violation: exercised (true/false) or unknown (null), with its count. */
export interface Exercise extends InvariantExercise {
  exercised: boolean | null;
}

const ISSUED_OR_UNKNOWN = outcomeBit(OUTCOME_INDEX.issued) | outcomeBit(OUTCOME_INDEX.unknown);
const REFUSED = outcomeBit(OUTCOME_INDEX.sold_out) | outcomeBit(OUTCOME_INDEX.duplicate) | outcomeBit(OUTCOME_INDEX.not_found) | outcomeBit(OUTCOME_INDEX.rejected);
const ACKED_LEDGER = "the ledger is 'acked': it holds no refusals";

function counted(of: string, count: number, why: string): Exercise {
  return count > 0 ? { exercised: true, count, of } : { exercised: false, count, of, why };
}

function unknown(of: string, why: string): Exercise {
  return { exercised: null, of, why };
}

/** Refusal counts are known: a full ledger, or an acked one whose refusals came from the report. */
function refusalsKnown(l: LedgerSnapshot): boolean {
  return l.mode === 'full' || l.refusalsFromReport === true;
}

/**
 * `no-duplicate-user`: users who asked again, concurrently with their own `issued` request or after
 * it, and were answered before the last coupon's request was sent (at any time when the stock never
 * ran out): a service without a working duplicate check had a coupon left to give them.
 */
function askedAgain(l: LedgerSnapshot, stock: number | undefined): Exercise {
  const of = 'users who asked again while stock remained';
  if (l.mode !== 'full') return unknown(of, "the ledger is 'acked': repeated requests are not in it");
  const timing = l.timing;
  if (!timing?.timed) return unknown(of, 'the ledger records no request times');
  const neverSoldOut = l.counts.sold_out === 0 && stock !== undefined && l.counts.issued < stock;
  const stockUntil = neverSoldOut ? Infinity : timing.lastIssuedTs;
  return counted(of, timing.usersAskedAgain(stockUntil), 'no user asked twice before sell-out');
}

/** `no-over-issue`, `sold-out-exact`: demand beyond the stock, i.e. requests the service refused as sold out. */
function beyondStock(l: LedgerSnapshot): Exercise {
  const of = 'requests told sold out (demand beyond the stock)';
  if (!refusalsKnown(l)) return unknown(of, ACKED_LEDGER);
  return counted(of, l.counts.sold_out, 'no demand beyond the stock: nobody was told sold out');
}

/** `no-lied-refusal`, `unknown-bounded`: users only ever refused (a coupon of theirs would be a lie or unexplained). */
function refusedUsers(l: LedgerSnapshot): Exercise {
  if (l.mode === 'full') {
    let n = 0;
    for (const bits of l.outcomesByUser.values()) if ((bits & REFUSED) !== 0 && (bits & ISSUED_OR_UNKNOWN) === 0) n++;
    return counted('users only ever refused', n, 'no user was refused without also being told 200');
  }
  const of = 'refusals (sold out, not found, rejected)';
  if (!refusalsKnown(l)) return unknown(of, ACKED_LEDGER);
  return counted(of, l.counts.sold_out + l.counts.not_found + l.counts.rejected, 'nobody was refused');
}

/** Invariants about the coupons written (their seqs, copies and owners): coupons acknowledged. */
function acknowledged(l: LedgerSnapshot): Exercise {
  return counted('coupons acknowledged (200)', l.issuedSeq.size, 'no coupon was acknowledged');
}

/**
 * Whether this run could have revealed a violation of `name`, from the ledger alone (the stores
 * hold the outcome; the ledger says what was asked, when, and what was answered).
 */
export function exerciseOf(name: InvariantName, s: TemplateSnapshot): Exercise {
  const l = s.ledger;
  if (!l) return { exercised: null, of: 'the ledger', why: 'no ledger' };
  switch (name) {
    case 'no-duplicate-user':
      return askedAgain(l, s.stock);
    case 'no-over-issue':
    case 'sold-out-exact':
      return beyondStock(l);
    case 'no-lied-refusal':
    case 'unknown-bounded':
      return refusedUsers(l);
    case 'no-lost-ack':
    case 'seq-contiguous':
    case 'redis-db-match':
    case 'outbox-drained':
    case 'no-phantom':
      return acknowledged(l);
  }
}

/**
 * The result with its exercise: a PASS says whether it proves anything; a FAIL was exercised by
 * definition (the run revealed a violation); a SKIP judged nothing, so it carries none.
 */
export function withExercise(r: InvariantResult, s: TemplateSnapshot): InvariantResult {
  if (r.status !== 'PASS' && r.status !== 'FAIL') return r;
  const { exercised, why, ...seen } = exerciseOf(r.name, s);
  return r.status === 'FAIL' ? { ...r, exercised: true, exercise: seen } : { ...r, exercised, exercise: why === undefined ? seen : { ...seen, why } };
}

/**
 * One row's exercise over several templates: a FAIL was exercised; a PASS only when every template
 * that passed was (one that was not could have hidden a violation); unknown when any could not tell.
 */
export function mergeExercise(results: readonly InvariantResult[]): Pick<InvariantResult, 'exercised' | 'exercise'> {
  const judged = results.filter((r) => r.exercise !== undefined);
  const first = judged[0]?.exercise;
  if (!first) return {};
  const counts = judged.map((r) => r.exercise?.count);
  const count = counts.every((c) => c !== undefined) ? counts.reduce<number>((a, c) => a + (c ?? 0), 0) : undefined;
  const exercise: InvariantExercise = { ...(count !== undefined ? { count } : {}), of: first.of };
  if (judged.some((r) => r.status === 'FAIL')) return { exercised: true, exercise };
  const lacking = judged.find((r) => r.exercised === false) ?? judged.find((r) => r.exercised === null);
  if (!lacking) return { exercised: true, exercise };
  return { exercised: lacking.exercised, exercise: { ...exercise, ...(lacking.exercise?.why ? { why: lacking.exercise.why } : {}) } };
}
