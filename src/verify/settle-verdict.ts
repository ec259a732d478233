import { ExitCode } from '../errors.js';
import { notApplicablePhrase, notCheckedPhrase, notExercisedOf, statusPhrase, type InvariantName, type InvariantResult } from '../model/verdict.js';

/** What decides an audit's exit code, besides the invariants. */
export interface SettleInput {
  invariants: readonly InvariantResult[];
  /** the ledger read is not the whole record (97 whatever the invariants say) */
  torn?: string;
  /** why the audit checked nothing (97 unless an invariant failed) */
  unchecked?: string;
  /** --strict: anything skipped, not exercised or of unknown exercise is 97, not a qualified PASS */
  strict: boolean;
  /** totals part of the headline (formatHeadline) */
  headline: string;
}

/** The exit code, the headline and what qualifies a PASS. */
export interface Settled {
  exitCode: number;
  headline: string;
  notChecked: InvariantName[];
  notExercised: InvariantName[];
  strictRefused: boolean;
  /** judged (PASS or FAIL) of those that could apply, when fewer than half were judged */
  partial?: { judged: number; of: number };
}

/** "no-duplicate-user: PASS, not exercised (…)" per invariant; "exercise unknown (no ledger): a, b" per reason. */
function exercisePhrases(invariants: readonly InvariantResult[]): string[] {
  const phrases = invariants.filter((i) => i.status === 'PASS' && i.exercised === false).map((i) => `${i.name}: ${statusPhrase(i)}`);
  const unknownBy = new Map<string, InvariantName[]>();
  for (const i of invariants) {
    if (i.status !== 'PASS' || i.exercised !== null) continue;
    const why = i.exercise?.why ?? 'the ledger cannot tell';
    unknownBy.set(why, [...(unknownBy.get(why) ?? []), i.name]);
  }
  for (const [why, names] of unknownBy) phrases.push(`exercise unknown (${why}): ${names.join(', ')}`);
  return phrases;
}

/**
 * Settle an audit: FAIL (100) when an invariant failed; 97 when it checked nothing, its ledger is
 * torn, or --strict meets a qualified PASS; else 0. A PASS that judged fewer than half of the
 * invariants that could apply is PARTIAL; the headline names what was skipped or not exercised.
 */
export function settleVerdict(input: SettleInput): Settled {
  const { invariants, torn, unchecked } = input;
  const failed = invariants.some((i) => i.status === 'FAIL');
  const judgedCount = invariants.filter((i) => i.status === 'PASS' || i.status === 'FAIL').length;
  // Invariants that do not apply to a target (neither judged nor skipped) are left out of the share.
  const applicable = invariants.filter((i) => i.status === 'PASS' || i.status === 'FAIL' || i.status === 'SKIP').length;
  const judged = judgedCount > 0;
  const notChecked = invariants.filter((i) => i.status === 'SKIP').map((i) => i.name);
  const notExercised = notExercisedOf({ invariants });
  const unknownExercise = invariants.some((i) => i.status === 'PASS' && i.exercised === null);
  const qualified = notChecked.length > 0 || notExercised.length > 0 || unknownExercise;
  const strictRefused = input.strict && qualified && !failed && judged && !unchecked;
  const exitCode = failed && !torn ? ExitCode.InvariantFailed : !judged || unchecked || strictRefused ? ExitCode.HarnessInvalid : ExitCode.Ok;
  const partial = !failed && judged && !unchecked && judgedCount * 2 < applicable ? { judged: judgedCount, of: applicable } : undefined;

  let headline = input.headline;
  if ((!failed || torn) && unchecked) headline = `${unchecked} — ${headline}`;
  if (judged) {
    const skipped = notCheckedPhrase({ invariants: [...invariants], notChecked });
    for (const phrase of [skipped, ...exercisePhrases(invariants)]) if (phrase) headline += `; ${phrase}`;
    if (strictRefused) headline += ' (--strict: exit 97)';
    const na = notApplicablePhrase({ invariants: [...invariants] });
    if (na) headline += `; ${na}`;
  }
  return { exitCode, headline, notChecked, notExercised, strictRefused, ...(partial ? { partial } : {}) };
}
