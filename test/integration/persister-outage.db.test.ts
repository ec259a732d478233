// Database outage: the persister talks to PostgreSQL / MariaDB through a TCP proxy this test cuts and
// restores (the machine's shared servers keep running). Issuance goes on in Redis, the persister retries
// with capped backoff and reports failures and lag, and everything drains once the database is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, type RedisClient } from '../../src/redis/client.js';
import { openStore } from '../../src/store/open-store.js';
import { startPersister } from '../../src/store/persister.js';
import type { PersisterHandle, PersisterOptions } from '../../src/store/persister-options.js';
import type { CouponStore, StoreEngine } from '../../src/store/store.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/env.js';
import { createTemplate, issueUsers, pendingCount, waitFor } from './persister-helpers.js';
import { startProxy, testDb, type CuttableProxy, type TestDb } from './store-test-db.js';

/** A persister writing to `db` through a cuttable proxy, and a direct connection for checking. */
async function proxiedPersister(
  db: TestDb,
  prefix: string,
  over: Partial<PersisterOptions>,
): Promise<{ proxy: CuttableProxy; store: CouponStore; h: PersisterHandle; close: () => Promise<void> }> {
  const proxy = await startProxy(db.host, db.port);
  const store = await openStore(db.url);
  const h = await startPersister({ redisUrl: REDIS_URL, dbUrl: db.viaPort(proxy.port), prefix, mode: 'in-process', batchSize: 200, rescanMs: 100, blockMs: 50, ...over });
  const close = async (): Promise<void> => {
    await h.stop();
    await store.close();
    await proxy.close();
  };
  return { proxy, store, h, close };
}

/** Wait until the outbox is drained into the table, then check it holds seqs 1..n exactly once. */
async function expectDrained(redis: RedisClient, store: CouponStore, outbox: string, n: number): Promise<void> {
  await waitFor(`all ${n} rows`, async () => (await store.countIssued(1)) === n, 30_000);
  await waitFor('drained', async () => (await redis.xlen(outbox)) === 0 && (await pendingCount(redis, outbox)) === 0);
  const seqs: number[] = [];
  for await (const b of store.scanIssued(1)) for (const r of b) seqs.push(r.seq);
  expect(seqs).toEqual(Array.from({ length: n }, (_, i) => i + 1));
}

describe.each<StoreEngine>(['postgres', 'mysql'])('%s outage through a cuttable proxy', (engine) => {
  let redis: RedisClient;
  const prefix = uniquePrefix(`out-${engine}`);
  const db = testDb(engine);

  beforeAll(() => {
    redis = createRedis(REDIS_URL, { role: 'worker' });
  });
  afterAll(async () => {
    redis.disconnect();
    await db.drop();
    await deletePrefix(REDIS_URL, prefix);
  });

  it('keeps retrying while the database is away, never drops, then drains everything', async () => {
    const { proxy, store, h, close } = await proxiedPersister(db, prefix, { maxBackoffMs: 300 });
    try {
      const k = await createTemplate(redis, prefix, 1, 2000);
      await issueUsers(redis, k, 1, 1, 300);
      await waitFor('first 300 rows', async () => (await store.countIssued(1)) === 300);
      // ... and the persister saw them commit: a commit whose answer the cut swallows is retried
      // (idempotent), and its entries would count in the lag below.
      await waitFor('first 300 acknowledged', async () => (await redis.xlen(k.outbox)) === 0 && (await pendingCount(redis, k.outbox)) === 0);

      await proxy.cut();
      await issueUsers(redis, k, 1, 301, 700); // issuance goes on: RedisClient is the gate
      await waitFor('failures reported', () => h.stats().failures >= 2);
      await waitFor('lag reported', () => h.stats().lag === 700);
      // A batch in hand that cannot commit yet: busy, as fresh figures say (a Redis restore waits on it).
      const heldAt = Date.now();
      await waitFor('fresh figures', () => (h.stats().at ?? 0) > heldAt);
      expect(h.stats().busy).toBe(true);
      expect(await store.countIssued(1)).toBe(300);
      expect(h.stats().lastError).toBeTruthy();
      expect(h.stats().deadLettered).toBe(0); // an outage is never a reason to dead-letter

      await proxy.restore();
      await expectDrained(redis, store, k.outbox, 1000);
      await waitFor('healthy stats', () => h.stats().failures === 0 && h.stats().lag === 0);
      await waitFor('no batch in hand', () => h.stats().busy === false);
      expect(h.stats().persisted + h.stats().duplicatesIgnored).toBeGreaterThanOrEqual(1000);
      expect(h.stats().deadLettered).toBe(0);
      expect(Number(await redis.hlen(k.users))).toBe(1000);
    } finally {
      await close();
    }
  });
});

