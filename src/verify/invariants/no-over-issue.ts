import type { InvariantResult } from '../../model/verdict.js';
import type { TemplateSnapshot } from '../snapshot.js';
import { Offences, judge, skip } from './result.js';

/** `no-over-issue`: issued ≤ stock, in Redis, in the DB and among the 200s clients were given. */
export function noOverIssue(s: TemplateSnapshot): InvariantResult {
  const name = 'no-over-issue';
  if (s.stock === undefined) return skip(name, 'stock unknown: pass --report, --template <id>:<stock>, or stores that record it');
  const stock = s.stock;
  const counts: Record<string, number> = { stock };
  const off = new Offences();
  let judged = 0;
  if (s.redis?.users !== undefined || s.redis?.seq !== undefined) {
    // The seq counter and the users hash can disagree under a bug; the larger one is what went out.
    const redisIssued = Math.max(s.redis.seq ?? 0, s.redis.users?.size ?? 0);
    counts.redisIssued = redisIssued;
    judged++;
    if (redisIssued > stock) off.add(`Redis: ${redisIssued} issued > stock ${stock}`);
  }
  if (s.redis?.stock !== undefined && s.stockSource !== 'redis' && s.redis.stock > stock) {
    counts.redisStock = s.redis.stock;
    off.add(`Redis stock key holds ${s.redis.stock} > declared stock ${stock}`);
  }
  if (s.db) {
    counts.dbRows = s.db.rows;
    judged++;
    if (s.db.rows > stock) off.add(`DB: ${s.db.rows} rows > stock ${stock}`);
  }
  if (s.ledger) {
    const told = s.ledger.counts.issued;
    counts.ledgerIssued = told;
    judged++;
    if (told > stock) off.add(`ledger: ${told} clients told 200 > stock ${stock}`);
  }
  if (judged === 0) return skip(name, 'nothing issued to count: no Redis, DB or ledger given', counts);
  return judge(name, off, counts, `issued ≤ stock ${stock} everywhere checked`, `more coupons than the stock of ${stock}`);
}
