import type { ForeignStoreFlags } from '../model/foreign-stores.js';

/** Inputs of an audit (flags of `coupon-bench verify`). */
export interface VerifyInput extends ForeignStoreFlags {
  /** reports/<run-id>/report.json: ledger, templates and stores of a run */
  reportPath?: string;
  ledgerPath?: string;
  redisUrl?: string;
  dbUrl?: string;
  prefix?: string;
  templateIds?: number[];
  /** declared stock per template id (`--template <id>:<stock>`), over the report's */
  stocks?: Record<number, number>;
  /** wait this long for the outbox to drain before judging (default 5000) */
  drainTimeoutMs?: number;
  /** where to look for the latest run when no input is given (default ./reports) */
  reportsDir?: string;
  /**
   * The report's stores must answer even when the run did not name them (`run --verify` audits
   * them while they are up). Stores named by flags, or by the run's flags, must answer anyway.
   */
  storesRequired?: boolean;
  /** any invariant that cannot be judged (SKIP) makes the audit exit 97 instead of a qualified PASS */
  strict?: boolean;
}
