import { ExitCode } from '../errors.js';
import { notCheckedOf, notExercisedOf, statusPhrase, type InvariantResult, type VerdictJson } from '../model/verdict.js';
import { fmt } from './invariants/result.js';

/** The parts of a verdict its word depends on. */
export type VerdictWordInput = Pick<VerdictJson, 'exitCode' | 'invariants' | 'notChecked' | 'strictRefused' | 'ledgerIncomplete' | 'partial'>;

/**
 * PASS; "PASS (2 of 10 not checked, 1 not exercised)" when some invariants were skipped or passed
 * without being exercised; PARTIAL (fewer than half judged: exit 0, or 97 with --strict); FAIL (an
 * invariant failed); NOT FULLY CHECKED (--strict with a qualified PASS, 97); LEDGER INCOMPLETE (97);
 * NOTHING CHECKED (97); NOT AUDITED (a tool error, exit 1).
 */
export function verdictWord(v: VerdictWordInput): string {
  if (v.partial && (v.exitCode === ExitCode.Ok || v.strictRefused)) return `PARTIAL (${v.partial.judged} of ${v.partial.of} judged)`;
  if (v.exitCode === ExitCode.Ok) {
    const skipped = notCheckedOf(v).length;
    const unexercised = notExercisedOf(v).length;
    const qualifiers = [skipped ? `${skipped} of ${v.invariants.length} not checked` : '', unexercised ? `${unexercised} not exercised` : '', unknownExercise(v.invariants) ? 'exercise unknown' : ''].filter(Boolean);
    return qualifiers.length ? `PASS (${qualifiers.join(', ')})` : 'PASS';
  }
  if (v.exitCode === ExitCode.InvariantFailed) return 'FAIL';
  if (v.exitCode !== ExitCode.HarnessInvalid) return 'NOT AUDITED';
  if (v.ledgerIncomplete) return 'LEDGER INCOMPLETE';
  return v.strictRefused ? 'NOT FULLY CHECKED' : 'NOTHING CHECKED';
}

function unknownExercise(invariants: readonly InvariantResult[]): boolean {
  return invariants.some((i) => i.status === 'PASS' && i.exercised === null);
}

/** pass: an unqualified PASS; fail: an invariant failed; warn: anything else (qualified, partial, 97). */
export function verdictTone(v: VerdictWordInput): 'pass' | 'fail' | 'warn' {
  if (v.exitCode === ExitCode.InvariantFailed) return 'fail';
  return verdictWord(v) === 'PASS' ? 'pass' : 'warn';
}

/** True for a PASS that proves less than it says: not exercised, or exercise unknown. */
export function qualifiedPass(i: InvariantResult): boolean {
  return i.status === 'PASS' && (i.exercised === false || i.exercised === null);
}

/** The status cell: PASS, FAIL, SKIP, with "not exercised" or "exercise unknown" under a qualified PASS. */
export function statusCell(i: InvariantResult): string {
  if (!qualifiedPass(i)) return i.status;
  return i.exercised === false ? 'PASS\nnot exercised' : 'PASS\nexercise unknown';
}

/** `stock=10 redisIssued=10` */
export function formatCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([k, v]) => `${k}=${v.toLocaleString('en-US')}`)
    .join(' ');
}

/** The detail lines of one invariant: a qualified PASS says so first; then why, what exercised it, the examples. */
export function invariantNotes(i: InvariantResult): string[] {
  const lines: string[] = [];
  if (qualifiedPass(i)) lines.push(statusPhrase(i));
  lines.push(i.detail);
  if (i.status === 'PASS' && i.exercised === true && i.exercise?.count !== undefined) lines.push(`exercised by ${fmt(i.exercise.count)} ${i.exercise.of}`);
  for (const e of i.examples) lines.push(`• ${e}`);
  return lines;
}

/** After the table: what completes a PARTIAL audit, the stores gone, where each input came from. */
export function trailerParts(v: VerdictJson): { notes: string[]; command?: string; sources: string[]; footer: string } {
  const notes: string[] = [];
  const p = v.partial;
  if (p) {
    if (p.gone?.length) notes.push(`stores the report names are gone: ${p.gone.join(', ')}`);
    if (p.recorded) notes.push(`the run's own audit, made while they were up: ${p.recorded}`);
    notes.push(`PARTIAL: ${p.judged} of ${p.of} invariants judged; complete the audit with:`);
  }
  const sources = Object.entries(v.sources ?? {}).map(([k, s]) => `${k}: ${s}`);
  return { notes, ...(p ? { command: p.command } : {}), sources, footer: `templates: ${v.templates.join(', ') || '(none)'} · exit ${v.exitCode}` };
}
