// The concurrency test of `serve` on every database engine: SQLite temp file, a PostgreSQL schema
// and a MariaDB/MySQL database of its own, each created and dropped by this test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { templateKeys } from '../../src/redis/keys.js';
import { createTemplate } from '../../src/server/admin-client.js';
import { openStore } from '../../src/store/open-store.js';
import type { IssuedRow, StoreEngine } from '../../src/store/store.js';
import { ENGINES, startEngineHarness, type EngineHarness } from './engines-harness.js';
import { call, issue, waitDrained } from './server-harness.js';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe.each<StoreEngine>(ENGINES)('serve on %s: concurrent issuing', (engine) => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness(engine, {}, 'conc');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('2,000 concurrent requests from 500 users for a stock of 50: exactly 50 issued, no user twice, Redis == DB == 50', async () => {
    await createTemplate(h.server.url, 1, 50);
    const users = Array.from({ length: 2000 }, (_, i) => (i % 500) + 1);
    const replies = await Promise.all(users.map((u) => issue(h.pool, u, 1)));

    const kinds = new Set(replies.map((r) => `${r.status} ${String(r.body.code ?? 'issued')}`));
    expect([...kinds].filter((k) => !['200 issued', '400 COUPON_OUT_OF_STOCK', '400 COUPON_ALREADY_ISSUED'].includes(k))).toEqual([]);
    const issued = replies.filter((r) => r.status === 200);
    expect(issued).toHaveLength(50);
    const winners = new Map(issued.map((r) => [r.body.userId as number, r.body.couponId as string]));
    expect(winners.size).toBe(50);
    expect(issued.map((r) => r.body.seq as number).sort((a, b) => a - b)).toEqual(range(50));

    const k = templateKeys(h.prefix, 1);
    expect(Number(await h.redis.get(k.seq))).toBe(50);
    expect(await h.redis.hlen(k.users)).toBe(50);
    // Once drained, the engine's table holds exactly the 50 coupons the clients were told about.
    expect(await waitDrained(h, 1, 50)).toBe(50);
    const redisUsers = await h.redis.hgetall(k.users);
    const store = await openStore(h.db.url);
    let rows: IssuedRow[] = [];
    try {
      for await (const b of store.scanIssued(1)) rows = rows.concat(b);
      expect(await store.countIssued(1)).toBe(50);
    } finally {
      await store.close();
    }
    expect(rows.map((r) => r.seq)).toEqual(range(50));
    expect(new Set(rows.map((r) => r.userId)).size).toBe(50);
    for (const r of rows) {
      expect(winners.get(r.userId)).toBe(r.couponId);
      expect(redisUsers[String(r.userId)]).toBe(String(r.seq));
    }
    const t = await call(h.pool, 'GET', '/api/templates/1');
    expect(t.body).toMatchObject({ templateId: 1, stock: 50, issued: 50, persisted: 50 });
  });
});
