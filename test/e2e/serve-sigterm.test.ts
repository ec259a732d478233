import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { createTemplate } from '../../src/server/admin-client.js';
import { REDIS_URL, deletePrefix, uniquePrefix } from '../helpers/env.js';
import { spawnServe, type Spawned } from './serve-harness.js';

describe('coupon-bench serve: SIGTERM during load', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'cb-serve-term-'));
  const prefix = uniquePrefix('term');
  let s: Spawned | undefined;
  afterAll(async () => {
    if (s && s.child.exitCode === null) s.child.kill('SIGKILL');
    await deletePrefix(REDIS_URL, prefix);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('every response that arrives is complete, and the process exits 0', async () => {
    s = await spawnServe(['--port', '0', '--redis', REDIS_URL, '--prefix', prefix, '--db', `sqlite:${join(cwd, 'db.sqlite')}`], cwd);
    await createTemplate(s.url, 1, 1_000_000);
    const pool = new Pool(s.url, { connections: 32, headersTimeout: 10_000, bodyTimeout: 10_000 });
    let nextUser = 1;
    const counts = { responses: 0, complete: 0, incomplete: 0, refusedBeforeResponse: 0, byStatus: new Map<number, number>() };
    const deadline = Date.now() + 15_000;
    let stop = false;
    const worker = async (): Promise<void> => {
      while (!stop && Date.now() < deadline) {
        let res;
        try {
          res = await pool.request({
            method: 'POST',
            path: '/api/coupons/issue',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ userId: nextUser++, templateId: 1 }),
          });
        } catch {
          counts.refusedBeforeResponse++; // no response at all: connection refused/closed before headers
          if (s!.child.exitCode !== null) return;
          await new Promise((r) => setTimeout(r, 5));
          continue;
        }
        counts.responses++;
        counts.byStatus.set(res.statusCode, (counts.byStatus.get(res.statusCode) ?? 0) + 1);
        try {
          const text = await res.body.text();
          const body = JSON.parse(text) as { status?: number; couponId?: string };
          const ok = res.statusCode === 200 ? typeof body.couponId === 'string' : body.status === res.statusCode;
          if (ok && Number(res.headers['content-length']) === Buffer.byteLength(text)) counts.complete++;
          else counts.incomplete++;
        } catch {
          counts.incomplete++;
        }
      }
    };
    const workers = Array.from({ length: 32 }, () => worker());
    // let load build up, then ask the server to stop while requests are in flight
    while (counts.responses < 1000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    s.child.kill('SIGTERM');
    const code = await s.exited;
    stop = true;
    await Promise.all(workers);
    await pool.close();
    expect(code).toBe(0);
    expect(counts.responses).toBeGreaterThanOrEqual(1000);
    expect(counts.incomplete).toBe(0);
    expect(counts.complete).toBe(counts.responses);
    expect([...counts.byStatus.keys()].every((st) => st === 200 || st === 503)).toBe(true);
    expect(s.stdout()).toMatch(/SIGTERM: draining[\s\S]*stopped/);
  });
});
