import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { templateKeys } from '../../src/redis/keys.js';
import { createTemplate } from '../../src/server/admin-client.js';
import { startServer } from '../../src/server/start-server.js';
import { openStore } from '../../src/store/open-store.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/env.js';

const DIST_SERVER = fileURLToPath(new URL('../../dist/server/start-server.js', import.meta.url));

describe('serve killed with SIGKILL under load, then started again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cb-serve-crash-'));
  const prefix = uniquePrefix('crash');
  const dbUrl = `sqlite:${join(dir, 'db.sqlite')}`;
  afterAll(async () => {
    await deletePrefix(REDIS_URL, prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the next server persists every issued coupon exactly once', async () => {
    // First server in its own process (built code), so it can really be SIGKILLed mid-flight.
    const script = `
      const { startServer } = await import(${JSON.stringify(DIST_SERVER)});
      const s = await startServer({ host: '127.0.0.1', port: 0, redisUrl: ${JSON.stringify(REDIS_URL)}, dbUrl: ${JSON.stringify(dbUrl)},
        prefix: ${JSON.stringify(prefix)}, redisTimeoutMs: 2000 });
      console.log('listening on ' + s.url);`;
    // A file, not --eval: worker threads inherit execArgv, and --input-type would break the persister's.
    const file = join(dir, 'first-server.mjs');
    writeFileSync(file, script);
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => child.once('exit', r));
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const t = setTimeout(() => reject(new Error(`no start: ${out}`)), 20_000);
      void exited.then(() => reject(new Error(`first server exited: ${out}`)));
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (\S+)/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(m[1]!);
        }
      });
    });
    await createTemplate(url, 1, 100_000);
    const pool = new Pool(url, { connections: 32 });
    const okUsers = new Set<number>();
    let user = 0;
    let killed = false;
    const worker = async (): Promise<void> => {
      while (!killed && user < 20_000) {
        const u = ++user;
        try {
          const r = await pool.request({
            method: 'POST',
            path: '/api/coupons/issue',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ userId: u, templateId: 1 }),
          });
          const body = (await r.body.json()) as { userId?: number };
          if (r.statusCode === 200 && body.userId === u) okUsers.add(u);
        } catch {
          return; // the server is gone
        }
      }
    };
    const workers = Array.from({ length: 32 }, () => worker());
    while (okUsers.size < 1500 && user < 20_000) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    killed = true;
    await exited;
    await Promise.all(workers);
    await pool.destroy();

    const redis = new Redis(REDIS_URL);
    const k = templateKeys(prefix, 1);
    try {
      const issued = Number(await redis.get(k.seq));
      expect(issued).toBeGreaterThanOrEqual(okUsers.size);
      // Second server, same Redis and DB; claims the dead consumer's entries quickly.
      const s2 = await startServer({
        host: '127.0.0.1',
        port: 0,
        redisUrl: REDIS_URL,
        dbUrl,
        prefix,
        redisTimeoutMs: 2000,
        persisterOptions: { claimIdleMs: 300 },
      });
      try {
        const store = await openStore(dbUrl);
        try {
          const deadline = Date.now() + 30_000;
          let rows = 0;
          let backlog = 1;
          while (Date.now() < deadline) {
            rows = await store.countIssued(1);
            const pend = (await redis.xpending(k.outbox, 'persister')) as [number, ...unknown[]];
            backlog = (await redis.xlen(k.outbox)) + Number(pend[0]);
            if (rows === issued && backlog === 0) break;
            await new Promise((r) => setTimeout(r, 100));
          }
          expect(rows).toBe(issued);
          const all = [];
          for await (const b of store.scanIssued(1)) all.push(...b);
          expect(all.map((r) => r.seq)).toEqual(Array.from({ length: issued }, (_, i) => i + 1));
          expect(new Set(all.map((r) => r.userId)).size).toBe(issued);
          const dbUsers = new Set(all.map((r) => r.userId));
          for (const u of okUsers) expect(dbUsers.has(u)).toBe(true);
          expect(await redis.hlen(k.users)).toBe(issued);
        } finally {
          await store.close();
        }
      } finally {
        await s2.stop();
      }
    } finally {
      redis.disconnect();
    }
  });
});
