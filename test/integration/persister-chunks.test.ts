// The persister never holds Redis for long: it reads and acks at most REDIS_CHUNK outbox entries per
// command (Redis runs one command at a time, so a 2,000-entry read made every issue request wait
// behind it), while its database batches still gather several reads. Checked with MONITOR on a
// private redis-server, so only this test's commands are seen.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis } from '../../src/redis/client.js';
import { startManagedRedis, type ManagedRedis } from '../../src/redis/managed-redis.js';
import { openStore } from '../../src/store/open-store.js';
import { REDIS_CHUNK } from '../../src/store/persister-context.js';
import { startPersister } from '../../src/store/persister.js';
import { createTemplate, issueUsers, waitFor } from './persister-helpers.js';
import { testDb } from './store-test-db.js';

let managed: ManagedRedis;
const db = testDb('sqlite');
beforeAll(async () => {
  managed = await startManagedRedis({ appendOnly: false });
});
afterAll(async () => {
  await managed.stop();
  await db.drop();
});

describe('persister commands on Redis', () => {
  it(`reads and acks at most ${REDIS_CHUNK} entries a command, and persists every entry once`, async () => {
    const redis = createRedis(managed.url, { role: 'worker' });
    const monitorClient = new Redis(managed.url);
    const seen: string[][] = [];
    try {
      const k = await createTemplate(redis, 'chunk', 1, 5000);
      await issueUsers(redis, k, 1, 1, 1200); // a backlog: the first read finds all of it
      const monitor = await monitorClient.monitor();
      monitor.on('monitor', (_time: string, args: string[]) => seen.push(args));
      const store = await openStore(db.url);
      const h = await startPersister({ redisUrl: managed.url, dbUrl: db.url, prefix: 'chunk', mode: 'in-process', batchSize: 2000, rescanMs: 100 });
      try {
        await waitFor('1,200 rows', async () => (await store.countIssued(1)) === 1200);
        await waitFor('outbox acked and trimmed', async () => (await redis.xlen(k.outbox)) === 0);
      } finally {
        await h.stop();
        await store.close();
      }
      monitor.disconnect();
      const upper = (a: string[]) => (a[0] ?? '').toUpperCase();
      const reads = seen.filter((a) => upper(a) === 'XREADGROUP' && a.includes('>'));
      const counts = reads.map((a) => Number(a[a.findIndex((x) => x.toUpperCase() === 'COUNT') + 1]));
      expect(reads.length).toBeGreaterThanOrEqual(Math.ceil(1200 / REDIS_CHUNK));
      expect(Math.max(...counts)).toBeLessThanOrEqual(REDIS_CHUNK);
      // Acks: plain XACKs and the ack-and-trim script (EVALSHA, or EVAL the first time), each with at
      // most REDIS_CHUNK ids, covering all 1,200 entries.
      const xacks = seen.filter((a) => upper(a) === 'XACK' && a[1] === k.outbox).map((a) => a.slice(3));
      const scripts = seen.filter((a) => (upper(a) === 'EVALSHA' || upper(a) === 'EVAL') && a[3] === k.outbox).map((a) => a.slice(5));
      expect(Math.max(...[...xacks, ...scripts].map((ids) => ids.length))).toBeLessThanOrEqual(REDIS_CHUNK);
      expect(new Set([...xacks, ...scripts].flat()).size).toBe(1200);
    } finally {
      monitorClient.disconnect();
      redis.disconnect();
    }
  });
});
