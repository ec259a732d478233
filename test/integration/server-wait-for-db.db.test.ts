// `serve --wait-for-db`: a database that is down at start does not stop issuance. The server starts,
// coupons are issued from Redis and wait in the outbox, the database routes answer 503, and once the
// database answers the server and its persister open it and everything issued is persisted.
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { PERSISTER_GROUP, templateKeys, templatesIndexKey } from '../../src/redis/keys.js';
import { registerScripts } from '../../src/redis/scripts.js';
import { startServer } from '../../src/server/start-server.js';
import { openStore } from '../../src/store/open-store.js';
import { RetryingStore } from '../../src/store/retrying-store.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/env.js';
import { waitFor } from './persister-helpers.js';
import { startProxy, testDb } from './store-test-db.js';

const db = testDb('postgres');
const prefix = uniquePrefix('waitdb');
afterAll(async () => {
  await db.drop();
  await deletePrefix(REDIS_URL, prefix);
});

const post = (url: string, userId: number) =>
  fetch(`${url}/api/coupons/issue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId, templateId: 1 }) });
const putTemplate = (url: string) =>
  fetch(`${url}/api/admin/templates/1`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ stock: 30 }) });

/** Status and error code of one issue request (code 'issued' for a 200). */
async function answerOf(url: string, userId: number): Promise<{ status: number; code: string; message?: string }> {
  const r = await post(url, userId);
  if (r.status === 200) return { status: 200, code: 'issued' };
  const body = (await r.json()) as { code: string; message: string };
  return { status: r.status, code: body.code, message: body.message };
}

/**
 * Users `1..n` each ask for a coupon until the answer is certain (bounded): issued, or sold out. A
 * 503 whose Redis did not answer within the issue timeout (a busy machine) is not: the script may
 * have run. Its user asks again, and "already issued" then says the timed-out call issued it.
 */
async function issueAll(url: string, n: number): Promise<{ holders: number[]; soldOut: number[] }> {
  const holders: number[] = [];
  const soldOut: number[] = [];
  let unsure = Array.from({ length: n }, (_, i) => i + 1);
  for (let round = 0, deadline = Date.now() + 20_000; unsure.length > 0 && Date.now() < deadline; round++) {
    const answers = await Promise.all(unsure.map(async (u) => ({ u, ...(await answerOf(url, u)) })));
    unsure = [];
    for (const { u, ...a } of answers) {
      if (a.code === 'issued' || (round > 0 && a.code === 'COUPON_ALREADY_ISSUED')) holders.push(u);
      else if (a.code === 'COUPON_OUT_OF_STOCK') soldOut.push(u);
      else {
        expect(a, `user ${u}: the one uncertain answer is the Redis timeout`).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE', message: expect.stringMatching(/did not answer within/) });
        unsure.push(u);
      }
    }
  }
  expect(unsure, 'users without a certain answer').toEqual([]);
  return { holders, soldOut };
}

describe('serve with the database down at start', () => {
  it('without --wait-for-db it refuses to start, with a clear code', async () => {
    const proxy = await startProxy(db.host, db.port);
    await proxy.cut();
    try {
      const started = startServer({ host: '127.0.0.1', port: 0, redisUrl: REDIS_URL, dbUrl: db.viaPort(proxy.port), prefix });
      await expect(started).rejects.toMatchObject({ code: 'E_DB_UNREACHABLE' });
    } finally {
      await proxy.close();
    }
  });

  it('with --wait-for-db it issues from Redis, answers 503 on the database routes, and persists everything once the database is back', async () => {
    const proxy = await startProxy(db.host, db.port);
    await proxy.cut();
    const states: string[] = [];
    const server = await startServer({
      host: '127.0.0.1',
      port: 0,
      redisUrl: REDIS_URL,
      dbUrl: db.viaPort(proxy.port),
      prefix,
      waitForDb: true,
      onDbState: (state) => states.push(state),
      persisterOptions: { maxBackoffMs: 200, rescanMs: 100 },
    });
    const check = await openStore(db.url); // direct, for the final count
    const admin = new Redis(REDIS_URL);
    registerScripts(admin);
    try {
      expect(states).toEqual(['waiting']);
      // Creating a template needs the database (it may hold the template already, with coupons, for a
      // Redis that lost it): 503, retry later, and Redis is left alone.
      const k = templateKeys(prefix, 1);
      const created = await putTemplate(server.url);
      expect(created.status).toBe(503);
      expect(created.headers.get('retry-after')).toBeTruthy();
      expect(await admin.exists(k.stock)).toBe(0);
      // A template Redis holds already (created before the outage) issues meanwhile.
      await admin.createTemplate(k.stock, k.seq, k.users, k.outbox, 30, PERSISTER_GROUP);
      await admin.sadd(templatesIndexKey(prefix), '1');
      // 40 users at once for 30 coupons: 30 hold one, 10 are refused (sold out), and Redis agrees.
      const { holders, soldOut } = await issueAll(server.url, 40);
      expect(holders).toHaveLength(30);
      expect(soldOut).toHaveLength(10);
      expect(await admin.hlen(k.users)).toBe(30);
      expect(await admin.hmget(k.users, ...soldOut.map(String))).toEqual(soldOut.map(() => null));
      const read = await fetch(`${server.url}/api/templates/1`);
      expect(read.status).toBe(503);
      expect(((await read.json()) as { code: string }).code).toBe('SERVICE_UNAVAILABLE');
      // Issuance is up (200), the server degraded: its persister cannot reach the database.
      let health = { status: '', persister: { state: '', lag: 0, failures: 0, lastError: undefined as string | undefined } };
      await waitFor('healthz degraded', async () => {
        const hz = await fetch(`${server.url}/healthz`);
        const body = (await hz.json()) as typeof health & { redis?: string };
        // A 503 may only say Redis was slow to answer the PING (a busy machine), never the database.
        if (hz.status !== 200) {
          expect(body, 'a 503 from /healthz').toMatchObject({ redis: 'unresponsive' });
          return false;
        }
        health = body;
        return health.status === 'degraded';
      });
      expect(health.persister.state).toBe('failing');
      expect(health.persister.failures).toBeGreaterThan(0);
      expect(health.persister.lastError).toBeTruthy();

      await proxy.restore();
      await waitFor('the server opened the database', () => states.includes('open'), 20_000);
      // The retried admin call writes the missing row; nothing is issued twice. (A 503 says "retry
      // later": Redis slow to answer on a busy machine; bounded.)
      let put = await putTemplate(server.url);
      for (const deadline = Date.now() + 10_000; put.status === 503 && Date.now() < deadline; ) {
        await new Promise((r) => setTimeout(r, 50));
        put = await putTemplate(server.url);
      }
      expect(put.status).toBe(200);
      await waitFor(
        'every issued coupon persisted',
        async () => {
          const r = await fetch(`${server.url}/api/templates/1`);
          return r.status === 200 && ((await r.json()) as { persisted: number }).persisted === 30;
        },
        20_000,
      );
      expect(await check.countIssued(1)).toBe(30);
      // The worker reports its figures every 50 ms or so: the healed state shows up shortly.
      let healed = { status: '', persister: {} as Record<string, unknown> };
      await waitFor('healthz ok again', async () => {
        healed = (await (await fetch(`${server.url}/healthz`)).json()) as typeof healed;
        return healed.status === 'ok';
      });
      expect(healed.persister).toMatchObject({ state: 'ok', failures: 0, persisted: 30 });
      expect(healed.persister.lastError).toBeUndefined();
      expect((await check.getTemplate(1))?.stock).toBe(30);
    } finally {
      admin.disconnect();
      await server.stop();
      await check.close();
      await proxy.close();
    }
  }, 60_000);

  it('the waiting store says so again when the reason changes: away, then refusing the credentials', async () => {
    const proxy = await startProxy(db.host, db.port);
    await proxy.cut();
    const url = new URL(db.viaPort(proxy.port));
    url.username = 'no_such_role_cb';
    const states: [string, string][] = [];
    const store = await RetryingStore.open(url.toString(), { maxBackoffMs: 100, onState: (state, detail) => states.push([state, detail]) });
    try {
      expect(states).toEqual([['waiting', expect.stringMatching(/cannot reach PostgreSQL/)]]);
      await proxy.restore();
      await waitFor('the new reason reported', () => states.length === 2);
      expect(states[1]).toEqual(['waiting', expect.stringMatching(/refused the credentials/)]);
      // Calls still fail as "not reachable yet", naming the current reason.
      await expect(store.countIssued(1)).rejects.toMatchObject({ code: 'E_DB_UNREACHABLE', message: expect.stringMatching(/refused the credentials/) });
      await new Promise((r) => setTimeout(r, 300)); // more failed attempts, same reason: not reported again
      expect(states).toHaveLength(2);
    } finally {
      await store.close();
      await proxy.close();
    }
  });
});
