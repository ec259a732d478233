// A Redis that lost its data (restarted without persistence, or a new private redis-server) in front
// of a database that kept every persisted coupon: the server must rebuild the template from the
// database, never issue seq 1 again or a second coupon to a user who holds one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { templateKeys } from '../../src/redis/keys.js';
import { startManagedRedis, type ManagedRedis } from '../../src/redis/managed-redis.js';
import { registerScripts } from '../../src/redis/scripts.js';
import type { RunningServer, ServeOptions } from '../../src/server/serve-options.js';
import { startServer } from '../../src/server/start-server.js';
import { restoreTemplate, watchRestores, type RestoreResult } from '../../src/server/template-restore.js';
import { openStore } from '../../src/store/open-store.js';
import type { IssuedRow } from '../../src/store/store.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/env.js';
import { issue, putTemplate, type Reply } from './server-harness.js';

const dirs: string[] = [];
function sqliteUrl(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cb-restore-test-'));
  dirs.push(dir);
  return `sqlite:${join(dir, 'db.sqlite')}`;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const row = (templateId: number, userId: number, seq: number): IssuedRow => ({ couponId: `${templateId}-${seq}`, templateId, userId, seq, issuedAt: 1_700_000_000_000 + seq });

/** A database holding template 1 (stock 5) with users 11 -> seq 1 and 12 -> seq 2. */
async function seededDb(): Promise<string> {
  const dbUrl = sqliteUrl();
  const store = await openStore(dbUrl);
  try {
    await store.upsertTemplate({ templateId: 1, name: 'old', stock: 5, createdAt: 1 });
    await store.insertIssued([row(1, 11, 1), row(1, 12, 2)]);
  } finally {
    await store.close();
  }
  return dbUrl;
}

async function rows(dbUrl: string): Promise<IssuedRow[]> {
  const store = await openStore(dbUrl);
  try {
    const out: IssuedRow[] = [];
    for await (const b of store.scanIssued(1)) out.push(...b);
    return out;
  } finally {
    await store.close();
  }
}

/** Delete template 1's keys behind the server's back (Redis lost it; no reconnect says so). */
async function dropTemplate(redis: Redis, prefix: string): Promise<ReturnType<typeof templateKeys>> {
  const k = templateKeys(prefix, 1);
  await redis.del(k.stock, k.seq, k.users, k.outbox);
  return k;
}

/** Poll (bounded) until `probe` holds. */
async function until(probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return probe();
}

describe('restoreTemplate (real Redis and SQLite)', () => {
  const prefix = uniquePrefix('restore-fn');
  const redis = new Redis(REDIS_URL);
  registerScripts(redis);
  afterAll(async () => {
    await deletePrefix(REDIS_URL, prefix);
    redis.disconnect();
  });

  it('rebuilds users and seq from the database, then issuing resumes after the last seq', async () => {
    const store = await openStore(await seededDb());
    try {
      const t = (await store.getTemplate(1))!;
      expect(await restoreTemplate(redis, store, prefix, t)).toEqual({ templateId: 1, outcome: 'restored', persisted: 2, issued: 2 });
      const k = templateKeys(prefix, 1);
      expect(await redis.hgetall(k.users)).toEqual({ '11': '1', '12': '2' });
      expect(await redis.get(k.stock)).toBe('5');
      expect((await redis.xinfo('GROUPS', k.outbox)) as unknown[]).toHaveLength(1);
      expect(await redis.issue(k.stock, k.seq, k.users, k.outbox, 11, 1)).toEqual([2, 1, 0]);
      const [code, seq] = await redis.issue(k.stock, k.seq, k.users, k.outbox, 13, 1);
      expect([code, seq]).toEqual([1, 3]);
      // Present now: a second pass changes nothing.
      expect(await restoreTemplate(redis, store, prefix, t)).toEqual({ templateId: 1, outcome: 'present', persisted: 2, issued: 3 });
      expect(await redis.get(k.seq)).toBe('3');
    } finally {
      await store.close();
    }
  });

  it('repairs a Redis that holds the template but fewer coupons than the database: adds the lost holders, raises the count, never lowers or overwrites', async () => {
    const p = uniquePrefix('restore-behind');
    const store = await openStore(await seededDb());
    try {
      const k = templateKeys(p, 1);
      await redis.set(k.stock, '5');
      await redis.set(k.seq, '1');
      await redis.hset(k.users, '11', '1');
      expect(await restoreTemplate(redis, store, p, (await store.getTemplate(1))!)).toEqual({ templateId: 1, outcome: 'repaired', persisted: 2, issued: 2 });
      expect(await redis.get(k.seq)).toBe('2');
      expect(await redis.hgetall(k.users)).toEqual({ '11': '1', '12': '2' });
      expect((await redis.issue(k.stock, k.seq, k.users, k.outbox, 12, 1)).slice(0, 2)).toEqual([2, 2]);
      expect((await redis.issue(k.stock, k.seq, k.users, k.outbox, 13, 1)).slice(0, 2)).toEqual([1, 3]);
      // A Redis ahead of the database (coupons not persisted yet) is left alone.
      expect(await restoreTemplate(redis, store, p, (await store.getTemplate(1))!)).toEqual({ templateId: 1, outcome: 'present', persisted: 2, issued: 3 });
      expect(await redis.raiseSeq(k.seq, 2)).toBe(3);
      expect(await redis.get(k.seq)).toBe('3');
    } finally {
      await store.close();
      await deletePrefix(REDIS_URL, p);
    }
  });

});

describe('serve in front of a database that outlived its Redis', () => {
  let managed: ManagedRedis;
  const servers: RunningServer[] = [];
  const pools: Pool[] = [];
  beforeAll(async () => {
    managed = await startManagedRedis({ appendOnly: false });
  });
  afterEach(async () => {
    for (const p of pools.splice(0)) await p.close().catch(() => undefined);
    for (const s of servers.splice(0)) await s.stop();
  });
  afterAll(async () => {
    await managed?.stop();
  });

  async function serve(dbUrl: string, prefix: string, over: Partial<ServeOptions> = {}): Promise<{ server: RunningServer; pool: Pool }> {
    const server = await startServer({ host: '127.0.0.1', port: 0, redisUrl: managed.url, dbUrl, prefix, redisTimeoutMs: 2000, ...over });
    servers.push(server);
    const pool = new Pool(server.url, { connections: 8 });
    pools.push(pool);
    return { server, pool };
  }

  it('rebuilds the template at start: old holders stay refused, new users get the next seqs, the stock stays', async () => {
    const dbUrl = await seededDb();
    const restored: RestoreResult[] = [];
    const { pool } = await serve(dbUrl, uniquePrefix('restore-start'), { onRestore: (r) => restored.push(r) });
    expect(restored).toEqual([{ templateId: 1, outcome: 'restored', persisted: 2, issued: 2 }]);

    const again: Reply = await issue(pool, 12, 1);
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ code: 'COUPON_ALREADY_ISSUED', couponId: '1-2' });
    const fresh = await issue(pool, 13, 1);
    expect(fresh.status).toBe(200);
    expect(fresh.body).toMatchObject({ couponId: '1-3', seq: 3 });

    // Creating it again confirms it, with the database's stock; another stock is a conflict.
    const same = await putTemplate(pool, 1, 5);
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ created: false, stock: 5, issued: 3 });
    const other = await putTemplate(pool, 1, 7);
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({ code: 'COUPON_TEMPLATE_CONFLICT', stock: 5 });

    expect(await until(async () => (await rows(dbUrl)).length === 3)).toBe(true);
    expect((await rows(dbUrl)).map((r) => [r.userId, r.seq])).toEqual([
      [11, 1],
      [12, 2],
      [13, 3],
    ]);
  });

  it('a template only the database knows, with another stock: PUT is a conflict and Redis stays untouched', async () => {
    const dbUrl = await seededDb();
    const prefix = uniquePrefix('restore-put');
    const { pool } = await serve(dbUrl, prefix);
    const probe = new Redis(managed.url);
    try {
      // Redis loses the template while the server runs (and no reconnect tells the server).
      const k = await dropTemplate(probe, prefix);
      const put = await putTemplate(pool, 1, 50);
      expect(put.status).toBe(409);
      expect(put.body).toMatchObject({ code: 'COUPON_TEMPLATE_CONFLICT', stock: 5 });
      expect(await probe.exists(k.stock, k.seq, k.users, k.outbox)).toBe(0);
      // With the database's stock the same call rebuilds it first: no seq is handed out twice.
      const ok = await putTemplate(pool, 1, 5);
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ created: false, issued: 2 });
      expect((await issue(pool, 14, 1)).body).toMatchObject({ seq: 3 });
    } finally {
      probe.disconnect();
    }
  });

  it('a known template Redis lost (no reconnect told the server) answers 503, not 404, and is put back by itself', async () => {
    const dbUrl = await seededDb();
    const prefix = uniquePrefix('restore-lost');
    const restored: RestoreResult[] = [];
    const { pool } = await serve(dbUrl, prefix, { onRestore: (r) => restored.push(r) });
    restored.length = 0;
    const probe = new Redis(managed.url);
    try {
      await dropTemplate(probe, prefix);
      const first = await issue(pool, 17, 1);
      expect(first.status).toBe(503);
      expect(first.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      expect(first.headers['retry-after']).toBeDefined();
      let r = first;
      for (let i = 0; i < 100 && r.status === 503; i++) {
        await new Promise((res) => setTimeout(res, 20));
        r = await issue(pool, 17, 1);
      }
      // the database's two holders are back: the next seq is 3, never 1 again
      expect(r.body).toMatchObject({ couponId: '1-3', seq: 3 });
      expect(restored).toEqual([{ templateId: 1, outcome: 'restored', persisted: 2, issued: 2 }]);
      // a template nobody created stays a 404
      expect((await issue(pool, 17, 99)).status).toBe(404);
    } finally {
      probe.disconnect();
    }
  });

  it('rebuilds after Redis comes back empty while the server runs', async () => {
    const dbUrl = await seededDb();
    const prefix = uniquePrefix('restore-reconnect');
    const restored: RestoreResult[] = [];
    const { pool } = await serve(dbUrl, prefix, { onRestore: (r) => restored.push(r) });
    expect((await issue(pool, 15, 1)).body).toMatchObject({ seq: 3 });
    expect(await until(async () => (await rows(dbUrl)).length === 3)).toBe(true);
    restored.length = 0;

    await managed.kill(); // no persistence: it comes back empty
    await managed.restart();
    expect(await until(async () => restored.length > 0)).toBe(true);
    expect(restored[0]).toEqual({ templateId: 1, outcome: 'restored', persisted: 3, issued: 3 });
    let r = await issue(pool, 15, 1);
    for (let i = 0; i < 100 && r.status === 503; i++) r = await issue(pool, 15, 1);
    expect(r.body).toMatchObject({ code: 'COUPON_ALREADY_ISSUED', couponId: '1-3' });
    expect((await issue(pool, 16, 1)).body).toMatchObject({ seq: 4 });
  });
});

