import type { InvariantResult } from '../../model/verdict.js';
import type { TemplateSnapshot } from '../snapshot.js';
import { Offences, judge, skip } from './result.js';

/** `no-duplicate-user`: no user holds two coupons of one template (Redis, DB, and ledger 200s). */
export function noDuplicateUser(s: TemplateSnapshot): InvariantResult {
  const name = 'no-duplicate-user';
  const counts: Record<string, number> = {};
  const off = new Offences();
  let judged = 0;
  if (s.redis?.users && s.redis.seq !== undefined) {
    // A hash cannot hold a user twice; a second issue to a holder overwrites it, leaving the
    // counter ahead of the number of holders.
    judged++;
    const overwritten = Math.max(0, s.redis.seq - s.redis.users.size);
    counts.redisOverwritten = overwritten;
    if (overwritten > 0) off.add(`Redis: seq counter ${s.redis.seq} but ${s.redis.users.size} holders (${overwritten} issued to a holder)`);
  }
  if (s.db) {
    judged++;
    counts.dbDuplicateRows = s.db.duplicateRows;
    off.addAll(s.db.duplicateRows, s.db.duplicateExamples);
  }
  if (s.ledger) {
    judged++;
    counts.ledgerExtra200 = s.ledger.extraIssued;
    off.addAll(s.ledger.extraIssued, s.ledger.extraIssuedExamples);
  }
  if (judged === 0) return skip(name, 'no Redis, DB or ledger given');
  return judge(name, off, counts, 'every holder holds one coupon', 'a user holds (or was told) more than one coupon');
}
