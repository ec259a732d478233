import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { templateKeys } from '../../src/redis/keys.js';
import { createTemplate } from '../../src/server/admin-client.js';
import { openStore } from '../../src/store/open-store.js';
import { call, issue, putTemplate, startHarness, waitDrained, type Harness } from './server-harness.js';

describe.each([
  ['pipeline', 'fast'],
  ['ioredis', 'fast'],
  ['pipeline', 'node'],
] as const)('serve (%s issue client, %s HTTP front): issuing against real Redis and SQLite', (issueClient, httpFront) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ issueClient, httpFront }, 'issue');
  });
  afterAll(async () => {
    await h?.close();
  });

  it('2,000 concurrent requests from 500 users for a stock of 50 issue exactly 50, seqs 1..50, persisted', async () => {
    await createTemplate(h.server.url, 1, 50);
    const users = Array.from({ length: 2000 }, (_, i) => (i % 500) + 1);
    const replies = await Promise.all(users.map((u) => issue(h.pool, u, 1)));
    const issued = replies.filter((r) => r.status === 200);
    const statuses = new Set(replies.map((r) => `${r.status} ${String(r.body.code ?? 'issued')}`));
    expect([...statuses].every((s) => ['200 issued', '400 COUPON_OUT_OF_STOCK', '400 COUPON_ALREADY_ISSUED'].includes(s))).toBe(true);
    expect(issued).toHaveLength(50);
    const winners = issued.map((r) => r.body.userId as number);
    expect(new Set(winners).size).toBe(50);
    expect(issued.map((r) => r.body.seq as number).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    for (const r of issued) {
      expect(r.body.couponId).toBe(`1-${String(r.body.seq)}`);
      expect(r.body.templateId).toBe(1);
      expect(new Date(r.body.issuedAt as string).toISOString()).toBe(r.body.issuedAt);
    }
    // a duplicate refusal always names the coupon that user holds
    const winnerCoupon = new Map(issued.map((r) => [r.body.userId as number, r.body.couponId as string]));
    for (const r of replies.filter((x) => x.body.code === 'COUPON_ALREADY_ISSUED')) {
      expect(r.body.couponId).toMatch(/^1-\d+$/);
      expect([...winnerCoupon.values()]).toContain(r.body.couponId);
    }

    const k = templateKeys(h.prefix, 1);
    expect(Number(await h.redis.get(k.seq))).toBe(50);
    expect(await h.redis.hlen(k.users)).toBe(50);
    expect(await waitDrained(h, 1, 50)).toBe(50);
    const store = await openStore(h.dbUrl);
    try {
      const rows = [];
      for await (const b of store.scanIssued(1)) rows.push(...b);
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(new Set(rows.map((r) => r.userId)).size).toBe(50);
      for (const r of rows) expect(winnerCoupon.get(r.userId)).toBe(r.couponId);
    } finally {
      await store.close();
    }
    const t = await call(h.pool, 'GET', '/api/templates/1');
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ templateId: 1, stock: 50, issued: 50, persisted: 50 });
  });

  it('the same user sending 200 concurrent requests gets exactly one coupon; the others name it', async () => {
    await createTemplate(h.server.url, 2, 10);
    const replies = await Promise.all(Array.from({ length: 200 }, () => issue(h.pool, 4242, 2)));
    const ok = replies.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    const couponId = ok[0]!.body.couponId;
    const dup = replies.filter((r) => r.status === 400 && r.body.code === 'COUPON_ALREADY_ISSUED');
    expect(dup).toHaveLength(199);
    for (const r of dup) expect(r.body.couponId).toBe(couponId);
    expect(Number(await h.redis.get(templateKeys(h.prefix, 2).seq))).toBe(1);
  });

  it('keeps issuing after SCRIPT FLUSH in the middle of a run', async () => {
    await createTemplate(h.server.url, 3, 1000);
    const first = await Promise.all(Array.from({ length: 50 }, (_, i) => issue(h.pool, 10_000 + i, 3)));
    expect(first.every((r) => r.status === 200)).toBe(true);
    await h.redis.script('FLUSH');
    const next = await issue(h.pool, 20_000, 3);
    expect(next.status).toBe(200);
    expect(next.body.seq).toBe(51);
    const more = await Promise.all(Array.from({ length: 50 }, (_, i) => issue(h.pool, 30_000 + i, 3)));
    expect(more.every((r) => r.status === 200)).toBe(true);
    expect(Number(await h.redis.get(templateKeys(h.prefix, 3).seq))).toBe(101);
  });

  it('admin route: 201 created, 200 identical, 409 other stock; GET shows the template', async () => {
    const a = await putTemplate(h.pool, 9, 5);
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ templateId: 9, stock: 5, issued: 0 });
    expect((await putTemplate(h.pool, 9, 5)).status).toBe(200);
    const c = await putTemplate(h.pool, 9, 6);
    expect(c.status).toBe(409);
    expect(c.body).toMatchObject({ code: 'COUPON_TEMPLATE_CONFLICT', status: 409 });
    expect(await h.redis.sismember(`${h.prefix}:templates`, '9')).toBe(1);
    const g = await call(h.pool, 'GET', '/api/templates/9');
    expect(g.body).toEqual({ templateId: 9, name: 'template-9', stock: 5, issued: 0, persisted: 0 });
    const missing = await call(h.pool, 'GET', '/api/templates/99999');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('COUPON_TEMPLATE_NOT_FOUND');
    const notFound = await issue(h.pool, 1, 99999);
    expect(notFound).toMatchObject({ status: 404, body: { code: 'COUPON_TEMPLATE_NOT_FOUND', status: 404 } });
  });

  it('healthz reports Redis ready; metrics count requests by route and outcome', async () => {
    const hz = await call(h.pool, 'GET', '/healthz');
    expect(hz.status).toBe(200);
    expect(hz.body).toMatchObject({ status: 'ok', redis: 'ready', persister: { state: 'ok', failures: 0 } });
    // Without a persister (serve --no-persister) healthz says so.
    const bare = await startHarness({ issueClient, httpFront, persister: false }, 'nopersist');
    try {
      expect((await call(bare.pool, 'GET', '/healthz')).body).toMatchObject({ status: 'ok', persister: { state: 'off' } });
    } finally {
      await bare.close();
    }
    const m = await call(h.pool, 'GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.headers['content-type']).toMatch(/^text\/plain/);
    expect(m.text).toMatch(/coupon_bench_http_requests_total\{route="issue",outcome="issued"\} \d+/);
    expect(m.text).toMatch(/coupon_bench_http_requests_total\{route="issue",outcome="COUPON_OUT_OF_STOCK"\} \d+/);
    expect(m.text).toMatch(/coupon_bench_http_request_duration_seconds_bucket\{le="\+Inf",route="issue"\} \d+/);
    expect(m.text).toMatch(/^coupon_bench_outbox_lag \d+$/m);
    expect(m.text).toMatch(/^coupon_bench_persisted_total \d+$/m);
    expect(m.text).toMatch(/^coupon_bench_redis_up 1$/m);
  });
});

