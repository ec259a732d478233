import { existsSync } from 'node:fs';
import { CouponBenchError, HarnessInvalidError } from '../../errors.js';
import type { ForeignStoreFlags } from '../../model/foreign-stores.js';
import { foreignKeyFor, hasForeignRedis } from '../../verify/foreign-keys.js';
import type { RunReport } from '../../model/report.js';
import { DEFAULT_PREFIX, templateKeys } from '../../redis/keys.js';
import { redisRefusal } from '../../redis/refusal.js';
import type { RedisClient } from '../../redis/client.js';
import { sqlitePathOf } from '../../store/db-url.js';
import { redactUrl } from '../../shared/redact-url.js';

/**
 * A template that already has coupons would have an earlier run's coupons audited as this run's:
 * no-phantom, no-lied-refusal and unknown-bounded would fail a correct server (exit 100). That is a
 * harness that cannot give a valid verdict (exit 97), not a finding about the target.
 */
export function templateNotFreshError(flag: string, templateId: number, where: string, inRedis: number, inDb: number): HarnessInvalidError {
  return new HarnessInvalidError(
    `${flag}: template ${templateId} ${where} already has coupons (${inRedis} issued in Redis, ${inDb} in the database), ` +
      "which this run's audit would count as its own; start from fresh stores: another --prefix and a fresh database " +
      '(or schema), or other template ids in the scenario',
    'E_TEMPLATE_NOT_FRESH',
  );
}

/**
 * Before the load of a run that names the target's stores (--redis/--db, for verify) without
 * --setup: read each template's issued count in Redis (bundled key layout) and its rows in the
 * database, and refuse (97) a template that already has coupons. A store that does not answer is
 * not judged here: verify says so after the run. A database that does not exist yet is fresh.
 */
export async function assertStoresFresh(stores: NonNullable<RunReport['stores']>, templateIds: readonly number[], dbQuery = stores.dbQuery): Promise<void> {
  const foreignRedis = hasForeignRedis(stores);
  const inRedis =
    stores.redis === undefined
      ? undefined
      : foreignRedis
        ? await foreignHolders(stores.redis, stores, templateIds)
        : await redisIssued(stores.redis, stores.prefix, templateIds);
  const inDb = stores.db !== undefined ? await dbRows(stores.db, templateIds, dbQuery) : undefined;
  for (const id of templateIds) {
    const r = inRedis?.get(id) ?? 0;
    const d = inDb?.get(id) ?? 0;
    if (r > 0 || d > 0) {
      const redisWhere = foreignRedis ? (stores.redisUsersKey !== undefined ? `in ${stores.redisUsersKey}` : '') : `under prefix "${stores.prefix ?? DEFAULT_PREFIX}"`;
      const where = [stores.redis !== undefined ? redisWhere : '', stores.db !== undefined ? `in ${redactUrl(stores.db)}${stores.dbQuery !== undefined ? ' (--db-query)' : ''}` : '']
        .filter(Boolean)
        .join(' and ');
      throw templateNotFreshError('--redis/--db without --setup', id, where, r, d);
    }
  }
}

/**
 * Before the load of a run whose audit reads the stores it names: another service's database is
 * never read (nor its schema created) as ours without --db-query: one line now (E_DB_QUERY), not a
 * crash after the load.
 */
export async function assertStoresReadable(stores: NonNullable<RunReport['stores']>): Promise<void> {
  if (stores.db === undefined || stores.dbQuery !== undefined) return;
  const { assertBundledSchema } = await import('../../verify/bundled-schema.js');
  await assertBundledSchema(stores.db);
}

/**
 * Read Redis for the freshness check: a refused login or database index is the flags' fault (an
 * error now, before the load, not after it); a Redis that does not answer is left to the audit.
 */
async function readRedis<T>(url: string, read: (redis: RedisClient) => Promise<T>): Promise<T | undefined> {
  const { connectRedis } = await import('../../verify/connect-redis.js');
  let redis: RedisClient;
  try {
    redis = await connectRedis(url);
  } catch (err) {
    const refused = redisRefusal(redactUrl(url), (err as Error).message);
    if (refused) throw refused;
    return undefined;
  }
  try {
    return await read(redis);
  } catch (err) {
    if (err instanceof CouponBenchError) throw err;
    return undefined;
  } finally {
    redis.disconnect();
  }
}

/** Issued count per template: the larger of the seq counter and the holders hash (either may be left alone by a foreign writer). */
function redisIssued(url: string, prefix: string | undefined, ids: readonly number[]): Promise<Map<number, number> | undefined> {
  return readRedis(url, async (redis) => {
    const out = new Map<number, number>();
    for (const id of ids) {
      const k = templateKeys(prefix ?? DEFAULT_PREFIX, id);
      const [seq, holders] = await Promise.all([redis.get(k.seq), redis.hlen(k.users)]);
      out.set(id, Math.max(Number(seq) || 0, holders));
    }
    return out;
  });
}

/**
 * Holders per template in another team's Redis (--redis-users-key); without that key nothing there
 * says who holds a coupon (a remaining counter starts at any stock), so nothing is counted.
 */
async function foreignHolders(url: string, f: ForeignStoreFlags, ids: readonly number[]): Promise<Map<number, number> | undefined> {
  const usersKey = f.redisUsersKey;
  if (usersKey === undefined) return undefined;
  const { scanHolders } = await import('../../verify/read-foreign-redis.js');
  return readRedis(url, async (redis) => {
    const out = new Map<number, number>();
    for (const id of ids) {
      const { users, malformed } = await scanHolders(redis, foreignKeyFor('--redis-users-key', usersKey, id, ids.length > 1));
      out.set(id, users.size + malformed);
    }
    return out;
  });
}

async function dbRows(url: string, ids: readonly number[], dbQuery: string | undefined): Promise<Map<number, number> | undefined> {
  const sqlitePath = sqlitePathOf(url);
  // Opening a missing SQLite file would create it: a database not there yet holds nothing.
  if (sqlitePath !== undefined && !existsSync(sqlitePath)) return undefined;
  if (dbQuery !== undefined) return queryRows(url, dbQuery, ids);
  const { openStore } = await import('../../store/open-store.js');
  let store;
  try {
    store = await openStore(url);
  } catch {
    return undefined;
  }
  try {
    const out = new Map<number, number>();
    for (const id of ids) out.set(id, await store.countIssued(id));
    return out;
  } catch {
    return undefined;
  } finally {
    await store.close();
  }
}

/**
 * Rows per template through the user's --db-query: the query's columns are checked here, before
 * the load (E_DB_QUERY, exit 1); a database that does not answer is left to the audit.
 */
async function queryRows(url: string, dbQuery: string, ids: readonly number[]): Promise<Map<number, number> | undefined> {
  const { readQueryTemplate } = await import('../../verify/read-db.js');
  const out = new Map<number, number>();
  try {
    for (const id of ids) out.set(id, (await readQueryTemplate(url, dbQuery, id)).rows);
  } catch (err) {
    if (err instanceof CouponBenchError && err.code === 'E_DB_QUERY' && !/ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|connect/i.test(err.message)) throw err;
    return undefined;
  }
  return out;
}
