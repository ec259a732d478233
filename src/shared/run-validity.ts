import { noIssuanceReason } from '../model/issuance-checked.js';
import type { Outcome } from '../model/outcome.js';
import type { RunReport } from '../model/report.js';

/** The parts of a report that say whether its run can be trusted (older or hand-written reports may lack some). */
export type RunValidityInput = {
  harness?: Partial<Pick<RunReport['harness'], 'valid' | 'reasons' | 'answered'>>;
  metrics?: { http_reqs?: { count?: number } };
  outcomes?: Readonly<Record<Outcome, number>>;
};

/**
 * Why a recorded run cannot be trusted: its own harness said so (target unreachable, saturated,
 * zero requests checked, ...), or it checked nothing by today's rules (no answer, none from
 * issuance), which older reports did not mark. Empty when it can. Whatever judges a run afterwards
 * (verify --report, compare) must not pass on one of these.
 */
export function untrustedRunReasons(report: RunValidityInput): string[] {
  if (report.harness?.valid === false) return report.harness.reasons?.length ? [...report.harness.reasons] : ['harness invalid'];
  if (report.harness?.answered === 0) return ['zero requests checked: no request got an HTTP answer'];
  if (report.metrics?.http_reqs?.count === 0) return ['zero requests checked: no request was sent'];
  const none = report.outcomes ? noIssuanceReason(report.outcomes) : undefined;
  return none ? [none] : [];
}
