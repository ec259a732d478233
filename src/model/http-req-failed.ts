import type { RunReport } from './report.js';

/** A status, or a range of statuses, that k6's `expectedStatuses` counts as not failed. */
export type ExpectedStatus = number | { min: number; max: number };

/** `expectedStatuses` as a lookup by status (0 to 599; 0, no answer, is never expected). */
export function expectedStatusTable(list: readonly ExpectedStatus[]): Uint8Array {
  const table = new Uint8Array(600);
  for (const e of list) {
    if (typeof e === 'number') table[e] = 1;
    else for (let s = Math.max(1, e.min); s <= Math.min(599, e.max); s++) table[s] = 1;
  }
  return table;
}

/**
 * http_req_failed of a report: requests counted as failed out of all. By default the answers that
 * are neither an issue nor a definite business refusal (outcomes rejected and unknown: a sold-out
 * or duplicate 400 is the service doing its job). With the scenario's `expectedStatuses`, k6's
 * meaning: every request whose status is not listed (no answer included).
 */
export function httpReqFailed(report: Pick<RunReport, 'metrics' | 'outcomes'>): { failed: number; total: number } {
  const total = report.metrics.http_reqs.count;
  const byStatus = report.metrics.http_req_failed;
  if (byStatus !== undefined) return { failed: byStatus.passes, total };
  return { failed: report.outcomes.unknown + report.outcomes.rejected, total };
}
