import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createServer, type AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createTemplate } from '../../src/server/admin-client.js';
import { BIN, spawnServe, type Spawned } from './serve-harness.js';
import { portOpen } from '../helpers/net.js';


describe('coupon-bench serve (spawned CLI, managed defaults)', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'cb-serve-smoke-'));
  let s: Spawned | undefined;
  afterAll(async () => {
    // SIGTERM first: a SIGKILLed serve would leave its private redis-server behind.
    if (s && s.child.exitCode === null) {
      s.child.kill('SIGTERM');
      const t = setTimeout(() => s?.child.kill('SIGKILL'), 10_000);
      await s.exited;
      clearTimeout(t);
    }
    rmSync(cwd, { recursive: true, force: true });
  });

  it('starts a private redis-server, answers an issue request, and stops cleanly on SIGTERM', async () => {
    s = await spawnServe(['--port', '0'], cwd);
    const m = /private redis-server at redis:\/\/127\.0\.0\.1:(\d+)/.exec(s.stdout());
    expect(m).not.toBeNull();
    const redisPort = Number(m![1]);
    await createTemplate(s.url, 1, 3);
    const res = await fetch(`${s.url}/api/coupons/issue`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 5, templateId: 1 }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ couponId: '1-1', userId: 5, templateId: 1, seq: 1 });
    // default database: a SQLite file in the working directory
    expect(existsSync(join(cwd, 'coupon-bench.sqlite'))).toBe(true);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
    expect(s.stdout()).toMatch(/stopped/);
    expect(await portOpen(redisPort)).toBe(false);
  });

  it('says in one line how to install redis-server when it is missing', async () => {
    // a PATH with node alone (redis-server may live next to node)
    const binDir = mkdtempSync(join(tmpdir(), 'cb-nobin-'));
    symlinkSync(process.execPath, join(binDir, 'node'));
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
      cwd,
      env: { ...process.env, PATH: binDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    rmSync(binDir, { recursive: true, force: true });
    expect(code).toBe(1);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/redis-server was not found on PATH.*apt-get install redis-server.*--redis/);
  });

  it('refuses a non-loopback bind without an admin token, in one line, exit 1', async () => {
    await expect(spawnServe(['--host', '0.0.0.0', '--port', '0'], cwd, 10_000)).rejects.toThrow(
      /exited with 1 before listening:[\s\S]*--admin-token is required/,
    );
  });

  it('a port in use fails in one line (E_PORT_IN_USE, exit 1) before any store is touched', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as AddressInfo).port;
    try {
      const r = await runCli(['serve', '--port', String(port), '--db', 'sqlite:./busy.sqlite'], { cwd, timeoutMs: 20_000 });
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`coupon-bench: --port: 127.0.0.1:${port} is already in use [E_PORT_IN_USE]`);
      // no database file made, no redis-server folder beside it
      expect(existsSync(join(cwd, 'busy.sqlite'))).toBe(false);
      expect(existsSync(join(cwd, 'busy.sqlite.redis'))).toBe(false);
    } finally {
      busy.close();
    }
  });
});
