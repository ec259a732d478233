import type { Outcome } from '../model/outcome.js';
import type { RepeatTiming } from './repeat-timing.js';

/** What Redis holds for one template, read once (after the outbox drained or the wait ran out). */
export interface RedisSnapshot {
  /** value of the stock key; undefined when the key is missing */
  stock?: number;
  /** value of the seq counter (bundled layout); undefined when not read */
  seq?: number;
  /** users hash: userId -> seq; undefined when the layout has none (another team's stores) */
  users?: Map<number, number>;
  /** hash fields or values that were not positive integers (counted, never guessed) */
  malformedUsers?: number;
  /** outbox state; undefined when not read */
  outbox?: OutboxState;
  /** another team's Redis, read through --redis-*-key flags: no seq, no outbox */
  foreign?: true;
  /** value of --redis-remaining-key (the stock left; the limit is remaining + issued) */
  remaining?: number;
}

/** Outbox stream state as the verifier saw it last. */
export interface OutboxState {
  /** XLEN */
  length: number;
  /** entries delivered to a consumer but not acknowledged (sum over groups) */
  pending: number;
  /** entries the persister group has not read yet (0 when it read up to the last entry) */
  undelivered: number;
  /** whether the persister's consumer group exists */
  groupExists: boolean;
  /** ms spent waiting for the outbox to drain */
  waitedMs: number;
}

/** What the database holds for one template. */
export interface DbSnapshot {
  /** `store`: the bundled schema; `query`: another team's SQL (--db-query) */
  source: 'store' | 'query';
  /** rows returned */
  rows: number;
  /** userId -> seq of the first row seen for that user (0 when the seq is unknown) */
  users: Map<number, number>;
  /** every row's seq, in read order; undefined when some seq was unknown */
  seqs?: Float64Array;
  /** users seen on more than one row: how many extra rows */
  duplicateRows: number;
  /** up to 5 examples of users on several rows */
  duplicateExamples: string[];
  /** stock recorded in the template table, when there is one */
  templateStock?: number;
  /** userId -> coupon id of that user's first row, when the rows carry opaque coupon ids (--db-query) */
  coupons?: Map<number, string>;
  /** every row's user id, in issue order (seq, else issued_at, else the query's order) */
  rowUsers: Float64Array;
  /** every row's coupon id in the order of rowUsers (--db-query) */
  rowCoupons?: string[];
}

/** What clients were told about one template, folded from the ledger. */
export interface LedgerSnapshot {
  /** `full` records every answer; `acked` only issued and unknown (refusals are not in the file) */
  mode: 'full' | 'acked';
  /** records read for this template */
  records: number;
  /** answers per outcome (from the ledger; for an acked ledger refusals may come from the report) */
  counts: Record<Outcome, number>;
  /** userId -> bit set of the outcomes that user received (bit = OUTCOME_INDEX) */
  outcomesByUser: Map<number, number>;
  /** userId -> seq of the first 200 that user received (0 when the body carried none) */
  issuedSeq: Map<number, number>;
  /** userId -> coupon id of that first 200, kept as an opaque string for a foreign service */
  issuedCoupon?: Map<number, string>;
  /** 200s beyond the first for one user */
  extraIssued: number;
  /** up to 5 examples of users told 200 more than once */
  extraIssuedExamples: string[];
  /** when users asked again relative to their coupon (whether a duplicate check was exercised); not kept for a ledger known to be acked */
  timing?: RepeatTiming;
  /** an acked ledger's refusal counts were taken from the run's report (they are known) */
  refusalsFromReport?: boolean;
}

/** A store that was read and does not know a template at all. */
export interface TemplateAbsence {
  store: 'redis' | 'db';
  /** e.g. `in Redis under prefix "cb"` */
  where: string;
  /** the flag that chose where to look, e.g. `--prefix` */
  flag: string;
}

/** Everything the invariants need about one template. Pure data: invariants never do I/O. */
export interface TemplateSnapshot {
  templateId: number;
  /** another team's service (its stores read through --db-query / --redis-*-key): no outbox, opaque coupon ids */
  foreign?: boolean;
  /** the template's limit N when known, and where it came from */
  stock?: number;
  stockSource?: string;
  redis?: RedisSnapshot;
  /** why Redis was not read (for SKIP reasons) */
  redisMissing?: string;
  db?: DbSnapshot;
  dbMissing?: string;
  ledger?: LedgerSnapshot;
  ledgerMissing?: string;
  /**
   * Stores that were read and hold nothing at all of this template: where it was looked for (e.g.
   * `in Redis under prefix "cb"`) and the flag that chose the place. With coupons confirmed for it
   * in the ledger, a wrong prefix, database or template id.
   */
  absentFrom?: TemplateAbsence[];
}

/** Bit of one outcome in {@link LedgerSnapshot.outcomesByUser}. */
export function outcomeBit(index: number): number {
  return 1 << index;
}
