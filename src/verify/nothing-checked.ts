import { noIssuanceReason } from '../model/issuance-checked.js';
import type { Outcome } from '../model/outcome.js';
import { untrustedRunReasons, type RunValidityInput } from '../shared/run-validity.js';

/** What the ledger read says about requests: how many records, its mode, and its outcome counts. */
export interface LedgerTotals {
  records: number;
  mode?: 'full' | 'acked';
  counts?: Readonly<Record<Outcome, number>>;
}

/**
 * Why an audit checked nothing (exit 97 unless an invariant failed), or undefined when it checked
 * something. With a report, the run's own verdict on itself decides (see untrustedRunReasons: a
 * run that exited 97 is never audited to a pass). Without one, the ledger: no record at all, or a
 * full ledger none of whose answers came from issuance (an acked one holds no refusals, so its
 * counts cannot tell).
 */
export function nothingCheckedReason(report: RunValidityInput | undefined, ledger: LedgerTotals | undefined): string | undefined {
  if (report) {
    const why = untrustedRunReasons(report);
    if (why.length) return report.harness?.valid === false ? `harness invalid (${why.join('; ')})` : why.join('; ');
    if (report.metrics?.http_reqs?.count !== undefined) return undefined;
  }
  if (ledger?.records === 0) {
    // An acked ledger records issued and unknown answers only: with stock 0 (or every answer a
    // refusal) it is empty after thousands of requests. Only the run's report counts those.
    if (ledger.mode === 'full') return 'zero requests checked';
    return "zero requests checked (the ledger holds no record; an acked ledger has only issued and unknown answers, none when every answer was a refusal, as with stock 0: pass the run's --report, whose counters hold the refusals)";
  }
  return ledger?.mode === 'full' && ledger.counts ? noIssuanceReason(ledger.counts) : undefined;
}
