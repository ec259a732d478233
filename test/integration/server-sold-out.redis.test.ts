import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { templateKeys } from '../../src/redis/keys.js';
import { startManagedRedis, type ManagedRedis } from '../../src/redis/managed-redis.js';
import { openStore } from '../../src/store/open-store.js';
import { call, issue, putTemplate, startHarness, waitDrained, type Harness, type Reply } from './server-harness.js';

/** EVALSHA + EVAL calls Redis has served (its own count: this Redis serves only this test). */
async function scriptCalls(redis: Redis): Promise<number> {
  const info = await redis.info('commandstats');
  let n = 0;
  for (const m of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) n += Number(m[1]);
  return n;
}

async function snapshotAnswers(h: Harness): Promise<number> {
  const m = await call(h.pool, 'GET', '/metrics');
  const line = /^coupon_bench_sold_out_snapshot_answers_total (\d+)$/m.exec(m.text);
  return line ? Number(line[1]) : -1;
}

/** Issue with fresh users until one answer comes from the snapshot (bounded). */
async function waitForSnapshot(h: Harness, templateId: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  let u = 1_000_000;
  while ((await snapshotAnswers(h)) <= 0) {
    if (Date.now() > deadline) throw new Error('the sold-out snapshot never answered');
    expect((await issue(h.pool, u++, templateId)).body.code).toBe('COUPON_OUT_OF_STOCK');
  }
}

describe('serve: a sold-out template is answered from its final state', () => {
  let redis: ManagedRedis | undefined;
  let h: Harness | undefined;
  let admin: Redis | undefined;
  afterEach(async () => {
    admin?.disconnect();
    await h?.close();
    await redis?.stop();
    admin = h = redis = undefined;
  });

  async function start(over: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
    // A private Redis without persistence: its command counts are this test's alone, and a restart loses its data.
    redis = await startManagedRedis({ appendOnly: false });
    h = await startHarness({ redisUrl: redis.url, ...over }, 'soldout');
    admin = new Redis(redis.url);
    return h;
  }

  /** Sell out template 1 (stock 5) to users 1..5; returns their answers. */
  async function sellOut(s: Harness): Promise<Reply[]> {
    expect((await putTemplate(s.pool, 1, 5)).status).toBe(201);
    const won: Reply[] = [];
    for (let u = 1; u <= 5; u++) won.push(await issue(s.pool, u, 1));
    expect(won.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    return won;
  }

  it('holders get their own coupon id, everyone else sold out, with no Redis round trip', async () => {
    // The snapshot's validity pinned far beyond the test: what is counted is the snapshot's work,
    // not how fast the machine gets through 200 requests (renewal after expiry: unit test).
    // No persister either: every script call Redis counts is then an issue request's.
    const s = await start({ soldOutSnapshotTtlMs: 10 * 60_000, persister: false });
    const won = await sellOut(s);
    await waitForSnapshot(s, 1);
    const before = await scriptCalls(admin!);
    const answeredBefore = await snapshotAnswers(s);
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => issue(s.pool, (i % 100) + 1, 1)));
    for (const [i, r] of answers.entries()) {
      const u = (i % 100) + 1;
      expect(r.status).toBe(400);
      if (u <= 5) expect(r.body).toMatchObject({ code: 'COUPON_ALREADY_ISSUED', couponId: won[u - 1]!.body.couponId });
      else expect(r.body).toMatchObject({ code: 'COUPON_OUT_OF_STOCK' });
    }
    // Every one of the 200 answered from the snapshot: not one script call.
    expect((await scriptCalls(admin!)) - before).toBe(0);
    expect((await snapshotAnswers(s)) - answeredBefore).toBe(200);
    // Nothing changed in Redis: 5 issued, 5 holders.
    const k = templateKeys(s.prefix, 1);
    expect(await admin!.get(k.seq)).toBe('5');
    expect(await admin!.hlen(k.users)).toBe(5);
  });

  /** The operator removes template 1 from the database too (else the server rebuilds it from there). */
  async function wipeDb(s: Harness): Promise<void> {
    expect(await waitDrained(s, 1, 5)).toBe(5);
    const store = await openStore(s.dbUrl);
    try {
      await store.truncate();
    } finally {
      await store.close();
    }
  }

  it('Redis restarted without its data, the database kept: rebuilt from the database, answers from Redis again', async () => {
    const s = await start();
    const won = await sellOut(s);
    await waitForSnapshot(s, 1);
    expect(await waitDrained(s, 1, 5)).toBe(5);
    await redis!.stop({ keepDir: true });
    await redis!.restart();
    const deadline = Date.now() + 15_000;
    let r = await issue(s.pool, 1, 1);
    while ((r.status === 503 || r.status === 404) && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 50));
      r = await issue(s.pool, 1, 1);
    }
    expect(r).toMatchObject({ status: 400, body: { code: 'COUPON_ALREADY_ISSUED', couponId: won[0]!.body.couponId } });
    expect((await issue(s.pool, 77, 1)).body).toMatchObject({ code: 'COUPON_OUT_OF_STOCK' });
    const k = templateKeys(s.prefix, 1);
    expect(await admin!.get(k.seq)).toBe('5');
    expect(await admin!.hlen(k.users)).toBe(5);
  });

  it('Redis restarted without its data and the template gone from the database: no stale answer (404, then a new template issues again)', async () => {
    const s = await start();
    await sellOut(s);
    await waitForSnapshot(s, 1);
    await wipeDb(s);
    await redis!.stop({ keepDir: true });
    expect((await issue(s.pool, 50, 1)).status).toBe(503); // Redis down: 503, not a snapshot answer
    await redis!.restart();
    const deadline = Date.now() + 15_000;
    let r = await issue(s.pool, 1, 1);
    while (r.status === 503 && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 50));
      r = await issue(s.pool, 1, 1);
    }
    expect(r).toMatchObject({ status: 404, body: { code: 'COUPON_TEMPLATE_NOT_FOUND' } });
    expect((await putTemplate(s.pool, 1, 5)).status).toBe(201);
    expect((await issue(s.pool, 1, 1)).status).toBe(200);
  });

  it('a template deleted and created again through this server is fresh at once', async () => {
    const s = await start();
    await sellOut(s);
    await waitForSnapshot(s, 1);
    await wipeDb(s);
    const k = templateKeys(s.prefix, 1);
    await admin!.del(k.stock, k.seq, k.users, k.outbox);
    expect((await putTemplate(s.pool, 1, 5)).status).toBe(201);
    expect((await issue(s.pool, 1, 1)).status).toBe(200);
  });

  it('--no-sold-out-snapshot: every request goes to Redis', async () => {
    const s = await start({ soldOutSnapshot: false });
    await sellOut(s);
    const before = await scriptCalls(admin!);
    for (let u = 1; u <= 20; u++) expect((await issue(s.pool, u, 1)).status).toBe(400);
    expect((await scriptCalls(admin!)) - before).toBe(20);
    expect(await snapshotAnswers(s)).toBe(-1);
  });
});
