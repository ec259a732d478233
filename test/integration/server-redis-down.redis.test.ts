import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startManagedRedis, type ManagedRedis } from '../../src/redis/managed-redis.js';
import { createTemplate } from '../../src/server/admin-client.js';
import { call, issue, putTemplate, startHarness, type Harness, type Reply } from './server-harness.js';

/** Retry issuing until a 200 comes back (bounded), with fresh users. */
async function issueUntilOk(h: Harness, firstUser: number, templateId: number, timeoutMs = 15_000): Promise<Reply> {
  const deadline = Date.now() + timeoutMs;
  let u = firstUser;
  for (;;) {
    const r = await issue(h.pool, u++, templateId);
    if (r.status === 200 || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 50));
  }
}

/** Ask /healthz until it answers 200 (bounded); the last answer. */
async function healthzUntilOk(h: Harness, timeoutMs = 15_000): Promise<Reply> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await call(h.pool, 'GET', '/healthz');
    if (r.status === 200 || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 50));
  }
}

describe('serve: Redis goes away and comes back', () => {
  let redis: ManagedRedis;
  let h: Harness;
  beforeAll(async () => {
    redis = await startManagedRedis();
    h = await startHarness({ redisUrl: redis.url, redisTimeoutMs: 100 }, 'down');
    await createTemplate(h.server.url, 1, 1000);
    expect((await issue(h.pool, 1, 1)).status).toBe(200);
  });
  afterAll(async () => {
    await h?.close();
    await redis?.stop();
  });

  /**
   * While Redis is down: every issue gets a 503 with Retry-After, answered from the connection's
   * state (or its loss), never after waiting out the Redis timeout (a timed-out one says so).
   */
  async function expectFast503s(): Promise<void> {
    for (let i = 0; i < 20; i++) {
      const r = await issue(h.pool, 500 + i, 1);
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
      expect(r.headers['retry-after']).toBeDefined();
      expect(String(r.body.message)).toMatch(/^Redis is not available/);
      expect(String(r.body.message)).not.toMatch(/did not answer within/);
    }
    const hz = await call(h.pool, 'GET', '/healthz');
    expect(hz.status).toBe(503);
    expect(hz.body.redis).not.toBe('ready');
    const m = await call(h.pool, 'GET', '/metrics');
    expect(m.text).toMatch(/^coupon_bench_redis_up 0$/m);
  }

  it('Redis stopped: 503 fast; restarted: issues again without restarting serve', async () => {
    await redis.stop({ keepDir: true });
    await expectFast503s();
    await redis.restart();
    const r = await issueUntilOk(h, 10_000, 1);
    expect(r.status).toBe(200);
    // The server's other connection (ioredis: admin routes and the /healthz PING) comes back on its
    // own too, as soon as the issue pipeline or a little later: /healthz turns 200 without a restart.
    const hz = await healthzUntilOk(h);
    expect(hz.status, hz.text).toBe(200);
    expect(hz.body).toMatchObject({ status: 'ok', redis: 'ready' });
  });

  it('Redis hung (SIGSTOP): 503 once the timeout passes, never a hang; SIGCONT: issues again', async () => {
    const pid = redis.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      // answered by the server's 100 ms Redis timeout (a hang would run into the test's own timeout)
      const r = await issue(h.pool, 900, 1);
      expect(r).toMatchObject({ status: 503, body: { code: 'SERVICE_UNAVAILABLE' } });
      expect(r.headers['retry-after']).toBeDefined();
      expect(String(r.body.message)).toMatch(/Redis did not answer within 100 ms/);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const ok = await issueUntilOk(h, 30_000, 1);
    expect(ok.status).toBe(200);
  });

  it('Redis SIGKILLed: 503 fast; restarted: issues again', async () => {
    await redis.kill();
    await expectFast503s();
    await redis.restart();
    // AOF is fsynced every second, so a SIGKILL may lose the template: re-create it (idempotent).
    const deadline = Date.now() + 15_000;
    let put = await putTemplate(h.pool, 1, 1000);
    while (put.status === 503 && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 50));
      put = await putTemplate(h.pool, 1, 1000);
    }
    expect([200, 201]).toContain(put.status);
    const r = await issueUntilOk(h, 20_000, 1);
    expect(r.status).toBe(200);
  });
});
