import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { templateKeys } from '../../src/redis/keys.js';
import { createTemplate } from '../../src/server/admin-client.js';
import { call, startHarness, type Harness } from './server-harness.js';

describe('healthz: a persister whose reads keep failing on Redis says so', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({}, 'phealth');
  });
  afterAll(async () => {
    await h?.close();
  });

  const healthUntil = async (pred: (body: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
    let body: Record<string, unknown> = {};
    for (const started = Date.now(); Date.now() - started < 8000; ) {
      body = (await call(h.pool, 'GET', '/healthz')).body;
      if (pred(body)) return body;
      await new Promise((r) => setTimeout(r, 50));
    }
    return body;
  };
  const persister = (b: Record<string, unknown>): Record<string, unknown> => (b.persister ?? {}) as Record<string, unknown>;

  it('degraded with the Redis error while the outbox cannot be read, ok again once it can', async () => {
    await createTemplate(h.server.url, 1, 10);
    const outbox = templateKeys(h.prefix, 1).outbox;
    // The outbox replaced by a string: every read round fails with WRONGTYPE.
    await h.redis.del(outbox);
    await h.redis.set(outbox, 'not a stream');
    const bad = await healthUntil((b) => persister(b).state === 'failing');
    expect(bad).toMatchObject({ status: 'degraded', redis: 'ready' });
    expect(String(persister(bad).lastError)).toMatch(/WRONGTYPE/);
    expect(Number(persister(bad).redisFailures)).toBeGreaterThanOrEqual(2);
    // Gone: the persister makes the stream and its group again and goes on.
    await h.redis.del(outbox);
    const good = await healthUntil((b) => persister(b).state === 'ok');
    expect(good).toMatchObject({ status: 'ok' });
    expect(persister(good).redisFailures).toBeUndefined();
  }, 30_000);
});