describe('serve: overload', () => {
  it('answers 503 with Retry-After beyond maxInFlight, and every request gets an answer', async () => {
    const h = await startHarness({ maxInFlight: 1 }, 'load');
    try {
      await createTemplate(h.server.url, 1, 100_000);
      // Bursts of 200 concurrent requests (bounded retries: a starved machine may serialize one burst).
      const replies: Awaited<ReturnType<typeof issue>>[] = [];
      for (let burst = 0; burst < 10; burst++) {
        replies.push(...(await Promise.all(Array.from({ length: 200 }, (_, i) => issue(h.pool, burst * 1000 + i + 1, 1)))));
        if (replies.some((r) => r.status === 503) && replies.some((r) => r.status === 200)) break;
      }
      const busy = replies.filter((r) => r.status === 503);
      const ok = replies.filter((r) => r.status === 200);
      expect(ok.length).toBeGreaterThan(0);
      expect(busy.length).toBeGreaterThan(0);
      expect(busy.length + ok.length).toBe(replies.length);
      for (const r of busy) {
        expect(r.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503, message: 'server overloaded' });
        expect(r.headers['retry-after']).toBe('1');
      }
    } finally {
      await h.close();
    }
  });
});

describe('serve: admin token', () => {
  it('refuses to bind a non-loopback address without a token', async () => {
    await expect(startHarness({ host: '0.0.0.0' }, 'tok')).rejects.toMatchObject({ code: 'E_ADMIN_TOKEN_REQUIRED' });
    // a name is judged by the addresses it resolves to, not by how it starts
    await expect(startHarness({ host: '127.example.invalid' }, 'tok')).rejects.toMatchObject({ code: 'E_ADMIN_TOKEN_REQUIRED' });
  });

  it('checks the token on admin routes when one is given', async () => {
    const h = await startHarness({ adminToken: 's3cret' }, 'tok');
    try {
      const none = await putTemplate(h.pool, 1, 5);
      expect(none).toMatchObject({ status: 401, body: { code: 'UNAUTHORIZED', status: 401 } });
      expect((await putTemplate(h.pool, 1, 5, 'wrong')).status).toBe(401);
      expect(await h.redis.exists(templateKeys(h.prefix, 1).stock)).toBe(0);
      expect((await putTemplate(h.pool, 1, 5, 's3cret')).status).toBe(201);
      await createTemplate(h.server.url, 1, 5, { adminToken: 's3cret' });
      await expect(createTemplate(h.server.url, 1, 6, { adminToken: 's3cret' })).rejects.toMatchObject({ code: 'E_ADMIN_TEMPLATE' });
    } finally {
      await h.close();
    }
  });
});
