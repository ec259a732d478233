import type { InvariantResult } from '../../model/verdict.js';
import type { TemplateSnapshot } from '../snapshot.js';
import { Offences, judge, skip } from './result.js';

/** `redis-db-match`: the Redis users hash and the DB rows are the same set of (user, seq). */
export function redisDbMatch(s: TemplateSnapshot): InvariantResult {
  const name = 'redis-db-match';
  const redis = s.redis?.users;
  if (!redis) return skip(name, `Redis users hash not read: ${s.redisMissing ?? 'no bundled Redis layout'}`);
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
      off.add(`user ${user}: Redis seq ${seq}, no DB row`);
    } else if (dbSeq !== 0 && dbSeq !== seq) {
      seqMismatch++;
      off.add(`user ${user}: Redis seq ${seq}, DB seq ${dbSeq}`);
    }
  }
  for (const [user, seq] of db) {
    if (!redis.has(user)) {
      onlyDb++;
      off.add(`user ${user}: DB seq ${seq}, not in Redis`);
    }
  }
  const counts = { redisHolders: redis.size, dbHolders: db.size, onlyRedis, onlyDb, seqMismatch };
  return judge(name, off, counts, `${redis.size} holders, same (user, seq) in both`, `Redis and DB disagree`);
}
