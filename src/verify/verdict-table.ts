import Table from 'cli-table3';
import { Chalk } from 'chalk';
import { ExitCode } from '../errors.js';
import { notCheckedOf, type InvariantStatus, type VerdictJson } from '../model/verdict.js';

function formatCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([k, v]) => `${k}=${v.toLocaleString('en-US')}`)
    .join(' ');
}

/**
 * PASS, "PASS (2 of 10 not checked)" when some invariants were skipped, FAIL (an invariant failed),
 * NOT FULLY CHECKED (--strict with a skip, 97), LEDGER INCOMPLETE (97), NOTHING CHECKED (97) or NOT AUDITED
 * (a tool error, exit 1).
 */
export function verdictWord(v: Pick<VerdictJson, 'exitCode' | 'invariants' | 'notChecked' | 'strictRefused' | 'ledgerIncomplete'>): string {
  const skipped = notCheckedOf(v).length;
  if (v.exitCode === ExitCode.Ok) return skipped ? `PASS (${skipped} of ${v.invariants.length} not checked)` : 'PASS';
  if (v.exitCode === ExitCode.InvariantFailed) return 'FAIL';
  if (v.exitCode !== ExitCode.HarnessInvalid) return 'NOT AUDITED';
  if (v.ledgerIncomplete) return 'LEDGER INCOMPLETE';
  return v.strictRefused ? 'NOT FULLY CHECKED' : 'NOTHING CHECKED';
}

/** The verdict as a terminal table (invariant, status, counts, examples) under a headline. */
export function formatVerdict(v: VerdictJson, opts: { color: boolean }): string {
  const c = new Chalk({ level: opts.color ? 1 : 0 });
  const paint: Record<InvariantStatus, (s: string) => string> = {
    PASS: (s) => c.green(s),
    FAIL: (s) => c.red.bold(s),
    SKIP: (s) => c.yellow(s),
    'N/A': (s) => c.dim(s),
  };
  const table = new Table({
    head: ['invariant', 'status', 'counts', 'detail / examples'],
    // cli-table3 colours its borders and head by default; plain output stays plain.
    style: opts.color ? { head: ['cyan'] } : { head: [], border: [] },
    wordWrap: true,
    colWidths: [19, 8, 26, 72],
  });
  for (const i of v.invariants) {
    const notes = [i.detail, ...i.examples.map((e) => `• ${e}`)].join('\n');
    table.push([i.name, paint[i.status](i.status), formatCounts(i.counts), notes]);
  }
  const verdict = c.bold[v.exitCode === 0 ? 'green' : v.exitCode === 100 ? 'red' : 'yellow'](verdictWord(v));
  const lines = [`${verdict}  ${v.headline}`, table.toString()];
  if (v.sources && Object.keys(v.sources).length) {
    lines.push(Object.entries(v.sources).map(([k, s]) => c.dim(`${k}: ${s}`)).join('\n'));
  }
  lines.push(c.dim(`templates: ${v.templates.join(', ') || '(none)'} · exit ${v.exitCode}`));
  return lines.join('\n');
}
