import { UsageError } from '../errors.js';
import type { RedisClient } from '../redis/client.js';
import { foreignKeyFor } from './foreign-keys.js';
import type { ForeignStoreFlags } from '../model/foreign-stores.js';
import type { RedisSnapshot } from './snapshot.js';

/** Members or fields per SSCAN/HSCAN round trip. */
const SCAN_COUNT = 20_000;

function toInt(v: string | null): number | undefined {
  if (v === null) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The holders of a foreign users key: a SET's members or a HASH's fields are user ids (a hash's
 * values, whatever the service keeps there, are not compared). Seq is unknown (0). Members that
 * are not positive integers are counted as malformed. A missing key holds nobody.
 */
export async function scanHolders(redis: RedisClient, key: string): Promise<{ users: Map<number, number>; malformed: number; type: string }> {
  const type = await redis.type(key);
  const users = new Map<number, number>();
  let malformed = 0;
  const take = (member: string): void => {
    const user = Number(member);
    if (!Number.isSafeInteger(user) || user <= 0) malformed++;
    else users.set(user, 0);
  };
  if (type === 'set') {
    let cursor = '0';
    do {
      const [next, members] = await redis.sscan(key, cursor, 'COUNT', SCAN_COUNT);
      cursor = next;
      for (const m of members) take(m);
    } while (cursor !== '0');
  } else if (type === 'hash') {
    let cursor = '0';
    do {
      const [next, flat] = await redis.hscan(key, cursor, 'COUNT', SCAN_COUNT);
      cursor = next;
      for (let i = 0; i < flat.length; i += 2) take(flat[i]!);
    } while (cursor !== '0');
  } else if (type !== 'none') {
    throw new UsageError(`--redis-users-key: ${key} is a ${type}; expected a SET or a HASH of user ids`, 'E_USAGE');
  }
  return { users, malformed, type };
}

/** An integer key (stock limit or remaining counter); anything else is a usage error, not a guess. */
async function readIntKey(redis: RedisClient, flag: string, key: string): Promise<number | undefined> {
  const raw = await redis.get(key).catch((err: Error) => {
    if (/WRONGTYPE/.test(err.message)) throw new UsageError(`${flag}: ${key} is not a string key holding an integer`, 'E_USAGE');
    throw err;
  });
  const n = toInt(raw);
  if (raw !== null && n === undefined) throw new UsageError(`${flag}: ${key} holds ${JSON.stringify(raw.slice(0, 40))}, not an integer`, 'E_USAGE');
  return n;
}

/** Snapshot of one template in another team's Redis: the keys its flags name, nothing else. */
export async function readForeignRedis(redis: RedisClient, f: ForeignStoreFlags, templateId: number, multiple: boolean): Promise<RedisSnapshot> {
  const snap: RedisSnapshot = { foreign: true };
  if (f.redisStockKey !== undefined) snap.stock = await readIntKey(redis, '--redis-stock-key', foreignKeyFor('--redis-stock-key', f.redisStockKey, templateId, multiple));
  if (f.redisRemainingKey !== undefined) {
    snap.remaining = await readIntKey(redis, '--redis-remaining-key', foreignKeyFor('--redis-remaining-key', f.redisRemainingKey, templateId, multiple));
  }
  if (f.redisUsersKey !== undefined) {
    const { users, malformed } = await scanHolders(redis, foreignKeyFor('--redis-users-key', f.redisUsersKey, templateId, multiple));
    snap.users = users;
    snap.malformedUsers = malformed;
  }
  return snap;
}
