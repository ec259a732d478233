import { untrustedRunReasons, type RunValidityInput } from '../report/run-validity.js';

/**
 * Why an audit checked nothing (exit 97 unless an invariant failed), or undefined when it checked
 * something. A run whose own harness was invalid (target unreachable, every request timed out,
 * generator saturated, ...) cannot pass here either: its exit code was 97, and so is its audit's.
 */
export function nothingCheckedReason(report: RunValidityInput | undefined, ledgerRecords: number | undefined): string | undefined {
  if (report?.harness?.valid === false) return `harness invalid (${untrustedRunReasons(report).join('; ')})`;
  const requests = report?.metrics?.http_reqs?.count ?? ledgerRecords;
  if (requests === 0 || report?.harness?.answered === 0) return 'zero requests checked';
  return undefined;
}
