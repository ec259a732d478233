import { UsageError } from '../errors.js';
import type { ForeignStoreFlags } from '../model/foreign-stores.js';

/** The Redis key flags, for messages. */
export const FOREIGN_REDIS_FLAGS = [
  ['redisStockKey', '--redis-stock-key'],
  ['redisRemainingKey', '--redis-remaining-key'],
  ['redisUsersKey', '--redis-users-key'],
] as const;

/** True when any flag names a foreign Redis layout (the bundled keys under --prefix are then not read). */
export function hasForeignRedis(f: ForeignStoreFlags): boolean {
  return FOREIGN_REDIS_FLAGS.some(([k]) => f[k] !== undefined);
}

/** True when the target is another team's service: its stores are read through these flags. */
export function isForeign(f: ForeignStoreFlags): boolean {
  return f.dbQuery !== undefined || hasForeignRedis(f);
}

/**
 * Check the flags' combinations before anything runs: Redis keys need --redis, a query needs a
 * database, a limit and a remaining counter contradict each other, and an empty key is a typo.
 */
export function checkForeignFlags(f: ForeignStoreFlags, has: { redis: boolean; db: boolean }): void {
  for (const [k, flag] of FOREIGN_REDIS_FLAGS) {
    const v = f[k];
    if (v === undefined) continue;
    if (v.trim() === '') throw new UsageError(`${flag}: empty key`, 'E_USAGE');
    if (!has.redis) throw new UsageError(`${flag} needs --redis <url>`, 'E_USAGE');
  }
  if (f.redisStockKey !== undefined && f.redisRemainingKey !== undefined) {
    throw new UsageError('--redis-stock-key (a limit) and --redis-remaining-key (what is left) name the same thing two ways: give one', 'E_USAGE');
  }
  if (f.dbQuery !== undefined) {
    if (f.dbQuery.trim() === '') throw new UsageError('--db-query: empty query', 'E_DB_QUERY');
    if (!has.db) throw new UsageError('--db-query needs --db <url> (the database to run it on)', 'E_DB_QUERY');
  }
}

/** Replace the `{template}` (or `{id}`) placeholder of a user-given key. */
export function foreignKeyFor(flag: string, pattern: string, templateId: number, multiple: boolean): string {
  if (/\{(template|id)\}/.test(pattern)) return pattern.replace(/\{(template|id)\}/g, String(templateId));
  if (multiple) throw new UsageError(`${flag}: several templates need a {template} placeholder in the key`, 'E_USAGE');
  return pattern;
}
