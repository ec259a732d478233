import type { Outcome } from './outcome.js';

/**
 * One line of `ledger.ndjson`: what one client was told. Short keys keep the file small; ledgers
 * of several runs or machines concatenate. Written for every `issued` and `unknown` request, and
 * for definite failures too when the run records the full ledger (`--ledger full`, implied by
 * `--verify`).
 */
export interface LedgerRecord {
  /** outcome class */
  o: Outcome;
  /** template id */
  tpl: number;
  /** user id */
  u: number;
  /** HTTP status; 0 when no answer arrived */
  st: number;
  /** coupon id from the body (issued, or the existing one on duplicate) */
  c?: string;
  /** seq from the body, when present */
  seq?: number;
  /** epoch milliseconds (fractional, µs precision) when the request was sent */
  ts: number;
  /** microseconds from send to answer (or to giving up) */
  lat: number;
  /** for `unknown`: why (e.g. `UND_ERR_HEADERS_TIMEOUT`, `ECONNREFUSED`, `HTTP_503`) */
  err?: string;
}

/** File name of the ledger inside a run folder. */
export const LEDGER_FILE = 'ledger.ndjson';
/** File name of the report inside a run folder. */
export const REPORT_FILE = 'report.json';
