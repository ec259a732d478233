import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { templateKeys } from '../../src/redis/keys.js';
import { openStore } from '../../src/store/open-store.js';
import { startServer } from '../../src/server/start-server.js';
import type { RunningServer, ServeOptions } from '../../src/server/serve-options.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/env.js';

/** A server on the shared Redis (or a given one) with its own prefix and a temp SQLite file. */
export interface Harness {
  server: RunningServer;
  pool: Pool;
  redis: Redis;
  prefix: string;
  dbUrl: string;
  close(): Promise<void>;
}

export async function startHarness(over: Partial<ServeOptions> = {}, tag = 'srv'): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'cb-server-test-'));
  const prefix = over.prefix ?? uniquePrefix(tag);
  const dbUrl = `sqlite:${join(dir, 'db.sqlite')}`;
  const redisUrl = 'redisUrl' in over ? over.redisUrl : REDIS_URL;
  // A patient Redis timeout by default: these tests check correctness, and a shared, loaded machine
  // must not turn a slow reply into a 503 (tests of timeouts pass their own).
  const server = await startServer({ host: '127.0.0.1', port: 0, dbUrl, prefix, redisTimeoutMs: 2000, ...over, redisUrl });
  const pool = new Pool(server.url, { connections: 256, headersTimeout: 20_000, bodyTimeout: 20_000 });
  const redis = new Redis(server.redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  return {
    server,
    pool,
    redis,
    prefix,
    dbUrl,
    async close() {
      await pool.close().catch(() => undefined);
      await server.stop();
      if (server.redisUrl === REDIS_URL) await deletePrefix(REDIS_URL, prefix);
      redis.disconnect();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
  text: string;
}

/** POST JSON (or any body) and parse the JSON reply. */
export async function call(
  pool: Pool,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' },
): Promise<Reply> {
  const r = await pool.request({ method: method as 'GET', path, body, headers });
  const text = await r.body.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON (metrics)
  }
  return { status: r.statusCode, headers: r.headers, body: parsed, text };
}

export const issue = (pool: Pool, userId: number, templateId: number): Promise<Reply> =>
  call(pool, 'POST', '/api/coupons/issue', JSON.stringify({ userId, templateId }));

export async function putTemplate(pool: Pool, id: number, stock: number, token?: string): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  return call(pool, 'PUT', `/api/admin/templates/${id}`, JSON.stringify({ stock }), headers);
}

/** Every key under the prefix with its full contents, for before/after comparisons. */
export async function redisSnapshot(redis: Redis, prefix: string): Promise<Record<string, unknown>> {
  const snap: Record<string, unknown> = {};
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const k of keys) {
      const type = await redis.type(k);
      if (type === 'string') snap[k] = await redis.get(k);
      else if (type === 'hash') snap[k] = await redis.hgetall(k);
      else if (type === 'set') snap[k] = (await redis.smembers(k)).sort();
      else if (type === 'stream') snap[k] = await redis.xrange(k, '-', '+');
      else snap[k] = type;
    }
  } while (cursor !== '0');
  return snap;
}

/** All rows of the DB, for comparisons. */
export async function dbSnapshot(dbUrl: string, templateIds: number[]): Promise<unknown> {
  const store = await openStore(dbUrl);
  try {
    const out: Record<string, unknown> = { templates: await store.listTemplates() };
    for (const id of templateIds) {
      const rows: unknown[] = [];
      for await (const batch of store.scanIssued(id)) rows.push(...batch);
      out[`issued-${id}`] = rows;
    }
    return out;
  } finally {
    await store.close();
  }
}

/** Wait until the template's outbox is empty and the DB holds `expected` rows (bounded). */
export async function waitDrained(h: Harness, templateId: number, expected: number, timeoutMs = 15_000): Promise<number> {
  const k = templateKeys(h.prefix, templateId);
  const deadline = Date.now() + timeoutMs;
  const store = await openStore(h.dbUrl);
  try {
    for (;;) {
      const [xlen, rows] = await Promise.all([h.redis.xlen(k.outbox), store.countIssued(templateId)]);
      if ((xlen === 0 && rows >= expected) || Date.now() > deadline) return rows;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await store.close();
  }
}

/** What a raw TCP exchange received, and whether the server closed the connection. */
export interface Raw {
  text: string;
  closed: boolean;
}

/**
 * Send raw bytes, collect everything until the server closes the connection (bounded). A step is
 * bytes to write, a number of ms to wait, or 'end' to half-close.
 */
export function rawExchange(port: number, steps: (string | Buffer | number | 'end')[], timeoutMs = 5000): Promise<Raw> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ text, closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.on('data', (d) => (text += d.toString('latin1')));
    sock.on('close', () => finish(true));
    sock.on('error', () => finish(true));
    sock.on('connect', async () => {
      for (const c of steps) {
        if (sock.destroyed) break;
        if (typeof c === 'number') await new Promise((r) => setTimeout(r, c));
        else if (c === 'end') sock.end();
        else sock.write(c, () => undefined);
      }
    });
  });
}
