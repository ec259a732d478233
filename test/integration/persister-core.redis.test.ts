// Persister semantics against real Redis (unique prefix) and SQLite, loop in-process for speed;
// persister-worker.redis.test.ts covers the worker-thread path the product uses.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { couponIdOf } from '../../src/model/coupon-id.js';
import { createRedis, type RedisClient } from '../../src/redis/client.js';
import { PERSISTER_GROUP, deadLetterKey } from '../../src/redis/keys.js';
import { openStore } from '../../src/store/open-store.js';
import { startPersister } from '../../src/store/persister.js';
import type { PersisterHandle, PersisterOptions } from '../../src/store/persister-options.js';
import type { CouponStore } from '../../src/store/store.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/env.js';
import { createTemplate, issueUsers, pendingCount, waitFor } from './persister-helpers.js';
import { testDb, type TestDb } from './store-test-db.js';

describe('persister (in-process loop, SQLite)', () => {
  let redis: RedisClient;
  let prefix: string;
  let db: TestDb;
  let store: CouponStore;
  const handles: PersisterHandle[] = [];

  const start = async (extra: Partial<PersisterOptions> = {}): Promise<PersisterHandle> => {
    const h = await startPersister({ redisUrl: REDIS_URL, dbUrl: db.url, prefix, mode: 'in-process', rescanMs: 100, blockMs: 50, ...extra });
    handles.push(h);
    return h;
  };

  beforeAll(() => {
    redis = createRedis(REDIS_URL, { role: 'worker' });
  });
  afterAll(() => redis.disconnect());
  beforeEach(async () => {
    prefix = uniquePrefix('pers');
    db = testDb('sqlite');
    store = await openStore(db.url);
  });
  afterEach(async () => {
    for (const h of handles.splice(0)) await h.stop();
    await store.close();
    await db.drop();
    await deletePrefix(REDIS_URL, prefix);
  });

  it('drains every outbox entry into the table, acks and removes them', async () => {
    const k1 = await createTemplate(redis, prefix, 1, 5000);
    await issueUsers(redis, k1, 1, 1, 3000);
    const h = await start({ batchSize: 500 });
    // A template created after start is discovered by the periodic rescan.
    const k2 = await createTemplate(redis, prefix, 2, 10);
    await issueUsers(redis, k2, 2, 100, 10);
    await waitFor('3010 rows', async () => (await store.countIssued(1)) === 3000 && (await store.countIssued(2)) === 10);
    await waitFor('empty outboxes', async () => (await redis.xlen(k1.outbox)) + (await redis.xlen(k2.outbox)) === 0);
    expect(await pendingCount(redis, k1.outbox)).toBe(0);
    await waitFor('stats', () => h.stats().persisted === 3010 && h.stats().lag === 0);
    expect(h.stats()).toMatchObject({ duplicatesIgnored: 0, deadLettered: 0, failures: 0 });
    expect(h.stats().lastCommitAt).toBeGreaterThan(0);
    const seqs: number[] = [];
    for await (const b of store.scanIssued(1)) for (const r of b) seqs.push(r.seq);
    expect(seqs).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
  });

  it('a consumer killed after reading a batch (and committing part of it) but before XACK: a new persister claims and delivers, no duplicates', async () => {
    const k = await createTemplate(redis, prefix, 1, 1000);
    await issueUsers(redis, k, 1, 1, 400);
    // The doomed consumer reads 300 entries, commits the first 120 rows, then dies before XACK.
    const res = (await redis.call('XREADGROUP', 'GROUP', PERSISTER_GROUP, 'doomed', 'COUNT', 300, 'STREAMS', k.outbox, '>')) as [
      string,
      [string, string[]][],
    ][];
    expect(res[0]![1]).toHaveLength(300);
    await store.insertIssued(
      res[0]![1].slice(0, 120).map(([, f]) => {
        const m = new Map<string, string>();
        for (let i = 0; i < f.length; i += 2) m.set(f[i]!, f[i + 1]!);
        const seq = Number(m.get('s'));
        return { couponId: couponIdOf(1, seq), templateId: 1, userId: Number(m.get('u')), seq, issuedAt: Number(m.get('t')) };
      }),
    );
    expect(await pendingCount(redis, k.outbox)).toBe(300);

    await new Promise((r) => setTimeout(r, 150)); // let the dead consumer's entries go idle
    const h = await start({ claimIdleMs: 100, batchSize: 100 });
    await waitFor('400 rows', async () => (await store.countIssued(1)) === 400);
    await waitFor('drained', async () => (await redis.xlen(k.outbox)) === 0 && (await pendingCount(redis, k.outbox)) === 0);
    await waitFor('stats', () => h.stats().persisted === 280);
    expect(h.stats().duplicatesIgnored).toBe(120);
    const seqs = new Set<number>();
    let n = 0;
    for await (const b of store.scanIssued(1)) {
      for (const r of b) {
        seqs.add(r.seq);
        n++;
      }
    }
    expect(n).toBe(400);
    expect(seqs.size).toBe(400);
  });

  it('re-reads its own pending entries on restart with the same consumer name', async () => {
    const k = await createTemplate(redis, prefix, 1, 100);
    await issueUsers(redis, k, 1, 1, 50);
    await redis.call('XREADGROUP', 'GROUP', PERSISTER_GROUP, 'steady', 'COUNT', 50, 'STREAMS', k.outbox, '>');
    expect(await pendingCount(redis, k.outbox)).toBe(50);
    // claimIdleMs is huge: only the own-pending re-read can deliver these.
    await start({ consumer: 'steady', claimIdleMs: 3_600_000 });
    await waitFor('50 rows', async () => (await store.countIssued(1)) === 50);
    await waitFor('drained', async () => (await pendingCount(redis, k.outbox)) === 0 && (await redis.xlen(k.outbox)) === 0);
  });

  it('dead-letters a malformed entry and a conflicting row after maxDeliveries, persisting the rest', async () => {
    const k = await createTemplate(redis, prefix, 1, 100);
    await issueUsers(redis, k, 1, 1, 20);
    await redis.xadd(k.outbox, '*', 'u', 'not-a-number', 's', '21', 't', '1', 'tpl', '1');
    // Same user 5 again with another seq: the UNIQUE(template_id, user_id) constraint rejects it.
    await redis.xadd(k.outbox, '*', 'u', '5', 's', '99', 't', String(Date.now()), 'tpl', '1');
    await issueUsers(redis, k, 1, 21, 5);
    const h = await start({ maxDeliveries: 3, batchSize: 50 });
    await waitFor('two dead letters', () => h.stats().deadLettered === 2);
    await waitFor('25 rows', async () => (await store.countIssued(1)) === 25);
    await waitFor('drained', async () => (await redis.xlen(k.outbox)) === 0 && (await pendingCount(redis, k.outbox)) === 0);
    const dead = (await redis.xrange(deadLetterKey(prefix, 1), '-', '+')).map(([, f]) => {
      const m = new Map<string, string>();
      for (let i = 0; i < f.length; i += 2) m.set(f[i]!, f[i + 1]!);
      return m;
    });
    expect(dead).toHaveLength(2);
    expect(dead.map((m) => m.get('u')).sort()).toEqual(['5', 'not-a-number']);
    for (const m of dead) {
      expect(Number(m.get('deliveries'))).toBeGreaterThanOrEqual(3);
      expect(m.get('reason')).toBeTruthy();
    }
    expect(dead.find((m) => m.get('u') === '5')!.get('reason')).toMatch(/UNIQUE|constraint/i);
    expect(h.stats().persisted).toBe(25);
  });

  it('stop() does not wait out a blocking read and the persister resumes from where it stopped', async () => {
    const k = await createTemplate(redis, prefix, 1, 100);
    await issueUsers(redis, k, 1, 1, 10);
    // Idle, it blocks on XREADGROUP for 10 minutes: a stop() that waited for that read would run
    // into the test's timeout, however fast or slow the machine.
    const h = await start({ blockMs: 10 * 60_000 });
    await waitFor('10 rows', async () => (await store.countIssued(1)) === 10);
    await h.stop();
    await issueUsers(redis, k, 1, 11, 10);
    await new Promise((r) => setTimeout(r, 200));
    expect(await store.countIssued(1)).toBe(10); // stopped: nothing persisted
    await start();
    await waitFor('20 rows', async () => (await store.countIssued(1)) === 20);
  });
});
