import type { InvariantResult } from '../../model/verdict.js';
import type { DbSnapshot, TemplateSnapshot } from '../snapshot.js';
import { couponLabel } from '../coupon-label.js';
import { MAX_EXAMPLES, Offences, judge, skip } from './result.js';

/** The DB rows past the stock, in issue order (seq, else issued_at, else as read): `row 11 of 12: user 7 (coupon "x")`. */
function extraDbRows(db: DbSnapshot, stock: number): string[] {
  const out: string[] = [];
  for (let i = stock; i < db.rowUsers.length && out.length < MAX_EXAMPLES; i++) {
    const user = db.rowUsers[i]!;
    const coupon = db.rowCoupons?.[i];
    const seq = db.seqs ? db.users.get(user) : 0;
    out.push(`DB row ${i + 1} of ${db.rows} (past the stock): user ${user}${coupon || seq ? ` (${couponLabel(seq, coupon)})` : ''}`);
  }
  return out;
}

/** Redis holders whose seq is past the stock (bundled layout), lowest seq first. */
function extraRedisHolders(users: Map<number, number>, stock: number): string[] {
  const extra = [...users].filter(([, seq]) => seq > stock).sort((a, b) => a[1] - b[1]);
  return extra.slice(0, MAX_EXAMPLES).map(([user, seq]) => `Redis: user ${user} holds seq ${seq} (past the stock)`);
}

/** `no-over-issue`: issued ≤ stock, in Redis, in the DB and among the 200s clients were given. */
export function noOverIssue(s: TemplateSnapshot): InvariantResult {
  const name = 'no-over-issue';
  if (s.stock === undefined) return skip(name, 'stock unknown: pass --report, --template <id>:<stock>, or stores that record it');
  const stock = s.stock;
  const counts: Record<string, number> = { stock };
  // Each over-issuing store's summary first, then the rows it holds past the stock.
  const off = new Offences();
  const extras: string[] = [];
  let judged = 0;
  if (s.redis?.users !== undefined || s.redis?.seq !== undefined) {
    // The seq counter and the users hash can disagree under a bug; the larger one is what went out.
    const redisIssued = Math.max(s.redis.seq ?? 0, s.redis.users?.size ?? 0);
    counts.redisIssued = redisIssued;
    judged++;
    if (redisIssued > stock) {
      off.add(`Redis: ${redisIssued} issued > stock ${stock}`);
      if (s.redis.users && s.redis.seq !== undefined) extras.push(...extraRedisHolders(s.redis.users, stock));
    }
  }
  if (s.redis?.remaining !== undefined) {
    counts.redisRemaining = s.redis.remaining;
    const limit = s.redis.stock;
    if (limit !== undefined && s.stockSource !== 'redis' && limit > stock) {
      off.add(`Redis: remaining ${s.redis.remaining} + ${limit - s.redis.remaining} issued = ${limit} > declared stock ${stock}`);
    }
  } else if (s.redis?.stock !== undefined && s.stockSource !== 'redis' && s.redis.stock > stock) {
    counts.redisStock = s.redis.stock;
    off.add(`Redis stock key holds ${s.redis.stock} > declared stock ${stock}`);
  }
  if (s.db) {
    counts.dbRows = s.db.rows;
    judged++;
    if (s.db.rows > stock) {
      off.add(`DB: ${s.db.rows} rows > stock ${stock}`);
      extras.unshift(...extraDbRows(s.db, stock));
    }
  }
  if (s.ledger) {
    const told = s.ledger.counts.issued;
    counts.ledgerIssued = told;
    judged++;
    if (told > stock) off.add(`ledger: ${told} clients told 200 > stock ${stock}`);
  }
  if (judged === 0) return skip(name, 'nothing issued to count: no Redis, DB or ledger given', counts);
  for (const e of extras) if (off.examples.length < MAX_EXAMPLES) off.examples.push(e);
  return judge(name, off, counts, `issued ≤ stock ${stock} everywhere checked`, `more coupons than the stock of ${stock}`);
}