describe('persister with waitForDb (database down at start)', () => {
  it('starts anyway, reports the failures, and persists once the database answers', async () => {
    const redis = createRedis(REDIS_URL, { role: 'worker' });
    const prefix = uniquePrefix('pwait');
    const db = testDb('postgres');
    const proxy = await startProxy(db.host, db.port);
    const proxyPort = proxy.port;
    await proxy.cut();
    try {
      const k = await createTemplate(redis, prefix, 1, 100);
      await issueUsers(redis, k, 1, 1, 50);
      const h = await startPersister({ redisUrl: REDIS_URL, dbUrl: db.viaPort(proxyPort), prefix, rescanMs: 200, maxBackoffMs: 200, waitForDb: true, mode: 'in-process' });
      try {
        await waitFor('failures reported', () => h.stats().failures >= 2, 15_000);
        expect(h.stats().persisted).toBe(0);
        expect(h.stats().lastError).toBeTruthy();
        await proxy.restore();
        await waitFor('rows persisted after the database came back', () => h.stats().persisted === 50, 20_000);
        expect(h.stats().failures).toBe(0);
      } finally {
        await h.stop();
      }
    } finally {
      await proxy.close();
      redis.disconnect();
      await db.drop();
      await deletePrefix(REDIS_URL, prefix);
    }
  }, 60_000);
});

describe('persister worker killed while the database is down', () => {
  it('is restarted under the same consumer name, waits out the database, and persists everything exactly once', async () => {
    const redis = createRedis(REDIS_URL, { role: 'worker' });
    const prefix = uniquePrefix('pkill');
    const db = testDb('postgres');
    // claimIdleMs is huge: only the restarted worker's re-read of its own pending list can deliver
    // what the killed one held.
    const { proxy, store, h, close } = await proxiedPersister(db, prefix, { mode: 'worker', maxBackoffMs: 200, claimIdleMs: 3_600_000 });
    try {
      const k = await createTemplate(redis, prefix, 1, 1000);
      await issueUsers(redis, k, 1, 1, 200);
      await waitFor('first 200 rows', async () => (await store.countIssued(1)) === 200);

      await proxy.cut();
      await issueUsers(redis, k, 1, 201, 300);
      await waitFor('the worker holds entries it cannot write', async () => h.stats().failures >= 1 && (await pendingCount(redis, k.outbox)) > 0);
      await h.killWorker!();
      await waitFor('the host noticed', () => /exited unexpectedly/.test(h.stats().lastError ?? ''));
      // The restart comes while the database is still away: the new worker starts anyway and retries.
      await waitFor('the restarted worker reports the database away', () => /cannot reach PostgreSQL/.test(h.stats().lastError ?? ''), 15_000);
      await new Promise((r) => setTimeout(r, 300)); // still away: still the worker's own retries
      expect(h.stats().lastError).toMatch(/cannot reach PostgreSQL/);
      expect(h.stats().lastError).not.toMatch(/restart failed/);
      expect(await store.countIssued(1)).toBe(200);

      await proxy.restore();
      await expectDrained(redis, store, k.outbox, 500);
      await waitFor('healthy stats', () => h.stats().failures === 0);
      // One consumer name over both workers.
      const consumers = (await redis.call('XINFO', 'CONSUMERS', k.outbox, 'persister')) as unknown[][];
      expect(consumers).toHaveLength(1);
    } finally {
      await close();
      redis.disconnect();
      await db.drop();
      await deletePrefix(REDIS_URL, prefix);
    }
  }, 60_000);
});
