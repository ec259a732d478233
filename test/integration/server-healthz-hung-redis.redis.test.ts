import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startManagedRedis, type ManagedRedis } from '../../src/redis/managed-redis.js';
import { createTemplate } from '../../src/server/admin-client.js';
import { call, issue, startHarness, type Harness } from './server-harness.js';

// A patient issue timeout: a loaded machine must not turn a slow PING into a failure before the stop.
const TIMEOUT_MS = 1000;

describe.each(['fast', 'node'] as const)('serve (--http-front %s): /healthz while Redis hangs (SIGSTOP)', (front) => {
  let redis: ManagedRedis;
  let h: Harness;
  const signal = (sig: NodeJS.Signals): void => {
    if (redis?.pid !== undefined) process.kill(redis.pid, sig);
  };

  beforeAll(async () => {
    redis = await startManagedRedis();
    h = await startHarness({ redisUrl: redis.url, redisTimeoutMs: TIMEOUT_MS, httpFront: front }, `hung-${front}`);
    await createTemplate(h.server.url, 1, 1000);
  });
  afterAll(async () => {
    signal('SIGCONT');
    await h?.close();
    await redis?.stop();
  });

  it('answers 503 while Redis does not answer within the issue timeout, and 200 again once it does', async () => {
    expect((await call(h.pool, 'GET', '/healthz')).body).toMatchObject({ status: 'ok', redis: 'ready' });
    signal('SIGSTOP');
    try {
      const hz = await call(h.pool, 'GET', '/healthz');
      expect(hz.status, hz.text).toBe(503);
      expect(hz.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', redis: 'unresponsive' });
      expect(hz.headers['retry-after']).toBe('1');
      expect((await issue(h.pool, 7, 1)).status).toBe(503);
      expect((await call(h.pool, 'GET', '/healthz')).status).toBe(503);
    } finally {
      signal('SIGCONT');
    }
    // bounded: Redis answers again at once; the server needs no reconnect
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && (status = (await call(h.pool, 'GET', '/healthz')).status) !== 200) await new Promise((r) => setTimeout(r, 50));
    expect(status).toBe(200);
  });
});
