// serve on its private redis-server beside a SQLite file: the Redis folder is kept, so a serve that
// was SIGKILLed before persisting finds every coupon it acknowledged when started again.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { createTemplate } from '../../src/server/admin-client.js';
import { runCli } from '../helpers/cli.js';
import { alive } from '../helpers/net.js';
import { BIN, spawnServe, type Spawned } from './serve-harness.js';


async function issue(pool: Pool, userId: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await pool.request({ method: 'POST', path: '/api/coupons/issue', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ userId, templateId: 1 }) });
  return { status: r.statusCode, body: (await r.body.json()) as Record<string, unknown> };
}

describe('serve on its private Redis beside a SQLite database (spawned CLI)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'cb-serve-redisdir-'));
  const spawned: Spawned[] = [];
  afterAll(() => {
    for (const s of spawned) if (s.child.exitCode === null) s.child.kill('SIGKILL');
    rmSync(cwd, { recursive: true, force: true });
  });

  it('keeps the Redis folder: a SIGKILLed serve loses no acknowledged coupon, and one folder serves one server', async () => {
    const args = ['--port', '0', '--db', 'sqlite:./c.sqlite'];
    // No persister: every coupon stays in Redis only, as if serve died before persisting.
    const first = await spawnServe([...args, '--no-persister'], cwd);
    spawned.push(first);
    const redisDir = join(cwd, 'c.sqlite.redis');
    expect(first.stdout()).toContain(`data kept in ${redisDir}`);
    await createTemplate(first.url, 1, 10);
    const pool = new Pool(first.url, { connections: 4 });
    for (let u = 1; u <= 5; u++) expect((await issue(pool, u)).body).toMatchObject({ userId: u, seq: u });
    await pool.close();

    // A second serve on the same database would run a second redis-server on the same folder.
    const second = await runCli(['serve', ...args], { cwd, timeoutMs: 20_000 });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('E_REDIS_DIR_IN_USE');

    const redisPid = Number(readFileSync(join(redisDir, 'redis.pid'), 'utf8'));
    first.child.kill('SIGKILL');
    await first.exited;
    const deadline = Date.now() + 10_000;
    while (alive(redisPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(alive(redisPid)).toBe(false);

    const again = await spawnServe(args, cwd);
    spawned.push(again);
    const pool2 = new Pool(again.url, { connections: 4 });
    try {
      let t: Record<string, unknown> = {};
      const until = Date.now() + 15_000;
      do {
        const r = await pool2.request({ method: 'GET', path: '/api/templates/1' });
        t = (await r.body.json()) as Record<string, unknown>;
        if (t.persisted === 5) break;
        await new Promise((r2) => setTimeout(r2, 50));
      } while (Date.now() < until);
      expect(t).toMatchObject({ templateId: 1, stock: 10, issued: 5, persisted: 5 });
      expect((await issue(pool2, 3)).body).toMatchObject({ code: 'COUPON_ALREADY_ISSUED', couponId: '1-3' });
      expect((await issue(pool2, 6)).body).toMatchObject({ userId: 6, seq: 6 });
    } finally {
      await pool2.close();
    }
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);

    // The database deleted to start afresh: its Redis folder must not come back in front of a new one.
    rmSync(join(cwd, 'c.sqlite'));
    const stale = await runCli(['serve', ...args], { cwd, timeoutMs: 20_000 });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/c\.sqlite\.redis holds the Redis data of a database that is gone .*remove that folder to start afresh \[E_STALE_REDIS_DIR\]/);
  }, 90_000);

  it("a terminal's Ctrl-C (SIGINT to the whole process group) reaches serve, not its redis-server: serve drains, then stops it", async () => {
    const redisDir = join(cwd, 'ctrl-c.redis');
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--db', 'sqlite:./ctrl-c.sqlite', '--redis-dir', redisDir], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, as a shell gives a foreground job
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 20_000;
    while (!/\n {2}issue: /.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(out).toContain('listening on');
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    expect(out).toContain('SIGINT: draining');
    const log = readFileSync(join(redisDir, 'redis.log'), 'utf8');
    expect(log).toMatch(/Received SIGTERM/); // stopped by serve, after the drain
    expect(log).not.toMatch(/Received SIGINT/);
  }, 60_000);
});
