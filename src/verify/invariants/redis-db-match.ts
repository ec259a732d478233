import type { InvariantResult } from '../../model/verdict.js';
import type { TemplateSnapshot } from '../snapshot.js';
import { Offences, judge, skip } from './result.js';
import { couponLabel } from '../coupon-label.js';

/** `redis-db-match`: the Redis users hash and the DB rows are the same set of (user, seq). */
export function redisDbMatch(s: TemplateSnapshot): InvariantResult {
  const name = 'redis-db-match';
  const redis = s.redis?.users;
  if (!redis) {
    const why = s.redis?.foreign ? 'name its holders with --redis-users-key' : (s.redisMissing ?? 'no bundled Redis layout');
    return skip(name, `Redis holders not read: ${why}`);
  }
  if (!s.db) return skip(name, `DB not read: ${s.dbMissing ?? 'no --db'}`);
  const db = s.db.users;
  const off = new Offences();
  let onlyRedis = 0;
  let onlyDb = 0;
  let seqMismatch = 0;
  for (const [user, seq] of redis) {
    const dbSeq = db.get(user);
    if (dbSeq === undefined) {
      onlyRedis++;
      off.add(`user ${user}: in Redis${seq ? ` (seq ${seq})` : ''}, no DB row`);
    } else if (dbSeq !== 0 && seq !== 0 && dbSeq !== seq) {
      seqMismatch++;
      off.add(`user ${user}: Redis seq ${seq}, DB seq ${dbSeq}`);
    }
  }
  for (const [user, seq] of db) {
    if (!redis.has(user)) {
      onlyDb++;
      off.add(`user ${user}: DB holds ${couponLabel(seq, s.db.coupons?.get(user))}, not in Redis`);
    }
  }
  const counts = { redisHolders: redis.size, dbHolders: db.size, onlyRedis, onlyDb, seqMismatch };
  const same = s.redis?.foreign ? 'same users in both' : 'same (user, seq) in both';
  return judge(name, off, counts, `${redis.size} holders, ${same}`, `Redis and DB disagree`);
}
