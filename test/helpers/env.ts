import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** Service URLs for integration tests, overridable through the environment. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** A key prefix of its own for one test, so test files can run in parallel against one Redis. */
export function uniquePrefix(tag = 't'): string {
  return `cbtest-${tag}-${randomUUID().slice(0, 8)}`;
}

/** Delete every key under a prefix (SCAN, never KEYS on a shared server). */
export async function deletePrefix(redisUrl: string, prefix: string): Promise<void> {
  const r = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}