describe('watchRestores after a reconnect (real Redis restarted empty)', () => {
  let managed: ManagedRedis;
  let redis: Redis;
  beforeAll(async () => {
    managed = await startManagedRedis({ appendOnly: false });
    redis = new Redis(managed.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    redis.on('error', () => undefined);
    registerScripts(redis);
  });
  afterAll(async () => {
    redis?.disconnect();
    await managed?.stop();
  });

  it('scans the database only once the fence opens (a commit the persister had in hand counts), and retries a pass that failed', async () => {
    const store = await openStore(await seededDb());
    const results: RestoreResult[] = [];
    const errors: unknown[] = [];
    let failNext = false;
    const flaky = new Proxy(store, {
      get(target, key, receiver) {
        if (key === 'listTemplates' && failNext) {
          failNext = false;
          return () => Promise.reject(new Error('database hiccup'));
        }
        const v = Reflect.get(target, key, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    let fenced = 0;
    const w = watchRestores(redis, flaky, 'wr', {
      onResult: (r) => results.push(r),
      onError: (err) => errors.push(err),
      // The persister's last batch lands while the pass waits: user 13 got seq 3 before Redis went away.
      fence: async () => {
        if (fenced++ === 0) await store.insertIssued([row(1, 13, 3)]);
      },
    });
    try {
      await w.first;
      expect(results).toEqual([{ templateId: 1, outcome: 'restored', persisted: 2, issued: 2 }]);

      await managed.kill();
      await managed.restart(); // empty again
      expect(await until(async () => results.length === 2)).toBe(true);
      expect(results[1]).toEqual({ templateId: 1, outcome: 'restored', persisted: 3, issued: 3 });
      const k = templateKeys('wr', 1);
      expect(await redis.hget(k.users, '13')).toBe('3');
      expect((await redis.issue(k.stock, k.seq, k.users, k.outbox, 14, 1)).slice(0, 2)).toEqual([1, 4]);

      // A pass whose database read fails is tried again by itself, not only at the next reconnect.
      failNext = true;
      await managed.kill();
      await managed.restart();
      expect(await until(async () => results.length === 3)).toBe(true);
      expect(errors.map((e) => (e as Error).message)).toEqual(['database hiccup']);
      expect(results[2]).toMatchObject({ templateId: 1, outcome: 'restored', persisted: 3 });
    } finally {
      w.stop();
      await store.close();
    }
  });
});
